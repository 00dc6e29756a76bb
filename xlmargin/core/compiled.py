"""The compiled kernel: the solver's equations compiled by numba, one row at a time.

Imported only when a call is large enough to use it (:mod:`xlmargin.core.solver`
decides), so ``import xlmargin`` never loads numba. The equations are those of
:mod:`xlmargin.core.equations`, compiled as they are: no copy of a formula
lives here, only the loop over rows. Each kernel has one explicit signature
(read-only float64 arrays of any layout in, a float64 array out), so it is
compiled once, cached on disk, and never again for a new mix of scalar and
array arguments. Serial and parallel variants: the parallel one pays only
for large calls, and stalls small ones when the cores are busy.
"""

from __future__ import annotations

from types import FunctionType

from ..errors import require_extra

require_extra("the compiled kernel", "fast", ("numba",))

import numba  # noqa: E402  (after the check of the extra)
import numpy as np  # noqa: E402
from numba import types  # noqa: E402

from . import equations as eq  # noqa: E402

_jit = numba.njit(cache=True, inline="always")


def _compile_equations() -> dict:
    """Every equation of :mod:`equations` compiled, its calls to the others resolved to compiled ones.

    Each is the same code object run with a namespace in which the equations it
    calls are the compiled ones: the formula itself is never copied.
    """
    scope = dict(vars(eq))
    for name in ("maint", "balance", "cancelled", "root", "root_above", "boundary_maint", "fee_at_bankruptcy", "entry_root", "tier_of", "is_answer"):
        function = getattr(eq, name)
        scope[name] = _jit(FunctionType(function.__code__, scope, name, function.__defaults__))
    return scope


_equations = _compile_equations()
maint, balance, root, root_above, boundary_maint = (
    _equations[n] for n in ("maint", "balance", "root", "root_above", "boundary_maint"))
fee_at_bankruptcy, entry_root, tier_of, is_answer = (_equations[n] for n in ("fee_at_bankruptcy", "entry_root", "tier_of", "is_answer"))

# two signatures: every column contiguous (the fast case), or any layout (a broadcast scalar among them)
_OUT = types.Array(types.float64, 1, "C")
_C, _A = (types.Array(types.float64, 1, layout, readonly=True) for layout in ("C", "A"))
# the position columns contiguous and the fee and mode of any layout (the common call: one fee and one rule set,
# broadcast from one value without a copy, while the contiguous columns stay fast); or every column of any layout
_SIGNATURES = [types.void(*[_C] * 4, _A, _A, *[_C] * 3, _OUT), types.void(*[_A] * 9, _OUT)]
_COUNTING = [types.intp(*signature.args) for signature in _SIGNATURES]  # the count loop returns its rows' check


def _count_row(s, q, e, m, fee, floors, rates, cums, fee0, boundary_mm0):
    """One row of the count solver (continuous tables), maintenance margin at the price (modes 0 and 3).

    ``m, fee`` as :func:`fee_out` leaves them. ``boundary_mm0`` is
    :func:`~xlmargin.core.equations.boundary_maint` at each boundary for the fee ``fee0``, made once
    a call: a row with that fee uses it, any other makes its own (the same numbers either way).
    """
    t = 0
    x = s * m - q * e
    for j in range(1, floors.shape[0]):
        mm = boundary_mm0[j] if fee == fee0 else boundary_maint(fee, floors[j], rates[j], cums[j])
        t += root_above(x, s, floors[j], mm)
    return root(s, q, e, m, rates[t] + fee, cums[t])


def _entry_row(s, q, e, m, fee, mode, floors, rates, cums):
    """One row whose maintenance margin is valued at the entry notional (modes 1 and 2): one closed form."""
    t = tier_of(floors, q * e)
    fee_amount = fee_at_bankruptcy(s, q, e, m, fee) if mode == 2.0 else fee * q * e
    return entry_root(s, q, e, m, rates[t], cums[t], fee_amount)


def _fee_out(s, q, e, m, fee, mode):
    """Margin and fee rate once a fee charged at the bankruptcy price (mode 3) is taken out of the margin."""
    if mode == 3.0:  # the fee at the bankruptcy price is a fixed amount
        return m - fee_at_bankruptcy(s, q, e, m, fee), 0.0
    return m, fee


def _step_row(s, q, e, m, fee, floors, caps, rates, cums):
    """One row of the stepping solver (tables with jumps), as :func:`solver.step_numpy` does it."""
    last = floors.shape[0] - 1
    t = tier_of(floors, q * e)
    rate = rates[t] + fee
    healthy = balance(s, q, e, m, q * e, rate, cums[t]) > 0
    down = (s > 0) == healthy
    u = root(s, q, e, m, rate, cums[t])
    while True:
        n = q * u
        if down:
            if t == 0 or n > floors[t]:
                return u
            nxt, boundary = t - 1, floors[t]
        else:
            if t == last or n <= caps[t]:
                return u
            nxt, boundary = t + 1, caps[t]
        rate = rates[nxt] + fee
        if (balance(s, q, e, m, boundary, rate, cums[nxt]) > 0) != healthy:
            return boundary / q  # past liquidation already at the boundary: MM jumps there
        t = nxt
        u = root(s, q, e, m, rate, cums[t])


count_row, fee_out = _jit(_count_row), _jit(_fee_out)
# not inlined: the rare branch (a search of the table) kept out of the count loop's body, ~1.5x faster
entry_row = numba.njit(cache=True, inline="never")(_entry_row)
step_row = _jit(_step_row)


def _count_loop(s, q, e, m, fee, mode, floors, rates, cums, out):
    """Every row solved; returns how many rows hold no isolated position (the input checks, fused into this pass).

    An isolated position: side +1 or -1, size and entry (in u) finite and > 0, margin finite and >= 0.
    The caller that skipped those checks runs them when the count is not 0 (they name the argument and
    row; a notional ``q*e`` beyond the float range also counts, so that those checks judge it); a caller
    that checked them ignores the count (a cross position's margin may be negative). The check is
    branch-free, one comparison a column and one for infinity (NaN fails every comparison), and every
    row is solved (compiled with numpy's error model, a row that holds no position divides by zero
    into NaN instead of raising). The maintenance margin at each boundary is made once for the first
    row's fee (a call's fee is mostly one value): a row's answer depends on its own values alone, so
    serial and parallel give the same numbers.
    """
    n = out.shape[0]
    if n == 0:
        return 0
    fee0 = fee_out(s[0], q[0], e[0], m[0], fee[0], mode[0])[1]
    boundary_mm0 = np.empty(floors.shape[0])
    for j in range(floors.shape[0]):
        boundary_mm0[j] = boundary_maint(fee0, floors[j], rates[j], cums[j])
    bad = 0
    for i in numba.prange(n):
        m_, fee_ = fee_out(s[i], q[i], e[i], m[i], fee[i], mode[i])
        if mode[i] == 1.0 or mode[i] == 2.0:  # maintenance margin valued at the entry notional
            u = entry_row(s[i], q[i], e[i], m_, fee_, mode[i], floors, rates, cums)
        else:
            u = count_row(s[i], q[i], e[i], m_, fee_, floors, rates, cums, fee0, boundary_mm0)
        out[i] = u if is_answer(u) else np.nan
        held = (abs(s[i]) == 1.0) & (q[i] > 0.0) & (e[i] > 0.0) & (m[i] >= 0.0) & (q[i] * e[i] + m[i] < np.inf)
        bad += 1 - held
    return bad


def _step_loop(s, q, e, m, fee, floors, caps, rates, cums, out):
    for i in numba.prange(out.shape[0]):
        u = step_row(s[i], q[i], e[i], m[i], fee[i], floors, caps, rates, cums)
        out[i] = u if is_answer(u) else np.nan


def _named(loop, suffix: str):
    """The same loop under its own name: numba's disk cache is keyed by name, and a serial and a parallel
    compilation of one function would otherwise share (and overwrite) one entry."""
    copy = FunctionType(loop.__code__, loop.__globals__, loop.__name__ + suffix)
    copy.__qualname__ = loop.__qualname__ + suffix
    return copy


count_serial = numba.njit(_COUNTING, cache=True, error_model="numpy")(_named(_count_loop, "_serial"))
count_parallel = numba.njit(_COUNTING, cache=True, parallel=True, error_model="numpy")(_named(_count_loop, "_parallel"))
step_serial = numba.njit(_SIGNATURES, cache=True)(_named(_step_loop, "_serial"))
step_parallel = numba.njit(_SIGNATURES, cache=True, parallel=True)(_named(_step_loop, "_parallel"))


# -- input checks in one pass: the first row out of range, or -1 (the message is built by xlmargin.core.inputs)
_COLUMN = types.Array(types.float64, 1, "A", readonly=True)


@numba.njit([types.intp(_COLUMN, types.float64, types.float64, types.boolean)], cache=True)
def first_out_of_range(values, low, high, low_ok):
    """Index of the first value not in [low, high) (or (low, high)), NaN included; -1 if none."""
    for i in range(values.shape[0]):
        x = values[i]
        if not ((x >= low if low_ok else x > low) and x < high):
            return i
    return -1


@numba.njit([types.intp(_COLUMN)], cache=True)
def first_not_a_side(values):
    """Index of the first value that is neither +1 nor -1; -1 if none."""
    for i in range(values.shape[0]):
        if abs(values[i]) != 1.0:  # one predictable test per row (longs and shorts come in any order)
            return i
    return -1
