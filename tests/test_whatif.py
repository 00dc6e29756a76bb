"""What-if trades, entry ladders, break-even, funding drift and margin that can come out (issue #16).

Sources: published examples where they exist (Bybit's add-margin / add-to-position walk-through,
a fee-inclusive break-even worked example, Binance's and BitMEX's published rules for margin that
can come out, evaluated by hand here), the SPEC's W2/W3/W6, hand calculations written out in
each test, and hypothesis invariants.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xlmargin as xm

sides = st.sampled_from(["long", "short"])
contracts = st.sampled_from(["linear", "inverse"])
modes = st.sampled_from(["cross", "isolated"])
rule_sets = st.sampled_from(sorted(xm.RULES))


# ---------------------------------------------------------------- published examples

def test_bybit_add_margin_then_add_to_the_position():
    """Bybit FAQ "How to increase/decrease position margin" (USDT contracts), situations 2 and 3.

    A 1 BTC long from 10,000 liquidates at 9,500; 1,000 USDT added moves it to 8,500; another
    1 BTC at 10,000 brings the position to 2 BTC and the liquidation price to 9,000; a partial
    close releases the added margin in proportion and leaves the liquidation price unchanged.
    Bybit's example leaves maintenance margin out (mmr 0); 9,500 means 500 USDT of margin (20x).
    """
    base = xm.isolated_liq_price("long", 1, 10_000, 500, 0.0, rules="bybit")
    topped = xm.isolated_liq_price("long", 1, 10_000, 1_500, 0.0, rules="bybit")
    added = xm.what_if(0, "long", 1, 10_000, 10_000, "long", 1, 10_000, 20, 1_500, "isolated", 0.0, rules="bybit")
    assert (base, topped) == (9_500.0, 8_500.0)
    assert added["liq_price_after"].iloc[0] == pytest.approx(9_000.0, abs=1e-9)
    assert added["initial_margin"].iloc[0] == pytest.approx(500.0)  # the new BTC's 20x margin joins the position
    closed = xm.what_if(1_000, "long", 2, 10_000, 10_000, "short", 0.5, 10_000, 20, 2_000, "isolated", 0.0, rules="bybit")
    assert closed["liq_price_after"].iloc[0] == pytest.approx(9_000.0, abs=1e-9)
    assert closed["available_after"].iloc[0] == pytest.approx(1_000 + 2_000 * 0.25)  # a quarter of the margin is released


def test_break_even_with_fees_published_example():
    """tradingcalc.io's worked example (Binance taker fees both ways): 65,000 x 1.0005 / 0.9995 = 65,065.03."""
    assert round(xm.break_even_price("long", 1, 65_000, 0.0005, 0.0005), 2) == 65_065.03
    # the same page's short formula: entry x (1 - open fee) / (1 + close fee)
    assert xm.break_even_price("short", 1, 65_000, 0.0005, 0.0005) == pytest.approx(65_000 * 0.9995 / 1.0005)


def test_binance_removable_margin_rule_by_hand():
    """Binance FAQ 360038447311: max(0, min(isolatedWalletBalance - MM, isolatedWalletBalance + size*(mark - entry) - mark*|size|*IMR))."""
    # 0.1 BTC long from 50,000, now 52,000, 400 USDT margin, 20x (IMR 5 %), mmr 0.5 %
    mm = 0.1 * 52_000 * 0.005  # 26
    by_hand = max(0.0, min(400 - mm, 400 + 0.1 * (52_000 - 50_000) - 52_000 * 0.1 * 0.05))  # min(374, 340) = 340
    assert xm.removable_margin("long", 0.1, 50_000, 52_000, 400, 20) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(340.0)
    # COIN-M: isolatedWalletBalance + size*cs*(1/entry - 1/mark) - |size|*cs*IMR/mark, with 100 contracts of 100 USD
    coin = 0.05 + 10_000 * (1 / 40_000 - 1 / 38_000) - 10_000 * 0.1 / 38_000
    coin = max(0.0, min(0.05 - 10_000 / 38_000 * 0.005, coin))
    assert xm.removable_margin("long", 10_000, 40_000, 38_000, 0.05, 10, contract="inverse") == pytest.approx(coin)


def test_binance_cross_withdrawal_rule_by_hand():
    """Binance FAQ 360038447311 (cross): min(wallet - cross MM, wallet + cross uPnL - cross IM), no open orders."""
    # W3 at BTC 51,000, ETH 2,500 (ETH flat): uPnL 40, MM 0.04*51,000*0.005 + 0.8*2,500*0.005 = 10.2 + 10
    # and at 20x the initial margin at the marks is (2,040 + 2,000) / 20 = 202
    upnl, mm, im = 40.0, 20.2, (0.04 * 51_000 + 0.8 * 2_500) / 20
    by_hand = max(0.0, min(500 - mm, 500 + upnl - im))
    got = xm.withdrawable_balance(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500], 20)
    assert got == pytest.approx(by_hand)
    assert by_hand == pytest.approx(338.0)  # min(479.8, 338)
    # at 5x the initial margin (808) is more than the equity (540): nothing
    assert xm.withdrawable_balance(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500], 5) == 0.0


def test_bitmex_withdrawable_keeps_unrealized_profit_in():
    """BitMEX "Margin Terms Definitions": withdrawable = max(0, min(wallet, wallet + uPnL - entry value / leverage))."""
    # 1 BTC long from 50,000 at 10x, now 60,000, wallet 20,000: min(20,000, 20,000 + 10,000 - 5,000) = 20,000
    assert xm.withdrawable_balance(20_000, "long", 1, 50_000, 60_000, 10, rules="bitmex") == pytest.approx(20_000)
    # Binance would let the profit out, down to the initial margin at the mark (6,000) and above MM (300)
    assert xm.withdrawable_balance(20_000, "long", 1, 50_000, 60_000, 10) == pytest.approx(min(20_000 - 300, 30_000 - 6_000))
    # at a loss both take it from the wallet: 20,000 - 5,000 - 5,000 (BitMEX, entry value) vs - 4,500 (Binance, mark)
    assert xm.withdrawable_balance(20_000, "long", 1, 50_000, 45_000, 10, rules="bitmex") == pytest.approx(10_000)
    assert xm.withdrawable_balance(20_000, "long", 1, 50_000, 45_000, 10) == pytest.approx(10_500)


def test_hyperliquid_keeps_a_tenth_of_the_notional():
    """Hyperliquid "Margining": margin may leave while what stays is at least max(initial margin, 10 % of notional)."""
    # 1 ETH at 2,000, 20x (IM 100), 500 margin: keeps max(100, 200) = 200, so 300 can go
    assert xm.removable_margin("long", 1, 2_000, 2_000, 500, 20, rules="hyperliquid") == pytest.approx(300)
    assert xm.removable_margin("long", 1, 2_000, 2_000, 500, 5, rules="hyperliquid") == pytest.approx(100)  # IM 400


# ---------------------------------------------------------------- the worked examples, by hand

def test_w6_funding_drift_and_the_top_up_taken_back():
    """SPEC W6: with 350 USDT (250 + 100 added), 90 intervals of 0.01 % take 45 USDT: 46,733.67 -> 47,185.93."""
    drift = xm.funding_drift("long", 0.1, 50_000, 50_000, 350, 0.0001, 90, start_time="2026-12-01 00:00")
    assert round(drift["liq_price"].iloc[0], 2) == 46_733.67
    assert round(drift["liq_price"].iloc[-1], 2) == 47_185.93
    assert drift["funding"].iloc[1:].eq(-0.5).all() and drift["margin"].iloc[-1] == pytest.approx(305.0)
    assert drift["time"].iloc[-1] == pd.Timestamp("2026-12-31 00:00")  # 90 x 8 h
    assert round(xm.liq_price_after_removal("long", 0.1, 50_000, 350, 100), 2) == 47_738.69
    assert xm.removable_margin("long", 0.1, 50_000, 50_000, 350, 20) == pytest.approx(100.0)


def test_w6_in_cross_funding_comes_from_the_wallet():
    """W6 in cross: 1,000 USDT behind the long pays the same 0.5 an interval; the liquidation price follows the wallet."""
    drift = xm.funding_drift("long", 0.1, 50_000, 50_000, 1_000, 0.0001, 10, margin_mode="cross")
    wallet = 1_000 - 0.5 * 10
    assert drift["liq_price"].iloc[-1] == pytest.approx(xm.cross_liq_price(wallet, "long", 0.1, 50_000, 50_000))


def test_funding_schedule_per_interval_and_the_liquidation_interval():
    """Hand calculation: 0.1 BTC long, 60 USDT margin at 50,000 (MM 25, buffer 35); rates 0.2 %, 0.3 %, 0.2 %
    cost 10, 15, 10: the buffer is 25, 10, then 0 (at maintenance: liquidated) after the third."""
    assert xm.funding_liq_interval("long", 0.1, 50_000, 50_000, 60, [0.002, 0.003, 0.002]) == 3.0
    assert math.isnan(xm.funding_liq_interval("long", 0.1, 50_000, 50_000, 60, [0.002, 0.003]))
    assert xm.funding_liq_interval("long", 0.1, 50_000, 50_000, 60, 0.002, 10) == 4.0  # 35 / 10 = 3.5 -> the 4th
    # a short receives a positive rate: never liquidated by it
    assert math.isnan(xm.funding_liq_interval("short", 0.1, 50_000, 50_000, 60, 0.001, 1_000))


def test_w3_what_if_closing_eth_at_2200_realizes_the_loss_in_cross():
    """W3 cross at BTC 51,000, ETH 2,200: closing the ETH long realizes -240; equity stays 300, BTC's price falls."""
    t = xm.what_if(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200],
                   ["long", "short"], [0, 0.8], [51_000, 2_200], 10)
    assert t["realized_pnl"].tolist() == pytest.approx([0.0, -240.0])
    assert t["equity_before"].iloc[0] == pytest.approx(300.0) and t["equity_after"].iloc[0] == pytest.approx(300.0)
    # BTC alone on a 260 wallet: LP = (260 - 0.04*50,000) / (0.04*0.005 - 0.04)
    assert t["liq_price_after"].iloc[0] == pytest.approx((260 - 2_000) / (0.04 * 0.005 - 0.04))
    assert math.isnan(t["liq_price_after"].iloc[1]) and t["side_after"].iloc[1] == ""
    assert t["maint_margin_after"].iloc[0] == pytest.approx(0.04 * 51_000 * 0.005)


def test_what_if_flip_and_open_a_new_position_with_fees():
    """A short of 0.3 against a 0.1 long closes it and opens 0.2 short at the trade price; fees by hand."""
    t = xm.what_if(1_000, ["long", "long"], [0.1, 0], [50_000, 3_000], [50_000, 3_000], ["short", "long"], [0.3, 1.0],
                   [51_000, 3_000], [10, 5], trade_fee_rate=0.0005)
    assert t["side_after"].tolist() == ["short", "long"]
    assert t["size_after"].tolist() == pytest.approx([0.2, 1.0])
    assert t["entry_price_after"].tolist() == pytest.approx([51_000, 3_000])
    assert t["realized_pnl"].tolist() == pytest.approx([100.0, 0.0])
    assert t["fee"].tolist() == pytest.approx([0.3 * 51_000 * 0.0005, 3_000 * 0.0005])
    assert t["initial_margin"].tolist() == pytest.approx([0.2 * 51_000 / 10, 600.0])


def test_what_if_can_open_checks_the_available_balance_and_the_tier_cap():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    # 1,000 USDT at 100x opens 100,000 of notional by margin, but 100x stops at 600,000 in tier 2: fine
    fine = xm.what_if(1_000, "long", 0, 50_000, 50_000, "long", 2, 50_000, 100, mmr=tiers)
    assert fine["can_open"].iloc[0]
    # 125x is only allowed to 50,000 of notional: 2 BTC (100,000) is refused though the margin (800) fits
    capped = xm.what_if(1_000, "long", 0, 50_000, 50_000, "long", 2, 50_000, 125, mmr=tiers)
    assert not capped["can_open"].iloc[0]
    short_of_margin = xm.what_if(100, "long", 0, 50_000, 50_000, "long", 2, 50_000, 100, mmr=tiers)
    assert not short_of_margin["can_open"].iloc[0]
    # largest still possible at 125x after 0.5 BTC (25,000): 25,000 more by the tier cap
    room = xm.what_if(10_000, "long", 0, 50_000, 50_000, "long", 0.5, 50_000, 125, mmr=tiers)
    assert room["max_size_after"].iloc[0] == pytest.approx(0.5)


def test_entry_ladder_tiers_and_the_fill_that_no_longer_fits():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    t = xm.entry_ladder(10_000, "long", [0.5, 0.5, 1.0], [50_000, 48_000, 46_000], 100, tiers)
    # by hand: averages 50,000; 49,000; 47,500 and notionals 25,000; 49,000; 95,000 (tier 1, 1, 2)
    assert t["entry_price"].tolist() == pytest.approx([50_000, 49_000, 47_500])
    assert t["tier"].tolist() == [1, 1, 2]
    assert t["margin_used"].tolist() == pytest.approx([250, 490, 950])
    assert t["fits"].all()
    at_125 = xm.entry_ladder(10_000, "long", [0.5, 0.5, 1.0], [50_000, 48_000, 46_000], 125, tiers)
    assert at_125["fits"].tolist() == [True, True, False]  # 95,000 is past the 50,000 that 125x allows
    lp = xm.isolated_liq_price("long", 2.0, 47_500, 950, tiers)
    assert t["liq_price"].iloc[-1] == pytest.approx(lp)
    assert t["distance_to_liq"].iloc[-1] == pytest.approx(lp / 46_000 - 1)


def test_ladder_entries_spreads_the_budget_evenly():
    plan = xm.ladder_entries(1_000, 10, 40_000, 50_000, 3, open_fee_rate=0.0005)
    share = 1_000 / 3
    spent = plan["size"] * plan["price"] / 10 + plan["size"] * plan["price"] * 0.0005
    assert spent.tolist() == pytest.approx([share] * 3)
    ladder = xm.entry_ladder(1_000, "long", plan["size"], plan["price"], 10, open_fee_rate=0.0005)
    assert ladder["margin_used"].iloc[-1] == pytest.approx(1_000) and ladder["fits"].all()


def test_entry_ladder_inverse_matches_the_average_and_the_initial_margin():
    t = xm.entry_ladder(1.0, "short", [30_000, 30_000], [60_000, 66_000], 10, contract="inverse")
    assert t["entry_price"].iloc[-1] == pytest.approx(xm.average_entry_price([30_000, 30_000], [60_000, 66_000], "inverse"))
    assert t["margin_used"].iloc[-1] == pytest.approx((30_000 / 60_000 + 30_000 / 66_000) / 10)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, argument", [
    (lambda: xm.what_if(1_000, "long", -1, 50_000, 50_000, "long", 1, 50_000, 10), "size"),
    (lambda: xm.what_if(1_000, "long", 1, 50_000, 50_000, "long", 1, 50_000, 10, margin_mode="both"), "margin_mode"),
    (lambda: xm.what_if(1_000, ["long"] * 2, 1, 50_000, 50_000, "long", 1, 50_000, 10, contract=["linear", "inverse"]), "contract"),
    (lambda: xm.entry_ladder(1_000, "long", [0.1, 0.1], [50_000, 0], 10), "price"),
    (lambda: xm.ladder_entries(1_000, 10, 40_000, 50_000, 2.5), "entries"),
    (lambda: xm.ladder_entries(1_000, 10, 60_000, 50_000, 2), "low_price"),
    (lambda: xm.funding_drift("long", [0.1, 0.2], 50_000, 50_000, [100, 200], 0.0001, margin_mode="cross"), "margin"),
    (lambda: xm.funding_drift("long", [0.1, 0.2], 50_000, 50_000, 100, [0.0001] * 3), "funding_rate"),
    (lambda: xm.funding_drift("long", 0.1, 50_000, 50_000, 100, 0.0001, 2.5), "intervals"),
    (lambda: xm.funding_drift("long", 0.1, 50_000, 50_000, 100, 0.0001, start_time="soon"), "start_time"),
    (lambda: xm.liq_price_after_removal("long", 0.1, 50_000, 100, 150), "removed_margin"),
    (lambda: xm.removable_margin("long", 0.1, 50_000, 50_000, 100, 10, rules="nowhere"), "rules"),
    (lambda: xm.withdrawable_balance(100, ["long"] * 2, 0.1, 50_000, 50_000, 10, rules=["binance", "okx"]), "rules"),
    (lambda: xm.break_even_price("long", 0.1, 50_000, 1.5), "open_fee_rate"),
])
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(xm.InputError) as info:
        call()
    assert info.value.argument == argument


# ---------------------------------------------------------------- invariants

@st.composite
def accounts(draw):
    contract = draw(contracts)
    n = draw(st.integers(1, 3))
    price = [draw(st.floats(10.0, 1e5)) for _ in range(n)]
    size = [draw(st.floats(0.01, 10.0)) * (p if contract == "inverse" else 1.0) for p in price]
    lev = [draw(st.floats(1.0, 50.0)) for _ in range(n)]
    margin = [xm.initial_margin(q, p, k, contract) for q, p, k in zip(size, price, lev)]
    mark = [p * draw(st.floats(0.9, 1.1)) for p in price]
    return dict(side=[draw(sides) for _ in range(n)], size=size, entry_price=price, mark_price=mark, leverage=lev,
                margin=margin, contract=contract, wallet=sum(margin) * draw(st.floats(1.0, 3.0)))


@settings(max_examples=80, deadline=None)
@given(accounts(), modes, sides, st.floats(0.01, 5.0), st.floats(0.5, 2.0), st.floats(0.0, 0.001), rule_sets)
def test_a_trade_and_its_reverse_at_one_price_restore_the_account_less_fees(a, mode, side, amount, at, fee, rules):
    """Open, add, reduce or flip, then the opposite trade at the same price: the size comes back and the equity
    (cross: also the wallet, when the trade opened a new position) is what it was less both fees."""
    n = len(a["size"])
    unit = a["entry_price"][-1] if a["contract"] == "inverse" else 1.0
    trade = [0.0] * (n - 1) + [amount * unit]
    price = [p * at for p in a["entry_price"]]
    other = "short" if side == "long" else "long"
    common = dict(margin_mode=mode, contract=a["contract"], trade_fee_rate=fee, rules=rules)
    there = xm.what_if(a["wallet"], a["side"], a["size"], a["entry_price"], a["mark_price"], [side] * n, trade, price,
                       a["leverage"], a["margin"], **common)
    back = xm.what_if(there["wallet_balance_after"].iloc[0], [s or "long" for s in there["side_after"]],
                      there["size_after"], there["entry_price_after"].fillna(1.0), a["mark_price"], [other] * n, trade,
                      price, a["leverage"], there["margin_after"], **common)
    fees = there["fee"].sum() + back["fee"].sum()
    scale = a["wallet"] + sum(xm.notional(q, p, a["contract"]) for q, p in zip(a["size"], a["mark_price"]))
    assert back["size_after"].tolist() == pytest.approx(a["size"], rel=1e-9)
    assert back["equity_after"].iloc[0] == pytest.approx(there["equity_before"].iloc[0] - fees, abs=1e-9 * scale)


@settings(max_examples=40, deadline=None)
@given(st.floats(100.0, 1e4), sides, st.floats(0.01, 5.0), st.floats(10.0, 1e5), st.floats(0.0, 0.001), contracts)
def test_opening_and_closing_a_new_position_at_its_entry_returns_the_wallet_less_fees(wallet, side, amount, price, fee, contract):
    q = amount * (price if contract == "inverse" else 1.0)
    other = "short" if side == "long" else "long"
    opened = xm.what_if(wallet, side, 0, price, price, side, q, price, 10, contract=contract, trade_fee_rate=fee)
    closed = xm.what_if(opened["wallet_balance_after"].iloc[0], side, q, price, price, other, q, price, 10,
                        contract=contract, trade_fee_rate=fee)
    fees = 2 * fee * xm.notional(q, price, contract)
    assert closed["wallet_balance_after"].iloc[0] == pytest.approx(wallet - fees, rel=1e-12, abs=1e-12)
    assert closed["size_after"].iloc[0] == 0 and closed["realized_pnl"].iloc[0] == pytest.approx(0.0, abs=1e-9 * wallet)


@settings(max_examples=80, deadline=None)
@given(sides, st.floats(0.01, 100.0), st.floats(10.0, 1e5), st.floats(0.0, 0.002), st.floats(0.0, 0.002),
       st.floats(-100.0, 100.0), contracts)
def test_break_even_pnl_after_fees_and_funding_is_zero(side, size, entry, f_open, f_close, funding, contract):
    q = size * (entry if contract == "inverse" else 1.0)
    funding = funding * xm.notional(q, entry, contract) / 1_000
    price = xm.break_even_price(side, q, entry, f_open, f_close, funding, contract)
    assume(not math.isnan(price))
    net = (xm.unrealized_pnl(side, q, entry, price, contract) - f_open * xm.notional(q, entry, contract)
           - f_close * xm.notional(q, price, contract) + funding)
    assert net == pytest.approx(0.0, abs=1e-9 * xm.notional(q, entry, contract))


@settings(max_examples=80, deadline=None)
@given(sides, st.floats(0.01, 10.0), st.floats(100.0, 1e5), st.floats(0.95, 1.05), st.floats(1.0, 3.0),
       st.floats(2.0, 50.0), contracts, st.sampled_from(["binance", "okx", "gate"]))
def test_after_removing_the_max_the_position_keeps_its_initial_and_maintenance_margin(side, size, entry, move, extra, lev,
                                                                                       contract, rules):
    q = size * (entry if contract == "inverse" else 1.0)
    mark = entry * move
    margin = xm.initial_margin(q, entry, lev, contract) * extra
    assume(margin + xm.unrealized_pnl(side, q, entry, mark, contract) > xm.maint_margin(q, mark, contract=contract))
    out = xm.removable_margin(side, q, entry, mark, margin, lev, contract=contract, rules=rules)
    left = margin - out
    equity = left + xm.unrealized_pnl(side, q, entry, mark, contract)
    scale = xm.notional(q, mark, contract)
    assert equity >= xm.maint_margin(q, mark, contract=contract) - 1e-9 * scale  # still alive at the mark
    if out > 0:  # and one of the two floors is reached exactly
        gaps = [left - xm.maint_margin(q, mark, contract=contract), equity - xm.initial_margin(q, mark, lev, contract)]
        assert min(gaps) == pytest.approx(0.0, abs=1e-9 * scale)
    lp = xm.liq_price_after_removal(side, q, entry, margin, out, contract=contract, rules=rules)
    if not math.isnan(lp):  # liquidation lies beyond the mark on the losing side
        assert (lp <= mark * (1 + 1e-9)) if side == "long" else (lp >= mark * (1 - 1e-9))


@settings(max_examples=60, deadline=None)
@given(sides, st.floats(0.01, 10.0), st.floats(100.0, 1e5), st.floats(0.97, 1.03), st.floats(1.05, 3.0),
       st.floats(2.0, 50.0), contracts, modes, st.lists(st.floats(-0.002, 0.004), min_size=1, max_size=60))
def test_drift_liquidation_interval_is_the_first_at_or_below_maintenance(side, size, entry, move, extra, lev, contract, mode,
                                                                         schedule):
    q = size * (entry if contract == "inverse" else 1.0)
    mark = entry * move
    margin = xm.initial_margin(q, entry, lev, contract) * extra
    d = xm.funding_drift(side, q, entry, mark, margin, schedule, contract=contract, margin_mode=mode)
    k = xm.funding_liq_interval(side, q, entry, mark, margin, schedule, contract=contract, margin_mode=mode)
    paid = np.cumsum([0.0] + [xm.funding_payment(side, q, mark, r, 1, contract) for r in schedule])
    buffer = margin + paid + xm.unrealized_pnl(side, q, entry, mark, contract) - xm.maint_margin(q, mark, contract=contract)
    assert d["margin"].to_numpy() == pytest.approx(margin + paid)
    if math.isnan(k):
        assert (buffer > 0).all()
    else:
        k = int(k)
        assert buffer[k] <= 0 and (k == 0 or (buffer[:k] > 0).all())


@settings(max_examples=60, deadline=None)
@given(accounts(), modes, rule_sets)
def test_no_trade_changes_nothing_and_matches_the_liquidation_functions(a, mode, rules):
    n = len(a["size"])
    t = xm.what_if(a["wallet"], a["side"], a["size"], a["entry_price"], a["mark_price"], ["long"] * n, [0.0] * n,
                   a["mark_price"], a["leverage"], a["margin"], mode, contract=a["contract"], rules=rules)
    assert t["liq_price_before"].to_numpy() == pytest.approx(t["liq_price_after"].to_numpy(), nan_ok=True)
    assert t["equity_before"].iloc[0] == t["equity_after"].iloc[0]
    if mode == "cross":
        expected = xm.cross_liq_price(a["wallet"], a["side"], a["size"], a["entry_price"], a["mark_price"],
                                      contract=a["contract"], rules=rules)
    else:
        expected = xm.isolated_liq_price(a["side"], a["size"], a["entry_price"], a["margin"], contract=a["contract"], rules=rules)
    assert t["liq_price_before"].to_numpy() == pytest.approx(np.asarray(expected), nan_ok=True)
