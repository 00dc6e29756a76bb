"""Entries: the break-even price after fees and funding, an entry ladder fill by fill, a budget spread over a price range."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from .calculator import average_entry_price
from .cross import cross_liq_price
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .position import initial_margin
from .sizing import distance_to_liq, max_position_size
from .tables import Table, returns_frame
from .tiers import TierTable
from .whatif import one_value, one_word, parse_margin_mode

MAX_FILLS = 2_000  # a ladder's prefixes are n * (n + 1) / 2 fills


def break_even_price(
    side: Any,
    size: Any,
    entry_price: Any,
    open_fee_rate: Any = 0.0,
    close_fee_rate: Any = 0.0,
    funding: Any = 0.0,
    contract: Any = "linear",
) -> Any:
    """Exit price at which a position's PnL pays its fees and funding exactly [quote per base]; NaN where none can.

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
    open_fee_rate : float, array or Series
        The fee paid to open, as a rate of the notional at entry [decimal:
        0.0005 is 0.05 %], in [0, 1). Default 0.
    close_fee_rate : float, array or Series
        The fee paid to close, as a rate of the notional at the exit price
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0.
    funding : float, array or Series
        Funding received (+) or paid (-) so far, as :func:`funding_payment`
        gives it [settlement asset]; any finite number. Default 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.

    Returns
    -------
    break_even_price : float, ndarray or Series
        Break-even price [quote per base]: above it a long (below it a short)
        makes money after fees and funding.
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price breaks even (a funding income larger
        than a linear long's whole value, say).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.

    Notes
    -----
    The price ``P`` with ``uPnL(P) - f_o * notional(E) - f_c * notional(P) + funding = 0``::

        linear:  P = (s*q*E + f_o*q*E - funding) / (q * (s - f_c))
        inverse: 1/P = (s*q/E - f_o*q/E + funding) / (q * (s + f_c))

    with ``s`` +1 long, -1 short, ``q`` the size, ``E`` the entry price and
    ``f_o``, ``f_c`` the fee rates (the fee to close is charged on the notional
    at the exit price, as exchanges charge it).

    References
    ----------
    .. [1] Binance FAQ "What Is Break-Even Price on Binance Futures" (the entry
       price adjusted for the fees to open and close; tests/test_whatif.py).
    .. [2] docs/formulas.md, "Break-even price".

    Examples
    --------
    A 1 BTC long from 50,000 with 0.05 % taker fees each way breaks even at
    about 50,050.03; after 45 USDT of funding paid, at about 50,095.05.

    >>> round(break_even_price("long", 1, 50_000, 0.0005, 0.0005), 2)
    50050.03
    >>> round(break_even_price("long", 1, 50_000, 0.0005, 0.0005, -45), 2)
    50095.05
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, open_fee_rate=open_fee_rate,
                                         close_fee_rate=close_fee_rate, funding=funding, contract=contract))
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    f_o, f_c = inp.rate("open_fee_rate", open_fee_rate), inp.rate("close_fee_rate", close_fee_rate)
    paid = fm.notional(q, e, inv) * f_o - inp.finite("funding", funding)  # what the exit must win back
    with np.errstate(divide="ignore", invalid="ignore"):
        linear = (s * q * e + paid) / (q * (s - f_c))
        inverse = q * (s + f_c) / (s * q / e - paid)
        price = np.where(inv, inverse, linear)
    return wrap(np.where(np.isfinite(price) & (price > 0), price, np.nan))


def ladder_entries(balance: Any, leverage: Any, low_price: Any, high_price: Any, entries: Any,
                   contract: Any = "linear", open_fee_rate: Any = 0.0) -> pd.DataFrame:
    """A budget spread evenly over a price range: the entry plan's prices and sizes [table of prices and sizes].

    Parameters
    ----------
    balance : float
        The budget: the margin (and fees) the whole plan may use [settlement asset]; >= 0.
    leverage : float
        Leverage of every fill, notional / initial margin [x]; > 0.
    low_price, high_price : float
        The price range, both ends included [quote per base]; > 0.
    entries : int
        How many fills, spaced evenly from ``high_price`` down to ``low_price``
        [count]; a whole number from 1 to 2,000.
    contract : {"linear", "inverse"}
        ``"linear"`` (the default) or ``"inverse"``; no unit.
    open_fee_rate : float
        The fee to open, as a rate of notional, taken from the budget [decimal:
        0.0005 is 0.05 %], in [0, 1). Default 0.

    Returns
    -------
    plan : DataFrame
        Columns ``price`` [quote per base] and ``size`` [base asset] (linear)
        or [quote] (inverse), one row per fill from ``high_price`` to
        ``low_price`` (a buying ladder; read it upward for a short's). Never
        NaN: every input is checked.

    Raises
    ------
    InputError
        If an argument is outside the values given above.

    Notes
    -----
    Each fill gets the same margin, ``balance / entries``: its size is
    :func:`max_position_size` of that share at the fill's price, so each
    fill's initial margin plus fee is exactly its share.

    References
    ----------
    .. [1] docs/formulas.md, "Entry ladder".

    Examples
    --------
    1,000 USDT at 10x over three fills from 50,000 down to 40,000:

    >>> ladder_entries(1_000, 10, 40_000, 50_000, 3).round(6).to_dict("list")
    {'price': [50000.0, 45000.0, 40000.0], 'size': [0.066667, 0.074074, 0.083333]}
    """
    count = inp.positive("entries", entries)
    if count.ndim or count != np.floor(count) or count > MAX_FILLS:
        raise InputError("entries", f"must be one whole number from 1 to {MAX_FILLS:,}")
    low, high = one_value("low_price", inp.positive("low_price", low_price)), one_value("high_price", inp.positive("high_price", high_price))
    if low > high:
        raise InputError("low_price", "must not be above high_price")
    prices = np.linspace(high, low, int(count))
    share = one_value("balance", inp.non_negative("balance", balance)) / int(count)
    lev = one_value("leverage", inp.positive("leverage", leverage))
    sizes = max_position_size(share, lev, prices, None, one_word("contract", contract), one_value("open_fee_rate", inp.rate("open_fee_rate", open_fee_rate)))
    return pd.DataFrame({"price": prices, "size": np.asarray(sizes, dtype=float)})


@returns_frame
def entry_ladder(
    balance: Any,
    side: Any,
    size: Any,
    price: Any,
    leverage: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    margin_mode: Any = "isolated",
    open_fee_rate: Any = 0.0,
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> Table:
    """A plan of entries into one position, fill by fill: entry, size, margin, tier, liquidation [table].

    Parameters
    ----------
    balance : float
        What is available for the position [settlement asset]; >= 0. In cross
        mode the whole of it backs the position.
    side : str or int
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float, array or Series
        Size of each fill: quantity of the base asset (linear) [base asset], or
        position value in quote currency (inverse) [quote]; > 0.
    price : float, array or Series
        Price of each fill, in the order they fill [quote per base]; > 0.
    leverage : float
        Leverage of the position, notional / initial margin [x]; > 0.
    mmr : float, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name, whose tiers give the rate and amount
        and cap the notional at the leverage. Default 0.005.
    maint_amount : float
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0.
    contract : {"linear", "inverse"}
        ``"linear"`` (the default) or ``"inverse"``; no unit.
    margin_mode : {"isolated", "cross"}
        Isolated: the position's margin is the initial margin of its fills;
        cross: the balance less fees backs it; no unit. Default isolated.
    open_fee_rate : float
        The fee paid on each fill, as a rate of its notional [decimal: 0.0005 is
        0.05 %], in [0, 1); taken from the balance. Default 0.
    close_fee_rate : float
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str
        An exchange's rule set (``"binance"``, the default, ``"bybit"``, ...);
        no unit.

    Returns
    -------
    ladder : DataFrame
        One row per fill: ``fill`` (counting from 1; no unit), ``entry_price``
        (the average so far) [quote per base], ``size`` (total so far),
        ``margin_used`` (initial margin of the fills so far plus their fees)
        [settlement asset], ``tier`` (of the notional at the average entry,
        counting from 1, 1 for a flat rate; no unit), ``liq_price`` [quote per
        base], ``distance_to_liq`` from the fill's price [decimal] and
        ``fits`` (True while the margin used fits in the balance and the tier
        allows the leverage; no unit). ``liq_price`` and ``distance_to_liq``
        are NaN where no positive, finite price liquidates.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or ``size`` and
        ``price`` are not one column.

    Notes
    -----
    After fill ``k``: the entry is :func:`average_entry_price` of fills 1..k,
    the margin :func:`initial_margin` of the total at that entry (the sum of
    the fills' initial margins) plus fees, and the liquidation price
    :func:`isolated_liq_price` on that margin, or :func:`cross_liq_price` on
    the balance less fees (marked at the fill's price). The first row whose
    ``fits`` is False is the fill at which the plan no longer fits.

    References
    ----------
    .. [1] docs/formulas.md, "Entry ladder".
    .. [2] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".

    Examples
    --------
    Two 0.1 BTC fills at 50,000 and 40,000, 10x isolated, from 1,000 USDT:

    >>> t = entry_ladder(1_000, "long", [0.1, 0.1], [50_000, 40_000], 10)
    >>> t[["entry_price", "margin_used", "fits"]].to_dict("list")
    {'entry_price': [50000.0, 45000.0], 'margin_used': [500.0, 900.0], 'fits': [True, True]}
    """
    one_value("side", inp.side(side))
    lev = one_value("leverage", inp.positive("leverage", leverage))
    contract = one_word("contract", contract)
    q, p = np.broadcast_arrays(inp.positive("size", size), inp.positive("price", price))
    if q.ndim > 1:
        raise InputError("size", f"must be one column of fills, not shape {q.shape}")
    q, p = q.reshape(-1), p.reshape(-1)
    n = q.shape[0]
    if n > MAX_FILLS:
        raise InputError("size", f"must have at most {MAX_FILLS:,} fills")
    cross = parse_margin_mode(margin_mode) == "cross"
    rows, cols = np.tril_indices(n)  # fill ``cols`` belongs to the prefix ending at ``rows``
    entry = average_entry_price(q[cols], p[cols], contract, rows).to_numpy()
    total = np.cumsum(q)
    inv = np.broadcast_to(inp.is_inverse(contract), (n,))
    fees = np.cumsum(inp.rate("open_fee_rate", open_fee_rate) * fm.notional(q, p, inv))
    used = np.asarray(initial_margin(total, entry, lev, contract), dtype=float) + fees
    wallet = one_value("balance", inp.non_negative("balance", balance))
    kind = np.where(inv, "inverse", "linear")
    if cross:
        liq = cross_liq_price(wallet - fees, side, total, entry, p, mmr, maint_amount, kind, close_fee_rate, np.arange(n), rules)
    else:
        liq = isolated_liq_price(side, total, entry, used - fees, mmr, maint_amount, kind, close_fee_rate, rules)
    table = fm.tier_table("mmr", mmr)
    n_entry = fm.notional(total, entry, inv)
    tier = table.tier_index(n_entry) + 1 if isinstance(table, TierTable) else np.ones(n, dtype=int)
    fits = used <= wallet * (1 + 1e-12)
    if isinstance(table, TierTable):
        fits &= n_entry <= np.nan_to_num(table.max_notional(lev), nan=-np.inf)
    liq = np.asarray(liq, dtype=float)
    return Table({
        "fill": np.arange(1, n + 1), "entry_price": entry, "size": total, "margin_used": used, "tier": tier,
        "liq_price": liq, "distance_to_liq": np.asarray(distance_to_liq(p, liq), dtype=float), "fits": fits,
    })
