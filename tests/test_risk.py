"""The risk review's figures are the core's, account by account and scenario by scenario."""

import numpy as np
import pytest

import xlmargin as xm
from xlmargin.review import evaluate, sample_book
from xlmargin.review.state import asset_of


@pytest.fixture
def result(sample_review):  # conftest.py: one review of the sample book per run
    return sample_review


def rows_of(result, account):
    return result.positions[result.positions["account"] == account]


def test_w3_account_matches_the_worked_example(result):
    p = rows_of(result, "two-longs")  # W3 in cross with BTC at 51,000 and ETH at 2,200
    assert p["liq_price"].iloc[1] == pytest.approx(xm.cross_liq_price(500, ["long"] * 2, [0.04, 0.8], [50_000, 2_500], [51_000, 2_200])[1])
    a = result.accounts.set_index("account").loc["two-longs"]
    assert a["equity"] == pytest.approx(300) and a["cross_maint_margin"] == pytest.approx(19)


def test_isolated_and_tiered_positions_match_the_core(result):
    desk = rows_of(result, "desk")
    iso = desk[desk["margin_mode"] == "isolated"].iloc[0]
    assert iso["liq_price"] == pytest.approx(xm.isolated_liq_price("long", 10, 50_000, 60_000, "binance_usdm_btcusdt"))
    assert iso["bankruptcy_price"] == pytest.approx(xm.bankruptcy_price("long", 10, 50_000, 60_000))
    assert iso["maint_margin"] == pytest.approx(xm.maint_margin(10, 51_000, "binance_usdm_btcusdt"))
    # the cross part of the desk: wallet less the isolated margin backs the two cross positions
    cross = desk[desk["margin_mode"] == "cross"]
    expected = [
        xm.cross_liq_price(250_000 - 60_000, ["short"], [100], [2_500], [2_450], "binance_usdm_ethusdt")[0],
    ]
    # with tiers per position, check the ETH short by hand: the BTC short held at mark
    btc_mm = xm.maint_margin(2, 51_000, "binance_usdm_btcusdt")
    btc_pnl = xm.unrealized_pnl("short", 2, 52_000, 51_000)
    eth = xm.isolated_liq_price("short", 100, 2_500, 250_000 - 60_000 + btc_pnl - btc_mm, "binance_usdm_ethusdt")
    assert cross.iloc[0]["liq_price"] == pytest.approx(eth)
    assert expected[0] != eth  # the other position's PnL and margin matter
    coin = rows_of(result, "coin-m").iloc[0]
    assert coin["liq_price"] == pytest.approx(
        xm.isolated_liq_price("long", 3e6, 60_000, 5, "binance_coinm_btcusd_perp", contract="inverse")
    )


def test_accounts_and_distance(result):
    a = result.accounts.set_index("account")
    assert a.loc["small-iso", "max_loss_isolated"] == pytest.approx(400)
    assert np.isnan(a.loc["small-iso", "margin_ratio"])  # no cross position
    p = result.positions
    move = xm.distance_to_liq(p["mark_price"], p["liq_price"]) * 100  # the core's signed move
    np.testing.assert_allclose(p["move_to_liq_pct"], move)
    side = np.where(p["side"] == "long", 1, -1)
    plain = p["account"] != "btc-collateral"  # its BTC collateral moves with the BTC long: exposure, not side, decides
    np.testing.assert_allclose(p["distance_to_liq_pct"][plain], (-side * move)[plain])
    assert (p.loc[p["side"] == "long", "move_to_liq_pct"] < 0).all() and (p.loc[p["side"] == "short", "move_to_liq_pct"] > 0).all()


def test_stress_scenarios_agree_with_liquidation_prices(result):
    stress = result.stress.set_index(["settlement_asset", "scope", "shock_pct"])
    assert stress.loc[("USDT", "all", 0), "loss_actual"] == 0
    # a 10 % fall of BTC takes the small isolated BTC long (liquidated at 47,738.69 from 51,000 = -6.4 %)
    btc_long_iso = result.positions.query("account == 'small-iso' and symbol == 'BTCUSDT'").iloc[0]
    assert btc_long_iso["liq_price"] / btc_long_iso["mark_price"] - 1 > -0.10
    assert stress.loc[("USDT", "BTC", -10), "positions_liquidated"] >= 1
    assert stress.loc[("USDT", "BTC", -10), "loss_actual"] > 0


def test_cascade_orders_losses_as_prices_fall(result):
    c = result.cascade
    two = c[(c["account"] == "two-longs") & (c["direction"] == "falling")]
    assert set(two["margin_mode"]) == {"cross"} and two["lost_at_move_pct"].nunique() == 1  # cross: all at once
    iso = c[(c["account"] == "small-iso") & (c["direction"] == "falling")]
    assert iso["lost_at_move_pct"].iloc[0] == pytest.approx((47_738.693467 / 51_000 - 1) * 100, abs=1e-4)


@pytest.mark.parametrize("symbol, asset", [("BTCUSDT", "BTC"), ("BTCUSD_PERP", "BTC"), ("ETH-USDT-SWAP", "ETH"), ("SOL/USDC", "SOL")])
def test_asset_of(symbol, asset):
    assert asset_of(symbol) == asset


def test_a_rules_column_mixes_exchanges_in_one_book():
    from xlmargin.review import Book, BookError, check_book

    book = sample_book()
    positions = book.positions.astype(object).where(book.positions.notna(), "").astype(str)
    positions["rules"] = ["bybit" if a == "small-iso" else "" for a in book.positions["account"]]
    p, a, t = check_book(positions, book.accounts.astype(str))
    result = evaluate(Book(p, a, t))
    small = result.positions.query("account == 'small-iso' and symbol == 'BTCUSDT'").iloc[0]
    assert small["liq_price"] == pytest.approx(xm.isolated_liq_price("long", 0.1, 50_000, 250, rules="bybit"))
    other = result.positions.query("account == 'desk'").iloc[0]
    assert other["liq_price"] == pytest.approx(xm.isolated_liq_price("long", 10, 50_000, 60_000, "binance_usdm_btcusdt"))
    positions.loc[0, "rules"] = "ftx"
    with pytest.raises(BookError, match=r"column 'rules' must be one of binance, bybit, .* in rows 2"):
        check_book(positions, book.accounts.astype(str))
