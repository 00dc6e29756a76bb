"""Exchanges' own published worked examples, reproduced with their numbers.

Each vector cites its source page (as found through the project's search tool)
and the figure the page prints; the test rounds as the page does. Examples that
follow another exchange convention (margin valued at entry, fee to close at the
bankruptcy price) belong to the exchange rule sets, not to these defaults.
"""

import math

import pytest

import xlmargin as xm

BINANCE_COINM = xm.TierTable.load("binance_coinm_btcusd_perp")
BINANCE_USDM_2023 = xm.TierTable.load("binance_usdm_btcusdt_2023-11")


def floor_to_tick(price, tick):
    return math.floor(price / tick + 1e-9) * tick


# ---------------------------------------------------------------- linear, isolated
@pytest.mark.parametrize(
    "source, value, published, decimals",
    [
        # Phemex help center, "liq-price-for-USDTM": long 500 units at 0.4, 5x (margin 40), MMR 1 %:
        # "(200-40.096-0)/(0.9994-0.01)/500=0.3232..."
        ("phemex-usdtm-isolated-long", xm.isolated_liq_price("long", 500, 0.4, 40, 0.01), 0.3232, 4),
        # Bybit help center, "Bankruptcy Price (USDT Contract)": long 1 BTC at 10,000, 50x (margin 200):
        # "10,000 x (1 - 2%) = 9,800 USDT"
        ("bybit-usdt-bankruptcy-long", xm.bankruptcy_price("long", 1, 10_000, 200), 9_800, 6),
        # Bybit help center, "Maintenance Margin (USDT Contract)": 1 BTC at 10,000, MMR 0.5 %: 50 USDT
        ("bybit-usdt-maint-margin", xm.maint_margin(1, 10_000, 0.005), 50, 6),
        # Binance FAQ b3c689c1f50a44cabb3a84e663b81d93 ("How to Calculate Liquidation Price of USDⓈ-M
        # Futures Contracts"): a 264,000 USDT BTCUSDT position is in the 1 % tier, maintenance amount
        # 250,000 x (1 % - 0.5 %) + 50 = 1,300 USDT -> MM = 264,000 x 1 % - 1,300
        ("binance-usdm-tier-3", xm.maint_margin(1, 264_000, BINANCE_USDM_2023), 264_000 * 0.01 - 1_300, 6),
    ],
)
def test_linear_isolated(source, value, published, decimals):
    assert round(value, decimals) == pytest.approx(published, abs=10**-decimals / 2)


# ---------------------------------------------------------------- linear, cross
# Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, worked example (one-way mode, cross, both long):
# WB 1,535,443.01; ETHUSDT 3,683.979 at 1,456.84 (mark 1,335.18, MMR 10 %, cum 135,365);
# BTCUSDT 109.488 at 32,481.98 (mark 31,967.27, MMR 2.5 %, cum 16,300).
# Published: LP(ETHUSDT) 1,153.26, LP(BTCUSDT) 26,316.89, TMM1 71,200.81144, UPNL1 -56,354.57.
# (The numbers are also the "calc example" of freqtrade's test_liquidation_price_binance.)
BINANCE_CROSS = dict(
    wallet_balance=1_535_443.01,
    side=["long", "long"],
    size=[3_683.979, 109.488],
    entry_price=[1_456.84, 32_481.98],
    mark_price=[1_335.18, 31_967.27],
    mmr=[0.10, 0.025],
    maint_amount=[135_365.0, 16_300.0],
)


def test_binance_cross_two_positions():
    lp = xm.cross_liq_price(**BINANCE_CROSS)
    assert round(lp[0], 2) == 1_153.26
    assert round(lp[1], 2) == 26_316.89


def test_binance_cross_intermediate_values():
    args = BINANCE_CROSS
    btc_mm = xm.maint_margin(args["size"][1], args["mark_price"][1], 0.025, 16_300)
    btc_pnl = xm.unrealized_pnl("long", args["size"][1], args["entry_price"][1], args["mark_price"][1])
    assert btc_mm == pytest.approx(71_200.81144, abs=1e-5)  # TMM1
    assert round(btc_pnl, 2) == -56_354.57  # UPNL1


@pytest.mark.parametrize(
    "source, value, published, decimals",
    [
        # Binance FAQ 25edcd7fe0e544839d0847b8cbb2e400: wallet 500 USDT, long BTCUSDT worth 1,000 USDT at
        # 50,000 (0.02 BTC), tier 1 (0.4 %): "your liquidation price will be $25,100.40"
        ("binance-cross-single-long", xm.cross_liq_price(500, "long", 0.02, 50_000, 50_000, 0.004), 25_100.40, 2),
        # the same with Binance's BTCUSDT table of the time instead of the rate
        ("binance-cross-single-long-tiers", xm.cross_liq_price(500, "long", 0.02, 50_000, 50_000, BINANCE_USDM_2023), 25_100.40, 2),
        # BitMEX "Isolated and Cross Margin Examples": 10,000 USDT wallet, 20 ETHUSDT long at 1,000,
        # cross: "bankruptcy prices are ... 500"
        ("bitmex-cross-bankruptcy", xm.bankruptcy_price("long", 20, 1_000, 10_000), 500, 6),
    ],
)
def test_linear_cross(source, value, published, decimals):
    assert round(float(value), decimals) == pytest.approx(published, abs=10**-decimals / 2)


# ---------------------------------------------------------------- inverse, isolated
@pytest.mark.parametrize(
    "source, value, published, decimals",
    [
        # Kraken support, "Equity Protection Process": long 1,000 Bitcoin-Dollar contracts (1 USD) at 8,000
        # with 0.01 BTC margin, maintenance 1 %: "liquidated is 7481", liquidation order "at 7407"
        ("kraken-inverse-liq", xm.isolated_liq_price("long", 1_000, 8_000, 0.01, 0.01, 0, "inverse"), 7_481, 0),
        ("kraken-inverse-bankruptcy", xm.bankruptcy_price("long", 1_000, 8_000, 0.01, "inverse"), 7_407, 0),
        # Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46 ("How to Calculate Liquidation Price of Coin-M Futures
        # Contracts"): 100 contracts of 100 USD at mark 25,000, MMR 0.4 %: "0.0016 BTC"
        ("binance-coinm-maint-margin", xm.maint_margin(10_000, 25_000, 0.004, 0, "inverse"), 0.0016, 10),
        # the same FAQ: a 300 BTC position is in the 12.5 % tier with maintenance amount 11.605 BTC
        ("binance-coinm-tier", xm.maint_margin(300 * 30_000, 30_000, BINANCE_COINM, contract="inverse"), 300 * 0.125 - 11.605, 9),
    ],
)
def test_inverse_isolated(source, value, published, decimals):
    assert round(value, decimals) == pytest.approx(published, abs=10**-decimals / 2)


# ---------------------------------------------------------------- inverse, cross
def test_binance_coinm_calculator_cross_long_with_tiers():
    # Binance developer forum thread "Coin-Margined Futures Liquidation Price Calculation Help - CM
    # variable" (dev.binance.vision/t/.../6292), quoting Binance's calculator: wallet 101 BTC, long
    # 100,000 BTCUSD contracts (10,000,000 USD) at 45,000: "calculating the Liquidation Price as
    # $33,599.40". Binance shows prices cut to the 0.1 tick.
    lp = xm.cross_liq_price(101, "long", 10_000_000, 45_000, 45_000, BINANCE_COINM, contract="inverse")
    assert floor_to_tick(lp, 0.1) == pytest.approx(33_599.4)
    # the tier is the one of the notional at the liquidation price (~297.6 BTC: 12.5 %, 11.605 BTC)
    assert BINANCE_COINM.tier_index(10_000_000 / lp) == 6
    assert lp == pytest.approx(1e7 * 1.125 / (101 + 11.605 + 1e7 / 45_000), rel=1e-12)


@pytest.mark.parametrize(
    "source, value, published, decimals",
    [
        # Kraken "Equity Protection Process" (above): the position is alone in its margin account
        ("kraken-account-liq", xm.cross_liq_price(0.01, "long", 1_000, 8_000, 8_000, 0.01, 0, "inverse"), 7_481, 0),
        # Bybit help center, "How to calculate Liquidation Price (Inverse Contract)": 0.5 BTC balance,
        # long 10,000 contracts at 8,000 in cross; the bankruptcy price counts the 0.075 % fee to close:
        # "Bankruptcy Price = 1.00075x10000/(10000/8000 + (0.5-0)) = 5718.57"
        ("bybit-inverse-cross-bankruptcy", xm.bankruptcy_price("long", 10_000, 8_000, 0.5, "inverse", 0.00075), 5_718.57, 2),
    ],
)
def test_inverse_cross(source, value, published, decimals):
    assert round(float(value), decimals) == pytest.approx(published, abs=10**-decimals / 2)


def test_binance_cross_example_explained_step_by_step():
    # the same Binance FAQ example, as a reviewer would audit it: UPNL1 and TMM1 are printed on the page
    table = xm.explain_cross_liq_price(**BINANCE_CROSS, position=1).set_index("item")["value"]
    assert round(table["other positions' uPnL (UPNL1)"], 2) == -56_354.57
    assert table["other positions' MM (TMM1)"] == pytest.approx(71_200.81144, abs=1e-5)
    assert round(table["liq_price"], 2) == 1_153.26
    assert table["margin + uPnL - MM"] == pytest.approx(0, abs=1e-6)


def test_maint_margin_explained():
    table = xm.explain_maint_margin(300 * 30_000, 30_000, BINANCE_COINM, contract="inverse").set_index("item")["value"]
    assert table["notional"] == pytest.approx(300) and table["maint_amount"] == pytest.approx(11.605)
    assert table["maint_margin"] == pytest.approx(300 * 0.125 - 11.605)
