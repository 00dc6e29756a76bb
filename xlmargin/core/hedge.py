"""Hedge mode: the positions of one symbol in a cross account moving together, each leg on its own tier."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ConvergenceWarning, InputError
from . import formulas as fm
from .equations import cancelled
from .schedules import SizeScaledRate
from .solver import no_answer_to_nan


def _symbol_liq_price(s, q, e, p, inv, fee, flags, accounts, spare, mmr, maint_amount, symbol, collateral,
                      rounds: int | None = None) -> np.ndarray:
    """The common cross liquidation price of the positions of each (account, symbol).

    In u (P or 1/P) every leg's balance is linear: ``s_u*q*(u - e_u)`` against
    ``q*u*rate - cum`` (or a fixed amount where the rules value MM at entry), so
    the group's price is one division; tiers are re-read at that price until
    they no longer change. Collateral in the group's own asset adds its value
    ``collateral * u`` to the balance (base at ``P`` for linear contracts,
    quote at ``1/P`` in coin for inverse ones).
    """
    labels = symbol.to_numpy() if isinstance(symbol, pd.Series) else np.asarray(symbol)
    labels = np.broadcast_to(labels, s.shape)
    groups, _ = pd.factorize(pd.MultiIndex.from_arrays([accounts.codes, labels]))
    count = int(groups.max()) + 1

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=np.broadcast_to(values, s.shape), minlength=count)

    others = (accounts.wallet + accounts.total(spare))[accounts.codes] - total(spare)[groups]
    scale = (np.abs(accounts.wallet) + accounts.total(np.abs(spare)))[accounts.codes]  # for what cancels
    s_u, e_u = np.where(inv, -s, s), np.where(inv, 1 / e, e)
    entry_valued = np.broadcast_to(flags.mm_at_entry, s.shape)
    fixed = fm.maint_margin_at(q, e, inv, mmr, maint_amount, fee) if entry_valued.any() else 0.0
    n = fm.notional(q, p, inv)  # start from the tiers at the mark price
    tiers = fm.tiers_of(mmr, maint_amount)
    if isinstance(tiers, SizeScaledRate):
        raise InputError("mmr", "a size-scaled schedule (Deribit) is not supported with symbol= (legs moving together)")
    converged = np.ones(s.shape, dtype=bool)
    for _ in range(rounds or 2 + (len(tiers) if tiers is not None else 0)):
        rate, amount = fm.rate_and_amount(mmr, maint_amount, n)
        slope = np.where(entry_valued, 0.0, q * (rate + fee)) - s_u * q - collateral
        level = np.where(entry_valued, -fixed, amount) - s_u * q * e_u
        with np.errstate(divide="ignore", invalid="ignore"):
            balance = cancelled(others + total(level)[groups], scale + total(np.abs(level))[groups])
            u = balance / total(slope)[groups]
        if tiers is None:
            break
        moved = fm.notional(q, np.where(inv, 1 / u, u), inv)
        moving = tiers.tier_index(moved) != tiers.tier_index(n)
        converged = total(moving.astype(float))[groups] == 0  # a group is done when none of its legs moves
        if converged.all():
            break
        n = np.where(np.isfinite(moved) & (moved > 0), moved, n)
    if not converged.all():
        warnings.warn(
            f"{int((~converged).sum())} position(s) of a hedged symbol have no consistent tier at any price "
            "(the legs' tiers keep changing): their cross liquidation price is NaN", ConvergenceWarning, stacklevel=3)
    u = np.where(converged, no_answer_to_nan(u), np.nan)
    return np.where(inv, 1 / u, u)
