"""The equations of a position in ``u``, each written once, for scalars and arrays alike.

Linear and inverse contracts are one set of equations in the variable ``u``
("notional per unit of size"): ``u = P`` for linear contracts and ``u = 1/P``
for inverse ones. With ``s_u = s, e_u = E`` (linear) or ``s_u = -s,
e_u = 1/E`` (inverse)::

    notional = q * u
    uPnL     = s_u * q * (u - e_u)
    MM       = notional * rate - cum          (rate = mmr + close_fee_rate)

so that the price where ``margin + uPnL = MM`` in one tier is one division
(:func:`root`). Every function here is plain arithmetic (and one
``np.searchsorted``), so the same function runs on numpy arrays in the numpy
engine and is compiled by numba for the kernel (:mod:`xlmargin.core.compiled`):
one formula, one place. Arguments are named as in the equations: ``s`` side in
``u`` (+1/-1), ``q`` size, ``e`` entry in ``u``, ``m`` margin [settlement
asset], ``fee`` the close-fee rate [decimal], ``n`` a notional [settlement asset].
"""

from __future__ import annotations

import numpy as np

EPSILON = float(np.finfo(np.float64).eps)



def maint(n, rate, cum):
    """Maintenance margin at notional ``n``: ``n * rate - cum`` [settlement asset]."""
    return n * rate - cum


def balance(s, q, e, m, n, rate, cum):
    """``margin + uPnL - MM`` at notional ``n`` [settlement asset]: liquidation where it is <= 0."""
    return m + s * (n - q * e) - maint(n, rate, cum)


def cancelled(total, scale):
    """``total``, a sum of terms whose magnitudes add up to ``scale``, with 0 where it is 0 up to rounding.

    A difference of equal amounts (a 1x long's margin less its notional, an
    inverse short's margin less its value at entry) comes out of floating point
    as a few units of the last place rather than 0; divided by a small slope it
    would make a price of 1e-12 or 1e20 out of what has no price at all.
    """
    return total * (np.abs(total) > 8 * EPSILON * scale)


def root(s, q, e, m, rate, cum):
    """``u`` where :func:`balance` is zero in one tier: ``(m + cum - s*q*e) / (q*rate - s*q)``.

    The numerator is taken as 0 where it is 0 up to rounding (:func:`cancelled`):
    then ``u`` is 0 and there is no liquidation price.
    """
    return cancelled(m + cum - s * (q * e), np.abs(m) + np.abs(cum) + q * e) / (q * rate - s * q)


def root_above(x, s, b, mm_b):
    """True where the root lies above the boundary notional ``b``; ``x = s*m - q*e``, ``mm_b = MM(b)``.

    That is ``s * balance(b) < 0``, rearranged (``s*s = 1``) so that ``x`` is
    computed once for all boundaries and ``mm_b`` (:func:`boundary_maint`) once
    for all rows with the same fee: ``x + b < s * MM(b)``. For a continuous
    tier table the balance is continuous and strictly monotone in ``u``, so
    counting the boundaries below the root gives its tier without a search.
    """
    return x + b < s * mm_b


def boundary_maint(fee, b, rate, cum):
    """Maintenance margin and fee to close at the boundary notional ``b``: ``MM(b)`` of :func:`root_above`."""
    return maint(b, rate + fee, cum)


def fee_at_bankruptcy(s, q, e, m, fee):
    """The fee to close charged on the notional at the bankruptcy price [settlement asset].

    The bankruptcy price counts the fee itself: it is the root with a zero
    maintenance rate and the fee as the rate, ``fee * q * root(s, q, e, m, fee, 0)``.
    """
    return fee * q * root(s, q, e, m, fee, 0.0)


def entry_root(s, q, e, m, rate, cum, fee_amount):
    """``u`` where ``margin + uPnL`` meets a maintenance margin valued at the entry notional.

    ``MM(E) = q*e*rate - cum + fee_amount`` is a fixed amount (Bybit's and
    BitMEX's rules), so the root is ``e + (MM(E) - m) / (s*q)``.
    """
    return e + (maint(q * e, rate, cum) + fee_amount - m) / (s * q)


def tier_of(floors, n):
    """0-based tier of notional ``n`` in a table with ascending ``floors`` (floor < n <= cap)."""
    return np.maximum(np.searchsorted(floors, n, side="left") - 1, 0)


def is_answer(u):
    """True where ``u`` is a positive finite price (or inverse price): a liquidation exists."""
    return (u > 0) & (u < np.inf)
