"""One position: notional, PnL, initial and maintenance margin, isolated liquidation and bankruptcy prices, funding."""

from __future__ import annotations

from typing import Any

from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .formulas import DEFAULT_MMR


def notional(size: Any, price: Any, contract: Any = "linear") -> Any:
    """Position value in the settlement asset.

    Parameters
    ----------
    size : float or array
        Position size [base asset] (linear) or position value [quote] (inverse).
    price : float or array
        Price at which the position is valued [quote per base].
    contract : {"linear", "inverse"}
        Contract type; default ``"linear"``.

    Returns
    -------
    float or array
        ``size * price`` [quote] (linear) or ``size / price`` [coin] (inverse).

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

    Linear: ``s * size * (mark - entry)`` [quote]. Inverse:
    ``s * size * (1/entry - 1/mark)`` [coin]. ``s`` is +1 long, -1 short. The
    margin mode does not enter: PnL is the same in isolated and cross mode.

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
    """Initial margin for a leverage: ``notional(size, price) / leverage`` [settlement asset].

    ``price`` is usually the entry price [quote per base]; ``leverage`` [x] > 0.

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

    ``MM = notional(mark) * (mmr + close_fee_rate) - maint_amount``. With a
    tier table as ``mmr``, the rate and amount are those of the tier that holds
    the notional at the mark price.

    Parameters
    ----------
    size : float or array
        [base asset] (linear) or [quote] (inverse).
    mark_price : float or array
        [quote per base].
    mmr : float, array, TierTable or str
        Maintenance margin rate [decimal], or a tier table (or the name of a
        shipped one, see :meth:`TierTable.available`). Default 0.005.
    maint_amount : float or array
        Maintenance amount ("cum") [settlement asset]; 0 with a tier table.
    contract : {"linear", "inverse"}
    close_fee_rate : float or array
        Fee to close counted inside maintenance margin, as a rate of the
        notional [decimal]; 0 under Binance's rules (the default).

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
    n = fm.notional(inp.positive("size", size), inp.positive("mark_price", mark_price), inp.is_inverse(contract))
    return wrap(fm.maint_margin(n, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate)))


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

    The price ``P`` at which ``margin + uPnL(P) = MM(P)``::

        linear:  P = (margin + cum - s*size*entry) / (size*mmr - s*size)
        inverse: P = size*(mmr + s) / (margin + cum + s*size/entry)

    with ``s`` +1 long, -1 short (``mmr`` includes ``close_fee_rate``). With a
    tier table, ``mmr`` and ``cum`` are those of the tier of the notional *at
    the liquidation price*. A long lies below the entry, a short above, as long
    as the margin exceeds the maintenance margin at entry.

    Parameters
    ----------
    side : str or int
        ``"long"``/``"short"`` or 1/-1.
    size : float or array
        [base asset] (linear) or [quote] (inverse), > 0.
    entry_price : float or array
        [quote per base], > 0.
    margin : float or array
        Margin assigned to the position [settlement asset], >= 0. Include any
        margin added by hand and funding received (or subtract funding paid).
    mmr, maint_amount, contract, close_fee_rate
        As in :func:`maint_margin`.
    rules : str or array of str
        Exchange rule set, or one per row (see :mod:`xlmargin.rules`); default
        ``"binance"``. With ``"bybit"`` or ``"bitmex"`` maintenance margin is
        valued at the entry notional: ``P = E + (MM(E) - margin) / (s*size)``
        (linear), and the same in ``1/P`` for inverse contracts.

    Returns
    -------
    float or array
        NaN where no positive finite price liquidates the position, e.g. a
        linear long whose margin covers its whole notional.

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
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    m = inp.non_negative("margin", margin)
    fee = inp.rate("close_fee_rate", close_fee_rate)
    return wrap(fm.liq_price(s, q, e, m, mmr, maint_amount, inv, fee, exchange_rules.flags(rules)))


def bankruptcy_price(
    side: Any, size: Any, entry_price: Any, margin: Any, contract: Any = "linear", close_fee_rate: Any = 0.0
) -> Any:
    """Price at which the position's margin is used up [quote per base].

    Where ``margin + uPnL(P) = close fee at P``: the liquidation formula with a
    zero maintenance rate. NaN where there is none.

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

    The inverse of :func:`isolated_liq_price`: ``margin = MM(L) - uPnL(L)``.
    Subtract the current margin to get the amount to add (positive) or that
    could be removed (negative). With a tier table the tier is that of the
    notional at ``liq_price``. A negative result means no margin achieves it.

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
    mm = fm.maint_margin(fm.notional(q, lp, inv), mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate))
    return wrap(mm - fm.pnl(s, q, e, lp, inv))


def funding_payment(
    side: Any, size: Any, mark_price: Any, funding_rate: Any, intervals: Any = 1, contract: Any = "linear"
) -> Any:
    """Funding received (+) or paid (-) over ``intervals`` funding periods [settlement asset].

    ``-s * notional(mark) * funding_rate * intervals``: with a positive rate,
    longs pay and shorts receive. In isolated mode it is added to the
    position's margin; in cross mode to the wallet balance.

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


