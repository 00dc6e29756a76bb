"""What-if on a book: accounts of isolated and cross positions, trades applied, each account's state.

The machinery behind :func:`xlmargin.what_if`, over checked arrays. A book is
rows of positions grouped into accounts (``codes``: the account of each row);
each row is isolated (its own margin) or cross (the account's balance behind
it). Every figure comes from the core's formulas (:mod:`.formulas`) and public
functions (:func:`cross_liq_price`, :func:`isolated_liq_price`,
:func:`margin_ratio`, :func:`max_position_size`, :func:`average_entry_price`);
nothing here is a formula of its own but the bookkeeping of a trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import formulas as fm
from .accounts import margin_ratio
from .calculator import average_entry_price
from .cross import cross_liq_price
from .liquidation import isolated_liq_price
from .sizing import max_position_size
from .tiers import TierTable


@dataclass(frozen=True)
class Book:
    """Positions as signed arrays (``s`` +1/-1, ``q`` >= 0 with 0 for none, ``m`` isolated margins) and balances.

    ``balance`` is per account: what no isolated position holds (a cross
    account's wallet balance, an isolated account's free balance).
    """

    balance: np.ndarray
    s: np.ndarray
    q: np.ndarray
    e: np.ndarray
    m: np.ndarray


@dataclass(frozen=True)
class Market:
    """What a book is valued with: per row the mark, contract, leverage, rates, rules and mode; the accounts."""

    p: np.ndarray
    inv: np.ndarray
    lev: np.ndarray
    mmr: Any  # a rate per row, or one TierTable / size-scaled schedule for every row
    maint_amount: Any  # per row (0.0 with a table)
    close_fee: np.ndarray
    rules: Any  # one name, or one per row
    mm_at_entry: np.ndarray  # per row: the rules value maintenance margin at the entry notional
    isolated: np.ndarray  # per row
    codes: np.ndarray  # per row: its account, 0 .. count - 1
    count: int
    first: np.ndarray  # per account: its first row (whose rule set gives the account's margin ratio)

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per account: the sum of ``values`` over its rows."""
        return np.bincount(self.codes, weights=values, minlength=self.count)

    def rows(self, i: np.ndarray) -> dict[str, Any]:
        """Rate, amount, contract, close fee and rules of rows ``i``, as the public functions take them."""
        pick = lambda v: v[i] if isinstance(v, np.ndarray) else v  # noqa: E731 - a table or one value serves every row
        return {"mmr": pick(self.mmr), "maint_amount": pick(self.maint_amount), "contract": contract_words(self.inv[i]),
                "close_fee_rate": self.close_fee[i], "rules": pick(self.rules)}


def contract_words(inv: np.ndarray) -> Any:
    """``"linear"`` or ``"inverse"``: one word where every row has it, else one per row."""
    if not inv.any():
        return "linear"
    return "inverse" if inv.all() else np.where(inv, "inverse", "linear")


def apply_trades(book: Book, t_s, t_q, t_p, lev, fee, mk: Market) -> tuple[Book, dict[str, np.ndarray]]:
    """The book after trades ``t_s * t_q`` at ``t_p``, one per row (0 for none), and what each trade did.

    A trade in the position's direction (or on no position) opens or adds: the
    entry becomes the average of the position and the fill; an isolated
    position's margin grows by the fill's initial margin, taken from its
    account's balance. One against it reduces or closes, realizing
    ``uPnL(t_p)`` of the part closed into the balance and (isolated) releasing
    that share of the margin; what exceeds the position opens the other side.
    The fee ``fee * notional(t_q, t_p)`` comes from the balance.
    """
    s, q, e, m, inv = book.s, book.q, book.e, book.m, mk.inv
    same = (q == 0) | (t_s == s)
    closed = np.where(same, 0.0, np.minimum(t_q, q))
    opened = t_q - closed
    realized = fm.pnl(s, closed, e, t_p, inv)
    fees = fee * fm.notional(t_q, t_p, inv)
    im_open = fm.notional(opened, t_p, inv) / lev
    q_after = np.where(same, q + t_q, np.abs(q - t_q))
    s_after = np.where(same, np.where(q > 0, s, t_s), np.where(t_q <= q, s, t_s))
    e_after = np.where((same & (q == 0)) | (~same & (t_q > q)), t_p, e)
    adds = np.flatnonzero(same & (q > 0) & (t_q > 0))
    if adds.size:  # the average of the position and the fill, by the one formula
        contract = contract_words(inv[adds])
        fills = dict(size=np.concatenate([q[adds], t_q[adds]]), price=np.concatenate([e[adds], t_p[adds]]),
                     contract=contract if isinstance(contract, str) else np.concatenate([contract, contract]))
        if adds.size == 1:
            e_after[adds] = average_entry_price(**fills)
        else:
            e_after[adds] = average_entry_price(**fills, position_id=np.concatenate([adds, adds])).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.where(q > 0, 1.0 - closed / np.where(q > 0, q, 1.0), 0.0)
    iso = mk.isolated
    m_after = np.where(iso, m * kept + im_open, 0.0)
    flow = realized - fees + np.where(iso, m * (1.0 - kept) - im_open, 0.0)
    after = Book(book.balance + mk.total(flow), s_after, q_after, e_after, np.where(q_after > 0, m_after, 0.0))
    return after, {"realized_pnl": realized, "fee": fees, "initial_margin": im_open, "opened": opened}


def liq_prices(book: Book, mk: Market, open_: np.ndarray) -> np.ndarray:
    """Each open position's liquidation price: isolated on its margin, cross on its account's balance; NaN else."""
    liq = np.full(book.q.shape, np.nan)
    for rows, isolated in ((np.flatnonzero(open_ & mk.isolated), True), (np.flatnonzero(open_ & ~mk.isolated), False)):
        if not rows.size:
            continue
        position = (book.s[rows], book.q[rows], book.e[rows])
        if isolated:
            liq[rows] = isolated_liq_price(*position, book.m[rows], **mk.rows(rows))
        else:
            codes = mk.codes[rows]
            liq[rows] = cross_liq_price(book.balance[codes], *position, mk.p[rows], **mk.rows(rows),
                                        account=codes if mk.count > 1 else None)
    return liq


def account_state(book: Book, mk: Market) -> dict[str, Any]:
    """Per row the liquidation price; per account equity, maintenance margin, margin ratio and available balance.

    Equity: balance + the cross positions' uPnL + the isolated positions'
    margin and uPnL. Available: balance + cross uPnL - the cross positions'
    initial margin at the mark (Binance); for an isolated account its free
    balance.
    """
    open_ = book.q > 0
    mm = np.zeros(book.q.shape)
    upnl = np.zeros(book.q.shape)
    if open_.any():
        i = np.flatnonzero(open_)
        rates = mk.rows(i)
        valued_at = np.where(mk.mm_at_entry[i], book.e[i], mk.p[i])
        mm[i] = fm.maint_margin_at(book.q[i], valued_at, mk.inv[i], rates["mmr"], rates["maint_amount"], mk.close_fee[i])
        upnl[i] = fm.pnl(book.s[i], book.q[i], book.e[i], mk.p[i], mk.inv[i])
    cross = open_ & ~mk.isolated
    im = np.where(cross, fm.notional(book.q, mk.p, mk.inv) / mk.lev, 0.0)
    equity = book.balance + mk.total(np.where(cross, upnl, 0.0) + np.where(open_ & mk.isolated, book.m + upnl, 0.0))
    available = book.balance + mk.total(np.where(cross, upnl, 0.0) - im)
    maint = np.maximum(mk.total(mm), 0.0)
    rules = mk.rules[mk.first] if isinstance(mk.rules, np.ndarray) else mk.rules
    return {"liq_price": liq_prices(book, mk, open_), "wallet_balance": book.balance, "equity": equity,
            "maint_margin": maint, "margin_ratio": np.asarray(margin_ratio(equity, maint, rules), dtype=float),
            "available": available}


def account_states(before: Book, after: Book, mk: Market) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`account_state` before and after, valued in one pass: the two books side by side as one book of twice the accounts."""
    n, k = before.q.size, mk.count
    cat = np.concatenate
    two = lambda v: cat([v, v]) if isinstance(v, np.ndarray) else v  # noqa: E731 - a table or one value serves every row
    book = Book(*(cat([getattr(before, f), getattr(after, f)]) for f in ("balance", "s", "q", "e", "m")))
    both = Market(two(mk.p), two(mk.inv), two(mk.lev), two(mk.mmr), two(mk.maint_amount), two(mk.close_fee), two(mk.rules),
                  two(mk.mm_at_entry), two(mk.isolated), cat([mk.codes, mk.codes + k]), 2 * k, cat([mk.first, mk.first + n]))
    state = account_state(book, both)
    split = lambda v, size: (v[:size], v[size:])  # noqa: E731
    parts = {key: split(v, n if key == "liq_price" else k) for key, v in state.items()}
    return {key: v[0] for key, v in parts.items()}, {key: v[1] for key, v in parts.items()}


def room(available: np.ndarray, book: Book, mk: Market, fee: np.ndarray, table: TierTable | None) -> np.ndarray:
    """Largest further size each position can add at its leverage: by its account's available balance, then the tier cap."""
    size = np.asarray(max_position_size(np.maximum(available[mk.codes], 0.0), mk.lev, mk.p, None, contract_words(mk.inv), fee),
                      dtype=float)
    if table is not None:
        left = np.maximum(table.max_notional(mk.lev) - fm.notional(book.q, mk.p, mk.inv), 0.0)
        size = np.minimum(size, np.where(mk.inv, left * mk.p, left / mk.p))
    return size


def can_open(trade: dict, after: Book, available_before: np.ndarray, mk: Market, t_p, table: TierTable | None) -> np.ndarray:
    """Per trade: its initial margin and fee fit in its account's available balance before the trades, and
    the position after stays within the cap of a tier allowing its leverage; a trade that only reduces always can."""
    available = available_before[mk.codes]
    fits = trade["initial_margin"] + trade["fee"] <= available + 1e-12 * np.abs(available)
    if table is not None:
        fits &= (trade["opened"] == 0) | (fm.notional(after.q, t_p, mk.inv) <= table.max_notional(mk.lev))
    return fits | (trade["opened"] == 0)


__all__ = ["Book", "Market", "account_state", "account_states", "apply_trades", "can_open", "contract_words", "liq_prices", "room"]
