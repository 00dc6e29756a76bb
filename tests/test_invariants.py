"""Invariants of the margin math, checked with hypothesis over random positions and tier tables."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xlmargin as xm
from xlmargin.core import solver as _solver
from xlmargin.core.tiers import consistent_maint_amounts

sides = st.sampled_from(["long", "short"])
contracts = st.sampled_from(["linear", "inverse"])
prices = st.floats(1e-2, 1e6)
leverages = st.floats(1.0, 100.0)
rates = st.floats(0.0, 0.05)


@st.composite
def positions(draw):
    """A position of either contract type, its margin set by a leverage [settlement asset]."""
    contract = draw(contracts)
    entry = draw(prices)
    size = draw(st.floats(1e-3, 1e3)) * (entry if contract == "inverse" else 1.0)
    margin = xm.initial_margin(size, entry, draw(leverages), contract)
    return dict(side=draw(sides), size=size, entry_price=entry, margin=margin, contract=contract)


@st.composite
def tier_tables(draw, consistent=True):
    """A tier table on notionals scaled to ``scale`` [settlement asset]."""
    k = draw(st.integers(1, 6))
    steps = draw(st.lists(st.floats(0.1, 10.0), min_size=k, max_size=k))
    floors = np.concatenate([[0.0], np.cumsum(steps[:-1])])
    caps = np.concatenate([floors[1:], [np.inf]])
    mmr = np.cumsum(draw(st.lists(st.floats(0.0005, 0.02), min_size=k, max_size=k)))
    amounts = consistent_maint_amounts(floors, mmr)
    if not consistent:
        amounts = amounts + np.array(draw(st.lists(st.floats(-0.05, 0.05), min_size=k, max_size=k))) * floors * mmr
    return floors, caps, mmr, amounts


def table_for(position, tiers):
    """Scale a unit tier table to the position's notional at entry, so its tiers matter."""
    floors, caps, mmr, amounts = tiers
    scale = xm.notional(position["size"], position["entry_price"], position["contract"]) / 3.0
    with pytest.warns(xm.TierTableWarning) if False else _no_warning():
        return xm.TierTable(floors * scale, caps * scale, 1 / (2 * mmr), mmr, amounts * scale)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def balance_at(p, position, mmr, maint_amount=0.0):
    """margin + uPnL - MM at price p [settlement asset]."""
    pos = position
    pnl = xm.unrealized_pnl(pos["side"], pos["size"], pos["entry_price"], p, pos["contract"])
    mm = xm.maint_margin(pos["size"], p, mmr, maint_amount, pos["contract"])
    return pos["margin"] + pnl - mm


def scale_of(position):
    return xm.notional(position["size"], position["entry_price"], position["contract"])


@given(positions(), rates)
def test_margin_plus_pnl_equals_maint_margin_at_the_liq_price(position, mmr):
    lp = xm.isolated_liq_price(**position, mmr=mmr)
    if math.isnan(lp):
        # no liquidation: the margin covers every loss, so the balance stays positive at any price
        assert position["side"] == "long" and position["contract"] == "linear" or position["side"] == "short"
        for p in (position["entry_price"] * 1e-6, position["entry_price"] * 1e6):
            assert balance_at(p, position, mmr) > -1e-9 * scale_of(position)
    else:
        assert balance_at(lp, position, mmr) == pytest.approx(0, abs=1e-9 * scale_of(position))


@settings(max_examples=200)
@given(positions(), tier_tables())
def test_tiered_liq_price_is_consistent_with_the_tier_at_that_price(position, tiers):
    table = table_for(position, tiers)
    lp = xm.isolated_liq_price(**position, mmr=table)
    assume(not math.isnan(lp))
    # maint_margin looks the tier up at lp itself: the root must satisfy that tier's equation
    assert balance_at(lp, position, table) == pytest.approx(0, abs=1e-9 * scale_of(position))


@given(positions(), rates)
def test_longs_liquidate_below_entry_and_shorts_above(position, mmr):
    assume(position["margin"] > xm.maint_margin(position["size"], position["entry_price"], mmr, 0, position["contract"]))
    lp = xm.isolated_liq_price(**position, mmr=mmr)
    if position["side"] == "long":
        assert math.isnan(lp) or lp < position["entry_price"]
    else:
        assert math.isnan(lp) or lp > position["entry_price"]


@given(positions(), rates)
def test_an_isolated_position_never_loses_more_than_its_margin(position, mmr):
    lp = xm.isolated_liq_price(**position, mmr=mmr)
    bp = xm.bankruptcy_price(position["side"], position["size"], position["entry_price"], position["margin"], position["contract"])
    assume(not math.isnan(lp))
    loss_at_liquidation = -xm.unrealized_pnl(position["side"], position["size"], position["entry_price"], lp, position["contract"])
    assert loss_at_liquidation <= position["margin"] * (1 + 1e-12)
    if not math.isnan(bp):  # liquidation comes first, on the way to bankruptcy
        loss_at_bankruptcy = -xm.unrealized_pnl(position["side"], position["size"], position["entry_price"], bp, position["contract"])
        assert loss_at_bankruptcy == pytest.approx(position["margin"], rel=1e-9)
        assert (lp - bp) * (1 if position["side"] == "long" else -1) >= -1e-9 * lp


@given(positions(), prices, st.floats(0, 1e6))
def test_pnl_does_not_depend_on_the_margin_mode(position, mark, spare):
    pos = position
    pnl = xm.unrealized_pnl(pos["side"], pos["size"], pos["entry_price"], mark, pos["contract"])
    cross_gain = xm.cross_equity(spare + pos["margin"], pos["side"], pos["size"], pos["entry_price"], mark, pos["contract"]) - (
        spare + pos["margin"]
    )
    isolated_gain = (pos["margin"] + pnl) - pos["margin"]
    # the wallet is added and taken away again: allow for its rounding
    assert cross_gain == pytest.approx(isolated_gain, rel=1e-9, abs=1e-9 * scale_of(pos) + 1e-15 * (spare + pos["margin"]))


@given(positions(), rates)
def test_a_lone_cross_position_with_wallet_equal_to_its_margin_has_the_isolated_price(position, mmr):
    iso = xm.isolated_liq_price(**position, mmr=mmr)
    pos = dict(position)
    wallet = pos.pop("margin")
    cross = xm.cross_liq_price(wallet, pos["side"], pos["size"], pos["entry_price"], pos["entry_price"] * 1.1, mmr, 0, pos["contract"])
    assert float(cross) == pytest.approx(iso, rel=1e-12, nan_ok=True)


@given(tier_tables(), st.floats(1.0, 1e6))
def test_maint_margin_is_continuous_across_consistent_tiers(tiers, scale):
    floors, caps, mmr, amounts = tiers
    table = xm.TierTable(floors * scale, caps * scale, 1 / (2 * mmr), mmr, amounts * scale)
    for boundary in table.notional_floor[1:]:
        below, above = xm.maint_margin(1.0, [boundary * (1 - 1e-12), boundary * (1 + 1e-12)], table)
        assert above == pytest.approx(below, rel=1e-9, abs=1e-9 * scale)


@settings(max_examples=100)
@given(positions(), st.lists(positions(), min_size=1, max_size=4), rates, st.floats(0.5, 2.0))
def test_at_the_cross_liq_price_equity_equals_total_maint_margin(first, others, mmr, move):
    rows = [first, *others]
    contract = first["contract"]
    rows = [r for r in rows if r["contract"] == contract]
    cols = {k: [r[k] for r in rows] for k in ("side", "size", "entry_price")}
    marks = [r["entry_price"] * move for r in rows]
    wallet = sum(r["margin"] for r in rows)
    lp = xm.cross_liq_price(wallet, **cols, mark_price=marks, mmr=mmr, contract=contract)
    assume(not math.isnan(lp[0]))
    marks_at = [lp[0], *marks[1:]]
    equity = xm.cross_equity(wallet, **cols, mark_price=marks_at, contract=contract)
    total_mm = xm.cross_maint_margin(cols["size"], marks_at, mmr, 0, contract)
    assert equity == pytest.approx(total_mm, abs=1e-8 * sum(scale_of(r) for r in rows))


def _solver_args(rows, tiers, margin_factor):
    floors, caps, mmr, amounts = tiers
    scale = scale_of(rows[0])
    s = np.array([1.0 if r["side"] == "long" else -1.0 for r in rows])
    q = np.array([r["size"] for r in rows])
    e = np.array([r["entry_price"] for r in rows])
    m = np.array([r["margin"] for r in rows]) * margin_factor
    return (s, q, e, m, 0.0, floors * scale, caps * scale, mmr, amounts * scale)


@settings(max_examples=200, deadline=None)  # the first call compiles the numba kernels
@given(st.lists(positions(), min_size=1, max_size=20), st.booleans(), st.data(), st.floats(0.2, 1.5))
def test_numpy_and_numba_engines_give_the_same_prices(rows, continuous, data, margin_factor):
    pytest.importorskip("numba", reason="numba is in the dev extra; CI installs it")
    args = _solver_args(rows, data.draw(tier_tables(consistent=continuous)), margin_factor)
    # how each row values maintenance margin: at the price, at entry (fee there or at bankruptcy), at the price with the fee at bankruptcy
    mode = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0]), min_size=len(rows), max_size=len(rows))))
    args = (*args[:4], 0.0006, *args[5:])
    by_numpy = _solver.solve_tiered(*args, continuous=continuous, engine="numpy", mode=mode)
    by_numba = _solver.solve_tiered(*args, continuous=continuous, engine="numba", mode=mode)
    np.testing.assert_allclose(by_numba, by_numpy, rtol=1e-13, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(positions(), min_size=1, max_size=20), tier_tables(), st.floats(0.2, 1.5), st.sampled_from(["numpy", "numba"]))
def test_counting_and_stepping_agree_on_continuous_tables(rows, tiers, margin_factor, engine):
    if engine == "numba":
        pytest.importorskip("numba", reason="numba is in the dev extra; CI installs it")
    args = _solver_args(rows, tiers, margin_factor)
    counted = _solver.solve_tiered(*args, continuous=True, engine=engine)
    stepped = _solver.solve_tiered(*args, continuous=False, engine=engine)
    np.testing.assert_allclose(counted, stepped, rtol=1e-9, equal_nan=True)
