"""The trader's calculator: sizing, comparing margin modes, collateral, distance to liquidation, ROE and exits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from .solver import no_answer_to_nan


def return_on_equity(
    side: Any, size: Any, entry_price: Any, exit_price: Any, leverage: Any, contract: Any = "linear"
) -> Any:
    """Return on equity of a trade: PnL over the initial margin [decimal: 0.5 is 50 %].

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
    exit_price : float, array or Series
        The price at which the position is (or would be) closed
        [quote per base]; > 0.
    leverage : float, array or Series
        Leverage, notional / initial margin [x]; > 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    roe : float, ndarray or Series
        Return on equity [decimal]: a profit is positive, a loss negative.
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
    ``roe = uPnL(exit_price) / (notional(entry_price) / leverage)``; for a linear
    contract that is ``s * (exit/entry - 1) * leverage``, for an inverse one
    ``s * (1 - entry/exit) * leverage`` (the PnL is in coin), ``s`` +1 long,
    -1 short. Fees are not counted.

    References
    ----------
    .. [1] docs/formulas.md, "Return on equity".

    Examples
    --------
    A 10x long from 50,000 sold at 55,000 returns 100 % on its margin; an
    inverse one 90.9 % (its PnL is in coin, worth less per coin at the higher price).

    >>> round(return_on_equity("long", 0.2, 50_000, 55_000, 10), 12)
    1.0
    >>> round(return_on_equity("long", 10_000, 50_000, 55_000, 10, "inverse"), 6)
    0.909091
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, exit_price=exit_price, leverage=leverage, contract=contract)
    )
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    pnl = fm.pnl(s, q, e, inp.positive("exit_price", exit_price), inv)
    return wrap(pnl / (fm.notional(q, e, inv) / inp.positive("leverage", leverage)))


def exit_price_for_roe(side: Any, entry_price: Any, leverage: Any, roe: Any, contract: Any = "linear") -> Any:
    """Exit price that gives a wanted return on equity [quote per base]; NaN where none can.

    Parameters
    ----------
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    leverage : float, array or Series
        Leverage, notional / initial margin [x]; > 0.
    roe : float, array or Series
        Return on equity: PnL / initial margin [decimal: 0.5 is 50 %]; any
        finite number, negative for a loss.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    exit_price : float, ndarray or Series
        Exit price [quote per base].
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price gives it: an inverse long's ROE
        stays below ``leverage`` however high the price goes, a linear short's
        below ``leverage`` too (the price cannot fall below 0).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    With ``s`` +1 long, -1 short::

        linear:  exit = entry * (1 + s * roe / leverage)
        inverse: exit = entry / (1 - s * roe / leverage)

    the inverse of :func:`return_on_equity`. Fees are not counted.

    References
    ----------
    .. [1] docs/formulas.md, "Exit price for a wanted ROE or PnL".

    Examples
    --------
    A 10x long from 50,000 doubles its margin at 55,000; an inverse one needs
    55,555.56. A 10x inverse long cannot make 1,000 %.

    >>> round(exit_price_for_roe("long", 50_000, 10, 1.0), 6)
    55000.0
    >>> round(exit_price_for_roe("long", 50_000, 10, 1.0, "inverse"), 2)
    55555.56
    >>> exit_price_for_roe("long", 50_000, 10, 10.0, "inverse")
    nan
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, entry_price=entry_price, leverage=leverage, roe=roe, contract=contract))
    s, e, inv = inp.side(side), inp.positive("entry_price", entry_price), inp.is_inverse(contract)
    move = s * inp.finite("roe", roe) / inp.positive("leverage", leverage)
    with np.errstate(divide="ignore"):
        price = np.where(inv, e / (1 - move), e * (1 + move))
    return wrap(no_answer_to_nan(price))


def exit_price_for_pnl(side: Any, size: Any, entry_price: Any, pnl: Any, contract: Any = "linear") -> Any:
    """Exit price that realizes a wanted PnL [quote per base]; NaN where none can.

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
    pnl : float, array or Series
        A profit (+) or loss (-) [settlement asset]: [quote] for linear
        contracts, [coin] for inverse ones; any finite number.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    exit_price : float, ndarray or Series
        Exit price [quote per base].
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price realizes it (a linear long cannot
        lose more than ``size * entry_price``; an inverse long cannot gain
        ``size / entry_price`` or more).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    With ``s`` +1 long, -1 short::

        linear:  exit = entry + pnl / (s * size)
        inverse: exit = 1 / (1/entry - pnl / (s * size))

    the inverse of :func:`unrealized_pnl`. Fees are not counted.

    References
    ----------
    .. [1] docs/formulas.md, "Exit price for a wanted ROE or PnL".

    Examples
    --------
    W1's 0.2 BTC long makes 1,000 USDT at 55,000 and loses 400 at 48,000.

    >>> exit_price_for_pnl("long", 0.2, 50_000, 1_000), exit_price_for_pnl("long", 0.2, 50_000, -400)
    (55000.0, 48000.0)
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, pnl=pnl, contract=contract))
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    target = inp.finite("pnl", pnl)
    with np.errstate(divide="ignore"):
        price = np.where(inv, 1 / (1 / e - target / (s * q)), e + target / (s * q))
    return wrap(no_answer_to_nan(price))


def average_entry_price(size: Any, price: Any, contract: Any = "linear", position_id: Any = None) -> Any:
    """Average entry price of several fills of one position [quote per base].

    Parameters
    ----------
    size : float, array or Series
        Position size of each fill: quantity of the base asset (linear)
        [base asset], or position value in quote currency (inverse) [quote];
        > 0.
    price : float, array or Series
        Price of each fill [quote per base]; > 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
        The same for every fill of a position.
    position_id : array or Series, optional
        A label per fill naming the position it belongs to; no unit. Without
        it, all fills are one position.

    Returns
    -------
    entry_price : float or Series
        Average entry price [quote per base]: a float for one position (the
        fills are added up, whatever kind they come as), a Series by label
        with ``position_id``. Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if ``contract`` differs between fills.

    Notes
    -----
    Linear: size-weighted, ``sum(size * price) / sum(size)``. Inverse (sizes in
    USD): harmonic, ``sum(size) / sum(size / price)``, so that the position's
    PnL is that of the fills together.

    References
    ----------
    .. [1] docs/formulas.md, "Average entry price".

    Examples
    --------
    0.1 BTC at 50,000 and 0.1 at 40,000 average 45,000 on a linear contract;
    5,000 USD at each price average 44,444.44 on an inverse one.

    >>> average_entry_price([0.1, 0.1], [50_000, 40_000])
    45000.0
    >>> round(average_entry_price([5_000, 5_000], [50_000, 40_000], "inverse"), 2)
    44444.44

    With ``position_id`` (a label per fill), one average per position, as a Series by label:

    >>> average_entry_price([0.1, 0.1, 1.0], [50_000, 40_000, 2_000], position_id=["BTC", "BTC", "ETH"]).to_dict()
    {'BTC': 45000.0, 'ETH': 2000.0}
    """
    inp.shape_and_wrapper(dict(size=size, price=price, contract=contract))
    q, p = inp.positive("size", size), inp.positive("price", price)
    q, p = np.broadcast_arrays(q, p)
    if q.ndim > 1:
        raise InputError("size", f"must be one column of fills, not shape {q.shape}")
    inv = inp.is_inverse(contract)
    q, p = q.reshape(-1), p.reshape(-1)
    codes, labels = (np.zeros(q.shape[0], dtype=np.intp), None) if position_id is None else _fill_groups(position_id, q.shape[0])
    inverse = np.broadcast_to(inv, q.shape)
    mixed = np.bincount(codes, weights=inverse.astype(float)) % np.bincount(codes) != 0
    if mixed.any():
        raise InputError("contract", "must be the same for every fill of a position")
    per_fill_value = np.where(inverse, q / p, q * p)  # linear: size-weighted; inverse (USD sizes): harmonic
    weights, values = np.bincount(codes, weights=q), np.bincount(codes, weights=per_fill_value)
    first_inverse = np.bincount(codes, weights=inverse.astype(float)) > 0
    average = np.where(first_inverse, weights / values, values / weights)
    if labels is None:
        return float(average[0])
    return pd.Series(average, index=pd.Index(labels, name="position"))


def _fill_groups(position_id: Any, n_rows: int) -> tuple[np.ndarray, Any]:
    """Codes and labels of the position each fill belongs to."""
    labels = position_id.to_numpy() if isinstance(position_id, pd.Series) else np.asarray(position_id)
    if labels.shape != (n_rows,):
        raise InputError("position_id", f"must have one label per fill ({n_rows}), not shape {labels.shape}")
    codes, unique = pd.factorize(labels)
    if (codes < 0).any():
        raise InputError("position_id", "is empty", int(np.argmax(codes < 0)) + 1)
    return codes, unique
