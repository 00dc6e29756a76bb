"""The wrong numbers of issue #11, each held to its right answer (every test here failed before its fix)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import xlmargin as xm
from xlmargin.core import cross as cross_module
from xlmargin.core import solver


# -- a result that depends on a difference that is zero up to rounding --------------------------

@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_one_x_positions_have_no_liquidation_price_whatever_the_rounding(engine):
    """A 1x inverse short (margin = its value at entry, q/E) and a 1x linear long (margin = q*E) can't be liquidated.

    Before: about one in eight got a price near 1e17-1e20 (inverse) or 1e-12 (linear), depending on how
    q/E and q*(1/E) rounded. Both engines, flat and tiered, isolated, bankruptcy and cross.
    """
    rng = np.random.default_rng(8)
    entry, usd = rng.uniform(1_000, 90_000, 4_000), rng.uniform(100, 1e6, 4_000)
    coins = usd / entry
    with solver.use_engine(engine):
        for mmr in (0.005, "binance_coinm_btcusd_perp"):
            assert np.isnan(xm.isolated_liq_price("short", usd, entry, coins, mmr, 0, "inverse")).all()
        assert np.isnan(xm.bankruptcy_price("short", usd, entry, coins, "inverse")).all()
        assert np.isnan(xm.isolated_liq_price("long", coins, entry, usd)).all()
        assert np.isnan(xm.bankruptcy_price("long", coins, entry, usd)).all()
    for i in range(0, 4_000, 97):  # one-position cross accounts whose wallet is the whole value
        assert np.isnan(xm.cross_liq_price(coins[i], "short", usd[i], entry[i], entry[i] * 1.1, contract="inverse"))
    distance = xm.distance_to_liq(entry[:5], xm.isolated_liq_price("short", usd[:5], entry[:5], coins[:5], 0.005, 0, "inverse"))
    assert np.isnan(distance).all()


def test_a_position_that_is_not_quite_1x_keeps_its_price():
    """The snapping is to rounding only: a margin 1e-9 short of the whole value still has its (far) price."""
    lp = xm.isolated_liq_price("short", 10_000, 50_000, 0.2 * (1 - 1e-9), 0.005, 0, "inverse")
    assert np.isfinite(lp) and lp > 1e6


# -- margin ratio of an account whose equity is gone ---------------------------------------------

def test_negative_equity_is_the_worst_ratio_not_the_best():
    assert xm.margin_ratio(-5, 0) == np.inf and xm.margin_call(-5, 0) is True
    assert xm.margin_ratio(-5, 0, "okx") == -np.inf  # OKX's ratio falls to 1 at liquidation: below it
    assert xm.margin_ratio(0, 0) == 0.0 and xm.margin_call(0, 0) is False  # nothing held, nothing owed
    assert xm.margin_ratio(10, 0) == 0.0 and xm.margin_ratio(10, 0, "okx") == np.inf


# -- explanations add up to the digit ------------------------------------------------------------

def _evaluate_formula(text: str) -> float:
    """The number the formula row of an explanation evaluates to, the numbers as printed."""
    expression = text.split(" = ", 2)[2] if text.startswith("1/P") or text.startswith("P =") else text
    expression = expression.split(", MM(E)")[0]
    assert set(expression) <= set("0123456789.+-*/() e"), expression
    value = eval(expression)  # noqa: S307 - digits and operators only, checked above
    return 1 / value if text.startswith("1/P") else value


@pytest.mark.parametrize("rules", list(xm.RULES))
@pytest.mark.parametrize("args", [("long", 1, 40_000, 3_821.56, "linear"), ("short", 2, 30_000, 5_000.0, "linear"),
                                  ("long", 30_000, 40_000, 0.3, "inverse"), ("short", 30_000, 40_000, 0.5, "inverse")])
def test_an_explanation_evaluates_to_the_price_it_reports_and_checks_to_zero(rules, args):
    side, size, entry, margin, contract = args
    table = xm.explain_liq_price(side, size, entry, margin, 0.005, 0, contract, 0.00055, rules).set_index("item")["value"]
    lp = table["liq_price"]
    assert _evaluate_formula(table["formula"]) == pytest.approx(lp, rel=1e-8)  # printed to 10 digits
    check = [k for k in table.index if k.startswith("margin + uPnL - MM")]
    assert len(check) == 1 and abs(table[check[0]]) <= 1e-9 * max(1.0, abs(margin))


def test_bybit_unified_example_explained_to_the_digit():
    """Bybit's own unified-account example: 36,380.25, the formula row and the check row agree with it."""
    fee_to_close = 40_000 * (1 - 1 / 50) * 0.00055  # the page's fee to close at 50x, 21.56
    margin = 800 + fee_to_close + 3_000
    table = xm.explain_liq_price("long", 1, 40_000, margin, 0.005, 0, "linear", 0.00055, "bybit_uta").set_index("item")["value"]
    assert round(table["liq_price"], 2) == 36_380.25
    assert round(_evaluate_formula(table["formula"]), 2) == 36_380.25
    assert table["margin + uPnL - MM - fee at bankruptcy"] == pytest.approx(0.0, abs=1e-9)


# -- tier tables from ccxt -----------------------------------------------------------------------

# OKX's TIA/USDT:USDT tiers as ccxt returns them (freqtrade issue #11923): minSz/maxSz passed on as
# minNotional/maxNotional, in contracts
OKX_TIERS = [
    {"tier": i + 1, "currency": "USDT", "minNotional": f, "maxNotional": c, "maxLeverage": lev, "maintenanceMarginRate": mmr,
     "info": {"minSz": str(f), "maxSz": str(c), "mmr": str(mmr), "maxLever": str(lev)}}
    for i, (f, c, mmr, lev) in enumerate([(0, 6500, 0.0065, 50), (6501, 12000, 0.01, 40), (12001, 25000, 0.015, 20),
                                          (25001, 50000, 0.02, 18.18)])
]


def test_okx_tiers_in_contracts_load_converted_to_notional_and_say_so():
    with pytest.raises(xm.TierTableError, match="in contracts.*contract_size.*price"):
        xm.TierTable.from_ccxt(OKX_TIERS)
    table = xm.TierTable.from_ccxt(OKX_TIERS, contract_size=1, price=5.0)  # 1 TIA a contract, at 5 USDT
    assert table.notional_floor.tolist() == [0, 32_500, 60_000, 125_000]  # 6,500 contracts x 1 x 5
    assert table.notional_cap.tolist() == [32_500, 60_000, 125_000, 250_000]
    assert "contract size 1" in table.meta["converted"] and "price 5" in table.meta["converted"]
    assert table.continuous and "rebuilt" in table.meta["maint_amount"]
    inverse = xm.TierTable.from_ccxt(OKX_TIERS, contract_size=100, price=50_000, contract="inverse")
    assert inverse.notional_cap[0] == pytest.approx(6_500 * 100 / 50_000) and inverse.meta["notional_unit"] == "coin"


def test_maintenance_amounts_rebuilt_are_said():
    tiers = [{"minNotional": 0, "maxNotional": 50_000, "maxLeverage": 125, "maintenanceMarginRate": 0.004, "info": {"cum": "0"}},
             {"minNotional": 50_000, "maxNotional": None, "maxLeverage": 100, "maintenanceMarginRate": 0.005, "info": {}}]
    with pytest.warns(xm.TierTableWarning, match="1 of 2 tiers"):
        table = xm.TierTable.from_ccxt(tiers)
    assert table.maint_amount.tolist() == [0.0, 50.0] and "only some" in table.meta["maint_amount"]
    given = xm.TierTable.from_rows([[0, 50_000, 125, 0.004, 0], [50_000, None, 100, 0.005, 50]])
    assert "maint_amount" not in given.meta


# -- the hedge-mode solver -----------------------------------------------------------------------

def test_the_hedge_solver_says_when_it_has_not_converged():
    """A hedge (60 BTC long, 1 short) whose legs move from tier 4 at the mark to tier 3: one round is not enough."""
    from xlmargin.core import formulas as fm

    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    s, q = np.array([1.0, -1.0]), np.array([60.0, 1.0])
    e, p, inv = np.array([50_000.0, 51_000.0]), np.array([60_000.0, 60_000.0]), np.array(False)
    spare = fm.pnl(s, q, e, p, inv) - fm.maint_margin(fm.notional(q, p, inv), tiers)
    kwargs = dict(fee=np.zeros(2), flags=xm.core.rules.flags("binance"), accounts=cross_module._Accounts(None, 200_000, 2, inv),
                  spare=spare, mmr=tiers, maint_amount=0.0, symbol=np.array(["BTC", "BTC"]), collateral=np.zeros(2))
    with pytest.warns(xm.ConvergenceWarning, match="no consistent tier"):
        stopped = cross_module._symbol_liq_price(s, q, e, p, inv, rounds=1, **kwargs)
    assert np.isnan(stopped).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        settled = cross_module._symbol_liq_price(s, q, e, p, inv, **kwargs)
    assert settled == pytest.approx([46_890.25014504] * 2)
    public = xm.cross_liq_price(200_000, ["long", "short"], [60, 1], [50_000, 51_000], [60_000, 60_000], tiers, symbol=["BTC", "BTC"])
    assert public == pytest.approx(settled, rel=1e-12)


# -- the input rule where it was broken -----------------------------------------------------------

def test_hyperliquid_mmr_keeps_the_series():
    out = xm.hyperliquid_mmr(pd.Series([20.0, 50.0], index=["BTC", "ETH"]))
    assert isinstance(out, pd.Series) and out.to_dict() == {"BTC": 0.025, "ETH": 0.01}
    with pytest.raises(xm.InputError, match=r"max_leverage must be a number, not TRUE/FALSE"):
        xm.hyperliquid_mmr(True)
    with pytest.raises(xm.InputError, match=r"max_leverage .*\(row 2\)"):
        xm.hyperliquid_mmr([20, 0])


def test_average_entry_price_per_position():
    fills = pd.DataFrame({"id": ["a", "a", "b"], "size": [0.1, 0.1, 5_000.0], "price": [50_000, 40_000, 40_000]})
    out = xm.average_entry_price(fills["size"], fills["price"], ["linear", "linear", "inverse"], position_id=fills["id"])
    assert out.to_dict() == {"a": 45_000.0, "b": 40_000.0}
    with pytest.raises(xm.InputError, match="contract must be the same for every fill"):
        xm.average_entry_price([1, 2], [3, 4], ["linear", "inverse"], position_id=["x", "x"])


def test_a_book_error_survives_pickling_as_from_a_dask_worker():
    import pickle

    from xlmargin.review import BookError

    error = BookError(["Positions: column 'size' is empty in rows 3", "Accounts: no wallet_balance for account(s) x"])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)
