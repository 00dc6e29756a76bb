"""An independent reference for the margin formulas, in exact rational arithmetic.

Written from SPEC.md section 3 and docs/formulas.md, one position at a time,
with ``fractions.Fraction``: every float input is converted exactly, every
operation is exact, and only the final answer is rounded to a float. So a
difference that is exactly zero (a 1x inverse short whose margin is exactly its
value at entry, ``m = q/E``) is decided exactly: no positive finite price
solves the equation, and the answer is NaN.

Nothing here imports xlmargin: the test compares xlmargin's public functions
against these functions.

Conventions (SPEC.md section 3): side ``s`` +1 long / -1 short, size ``q``
(base asset for linear contracts, quote value for inverse ones), entry ``E``,
price ``P``, maintenance rate ``r``, maintenance amount ``c``::

    linear:  uPnL = s*q*(P - E)          notional = q*P    MM = q*P*r - c
    inverse: uPnL = s*q*(1/E - 1/P)      notional = q/P    MM = (q/P)*r - c

A tier table here is a list of ``(floor, cap, r, c)`` rows, exact Fractions;
a notional ``n`` is in the tier with ``floor < n <= cap`` (a zero notional in
the first, anything beyond the last cap in the last).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

NAN = math.nan


def fr(x) -> F:
    """A float (or int, or Fraction) as an exact Fraction."""
    return x if isinstance(x, F) else F(x)


def out(x: F | None) -> float:
    """A Fraction as the nearest float; None (no answer) as NaN."""
    return NAN if x is None else float(x)


# -- one position -------------------------------------------------------------


def notional(q, p, inverse: bool) -> F:
    q, p = fr(q), fr(p)
    return q / p if inverse else q * p


def pnl(s: int, q, e, p, inverse: bool) -> F:
    q, e, p = fr(q), fr(e), fr(p)
    if inverse:
        return s * q * (1 / e - 1 / p)
    return s * q * (p - e)


def tier_of(table, n: F) -> int:
    """Index of the tier holding notional ``n`` (floor < n <= cap)."""
    for k, (floor, cap, _r, _c) in enumerate(table):
        if n <= cap:
            return k
    return len(table) - 1


def maint(q, p, inverse: bool, r=None, c=0, table=None) -> F:
    """Maintenance margin at price ``p``: flat ``r, c`` or the tier of the notional at ``p``."""
    n = notional(q, p, inverse)
    if table is not None:
        _f, _cap, r, c = table[tier_of(table, n)]
    return n * fr(r) - fr(c)


def _flat_root(s: int, q: F, e: F, m: F, r: F, c: F, inverse: bool) -> F | None:
    """The price where ``m + uPnL(P) = q*P*r - c`` (resp. ``(q/P)*r - c``); None if not positive finite.

    linear:  P = (m + c - s*q*E) / (q*r - s*q)
    inverse: P = q*(r + s) / (m + c + s*q/E)
    """
    if inverse:
        den = m + c + s * q / e
        if den == 0:
            return None
        p = q * (r + s) / den
    else:
        p = (m + c - s * q * e) / (q * r - s * q)  # q*(r - s) != 0 since 0 <= r < 1
    return p if p > 0 else None


def isolated_liq(s: int, q, e, m, inverse: bool, r=None, c=0, table=None) -> F | None:
    """Isolated liquidation price (exact); None where no positive finite price liquidates.

    With a tier table: solve each tier's equation and keep the root whose
    notional lies in that tier's range. For a consistent (continuous) table
    exactly one tier holds its root; that is asserted.
    """
    q, e, m = fr(q), fr(e), fr(m)
    if table is None:
        return _flat_root(s, q, e, m, fr(r), fr(c), inverse)
    found = []
    for k, (floor, cap, rk, ck) in enumerate(table):
        p = _root_any_sign(s, q, e, m, rk, ck, inverse)
        if p is None:
            continue
        n = notional(q, p, inverse) if p > 0 else None
        if n is None:
            continue
        low_ok = n > floor or (k == 0 and n >= floor)
        high_ok = n <= cap or k == len(table) - 1
        if low_ok and high_ok:
            found.append(p)
    assert len(found) <= 1, f"a consistent table must have at most one tier holding its root, found {found}"
    return found[0] if found else None


def _root_any_sign(s, q, e, m, r, c, inverse) -> F | None:
    """The root of one tier's equation (any sign), None where it has none."""
    if inverse:
        den = m + c + s * q / e
        return None if den == 0 else q * (r + s) / den
    return (m + c - s * q * e) / (q * r - s * q)


def bankruptcy(s: int, q, e, m, inverse: bool) -> F | None:
    """Where ``m + uPnL(P) = 0``: the liquidation price with ``r = 0, c = 0``."""
    return isolated_liq(s, q, e, m, inverse, 0, 0)


def entry_valued_liq(s: int, q, e, m, inverse: bool, r=None, c=0, table=None) -> F | None:
    """Bybit / BitMEX (no fee): maintenance margin valued at the entry notional.

    ``MM(E) = notional(E)*r - c`` (tier of the entry notional) is a fixed
    amount, so ``m + uPnL(P) = MM(E)`` gives, in ``u = P`` (linear) or
    ``u = 1/P`` (inverse): linear ``P = E + (MM(E) - m)/(s*q)``; inverse
    ``1/P = 1/E - (MM(E) - m)/(s*q)`` (the same with ``s_u = -s``).
    """
    q, e, m = fr(q), fr(e), fr(m)
    mm_e = maint(q, e, inverse, r, c, table)
    if inverse:
        u = 1 / e - (mm_e - m) / (s * q)
        return 1 / u if u > 0 else None
    p = e + (mm_e - m) / (s * q)
    return p if p > 0 else None


# -- cross --------------------------------------------------------------------


def cross_margin_of(i: int, wallet, positions, inverse: bool, table=None) -> F:
    """``wallet + sum over j != i of (uPnL_j - MM_j)``, the others at their marks.

    ``positions`` is a list of ``(s, q, E, P, r, c)``.
    """
    m = fr(wallet)
    for j, (s, q, e, p, r, c) in enumerate(positions):
        if j != i:
            m += pnl(s, q, e, p, inverse) - maint(q, p, inverse, r, c, table)
    return m


def cross_liq(i: int, wallet, positions, inverse: bool, table=None) -> F | None:
    """Cross liquidation price of position ``i``: the isolated one with the margin of :func:`cross_margin_of`."""
    s, q, e, _p, r, c = positions[i]
    m = cross_margin_of(i, wallet, positions, inverse, table)
    return isolated_liq(s, q, e, m, inverse, r, c, table)


# -- tier tables ---------------------------------------------------------------


def consistent_table(floors, rates, caps_last=None):
    """Exact ``(floor, cap, r, c)`` rows with ``c_k = c_{k-1} + floor_k*(r_k - r_{k-1})``, ``c_0 = 0``."""
    floors = [fr(f) for f in floors]
    rates = [fr(r) for r in rates]
    rows, c = [], F(0)
    for k, (floor, r) in enumerate(zip(floors, rates)):
        if k:
            c = c + floor * (r - rates[k - 1])
        cap = floors[k + 1] if k + 1 < len(floors) else (fr(caps_last) if caps_last is not None else None)
        rows.append((floor, cap if cap is not None else F(10) ** 30, r, c))
    return rows
