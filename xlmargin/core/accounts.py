"""Accounts: the margin ratio and margin call, and what an account is worth at the mark prices, isolated or cross."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import _cross_rows, cross_equity, cross_maint_margin
from .formulas import DEFAULT_MARGIN_CALL, DEFAULT_MMR


def margin_ratio(equity: Any, maint_margin: Any, rules: Any = "binance") -> Any:
    """The margin ratio as the exchange defines it [decimal].

    Parameters
    ----------
    equity : float, array or Series
        Margin balance: wallet balance + unrealized PnL [settlement asset]; any
        finite number. For an isolated position, margin + uPnL.
    maint_margin : float, array or Series
        Maintenance margin: notional x mmr - maint_amount (+ fee to close where
        counted) [settlement asset]; >= 0. For OKX, pass it with the fee to
        close in it.
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.
        Only ``"okx"`` changes the result (equity / maintenance margin).

    Returns
    -------
    ratio : float, ndarray or Series
        Margin ratio [decimal: 1 is 100 %]. A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        Never NaN. Binance: ``inf`` (``#NUM!`` in Excel) where the equity is
        negative, or zero while maintenance margin is owed (past liquidation),
        0 where neither equity nor maintenance margin is left. OKX: where no
        maintenance margin is owed, ``inf``, or ``-inf`` if the equity is negative.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    Binance and most others: ``ratio = maint_margin / equity``, 0 is safe and
    it rises to 1 (100 %) at liquidation. OKX (``rules="okx"``):
    ``ratio = equity / maint_margin``, falling to 1 at liquidation. Both reach
    1 at the same price; :func:`margin_buffer` and :func:`distance_to_liq`
    compare positions across exchanges.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (margin ratio = maintenance margin / margin balance).
    .. [2] OKX help centre: margin ratio = equity / (maintenance margin + fee
       to close); 100 % liquidates (tests/test_exchange_rules.py).
    .. [3] docs/formulas.md, "Margin ratio and margin call"; docs/exchanges.md.

    Examples
    --------
    W5 after the 30 % pump: 69 / 100.

    >>> margin_ratio(100, 69), round(margin_ratio(100, 69, "okx"), 6)
    (0.69, 1.449275)
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin, rules=rules))
    eq = inp.finite("equity", equity)
    mm = inp.non_negative("maint_margin", maint_margin)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a ratio past every float is infinite
        # equity gone (<= 0 while margin is owed, or < 0 at all) is the worst ratio, never the best
        ratio = np.where(eq > 0, mm / np.where(eq > 0, eq, 1.0), np.where((mm > 0) | (eq < 0), np.inf, 0.0))
        inverted = np.where(mm > 0, eq / np.where(mm > 0, mm, 1.0), np.where(eq < 0, -np.inf, np.inf))
    return wrap(np.where(exchange_rules.flags(rules).ratio_equity_over_mm, inverted, ratio))


def margin_call(equity: Any, maint_margin: Any, threshold: Any = DEFAULT_MARGIN_CALL) -> Any:
    """True where the margin ratio has reached ``threshold`` [bool; no unit].

    Parameters
    ----------
    equity : float, array or Series
        Margin balance: wallet balance + unrealized PnL [settlement asset]; any
        finite number. For an isolated position, margin + uPnL.
    maint_margin : float, array or Series
        Maintenance margin: notional x mmr - maint_amount (+ fee to close where
        counted) [settlement asset]; >= 0.
    threshold : float, array or Series
        Margin ratio at which a margin call is raised [decimal: 0.8 is 80 %];
        > 0. Default 0.8.

    Returns
    -------
    call : bool, ndarray of bool or Series of bool
        True where ``maint_margin / equity >= threshold`` (Binance's ratio; no
        unit). A bool if every argument is a scalar, an ndarray of the
        broadcast shape if any is an array, a Series on the shared index if any
        is a Series. Never NaN: zero or negative equity with margin owed is a
        call.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    A margin call warns before liquidation, which comes at ratio 1:
    ``call = maint_margin / equity >= threshold`` with the ratio of
    :func:`margin_ratio` under Binance's rules.

    References
    ----------
    .. [1] docs/formulas.md, "Margin ratio and margin call" (SPEC worked
       example W2).

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

    Parameters
    ----------
    free_balance : float
        The part of the account's balance no isolated position holds
        [settlement asset]; any finite number; a single value.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account(s).
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
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    value : float
        Account value [settlement asset], always a float (one account).
        Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if ``mmr`` names no shipped table, or ``maint_amount`` is not 0
        with a tier table.
        Also if ``free_balance`` is not a single value, or the arguments are
        not single values or one column.

    Notes
    -----
    ``value = free_balance + sum_i (margin_i + uPnL_i if alive else 0)``, a
    position alive while ``margin + uPnL > MM`` at its mark price: a liquidated
    isolated position loses its margin and nothing more. Fees to close are not
    counted.

    References
    ----------
    .. [1] docs/formulas.md, "What an account is worth" (SPEC worked example W3).

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
    alive = value > fm.maint_margin_at(q, p, inv, mmr, maint_amount)
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

    Parameters
    ----------
    wallet_balance : float, array or Series
        A cross account's balance after realized PnL, fees and funding, before
        unrealized PnL [settlement asset]; any finite number (an account under
        water is negative). One account: a single value.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account(s).
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    value : float
        Account value [settlement asset], always a float (one account): its
        equity while it is alive, 0.0 once it is liquidated.
        Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if the arguments are not single values or one column, ``account``
        has not one label per position, or ``wallet_balance`` or ``contract``
        differ between the positions of one account.

    Notes
    -----
    ``value = equity if equity > sum(MM) else 0`` with ``equity =
    wallet_balance + sum(uPnL)``: once the account is liquidated every position
    goes, and the whole balance with them. Fees to close are not counted.

    References
    ----------
    .. [1] docs/formulas.md, "What an account is worth" (SPEC worked example W3).

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
