"""Exchange rule sets, each held to that exchange's own published numbers.

Sources are the exchanges' help centres as found through the project's search tool; where an
exchange publishes a formula but no example with numbers, the test checks xlmargin against that
formula, and says so.
"""

import math

import pytest

import xlmargin as xm
from xlmargin.core.rules import hyperliquid_mmr


def ceil_to_tick(price, tick):
    return math.ceil(price / tick - 1e-9) * tick


# ---------------------------------------------------------------- Bybit: MM at the entry notional
@pytest.mark.parametrize(
    "source, value, published",
    [
        # Bybit help centre, "Liquidation Price (USDT Contract)" (article 900000181046): long 1 BTC at 10,000,
        # 50x (margin 200), MMR 0.5 %: "10,000 USDT * (1 - 2% + 0.5%) = 9,850 USDT"
        ("bybit-usdt-long", xm.isolated_liq_price("long", 1, 10_000, 200, 0.005, rules="bybit"), 9_850),
        # same page: short 1 BTC at 8,000, 40x (margin 200): "= 8160 USDT"
        ("bybit-usdt-short", xm.isolated_liq_price("short", 1, 8_000, 200, 0.005, rules="bybit"), 8_160),
        # Bybit "Liquidation Price Calculation under Isolated Mode (Unified Trading Account)", 2024 version:
        # 1 BTC at 20,000, 50x, MMR 0.5 %: long 19,700; short with 3,000 extra margin 23,300;
        # long after 200 USDT of funding taken from its margin 19,900
        ("bybit-uta-long", xm.isolated_liq_price("long", 1, 20_000, 400, 0.005, rules="bybit"), 19_700),
        ("bybit-uta-short-extra", xm.isolated_liq_price("short", 1, 20_000, 400 + 3_000, 0.005, rules="bybit"), 23_300),
        ("bybit-uta-long-funding", xm.isolated_liq_price("long", 1, 20_000, 400 - 200, 0.005, rules="bybit"), 19_900),
    ],
)
def test_bybit_linear(source, value, published):
    assert value == pytest.approx(published, abs=1e-9)


def test_bybit_inverse_cross_long_with_the_fee_to_close_at_the_bankruptcy_price():
    # Bybit help centre, "How to calculate Liquidation Price (Inverse Contract)" (article 360039261334):
    # 0.5 BTC balance, long 10,000 contracts at 8,000, cross, MMR 0.5 %, taker fee 0.075 %:
    # "Bankruptcy Price = 1.00075x10000/(10000/8000 + (0.5-0)) = 5718.57", "Liquidation Price = 5739.50"
    # (Bybit states long liquidation prices rounded up to the 0.5 tick)
    args = ("long", 10_000, 8_000)
    assert round(xm.bankruptcy_price(*args, 0.5, "inverse", 0.00075), 2) == 5_718.57
    lp = xm.cross_liq_price(0.5, *args, 8_000, 0.005, 0, "inverse", 0.00075, rules="bybit")
    assert ceil_to_tick(lp, 0.5) == 5_739.50
    # by hand: MM at entry 10,000/8,000 x 0.5 %, plus the fee on the notional at the bankruptcy price
    mm = 10_000 / 8_000 * 0.005 + 0.00075 * 10_000 / 5_718.571428571428
    assert lp == pytest.approx(1 / (1 / 8_000 + (0.5 - mm) / 10_000), rel=1e-9)
    # Binance's rules give another number: the rule set is what makes the match
    assert ceil_to_tick(xm.cross_liq_price(0.5, *args, 8_000, 0.005, 0, "inverse", 0.00075), 0.5) != 5_739.50


# ---------------------------------------------------------------- BitMEX: MM at the entry notional
def test_bitmex_examples():
    # BitMEX, "Isolated and Cross Margin Examples": 10,000 USDT wallet, 20 ETHUSDT at 1,000, 50x cross,
    # "maintenance margin is 1% = 200 USDT ... liquidation and bankruptcy prices are 510 and 500"
    assert xm.cross_liq_price(10_000, "long", 20, 1_000, 1_000, 0.01, rules="bitmex") == pytest.approx(510)
    assert xm.bankruptcy_price("long", 20, 1_000, 10_000) == pytest.approx(500)
    assert xm.cross_liq_price(10_000, "long", 20, 1_000, 1_000, 0.01) == pytest.approx(505.0505, abs=1e-4)  # Binance's
    # same page, isolated: a position worth 100 XBT at 100, 4 XBT posted, "liquidation price is set to 97"
    # (read linearly, as the page does; maintenance margin 1 % of the entry value)
    assert xm.isolated_liq_price("long", 1, 100, 4, 0.01, rules="bitmex") == pytest.approx(97, abs=1e-12)


# ---------------------------------------------------------------- Hyperliquid: MMR = 1 / (2 x max leverage)
@pytest.mark.parametrize(
    "side, entry, size, collateral, max_leverage, published",
    [
        # Hyperliquid's own liquidationPrice of real positions, recorded from its API by freqtrade
        # (tests/exchange/test_hyperliquid.py, test_hyperliquid_dry_run_liquidation_price)
        ("short", 2_642.8, 0.019, 25.091876, 50, 3_924.18322043),
        ("long", 145.83, 0.33, 24.045107, 20, 74.83696193),
        ("long", 62_739.0, 0.00077, 24.137992, 50, 31_708.03843631),
    ],
)
def test_hyperliquid_positions(side, entry, size, collateral, max_leverage, published):
    lp = xm.isolated_liq_price(side, size, entry, collateral, hyperliquid_mmr(max_leverage), rules="hyperliquid")
    assert lp == pytest.approx(published, rel=1e-7)


def test_hyperliquid_maintenance_margin():
    # Hyperliquid docs, "Margining": a 10,000 USD position on a 20x asset needs 250 USD of maintenance margin
    assert xm.maint_margin(10_000 / 50, 50, hyperliquid_mmr(20)) == pytest.approx(250)


# ---------------------------------------------------------------- OKX and Gate: fee inside maintenance margin
def test_okx_margin_ratio_is_equity_over_maintenance_margin():
    # OKX help centre: margin ratio = equity / (maintenance margin + fee to close); 100 % liquidates.
    # No OKX page prints a liquidation price with numbers, so this checks the definition: at the
    # isolated liquidation price with the taker fee as close_fee_rate, OKX's ratio is exactly 1.
    taker, mmr = 0.0005, 0.004
    for contract, size in (("linear", 2.0), ("inverse", 100_000.0)):
        for side in ("long", "short"):
            margin = xm.initial_margin(size, 50_000, 20, contract)
            lp = xm.isolated_liq_price(side, size, 50_000, margin, mmr, 0, contract, taker, rules="okx")
            equity = margin + xm.unrealized_pnl(side, size, 50_000, lp, contract)
            mm_and_fee = xm.maint_margin(size, lp, mmr, 0, contract, taker)
            assert xm.margin_ratio(equity, mm_and_fee, "okx") == pytest.approx(1.0, rel=1e-12)
            assert xm.margin_ratio(equity, mm_and_fee) == pytest.approx(1.0, rel=1e-12)  # both ways round


@pytest.mark.parametrize("side", ["long", "short"])
def test_gate_formula(side):
    # Gate help centre (futures liquidation price, as quoted by Gate support): linear
    # LP = (entry - s * margin / size) / (1 - s * (MMR + taker)); Gate prints no example with numbers.
    entry, size, margin, mmr, taker = 50_000.0, 0.1, 200.0, 0.005, 0.00075
    s = 1 if side == "long" else -1
    gate = (entry - s * margin / size) / (1 - s * (mmr + taker))
    assert xm.isolated_liq_price(side, size, entry, margin, mmr, 0, "linear", taker, rules="gate") == pytest.approx(gate)
    # and its published initial margin example: 0.1 BTC at 50,000 with 25x needs 200 USDT
    assert xm.initial_margin(0.1, 50_000, 25) == pytest.approx(200)


# ---------------------------------------------------------------- mixing rule sets per row
def test_a_column_of_rule_sets():
    lps = xm.isolated_liq_price("long", 1, 10_000, 200, 0.005, rules=["binance", "bybit", "BYBIT"])
    assert lps[1] == lps[2] == pytest.approx(9_850) and lps[0] == pytest.approx(xm.isolated_liq_price("long", 1, 10_000, 200))
    with pytest.raises(xm.InputError, match=r"rules must be one of binance, bybit, bybit_uta, bitmex, okx, gate, hyperliquid, deribit, not 'ftx' \(row 2\)"):
        xm.isolated_liq_price("long", 1, 10_000, 200, rules=["binance", "ftx"])


def test_entry_valued_rules_with_tiers_use_the_tier_of_the_entry_notional():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    lp = xm.isolated_liq_price("long", 20, 50_000, 100_000, tiers, rules="bybit")  # 1,000,000 USDT: tier 3
    mm_entry = 1_000_000 * 0.0065 - 950
    assert lp == pytest.approx(50_000 + (mm_entry - 100_000) / 20)


def test_mixed_rows_equal_one_rule_set_at_a_time():
    import numpy as np

    rng = np.random.default_rng(4)
    n = 300
    side = np.where(rng.random(n) < 0.5, "long", "short")
    size, entry = rng.uniform(0.1, 30, n), rng.uniform(1_000, 90_000, n)
    margin = size * entry / rng.uniform(2, 60, n)
    names = np.array(list(xm.RULES))[rng.integers(0, len(xm.RULES), n)]
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    mixed = xm.isolated_liq_price(side, size, entry, margin, tiers, 0, "linear", 0.0005, rules=names)
    for name in xm.RULES:
        rows = names == name
        alone = xm.isolated_liq_price(side[rows], size[rows], entry[rows], margin[rows], tiers, 0, "linear", 0.0005, rules=name)
        np.testing.assert_allclose(mixed[rows], alone, rtol=1e-12, equal_nan=True)


# ---------------------------------------------------------------- hedge mode
def test_hedge_legs_move_together_as_in_binances_cross_formula():
    # Binance's cross formula with a LONG and a SHORT leg of one symbol (hedge mode), flat rates:
    # LP = (WB - TMM1 + UPNL1 + cumL + cumS - qL*EL + qS*ES) / (qL*MMRL + qS*MMRS - qL + qS)
    legs = dict(side=["long", "short"], size=[1.0, 0.5], entry_price=[50_000, 51_000], mark_price=[50_500, 50_500])
    lp = xm.cross_liq_price(5_000, **legs, mmr=[0.005, 0.004], symbol=["BTCUSDT", "BTCUSDT"])
    by_hand = (5_000 - 1.0 * 50_000 + 0.5 * 51_000) / (1.0 * 0.005 + 0.5 * 0.004 - 1.0 + 0.5)
    assert lp[0] == lp[1] == pytest.approx(by_hand)
    # each leg alone in isolated mode has its own price
    iso = xm.isolated_liq_price(legs["side"], legs["size"], legs["entry_price"], [2_500, 2_500], [0.005, 0.004])
    assert iso[0] < legs["entry_price"][0] < iso[1]


def test_hedge_with_tiers_and_another_symbol():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    side, size, entry = ["long", "short", "long"], [40.0, 15.0, 0.5], [50_000, 51_000, 50_000]
    mark = [50_500, 50_500, 49_000]
    symbol = ["BTCUSDT", "BTCUSDT", "BTCUSDT_260327"]  # a quarterly contract held at its mark
    lp = xm.cross_liq_price(300_000, side, size, entry, mark, tiers, symbol=symbol)
    at = [lp[0], lp[0], mark[2]]
    equity = xm.cross_equity(300_000, side, size, entry, at)
    assert equity == pytest.approx(xm.cross_maint_margin(size, at, tiers), rel=1e-9)  # each leg on its own tier
    assert xm.TierTable.tier_index(tiers, 40 * lp[0]) != xm.TierTable.tier_index(tiers, 15 * lp[0])


# ---------------------------------------------------------------- explain a number
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("long", 10, 50_000, 60_000, "binance_usdm_btcusdt"), {}),
        (("short", 3e6, 60_000, 5, "binance_coinm_btcusd_perp"), {"contract": "inverse"}),
        (("long", 1, 10_000, 200), {"rules": "bybit"}),
    ],
)
def test_explanation_adds_up(args, kwargs):
    table = xm.explain_liq_price(*args, **kwargs).set_index("item")["value"]
    assert table["liq_price"] == xm.isolated_liq_price(*args, **kwargs)
    assert table["margin + uPnL - MM"] == pytest.approx(0, abs=1e-9 * args[1] * args[2])
    assert str(table["formula"]).startswith(("P = ", "1/P = "))
    if len(args) > 4:
        assert "(at the liquidation price)" in table["tier"]


def test_explanation_is_one_position_at_a_time():
    with pytest.raises(xm.InputError, match="one position is explained at a time"):
        xm.explain_liq_price("long", [1, 2], 50_000, 100)


# ---------------------------------------------------------------- collateral with haircuts
def test_collateral_in_the_positions_own_asset_moves_with_its_price():
    # 1 BTC of collateral at a 5 % haircut (k = 0.95) and no USDT behind a 1 BTC long from 50,000:
    # equity(P) = 0.95 P + (P - 50,000) = MM(P) = 0.005 P  ->  P = 50,000 / 1.945
    lp = xm.cross_liq_price(0, "long", 1, 50_000, 50_000, 0.005, collateral=0.95)
    assert lp == pytest.approx(50_000 / (1 + 0.95 - 0.005))
    # the same collateral as a fixed balance (valued at 50,000) would hold out much longer
    fixed = xm.cross_liq_price(xm.collateral_value(1, 50_000, 0.05), "long", 1, 50_000, 50_000, 0.005)
    assert fixed < lp
    # with another position: its collateral at its mark, both equations balance at the price
    lp2 = xm.cross_liq_price(1_000, ["long", "short"], [1, 10], [50_000, 2_500], [50_000, 2_400], [0.005, 0.01],
                             collateral=[0.95, 0.0])
    equity = 1_000 + 0.95 * lp2[0] + (lp2[0] - 50_000) + 10 * (2_500 - 2_400)
    assert equity == pytest.approx(lp2[0] * 0.005 + 10 * 2_400 * 0.01)


def test_collateral_of_an_inverse_account_is_quote_worth_one_over_the_price_in_coin():
    """An inverse (coin-margined) account's collateral is in the quote asset: worth collateral / P coins.

    By hand: 10,000 USD long from 50,000, 0.05 BTC wallet, 1,000 USDT of collateral after its haircut:
    0.05 + 10,000 (1/50,000 - 1/P) + 1,000/P = 10,000 * 0.005 / P, so P = (10,000 * 1.005 - 1,000) / (0.05 + 0.2) = 36,200.
    """
    lp = xm.cross_liq_price(0.05, "long", 10_000, 50_000, 50_000, 0.005, 0, "inverse", collateral=1_000)
    assert lp == pytest.approx(36_200.0, rel=1e-12)
    without = xm.cross_liq_price(0.05, "long", 10_000, 50_000, 50_000, 0.005, 0, "inverse")
    assert without == pytest.approx(10_050 / 0.25, rel=1e-12)  # 40,200: the collateral holds it up


def test_collateral_value_of_several_coins():
    values = xm.collateral_value([1.0, 20.0, 5_000.0], [50_000, 2_500, 1.0], [0.05, 0.1, 0.0])
    assert values.sum() == pytest.approx(47_500 + 45_000 + 5_000)


def test_bybit_unified_account_current_rules():
    # Bybit "Trading Rules: Liquidation Process (Unified Trading Account)" (example as transcribed from the
    # page): long 1 BTC at 40,000, 50x, 3,000 USDT extra margin, MMR 0.5 %, taker 0.055 %:
    # fee to close 21.56, IM 821.56, MM 221.56, "Liquidation Price = 36,380.25"
    fee_to_close = 40_000 * (1 - 1 / 50) * 0.00055
    assert round(fee_to_close, 2) == 21.56
    margin = 800 + fee_to_close + 3_000
    lp = xm.isolated_liq_price("long", 1, 40_000, margin, 0.005, 0, "linear", 0.00055, rules="bybit_uta")
    assert round(lp, 2) == 36_380.25
    # without extra margin it is Binance's price for the initial margin alone (the page says so)
    no_extra = xm.isolated_liq_price("long", 1, 40_000, 800 + fee_to_close, 0.005, 0, "linear", 0.00055, rules="bybit_uta")
    assert no_extra == pytest.approx(xm.isolated_liq_price("long", 1, 40_000, 800, 0.005), rel=1e-12)


def test_flat_and_tiered_paths_agree_for_every_rule_set():
    one_tier = xm.TierTable.from_rows([["notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"],
                                       [0, None, 100, 0.005, 0]])
    for name in xm.RULES:
        for args in (("long", 1, 40_000, 3_821.56), ("short", 2, 30_000, 5_000.0)):
            flat = xm.isolated_liq_price(*args, 0.005, 0, "linear", 0.00055, rules=name)
            tiered = xm.isolated_liq_price(*args, one_tier, 0, "linear", 0.00055, rules=name)
            assert tiered == pytest.approx(flat, rel=1e-12), name


# ---------------------------------------------------------------- to the tick: what the exchange's screen shows
from xlmargin.core.rules import price_on_screen  # noqa: E402


@pytest.mark.parametrize(
    "source, args, tick, shown",
    [
        # Gate's own liquidation prices of live positions, as its API returned them (taker 0.075 %):
        # APT_USDT isolated short, recorded in freqtrade issue #8300
        ("gate-apt-short", ("short", 11.9, 11.515, 17.39155324375, 0.025, 0, "linear"), 0.01, 12.65),
        # ADA_USDT isolated long, recorded in ccxt PR #13130
        ("gate-ada-long", ("long", 20, 0.79271, 0.80460065, 0.025, 0, "linear"), 0.00001, 0.77237),
        # BTC_USD (BTC-settled) isolated short, recorded in ccxt PR #11143
        ("gate-btcusd-inverse-short", ("short", 219, 42037.83, 0.000056003122, 0.005, 0, "inverse"), 0.1, 42250.3),
    ],
)
def test_gate_live_positions(source, args, tick, shown):
    lp = xm.isolated_liq_price(*args, 0.00075, rules="gate")
    assert price_on_screen(lp, args[0], tick, "gate") == pytest.approx(shown, abs=tick / 100)


@pytest.mark.parametrize(
    "source, args, fee, tick, shown",
    [
        # OKX's liqPx of live isolated swap positions, as its v5 API returned them in payloads recorded in
        # public client code (mmr from the payload's mmr field; fee the account's taker rate)
        ("okx-eth-long", ("long", 0.1, 3011, 30.11, 0.004, 0, "linear"), 0.0005, 0.01, 2722.159673530889),
        ("okx-eth-short", ("short", 0.1, 1333, 8.33125, 0.004, 0, "linear"), 0.0005, 0.01, 1409.9576455948234),
        ("okx-ada-short", ("short", 10, 0.736, 2.453333, 0.0065, 0, "linear"), 0.0005, 0.0001, 0.9744117510758028),
        ("okx-btcusd-inverse-long", ("long", 100, 93511.7, 0.0002138769800998, 0.004, 0, "inverse"), 0.0003, 0.1,
         78261.60025833434),
    ],
)
def test_okx_live_positions(source, args, fee, tick, shown):
    lp = xm.isolated_liq_price(*args, fee, rules="okx")
    assert price_on_screen(lp, args[0], tick, "okx") == pytest.approx(shown, abs=tick / 1_000)  # the payloads round margins


def test_screens_of_the_other_exchanges():
    assert price_on_screen(33_599.4186, "long", 0.1) == 33_599.4  # Binance's calculator cuts
    assert price_on_screen(5_739.0835, "long", 0.5, "bybit") == 5_739.5  # Bybit rounds a long up
    assert price_on_screen(913.10, "short", 0.05, "bybit") == pytest.approx(913.10)
    assert price_on_screen([100.123, 200.987], "long", 0.01, ["bitmex", "hyperliquid"]).tolist() == [100.123, 200.987]


# Deribit: margin rates that grow with the position's size in coin (xlmargin.core.schedules).
# Source: Deribit, "Linear Perpetual" (support.deribit.com, article 25944738177565): BTC_USDC at 100,000
# and SOL_USDC at 200; the inverse futures page ("Futures", deribit.com/pages/docs/futures): 25 and 350 BTC.
@pytest.mark.parametrize(
    "schedule, size, price, contract, kind, published",
    [
        ("deribit_btc", 25, 100_000, "linear", "initial", 53_125),  # 2% + 25 * 0.005% = 2.125%
        ("deribit_btc", 350, 100_000, "linear", "initial", 1_312_500),  # 3.75%: 13.125 BTC
        ("deribit_btc", 25, 100_000, "linear", "maintenance", 28_125),  # 1.125%: 0.28125 BTC
        ("deribit_sol_usdc", 25, 200, "linear", "initial", 200.625),  # 4.0125%
        ("deribit_sol_usdc", 6_000, 200, "linear", "initial", 84_000),  # 7%
        ("deribit_sol_usdc", 25, 200, "linear", "maintenance", 100.625),  # 2.0125%
        ("deribit_btc", 2_500_000, 100_000, "inverse", "initial", 0.53125),  # 25 BTC of 10-USD contracts
        ("deribit_btc", 35_000_000, 100_000, "inverse", "initial", 13.125),  # 350 BTC
    ],
)
def test_deribit_margins_are_the_published_ones(schedule, size, price, contract, kind, published):
    assert xm.SCHEDULES[schedule].margin(size, price, contract, kind) == pytest.approx(published, rel=1e-12)
    if kind == "maintenance":  # the same through the formulas, with the schedule as the rate
        assert xm.maint_margin(size, price, schedule, 0, contract) == pytest.approx(published, rel=1e-12)


@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize("contract, size, margin", [("inverse", 2_500_000, 2.5), ("linear", 25, 250_000)])
def test_deribit_liquidation_price_balances_margin_and_the_size_scaled_maintenance_margin(side, contract, size, margin):
    """At the price, margin + uPnL = N * (1% + 0.005% * N) with N the size in coin there (a quadratic for inverse)."""
    lp = xm.isolated_liq_price(side, size, 100_000, margin, "deribit_btc", 0, contract, rules="deribit")
    coins = size / lp if contract == "inverse" else size
    mm = coins * (0.01 + 0.00005 * coins) * (1 if contract == "inverse" else lp)
    pnl = xm.unrealized_pnl(side, size, 100_000, lp, contract)
    assert margin + pnl == pytest.approx(mm, rel=1e-10)
    assert (lp < 100_000) == (side == "long")
    # the schedule alone, as rules="binance" would take it: the rule set changes nothing else
    assert lp == xm.isolated_liq_price(side, size, 100_000, margin, "deribit_btc", 0, contract)
