"""xlmargin's liquidation price of each position beside the exchange's own, with the gap and its cause.

For each position of a book that carries ``exchange_liq_price`` (a book read by
:func:`xlmargin.live.fetch_book`, or any book with that column), :func:`reconcile`
gives xlmargin's liquidation price under the position's rule set and tier table
(:func:`xlmargin.review.evaluate`), the exchange's, their difference in price, in
ticks (``price_tick``) and in %, and a status:

``agrees``
    within one price tick.
``explained: funding``, ``explained: fees``, ``explained: mark timing``
    not within a tick, but within a tick once that cause is allowed for: the price
    difference is at most one tick plus the cause's amount times the price's
    sensitivity to the margin behind the position (measured by the review itself).
    The *wallet gap* is the difference in those terms: the change of that margin
    that would move xlmargin's price onto the exchange's. Tested in this order:

    * funding: one funding payment at the last rate, ``|funding_rate| x notional``
      at the mark (the exchange settles funding into the wallet; a balance read at
      another moment may or may not hold it);
    * fees: the fee to close at the taker rate on the notional at the exchange's
      liquidation price, ``taker_fee x notional`` (OKX, Gate and Bybit hold it in
      the maintenance margin; a fee charged between the readings moves the wallet
      by about as much);
    * mark timing (cross only): the change of the account's cross uPnL between the
      marks the exchange priced its positions at and the book's marks.
``unexplained``
    none of these covers the gap: check the book (wallet, margin mode, tiers).
``xlmargin gives none``
    the exchange reports a price but none liquidates the position under the book's
    wallet and margin (the wallet read cannot be the one the exchange priced with).
``exchange gave none``
    the exchange reported no liquidation price (0 or empty, as Binance does for some
    cross and hedge positions): xlmargin's value stands alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core.formulas import DEFAULT_MMR as DEFAULT_RATE
from ..review import Book, RiskResult, evaluate

HAS_EXCHANGE_PRICES = "exchange_liq_price"
"""A book whose positions carry this column can be reconciled (the report adds its section then)."""
COLUMNS = ["account", "symbol", "side", "margin_mode", "rules", "xlmargin_liq_price", "exchange_liq_price", "difference",
           "difference_ticks", "difference_pct", "wallet_gap", "status"]


def reconcile(book: Book | object, result: RiskResult | None = None) -> pd.DataFrame:
    """The reconciliation table of a book (a :class:`~xlmargin.review.Book` or a :class:`~xlmargin.live.LiveBook`).

    ``result``, the book's :func:`~xlmargin.review.evaluate` if already computed
    (the report passes it), saves one evaluation.

    Returns
    -------
    DataFrame
        One row per position: ``xlmargin_liq_price`` and ``exchange_liq_price``
        [quote per base, NaN for none], ``difference`` = xlmargin's - the
        exchange's [quote], ``difference_ticks`` (over ``price_tick``; NaN without
        a tick), ``difference_pct`` [% of the exchange's price], ``wallet_gap``
        [settlement asset] and ``status`` (see the module).

    Examples
    --------
    A cross long of 0.009 BTC at 67,445.9 with a 25.7247 USDT wallet (Binance's
    recorded position) in a book that names no tier table: at the default 0.5 %
    rate xlmargin's price is ``(25.7247 - 0.009 x 67445.9) / (0.009 x 0.005 - 0.009)``
    = 64,912.16, 65 above Binance's 64,846.99 (which used its 0.4 % tier): no funding,
    fee or mark timing covers that, so it is "unexplained" (the missing tier table is).

    >>> import pandas as pd
    >>> from xlmargin.review import Book
    >>> p = pd.DataFrame({"account": ["a"], "symbol": ["BTCUSDT"], "contract": ["linear"], "side": ["long"],
    ...     "size": [0.009], "entry_price": [67445.9], "mark_price": [67502.69], "margin_mode": ["cross"],
    ...     "isolated_margin": [0.0], "tier_set": [""], "exchange_liq_price": [64846.9875379], "price_tick": [0.1]})
    >>> a = pd.DataFrame({"account": ["a"], "wallet_balance": [25.72470371], "settlement_asset": ["USDT"]})
    >>> from xlmargin.review import check_book
    >>> p2, a2, t = check_book(p, a)
    >>> row = reconcile(Book(p2, a2, t)).iloc[0]
    >>> round(float(row.xlmargin_liq_price), 2), row.status
    (64912.16, 'unexplained')
    """
    if hasattr(book, "book") and callable(book.book):
        book = book.book()
    positions = book.positions
    ours = (result or evaluate(book)).positions["liq_price"].to_numpy(dtype=float)
    theirs = pd.to_numeric(positions.get("exchange_liq_price", pd.Series(np.nan, index=positions.index)), errors="coerce")
    theirs = theirs.where(theirs > 0).to_numpy(dtype=float)
    tick = _column(positions, "price_tick")
    difference = ours - theirs
    slope = _sensitivity(book, ours)
    with np.errstate(invalid="ignore", divide="ignore"):
        ticks = difference / tick
        pct = 100.0 * difference / theirs
        gap = difference / slope
    out = pd.DataFrame({c: positions[c] for c in ("account", "symbol", "side", "margin_mode")})
    out["rules"] = positions["rules"] if "rules" in positions else "binance"
    out["xlmargin_liq_price"], out["exchange_liq_price"], out["difference"] = ours, theirs, difference
    out["difference_ticks"], out["difference_pct"], out["wallet_gap"] = ticks, pct, gap
    out["status"] = _status(book, ours, theirs, np.abs(difference), np.nan_to_num(tick), np.abs(slope))
    return out[COLUMNS]


def _column(positions: pd.DataFrame, name: str) -> np.ndarray:
    values = positions[name] if name in positions else pd.Series(np.nan, index=positions.index)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _sensitivity(book: Book, ours: np.ndarray) -> np.ndarray:
    """d(liquidation price) / d(margin behind the position) [quote per settlement unit], measured by re-running the review.

    Every account's wallet and every isolated margin is raised by a small ``step``
    (1e-6 of the position's notional); the liquidation price is linear in the margin
    within a tier, so the ratio is the sensitivity.
    """
    p = book.positions
    q, price = p["size"].to_numpy(float), p["entry_price"].to_numpy(float)
    inverse = (p["contract"] == "inverse").to_numpy()
    step = np.maximum(fm.notional(q, price, inverse) * 1e-6, 1e-9)
    by_account = pd.Series(step, index=p["account"]).groupby(level=0).min()
    accounts = book.accounts.copy()
    accounts["wallet_balance"] = accounts["wallet_balance"] + accounts["account"].map(by_account).fillna(0.0)
    positions = p.copy()
    isolated = (positions["margin_mode"] == "isolated").to_numpy()
    own_step = np.where(isolated, step, p["account"].map(by_account).to_numpy(float))
    positions.loc[isolated, "isolated_margin"] = positions.loc[isolated, "isolated_margin"] + step[isolated]
    accounts["wallet_balance"] += accounts["account"].map(positions[isolated].groupby("account")["isolated_margin"].sum()
                                                          - p[isolated].groupby("account")["isolated_margin"].sum()).fillna(0.0)
    moved = evaluate(Book(positions, accounts, book.tiers, source=book.source)).positions["liq_price"].to_numpy(float)
    return (moved - ours) / own_step


def _status(book: Book, ours, theirs, difference, tick, slope) -> np.ndarray:
    p = book.positions
    q, mark = p["size"].to_numpy(float), p["mark_price"].to_numpy(float)
    inverse = (p["contract"] == "inverse").to_numpy()
    at_liquidation = np.where(np.isnan(theirs), mark, theirs)
    funding = np.abs(_column(p, "funding_rate")) * fm.notional(q, mark, inverse)
    fees = _column(p, "taker_fee") * fm.notional(q, at_liquidation, inverse)
    timing = _mark_timing(book, inverse)
    with np.errstate(invalid="ignore", divide="ignore"):
        # an inverse price moves as 1/(margin + ...): its sensitivity grows with the price squared; take the
        # largest between the two prices (a linear price moves in proportion: the same everywhere)
        slope = np.maximum(slope, np.where(inverse, slope * (theirs / ours) ** 2, slope))
        covered = [difference <= tick + bound * slope for bound in (funding, fees, timing)]
    return np.select([np.isnan(theirs), np.isnan(ours), difference <= tick, *covered],
                     ["exchange gave none", "xlmargin gives none", "agrees", "explained: funding", "explained: fees",
                      "explained: mark timing"], "unexplained")


def _mark_timing(book: Book, inverse: np.ndarray) -> np.ndarray:
    """Per position, |change of its account's cross uPnL| between the exchange's marks and the book's [settlement asset]."""
    p = book.positions
    exchange_mark = _column(p, "exchange_mark_price")
    if np.isnan(exchange_mark).all():
        return np.zeros(len(p))
    s = np.where(p["side"] == "long", 1.0, -1.0)
    q, entry, mark = p["size"].to_numpy(float), p["entry_price"].to_numpy(float), p["mark_price"].to_numpy(float)
    moved = fm.pnl(s, q, entry, mark, inverse) - fm.pnl(s, q, entry, np.where(np.isnan(exchange_mark), mark, exchange_mark), inverse)
    cross = (p["margin_mode"] == "cross").to_numpy()
    per_account = pd.Series(np.where(cross, moved, 0.0)).groupby(p["account"].to_numpy()).transform("sum").abs().to_numpy()
    return np.where(cross, per_account, 0.0)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """One line per position of a reconciliation table, for the command line."""
    lines = []
    for row in table.itertuples(index=False):
        theirs = "none" if np.isnan(row.exchange_liq_price) else f"{row.exchange_liq_price:,.8g}"
        gap = "" if np.isnan(row.difference) else f", {row.difference:+,.6g} ({row.difference_ticks:+,.1f} ticks, {row.difference_pct:+.4f} %)"
        lines.append(f"{row.account} {row.symbol} {row.side} {row.margin_mode}: xlmargin {row.xlmargin_liq_price:,.8g}, "
                     f"exchange {theirs}{gap}: {row.status}")
    return lines


def explain_position(book: Book | object, position: int) -> pd.DataFrame:
    """The explanation table of xlmargin's liquidation price of one position (counting from 1, in book order).

    An isolated position: :func:`xlmargin.explain_liq_price` with its margin; a cross one:
    :func:`xlmargin.explain_cross_liq_price` over its account's cross positions (the
    wallet less the isolated margins), with the position's tier table (or, where the
    account's positions name different tables, each position's rate at its mark).

    Returns
    -------
    DataFrame
        Columns ``item``, ``value``, ``unit`` (see the two functions).

    Examples
    --------
    >>> from xlmargin.review import sample_book
    >>> table = explain_position(sample_book(), 10)   # small-iso's isolated BTC long
    >>> round(float(table.set_index("item").loc["liq_price", "value"]), 2)
    47738.69
    """
    from .. import core as mg
    from ..errors import InputError

    if hasattr(book, "book") and callable(book.book):
        book = book.book()
    p = book.positions
    if not 1 <= int(position) <= len(p):
        raise InputError("position", f"must be between 1 and {len(p)} (the book's positions)")
    row = p.iloc[int(position) - 1]
    rules = row.get("rules", "binance") if "rules" in p else "binance"
    table = book.tiers.get(row["tier_set"]) if row["tier_set"] else None
    if row["margin_mode"] == "isolated":
        margin = row["isolated_margin"] + (row["funding"] if "funding" in p else 0.0)
        return mg.explain_liq_price(row["side"], row["size"], row["entry_price"], margin, mmr=table or DEFAULT_RATE,
                                    contract=row["contract"], rules=rules)
    mine = p[(p["account"] == row["account"]) & (p["margin_mode"] == "cross")]
    account = book.accounts.set_index("account").loc[row["account"]]
    if float(account.get("collateral", 0.0) or 0.0) > 0:
        raise InputError("position", f"{position}'s account {row['account']} counts collateral, which the cross explanation "
                                     "table does not lay open (the review's figures include it)")
    isolated = p.loc[(p["account"] == row["account"]) & (p["margin_mode"] == "isolated"), "isolated_margin"].sum()
    wallet = account["wallet_balance"] - isolated + (mine["funding"].sum() if "funding" in p else 0.0)
    rates, amounts = table or DEFAULT_RATE, 0.0
    if len(set(mine["tier_set"])) > 1:  # several tables in one call: each position's tier at its mark
        notional = fm.notional(mine["size"].to_numpy(float), mine["mark_price"].to_numpy(float), (mine["contract"] == "inverse").to_numpy())
        tiers = [(book.tiers[t], int(np.atleast_1d(book.tiers[t].tier_index(n))[0])) if t else (None, 0) for t, n in zip(mine["tier_set"], notional)]
        rates = [t.mmr[i] if t else DEFAULT_RATE for t, i in tiers]
        amounts = [t.maint_amount[i] if t else 0.0 for t, i in tiers]
    return mg.explain_cross_liq_price(wallet, mine["side"].tolist(), mine["size"].tolist(), mine["entry_price"].tolist(),
                                      mine["mark_price"].tolist(), mmr=rates, maint_amount=amounts, contract=row["contract"],
                                      position=list(mine.index).index(row.name) + 1, rules=rules)


def reconcile_liq_price(side: Any, size: Any, entry_price: Any, mark_price: Any, margin_mode: Any, margin: Any,
                        wallet_balance: Any, exchange_liq_price: Any, tick: Any = np.nan, mmr: Any = 0.005,
                        contract: Any = "linear", rules: Any = "binance", account: Any = None) -> pd.DataFrame:
    """Reconcile position columns with the exchange's reported liquidation prices (RECONCILE_LIQ_PRICE in Excel).

    Parameters
    ----------
    side, size, entry_price, mark_price : column
        The positions, in the glossary's units (size: base asset for linear, quote for inverse).
    margin_mode : column of {"isolated", "cross"}
        Each position's margin mode.
    margin : column
        Isolated margin of each isolated position [settlement asset]; ignored in cross.
    wallet_balance : float or column
        The account's wallet balance before uPnL [settlement asset] (the first value of each account).
    exchange_liq_price : column
        What the exchange reports [quote per base]; 0 or empty for none.
    tick : float or column
        The price step [quote per base], for the difference in ticks; NaN: none.
    mmr : float or TierTable
        Maintenance margin rate [decimal], or a tier table for every position.
    contract : {"linear", "inverse"}
        The contract kind (one account: one kind).
    rules : str
        The exchange rule set (:mod:`xlmargin.core.rules`).
    account : column, optional
        Each position's account (default: all in one account).

    Returns
    -------
    DataFrame
        ``xlmargin_liq_price``, ``exchange_liq_price``, ``difference``, ``difference_ticks``,
        ``difference_pct``, ``status`` per position (NaN: no price); see :func:`reconcile`.

    Examples
    --------
    >>> reconcile_liq_price(["long"], [0.009], [67445.9], [67502.69], ["cross"], [0.0], 25.72470371, [64846.9875379],
    ...                     0.1, 0.004).status.tolist()
    ['agrees']
    """
    from ..core.tiers import TierTable
    from ..review import Book, check_book

    n = len(np.atleast_1d(np.asarray(size, dtype=object)))
    col = lambda v: np.broadcast_to(np.asarray(v, dtype=object), (n,)) if np.ndim(v) == 0 or len(np.atleast_1d(v)) == 1 else np.asarray(v, dtype=object)  # noqa: E731
    table = mmr if isinstance(mmr, TierTable) else TierTable.from_rows([[0, np.inf, 1000, float(mmr), 0]])
    accounts = col("account" if account is None else account)
    positions = pd.DataFrame({
        "account": accounts, "symbol": [f"position {i + 1}" for i in range(n)], "contract": col(contract), "side": col(side),
        "size": col(size), "entry_price": col(entry_price), "mark_price": col(mark_price), "margin_mode": col(margin_mode),
        "isolated_margin": col(margin), "tier_set": "sheet", "rules": col(rules), "exchange_liq_price": col(exchange_liq_price),
        "price_tick": col(tick)})
    positions["isolated_margin"] = np.where(positions["margin_mode"].astype(str).str.lower() == "cross", 0.0, positions["isolated_margin"])
    wallets = pd.DataFrame({"account": accounts, "wallet_balance": col(wallet_balance)}).drop_duplicates("account")
    tiers = table.to_frame().assign(tier_set="sheet")
    p, a, t = check_book(positions, wallets, tiers, ("positions", "wallet_balance", "mmr"))
    out = reconcile(Book(p, a, t))
    return out[["xlmargin_liq_price", "exchange_liq_price", "difference", "difference_ticks", "difference_pct", "status"]]
