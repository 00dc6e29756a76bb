"""Solve ``margin + uPnL(P) = MM(P)`` for the price ``P``, consistently with tiers.

Linear and inverse contracts are solved by one formula in the variable ``u``
("notional per unit of size"): ``u = P`` for linear contracts and ``u = 1/P``
for inverse ones. In ``u`` both contract types read::

    uPnL = s_u * q * (u - e_u)          notional = q * u
    MM   = q * u * rate - cum           (rate = mmr + close_fee_rate)

with ``s_u = s, e_u = E`` (linear) or ``s_u = -s, e_u = 1/E`` (inverse), so the
root in one tier is ``u = (m + cum - s_u*q*e_u) / (q*rate - s_u*q)``.

With a tier table the root must lie in the tier whose notional range holds
``q*u``. In ``u`` the balance ``f(u) = m + uPnL - MM`` has the slope
``q*(s_u - rate)`` in every tier, so it is strictly monotone within tiers.

*Continuous tables* (consistent maintenance amounts, the normal case): ``f`` is
continuous and strictly monotone, the root is unique, and the root lies above
the boundary notional ``b`` exactly when ``s_u * f(b/q) < 0``. Counting those
boundaries gives the tier without a search; one division gives the root.

*Tables with jumps* (inconsistent amounts): starting at the tier of the entry
notional, the solver steps one tier
at a time in the direction of the root (toward the adverse side when the
position is healthy at entry). If the next tier's equation already has the
position past liquidation at the boundary (maintenance margin jumps there in a
table with inconsistent maintenance amounts), the boundary itself is the
answer: that is the first price at which margin + uPnL <= MM. For consistent
tables maintenance margin is continuous and convex in the notional, the root
is unique, and the stepping never turns back.

Two engines give the same numbers: numpy (always available, also in xlwings
Lite) and an optional numba kernel, a single compiled pass that is used when
numba is installed. ``ENGINE`` (or the environment variable
``XLMARGIN_ENGINE``) picks one: ``"auto"``, ``"numpy"`` or ``"numba"``.
"""

from __future__ import annotations

import os

import numpy as np

try:  # optional accelerator
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

ENGINE = os.environ.get("XLMARGIN_ENGINE", "auto")


def root(s, q, e, m, rate, cum):
    """Root of one tier's equation in ``u`` (any broadcastable arrays)."""
    return (m + cum - s * (q * e)) / (q * rate - s * q)


def no_answer_to_nan(u: np.ndarray) -> np.ndarray:
    """NaN where no positive finite price solves the equation."""
    return np.where((u > 0) & (u < np.inf), u, np.nan)


# how a row values maintenance margin, and where the fee to close is charged
AT_PRICE, AT_ENTRY, AT_ENTRY_FEE_AT_BANKRUPTCY, AT_PRICE_FEE_AT_BANKRUPTCY = 0.0, 1.0, 2.0, 3.0


def solve_tiered(
    s, q, e, m, fee, floors, caps, rates, cums, continuous: bool, engine: str | None = None, mode=AT_PRICE
) -> np.ndarray:
    """Tier-consistent root in ``u`` for every row; NaN where there is none.

    ``s, q, e, m, fee`` broadcast against each other; ``floors, caps, rates,
    cums`` describe one tier table (1-D, ascending); ``continuous`` says that
    its maintenance amounts make maintenance margin continuous. ``mode`` (per
    row) values maintenance margin at the price (0), at the entry notional with
    the fee there (1) or with the fee at the bankruptcy price (2), or at the
    price with the fee at the bankruptcy price (3). Rows 1 and 2 have the
    closed form of :func:`entry_root`; in rows 3 the fee is a fixed amount,
    taken from the margin (:func:`fee_at_bankruptcy`).
    """
    engine = engine or ENGINE
    if engine not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba', not {engine!r}")
    if engine == "numba" and numba is None:
        raise ImportError("the numba engine needs numba: pip install numba")
    args = [a.view() for a in np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (s, q, e, m, fee, mode)))]
    for a in args:
        a.flags.writeable = False
    shape = args[0].shape
    if len(shape) != 1:  # a 1-D broadcast view stays a view; other shapes are flattened
        args = [np.ascontiguousarray(a).reshape(-1) for a in args]
    table = [np.ascontiguousarray(t, dtype=np.float64) for t in (floors, caps, rates, cums)]
    *args, modes = args
    entry_rows = np.flatnonzero((modes == AT_ENTRY) | (modes == AT_ENTRY_FEE_AT_BANKRUPTCY)) if modes.any() else None
    fused = engine != "numpy" and numba is not None and continuous
    if modes.any() and not fused and (modes == AT_PRICE_FEE_AT_BANKRUPTCY).any():
        rows = np.flatnonzero(modes == AT_PRICE_FEE_AT_BANKRUPTCY)
        args = [np.array(a, copy=True) for a in args]
        s_, q_, e_, m_, fee_ = (a[rows] for a in args)
        args[3][rows] = m_ - fee_at_bankruptcy(s_, q_, e_, m_, fee_)
        args[4][rows] = 0.0
    if engine == "numpy" or numba is None:
        u = _count_numpy(*args, *table) if continuous else _step_numpy(*args, *table)
    elif continuous:  # one compiled pass, the entry-valued rows included
        u = np.empty(args[0].shape[0])
        _count_compiled(*args, modes, *table, u)
        entry_rows = None
    else:
        u = np.empty(args[0].shape[0])
        _step_compiled(*args, *table, u)
    if entry_rows is not None:
        u = np.array(u, copy=True)
        u[entry_rows] = entry_root(*(a[entry_rows] for a in (*args, modes)), table[0], table[2], table[3])
    return u.reshape(shape)


def fee_at_bankruptcy(s, q, e, m, fee):
    """The fee to close charged on the notional at the bankruptcy price (which counts the fee itself)."""
    return fee * q * ((m - s * (q * e)) / (q * fee - s * q))


def entry_root(s, q, e, m, fee, mode, floors, rates, cums):
    """Root in ``u`` where maintenance margin is a fixed amount valued at the entry notional.

    ``m + s*q*(u - e) = MM(E)``, ``MM(E) = n0*rate - cum + fee to close``, the
    tier that of the entry notional ``n0 = q*e``; the fee is charged on ``n0``
    (mode 1) or on the notional at the bankruptcy price (mode 2).
    """
    n0 = q * e
    t = np.clip(np.searchsorted(floors, n0, side="left") - 1, 0, len(floors) - 1)
    fee_amount = np.where(mode == AT_ENTRY_FEE_AT_BANKRUPTCY, fee_at_bankruptcy(s, q, e, m, fee), fee * n0)
    return no_answer_to_nan(e + (n0 * rates[t] - cums[t] + fee_amount - m) / (s * q))


def _count_numpy(s, q, e, m, fee, floors, caps, rates, cums):
    n0 = q * e
    x = s * m - n0
    t = np.zeros(n0.shape, dtype=np.intp)
    for j in range(1, len(floors)):
        b = floors[j]
        # s*f(b) < 0, i.e. the root lies above boundary j (s*s == 1 rearranged)
        t += x + b < s * (b * (rates[j] + fee) - cums[j])
    return no_answer_to_nan(root(s, q, e, m, rates[t] + fee, cums[t]))


def _count_loop(s, q, e, m, fee, mode, floors, caps, rates, cums, out):  # pragma: no cover - compiled
    """The same count as :func:`_count_numpy` (and :func:`entry_root` where ``mode`` says), one row at a time."""
    last = floors.shape[0] - 1
    for i in numba.prange(out.shape[0]):
        si, qi, mi, fi = s[i], q[i], m[i], fee[i]
        n0 = qi * e[i]
        if mode[i] == 3.0:  # the fee at the bankruptcy price is a fixed amount: out of the margin
            mi = mi - fi * qi * ((mi - si * n0) / (qi * fi - si * qi))
            fi = 0.0
        if mode[i] == 1.0 or mode[i] == 2.0:
            t = 0
            while t < last and floors[t + 1] < n0:
                t += 1
            fee_amount = fi * n0
            if mode[i] == 2.0:
                fee_amount = fi * qi * ((mi - si * (qi * e[i])) / (qi * fi - si * qi))
            u = e[i] + (n0 * rates[t] - cums[t] + fee_amount - mi) / (si * qi)
        else:
            x = si * mi - n0
            t = 0
            for j in range(1, floors.shape[0]):
                b = floors[j]
                if x + b < si * (b * (rates[j] + fi) - cums[j]):
                    t += 1
            u = (mi + cums[t] - si * n0) / (qi * (rates[t] + fi) - si * qi)
        out[i] = u if (u > 0 and u < np.inf) else np.nan


def _step_numpy(s, q, e, m, fee, floors, caps, rates, cums):
    last = len(floors) - 1
    t = np.clip(np.searchsorted(floors, q * e, side="left") - 1, 0, last)
    rate = rates[t] + fee
    healthy = m - (q * e * rate - cums[t]) > 0
    down = (s > 0) == healthy
    out = root(s, q, e, m, rate, cums[t])
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
        # past liquidation already at the boundary: maintenance margin jumps there
        crossed = (m_ + s_ * (boundary - q_ * e_) - (boundary * rate - cums[nxt]) > 0) != healthy
        u = np.where(crossed, boundary / q_, root(s_, q_, e_, m_, rate, cums[nxt]))
        out[rows] = u
        keep = ~crossed
        rows, t, down, healthy, u = rows[keep], nxt[keep], down[keep], healthy[keep], u[keep]
    return no_answer_to_nan(out)


def _step_loop(s, q, e, m, fee, floors, caps, rates, cums, out):  # pragma: no cover - compiled
    """The same stepping as :func:`_step_numpy`, one row at a time."""
    last = floors.shape[0] - 1
    for i in numba.prange(out.shape[0]):
        si, qi, mi, fi = s[i], q[i], m[i], fee[i]
        n0 = qi * e[i]
        t = 0
        while t < last and floors[t + 1] < n0:
            t += 1
        rate = rates[t] + fi
        healthy = mi - (n0 * rate - cums[t]) > 0
        down = (si > 0) == healthy
        u = (mi + cums[t] - si * n0) / (qi * rate - si * qi)
        while True:
            n = qi * u
            if down:
                if t == 0 or n > floors[t]:
                    break
                nxt, boundary = t - 1, floors[t]
            else:
                if t == last or n <= caps[t]:
                    break
                nxt, boundary = t + 1, caps[t]
            rate = rates[nxt] + fi
            if (mi + si * (boundary - n0) - (boundary * rate - cums[nxt]) > 0) != healthy:
                u = boundary / qi
                break
            t = nxt
            u = (mi + cums[t] - si * n0) / (qi * rate - si * qi)
        out[i] = u if (u > 0 and u < np.inf) else np.nan


if numba is not None:
    _count_compiled = numba.njit(parallel=True, cache=True)(_count_loop)
    _step_compiled = numba.njit(parallel=True, cache=True)(_step_loop)
