"""Funding drift of cross accounts with several positions, and the liquidation interval over many positions (#16).

Sources: hand calculations written out in each test (a two-position cross account, linear and
coin-margined), the drift as it was computed for one position (``_drift_one_position``: the
running sum of each interval's payment, written here with public functions only) and hypothesis
invariants (at the projected interval the account's margin + uPnL is at or below its maintenance
margin, before it above; the closed form equals a search of the table).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from excel_hosts import HOSTS, OMIT, Ref
from hypothesis import given, settings
from hypothesis import strategies as st

import xlmargin as xm
from xlmargin.errors import InputError

TABLES = {"linear": [None, "binance_usdm_btcusdt"], "inverse": [None, "binance_coinm_btcusd_perp"]}
AT_ENTRY = {"bybit", "bitmex"}  # rule sets valuing maintenance margin at the entry notional (Bybit UTA: at the mark)


# ---------------------------------------------------------------- hand calculations

def test_two_position_cross_account_by_hand():
    # 1,000 USDT behind a 0.1 BTC long at 50,000 (funding +0.01 %: pays 0.1 x 50,000 x 0.0001 = 0.5) and a 1 ETH short
    # at 2,500 (funding -0.04 %: a short pays 2,500 x 0.0004 = 1.0), both at their entry: uPnL 0, MM 25 + 12.5 = 37.5.
    # The wallet falls 1.5 an interval; 1,000 - 1.5 k <= 37.5 first at k = ceil(962.5 / 1.5) = 642 (641: 38.5 > 37.5).
    args = (["long", "short"], [0.1, 1], [50_000, 2_500], [50_000, 2_500], 1_000, [0.0001, -0.0004])
    assert xm.funding_liq_interval(*args, 1_000, margin_mode="cross").tolist() == [642.0, 642.0]
    d = xm.funding_drift(*args, 700, margin_mode="cross")
    assert len(d) == 701 * 2 and d["position"].tolist()[:4] == [1, 2, 1, 2]
    at = d.set_index(["interval", "position"])
    assert at.loc[(641, 1), "margin"] == pytest.approx(38.5) and at.loc[(642, 2), "margin"] == pytest.approx(37.0)
    assert not at.loc[(641, 1), "liquidated"] and at.loc[(642, 1), "liquidated"] and at.loc[(700, 2), "liquidated"]
    assert (at.loc[(10, 1), "funding"], at.loc[(10, 2), "funding"]) == (-0.5, -1.0)
    # BTC's cross price after 10 intervals, ETH held at its mark: margin 985 - 12.5 (ETH's MM) = 972.5 behind the long:
    # (972.5 - 0.1 x 50,000) / (0.1 x 0.005 - 0.1); ETH's with BTC held: margin 985 - 25 = 960, (960 + 2,500) / (0.005 + 1).
    assert at.loc[(10, 1), "liq_price"] == pytest.approx((972.5 - 5_000) / (0.0005 - 0.1), rel=1e-12)
    assert at.loc[(10, 2), "liq_price"] == pytest.approx((960 + 2_500) / (0.005 + 1), rel=1e-12)
    # The same positions isolated with 100 margin each: BTC's 100 - 25 = 75 last 150 intervals, ETH's 87.5 last 88.
    iso = xm.funding_liq_interval(*args[:4], 100, args[5], 1_000)
    assert iso.tolist() == [150.0, 88.0]


def test_coin_margined_cross_account_by_hand():
    # 0.030004 BTC behind a 10,000 USD long marked at its entry 50,000 and a 5,000 USD short from 40,000 marked at 50,000:
    # short uPnL -5,000 x (1/40,000 - 1/50,000) = -0.025 BTC; MM 0.005 x (0.2 + 0.1) = 0.0015 BTC. Funding +0.01 %: the long
    # pays 0.2 x 0.0001 = 0.00002, the short receives 0.00001: -0.00001 an interval, out of a room of 0.003504: k = 351.
    args = (["long", "short"], [10_000, 5_000], [50_000, 40_000], [50_000, 50_000], 0.030004, 0.0001)
    assert xm.funding_liq_interval(*args, 1_000, contract="inverse", margin_mode="cross").tolist() == [351.0, 351.0]
    d = xm.funding_drift(*args, 400, contract="inverse", margin_mode="cross")
    first = d.loc[d["liquidated"], "interval"].min()
    assert first == 351 and d.loc[d["interval"] == 351, "margin"].iloc[0] == pytest.approx(0.030004 - 0.00351, rel=1e-12)


def test_two_accounts_and_isolated_rows_in_one_call():
    # The hand account of above twice (the second with 500: ceil(462.5 / 1.5) = 309), and W6's long alone (450).
    side, size, entry = ["long", "short"] * 2, [0.1, 1] * 2, [50_000, 2_500] * 2
    wallet, rate = [1_000, 1_000, 500, 500], [0.0001, -0.0004] * 2
    got = xm.funding_liq_interval(side, size, entry, entry, wallet, rate, 1_000, margin_mode="cross", account=list("aabb"))
    assert got.tolist() == [642.0, 642.0, 309.0, 309.0]
    series = xm.funding_liq_interval(pd.Series(["long"], index=["w6"]), 0.1, 50_000, 50_000, 250, 0.0001, 1_000)
    assert series.to_dict() == {"w6": 450.0}


def test_bad_input_names_the_argument():
    with pytest.raises(InputError, match="margin"):  # one wallet per account
        xm.funding_liq_interval(["long"] * 2, 0.1, 50_000, 50_000, [100, 200], 0.0001, margin_mode="cross", account="a")
    with pytest.raises(InputError, match="funding_rate"):
        xm.funding_liq_interval(["long"] * 2, 0.1, 50_000, 50_000, 100, np.zeros((5, 3)))
    with pytest.raises(InputError, match="intervals"):
        xm.funding_drift(["long"] * 20, 0.1, 50_000, 50_000, 100, 0.0001, 60_000)  # 1.2 million rows


# ---------------------------------------------------------------- one position: as it was

def _drift_one_position(side, q, entry, mark, margin, rates, mmr, contract, mode, rules):
    """One position's drift as it was computed: the running sum of each interval's payment, the price on it."""
    paid = np.cumsum([0.0] + [xm.funding_payment(side, q, mark, r, 1, contract) for r in rates])
    balance = margin + paid
    at = entry if rules in AT_ENTRY else mark
    mm = xm.maint_margin(q, at, mmr, contract=contract)
    if mode == "cross":
        liq = [xm.cross_liq_price(b, side, q, entry, mark, mmr, contract=contract, rules=rules) for b in balance]
    else:
        liq = [xm.isolated_liq_price(side, q, entry, max(b, 0.0), mmr, contract=contract, rules=rules) for b in balance]
    return balance, np.array(liq, dtype=float), balance + xm.unrealized_pnl(side, q, entry, mark, contract) - mm


@st.composite
def positions(draw, n=None):
    contract = draw(st.sampled_from(["linear", "inverse"]))
    n = n or draw(st.integers(1, 4))
    entry = [draw(st.floats(100.0, 1e5)) for _ in range(n)]
    size = [draw(st.floats(0.01, 5.0)) * (e if contract == "inverse" else 1.0) for e in entry]
    return dict(side=[draw(st.sampled_from(["long", "short"])) for _ in range(n)], size=size, entry=entry,
                mark=[e * draw(st.floats(0.95, 1.05)) for e in entry], contract=contract,
                lev=[draw(st.floats(2.0, 60.0)) for _ in range(n)], rules=draw(st.sampled_from(sorted(xm.RULES))),
                mmr=draw(st.sampled_from(TABLES[contract])) or 0.005)


@settings(max_examples=60, deadline=None)
@given(positions(n=1), st.sampled_from(["cross", "isolated"]), st.floats(0.5, 3.0),
       st.one_of(st.floats(-0.002, 0.004), st.lists(st.floats(-0.002, 0.004), min_size=1, max_size=40)))
def test_one_position_is_as_it_was(p, mode, extra, rates):
    side, q, e, m, c, r = p["side"][0], p["size"][0], p["entry"][0], p["mark"][0], p["contract"], p["rules"]
    margin = xm.initial_margin(q, e, p["lev"][0], c) * extra
    d = xm.funding_drift(side, q, e, m, margin, rates, 40, p["mmr"], contract=c, margin_mode=mode, rules=r)
    schedule = [rates] * 40 if isinstance(rates, float) else rates
    balance, liq, buffer = _drift_one_position(side, q, e, m, margin, schedule, p["mmr"], c, mode, r)
    scale = margin + xm.notional(q, m, c)
    assert d["margin"].to_numpy() == pytest.approx(balance, rel=0, abs=1e-12 * scale)
    assert np.array_equal(np.isnan(d["liq_price"]), np.isnan(liq))
    assert d["liq_price"].to_numpy() == pytest.approx(liq, rel=1e-9, nan_ok=True)
    settled = np.abs(buffer) > 1e-9 * scale  # away from a tie the flag is the same
    assert np.array_equal(d["liquidated"].to_numpy()[settled], np.maximum.accumulate(buffer <= 0)[settled])
    column = xm.funding_drift([side], [q], [e], [m], margin if mode == "isolated" else [margin], rates if isinstance(rates, float)
                              else np.array(rates)[:, None], 40, p["mmr"], contract=c, margin_mode=mode, rules=r)
    pd.testing.assert_frame_equal(column.drop(columns="position"), d)  # a column of one position: the same table


# ---------------------------------------------------------------- several positions in one wallet

@settings(max_examples=80, deadline=None)
@given(positions(), st.floats(0.3, 2.0), st.lists(st.floats(-0.003, 0.003), min_size=4, max_size=4), st.booleans())
def test_cross_account_is_liquidated_at_the_first_interval_at_or_below_maintenance(p, extra, rates, schedule):
    n, c, r = len(p["side"]), p["contract"], p["rules"]
    args = (p["side"], p["size"], p["entry"], p["mark"])
    wallet = extra * sum(xm.initial_margin(q, e, lev, c) for q, e, lev in zip(p["size"], p["entry"], p["lev"]))
    rate = np.tile(rates[:n], (30, 1)) * np.linspace(0.5, 1.5, 30)[:, None] if schedule else np.array(rates[:n])
    k = xm.funding_liq_interval(*args, wallet, rate, 300, p["mmr"], contract=c, margin_mode="cross", rules=r)
    assert (k == k[0]).all() or np.isnan(k).all()  # one account, one interval
    # the account by hand: every position's funding into one wallet, public functions only
    per_interval = rate if schedule else np.tile(rate, (300, 1))
    paid = np.array([[xm.funding_payment(s, q, m, x, 1, c) for s, q, m, x in zip(p["side"], p["size"], p["mark"], row)]
                     for row in per_interval]).sum(axis=1)
    valued = p["entry"] if r in AT_ENTRY else p["mark"]
    mm = sum(xm.maint_margin(q, v, p["mmr"], contract=c) for q, v in zip(p["size"], valued))
    upnl = sum(xm.unrealized_pnl(*a, contract=c) for a in zip(*args))
    buffer = wallet + np.concatenate([[0.0], np.cumsum(paid)]) + upnl - mm
    tie = 1e-9 * (abs(wallet) + sum(xm.notional(q, m, c) for q, m in zip(p["size"], p["mark"])))
    if math.isnan(k[0]):
        assert (buffer > -tie).all()
    else:
        i = int(k[0])
        assert buffer[i] <= tie and (buffer[:i] > -tie).all()
    d = xm.funding_drift(*args, wallet, rate, 300, p["mmr"], contract=c, margin_mode="cross", rules=r)
    dead = d.loc[d["liquidated"], "interval"]
    assert (dead.min() if len(dead) else math.nan) == pytest.approx(k[0], nan_ok=True)  # the table says the same
    if n == 1:  # one position: the single-position result
        alone = xm.funding_liq_interval(p["side"][0], p["size"][0], p["entry"][0], p["mark"][0], wallet,
                                        rate[:, 0] if schedule else rate[0], 300, p["mmr"], contract=c, margin_mode="cross",
                                        rules=r)
        assert alone == pytest.approx(k[0], nan_ok=True)


# ---------------------------------------------------------------- many positions at once: equal to the loop

@st.composite
def books(draw):
    contract = draw(st.sampled_from(["linear", "inverse"]))
    n = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    entry = rng.uniform(100, 1e5, n)
    size = rng.uniform(0.01, 5, n) * (entry if contract == "inverse" else 1.0)
    return dict(side=rng.choice(["long", "short"], n), size=size, entry=entry, mark=entry * rng.uniform(0.95, 1.05, n),
                contract=contract, margin=xm.initial_margin(size, entry, rng.uniform(2, 60, n), contract) * rng.uniform(0.3, 3, n),
                rate=rng.uniform(-0.003, 0.004, n) * rng.choice([0.0, 1.0], n, p=[0.1, 0.9]),
                account=rng.integers(0, 4, n), mmr=draw(st.sampled_from(TABLES[contract])) or 0.005,
                rules=draw(st.sampled_from(sorted(xm.RULES))))


def _first(table):
    hit = np.flatnonzero(table["liquidated"].to_numpy())
    return float(table["interval"].iloc[hit[0]]) if hit.size else math.nan


@settings(max_examples=60, deadline=None)
@given(books(), st.integers(0, 400))
def test_many_positions_equal_the_table_position_by_position(b, intervals):
    keys = dict(contract=b["contract"], rules=b["rules"])
    got = xm.funding_liq_interval(b["side"], b["size"], b["entry"], b["mark"], b["margin"], b["rate"], intervals, b["mmr"], **keys)
    for i in range(len(b["side"])):  # the way it was: one table per position, its first liquidated interval
        d = xm.funding_drift(b["side"][i], b["size"][i], b["entry"][i], b["mark"][i], b["margin"][i], b["rate"][i], intervals,
                             b["mmr"], **keys)
        assert got[i] == pytest.approx(_first(d), nan_ok=True), i
    # cross accounts: one table per account
    wallet = np.array([b["margin"][b["account"] == a].sum() for a in b["account"]])
    got = xm.funding_liq_interval(b["side"], b["size"], b["entry"], b["mark"], wallet, b["rate"], intervals, b["mmr"],
                                  margin_mode="cross", account=b["account"], **keys)
    for a in np.unique(b["account"]):
        mine = b["account"] == a
        d = xm.funding_drift(*(b[k][mine] for k in ("side", "size", "entry", "mark")), wallet[mine][0], b["rate"][mine],
                             intervals, b["mmr"], margin_mode="cross", **keys)
        assert got[mine] == pytest.approx(np.full(mine.sum(), _first(d)), nan_ok=True), a


def test_a_schedule_per_position_equals_the_loop():
    rng = np.random.default_rng(4)
    n, k = 50, 30
    side, size, entry = rng.choice(["long", "short"], n), rng.uniform(0.1, 2, n), rng.uniform(1e3, 5e4, n)
    margin = size * entry / 20 * rng.uniform(0.5, 1.5, n)
    schedule = rng.uniform(-0.01, 0.02, (k, n))
    got = xm.funding_liq_interval(side, size, entry, entry, margin, schedule)
    want = [_first(xm.funding_drift(side[i], size[i], entry[i], entry[i], margin[i], schedule[:, i])) for i in range(n)]
    assert got == pytest.approx(np.array(want), nan_ok=True)
    assert np.isfinite(got).any() and np.isnan(got).any()


# ---------------------------------------------------------------- through Excel's hosts

@pytest.mark.parametrize("host", ["office.js", "com"])
def test_a_cross_account_through_each_host(host):
    positions = [Ref.of(["long", "short"]), Ref.of([0.1, 1]), Ref.of([50_000, 2_500]), Ref.of([50_000, 2_500]), 1_000,
                 Ref.of([0.0001, -0.0004])]
    shown = HOSTS[host].shown("FUNDING_LIQ_INTERVAL", *positions, 1_000, OMIT, OMIT, OMIT, "cross")
    assert shown == [[642.0], [642.0]]  # the hand-calculated account of test_two_position_cross_account_by_hand
    table = HOSTS[host].shown("FUNDING_DRIFT", *positions, 10, OMIT, OMIT, OMIT, "cross")
    header, rows = table[0], table[1:]
    assert header == ["interval", "hours", "position", "funding_rate", "funding", "margin", "liq_price", "liquidated"]
    assert len(rows) == 22 and [r[2] for r in rows[-2:]] == [1, 2] and rows[-1][5] == pytest.approx(985.0)
