"""The formulas over checked arrays: the core's one internal interface.

The public functions of :mod:`~xlmargin.core.position`, :mod:`~xlmargin.core.cross`,
:mod:`~xlmargin.core.calculator` and :mod:`~xlmargin.core.explain` check their
inputs with the input rule (:mod:`xlmargin.core.inputs`) and then call these;
the review of a book (:mod:`xlmargin.review`), whose columns are checked once
for the whole book, calls them directly. Each formula is written once, here or
(in ``u``, for the solver and the compiled kernel) in :mod:`xlmargin.core.equations`.

Arguments are arrays that broadcast: ``s`` +1 long / -1 short, ``q`` size
[base asset, or quote for inverse], prices [quote per base], ``margin``
[settlement asset], ``inverse`` a boolean array (True for coin-margined
contracts), ``mmr`` a rate [decimal] or a :class:`~xlmargin.core.tiers.TierTable`
(or a shipped table's name), ``fee`` the close-fee rate [decimal], ``rules``
per-row flags of :func:`xlmargin.core.rules.flags`. NaN means "no answer".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from . import inputs as inp
from .schedules import SCHEDULES, SizeScaledRate
from .solver import AT_PRICE, solve_flat, solve_size_scaled, solve_tiered
from .tiers import TierTable

DEFAULT_MMR = 0.005
DEFAULT_MARGIN_CALL = 0.8

__all__ = [
    "DEFAULT_MMR",
    "DEFAULT_MARGIN_CALL",
    "position_args",
    "notional",
    "pnl",
    "tier_table",
    "rate_args",
    "tiers_of",
    "coin_size",
    "rate_and_amount",
    "maint_margin",
    "maint_margin_at",
    "liq_price",
    "tier_used",
]


def position_args(side: Any, size: Any, entry_price: Any, contract: Any):
    """``s, q, entry, inverse`` of positions, checked by the input rule."""
    return inp.side(side), inp.positive("size", size), inp.positive("entry_price", entry_price), inp.is_inverse(contract)


def _linear_or_inverse(inverse: np.ndarray, linear: Any, coin: Any) -> np.ndarray:
    if inverse.ndim == 0:
        return coin() if inverse else linear()
    return np.where(inverse, coin(), linear())


def notional(q: np.ndarray, price: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Position value [settlement asset]: ``q*P`` (linear) or ``q/P`` (inverse)."""
    return _linear_or_inverse(inverse, lambda: q * price, lambda: q / price)


def pnl(s, q, entry, mark, inverse) -> np.ndarray:
    """Unrealized PnL [settlement asset]: ``s*q*(P - E)`` (linear) or ``s*q*(1/E - 1/P)`` (inverse)."""
    return _linear_or_inverse(inverse, lambda: s * q * (mark - entry), lambda: s * q * (1 / entry - 1 / mark))


def tier_table(argument: str, value: Any) -> TierTable | SizeScaledRate | None:
    """A tier table or size-scaled schedule, given as itself or by a shipped one's name; None for a rate."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            if value.strip().lower() in SCHEDULES:
                return SCHEDULES[value.strip().lower()]
            try:
                return TierTable.load(value)
            except InputError as exc:
                raise InputError(argument, exc.reason + f", or a size-scaled schedule ({', '.join(SCHEDULES)})") from None
        return None  # a number written as text: a rate
    return value if isinstance(value, (TierTable, SizeScaledRate)) else None


def coin_size(q: np.ndarray, n: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Size in coin [base asset]: the quantity (linear) or the notional in coin (inverse)."""
    return _linear_or_inverse(inverse, lambda: q, lambda: n)


def rate_args(mmr: Any, maint_amount: Any) -> dict[str, Any]:
    """The rate arguments that take part in broadcasting (none when ``mmr`` is a tier table)."""
    return {} if tier_table("mmr", mmr) is not None else {"mmr": mmr, "maint_amount": maint_amount}


def tiers_of(mmr: Any, maint_amount: Any) -> TierTable | SizeScaledRate | None:
    """The tier table (or size-scaled schedule) passed as ``mmr``, if any (its maintenance amounts are its own)."""
    table = tier_table("mmr", mmr)
    if table is not None and np.any(np.asarray(maint_amount, dtype=object) != 0):
        raise InputError("maint_amount", "must be left at 0 when mmr is a tier table (the table has its own)")
    return table


def rate_and_amount(mmr: Any, maint_amount: Any, n: np.ndarray, size: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Maintenance rate [decimal] and amount [settlement asset] of each row.

    Flat, or the tier of notional ``n``, or a size-scaled schedule's rate at
    ``size``, the size in coin (:func:`coin_size`; needed for a schedule only).
    """
    table = tiers_of(mmr, maint_amount)
    if table is None:
        return inp.rate("mmr", mmr), inp.non_negative("maint_amount", maint_amount)
    if isinstance(table, SizeScaledRate):
        if size is None:
            raise InputError("mmr", "a size-scaled schedule needs the position's size here; give a rate or a tier table")
        return table.rate(size), 0.0
    t = table.tier_index(n)
    return table.mmr[t], table.maint_amount[t]


def maint_margin(n: np.ndarray, mmr: Any, maint_amount: Any = 0.0, fee: Any = 0.0, size: Any = None) -> np.ndarray:
    """Maintenance margin at notional ``n`` [settlement asset]: ``n*(mmr + fee) - maint_amount``, tier of ``n``.

    ``size`` is the size in coin, for a size-scaled schedule (:func:`coin_size`).
    """
    rate, amount = rate_and_amount(mmr, maint_amount, n, size)
    return n * (rate + fee) - amount


def maint_margin_at(q, price, inv, mmr, maint_amount, fee=0.0) -> np.ndarray:
    """Maintenance margin of positions valued at ``price`` (tier, or size-scaled rate, of that notional)."""
    n = notional(q, price, inv)
    return maint_margin(n, mmr, maint_amount, fee, coin_size(q, n, inv))


def _solver_mode(rules) -> Any:
    """Per-row mode of the solver (:mod:`xlmargin.core.solver`): where MM is valued and the fee charged."""
    if rules is None or rules.plain:
        return AT_PRICE
    bankruptcy = rules.fee_at_bankruptcy.astype(float)
    return np.where(rules.mm_at_entry, 1.0 + bankruptcy, 3.0 * bankruptcy)


def liq_price(s, q, entry, margin, mmr, maint_amount, inverse, fee, rules=None, positions_checked=True) -> np.ndarray | None:
    """Price where ``margin + uPnL = MM`` [quote per base], tier-consistently; NaN where there is none.

    Solved in ``u = P`` (linear) or ``u = 1/P`` (inverse), see :mod:`xlmargin.core.solver`.
    ``rules`` (per-row flags of :mod:`xlmargin.core.rules`) switch rows to
    maintenance margin valued at the entry notional, or to the fee to close
    charged at the bankruptcy price. With ``mmr = 0`` it is the bankruptcy price.
    ``positions_checked=False``: ``s, q, entry, margin`` are unchecked; the compiled
    kernel checks them as it solves, and None says "check them, then call again"
    (:func:`solver.solve_tiered`).
    """
    table = tiers_of(mmr, maint_amount)
    if not positions_checked and not (isinstance(table, TierTable) and table.continuous):
        return None
    s_u = _linear_or_inverse(inverse, lambda: s, lambda: -s)
    e_u = _linear_or_inverse(inverse, lambda: entry, lambda: 1 / entry)
    mode = _solver_mode(rules)
    if isinstance(table, SizeScaledRate):
        u = solve_size_scaled(s_u, q, e_u, margin, fee, table.mmr, table.slope, inverse, mode)
    elif table is not None:
        u = solve_tiered(s_u, q, e_u, margin, fee, table.notional_floor, table.notional_cap, table.mmr,
                         table.maint_amount, continuous=table.continuous, mode=mode, positions_checked=positions_checked)
        if u is None:
            return None
    else:
        u = solve_flat(s_u, q, e_u, margin, fee, inp.rate("mmr", mmr), inp.non_negative("maint_amount", maint_amount), mode)
    return _linear_or_inverse(inverse, lambda: u, lambda: 1 / u)


def tier_used(mmr: Any, maint_amount: Any, n: float, size: float | None = None) -> tuple[float, float, str]:
    """The rate, amount and a description of the tier that applies at notional ``n`` (for explanations)."""
    table = tiers_of(mmr, maint_amount)
    if table is None:
        return float(mmr), float(maint_amount), "flat rate"
    if isinstance(table, SizeScaledRate):
        return float(table.rate(size)), 0.0, f"{table} at a size of {size:,.10g} {table.coin}"
    t = int(table.tier_index(n))
    where = f"{t + 1} of {len(table)}: notional {table.notional_floor[t]:,.10g} to {table.notional_cap[t]:,.10g}"
    return float(table.mmr[t]), float(table.maint_amount[t]), where
