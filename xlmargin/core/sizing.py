"""Sizing and comparing: the largest position, isolated vs cross side by side, collateral, distance and buffer to liquidation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from .cross import cross_equity, cross_liq_price
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .schedules import SizeScaledRate


def max_position_size(
    balance: Any, leverage: Any, price: Any, tiers: Any = None, contract: Any = "linear", open_fee_rate: Any = 0.0
) -> Any:
    """Largest position a balance can open at a leverage [base asset] (linear) or [quote] (inverse).

    Parameters
    ----------
    balance : float, array or Series
        What is available to open a position [settlement asset]; >= 0.
    leverage : float, array or Series
        Leverage, notional / initial margin [x]; > 0.
    price : float, array or Series
        Price at which the position is opened [quote per base]; > 0.
    tiers : TierTable or str, optional
        A tier table (or a shipped table's name) whose max leverage caps a
        position's size; no unit. Default None: no cap.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    open_fee_rate : float, array or Series
        A fee to open taken from the balance when sizing a position, as a rate
        of notional [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0.

    Returns
    -------
    size : float, ndarray or Series
        Largest size [base asset] (linear) or position value [quote] (inverse).
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no tier of ``tiers`` allows ``leverage``.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if ``tiers`` is neither a tier table, a shipped table's name nor
        empty.

    Notes
    -----
    The initial margin plus the fee to open must fit in the balance::

        notional = balance / (1/leverage + open_fee_rate)

    capped, with a tier table, by the cap of the highest tier whose
    ``max_leverage`` allows ``leverage``. The size is ``notional / price``
    (linear) or ``notional * price`` (inverse).

    References
    ----------
    .. [1] docs/formulas.md, "Largest position" (SPEC worked example W1).
    .. [2] Binance's COIN-M Leverage and Margin FAQ (the max leverage of each
       tier of the shipped table binance_coinm_btcusd_perp).

    Examples
    --------
    W1: 1,000 USDT at 10x and 50,000 opens at most 0.2 BTC.

    >>> round(max_position_size(1_000, 10, 50_000), 12)
    0.2
    """
    _, wrap = inp.shape_and_wrapper(dict(balance=balance, leverage=leverage, price=price, contract=contract, open_fee_rate=open_fee_rate))
    bal = inp.non_negative("balance", balance)
    lev = inp.positive("leverage", leverage)
    p = inp.positive("price", price)
    inv = inp.is_inverse(contract)
    n = bal / (1 / lev + inp.rate("open_fee_rate", open_fee_rate))
    table = fm.tier_table("tiers", tiers)
    if (table is None and tiers is not None) or isinstance(table, SizeScaledRate):
        raise InputError("tiers", "must be a tier table (a range of tiers, or a shipped table's name), or left empty")
    if table is not None:
        n = np.minimum(n, table.max_notional(lev))
    size = np.where(inv, n * p, n / p) if inv.ndim else (n * p if inv else n / p)
    return wrap(size)


def compare_margin_modes(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> pd.DataFrame:
    """The same positions under isolated and under cross margin, side by side [table of prices and losses].

    Parameters
    ----------
    wallet_balance : float
        Everything the one account holds [settlement asset]: what backs all the
        positions in cross mode; any finite number.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account.
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
        What the position would have in isolated mode.
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
    table : DataFrame
        One row per position, on the index of the first Series among ``side``,
        ``size``, ``entry_price``, ``mark_price`` and ``margin`` (else 0, 1, ...),
        with the columns ``isolated_liq_price`` [quote per base] (each position
        on its own margin), ``isolated_max_loss`` [settlement asset] (its
        margin, the most it can lose), ``cross_liq_price`` [quote per base] (the
        others held at their mark prices) and ``cross_max_loss`` [settlement
        asset] (the account's current equity, all of which a cross liquidation
        takes; 0 if it is negative). The liquidation prices are NaN where no
        positive, finite price liquidates.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if ``mmr`` names no shipped table, or ``maint_amount`` is not 0
        with a tier table.

    Notes
    -----
    ``isolated_liq_price`` is :func:`isolated_liq_price` with ``margin``;
    ``cross_liq_price`` is :func:`cross_liq_price` with ``wallet_balance``
    (Binance's rules, no fee to close). The margin mode does not change PnL,
    only where a loss is taken from and so how far it spreads.

    References
    ----------
    .. [1] docs/formulas.md, "Isolated vs cross" (SPEC worked example W2).
    .. [2] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".

    Examples
    --------
    W2: 100 USDT isolated vs the whole 1,000 USDT in cross.

    >>> compare_margin_modes(1_000, "long", 0.1, 50_000, 50_000, 100).round(2).to_dict("records")
    [{'isolated_liq_price': 49246.23, 'isolated_max_loss': 100.0, 'cross_liq_price': 40201.01, 'cross_max_loss': 1000.0}]
    """
    iso = np.atleast_1d(isolated_liq_price(side, size, entry_price, margin, mmr, maint_amount, contract))
    cross = np.atleast_1d(cross_liq_price(wallet_balance, side, size, entry_price, mark_price, mmr, maint_amount, contract))
    equity = cross_equity(wallet_balance, side, size, entry_price, mark_price, contract)
    n_rows = cross.shape[0]
    index = next((a.index for a in (side, size, entry_price, mark_price, margin) if isinstance(a, pd.Series)), None)
    columns = (np.broadcast_to(iso, (n_rows,)), np.broadcast_to(inp.non_negative("margin", margin), (n_rows,)), cross,
               np.full(n_rows, max(equity, 0.0)))
    return pd.DataFrame(np.column_stack(columns), columns=_COMPARISON, index=index, copy=False)  # one block: quick to build


_COMPARISON = pd.Index(["isolated_liq_price", "isolated_max_loss", "cross_liq_price", "cross_max_loss"], dtype=object)


def collateral_value(amount: Any, price: Any, haircut: Any = 0.0) -> Any:
    """What collateral counts for in a cross account: amount x price x (1 - haircut) [settlement asset].

    Parameters
    ----------
    amount : float, array or Series
        An amount of a collateral coin [coin]; >= 0.
    price : float, array or Series
        The collateral coin's price in the settlement asset [quote per base];
        > 0.
    haircut : float, array or Series
        One minus the exchange's collateral value ratio [decimal: 0.05 counts
        95 %], in [0, 1). Default 0.

    Returns
    -------
    value : float, ndarray or Series
        Collateral value [settlement asset].
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
    ``value = amount * price * (1 - haircut)``. Add the values of several coins
    to the settlement-asset balance to get the wallet balance that backs the
    positions; collateral in a position's own asset can instead move with its
    price (:func:`cross_liq_price`'s ``collateral``). Exchanges publish their
    collateral value ratios per coin; pass yours.

    References
    ----------
    .. [1] docs/formulas.md, "Collateral with haircuts"; docs/exchanges.md,
       "Collateral with haircuts".

    Examples
    --------
    1 BTC at 50,000 with a 5 % haircut backs 47,500 USDT of positions.

    >>> collateral_value(1, 50_000, 0.05)
    47500.0
    """
    _, wrap = inp.shape_and_wrapper(dict(amount=amount, price=price, haircut=haircut))
    value = inp.non_negative("amount", amount) * inp.positive("price", price)
    return wrap(value * (1.0 - inp.rate("haircut", haircut)))


def distance_to_liq(mark_price: Any, liq_price: Any) -> Any:
    """How far the mark price must move to reach the liquidation price [decimal: -0.1 is a 10 % fall].

    Parameters
    ----------
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    liq_price : float, array or Series
        Liquidation price: where margin + uPnL falls to the maintenance margin
        [quote per base]; > 0, or NaN where there is none.

    Returns
    -------
    distance : float, ndarray or Series
        Relative move of the mark price [decimal]: negative for a long (the
        price must fall), positive for a short.
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where ``liq_price`` is NaN (no liquidation price).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        ``liq_price`` must be > 0 or NaN.

    Notes
    -----
    ``distance = liq_price / mark_price - 1``. Exchange-independent, unlike
    margin ratios (which exchanges write both ways round).

    References
    ----------
    .. [1] docs/formulas.md, "Distance to liquidation"; docs/exchanges.md,
       "Hedge mode and the distance to liquidation".

    Examples
    --------
    W2: from 50,000 the isolated long is liquidated after a 1.5 % fall, the cross one after 19.6 %.

    >>> round(distance_to_liq(50_000, 49_246.231155778894), 6), round(distance_to_liq(50_000, 40_201.005025125625), 6)
    (-0.015075, -0.19598)
    """
    _, wrap = inp.shape_and_wrapper(dict(mark_price=mark_price, liq_price=liq_price))
    p = inp.positive("mark_price", mark_price)
    lp = inp.as_float("liq_price", liq_price)
    if (lp <= 0).any():
        raise InputError("liq_price", "must be a price > 0, or NaN for none")
    return wrap(lp / p - 1.0)


def margin_buffer(equity: Any, maint_margin: Any) -> Any:
    """What can still be lost before liquidation: equity - maint_margin [settlement asset].

    Parameters
    ----------
    equity : float, array or Series
        Margin balance: wallet balance + unrealized PnL [settlement asset]; any
        finite number. For an isolated position, margin + uPnL.
    maint_margin : float, array or Series
        Maintenance margin: notional x mmr - maint_amount (+ fee to close where
        counted) [settlement asset]; any finite number.

    Returns
    -------
    buffer : float, ndarray or Series
        Margin buffer [settlement asset]; negative once the position or account
        is past liquidation.
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
    ``buffer = equity - maint_margin``. Exchange-independent: the same amount
    whichever way round an exchange writes its margin ratio.

    References
    ----------
    .. [1] docs/formulas.md, "Distance to liquidation".

    Examples
    --------
    W5 after the 30 % pump: 100 of equity against 69 of maintenance margin leaves 31 USDT.

    >>> margin_buffer(100, 69)
    31.0
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin))
    return wrap(inp.finite("equity", equity) - inp.finite("maint_margin", maint_margin))
