"""Margin that can come out: removable from an isolated position, withdrawable from a cross account, per exchange.

Every exchange lets margin out only while what stays behind covers a floor.
With ``m`` the margin (isolated) or wallet balance (cross), ``U`` the
unrealized PnL at the mark, ``MM`` the maintenance margin and ``IM`` the
initial margin at the position's leverage::

    out = max(0, min(m + U - max(IM, share * notional),  m - MM [if mm_floor],  m [if wallet_cap]))

=================  ============  ========  ==========  =====  ===========================================
rule set           IM valued at  mm_floor  wallet_cap  share  source
=================  ============  ========  ==========  =====  ===========================================
``binance``        mark price    yes       no          0      Binance FAQ 360038447311 (published)
``bitmex``         entry price   no        yes         0      BitMEX "Margin Terms Definitions" (published)
``hyperliquid``    mark price    no        no          0.1    Hyperliquid docs, "Margining" (transfer margin)
``bybit``,         entry price   yes       yes         0      assumed: Bybit publishes no formula; its
``bybit_uta``                                                 position margin is entry value / leverage
``okx``, ``gate``,  mark price   yes       no          0      assumed: Binance's rule (no formula found)
``deribit``
=================  ============  ========  ==========  =====  ===========================================

``wallet_cap`` keeps unrealized profit in (it cannot be withdrawn); ``mm_floor``
keeps the maintenance margin in even when a profit covers the initial margin.
docs/exchanges.md, "Margin that can come out", has the sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import _cross_rows
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price


@dataclass(frozen=True)
class OutRule:
    """What margin must stay behind on one exchange (see the module docstring)."""

    im_at_entry: bool
    mm_floor: bool
    wallet_cap: bool
    notional_share: float
    published: bool


_BINANCE = OutRule(False, True, False, 0.0, True)
_ASSUMED = OutRule(False, True, False, 0.0, False)
_BYBIT = OutRule(True, True, True, 0.0, False)
OUT_RULES: dict[str, OutRule] = {
    "binance": _BINANCE, "okx": _ASSUMED, "gate": _ASSUMED, "deribit": _ASSUMED, "bybit": _BYBIT, "bybit_uta": _BYBIT,
    "bitmex": OutRule(True, False, True, 0.0, True), "hyperliquid": OutRule(False, False, False, 0.1, True),
}


def _out_flags(rules: Any, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The :class:`OutRule` fields of each row, looking each distinct rule set up once."""
    names = np.asarray(rules.to_numpy() if isinstance(rules, pd.Series) else rules, dtype=object)
    codes, unique = pd.factorize(names.ravel())  # hashing, as exchange_rules.flags: one look-up per distinct name
    keys = [str(name).strip().lower() for name in unique]
    if not set(keys) <= set(OUT_RULES):
        exchange_rules.flags(rules)  # unknown names are an error, named as everywhere
    found = [OUT_RULES[key] for key in keys]
    pick = lambda field: np.broadcast_to(  # noqa: E731
        np.array([getattr(r, field) for r in found], dtype=float)[codes].reshape(names.shape), shape)
    return {f: pick(f) for f in ("im_at_entry", "mm_floor", "wallet_cap", "notional_share")}


def _out(m, upnl, mm, im_entry, im_mark, n_mark, f) -> np.ndarray:
    """The formula of the module docstring, over arrays of flags ``f``."""
    floor = np.maximum(np.where(f["im_at_entry"] > 0, im_entry, im_mark), f["notional_share"] * n_mark)
    out = m + upnl - floor
    out = np.where(f["mm_floor"] > 0, np.minimum(out, m - mm), out)
    out = np.where(f["wallet_cap"] > 0, np.minimum(out, m), out)
    return np.maximum(out, 0.0)


def _parts(s, q, e, p, inv, lev, mmr, maint_amount, fee, rules):
    """uPnL, maintenance margin (where the rules value it), IM at entry and at the mark, notional at the mark."""
    mm_at_entry = exchange_rules.flags(rules).mm_at_entry
    mm = np.where(mm_at_entry, fm.maint_margin_at(q, e, inv, mmr, maint_amount, fee), fm.maint_margin_at(q, p, inv, mmr, maint_amount, fee))
    n_mark = fm.notional(q, p, inv)
    return fm.pnl(s, q, e, p, inv), mm, fm.notional(q, e, inv) / lev, n_mark / lev, n_mark


def removable_margin(
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    leverage: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> Any:
    """Largest amount of margin that can be removed from an isolated position [settlement asset].

    Parameters
    ----------
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    margin : float, array or Series
        Margin assigned to the isolated position, including margin added by
        hand and funding received (less funding paid) [settlement asset]; >= 0.
    leverage : float, array or Series
        The position's leverage, notional / initial margin [x]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0; leave it
        at 0 with a tier table.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set (``"binance"``, the default, ``"bybit"``,
        ``"bitmex"``, ``"hyperliquid"``, ...): which floor the margin keeps (see
        Notes); no unit.

    Returns
    -------
    removable : float, ndarray or Series
        Margin that can be removed [settlement asset]; >= 0.
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    ``removable = max(0, min(margin + uPnL - max(IM, share * notional), margin - MM,
    margin))``, the last two terms where the rule set has them. Binance's
    published rule: ``max(0, min(margin - MM, margin + uPnL - notional(mark) /
    leverage))``. BitMEX keeps the entry value / leverage and no unrealized
    profit, Hyperliquid at least 10 % of the notional; Bybit's rule is assumed
    (the module docstring of :mod:`xlmargin.core.withdrawal` has the table).

    References
    ----------
    .. [1] Binance FAQ 360038447311, "How to Adjust Margin Balance in Isolated
       Margin Mode" (max removable amount from an isolated position).
    .. [2] BitMEX support, "Margin Terms Definitions" (withdrawable balance).
    .. [3] Hyperliquid docs, "Margining" (transfer margin requirement).
    .. [4] docs/exchanges.md, "Margin that can come out".

    Examples
    --------
    W6 after the 100 USDT top-up: 350 USDT behind 0.1 BTC at 20x; at the entry
    price 100 can come out again (down to the 250 of initial margin).

    >>> round(removable_margin("long", 0.1, 50_000, 50_000, 350, 20), 9)
    100.0
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, margin=margin,
                                         leverage=leverage, contract=contract, close_fee_rate=close_fee_rate, rules=rules,
                                         **fm.rate_args(mmr, maint_amount)))
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    p, m, lev = inp.positive("mark_price", mark_price), inp.non_negative("margin", margin), inp.positive("leverage", leverage)
    upnl, mm, im_e, im_p, n_p = _parts(s, q, e, p, inv, lev, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate), rules)
    return wrap(_out(m, upnl, mm, im_e, im_p, n_p, _out_flags(rules, np.shape(upnl))))


def withdrawable_balance(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    leverage: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
    account: Any = None,
) -> Any:
    """Largest amount that can be withdrawn from a cross account with open positions [settlement asset].

    Parameters
    ----------
    wallet_balance : float, array or Series
        The cross account's balance after realized PnL, fees and funding,
        before unrealized PnL [settlement asset]; any finite number. One value
        per account: with ``account``, a column repeating each account's
        balance on its rows.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit. One row per position.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    leverage : float, array or Series
        Each position's leverage, notional / initial margin [x]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (the default) or ``"inverse"``, one per account; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set, one per account (``"binance"``, the default,
        ``"bybit"``, ``"bitmex"``, ``"hyperliquid"``, ...); no unit.
    account : label, array or Series of labels, optional
        Label grouping positions into cross accounts, one per position (a
        single label: one account); no unit. Default None: all positions form
        one account.

    Returns
    -------
    withdrawable : float or Series
        Amount that can be withdrawn from each account [settlement asset]; >= 0.
        A float for one account (``account`` None), otherwise a Series indexed
        by account label, in order of first appearance. Never NaN: every input
        is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, the arguments are not
        one column of positions, ``account`` has not one label per position, or
        ``wallet_balance``, ``contract`` or ``rules`` differ between the
        positions of one account.

    Notes
    -----
    The formula of :func:`removable_margin` with the wallet balance for the
    margin and the account's sums of uPnL, MM, IM and notional. Binance's
    published rule: ``max(0, min(wallet - sum(MM), wallet + sum(uPnL) -
    sum(notional(mark) / leverage)))``; BitMEX's: ``max(0, min(wallet, wallet
    + sum(uPnL) - sum(entry value / leverage)))``. Open orders are not counted.
    With ``account``, each account's sums are taken over its own rows in one
    pass (no loop over accounts).

    References
    ----------
    .. [1] Binance FAQ 360038447311, "How to Adjust Margin Balance in Cross
       and Isolated Margin Mode" (maximum withdrawal amount in cross margin mode).
    .. [2] BitMEX support, "Margin Terms Definitions" (withdrawable balance).
    .. [3] docs/exchanges.md, "Margin that can come out".

    Examples
    --------
    W3 in cross at BTC 51,000 and ETH 2,200: 500 USDT behind two 10x longs;
    equity 300, initial margin 204 + 176 = 380: nothing can come out.

    >>> withdrawable_balance(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200], 10)
    0.0
    >>> round(withdrawable_balance(1_000, "long", 0.1, 50_000, 50_000, 50), 9)  # W2: 1,000 - 100
    900.0

    W3's account beside W2's, each account its own sums: nothing, and 900.

    >>> withdrawable_balance([500, 500, 1_000], ["long"] * 3, [0.04, 0.8, 0.1], [50_000, 2_500, 50_000],
    ...                      [51_000, 2_200, 50_000], [10, 10, 50], account=["w3", "w3", "w2"]).round(9).to_dict()
    {'w3': 0.0, 'w2': 900.0}
    """
    s, q, e, p, inv, accounts, _ = _cross_rows(
        wallet_balance, side, size, entry_price, mark_price, contract, account,
        dict(leverage=leverage, close_fee_rate=close_fee_rate, rules=rules, **fm.rate_args(mmr, maint_amount)))
    names = np.broadcast_to(np.asarray(rules.to_numpy() if isinstance(rules, pd.Series) else rules, dtype=object), s.shape)
    codes, written = pd.factorize(names)  # each distinct spelling once, then each rule set once
    same, unique = pd.factorize(np.array([str(name).strip().lower() for name in written], dtype=object))
    codes = same[codes]
    per_account = accounts._one_value_per_account("rules", codes.astype(np.float64)).astype(np.intp)  # raises if mixed
    lev = np.broadcast_to(inp.positive("leverage", leverage), s.shape)
    parts = _parts(s, q, e, p, inv, lev, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate), names)
    sums = [accounts.total(np.broadcast_to(x, s.shape).astype(np.float64)) for x in parts]
    flags = _out_flags(np.asarray(unique, dtype=object)[per_account], (accounts.count,))
    return accounts.per_account(_out(accounts.wallet, *sums, flags))


def liq_price_after_removal(
    side: Any,
    size: Any,
    entry_price: Any,
    margin: Any,
    removed_margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> Any:
    """Isolated liquidation price after margin is taken out of the position [quote per base]; NaN where there is none.

    Parameters
    ----------
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    margin : float, array or Series
        Margin assigned to the isolated position now [settlement asset]; >= 0.
    removed_margin : float, array or Series
        The margin to take out [settlement asset]; >= 0 and at most ``margin``
        (:func:`removable_margin` says what the exchange allows).
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (the default) or ``"inverse"``; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set (``"binance"``, the default, ...); no unit.

    Returns
    -------
    liq_price : float, ndarray or Series
        Liquidation price with ``margin - removed_margin`` [quote per base].
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series. NaN where no positive, finite price liquidates the position.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or ``removed_margin``
        exceeds ``margin``.

    Notes
    -----
    :func:`isolated_liq_price` with ``margin - removed_margin``. In cross mode
    the same is :func:`cross_liq_price` with the wallet balance less the
    amount withdrawn.

    References
    ----------
    .. [1] docs/formulas.md, "Margin that can come out" (SPEC worked example W6).

    Examples
    --------
    W6: taking the 100 USDT top-up back out returns the liquidation price from
    46,733.67 to 47,738.69.

    >>> round(liq_price_after_removal("long", 0.1, 50_000, 350, 100), 2)
    47738.69
    """
    m, out = inp.non_negative("margin", margin), inp.non_negative("removed_margin", removed_margin)
    too_much = np.broadcast_to(out > m, np.broadcast_shapes(m.shape, out.shape))
    if too_much.any():
        raise InputError("removed_margin", "must not exceed margin", None if too_much.ndim == 0 else int(np.argmax(too_much.ravel())) + 1)
    left: Any = np.maximum(m - out, 0.0)
    index = next((a.index for a in (margin, removed_margin) if isinstance(a, pd.Series)), None)
    if index is not None:  # a Series in stays a Series out
        left = pd.Series(np.broadcast_to(left, (len(index),)), index=index)
    return isolated_liq_price(side, size, entry_price, left, mmr, maint_amount, contract, close_fee_rate, rules)
