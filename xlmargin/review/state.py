"""The book as arrays, and everything that depends on the mark prices at one set of prices."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core import rules as exchange_rules
from ..core.formulas import DEFAULT_MMR
from .book import Book

_QUOTES = re.compile(r"(USDT|USDC|BUSD|USD|PERP|_PERP|-PERP|SWAP|[-_/])+$", re.IGNORECASE)


def asset_of(symbol: str) -> str:
    """The base asset a symbol trades: BTCUSDT, BTCUSD_PERP, BTC-USDT-SWAP -> BTC."""
    base = _QUOTES.sub("", str(symbol).upper())
    return base or str(symbol).upper()


def assets_of(symbols: pd.Series) -> np.ndarray:
    """:func:`asset_of` of a column, computed once per distinct symbol."""
    codes, uniques = pd.factorize(symbols.astype(str))
    return np.array([asset_of(u) for u in uniques], dtype=object)[codes] if len(uniques) else np.array([], dtype=object)


@dataclass
class Rows:
    """The book as arrays, with the figures that do not change with prices."""

    s: np.ndarray
    q: np.ndarray
    entry: np.ndarray
    mark: np.ndarray
    inverse: np.ndarray
    isolated: np.ndarray
    margin: np.ndarray  # isolated margin with its funding; 0 for cross rows
    own_margin: np.ndarray  # the margin a position has if isolated: its isolated margin, else its initial margin
    codes: np.ndarray  # account of each row
    wallet: np.ndarray  # per account, as the book gives it
    rules: Any  # per-row flags of the exchange rule sets (xlmargin.rules)
    mm_entry: np.ndarray  # maintenance margin at the entry notional (used where the rules say so)
    groups: list[tuple[np.ndarray, Any]] = field(default_factory=list)  # (rows, TierTable or None) per tier set
    funding: np.ndarray = None  # per row [settlement asset], received +
    asset: np.ndarray = None  # base asset of each row
    coll_amount: np.ndarray = None  # per account: collateral after haircut [coin]
    coll_price: np.ndarray = None  # per account: the collateral coin's price at the marks [settlement asset]
    coll_asset: np.ndarray = None  # per account: the coin, '' where the collateral does not move (cash)
    leverage: np.ndarray = None  # per row: the leverage used for initial margin [x]
    leverage_basis: np.ndarray = None  # per row: where it comes from
    labels: Any = None  # the account of each code (``pd.factorize`` of the book's account column)

    @property
    def n_accounts(self) -> int:
        return len(self.wallet)

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.n_accounts)

    @property
    def cross_wallet(self) -> np.ndarray:
        """Per account: wallet - isolated margins + the cross positions' funding [settlement asset]."""
        return self.fixed.cross_wallet

    @cached_property
    def fixed(self) -> Fixed:
        """The figures of every price scenario that do not depend on prices, computed once (the rows are not changed after :func:`_rows`)."""
        return Fixed(self)

    def collateral(self, factor: Any = 1.0) -> np.ndarray:
        """Collateral value per account [settlement asset], its coin's price moved by ``factor`` (per account)."""
        moves = self.coll_asset != ""
        return self.coll_amount * self.coll_price * np.where(moves, factor, 1.0)


class Fixed:
    """What :func:`state_at` needs at every set of prices that prices do not change (per row or per account)."""

    def __init__(self, rows: Rows):
        self.cross = ~rows.isolated
        iso_margin = np.where(rows.isolated, rows.margin - rows.funding, 0.0)  # as booked, before funding
        self.cross_wallet = rows.wallet - rows.total(iso_margin) + rows.total(np.where(rows.isolated, 0.0, rows.funding))
        self.has_cross = rows.total(self.cross.astype(float)) > 0
        self.wallet_funding = rows.wallet + rows.total(rows.funding)
        self.own_base = rows.own_margin + np.where(rows.isolated, 0.0, rows.funding)  # a position's own margin and funding
        self.own_total = rows.total(self.own_base)
        # one contract type for all rows: the formulas compute that one only (the same numbers as the per-row choice)
        uniform = len(rows.inverse) and (rows.inverse.all() or not rows.inverse.any())
        self.inverse = np.bool_(rows.inverse[0]) if uniform else rows.inverse


def _rows(book: Book) -> Rows:
    p = book.positions
    codes, labels = pd.factorize(p["account"])
    accounts = book.accounts.set_index("account").reindex(labels)
    wallet = accounts["wallet_balance"].to_numpy(dtype=float)
    inverse = (p["contract"] == "inverse").to_numpy()
    s = np.where(p["side"].to_numpy() == "long", 1.0, -1.0)
    q, entry, mark = (p[c].to_numpy(dtype=float) for c in ("size", "entry_price", "mark_price"))
    isolated = (p["margin_mode"] == "isolated").to_numpy()
    funding = p["funding"].to_numpy(dtype=float) if "funding" in p.columns else np.zeros(len(p))
    margin = np.where(isolated, p["isolated_margin"].to_numpy(dtype=float) + funding, 0.0)
    groups = []
    for name, index in p.groupby("tier_set", sort=True).indices.items():
        groups.append((np.asarray(index), book.tiers.get(name) if name else None))
    flags = exchange_rules.flags(p["rules"].astype("category") if "rules" in p.columns else np.full(len(p), "binance"))
    rows = Rows(s, q, entry, mark, inverse, isolated, margin, margin.copy(), codes, wallet, flags, np.zeros(len(p)), groups,
                funding=funding, asset=assets_of(p["symbol"]), labels=labels)
    _collateral(rows, book, accounts)
    lev, basis = leverage_used(rows, p)
    rows.leverage, rows.leverage_basis = lev, basis
    rows.own_margin = np.where(isolated, margin, fm.notional(q, entry, inverse) / lev)
    rows.mm_entry = _maint(rows, fm.notional(q, entry, inverse), valued_at_entry=False)
    rows.__dict__.pop("fixed", None)  # made from the finished rows when first used
    return rows


def _collateral(rows: Rows, book: Book, accounts: pd.DataFrame) -> None:
    """Per account: collateral after haircut [coin], its price [settlement asset] and the coin it moves with."""
    n = rows.n_accounts
    amount = accounts["collateral"].to_numpy(dtype=float) if "collateral" in accounts.columns else np.zeros(n)
    haircut = accounts["collateral_haircut"].to_numpy(dtype=float) if "collateral_haircut" in accounts.columns else np.zeros(n)
    amount, haircut = np.nan_to_num(amount), np.nan_to_num(haircut)
    coin = (accounts["collateral_asset"].fillna("").astype(str).str.upper().to_numpy() if "collateral_asset" in accounts.columns
            else np.full(n, "", dtype=object))
    settles = accounts["settlement_asset"].fillna("").astype(str).str.upper().to_numpy()
    coin = np.where((coin == settles) | (amount == 0), "", coin).astype(object)
    price = np.ones(n)
    given = accounts["collateral_price"].to_numpy(dtype=float) if "collateral_price" in accounts.columns else np.full(n, np.nan)
    moving = coin != ""
    if moving.any():  # the mark of a position in that coin, in the same account, else the price the book gives
        traded = pd.DataFrame({"code": rows.codes, "asset": rows.asset, "mark": rows.mark, "inverse": rows.inverse})
        traded = traded[~traded["inverse"]].drop_duplicates(["code", "asset"]).set_index(["code", "asset"])["mark"]
        key = pd.MultiIndex.from_arrays([np.arange(n), coin])
        price = np.where(moving, traded.reindex(key).to_numpy(), 1.0)
        price = np.where(moving & np.isfinite(given), given, price)
    rows.coll_amount = np.where(moving | (amount != 0), amount * (1.0 - haircut), 0.0)
    rows.coll_price = np.nan_to_num(price, nan=0.0)
    rows.coll_asset = coin


def leverage_used(rows: Rows, positions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The leverage behind each position's initial margin [x], and where it comes from.

    The book's ``leverage`` column where it has a value ('book'); else, for an
    isolated position, its entry notional over its margin ('from isolated margin');
    else the highest its tier allows at the entry notional ('assumed: tier max'),
    or ``1 / (2 x 0.005)`` = 100x with no tier set ('assumed: 100x, no tier set').
    """
    n = fm.notional(rows.q, rows.entry, rows.inverse)
    given = positions["leverage"].to_numpy(dtype=float) if "leverage" in positions.columns else np.full(len(n), np.nan)
    fallback = np.full(len(n), 1 / (2 * DEFAULT_MMR))
    basis = np.full(len(n), "assumed: 100x, no tier set", dtype=object)
    for index, table in rows.groups:
        if table is not None:
            fallback[index] = table.max_leverage[table.tier_index(n[index])]
            basis[index] = "assumed: tier max"
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = np.where(rows.margin > 0, n / rows.margin, np.nan)
    from_margin = rows.isolated & np.isfinite(implied)
    lev = np.where(from_margin, implied, fallback)
    basis = np.where(from_margin, "from isolated margin", basis)
    ok = np.isfinite(given) & (given > 0)
    return np.where(ok, given, lev), np.where(ok, "book", basis).astype(object)


def initial_margin(rows: Rows, positions: pd.DataFrame) -> np.ndarray:
    """Initial margin of each position [settlement asset]: entry notional / :func:`leverage_used`."""
    return fm.notional(rows.q, rows.entry, rows.inverse) / leverage_used(rows, positions)[0]


def _maint(rows: Rows, n: np.ndarray, valued_at_entry: bool = True) -> np.ndarray:
    """Maintenance margin at notional ``n``; rows whose rules value it at entry keep their entry figure."""
    mm = np.empty_like(n)
    for group, table in rows.groups:
        mm[group] = fm.maint_margin(n[group], table if table is not None else DEFAULT_MMR)
    if valued_at_entry and rows.rules.mm_at_entry.any():
        mm = np.where(rows.rules.mm_at_entry, rows.mm_entry, mm)
    return mm


@dataclass
class State:
    """Per-row and per-account figures at one set of mark prices."""

    pnl: np.ndarray
    mm: np.ndarray
    iso_alive: np.ndarray  # per row (isolated rows)
    cross_equity: np.ndarray  # per account
    cross_mm: np.ndarray
    cross_alive: np.ndarray
    value_actual: np.ndarray  # what each account keeps, per account (never below 0)
    value_all_isolated: np.ndarray
    value_all_cross: np.ndarray
    deficit: np.ndarray  # per account: a liquidated cross equity below zero (<= 0), not the account's


def state_at(rows: Rows, mark: np.ndarray, collateral_factor: Any = 1.0) -> State:
    """Everything that depends on the mark prices, for one price scenario.

    ``collateral_factor`` moves each account's collateral coin's price (per
    account, or one for all).
    """
    fixed = rows.fixed
    n = fm.notional(rows.q, mark, fixed.inverse)
    pnl = fm.pnl(rows.s, rows.q, rows.entry, mark, fixed.inverse)
    mm = _maint(rows, n)
    iso_balance = rows.margin + pnl
    iso_alive = rows.isolated & (iso_balance > mm)
    collateral = rows.collateral(collateral_factor)
    cross_equity = fixed.cross_wallet + collateral + rows.total(np.where(fixed.cross, pnl, 0.0))
    cross_mm = rows.total(np.where(fixed.cross, mm, 0.0))
    cross_alive = ~fixed.has_cross | (cross_equity > cross_mm)
    kept_cross = np.where(cross_alive, np.maximum(cross_equity, 0.0), 0.0)
    value_actual = rows.total(np.where(iso_alive, iso_balance, 0.0)) + kept_cross
    deficit = np.where(cross_alive, 0.0, np.minimum(cross_equity, 0.0))
    own = fixed.own_base + pnl
    wallet_all = fixed.wallet_funding + collateral
    value_all_isolated = np.maximum(wallet_all - fixed.own_total, 0.0) + rows.total(np.where(own > mm, own, 0.0))
    equity = wallet_all + rows.total(pnl)
    value_all_cross = np.where(equity > rows.total(mm), equity, 0.0)
    return State(pnl, mm, iso_alive, cross_equity, cross_mm, cross_alive, value_actual, value_all_isolated,
                 value_all_cross, deficit)
