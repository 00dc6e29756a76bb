"""The input rule (xlmargin/_inputs.py): kinds in -> same kind out, inputs untouched, clear errors."""

import copy

import numpy as np
import pandas as pd
import pytest

import xlmargin as xm

# (function, arguments as columns of 3 rows); every argument that can be a column is one
CASES = {
    "notional": (xm.notional, dict(size=[0.2, 1.0, 3e6], price=[50_000, 2_500, 60_000])),
    "unrealized_pnl": (
        xm.unrealized_pnl,
        dict(side=["long", "short", 1], size=[0.2, 1.0, 2.0], entry_price=[50_000, 2_500, 100], mark_price=[48_000, 2_600, 90]),
    ),
    "initial_margin": (xm.initial_margin, dict(size=[0.2, 1.0, 2.0], price=[50_000, 2_500, 100], leverage=[10, 20, 5])),
    "maint_margin": (xm.maint_margin, dict(size=[0.2, 1.0, 2.0], mark_price=[50_000, 2_500, 100], mmr=[0.005, 0.01, 0.02])),
    "isolated_liq_price": (
        xm.isolated_liq_price,
        dict(side=["long", "short", "long"], size=[0.2, 1.0, 2.0], entry_price=[50_000, 2_500, 100], margin=[1000, 100, 500]),
    ),
    "bankruptcy_price": (
        xm.bankruptcy_price,
        dict(side=["long", "short", "long"], size=[0.2, 1.0, 2.0], entry_price=[50_000, 2_500, 100], margin=[1000, 100, 50]),
    ),
    "margin_for_liq_price": (
        xm.margin_for_liq_price,
        dict(side=["long", "short", "long"], size=[0.2, 1.0, 2.0], entry_price=[50_000, 2_500, 100], liq_price=[45_000, 2_700, 80]),
    ),
    "funding_payment": (
        xm.funding_payment,
        dict(side=["long", "short", "long"], size=[0.2, 1.0, 2.0], mark_price=[50_000, 2_500, 100], funding_rate=[1e-4, -1e-4, 3e-4]),
    ),
    "margin_ratio": (xm.margin_ratio, dict(equity=[100, 50, -1], maint_margin=[69, 50, 1])),
    "margin_call": (xm.margin_call, dict(equity=[100, 50, -1], maint_margin=[69, 50, 1])),
    "max_position_size": (xm.max_position_size, dict(balance=[1000, 50, 10], leverage=[10, 20, 5], price=[50_000, 2_500, 100])),
}


def convert(columns, make):
    return {name: make(values) for name, values in columns.items()}


@pytest.mark.parametrize("name", CASES)
def test_each_input_kind_gives_the_same_numbers_in_its_own_kind(name, kind):
    fn, columns = CASES[name]
    expected = [fn(**{k: v[i] for k, v in columns.items()}) for i in range(3)]
    args = convert(columns, kind)
    before = copy.deepcopy(args)
    result = fn(**args)
    if kind.name == "scalar":
        assert isinstance(result, (float, bool)) and not isinstance(result, np.generic)
        np.testing.assert_allclose(result, expected[0])
    elif kind.name == "series":
        assert isinstance(result, pd.Series) and list(result.index) == ["p0", "p1", "p2"]
        np.testing.assert_allclose(result.to_numpy(dtype=float), expected)
    else:
        assert isinstance(result, np.ndarray) and result.shape == (3,)
        np.testing.assert_allclose(result.astype(float), expected)
    for key in args:  # inputs are never modified
        if isinstance(args[key], pd.Series):
            pd.testing.assert_series_equal(args[key], before[key])
        else:
            np.testing.assert_array_equal(args[key], before[key])


def test_scalars_broadcast_against_columns():
    lp = xm.isolated_liq_price("long", [0.1, 0.2], 50_000, 100)
    assert lp.shape == (2,)
    assert lp[0] == pytest.approx(xm.isolated_liq_price("long", 0.1, 50_000, 100))


def test_two_dimensional_ranges_keep_their_shape():
    sizes = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert xm.notional(sizes, 50_000).shape == (2, 2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: xm.isolated_liq_price("long", [0.1, -0.2, 0.3], 50_000, 100), r"size must be a finite number > 0 \(row 2\)"),
        (lambda: xm.isolated_liq_price("long", 0.1, [50_000, 0], 100), r"entry_price must be a finite number > 0 \(row 2\)"),
        (lambda: xm.isolated_liq_price("long", 0.1, 50_000, -5), r"^margin must be a finite number >= 0$"),
        (lambda: xm.isolated_liq_price(["long", "sideways"], 0.1, 50_000, 100), r"side must be long/short or 1/-1 \(row 2\)"),
        (lambda: xm.isolated_liq_price([1, 0, -1], 0.1, 50_000, 100), r"side must be long/short or 1/-1 \(row 2\)"),
        (lambda: xm.isolated_liq_price("long", 0.1, 50_000, 100, contract="perpetual"), r"contract must be 'linear' or 'inverse'"),
        (lambda: xm.isolated_liq_price("long", [0.1, 0.2], [1, 2, 3], 100), r"lengths that do not match: size \(2,\), entry_price \(3,\)"),
        (lambda: xm.isolated_liq_price("long", 0.1, 50_000, 100, mmr=1.5), r"mmr must be a rate in \[0, 1\)"),
        (lambda: xm.isolated_liq_price("long", [0.1, np.nan], 50_000, 100), r"size must be a finite number > 0 \(row 2\)"),
        (lambda: xm.initial_margin(0.1, 50_000, [10, 0]), r"leverage must be a finite number > 0 \(row 2\)"),
        (lambda: xm.notional(["0.1", "x"], 50_000), r"size must be a number \(row 2\)"),
        (lambda: xm.notional([0.1, None], 50_000), r"size must be a finite number > 0 \(row 2\)"),  # empty cell
        (lambda: xm.maint_margin(1, 50_000, "no_such_table"), r"'no_such_table' is not a shipped table"),
        (
            lambda: xm.maint_margin(1, 50_000, xm.TierTable.load("binance_usdm_btcusdt"), 10),
            r"maint_amount must be left at 0 when mmr is a tier table",
        ),
        (
            lambda: xm.cross_equity([100, 200], "long", [0.1, 0.2], 50_000, 50_000),
            r"wallet_balance must be the same for every position of an account .* \(row 2\)",
        ),
        (
            lambda: xm.cross_liq_price(1, "long", [1, 2], 10, 10, contract=["linear", "inverse"]),
            r"contract must be the same for every position of an account",
        ),
        (lambda: xm.cross_equity(1, "long", [1, 2], 10, 10, account=["a"]), r"account must have one label per position"),
        (
            lambda: xm.notional(pd.Series([1.0], index=["a"]), pd.Series([2.0], index=["b"])),
            r"price is a Series whose index differs",
        ),
    ],
)
def test_bad_input_names_the_argument_and_row(call, message):
    with pytest.raises(xm.InputError, match=message) as info:
        call()
    assert isinstance(info.value, ValueError)  # callers may catch ValueError


def test_error_carries_argument_and_row():
    with pytest.raises(xm.InputError) as info:
        xm.notional([1, 2, -3], 10)
    assert (info.value.argument, info.value.row) == ("size", 3)


def test_side_words_in_any_case_and_numbers():
    lps = xm.isolated_liq_price(["LONG", " Short ", 1, -1, "1", "-1"], 1, 100, 10)
    assert lps[0] == lps[2] == lps[4] and lps[1] == lps[3] == lps[5]


def test_no_liquidation_price_is_nan_never_zero():
    assert np.isnan(xm.isolated_liq_price("long", 0.1, 50_000, 5_000))  # margin covers the notional
    assert np.isnan(xm.isolated_liq_price("short", 3e6, 60_000, 50, 0.005, 0, "inverse"))  # coin covers it
    assert xm.isolated_liq_price("short", 0.1, 50_000, 5_000) > 0  # a linear short always has one


def test_cross_accounts_are_grouped_by_label():
    book = pd.DataFrame(
        {
            "account": ["a", "b", "a"],
            "wallet": [500.0, 1000.0, 500.0],
            "side": ["long", "long", "long"],
            "size": [0.04, 0.1, 0.8],
            "entry": [50_000.0, 50_000.0, 2_500.0],
            "mark": [51_000.0, 50_000.0, 2_500.0],
        }
    )
    cols = (book.wallet, book.side, book["size"], book.entry, book.mark)
    equity = xm.cross_equity(*cols, account=book.account)
    assert equity.to_dict() == pytest.approx({"a": 540.0, "b": 1000.0})
    lp = xm.cross_liq_price(*cols, account=book.account)
    assert isinstance(lp, pd.Series)
    assert lp.iloc[2] == pytest.approx(xm.cross_liq_price(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500])[1])
    assert lp.iloc[1] == pytest.approx(xm.cross_liq_price(1000, "long", 0.1, 50_000, 50_000))
    mm = xm.cross_maint_margin(book["size"], book.mark, account=book.account)
    assert mm["a"] == pytest.approx(0.04 * 51_000 * 0.005 + 0.8 * 2_500 * 0.005)


def test_compare_margin_modes_table():
    table = xm.compare_margin_modes(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500], [200, 200])
    assert list(table.columns) == ["isolated_liq_price", "isolated_max_loss", "cross_liq_price", "cross_max_loss"]
    assert table.isolated_liq_price.round(2).tolist() == [45_226.13, 2_261.31]
    assert table.cross_liq_price.iloc[1] == pytest.approx(1_846.98, abs=0.005)
    assert table.cross_max_loss.tolist() == [540.0, 540.0]


def test_margin_ratio_edges():
    assert xm.margin_ratio(0, 5) == np.inf
    assert xm.margin_ratio(-1, 5) == np.inf
    assert xm.margin_ratio(10, 0) == 0
    assert xm.margin_call(100, 79) is False and xm.margin_call(100, 80) is True
    assert xm.margin_call(100, 50, threshold=0.5) is True


def test_max_position_size_respects_tier_leverage():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    # 100x is allowed up to 600,000 USDT of notional, whatever the balance
    assert xm.max_position_size(1e6, 100, 50_000, tiers) == pytest.approx(600_000 / 50_000)
    assert xm.max_position_size(1_000, 10, 50_000, tiers) == pytest.approx(0.2)
    assert np.isnan(xm.max_position_size(1_000, 200, 50_000, tiers))  # no tier allows 200x
    # inverse: size in USD; 1 BTC at 10x is 10 BTC of notional, 600,000 USD at 60,000
    assert xm.max_position_size(1, 10, 60_000, contract="inverse") == pytest.approx(600_000)
    # the fee to open comes out of the balance too
    assert xm.max_position_size(1_000, 10, 50_000, open_fee_rate=0.0005) == pytest.approx(1_000 / (0.1 + 0.0005) / 50_000)


def test_margin_for_liq_price_inverts_the_liq_price():
    for contract, size, entry in (("linear", 2.0, 3_000), ("inverse", 6e4, 3_000)):
        for side in ("long", "short"):
            m = 0.3 * xm.initial_margin(size, entry, 5, contract)
            lp = xm.isolated_liq_price(side, size, entry, m, 0.01, 0, contract)
            assert xm.margin_for_liq_price(side, size, entry, lp, 0.01, 0, contract) == pytest.approx(m, rel=1e-9)


def test_close_fee_counts_like_extra_maintenance_rate():
    assert xm.maint_margin(1, 100, 0.005, close_fee_rate=0.0006) == pytest.approx(100 * 0.0056)
    assert xm.isolated_liq_price("long", 1, 100, 10, 0.005, close_fee_rate=0.0006) == pytest.approx(
        xm.isolated_liq_price("long", 1, 100, 10, 0.0056)
    )


def test_a_column_of_rates_against_single_values():
    lps = xm.isolated_liq_price("long", 0.1, 50_000, 100, [0.005, 0.01])
    assert lps.shape == (2,) and lps[1] == pytest.approx(xm.isolated_liq_price("long", 0.1, 50_000, 100, 0.01))
    mm = xm.maint_margin([0.1, 0.1], 50_000, pd.Series([0.005, 0.01], index=["x", "y"]))
    assert isinstance(mm, pd.Series) and mm.to_dict() == pytest.approx({"x": 25.0, "y": 50.0})
    lp = xm.cross_liq_price(1_000, "long", 0.1, 50_000, 50_000, [0.005])
    assert lp.shape == (1,)
    assert xm.maint_margin(0.1, 50_000, "0.005") == pytest.approx(25.0)  # a rate written as text


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: xm.isolated_liq_price("long", True, 50_000, 100), r"size must be a number, not TRUE/FALSE"),
        (lambda: xm.initial_margin(0.1, 50_000, [10, False]), r"leverage must be a number, not TRUE/FALSE \(row 2\)"),
        (lambda: xm.max_position_size(1_000, 10, 50_000, 0.005), r"tiers must be a tier table"),
        (lambda: xm.cross_equity(1, "long", [1, 2], 10, 10, account=["a", None]), r"account is empty \(row 2\)"),
        (lambda: xm.isolated_liq_price("long", [[0.1, 0.2], [0.3, -0.4]], 50_000, 100), r"\(row 2, column 2\)"),
        (lambda: xm.maint_margin(1, 1, "nope"), r"^mmr 'nope' is not a shipped table"),
        (lambda: xm.isolated_account_value([1, 2], "long", [1, 2], 10, 10, 1), r"free_balance must be a single value"),
        (lambda: xm.cross_maint_margin([[1, 2], [3, 4]], 10), r"one column of positions"),
    ],
)
def test_more_bad_input(call, message):
    with pytest.raises(xm.InputError, match=message):
        call()


@pytest.mark.parametrize("contract, size", [("linear", 0.3), ("inverse", 15_000.0)])
@pytest.mark.parametrize("side", ["long", "short"])
def test_calculator_round_trips(contract, size, side):
    for exit_price in (40_000.0, 50_500.0, 61_000.0):
        roe = xm.return_on_equity(side, size, 50_000, exit_price, 20, contract)
        assert xm.exit_price_for_roe(side, 50_000, 20, roe, contract) == pytest.approx(exit_price, rel=1e-12)
        pnl = xm.unrealized_pnl(side, size, 50_000, exit_price, contract)
        assert xm.exit_price_for_pnl(side, size, 50_000, pnl, contract) == pytest.approx(exit_price, rel=1e-12)
        assert roe == pytest.approx(pnl / xm.initial_margin(size, 50_000, 20, contract), rel=1e-12)


def test_average_entry_price_keeps_the_pnl_of_the_fills():
    sizes, prices = [0.1, 0.3, 0.2], [50_000, 48_000, 51_000]
    avg = xm.average_entry_price(sizes, prices)
    assert xm.unrealized_pnl("long", sum(sizes), avg, 55_000) == pytest.approx(
        sum(xm.unrealized_pnl("long", q, p, 55_000) for q, p in zip(sizes, prices))
    )
    usd = [5_000, 15_000, 10_000]
    avg = xm.average_entry_price(usd, prices, "inverse")
    assert xm.unrealized_pnl("long", sum(usd), avg, 55_000, "inverse") == pytest.approx(
        sum(xm.unrealized_pnl("long", q, p, 55_000, "inverse") for q, p in zip(usd, prices))
    )
    with pytest.raises(xm.InputError, match="same for every fill"):
        xm.average_entry_price([1, 2], [3, 4], ["linear", "inverse"])
