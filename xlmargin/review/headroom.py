"""Headroom of a book: margin that can come out, withdrawable cross balance, break-even prices, funding to liquidation.

The review's share of issue #16, computed with the core's functions over the
book's columns, one tier set (and its rows' rule sets) at a time:

* ``removable_margin`` (positions; isolated only, NaN for cross) is
  :func:`xlmargin.removable_margin` on the position's margin (its
  ``isolated_margin`` with its ``funding``), at the mark price and the leverage
  the review uses (``leverage_basis`` says where it comes from), under the
  position's rule set. Where the leverage comes from the margin itself, the
  margin is its initial margin: only a profit can come out.
* ``break_even_price`` (positions) is :func:`xlmargin.break_even_price` with
  the book's ``open_fee_rate`` and ``close_fee_rate`` (0 where the book has
  none: ``rates_assumed`` says so) and its ``funding`` column as the funding so far.
* ``withdrawable_balance`` (accounts with cross positions; NaN without, or
  where an account's cross positions follow more than one rule set) is the
  formula of :func:`xlmargin.withdrawable_balance` on the account's cross
  wallet (wallet - isolated margins + cross funding); collateral is not counted
  (it is not the settlement asset's wallet; the figure errs low), and where a
  cross position's leverage is assumed (``leverage_basis``) its initial margin is
  the least its tier allows (the figure errs high). One call of the public
  function covers every account (its ``account`` argument), each row with the
  rate and amount of its tier at the notional its rules value maintenance at.

* ``funding_liq_interval`` (positions) is :func:`xlmargin.funding_liq_interval`
  at the marks with the book's ``funding_rate`` (per ``funding_interval_hours``,
  8 where empty), projected over a year: an isolated position's own interval,
  a cross position's account's (from the cross wallet with its collateral at
  the marks, every cross position paying at its own rate; one without a rate
  pays none, and an account without any rate, or whose positions fund at
  different intervals, is not projected). ``funding_liq_time`` is the
  position's ``mark_time`` plus that many intervals (only with a ``mark_time``
  column). NaN where not liquidated within the year or not projected.
* ``rates_assumed`` (positions): what the review assumed where the book is
  silent on fee and funding rates; empty where it assumed nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core.drift import funding_liq_interval
from ..core.entries import break_even_price
from ..core.formulas import DEFAULT_MMR
from ..core.withdrawal import removable_margin, withdrawable_balance
from .book import Book
from .state import Rows

FUNDING_YEAR_HOURS = 365 * 24  # the horizon of the funding projection [h]


def add_headroom(book: Book, rows: Rows, positions: pd.DataFrame, accounts: pd.DataFrame) -> None:
    """Add the headroom columns (module docstring) to ``positions``, ``withdrawable_balance`` to ``accounts``.

    Parameters
    ----------
    book : Book
        The checked book (its ``rules`` column, if any, names each position's rule set).
    rows : Rows
        The book as arrays (:func:`xlmargin.review.state._rows`).
    positions, accounts : DataFrame
        The review's tables, in the book's row order and in the order of
        ``rows.codes``; changed in place. Amounts [settlement asset], prices
        [quote per base]; NaN where the figure does not apply (see the module
        docstring).
    """
    p = book.positions
    names = _one_if_same(p["rules"].astype(str).to_numpy() if "rules" in p.columns else np.array(["binance"], dtype=object))
    contract = _one_if_same(np.where(rows.inverse, "inverse", "linear"))
    positions["removable_margin"] = _removable(rows, names, contract)
    fees = [_column(p, name) for name in ("open_fee_rate", "close_fee_rate")]
    positions["break_even_price"] = np.asarray(
        break_even_price(rows.s, rows.q, rows.entry, *(np.nan_to_num(f) for f in fees), rows.funding, contract), dtype=float)
    rate, hours = _column(p, "funding_rate"), np.nan_to_num(_column(p, "funding_interval_hours"), nan=8.0)
    interval, projected = _funding_liq_interval(rows, names, contract, rate, hours)
    positions["funding_liq_interval"] = interval
    if "mark_time" in p.columns:
        positions["funding_liq_time"] = _when(p["mark_time"], interval * hours)
    positions["rates_assumed"] = _assumed(rows, fees, rate, projected)
    accounts["withdrawable_balance"] = _withdrawable(rows, names, contract)


def _when(mark_time: pd.Series, hours: np.ndarray) -> np.ndarray:
    """``mark_time`` plus ``hours`` as text in UTC ('' where either is missing), each distinct time formatted once."""
    now = pd.to_datetime(mark_time, utc=True, errors="coerce", format="mixed").dt.tz_convert(None)
    at = now.to_numpy() + pd.to_timedelta(hours, unit="h").to_numpy()
    codes, unique = pd.factorize(at)  # NaT: code -1
    text = pd.DatetimeIndex(unique).strftime("%Y-%m-%d %H:%M UTC").to_numpy(dtype=object)
    return np.append(text, "")[codes]


def _column(p: pd.DataFrame, name: str) -> np.ndarray:
    """An optional numeric column of the book as floats, NaN where empty or absent."""
    return p[name].to_numpy(dtype=float) if name in p.columns else np.full(len(p), np.nan)


def _funding_liq_interval(rows: Rows, names, contract, rate, hours) -> tuple[np.ndarray, np.ndarray]:
    """:func:`xlmargin.funding_liq_interval` of each position (cross: its account's), a year ahead, and which are projected."""
    cross = ~rows.isolated
    given = np.isfinite(rate)
    if not given.any():  # a book without funding rates: nothing to project
        return np.full(len(rows.q), np.nan), np.zeros(len(rows.q), dtype=bool)
    per_account = pd.DataFrame({"a": rows.codes[cross], "h": hours[cross], "r": given[cross]}).groupby("a")
    projected = np.zeros(rows.n_accounts, dtype=bool)  # a cross account with a rate, funding at one interval
    ok = per_account["h"].nunique().eq(1) & per_account["r"].any()
    projected[ok.index.to_numpy()] = ok.to_numpy()
    use = np.where(rows.isolated, given, projected[rows.codes])
    wallet = (rows.cross_wallet + rows.collateral())[rows.codes]  # collateral at the marks: it stays put as well
    margin = np.where(rows.isolated, np.maximum(rows.margin, 0.0), wallet)
    mmr, amount = _rates_where_valued(rows)
    out = np.full(len(rows.q), np.nan)
    for h in np.unique(hours[use]):  # one call per funding interval length (not per row)
        for isolated in (True, False):
            i = np.flatnonzero(use & (hours == h) & (rows.isolated == isolated))
            if i.size:
                out[i] = funding_liq_interval(
                    rows.s[i], rows.q[i], rows.entry[i], rows.mark[i], margin[i], np.nan_to_num(rate[i]),
                    int(FUNDING_YEAR_HOURS // h), mmr[i], amount[i], _at(contract, i), "isolated" if isolated else "cross",
                    0.0, _at(names, i), account=rows.codes[i])
    return out, use


def _assumed(rows: Rows, fees: list[np.ndarray], rate: np.ndarray, projected: np.ndarray) -> np.ndarray:
    """Per position: what the review assumed for its fee and funding rates ('' where the book gives them)."""
    fee = (np.isnan(fees[0]) | np.isnan(fees[1])).astype(np.intp)
    funding = np.where(np.isnan(rate), np.where(projected, 1, 2), np.where(projected, 0, 3))
    words = ["", "funding rate 0", "no funding rate", "funding intervals differ in the account: not projected"]
    said = np.array([w for f in ("", "fee rates 0") for w in (f"{f}; {w}" if f and w else f or w for w in words)], dtype=object)
    return said[fee * len(words) + funding]  # the words of each combination, made once

def _one_if_same(values: np.ndarray) -> np.ndarray | str:
    """A column's one value where every row has the same (checked once by the core, not row by row), else the column."""
    return str(values[0]) if len(values) and (values == values[0]).all() else values


def _at(values: np.ndarray | str, index: np.ndarray) -> np.ndarray | str:
    """The rows ``index`` of a column from :func:`_one_if_same`."""
    return values if isinstance(values, str) else values[index]


def _removable(rows: Rows, names, contract) -> np.ndarray:
    """:func:`xlmargin.removable_margin` of each isolated position, per tier set; NaN for cross positions."""
    out = np.full(len(rows.q), np.nan)
    for index, table in rows.groups:
        index = index[rows.isolated[index]]
        if index.size:
            margin = np.maximum(rows.margin[index], 0.0)  # funding beyond the margin leaves none
            out[index] = removable_margin(
                rows.s[index], rows.q[index], rows.entry[index], rows.mark[index], margin, rows.leverage[index],
                DEFAULT_MMR if table is None else table, 0.0, _at(contract, index), 0.0, _at(names, index))
    return out


def _withdrawable(rows: Rows, names, contract) -> np.ndarray:
    """:func:`xlmargin.withdrawable_balance` of each account's cross part, all accounts in one call; NaN where none applies."""
    cross = ~rows.isolated
    rule = pd.DataFrame({"account": rows.codes[cross], "rules": _at(names, cross)}).groupby("account")["rules"].nunique()
    one_rule = np.zeros(rows.n_accounts, dtype=bool)
    one_rule[rule.index.to_numpy()] = rule.to_numpy() == 1
    use = np.flatnonzero(cross & one_rule[rows.codes])
    out = np.full(rows.n_accounts, np.nan)
    if use.size:
        rate, amount = _rates_where_valued(rows)
        got = withdrawable_balance(
            rows.cross_wallet[rows.codes[use]], rows.s[use], rows.q[use], rows.entry[use], rows.mark[use], rows.leverage[use],
            rate[use], amount[use], _at(contract, use), 0.0, _at(names, use), account=rows.codes[use])
        out[got.index.to_numpy()] = got.to_numpy()
    return out


def _rates_where_valued(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Each row's maintenance rate and amount, of its tier at the notional its rules value MM at (entry or mark)."""
    price = np.where(rows.rules.mm_at_entry, rows.entry, rows.mark)
    n = fm.notional(rows.q, price, rows.inverse)
    rate, amount = np.empty_like(n), np.empty_like(n)
    for index, table in rows.groups:
        r, a = fm.rate_and_amount(DEFAULT_MMR if table is None else table, 0.0, n[index])
        rate[index], amount[index] = r, a
    return rate, amount
