"""Funding drift: positions held through a funding-rate schedule at unchanged mark prices, until liquidated.

Funding comes out of an isolated position's own margin, and out of a cross
account's shared wallet: there every position pays (or receives) at its own
rate into one balance, and the account is liquidated when ``wallet + sum(uPnL)
<= sum(MM)`` at the unchanged marks (margin ratio 1). At unchanged marks uPnL
and maintenance margin stay put, so only the balance moves: ``balance_k =
balance_0 + k * F`` for one rate per position (``F`` the funding of one
interval), or the running sum of each interval's funding for a schedule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import _Accounts, cross_liq_price
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .position import funding_payment
from .tables import Table, returns_frame
from .whatif import one_value, parse_margin_mode

MAX_INTERVALS = 100_000  # 91 years of 8 h: a projection, not a memory test
MAX_ROWS = 1_000_000  # intervals x positions of one drift table


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


class _Held:
    """Positions held at their marks: checked columns, uPnL, maintenance margin, funding per interval."""

    def __init__(self, side, size, entry_price, mark_price, mmr, maint_amount, contract, close_fee_rate, rules, margin):
        args = dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, contract=contract,
                    close_fee_rate=close_fee_rate, rules=rules, margin=margin, **fm.rate_args(mmr, maint_amount))
        shape, self.wrap = inp.shape_and_wrapper(args)
        if len(shape) > 1:
            raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
        self.one = shape == ()  # single values: a list of rates is then the schedule
        self.n = n = shape[0] if shape else 1
        s, q, e, inv = fm.position_args(side, size, entry_price, contract)
        p = inp.positive("mark_price", mark_price)
        self.s, self.q, self.e, self.p = (np.broadcast_to(a, (n,)).astype(np.float64) for a in (s, q, e, p))
        self.inv = np.broadcast_to(inv, (n,))
        self.contract = np.where(self.inv, "inverse", "linear")
        fee = inp.rate("close_fee_rate", close_fee_rate)
        at = np.where(exchange_rules.flags(rules).mm_at_entry, self.e, self.p)  # where the rules value MM
        self.mm = np.broadcast_to(fm.maint_margin_at(self.q, at, self.inv, mmr, maint_amount, fee), (n,)).astype(np.float64)
        self.upnl = fm.pnl(self.s, self.q, self.e, self.p, self.inv)

    def rates(self, funding_rate: Any, intervals: Any) -> tuple[bool, np.ndarray]:
        """``(constant, rates)``: one rate per position ``(n,)``, or a schedule ``(K, n)`` per interval."""
        r = inp.finite("funding_rate", funding_rate.to_numpy() if isinstance(funding_rate, pd.Series) else funding_rate)
        if self.one and r.ndim == 1 or r.ndim == 2:  # a schedule: a list for one position, a table for several
            r = r.reshape(-1, 1) if r.ndim == 1 else r
            if r.shape[1] not in (1, self.n):
                raise InputError("funding_rate", f"must have one column per position ({self.n}), not {r.shape[1]}")
            if r.shape[0] > MAX_INTERVALS:
                raise InputError("funding_rate", f"must have at most {MAX_INTERVALS:,} intervals")
            return False, np.broadcast_to(r, (r.shape[0], self.n))
        if r.ndim > 2 or r.ndim == 1 and r.shape[0] not in (1, self.n):
            raise InputError("funding_rate", f"must be one rate, one per position ({self.n}), or a table of intervals x positions")
        return True, np.broadcast_to(r.reshape(-1), (self.n,))

    def paid(self, rates: np.ndarray) -> np.ndarray:
        """Funding received (+) or paid (-) by each position in one interval at ``rates`` [settlement asset]."""
        return np.asarray(funding_payment(self.s, self.q, self.p, rates, 1, self.contract), dtype=np.float64)


def _count(intervals: Any) -> int:
    count = inp.non_negative("intervals", intervals)
    if count.ndim or count != np.floor(count) or count > MAX_INTERVALS:
        raise InputError("intervals", f"must be one whole number from 0 to {MAX_INTERVALS:,}")
    return int(count)


def _sums(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """Per group (account), per leading row: the sum over the last axis' positions, one by one in their order."""
    rows = values.reshape(-1, values.shape[-1])
    index = (np.arange(rows.shape[0])[:, None] * groups + codes[None, :]).ravel()
    out = np.bincount(index, weights=np.broadcast_to(rows, (rows.shape[0], codes.size)).ravel(), minlength=rows.shape[0] * groups)
    return out.reshape(values.shape[:-1] + (groups,))


def _balances(start, per_interval, constant, count):
    """Balance after each interval 0..K [settlement asset]: ``start + k * F`` (one rate) or a running sum (a schedule)."""
    if constant:
        return start + np.arange(count + 1)[:, None] * per_interval[None, :]
    return start + np.cumsum(np.concatenate([np.zeros((1, per_interval.shape[1])), per_interval]), axis=0)


def _first_liquidated(start, per_interval, upnl, mm, constant, count):
    """The first ``k`` with ``balance_k + uPnL <= MM`` per group [count]; NaN if none within ``count`` intervals."""
    if not constant:
        dead = _balances(start, per_interval, False, per_interval.shape[0]) + upnl <= mm
        return np.where(dead.any(axis=0), np.argmax(dead, axis=0), np.nan)
    alive = lambda k: (start + k * per_interval) + upnl > mm  # noqa: E731  (the same sum as _balances)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.ceil((mm - upnl - start) / per_interval)  # a guess, one interval off at most near a tie
    k = np.where(np.isfinite(k) & (per_interval < 0), np.clip(k, 0, count + 1), count + 1)
    k = np.where((k > 0) & ~alive(np.maximum(k - 1, 0)), k - 1, k)
    k = np.where(alive(k) & (k <= count), k + 1, k)
    k = np.where(alive(0), k, 0)
    return np.where(k <= count, k, np.nan)


@returns_frame
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
    """Positions held through funding at unchanged mark prices: margin and liquidation price per interval [table].

    Parameters
    ----------
    side : str or int, or a column of them
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit. One position, or one row per position
        (of one cross account, or isolated positions side by side).
    size : float or column
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float or column
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float or column
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation, held over the schedule [quote per base]; > 0.
    margin : float or column
        Isolated: the margin assigned to each position; cross: the wallet
        balance of the account, one value [settlement asset]; any finite number
        (>= 0 isolated).
    funding_rate : float, array or table
        Funding rate per interval; positive: longs pay shorts [decimal: 0.0001
        is 0.01 %]. One position: one rate for every interval, or a list of one
        per interval. Several: one rate for all, one per position (each for
        every interval), or a table of intervals x positions (a column for all).
    intervals : float
        Number of funding intervals to project with constant rates [count]; a
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
        Where funding is taken from: each position's margin, or the account's
        shared wallet; no unit. Default isolated.
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
        One row per interval ``k`` from 0 (now), and with several positions one
        per position in it (``position``, counting from 1): ``interval``
        [count], ``hours`` since now [h], ``time`` (only with ``start_time``: a
        Timestamp, or an Excel date number for a number), ``funding_rate`` of
        that interval [decimal], ``funding`` the position received (+) or paid
        (-) in it and ``margin`` after it (cross: the account's wallet)
        [settlement asset], ``liq_price`` [quote per base] and ``liquidated``
        (True from the first interval after which margin + uPnL at the mark is
        at or below the maintenance margin, in cross the account's sums; no
        unit). ``liq_price`` is NaN where no positive, finite price liquidates.

    Raises
    ------
    InputError
        If an argument is outside the values given above, the positions are
        not single values or one column, a cross account's ``margin`` is not
        one value, or the table would exceed 1,000,000 rows.

    Notes
    -----
    Interval ``k``'s funding is :func:`funding_payment` at the mark price with
    that interval's rate; the margin after ``k`` intervals is ``margin`` plus
    the funding so far (``margin + k * F`` for a constant rate), and the
    liquidation price :func:`isolated_liq_price` on it (isolated) or
    :func:`cross_liq_price` with it as the wallet and the account's other
    positions at their marks (cross). Liquidated at the first ``k`` with
    ``margin_k + uPnL(mark) <= MM(mark)``, summed over a cross account's
    positions (its margin ratio reaching 1): at ``k - 1`` it is still above.

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

    A cross account of 1,000 USDT: the same long pays 0.5 an interval, a 1 ETH
    short at 2,500 pays 1.0 at -0.04 %; MM 25 + 12.5. After 10 intervals the
    wallet is 985.

    >>> d = funding_drift(["long", "short"], [0.1, 1], [50_000, 2_500], [50_000, 2_500], 1_000,
    ...                   [0.0001, -0.0004], 10, margin_mode="cross")
    >>> d[["interval", "position", "funding", "margin"]].tail(2).to_dict("list")
    {'interval': [10, 10], 'position': [1, 2], 'funding': [-0.5, -1.0], 'margin': [985.0, 985.0]}
    """
    held = _Held(side, size, entry_price, mark_price, mmr, maint_amount, contract, close_fee_rate, rules, margin)
    cross = parse_margin_mode(margin_mode) == "cross"
    constant, rates = held.rates(funding_rate, intervals)
    count, n = (_count(intervals) if constant else rates.shape[0]), held.n
    if (count + 1) * n > MAX_ROWS:
        raise InputError("intervals" if constant else "funding_rate", f"make a table over {MAX_ROWS:,} rows (intervals x positions)")
    per_interval = held.paid(rates)
    if cross:
        wallet = np.array([one_value("margin", inp.finite("margin", margin))])
        alone = np.zeros(n, dtype=np.intp)
        balance = _balances(wallet, _sums(per_interval, alone, 1), constant, count)
        dead = balance + _sums(held.upnl, alone, 1) <= _sums(held.mm, alone, 1)
    else:
        balance = _balances(np.broadcast_to(inp.non_negative("margin", margin), (n,)), per_interval, constant, count)
        dead = balance + held.upnl <= held.mm
    balance = np.broadcast_to(balance, (count + 1, n))
    liq = _liq_prices(held, balance, cross, mmr, maint_amount, close_fee_rate, rules)
    k = np.arange(count + 1)
    hours = np.repeat(k * one_value("interval_hours", inp.positive("interval_hours", interval_hours)), n)
    columns: dict[str, Any] = {"interval": np.repeat(k, n), "hours": hours}
    times = _times(start_time, hours)
    if times is not None:
        columns["time"] = times
    if not held.one:
        columns["position"] = np.tile(np.arange(1, n + 1), count + 1)
    zero = np.zeros((1, n))
    columns |= {"funding_rate": np.concatenate([zero, np.broadcast_to(rates, (count, n))]).ravel(),
                "funding": np.concatenate([zero, np.broadcast_to(per_interval, (count, n))]).ravel(), "margin": balance.ravel(),
                "liq_price": liq, "liquidated": np.broadcast_to(np.maximum.accumulate(dead, axis=0), (count + 1, n)).ravel()}
    return Table(columns, one_row_per_position=False)  # rows are intervals (of each position), not the arguments' rows


def _liq_prices(held: _Held, balance: np.ndarray, cross: bool, mmr, maint_amount, close_fee_rate, rules) -> np.ndarray:
    """The liquidation price of each position after each interval: isolated on its margin, cross on the wallet."""
    steps, n = balance.shape
    each = lambda value: value if np.ndim(value) == 0 else np.tile(np.broadcast_to(np.asarray(value), (n,)), steps)  # noqa: E731
    per_row = {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in
               dict(maint_amount=maint_amount, close_fee_rate=close_fee_rate, rules=rules).items()}
    rate = mmr if fm.tier_table("mmr", mmr) is not None else each(mmr.to_numpy() if isinstance(mmr, pd.Series) else mmr)
    args = (each(held.s), each(held.q), each(held.e))
    options = dict(mmr=rate, maint_amount=each(per_row["maint_amount"]), contract=each(np.where(held.inv, "inverse", "linear")),
                   close_fee_rate=each(per_row["close_fee_rate"]), rules=each(per_row["rules"]))
    if cross:
        return np.asarray(cross_liq_price(balance.ravel(), *args, each(held.p), account=np.repeat(np.arange(steps), n), **options),
                          dtype=float)
    usable = np.maximum(balance.ravel(), 0.0)  # an exhausted margin is 0: the position is past liquidation
    return np.asarray(isolated_liq_price(*args, usable, **options), dtype=float)


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
    account: Any = None,
) -> Any:
    held = _Held(side, size, entry_price, mark_price, mmr, maint_amount, contract, close_fee_rate, rules, margin)
    cross = parse_margin_mode(margin_mode) == "cross"
    constant, rates = held.rates(funding_rate, intervals)
    count = _count(intervals) if constant else rates.shape[0]
    if cross:  # the positions of an account pay into one wallet
        accounts = _Accounts(account, margin, held.n, held.inv)
        codes, groups, start = accounts.codes, accounts.count, accounts.wallet
    else:
        codes, groups = np.arange(held.n), held.n
        start = np.broadcast_to(inp.non_negative("margin", margin), (held.n,)).astype(np.float64)
    sums = [_sums(v, codes, groups) for v in (held.paid(rates), held.upnl, held.mm)]
    return held.wrap(_first_liquidated(start, *sums, constant, count)[codes])


_PARAMETERS = funding_drift.__doc__.split("    Parameters\n    ----------\n")[1].split("    start_time :")[0]
funding_liq_interval.__doc__ = f"""Funding interval at which positions held at unchanged mark prices are liquidated [count]; NaN if never.

    Parameters
    ----------
{_PARAMETERS.rstrip()}
    account : label, array or Series of labels, optional
        Cross only: label grouping positions into cross accounts, one per
        position (a single label: one account); no unit. ``margin`` is then
        each account's wallet balance, repeated on its rows. Default None: all
        positions form one account. Isolated positions stand alone.

    Returns
    -------
    interval : float, ndarray or Series
        The first interval ``k`` (counting from 1; 0 if already at or past
        liquidation) after which margin + uPnL at the mark is at or below the
        maintenance margin [count]: each isolated position's own, the
        account's on each of a cross account's rows. Multiply by the interval
        length for the time. NaN if not liquidated within the schedule. A
        float if every argument is a single value, an ndarray of the
        positions' shape if any is an array, a Series on the shared index if
        any is a Series.

    Raises
    ------
    InputError
        As :func:`funding_drift`; also if ``account`` has not one label per
        position, or a cross account's ``margin`` or ``contract`` differ
        between its rows.

    Notes
    -----
    ``k = min{{k : margin_k + uPnL(mark) <= MM(mark)}}``, the first
    ``liquidated`` row of :func:`funding_drift`, without its table: with one
    rate per position the margin falls by ``F`` a interval, so ``k`` is
    ``ceil((margin + uPnL - MM) / -F)``, checked on ``margin + k * F`` as the
    table computes it; for a schedule, the first running sum that reaches it.
    A cross account sums ``F``, uPnL and MM over its positions.

    References
    ----------
    .. [1] docs/formulas.md, "Funding drift" (SPEC worked example W6).

    Examples
    --------
    W6's 0.1 BTC long with 250 USDT of margin (25 of it maintenance) pays 0.5
    USDT an interval at 0.01 %: 225 / 0.5 = 450 intervals (150 days).

    >>> funding_liq_interval("long", 0.1, 50_000, 50_000, 250, 0.0001, 1_000)
    450.0

    The cross account of :func:`funding_drift`'s example pays 1.5 an interval
    out of 1,000 - 37.5 = 962.5 above its maintenance margin: 642 intervals.

    >>> funding_liq_interval(["long", "short"], [0.1, 1], [50_000, 2_500], [50_000, 2_500], 1_000,
    ...                      [0.0001, -0.0004], 1_000, margin_mode="cross").tolist()
    [642.0, 642.0]
    """
