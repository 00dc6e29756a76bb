"""Isolated liquidation and bankruptcy prices of one position, and the margin that puts the price where wanted."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .formulas import DEFAULT_MMR
from .solver import COMPILED_FROM_ROWS


def isolated_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> Any:
    """Isolated-margin liquidation price [quote per base]; NaN where there is none.

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
        Margin assigned to the isolated position, including margin added by
        hand and funding received (less funding paid) [settlement asset]; >= 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
        The tier is that of the notional at the liquidation price (at entry
        under rules that value maintenance margin at entry).
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
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.
        With ``"bybit"`` or ``"bitmex"`` maintenance margin is valued at the
        entry notional; see Notes.

    Returns
    -------
    liq_price : float, ndarray or Series
        Liquidation price [quote per base]: where margin + uPnL falls to the
        maintenance margin.
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price liquidates the position, e.g. a
        linear long whose margin covers its whole notional (never 0).

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
    The price ``P`` at which ``margin + uPnL(P) = MM(P)``::

        linear:  P = (margin + cum - s*size*entry) / (size*mmr - s*size)
        inverse: P = size*(mmr + s) / (margin + cum + s*size/entry)

    with ``s`` +1 long, -1 short, ``cum`` the maintenance amount (``mmr``
    includes ``close_fee_rate``). With a tier table, ``mmr`` and ``cum`` are
    those of the tier of the notional *at the liquidation price*. A long lies
    below the entry, a short above, as long as the margin exceeds the
    maintenance margin at entry.

    Under rules that value maintenance margin at the entry notional (``"bybit"``,
    ``"bitmex"``): ``P = E + (MM(E) - margin) / (s*size)`` (linear), and
    ``1/P = 1/E + (margin - MM(E)) / (s*size)`` (inverse).

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".
    .. [2] Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46, "How to Calculate
       Liquidation Price of Coin-M Futures Contracts".
    .. [3] Bybit help centre, "Liquidation Price (USDT Contract)" (article 900000181046).
    .. [4] Bybit, "Trading Rules: Liquidation Process (Unified Trading Account)".
    .. [5] BitMEX, "Isolated and Cross Margin Examples".
    .. [6] Kraken support, "Equity Protection Process".
    .. [7] Phemex help centre, "liq-price-for-USDTM".
    .. [8] docs/formulas.md, "Isolated liquidation price"; docs/exchanges.md.

    Examples
    --------
    W2: a 0.1 BTC long at 50,000 with 100 USDT isolated margin; W4: an inverse
    long of 3,000,000 USD at 60,000 with 5 BTC.

    >>> round(isolated_liq_price("long", 0.1, 50_000, 100), 2)
    49246.23
    >>> round(isolated_liq_price("long", 3_000_000, 60_000, 5, 0.005, 0, "inverse"), 2)
    54818.18
    >>> isolated_liq_price("long", 0.1, 50_000, 5_000)  # fully covered: no liquidation
    nan
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, margin=margin, **fm.rate_args(mmr, maint_amount),
             contract=contract, close_fee_rate=close_fee_rate, rules=rules)
    )
    fast = _checked_in_the_kernel(side, size, entry_price, margin, mmr, maint_amount, contract, close_fee_rate, rules)
    if fast is not None:
        return wrap(fast)
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    m = inp.non_negative("margin", margin)
    fee = inp.rate("close_fee_rate", close_fee_rate)
    return wrap(fm.liq_price(s, q, e, m, mmr, maint_amount, inv, fee, exchange_rules.flags(rules)))


def _checked_in_the_kernel(side, size, entry_price, margin, mmr, maint_amount, contract, close_fee_rate, rules):
    """A large numeric book's tiered prices with the position checks done by the compiled kernel as it solves.

    A separate pass per column would cost as much as the kernel itself. None where that does not
    apply or any input is bad: the caller then checks everything in order, naming the first bad
    argument and row.
    """
    columns = inp.unchecked_numbers(side, size, entry_price, margin, at_least=COMPILED_FROM_ROWS)
    if columns is None:
        return None
    try:
        inverse, fee, flags = inp.is_inverse(contract), inp.rate("close_fee_rate", close_fee_rate), exchange_rules.flags(rules)
        return fm.liq_price(*columns, mmr, maint_amount, inverse, fee, flags, positions_checked=False)
    except InputError:  # reported by the ordinary checks, in their order
        return None


def bankruptcy_price(
    side: Any, size: Any, entry_price: Any, margin: Any, contract: Any = "linear", close_fee_rate: Any = 0.0
) -> Any:
    """Price at which the position's margin is used up [quote per base]; NaN where there is none.

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
        Margin assigned to the isolated position, including margin added by
        hand and funding received (less funding paid) [settlement asset]; >= 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).

    Returns
    -------
    bankruptcy_price : float, ndarray or Series
        Bankruptcy price [quote per base]: where margin + uPnL reaches zero (or
        the fee to close).
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price uses the margin up, e.g. a linear
        long whose margin covers its whole notional (never 0).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    Where ``margin + uPnL(P) = close_fee_rate * notional(P)``: the liquidation
    formula of :func:`isolated_liq_price` with ``mmr = 0`` and
    ``maint_amount = 0``::

        linear:  P = (margin - s*size*entry) / (size*close_fee_rate - s*size)
        inverse: P = size*(close_fee_rate + s) / (margin + s*size/entry)

    An isolated position never loses more than its margin: between the
    liquidation and the bankruptcy price lies what the exchange keeps.

    References
    ----------
    .. [1] Bybit help centre, "Bankruptcy Price (USDT Contract)".
    .. [2] Bybit help centre, "How to calculate Liquidation Price (Inverse
       Contract)" (article 360039261334).
    .. [3] Kraken support, "Equity Protection Process".
    .. [4] BitMEX, "Isolated and Cross Margin Examples".
    .. [5] docs/formulas.md, "Bankruptcy price".

    Examples
    --------
    W2: the 0.1 BTC long with 100 USDT goes bankrupt at 49,000.

    >>> bankruptcy_price("long", 0.1, 50_000, 100)
    49000.0
    """
    return isolated_liq_price(side, size, entry_price, margin, 0.0, 0.0, contract, close_fee_rate)


def margin_for_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    liq_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> Any:
    """Isolated margin that puts the liquidation price at ``liq_price`` [settlement asset].

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
    liq_price : float, array or Series
        The wanted liquidation price [quote per base]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
        The tier is that of the notional at ``liq_price``.
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
    margin : float, ndarray or Series
        Isolated margin [settlement asset]. Subtract the current margin to get
        the amount to add (positive) or that could be removed (negative). A
        negative result means no margin achieves it (a long's wanted price
        above its entry, a short's below).
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
        Also if ``mmr`` names no shipped table, or ``maint_amount`` is not 0
        with a tier table.

    Notes
    -----
    The inverse of :func:`isolated_liq_price`: at the wanted price ``L``,
    ``margin = MM(L) - uPnL(L)``, with ``MM(L) = notional(L) * (mmr +
    close_fee_rate) - maint_amount`` in the tier of ``notional(L)``. Binance's
    rules (maintenance margin at the price) are assumed.

    References
    ----------
    .. [1] docs/formulas.md, "Margin for a wanted liquidation price" (no
       exchange publishes this inverse; it is derived from [2]).
    .. [2] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".

    Examples
    --------
    W6: moving the 0.1 BTC long's liquidation price to 46,733.67 takes
    about 350 USDT of margin, 100 more than the 250 posted.

    >>> round(margin_for_liq_price("long", 0.1, 50_000, 46_733.668341708544), 6)
    350.0
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, liq_price=liq_price, **fm.rate_args(mmr, maint_amount),
             contract=contract, close_fee_rate=close_fee_rate)
    )
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    lp = inp.positive("liq_price", liq_price)
    n = fm.notional(q, lp, inv)
    mm = fm.maint_margin(n, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate), fm.coin_size(q, n, inv))
    return wrap(mm - fm.pnl(s, q, e, lp, inv))
