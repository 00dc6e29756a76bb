"""Cross accounts: equity, maintenance margin, liquidation prices (hedge legs included), margin ratio and call."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConvergenceWarning, InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .equations import cancelled
from .formulas import DEFAULT_MARGIN_CALL, DEFAULT_MMR
from .position import maint_margin
from .solver import no_answer_to_nan


class _Accounts:
    """Rows grouped into cross accounts (all rows one account when ``account`` is None)."""

    def __init__(self, account: Any, wallet_balance: Any, n_rows: int, contract: np.ndarray):
        if account is None:
            self.codes = np.zeros(n_rows, dtype=np.intp)
            self.labels = None
        else:
            labels = account.to_numpy() if isinstance(account, pd.Series) else np.asarray(account)
            if labels.shape != (n_rows,):
                raise InputError("account", f"must have one label per position ({n_rows}), not shape {labels.shape}")
            self.codes, self.labels = pd.factorize(labels)
            if (self.codes < 0).any():
                raise InputError("account", "is empty", int(np.argmax(self.codes < 0)) + 1)
        self.count = int(self.codes.max()) + 1 if n_rows else 0
        wallet = np.broadcast_to(inp.finite("wallet_balance", wallet_balance), (n_rows,))
        self.wallet = self._one_value_per_account("wallet_balance", wallet)
        if contract.ndim:
            self._one_value_per_account("contract", contract.astype(np.float64))

    def _one_value_per_account(self, name: str, values: np.ndarray) -> np.ndarray:
        first = np.full(self.count, np.nan)
        first[self.codes[::-1]] = values[::-1]  # the first row of each account wins
        differs = values != first[self.codes]
        if differs.any():
            raise InputError(name, "must be the same for every position of an account (cross margin shares it)", int(np.argmax(differs)) + 1)
        return first

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.count)

    def per_account(self, values: np.ndarray) -> Any:
        if self.labels is None:
            return float(values[0]) if self.count else np.nan
        return pd.Series(values, index=pd.Index(self.labels, name="account"))


def _cross_rows(wallet_balance, side, size, entry_price, mark_price, contract, account, extra=None):
    args = dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, contract=contract, **(extra or {}))
    shape, wrap = inp.shape_and_wrapper(args)
    if len(shape) > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
    n_rows = shape[0] if shape else 1
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    p = inp.positive("mark_price", mark_price)
    s, q, e, p = (np.broadcast_to(a, (n_rows,)) for a in (s, q, e, p))
    inv = np.broadcast_to(inv, (n_rows,)) if inv.ndim else inv
    accounts = _Accounts(account, wallet_balance, n_rows, inv)
    return s, q, e, p, inv, accounts, wrap


def cross_equity(
    wallet_balance: Any, side: Any, size: Any, entry_price: Any, mark_price: Any, contract: Any = "linear", account: Any = None
) -> Any:
    """Cross-margin equity (margin balance): ``wallet_balance + sum(uPnL)`` [settlement asset].

    Parameters
    ----------
    wallet_balance : float or array
        The account's wallet balance [settlement asset], after realized PnL,
        fees and funding. One value per account; with ``account`` given, a
        column repeating each account's balance on its rows.
    side, size, entry_price, mark_price, contract
        One row per position of the account(s).
    account : array, optional
        Account label of each position. Without it all positions form one
        account and the result is a float; with it, a Series by account.

    Examples
    --------
    W3: 500 USDT backing a BTC long (0.04 from 50,000, now 51,000) and an ETH
    long (0.8 from 2,500, now 2,200): 500 + 40 - 240 = 300 USDT.

    >>> round(cross_equity(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200]), 9)
    300.0
    """
    s, q, e, p, inv, accounts, _ = _cross_rows(wallet_balance, side, size, entry_price, mark_price, contract, account)
    return accounts.per_account(accounts.wallet + accounts.total(fm.pnl(s, q, e, p, inv)))


def cross_maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    account: Any = None,
) -> Any:
    """Total maintenance margin of a cross account: the sum of :func:`maint_margin` [settlement asset].

    Examples
    --------
    W5 after ALT1 pumps 30 %: 39 + 10 + 10 + 10 = 69 USDT.

    >>> round(cross_maint_margin([30, 10_000, 2_000, 0.04], [130, 0.1, 0.5, 50_000], [0.01, 0.01, 0.01, 0.005]), 9)
    69.0
    """
    mm = np.atleast_1d(maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate))
    if mm.ndim > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {mm.shape}")
    accounts = _Accounts(account, 0.0, mm.shape[0], np.asarray(False))
    return accounts.per_account(accounts.total(np.asarray(mm, dtype=np.float64)))


def cross_liq_price(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    account: Any = None,
    rules: Any = "binance",
    symbol: Any = None,
    collateral: Any = 0.0,
) -> Any:
    """Cross-margin liquidation price of each position, the others held at their mark prices.

    The account is liquidated when ``equity <= sum(MM)``. Holding every other
    position of the account at its mark price, the price of position ``i``
    that reaches it is the isolated liquidation price with the margin::

        wallet_balance + sum over j != i of (uPnL_j - MM_j)

    which is Binance's cross formula (``WB - TMM1 + UPNL1``). Tiers are those
    of the notional at the mark price for the others, at the liquidation price
    for position ``i``. NaN where no positive finite price liquidates. Under
    ``rules`` that value maintenance margin at entry (Bybit, BitMEX), every
    position's is valued at its entry notional.

    With ``symbol`` (a label per position), the positions of one symbol in an
    account move together, as the legs of a hedge (a long and a short of the
    same contract) do: their common price ``P`` solves
    ``others + sum_i s_i*q_i*(P - E_i) = sum_i MM_i(P)``, each leg with the
    tier of its own notional at ``P``. That is Binance's published cross
    formula with its BOTH, LONG and SHORT legs.

    ``collateral`` (linear contracts) is collateral in the position's own base
    asset, after its haircut: ``amount * (1 - haircut)`` [base asset]. It is
    not in ``wallet_balance``: its value moves with the price, so a
    BTC-collateralised BTC long loses through its PnL and its collateral at
    once (the equity gains ``collateral * P`` in the equation above; other
    positions' collateral counts at their mark prices).

    Examples
    --------
    W3: with BTC held at 51,000, the ETH long is liquidated at about 1,846.98.

    >>> lp = cross_liq_price(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500])
    >>> round(float(lp[1]), 2)
    1846.98
    """
    s, q, e, p, inv, accounts, wrap = _cross_rows(
        wallet_balance, side, size, entry_price, mark_price, contract, account,
        dict(close_fee_rate=close_fee_rate, rules=rules, collateral=collateral, **fm.rate_args(mmr, maint_amount)),
    )
    moving = np.broadcast_to(inp.non_negative("collateral", collateral), s.shape)
    if moving.any() and symbol is None:
        symbol = np.arange(s.shape[0])  # each position is its own group
    fee = np.broadcast_to(inp.rate("close_fee_rate", close_fee_rate), s.shape)
    flags = exchange_rules.flags(rules)
    mm = fm.maint_margin(fm.notional(q, p, inv), mmr, maint_amount, fee)
    if flags.mm_at_entry.any():  # where the rules value it at the entry notional
        mm = np.where(flags.mm_at_entry, fm.maint_margin(fm.notional(q, e, inv), mmr, maint_amount, fee), mm)
    # what each position (and its collateral, worth collateral * u: base at P, or quote at 1/P in coin) adds
    spare = fm.pnl(s, q, e, p, inv) - mm + moving * np.where(inv, 1 / p, p)
    if symbol is not None:
        return wrap(_symbol_liq_price(s, q, e, p, inv, fee, flags, accounts, spare, mmr, maint_amount, symbol, moving))
    others = accounts.wallet[accounts.codes] + (accounts.total(spare)[accounts.codes] - spare)
    return wrap(fm.liq_price(s, q, e, others, mmr, maint_amount, inv, fee, flags))


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
    fixed = fm.maint_margin(fm.notional(q, e, inv), mmr, maint_amount, fee) if entry_valued.any() else 0.0
    n = fm.notional(q, p, inv)  # start from the tiers at the mark price
    tiers = fm.tiers_of(mmr, maint_amount)
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


def margin_ratio(equity: Any, maint_margin: Any, rules: Any = "binance") -> Any:
    """The margin ratio as the exchange defines it [decimal].

    Binance and most others: ``maint_margin / equity``, rising to 1 (100 %) at
    liquidation; ``inf`` where the equity is negative, or zero while maintenance
    margin is owed (the account is past liquidation); 0 where neither equity nor
    maintenance margin is left. OKX (``rules="okx"``): ``equity / maint_margin``,
    falling to 1 at liquidation (pass maintenance margin with the fee to close
    in it); where no maintenance margin is owed, ``inf``, or ``-inf`` if the
    equity is negative.

    Examples
    --------
    W5 after the 30 % pump: 69 / 100.

    >>> margin_ratio(100, 69), round(margin_ratio(100, 69, "okx"), 6)
    (0.69, 1.449275)
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin, rules=rules))
    eq = inp.finite("equity", equity)
    mm = inp.non_negative("maint_margin", maint_margin)
    with np.errstate(divide="ignore", invalid="ignore"):
        # equity gone (<= 0 while margin is owed, or < 0 at all) is the worst ratio, never the best
        ratio = np.where(eq > 0, mm / np.where(eq > 0, eq, 1.0), np.where((mm > 0) | (eq < 0), np.inf, 0.0))
        inverted = np.where(mm > 0, eq / np.where(mm > 0, mm, 1.0), np.where(eq < 0, -np.inf, np.inf))
    return wrap(np.where(exchange_rules.flags(rules).ratio_equity_over_mm, inverted, ratio))


def margin_call(equity: Any, maint_margin: Any, threshold: Any = DEFAULT_MARGIN_CALL) -> Any:
    """True where the margin ratio has reached ``threshold`` [decimal, default 0.8].

    A margin call warns before liquidation (ratio 1).

    Examples
    --------
    W2 in cross mode: 1,000 USDT behind 0.1 BTC from 50,000. At 40,300 the
    equity is 30 against 20.15 of maintenance margin (ratio 0.67); at 40,250,
    25 against 20.125 (ratio 0.805): the call, before liquidation at 40,201.

    >>> margin_call(30, 20.15), margin_call(25, 20.125)
    (False, True)
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin, threshold=threshold))
    ratio = np.asarray(margin_ratio(equity, maint_margin), dtype=float)
    return wrap(ratio >= inp.positive("threshold", threshold))


def isolated_account_value(
    free_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> float:
    """What an account of isolated positions is worth at the mark prices [settlement asset].

    ``free_balance`` (what no position holds) plus, for each position,
    ``margin + uPnL`` while it is alive, 0 once ``margin + uPnL <= MM`` (a
    liquidated isolated position loses its margin and nothing more).

    Examples
    --------
    W3 at BTC 51,000 and ETH 2,200: the ETH long is liquidated (-200), the
    account keeps 100 + 200 + 40 = 340 USDT.

    >>> round(isolated_account_value(100, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200], [200, 200]), 9)
    340.0
    """
    s, q, e, p, inv, _, _ = _cross_rows(
        0.0, side, size, entry_price, mark_price, contract, None, dict(margin=margin, **fm.rate_args(mmr, maint_amount))
    )
    m = np.broadcast_to(inp.non_negative("margin", margin), s.shape)
    value = m + fm.pnl(s, q, e, p, inv)
    alive = value > fm.maint_margin(fm.notional(q, p, inv), mmr, maint_amount)
    free = inp.finite("free_balance", free_balance)
    if free.size != 1:
        raise InputError("free_balance", "must be a single value (the account's balance no position holds)")
    return float(free.item() + np.where(alive, value, 0.0).sum())


def cross_account_value(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> float:
    """What a cross account is worth at the mark prices [settlement asset].

    Its equity while ``equity > sum(MM)``; 0 once it is liquidated, when every
    position goes and the whole balance with them.

    Examples
    --------
    W3 in cross: alive at ETH 2,200 with 300 USDT; at 1,800 equity would be
    -20 and the whole 500 is gone.

    >>> args = (500, ["long", "long"], [0.04, 0.8], [50_000, 2_500])
    >>> round(cross_account_value(*args, [51_000, 2_200]), 9), cross_account_value(*args, [51_000, 1_800])
    (300.0, 0.0)
    """
    equity = cross_equity(wallet_balance, side, size, entry_price, mark_price, contract)
    mm = cross_maint_margin(size, mark_price, mmr, maint_amount, contract)
    return float(equity) if equity > mm else 0.0


