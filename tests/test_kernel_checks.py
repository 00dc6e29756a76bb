"""The compiled kernel checks a large book's positions as it solves them: the same answers, the same errors.

A large numeric call of ``isolated_liq_price`` with a (continuous) tier table skips the per-column
input checks and lets the count kernel check each row in its one pass (tests/benchmarks/bench_liq_price.py
shows why). Every bad value must still be reported exactly as the ordinary checks report it: the
same argument, the same first bad row, the same words; and every good book must give the numpy
engine's prices, which check their inputs column by column.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import xlmargin as xm
from xlmargin.core import solver

pytest.importorskip("numba", reason="numba is in the dev extra; CI installs it")

ROWS = 5_000  # above solver.COMPILED_FROM_ROWS: the kernel's size
TIERS = "binance_usdm_btcusdt"
BAD_ROW = 3_210  # counting from 0; messages count from 1


def book(rows=ROWS, seed=3):
    rng = np.random.default_rng(seed)
    side = np.where(rng.random(rows) < 0.5, 1.0, -1.0)
    entry = rng.uniform(20_000, 80_000, rows)
    size = rng.lognormal(0.0, 2.0, rows)
    margin = size * entry / rng.uniform(2, 100, rows)
    return dict(side=side, size=size, entry_price=entry, margin=margin)


def error_of(call):
    with pytest.raises(xm.InputError) as caught:
        call()
    return str(caught.value)


def test_the_kernel_path_is_taken_for_a_large_numeric_book():
    assert ROWS >= solver.COMPILED_FROM_ROWS


@pytest.mark.parametrize("contract", ["linear", "inverse"])
@pytest.mark.parametrize("rules", ["binance", "bybit", "okx", "gate"])
def test_a_good_book_gives_the_numpy_engines_prices(contract, rules):
    args = book()
    if contract == "inverse":
        args["size"] = args["size"] * args["entry_price"]  # USD value
        args["margin"] = args["margin"] / args["entry_price"]  # coin
    tiers = "binance_coinm_btcusd_perp" if contract == "inverse" else TIERS
    fast = xm.isolated_liq_price(**args, mmr=tiers, contract=contract, close_fee_rate=0.0005, rules=rules)
    with solver.use_engine("numpy"):
        checked = xm.isolated_liq_price(**args, mmr=tiers, contract=contract, close_fee_rate=0.0005, rules=rules)
    np.testing.assert_allclose(fast, checked, rtol=1e-12, equal_nan=True)
    assert np.isfinite(fast).mean() > 0.5  # the book is mostly liquidatable: the comparison has substance


@pytest.mark.parametrize(
    "argument, bad",
    [("side", 0.5), ("side", 0.0), ("side", np.nan), ("size", 0.0), ("size", -1.0), ("size", np.nan), ("size", np.inf),
     ("entry_price", 0.0), ("entry_price", np.inf), ("entry_price", -3.0), ("margin", -0.01), ("margin", np.nan),
     ("margin", np.inf)],
)
def test_a_bad_value_is_reported_as_the_column_checks_report_it(argument, bad):
    args = book()
    args[argument] = args[argument].copy()
    args[argument][BAD_ROW] = bad
    fast = error_of(lambda: xm.isolated_liq_price(**args, mmr=TIERS))
    with solver.use_engine("numpy"):
        checked = error_of(lambda: xm.isolated_liq_price(**args, mmr=TIERS))
    assert fast == checked
    assert argument in fast and f"row {BAD_ROW + 1}" in fast


def test_of_two_bad_arguments_the_first_in_order_is_named():
    args = book()
    args["margin"] = args["margin"].copy()
    args["margin"][10] = -1.0
    message = error_of(lambda: xm.isolated_liq_price(**args, mmr=TIERS, close_fee_rate=1.5))
    with solver.use_engine("numpy"):
        assert message == error_of(lambda: xm.isolated_liq_price(**args, mmr=TIERS, close_fee_rate=1.5))
    assert message.startswith("margin")


def test_integer_and_broadcast_columns_take_the_same_path():
    args = book()
    args["side"] = args["side"].astype(np.int64)
    args["entry_price"] = 50_000  # one entry for all
    fast = xm.isolated_liq_price(**args, mmr=TIERS)
    with solver.use_engine("numpy"):
        np.testing.assert_allclose(fast, xm.isolated_liq_price(**args, mmr=TIERS), rtol=1e-12, equal_nan=True)


def test_rows_the_caller_checked_are_all_solved_even_a_negative_margin():
    """A cross account's margin behind a position may be below 0 (already liquidated): the kernel still solves
    it as the numpy engine does (the review's cross prices rest on it); only unchecked calls count it as bad."""
    args = book()
    margin = args["margin"] - np.median(args["margin"])  # half the rows below 0
    table = xm.TierTable.load(TIERS)
    solve = lambda engine: solver.solve_tiered(  # noqa: E731
        args["side"], args["size"], args["entry_price"], margin, 0.0, table.notional_floor, table.notional_cap,
        table.mmr, table.maint_amount, continuous=True, engine=engine)
    np.testing.assert_allclose(solve("numba"), solve("numpy"), rtol=1e-12, equal_nan=True)
    assert np.isfinite(solve("numba")[margin < 0]).any()  # such rows do get a price


def straddling_book(table, fee, rows_per_boundary=600, seed=5):
    """Positions whose root lies on a tier boundary, give or take a few units in the last place of the margin.

    The margin that puts the root exactly at the boundary notional ``b`` is worked out by hand from
    ``margin + s*(b - q*e) = b*(rate + fee) - cum`` (the balance at ``b`` is zero), then moved by -8..8 ulps.
    """
    rng = np.random.default_rng(seed)
    j = np.repeat(np.arange(1, len(table.notional_floor)), rows_per_boundary)
    b = table.notional_floor[j]
    side = np.where(rng.random(b.size) < 0.5, 1.0, -1.0)
    size = rng.uniform(0.5, 50.0, b.size)
    entry = b / size * np.where(side > 0, rng.uniform(1.05, 3.0, b.size), rng.uniform(0.4, 0.95, b.size))
    margin = b * (table.mmr[j] + fee) - table.maint_amount[j] - side * (b - size * entry)
    ulps = rng.integers(-8, 9, b.size)
    margin = margin + ulps * np.spacing(margin)
    keep = margin >= 0
    return side[keep], size[keep], entry[keep], margin[keep], b[keep]


@pytest.mark.parametrize("fee", [0.0, 0.0005])
def test_rows_on_a_tier_boundary_give_the_numpy_engines_numbers_bit_for_bit(fee, monkeypatch):
    """The kernel makes each boundary's maintenance margin once a call, the numpy engine once a row: the same
    equation (equations.boundary_maint), so the tier counted for a root on a boundary, and the price, agree
    exactly, serial and parallel alike. Rows with another fee, and mode 3 rows (fee out of the margin), included."""
    table = xm.TierTable.load(TIERS)
    s, q, e, m, b = straddling_book(table, fee)
    assert s.size > 2_000 and np.abs(q * xm.isolated_liq_price(s, q, e, m, TIERS, close_fee_rate=fee) / b - 1).max() < 1e-9
    other_fee = np.where(np.arange(s.size) % 7 == 3, 2 * fee + 0.0001, fee)
    mode_3 = np.where(np.arange(s.size) % 5 == 1, solver.AT_PRICE_FEE_AT_BANKRUPTCY, solver.AT_PRICE)
    for fee_column, mode in ((fee, solver.AT_PRICE), (other_fee, solver.AT_PRICE), (fee, mode_3)):
        solve = lambda engine: solver.solve_tiered(  # noqa: E731
            s, q, e, m, fee_column, table.notional_floor, table.notional_cap, table.mmr, table.maint_amount,
            continuous=True, engine=engine, mode=mode)
        by_numpy = solve("numpy")
        for parallel in (False, True):
            monkeypatch.setattr(solver, "parallel_pays", lambda rows, parallel=parallel: parallel)
            np.testing.assert_array_equal(solve("numba"), by_numpy)


def test_the_parallel_kernel_runs_only_for_large_calls_on_more_than_one_core():
    assert not solver.parallel_pays(solver.PARALLEL_FROM_ROWS - 1)
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count())
    assert solver.parallel_pays(solver.PARALLEL_FROM_ROWS) == (len(cores) > 1)
    if hasattr(os, "sched_setaffinity"):  # this process pinned to one core, for real, then set free again
        os.sched_setaffinity(0, {min(cores)})
        try:
            assert not solver.parallel_pays(10**9)
        finally:
            os.sched_setaffinity(0, cores)
