"""SHOCK_LADDER: the review's ladder over columns of positions, through both Excel hosts, checked by hand (SPEC W3, W5)."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from excel_hosts import HOSTS, OMIT, Ref, Shown

from xlmargin.core.formulas import DEFAULT_MMR
from xlmargin.errors import InputError
from xlmargin.excel.ladder import shock_ladder
from xlmargin.review import Book, check_book
from xlmargin.review import shock_ladder as review_ladder

COLUMNS = ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin",
           "tier_set"]


def column(values):
    return Ref.of(list(values))


def ladder_cells(host, *args):
    """SHOCK_LADDER's spilled range as a table (header row first)."""
    cells = HOSTS[host].shown("SHOCK_LADDER", *args)
    assert not isinstance(cells[0][0], Shown), cells
    return pd.DataFrame(cells[1:], columns=cells[0]).set_index("move_pct")


# ------------------------------------------------------------------ by hand
W3 = {"side": ["long", "long"], "size": [0.04, 0.8], "entry": [50_000, 2_500], "mark": [51_000, 2_200]}


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_w3_cross_the_whole_account_goes_between_minus_5_and_minus_10(host):
    # equity(x) = 500 + 0.04 (51,000 (1+x) - 50,000) + 0.8 (2,200 (1+x) - 2,500) = 300 + 3,800 x
    # MM(x) = 0.005 (2,040 + 1,760) (1+x) = 19 (1+x): equal at x = -281 / 3,781 = -7.43 %
    ladder = ladder_cells(host, 500, column(W3["side"]), column(W3["size"]), column(W3["entry"]), column(W3["mark"]))
    assert ladder.loc[0.0, "equity"] == pytest.approx(300) and ladder.loc[0.0, "maint_margin"] == pytest.approx(19)
    assert ladder.loc[-5.0, "equity"] == pytest.approx(300 - 190)
    assert ladder.loc[-5.0, "margin_left"] == pytest.approx(110 - 19 * 0.95)
    assert ladder.loc[-5.0, "margin_ratio"] == pytest.approx(19 * 0.95 / 110)
    assert ladder.loc[-5.0, "positions_liquidated"] == 0 and ladder.loc[-5.0, "liquidated"] == ""
    assert ladder.loc[-10.0, "positions_liquidated"] == 2 and ladder.loc[-10.0, "equity"] == 0
    assert ladder.loc[-10.0, "deficit"] == pytest.approx(min(0, 300 - 380))
    assert ladder.loc[-10.0, "liquidated"] == "cross account account"
    assert ladder.loc[-10.0, "margin_ratio"] == Shown("#N/A")  # nothing open
    assert list(ladder.index[:2]) == [-100.0, -95.0] and ladder.index[-1] == 100.0  # to zero, up to 2x by default


def test_w3_isolated_eth_is_lost_already_and_btc_between_minus_10_and_minus_15():
    # ETH: 200 + 0.8 (2,200 - 2,500) = -40 < MM: lost at the marks. BTC: 240 + 2,040 x = 10.2 (1+x) at x = -11.32 %
    ladder = shock_ladder(500, W3["side"], W3["size"], W3["entry"], W3["mark"], "isolated", 200, step=0.05, up_to=1.1)
    ladder = ladder.set_index("move_pct")
    assert ladder.loc[0.0, "equity"] == pytest.approx(340)  # 100 spare + 200 BTC margin + 40 profit (W3)
    assert ladder.loc[0.0, "positions_liquidated"] == 1 and ladder.loc[0.0, "liquidated"] == "account #2 long (isolated)"
    assert ladder.loc[-10.0, "equity"] == pytest.approx(100 + 240 - 204)
    assert ladder.loc[-10.0, "maint_margin"] == pytest.approx(10.2 * 0.9)
    assert ladder.loc[-15.0, "equity"] == pytest.approx(100) and ladder.loc[-15.0, "positions_liquidated"] == 2


W5 = {"side": ["short", "short", "short", "long"], "size": [30, 10_000, 2_000, 0.04], "price": [100, 0.10, 0.50, 50_000],
      "mmr": [0.01, 0.01, 0.01, 0.005]}


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_w5_shorts_in_cross_a_rise_liquidates_them_all(host):
    # every price x higher: equity = 1,000 - 5,000 x + 2,000 x = 1,000 - 3,000 x; MM = 60 (1+x): equal at x = +30.7 %
    price = column(W5["price"])
    ladder = ladder_cells(host, 1_000, column(W5["side"]), column(W5["size"]), price, price, OMIT, OMIT,
                          column(W5["mmr"]), OMIT, OMIT, OMIT, OMIT, 0.05, 1.5)
    assert ladder.loc[30.0, "equity"] == pytest.approx(100) and ladder.loc[30.0, "maint_margin"] == pytest.approx(78)
    assert ladder.loc[30.0, "positions_liquidated"] == 0
    assert ladder.loc[35.0, "positions_liquidated"] == 4 and ladder.loc[35.0, "deficit"] == pytest.approx(-50)
    assert ladder.loc[-50.0, "positions_liquidated"] == 0  # a fall only helps the shorts: 1,000 + 1,500 left
    assert ladder.loc[-50.0, "equity"] == pytest.approx(2_500)


def test_w5_the_alt1_short_isolated_goes_alone_between_5_and_10_percent_up():
    # ALT1 isolated with 300: 300 - 3,000 x = 30 (1+x) at x = +8.91 % (W5: 108.91); the cross rest is hedged:
    # 700 + 0 x against 30 (1+x), alive to +2,233 %
    mode = ["isolated", "cross", "cross", "cross"]
    ladder = shock_ladder(1_000, W5["side"], W5["size"], W5["price"], W5["price"], mode, [300, 0, 0, 0], W5["mmr"],
                          step=0.05, up_to=1.5).set_index("move_pct")
    assert ladder.loc[5.0, "positions_liquidated"] == 0 and ladder.loc[5.0, "equity"] == pytest.approx(700 + 300 - 150)
    assert ladder.loc[10.0, "liquidated"] == "account #1 short (isolated)"
    assert ladder.loc[10.0, "equity"] == pytest.approx(700) and ladder.loc[50.0, "positions_liquidated"] == 1


# ------------------------------------------------------------------ the same as the review's
def test_the_excel_ladder_is_the_reviews_on_the_same_book():
    """Two accounts, isolated and cross, long and short, a shipped tier table: cell for cell the review's ladder."""
    rows = [["a", "BTCUSDT", "linear", "long", 0.5, 60_000, 58_000, "cross", None, "binance_usdm_btcusdt"],
            ["a", "BTCUSDT", "linear", "short", 0.2, 55_000, 58_000, "isolated", 600, "binance_usdm_btcusdt"],
            ["b", "BTCUSDT", "linear", "short", 1.5, 57_000, 58_000, "cross", None, "binance_usdm_btcusdt"],
            ["b", "BTCUSDT", "linear", "long", 0.1, 59_000, 58_000, "isolated", 300, "binance_usdm_btcusdt"]]
    positions = pd.DataFrame(rows, columns=COLUMNS)
    accounts = pd.DataFrame({"account": ["a", "b"], "wallet_balance": [5_000.0, 4_000.0], "settlement_asset": ["USDT", "USDT"]})
    book = Book(*check_book(positions, accounts))
    expected = review_ladder(book, step=0.025, up_to=1.6)
    got = shock_ladder([5_000, 5_000, 4_000, 4_000], positions["side"].tolist(), positions["size"].tolist(),
                       positions["entry_price"].tolist(), positions["mark_price"].tolist(), positions["margin_mode"].tolist(),
                       [0, 600, 0, 300], "binance_usdm_btcusdt", account=positions["account"].tolist(), step=0.025, up_to=1.6)
    assert expected["positions_liquidated"].nunique() > 2  # the move liquidates things on both sides
    numbers = ["move_pct", "equity", "margin_left", "maint_margin", "margin_ratio", "deficit", "positions_liquidated"]
    np.testing.assert_allclose(got[numbers].to_numpy(float), expected[numbers].to_numpy(float), rtol=1e-12)
    # the positions are named by their row in Excel, by symbol in the book
    assert got["liquidated"].str.replace(r"#\d", "BTCUSDT", regex=True).tolist() == expected["liquidated"].tolist()


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_blank_rows_are_skipped_and_the_ladder_keeps_its_own_rows(host):
    """Three positions in four rows and a three-step ladder: the ladder is not spaced out like a column of positions."""
    side, size = column(["long", None, "long", "short"]), column([0.1, None, 0.2, 0.1])
    price = column([50_000, None, 50_000, 50_000])
    cells = HOSTS[host].shown("SHOCK_LADDER", 10_000, side, size, price, price, OMIT, OMIT, OMIT, OMIT, OMIT, OMIT, OMIT, 0.5, 1)
    assert [row[0] for row in cells] == ["move_pct", -100.0, -50.0, 0.0]


# ------------------------------------------------------------------ bad input, named
@pytest.mark.parametrize("args, kwargs, message", [
    ((500, "long", 0.1, 50_000, 51_000, ["cross", "iso"]), {}, r"margin_mode must be isolated or cross \(row 2\)"),
    (([500, 600], "long", 0.1, 50_000, 51_000), {}, r"wallet_balance must be the same for every position.* \(row 2\)"),
    ((500, "long", 0.1, 50_000, 51_000), {"contract": ["linear", "inverse"]}, r"contract must be the same"),
    ((500, "long", 0.1, 50_000, 51_000), {"step": 0}, r"step must be in \(0, 1\]"),
    ((500, "long", 0.1, 50_000, 51_000), {"up_to": 0.5}, r"up_to .* at least 1"),
    ((500, "long", 0.1, 50_000, 51_000), {"step": [0.1, 0.2]}, r"step must be one number"),
    ((500, "long", 0.1, 50_000, 51_000), {"mmr": "deribit_btc"}, r"mmr a size-scaled schedule"),
    ((500, "long", 0.1, 50_000, 51_000), {"rules": ["binance", "nyse"]}, r"rules must be one of"),
    ((500, "long", [0.1, -1], 50_000, 51_000), {}, r"size .* \(row 2\)"),
])
def test_bad_input_names_the_argument_and_row(args, kwargs, message):
    with pytest.raises(InputError) as info:
        shock_ladder(*args, **kwargs)
    text = f"{info.value.argument} {info.value.reason}" + (f" (row {info.value.row})" if info.value.row else "")
    assert re.search(message, text), text


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_one_position_alone_moves_w5_alt1_pumps_and_takes_the_cross_account(host):
    # W5: only ALT1 moves, the rest at entry. Equity = 1,000 - 30 * 100 x; MM = 0.3 (1+x) * 100 + 10 + 10 + 10
    # = 60 + 30 x: equal at x = 940 / 3,030 = +31.02 % (W5: LP 131.02); at +30 % equity 100, MM 69 (W5)
    price = column(W5["price"])
    ladder = ladder_cells(host, 1_000, column(W5["side"]), column(W5["size"]), price, price, OMIT, OMIT,
                          column(W5["mmr"]), OMIT, OMIT, OMIT, OMIT, 0.05, 1.5, 1)
    assert ladder.loc[30.0, "equity"] == pytest.approx(100) and ladder.loc[30.0, "maint_margin"] == pytest.approx(69)
    assert ladder.loc[30.0, "positions_liquidated"] == 0
    assert ladder.loc[35.0, "positions_liquidated"] == 4 and ladder.loc[35.0, "liquidated"] == "cross account account"
    # a fall of ALT1 alone only helps the short: 1,000 + 3,000 x 0.5 at -50 %
    assert ladder.loc[-50.0, "equity"] == pytest.approx(2_500)


def test_one_position_is_the_reviews_position_ladder():
    rows = [["a", "BTCUSDT", "linear", "long", 0.5, 60_000, 58_000, "cross", None, ""],
            ["a", "ETHUSDT", "linear", "short", 4.0, 2_900, 3_000, "cross", None, ""],
            ["b", "BTCUSDT", "linear", "long", 0.1, 59_000, 58_000, "isolated", 300, ""]]
    positions = pd.DataFrame(rows, columns=COLUMNS)
    accounts = pd.DataFrame({"account": ["a", "b"], "wallet_balance": [3_000.0, 1_000.0], "settlement_asset": ["USDT", "USDT"]})
    expected = review_ladder(Book(*check_book(positions, accounts)), position=1, step=0.1, up_to=1.5)
    got = shock_ladder([3_000, 3_000, 1_000], ["long", "short", "long"], [0.5, 4.0, 0.1], [60_000, 2_900, 59_000],
                       [58_000, 3_000, 58_000], ["cross", "cross", "isolated"], [0, 0, 300], account=["a", "a", "b"],
                       step=0.1, up_to=1.5, position=2)
    numbers = ["move_pct", "equity", "margin_left", "maint_margin", "margin_ratio", "deficit", "positions_liquidated"]
    np.testing.assert_allclose(got[numbers].to_numpy(float), expected[numbers].to_numpy(float), rtol=1e-12)
    assert (got["positions_liquidated"] > 0).any()


@pytest.mark.parametrize("position", [0, 4, 1.5, [1, 2]])
def test_a_position_outside_the_positions_is_named(position):
    with pytest.raises(InputError, match="position"):
        shock_ladder(500, "long", [0.1, 0.2, 0.3], 50_000, 51_000, position=position)


# ------------------------------------------------------------------ the fast path is the review's, figure for figure
def random_columns(seed):
    """Columns of 1 to 25 positions in up to 4 accounts, linear and inverse accounts, isolated and cross, rates or a shipped table."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 26))
    accounts = rng.choice(["a", "b", "c", "d"], n)
    inverse_accounts = {"c", "d"} if seed % 2 else set()
    contract = np.where(np.isin(accounts, list(inverse_accounts)), "inverse", "linear")
    entry = rng.uniform(1_000, 3_000, n)
    size = np.where(contract == "inverse", rng.uniform(100, 5_000, n), rng.uniform(0.01, 2, n))
    mode = rng.choice(["cross", "isolated"], n)
    wallet = {"a": 1_000.0, "b": 3_000.0, "c": 0.4, "d": 2.0}
    rates = "binance_usdm_btcusdt" if seed % 7 == 0 else rng.choice([0.005, 0.01, 0.02], n).tolist() if seed % 3 else 0.004
    columns = {"wallet_balance": [wallet[a] for a in accounts], "side": rng.choice(["long", "short"], n).tolist(),
               "size": size.tolist(), "entry_price": entry.tolist(), "mark_price": (entry * rng.uniform(0.8, 1.2, n)).tolist(),
               "margin_mode": mode.tolist(), "margin": np.where(mode == "isolated", rng.uniform(0, 500, n), 0.0).tolist(),
               "mmr": rates, "contract": contract.tolist(), "account": accounts.tolist(),
               "rules": rng.choice(["binance", "bybit", "okx", "bitmex"], n).tolist()}
    return columns


def review_book(columns):
    """The same positions as a book, checked by the review: one row per position, a rate other than the default as a one-tier table."""
    n = len(columns["side"])
    shipped = isinstance(columns["mmr"], str)  # a shipped tier table's name: every position on it
    rates = np.broadcast_to(DEFAULT_MMR if shipped else columns["mmr"], (n,))
    tier_set = [columns["mmr"] if shipped else "" if r == DEFAULT_MMR else f"r{r}" for r in rates]
    positions = pd.DataFrame({"account": columns["account"], "symbol": [f"#{i + 1}" for i in range(n)],
                              "contract": columns["contract"], "side": columns["side"], "size": columns["size"],
                              "entry_price": columns["entry_price"], "mark_price": columns["mark_price"],
                              "margin_mode": columns["margin_mode"], "isolated_margin": columns["margin"],
                              "tier_set": tier_set, "rules": columns["rules"]})
    flat = sorted(set(rates) - {DEFAULT_MMR})
    tiers = pd.DataFrame({"tier_set": [f"r{r}" for r in flat], "notional_floor": 0.0, "notional_cap": np.inf,
                          "max_leverage": [1 / (2 * r) for r in flat], "mmr": flat, "maint_amount": 0.0})
    accounts = positions[["account"]].assign(wallet_balance=columns["wallet_balance"]).drop_duplicates("account")
    accounts["settlement_asset"] = np.where(accounts["account"].isin(["c", "d"]) & (positions.loc[accounts.index, "contract"] == "inverse"),
                                            "coin", "USDT")
    return Book(*check_book(positions, accounts, tiers))


@pytest.mark.parametrize("seed", range(40))
def test_the_excel_ladder_is_the_reviews_exactly(seed):
    """Random books: SHOCK_LADDER's columns path gives the review's table of the same book, bit for bit."""
    columns = random_columns(seed)
    position = None if seed % 4 else 1 + seed % len(columns["side"])
    step, up_to = (0.05, 2.0) if seed % 5 else (0.01, 3.0)
    got = shock_ladder(**columns, position=position, step=step, up_to=up_to)
    expected = review_ladder(review_book(columns), position=None if position is None else position - 1, step=step, up_to=up_to)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("seed", range(10))
def test_the_columns_arrays_are_the_reviews_arrays_of_the_same_book(seed):
    """Field for field, the arrays made from the columns are those the review makes of the checked book."""
    from xlmargin.review.ladder import _checked_columns, _rows_of_columns
    from xlmargin.review.state import _rows

    columns = random_columns(seed)
    checked, tiers = _checked_columns(*(columns.get(name, default) for name, default in [
        ("wallet_balance", None), ("side", None), ("size", None), ("entry_price", None), ("mark_price", None),
        ("margin_mode", None), ("margin", None), ("mmr", None), ("maint_amount", 0.0), ("contract", None),
        ("account", None), ("rules", None)]))
    fast, _, _ = _rows_of_columns(checked, tiers)
    slow = _rows(review_book(columns))
    for field in dataclasses.fields(slow):
        a, b = getattr(fast, field.name), getattr(slow, field.name)
        if field.name == "groups":  # the same rows at the same rates (the default rate needs no table: None)
            rates = lambda groups: sorted((i.tolist(), [DEFAULT_MMR] if t is None else t.mmr.tolist()) for i, t in groups)
            assert rates(a) == rates(b)
        elif field.name == "rules":
            for flag in dataclasses.fields(b):
                np.testing.assert_array_equal(getattr(a, flag.name), getattr(b, flag.name))
        else:
            np.testing.assert_array_equal(a, b, err_msg=field.name)
            assert np.asarray(a).dtype == np.asarray(b).dtype, field.name


def test_the_ladder_priced_in_batches_is_the_ladder_one_move_at_a_time(monkeypatch):
    """The moves are priced a batch at a time (the book stacked per move): any batch size gives the same table."""
    from xlmargin.review import ladder, sample_book, synthetic_book

    for book in (sample_book(), synthetic_book(300, 60)):  # 60 accounts: sums of more than numpy's 8-way unrolled block
        tables = {}
        for grid in (1, 7 * len(book.positions), 1 << 16):  # a move at a time, batches not dividing the ladder, all at once
            monkeypatch.setattr(ladder, "GRID", grid)
            tables[grid] = review_ladder(book, step=0.02, up_to=1.5)
        pd.testing.assert_frame_equal(tables[1], tables[7 * len(book.positions)], check_exact=True)
        pd.testing.assert_frame_equal(tables[1], tables[1 << 16], check_exact=True)


def test_the_stacked_book_prices_each_copy_as_the_book_alone():
    """One state_at call over the book stacked three times equals three calls, figure for figure."""
    from xlmargin.review import sample_book
    from xlmargin.review.ladder import _stacked
    from xlmargin.review.state import _rows, state_at

    rows = _rows(sample_book())
    factors = np.array([0.5, 1.0, 1.3])
    stacked = state_at(_stacked(rows, 3), (rows.mark * factors[:, None]).ravel(), np.repeat(factors, rows.n_accounts))
    for c, factor in enumerate(factors):
        alone = state_at(rows, rows.mark * factor, factor)
        for field in dataclasses.fields(alone):
            values = getattr(stacked, field.name)
            per_copy = values.reshape(3, -1)[c]
            np.testing.assert_array_equal(per_copy, getattr(alone, field.name), err_msg=field.name)
