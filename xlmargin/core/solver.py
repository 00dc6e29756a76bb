"""Solve ``margin + uPnL(P) = MM(P)`` for the price, consistently with tiers, in ``u``.

The equations are those of :mod:`xlmargin.core.equations` (``u = P`` for linear
contracts, ``u = 1/P`` for inverse ones). In ``u`` the balance
``f(u) = m + uPnL - MM`` has the slope ``q*(s_u - rate)`` in every tier, so it
is strictly monotone within tiers.

*Continuous tables* (consistent maintenance amounts, the normal case): ``f`` is
continuous and strictly monotone, the root is unique, and it lies above the
boundary notional ``b`` exactly when ``s_u * f(b/q) < 0``
(:func:`~xlmargin.core.equations.root_above`). Counting those boundaries gives
the tier without a search; one division gives the root.

*Tables with jumps* (inconsistent amounts): starting at the tier of the entry
notional, the solver steps one tier at a time toward the root. If the next
tier's equation already has the position past liquidation at the boundary
(maintenance margin jumps there), the boundary itself is the answer: the first
price at which margin + uPnL <= MM.

Where each row values maintenance margin, and where the fee to close is
charged, is its *mode* (from the exchange rule sets, :mod:`xlmargin.core.rules`):

====  =================================================================
mode  meaning
====  =================================================================
0     MM at the price, the fee on the notional at the price (Binance)
1     MM at the entry notional, the fee there too (BitMEX)
2     MM at the entry notional, the fee at the bankruptcy price (Bybit)
3     MM at the price, the fee at the bankruptcy price (Bybit unified)
====  =================================================================

Two engines give the same numbers: numpy (always available, also in xlwings
Lite) and the compiled kernel (:mod:`xlmargin.core.compiled`, with numba
installed: ``pip install xlmargin[fast]``). ``"auto"`` (the default) uses the
kernel only for calls of at least :data:`COMPILED_FROM_ROWS` rows, where it
is faster, and its parallel variant from :data:`PARALLEL_FROM_ROWS` rows on more than
one core (:func:`parallel_pays`): serial and parallel give the same numbers.
:func:`use_engine` picks one for a block of code; the choice is a context
variable, so concurrent calls (threads, asyncio tasks) do not see each other's.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
from typing import Any
from collections.abc import Iterator

import numpy as np

from ..errors import MissingExtraError
from . import equations as eq

AT_PRICE, AT_ENTRY, AT_ENTRY_FEE_AT_BANKRUPTCY, AT_PRICE_FEE_AT_BANKRUPTCY = 0.0, 1.0, 2.0, 3.0
ENGINES = ("auto", "numpy", "numba")
# measured in tests/benchmarks/bench_liq_price.py: below these the numpy path (or the serial kernel)
# is as fast, and a one-row call must never wait for a compilation or for busy cores
COMPILED_FROM_ROWS = 2_000
PARALLEL_FROM_ROWS = 1_000_000

_engine: contextvars.ContextVar[str] = contextvars.ContextVar("xlmargin_engine", default="auto")
_HAVE_NUMBA = importlib.util.find_spec("numba") is not None


@contextlib.contextmanager
def use_engine(engine: str) -> Iterator[None]:
    """Compute tiered liquidation prices with ``engine`` ("auto", "numpy" or "numba") inside the block."""
    token = _engine.set(_checked(engine))
    try:
        yield
    finally:
        _engine.reset(token)


def _checked(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "numba" and not _HAVE_NUMBA:
        raise MissingExtraError("the compiled kernel", "fast", "numba")
    return engine


def compiled_kernel(engine: str | None, rows: int):
    """The compiled module (:mod:`xlmargin.core.compiled`) to use for ``rows`` rows, or None for numpy.

    None under ``use_engine("numpy")``, without numba, and (engine "auto") below
    :data:`COMPILED_FROM_ROWS` rows: there the kernel saves at most ~0.1 ms a
    call (tests/benchmarks/bench_liq_price.py, "engine crossover"), while its
    first use in a process costs the import of numba, about a second.
    """
    engine = _checked(engine or _engine.get())
    if engine == "numpy" or not _HAVE_NUMBA or (engine == "auto" and rows < COMPILED_FROM_ROWS):
        return None
    from . import compiled  # numba loads here, on the first large call

    return compiled


def no_answer_to_nan(u: np.ndarray) -> np.ndarray:
    """NaN where no positive finite price solves the equation."""
    return np.where(eq.is_answer(u), u, np.nan)


def fee_out_of_margin(s, q, e, m, fee, mode):
    """Margin and fee rate of each row once a fee charged at the bankruptcy price is taken out.

    In mode 3 that fee is a fixed amount, the same as taking it from the margin
    and solving with no fee; other rows are returned as they are.
    """
    charged = np.asarray(mode) == AT_PRICE_FEE_AT_BANKRUPTCY
    if not charged.any():
        return m, fee
    return np.where(charged, m - eq.fee_at_bankruptcy(s, q, e, m, fee), m), np.where(charged, 0.0, fee)


def with_entry_rows(u, s, q, e, m, fee, mode, rate_and_cum):
    """``u`` with the rows whose maintenance margin is valued at entry (modes 1, 2) solved in closed form.

    ``rate_and_cum(n0)`` gives the maintenance rate and amount of each row's entry notional ``n0``.
    """
    mode = np.asarray(mode)
    entry = (mode == AT_ENTRY) | (mode == AT_ENTRY_FEE_AT_BANKRUPTCY)
    if not entry.any():
        return u
    rate, cum = rate_and_cum(q * e)
    fee_amount = np.where(mode == AT_ENTRY_FEE_AT_BANKRUPTCY, eq.fee_at_bankruptcy(s, q, e, m, fee), fee * (q * e))
    return np.where(entry, no_answer_to_nan(eq.entry_root(s, q, e, m, rate, cum, fee_amount)), u)


def solve_flat(s, q, e, m, fee, rate, cum, mode=AT_PRICE) -> np.ndarray:
    """Root in ``u`` with one maintenance rate and amount per row (no tier table); NaN where none."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a root past every float: no price
        m_, fee_ = fee_out_of_margin(s, q, e, m, fee, mode)
        u = no_answer_to_nan(eq.root(s, q, e, m_, rate + fee_, cum))
        return with_entry_rows(u, s, q, e, m_, fee_, mode, lambda n0: (rate, cum))


def solve_size_scaled(s, q, e, m, fee, base, slope, inverse, mode=AT_PRICE) -> np.ndarray:
    """Root in ``u`` where the maintenance rate grows with the size in coin (:mod:`xlmargin.core.schedules`).

    The size in coin is ``q`` for a linear contract (a fixed rate ``base +
    slope*q``: the one-tier root) and the notional ``q*u`` for an inverse one,
    where ``m + s*q*(u - e) = q*u*(base + fee) + slope*(q*u)**2`` is a quadratic
    ``a*u**2 + b*u + c = 0``. Its root on the adverse side of the entry is
    ``2c / (-b + s*sqrt(b**2 - 4ac))`` (the smaller root for a short in ``u``,
    the larger for a long), a form that is exact as ``a`` goes to 0.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a root past every float: no price
        m_, fee_ = fee_out_of_margin(s, q, e, m, fee, mode)
        a = np.where(inverse, slope * q * q, 0.0)
        rate = base + np.where(inverse, 0.0, slope * q)
        b = q * (rate + fee_ - s)
        c = -eq.cancelled(m_ - s * (q * e), np.abs(m_) + q * e)
        u = no_answer_to_nan(2 * c / (-b + s * np.sqrt(b * b - 4 * a * c)))
        entry_rate = lambda n0: (base + slope * np.where(inverse, n0, q), 0.0)  # noqa: E731  the rate at entry
        return with_entry_rows(u, s, q, e, m_, fee_, mode, entry_rate)


def solve_tiered(s, q, e, m, fee, floors, caps, rates, cums, continuous: bool, engine: str | None = None,
                 mode=AT_PRICE, positions_checked: bool = True) -> np.ndarray | None:
    """Tier-consistent root in ``u`` for every row; NaN where there is none.

    ``s, q, e, m, fee, mode`` broadcast against each other; ``floors, caps,
    rates, cums`` describe one tier table (1-D, ascending); ``continuous`` says
    that its maintenance amounts make maintenance margin continuous. ``engine``
    overrides the one :func:`use_engine` set.

    ``positions_checked=False``: ``s, q, e, m`` have not been checked. The compiled
    count kernel checks every row as it solves it (one pass instead of one per
    column); None if a row holds no position, or where that kernel does not
    apply: the caller then checks its inputs (naming the argument and row) and
    calls again.
    """
    args = [np.asarray(a, dtype=np.float64) for a in (s, q, e, m, fee, mode)]
    shape = np.broadcast_shapes(*(a.shape for a in args))
    args = [np.broadcast_to(a, shape).reshape(-1) for a in args]  # read-only; a 1-D broadcast view stays a view
    table = [np.ascontiguousarray(t, dtype=np.float64) for t in (floors, caps, rates, cums)]
    kernel = compiled_kernel(engine, args[0].shape[0])
    if not positions_checked and (kernel is None or not continuous):
        return None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a root past every float: no price
        if kernel is not None and continuous:  # one compiled pass, every mode included
            u, no_position = _run(kernel.count_parallel, kernel.count_serial, args, [table[0], table[2], table[3]])
            if no_position and not positions_checked:
                return None
        else:
            *row, mode_ = args
            m_, fee_ = fee_out_of_margin(*row[:3], row[3], row[4], mode_)
            row = [*row[:3], np.asarray(m_, dtype=np.float64), np.asarray(fee_, dtype=np.float64)]
            if kernel is not None:
                u, _ = _run(kernel.step_parallel, kernel.step_serial, row, table)
            else:
                u = count_numpy(*row, *table) if continuous else step_numpy(*row, *table)
            u = with_entry_rows(u, *row, mode_, lambda n0: _tier_rate_and_cum(table, n0))
    return u.reshape(shape)


def _tier_rate_and_cum(table, n):
    t = eq.tier_of(table[0], n)
    return table[2][t], table[3][t]


def _run(parallel, serial, args, table) -> tuple[np.ndarray, Any]:
    """Run a kernel: a position column that is a broadcast scalar is filled out (strided access costs ~2x);
    a broadcast fee or mode is passed as it is (its own compiled signature). Returns the result and what
    the kernel returned (the count kernel: how many rows hold no position)."""
    n = args[0].shape[0]
    columns = [np.full(n, a[0]) if n and a.strides == (0,) and i < 4 else a if a.strides == (0,) else np.ascontiguousarray(a)
               for i, a in enumerate(args)]
    out = np.empty(n)
    returned = (parallel if parallel_pays(n) else serial)(*columns, *table, out)
    return out, returned


def parallel_pays(rows: int) -> bool:
    """True where the parallel kernel is faster: from :data:`PARALLEL_FROM_ROWS` rows, with more than one core.

    Below that size it stalls when the cores are busy (waking its threads costs more than the work); from it,
    it is faster even with every core busy (tests/benchmarks/bench_liq_price.py, "every core busy": ~0.45 s
    against ~1.2 s for 10M rows with a spinning process on each of two cores), so the size decides, and the
    cores this process may run on (a process pinned to one core runs serially).
    """
    if rows < PARALLEL_FROM_ROWS:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores > 1


def count_numpy(s, q, e, m, fee, floors, caps, rates, cums) -> np.ndarray:
    """The count solver over arrays (continuous tables): the tier of the root is a count of boundaries."""
    t = np.zeros(np.shape(q), dtype=np.intp)
    x = s * m - q * e
    for j in range(1, len(floors)):
        t += eq.root_above(x, s, floors[j], eq.boundary_maint(fee, floors[j], rates[j], cums[j]))
    return no_answer_to_nan(eq.root(s, q, e, m, rates[t] + fee, cums[t]))


def step_numpy(s, q, e, m, fee, floors, caps, rates, cums) -> np.ndarray:
    """The stepping solver over arrays (tables with jumps): one tier at a time toward the root."""
    last = len(floors) - 1
    t = eq.tier_of(floors, q * e)
    rate = rates[t] + fee
    healthy = eq.balance(s, q, e, m, q * e, rate, cums[t]) > 0
    down = (s > 0) == healthy
    out = eq.root(s, q, e, m, rate, cums[t])
    rows, u = np.arange(out.shape[0]), out
    for _ in range(last):
        n = q[rows] * u
        leaving = np.where(down, (t > 0) & (n <= floors[t]), (t < last) & (n > caps[t]))
        if not leaving.any():
            break
        rows, t, down, healthy = rows[leaving], t[leaving], down[leaving], healthy[leaving]
        s_, q_, e_, m_, fee_ = (a[rows] for a in (s, q, e, m, fee))
        nxt = np.where(down, t - 1, t + 1)
        boundary = np.where(down, floors[t], caps[t])
        rate = rates[nxt] + fee_
        crossed = (eq.balance(s_, q_, e_, m_, boundary, rate, cums[nxt]) > 0) != healthy
        u = np.where(crossed, boundary / q_, eq.root(s_, q_, e_, m_, rate, cums[nxt]))
        out[rows] = u
        keep = ~crossed
        rows, t, down, healthy, u = rows[keep], nxt[keep], down[keep], healthy[keep], u[keep]
    return no_answer_to_nan(out)
