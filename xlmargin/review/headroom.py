"""Headroom of a book: margin that can come out of isolated positions, withdrawable cross balance, break-even prices.

The review's share of issue #16, computed with the core's functions over the
book's columns, one tier set (and its rows' rule sets) at a time:

* ``removable_margin`` (positions; isolated only, NaN for cross) is
  :func:`xlmargin.removable_margin` on the position's margin (its
  ``isolated_margin`` with its ``funding``), at the mark price and the leverage
  the review uses (``leverage_basis`` says where it comes from), under the
  position's rule set. Where the leverage comes from the margin itself, the
  margin is its initial margin: only a profit can come out.
* ``break_even_price`` (positions) is :func:`xlmargin.break_even_price` with
  the book's ``funding`` column as the funding so far. The book carries no fee
  rates: fees to open and close are taken as 0 (a break-even before fees).
* ``withdrawable_balance`` (accounts with cross positions; NaN without, or
  where an account's cross positions follow more than one rule set) is the
  formula of :func:`xlmargin.withdrawable_balance` on the account's cross
  wallet (wallet - isolated margins + cross funding); collateral is not counted
  (it is not the settlement asset's wallet; the figure errs low), and where a
  cross position's leverage is assumed (``leverage_basis``) its initial margin is
  the least its tier allows (the figure errs high). One call of the public
  function covers every account (its ``account`` argument), each row with the
  rate and amount of its tier at the notional its rules value maintenance at.

The funding interval at which a position would be liquidated
(:func:`xlmargin.funding_liq_interval`) needs a funding rate per position,
which a book does not carry, so it is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core.entries import break_even_price
from ..core.formulas import DEFAULT_MMR
from ..core.withdrawal import removable_margin, withdrawable_balance
from .book import Book
from .state import Rows


def add_headroom(book: Book, rows: Rows, positions: pd.DataFrame, accounts: pd.DataFrame) -> None:
    """Add ``removable_margin`` and ``break_even_price`` to ``positions``, ``withdrawable_balance`` to ``accounts``.

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
    names = p["rules"].astype(str).to_numpy() if "rules" in p.columns else np.full(len(p), "binance", dtype=object)
    contract = np.where(rows.inverse, "inverse", "linear")
    positions["removable_margin"] = _removable(rows, names, contract)
    positions["break_even_price"] = np.asarray(
        break_even_price(rows.s, rows.q, rows.entry, 0.0, 0.0, rows.funding, contract), dtype=float).reshape(-1)
    accounts["withdrawable_balance"] = _withdrawable(rows, names)


def _removable(rows: Rows, names: np.ndarray, contract: np.ndarray) -> np.ndarray:
    """:func:`xlmargin.removable_margin` of each isolated position, per tier set; NaN for cross positions."""
    out = np.full(len(rows.q), np.nan)
    for index, table in rows.groups:
        index = index[rows.isolated[index]]
        if index.size:
            margin = np.maximum(rows.margin[index], 0.0)  # funding beyond the margin leaves none
            out[index] = removable_margin(
                rows.s[index], rows.q[index], rows.entry[index], rows.mark[index], margin, rows.leverage[index],
                DEFAULT_MMR if table is None else table, 0.0, contract[index], 0.0, names[index])
    return out


def _withdrawable(rows: Rows, names: np.ndarray) -> np.ndarray:
    """:func:`xlmargin.withdrawable_balance` of each account's cross part, all accounts in one call; NaN where none applies."""
    cross = ~rows.isolated
    rule = pd.DataFrame({"account": rows.codes[cross], "rules": names[cross]}).groupby("account")["rules"].nunique()
    one_rule = np.zeros(rows.n_accounts, dtype=bool)
    one_rule[rule.index.to_numpy()] = rule.to_numpy() == 1
    use = np.flatnonzero(cross & one_rule[rows.codes])
    out = np.full(rows.n_accounts, np.nan)
    if use.size:
        rate, amount = _rates_where_valued(rows)
        got = withdrawable_balance(
            rows.cross_wallet[rows.codes[use]], rows.s[use], rows.q[use], rows.entry[use], rows.mark[use], rows.leverage[use],
            rate[use], amount[use], np.where(rows.inverse[use], "inverse", "linear"), 0.0, names[use], account=rows.codes[use])
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
