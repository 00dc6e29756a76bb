"""One position: notional, PnL, initial and maintenance margin, isolated liquidation and bankruptcy prices, funding."""

from __future__ import annotations

from typing import Any

from . import formulas as fm
from . import inputs as inp
from .formulas import DEFAULT_MMR


def notional(size: Any, price: Any, contract: Any = "linear") -> Any:
    """Position value: size x price (linear) or size / price (inverse) [settlement asset].

    Parameters
    ----------
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    price : float, array or Series
        Any price at which the position is valued [quote per base]; > 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    notional : float, ndarray or Series
        Position value [settlement asset]: [quote] for linear contracts, [coin]
        for inverse ones; always > 0.
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
    Linear: ``notional = size * price`` [quote]. Inverse:
    ``notional = size / price`` [coin]. The side does not enter: a long and a
    short of the same size have the same notional.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".
    .. [2] Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46, "How to Calculate
       Liquidation Price of Coin-M Futures Contracts".
    .. [3] docs/formulas.md, "Notional".

    Examples
    --------
    W1: 0.2 BTC at 50,000 USDT is 10,000 USDT; W4: 3,000,000 USD of an inverse
    BTCUSD perpetual at 60,000 is 50 BTC.

    >>> notional(0.2, 50_000)
    10000.0
    >>> notional(3_000_000, 60_000, "inverse")
    50.0
    """
    _, wrap = inp.shape_and_wrapper(dict(size=size, price=price, contract=contract))
    q, p, inv = inp.positive("size", size), inp.positive("price", price), inp.is_inverse(contract)
    return wrap(fm.notional(q, p, inv))


def unrealized_pnl(side: Any, size: Any, entry_price: Any, mark_price: Any, contract: Any = "linear") -> Any:
    """Unrealized profit (+) or loss (-) at the mark price [settlement asset].

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
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    pnl : float, ndarray or Series
        Unrealized PnL [settlement asset]: [quote] for linear contracts, [coin]
        for inverse ones; a profit is positive, a loss negative.
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
    With ``s`` +1 for a long and -1 for a short::

        linear:  uPnL = s * size * (mark_price - entry_price)          [quote]
        inverse: uPnL = s * size * (1/entry_price - 1/mark_price)      [coin]

    A long profits when the price rises, a short when it falls. The margin mode
    does not enter: PnL is the same in isolated and cross mode; the mode only
    decides where a loss is taken from.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (its cross example's UPNL1).
    .. [2] Kraken support, "Equity Protection Process" (an inverse long's PnL in coin).
    .. [3] docs/formulas.md, "Unrealized PnL".

    Examples
    --------
    W1: a 0.2 BTC long from 50,000 at 48,000 loses 400 USDT; a short of
    3,000,000 USD of BTCUSD from 60,000 gains 10 BTC when the price falls to 50,000.

    >>> unrealized_pnl("long", 0.2, 50_000, 48_000)
    -400.0
    >>> round(unrealized_pnl("short", 3_000_000, 60_000, 50_000, "inverse"), 6)
    10.0
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, contract=contract))
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    return wrap(fm.pnl(s, q, e, inp.positive("mark_price", mark_price), inv))


def initial_margin(size: Any, price: Any, leverage: Any, contract: Any = "linear") -> Any:
    """Initial margin for a leverage: notional / leverage [settlement asset].

    Parameters
    ----------
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    price : float, array or Series
        Price at which the position is valued, usually the entry price
        [quote per base]; > 0.
    leverage : float, array or Series
        Leverage, notional / initial margin [x]; > 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    initial_margin : float, ndarray or Series
        Initial margin, needed to open the position [settlement asset]; > 0.
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
    ``IM = notional(size, price) / leverage``: ``size * price / leverage``
    (linear) or ``size / price / leverage`` (inverse). Lower initial margin is
    higher leverage. Fees to open are not included (:func:`max_position_size`
    takes them).

    References
    ----------
    .. [1] Gate help centre, futures initial margin (its example: 0.1 BTC at
       50,000 with 25x needs 200 USDT; tests/test_exchange_rules.py).
    .. [2] docs/formulas.md, "Initial margin".

    Examples
    --------
    W1: 0.2 BTC at 50,000 and 10x needs 1,000 USDT.

    >>> initial_margin(0.2, 50_000, 10)
    1000.0
    """
    _, wrap = inp.shape_and_wrapper(dict(size=size, price=price, leverage=leverage, contract=contract))
    n = fm.notional(inp.positive("size", size), inp.positive("price", price), inp.is_inverse(contract))
    return wrap(n / inp.positive("leverage", leverage))


def maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> Any:
    """Maintenance margin at the mark price [settlement asset].

    Parameters
    ----------
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
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
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).

    Returns
    -------
    maint_margin : float, ndarray or Series
        Maintenance margin [settlement asset]: [quote] for linear contracts,
        [coin] for inverse ones.
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        Never NaN: every input is checked to be finite. (A flat
        ``maint_amount`` larger than notional x mmr makes it negative.)

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
    ::

        MM = notional(mark_price) * (mmr + close_fee_rate) - maint_amount

    with ``notional = size * mark_price`` (linear) or ``size / mark_price``
    (inverse). With a tier table as ``mmr``, the rate and amount are those of
    the tier that holds the notional at the mark price (floor < notional <= cap).

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (a 264,000 USDT position in the 1 % tier, amount 1,300).
    .. [2] Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46, "How to Calculate
       Liquidation Price of Coin-M Futures Contracts". (100 contracts of 100 USD at 25,000, 0.4 %: 0.0016 BTC).
    .. [3] Bybit help centre, "Maintenance Margin (USDT Contract)".
    .. [4] Hyperliquid docs, "Margining".
    .. [5] docs/formulas.md, "Maintenance margin".

    Examples
    --------
    W1: 0.2 BTC at 50,000 with a 0.5 % rate needs 50 USDT; Binance's COIN-M
    example: 100 BTCUSD contracts of 100 USD at 25,000 with 0.4 % need 0.0016 BTC.

    >>> maint_margin(0.2, 50_000)
    50.0
    >>> round(maint_margin(10_000, 25_000, 0.004, 0, "inverse"), 10)
    0.0016
    """
    _, wrap = inp.shape_and_wrapper(
        dict(size=size, mark_price=mark_price, **fm.rate_args(mmr, maint_amount), contract=contract, close_fee_rate=close_fee_rate)
    )
    q, inv = inp.positive("size", size), inp.is_inverse(contract)
    n = fm.notional(q, inp.positive("mark_price", mark_price), inv)
    return wrap(fm.maint_margin(n, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate), fm.coin_size(q, n, inv)))


def funding_payment(
    side: Any, size: Any, mark_price: Any, funding_rate: Any, intervals: Any = 1, contract: Any = "linear"
) -> Any:
    """Funding received (+) or paid (-) over ``intervals`` funding periods [settlement asset].

    Parameters
    ----------
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    funding_rate : float, array or Series
        Funding rate per interval; positive: longs pay shorts [decimal: 0.0001
        is 0.01 %]; any finite number.
    intervals : float, array or Series
        Number of funding intervals (8 h each on most exchanges) [count]; >= 0.
        Default 1.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    funding : float, ndarray or Series
        Funding [settlement asset]: received is positive, paid negative.
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
    ``funding = -s * notional(mark_price) * funding_rate * intervals`` with
    ``s`` +1 long, -1 short: with a positive rate longs pay and shorts receive.
    In isolated mode it is added to the position's margin (so it moves the
    liquidation price); in cross mode to the wallet balance. The mark price is
    held over the intervals.

    References
    ----------
    .. [1] docs/formulas.md, "Funding" (SPEC worked example W6).
    .. [2] Bybit, "Liquidation Price Calculation under Isolated Mode (Unified
       Trading Account)", 2024 version (funding taken from an isolated margin).

    Examples
    --------
    W6: 0.01 % every 8 h on a 0.1 BTC long at 50,000 costs 0.5 USDT an interval,
    45 USDT over 90 intervals (30 days).

    >>> round(funding_payment("long", 0.1, 50_000, 0.0001, 90), 9)
    -45.0
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, mark_price=mark_price, funding_rate=funding_rate, intervals=intervals, contract=contract)
    )
    s, q = inp.side(side), inp.positive("size", size)
    n = fm.notional(q, inp.positive("mark_price", mark_price), inp.is_inverse(contract))
    return wrap(-s * n * inp.finite("funding_rate", funding_rate) * inp.non_negative("intervals", intervals))


