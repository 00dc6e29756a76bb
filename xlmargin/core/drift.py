"""Funding drift: the liquidation price of a position held through a funding-rate schedule at an unchanged mark price."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import cross_liq_price
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .position import funding_payment
from .whatif import one_value, parse_margin_mode

MAX_INTERVALS = 100_000  # 91 years of 8 h: a projection, not a memory test


def _times(start_time: Any, hours: np.ndarray) -> Any:
    """Start time plus ``hours``: Timestamps for a date or text, Excel serial days for a number, None without one."""
    if start_time is None:
        return None
    if isinstance(start_time, (int, float, np.integer, np.floating)) and not isinstance(start_time, bool):
        return one_value("start_time", inp.finite("start_time", start_time)) + hours / 24.0
    try:
        start = pd.Timestamp(start_time)
    except (TypeError, ValueError):
        raise InputError("start_time", "must be a date and time, or an Excel date number") from None
    return start + pd.to_timedelta(hours, unit="h")


def funding_drift(
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    funding_rate: Any,
    intervals: Any = 90,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    margin_mode: Any = "isolated",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
    start_time: Any = None,
    interval_hours: Any = 8.0,
) -> pd.DataFrame:
    """A position held through funding at an unchanged mark price: margin and liquidation price per interval [table].

    Parameters
    ----------
    side : str or int
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation, held over the schedule [quote per base]; > 0.
    margin : float
        Isolated: the margin assigned to the position; cross: the wallet
        balance backing it [settlement asset]; any finite number (>= 0 isolated).
    funding_rate : float, array or Series
        Funding rate per interval; positive: longs pay shorts [decimal: 0.0001
        is 0.01 %]: one rate for every interval, or one per interval.
    intervals : float
        Number of funding intervals to project with a constant rate [count]; a
        whole number from 0 to 100,000. Ignored when ``funding_rate`` is a schedule (its
        length is the count). Default 90 (30 days of 8 h).
    mmr : float, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name. Default 0.005.
    maint_amount : float
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0.
    contract : {"linear", "inverse"}
        ``"linear"`` (the default) or ``"inverse"``; no unit.
    margin_mode : {"isolated", "cross"}
        Where funding is taken from: the position's margin, or the wallet; no
        unit. Default isolated.
    close_fee_rate : float
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str
        An exchange's rule set (``"binance"``, the default, ``"bybit"``, ...);
        no unit.
    start_time : date, str or float, optional
        When interval 0 ends, i.e. now [date and time; an Excel date number in
        a cell]; no unit for a date. Default None: no time column.
    interval_hours : float
        Hours between fundings [h]; > 0. Default 8.

    Returns
    -------
    drift : DataFrame
        One row per interval ``k`` from 0 (now): ``interval`` [count],
        ``hours`` since now [h], ``time`` (only with ``start_time``: a
        Timestamp, or an Excel date number for a number), ``funding_rate`` of
        that interval [decimal], ``funding`` received (+) or paid (-) in it and
        ``margin`` after it [settlement asset], ``liq_price`` [quote per base]
        and ``liquidated`` (True from the first interval after which margin +
        uPnL at the mark is at or below the maintenance margin; no unit).
        ``liq_price`` is NaN where no positive, finite price liquidates.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or a position
        argument is not a single value.

    Notes
    -----
    Interval ``k``'s funding is :func:`funding_payment` at the mark price with
    that interval's rate; the margin after ``k`` intervals is ``margin`` plus
    the funding so far, and the liquidation price :func:`isolated_liq_price`
    on it (isolated) or :func:`cross_liq_price` with it as the wallet (cross).
    The position is liquidated at the first ``k`` with
    ``margin_k + uPnL(mark) <= MM(mark)``: at ``k - 1`` it is still above.

    References
    ----------
    .. [1] docs/formulas.md, "Funding drift" (SPEC worked example W6).
    .. [2] Bybit, "Liquidation Price Calculation under Isolated Mode (Unified
       Trading Account)" (funding taken from an isolated margin).

    Examples
    --------
    W6: the 0.1 BTC long with 350 USDT of margin (250 at 20x, 100 added) pays
    0.5 USDT each 8 h; after 90 intervals (30 days) 45 USDT are gone and its
    liquidation price has risen from 46,733.67 to 47,185.93.

    >>> d = funding_drift("long", 0.1, 50_000, 50_000, 350, 0.0001, 90)
    >>> round(float(d["margin"].iloc[-1]), 6), [round(float(d["liq_price"].iloc[i]), 2) for i in (0, -1)]
    (305.0, [46733.67, 47185.93])
    """
    for name, value in dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, margin=margin).items():
        if np.ndim(value.to_numpy() if isinstance(value, pd.Series) else value) and np.size(value) != 1:
            raise InputError(name, "must be one value: funding_drift projects one position")
    cross = parse_margin_mode(margin_mode) == "cross"
    rates = inp.finite("funding_rate", funding_rate)
    if rates.ndim == 0:  # one rate for every interval; a list (even of one) is the schedule
        rates = rates.reshape(-1)
        count = inp.non_negative("intervals", intervals)
        if count.ndim or count != np.floor(count) or count > MAX_INTERVALS:
            raise InputError("intervals", f"must be one whole number from 0 to {MAX_INTERVALS:,}")
        rates = np.full(int(count), rates[0])
    rates = rates.reshape(-1)
    if rates.size > MAX_INTERVALS:
        raise InputError("funding_rate", f"must have at most {MAX_INTERVALS:,} intervals")
    k = np.arange(rates.size + 1)
    schedule = np.concatenate([[0.0], rates])
    paid = np.asarray(funding_payment(side, size, mark_price, schedule, 1, contract), dtype=float)
    start = one_value("margin", inp.finite("margin", margin) if cross else inp.non_negative("margin", margin))
    balance = start + np.cumsum(paid)
    liq = _liq_prices(side, size, entry_price, mark_price, balance, mmr, maint_amount, contract, close_fee_rate, rules, cross)
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    p = inp.positive("mark_price", mark_price)
    at = np.where(exchange_rules.flags(rules).mm_at_entry, e, p)
    mm = fm.maint_margin_at(q, at, inv, mmr, maint_amount, inp.rate("close_fee_rate", close_fee_rate))
    liquidated = np.maximum.accumulate(balance + fm.pnl(s, q, e, p, inv) <= mm)
    hours = k * one_value("interval_hours", inp.positive("interval_hours", interval_hours))
    columns = {"interval": k, "hours": hours}
    times = _times(start_time, hours)
    if times is not None:
        columns["time"] = times
    columns |= {"funding_rate": schedule, "funding": paid, "margin": balance, "liq_price": liq, "liquidated": liquidated}
    return pd.DataFrame(columns)


def _liq_prices(side, size, entry_price, mark_price, balance, mmr, maint_amount, contract, close_fee_rate, rules, cross):
    """The liquidation price on each margin (isolated) or wallet balance (cross, the position alone in its account)."""
    n = balance.shape[0]
    if cross:
        return np.asarray(cross_liq_price(balance, side, np.full(n, float(np.ravel(size)[0])), entry_price, mark_price, mmr,
                                          maint_amount, contract, close_fee_rate, np.arange(n), rules), dtype=float)
    usable = np.maximum(balance, 0.0)  # an exhausted margin is 0: the position is past liquidation
    return np.asarray(isolated_liq_price(side, size, entry_price, usable, mmr, maint_amount, contract, close_fee_rate, rules),
                      dtype=float)


def funding_liq_interval(
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    funding_rate: Any,
    intervals: Any = 90,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    margin_mode: Any = "isolated",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> float:
    table = funding_drift(side, size, entry_price, mark_price, margin, funding_rate, intervals, mmr, maint_amount,
                          contract, margin_mode, close_fee_rate, rules)
    hit = np.flatnonzero(table["liquidated"].to_numpy())
    return float(table["interval"].iloc[hit[0]]) if hit.size else float("nan")


_PARAMETERS = funding_drift.__doc__.split("    Parameters\n    ----------\n")[1].split("    start_time :")[0]
funding_liq_interval.__doc__ = f"""Funding interval at which a position held at an unchanged mark price is liquidated [count]; NaN if never.

    Parameters
    ----------
{_PARAMETERS.rstrip()}

    Returns
    -------
    interval : float
        The first interval ``k`` (counting from 1; 0 if the position is
        already at or past liquidation) after which margin + uPnL at the mark
        is at or below the maintenance margin [count]. Multiply by the interval
        length for the time. NaN if it is not liquidated within the schedule.

    Raises
    ------
    InputError
        As :func:`funding_drift`.

    Notes
    -----
    ``k = min{{k : margin_k + uPnL(mark) <= MM(mark)}}`` over the table of
    :func:`funding_drift`: after ``k - 1`` intervals the position is still
    above its maintenance margin.

    References
    ----------
    .. [1] docs/formulas.md, "Funding drift" (SPEC worked example W6).

    Examples
    --------
    W6's 0.1 BTC long with 250 USDT of margin (25 of it maintenance) pays 0.5
    USDT an interval at 0.01 %: 225 / 0.5 = 450 intervals (150 days).

    >>> funding_liq_interval("long", 0.1, 50_000, 50_000, 250, 0.0001, 1_000)
    450.0
    """
