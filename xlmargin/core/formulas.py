"""The formulas over arrays, each written once: notional, PnL, maintenance margin, the liquidation root.

Private to the core: the public functions of :mod:`position`, :mod:`cross`,
:mod:`calculator` and :mod:`explain` check their inputs with the input rule
(:mod:`xlmargin.core.inputs`) and then call these on arrays. The review of a
book (:mod:`xlmargin.review`) calls the same functions through
:mod:`xlmargin.core.kernel`.

Conventions (docs/glossary.md): ``s`` is +1 long, -1 short; ``q`` the size;
``inverse`` a boolean array (True for coin-margined contracts); a NaN result
means "no answer".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import inputs as inp
from .solver import fee_at_bankruptcy, no_answer_to_nan, root, solve_tiered
from ..errors import InputError
from .tiers import TierTable

DEFAULT_MMR = 0.005
DEFAULT_MARGIN_CALL = 0.8


def _contract(contract: Any) -> np.ndarray:
    return inp.is_inverse(contract)


def _notional(q: np.ndarray, price: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Position value [settlement asset]: q*P (linear) or q/P (inverse)."""
    if inverse.ndim == 0:
        return q / price if inverse else q * price
    return np.where(inverse, q / price, q * price)


def _pnl(s, q, entry, mark, inverse) -> np.ndarray:
    if inverse.ndim == 0:
        return s * q * (1 / entry - 1 / mark) if inverse else s * q * (mark - entry)
    return np.where(inverse, s * q * (1 / entry - 1 / mark), s * q * (mark - entry))


def _table(argument: str, value: Any) -> TierTable | None:
    """A TierTable given as itself or as a shipped table's name; None for anything else."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            try:
                return TierTable.load(value)
            except InputError as exc:
                raise InputError(argument, exc.reason) from None
        return None  # a number written as text: a rate
    return value if isinstance(value, TierTable) else None


def _rate_args(mmr: Any, maint_amount: Any) -> dict[str, Any]:
    """The rate arguments that take part in broadcasting (not a tier table)."""
    return {} if _table("mmr", mmr) is not None else {"mmr": mmr, "maint_amount": maint_amount}


def _tiers(mmr: Any, maint_amount: Any) -> TierTable | None:
    """The tier table passed as ``mmr``, if any."""
    mmr = _table("mmr", mmr)
    if mmr is not None:
        if np.any(np.asarray(maint_amount, dtype=object) != 0):
            raise InputError("maint_amount", "must be left at 0 when mmr is a tier table (the table has its own)")
        return mmr
    return None


def _rate_and_amount(mmr: Any, maint_amount: Any, notional: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maintenance rate and amount of each row: flat, or the tier of ``notional``."""
    tiers = _tiers(mmr, maint_amount)
    if tiers is None:
        return inp.rate("mmr", mmr), inp.non_negative("maint_amount", maint_amount)
    t = tiers.tier_index(notional)
    return tiers.mmr[t], tiers.maint_amount[t]


def _liq_price(s, q, entry, margin, mmr, maint_amount, inverse, fee, rules=None) -> np.ndarray:
    """Price where margin + uPnL = MM, tier-consistently; NaN where there is none.

    Works in u = P (linear) or u = 1/P (inverse); see :mod:`xlmargin.core.solver`.
    ``rules`` (per-row flags of :mod:`xlmargin.rules`) switch rows to maintenance
    margin valued at the entry notional.
    """
    if inverse.ndim == 0:
        s_u, e_u = (-s, 1 / entry) if inverse else (s, entry)
    else:
        s_u, e_u = np.where(inverse, -s, s), np.where(inverse, 1 / entry, entry)
    tiers = _tiers(mmr, maint_amount)
    if tiers is not None:
        table = (tiers.notional_floor, tiers.notional_cap, tiers.mmr, tiers.maint_amount)
        mode = 0.0 if rules is None else _solver_mode(rules)
        return _to_price(solve_tiered(s_u, q, e_u, margin, fee, *table, continuous=tiers.continuous, mode=mode), inverse)
    if rules is not None and rules.fee_at_bankruptcy.any():
        # MM at the price plus a fee to close charged at the bankruptcy price (Bybit's unified account):
        # that fee is a fixed amount, the same as taking it from the margin
        at_bankruptcy = rules.fee_at_bankruptcy & ~rules.mm_at_entry
        if at_bankruptcy.any():
            shape = np.broadcast_shapes(np.shape(s_u), np.shape(q), np.shape(e_u), np.shape(margin), np.shape(fee),
                                        at_bankruptcy.shape)
            rows = np.flatnonzero(np.broadcast_to(at_bankruptcy, shape).ravel())
            pick = lambda a: np.broadcast_to(a, shape).ravel()[rows]  # noqa: E731
            margin = np.array(np.broadcast_to(margin, shape), dtype=float)
            fee = np.array(np.broadcast_to(fee, shape), dtype=float)
            f = pick(fee)
            margin.ravel()[rows] -= fee_at_bankruptcy(pick(s_u), pick(q), pick(e_u), pick(margin), f)
            fee.ravel()[rows] = 0.0
    rate = inp.rate("mmr", mmr) + fee
    u = no_answer_to_nan(root(s_u, q, e_u, margin, rate, inp.non_negative("maint_amount", maint_amount)))
    if rules is not None and rules.mm_at_entry.any():
        if rules.mm_at_entry.ndim == 0:
            mm = _maint_at_entry(s_u, q, e_u, margin, mmr, maint_amount, fee, rules.fee_at_bankruptcy)
            u = no_answer_to_nan(e_u + (mm - margin) / (s_u * q))
        else:  # only the rows whose rules value MM at entry
            shape = np.broadcast_shapes(np.shape(u), rules.mm_at_entry.shape)
            rows = np.flatnonzero(np.broadcast_to(rules.mm_at_entry, shape).ravel())
            pick = lambda a: np.broadcast_to(a, shape).ravel()[rows]  # noqa: E731
            rates = _rate_args(mmr, maint_amount)
            sub = [pick(a) for a in (s_u, q, e_u, margin, fee, rules.fee_at_bankruptcy)]
            flat = {k: pick(np.asarray(v, dtype=float)) for k, v in rates.items()}
            mm = _maint_at_entry(*sub[:4], flat.get("mmr", mmr), flat.get("maint_amount", maint_amount), sub[4], sub[5])
            u = np.array(np.broadcast_to(u, shape), copy=True)
            u.ravel()[rows] = no_answer_to_nan(sub[2] + (mm - sub[3]) / (sub[0] * sub[1]))
    return _to_price(u, inverse)


def _solver_mode(rules) -> Any:
    """Per-row mode of the tiered solver (see xlmargin.core.solver): where MM is valued and the fee charged."""
    bankruptcy = rules.fee_at_bankruptcy.astype(float)
    return np.where(rules.mm_at_entry, 1.0 + bankruptcy, 3.0 * bankruptcy)


def _to_price(u: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """P from u: u itself (linear) or 1/u (inverse)."""
    if inverse.ndim == 0:
        return 1 / u if inverse else u
    return np.where(inverse, 1 / u, u)


def _maint_at_entry(s_u, q, e_u, margin, mmr, maint_amount, fee, charged_at_bankruptcy) -> np.ndarray:
    """Maintenance margin valued at the entry notional (tier of that notional) plus the fee to close.

    The fee is charged on the notional at the bankruptcy price (Bybit) or at entry (BitMEX).
    """
    n_entry = q * e_u
    rate, amount = _rate_and_amount(mmr, maint_amount, n_entry)
    fee_amount = np.where(charged_at_bankruptcy, fee_at_bankruptcy(s_u, q, e_u, margin, fee), fee * n_entry)
    return n_entry * rate - amount + fee_amount


def _position_args(side, size, entry_price, contract):
    return inp.side(side), inp.positive("size", size), inp.positive("entry_price", entry_price), _contract(contract)



def _tier_used(mmr: Any, maint_amount: Any, notional: float) -> tuple[float, float, str]:
    """The rate, amount and a description of the tier that applies at ``notional``."""
    table = _tiers(mmr, maint_amount)
    if table is None:
        return float(mmr), float(maint_amount), "flat rate"
    t = int(table.tier_index(notional))
    where = f"{t + 1} of {len(table)}: notional {table.notional_floor[t]:,.10g} to {table.notional_cap[t]:,.10g}"
    return float(table.mmr[t]), float(table.maint_amount[t]), where

