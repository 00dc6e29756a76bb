"""Risk review of a whole book: per-position and per-account figures, stress tests, cascades.

Everything is computed with the core formulas over whole columns; accounts are
groups of rows (``np.bincount`` on account codes), tier sets are groups of rows
solved one table at a time. The definitions, in the glossary's words:

* **Funding** (``funding`` column, received + / paid -, [settlement asset], since
  the wallet balance was taken) goes into the position's own margin when it is
  isolated and into the wallet when it is in cross (docs/formulas.md, "Funding").
* **Collateral** (accounts' ``collateral`` [coin] of ``collateral_asset`` with a
  ``collateral_haircut``) counts ``amount * price * (1 - haircut)``
  (:func:`xlmargin.collateral_value`) towards the cross equity; a coin the
  account trades moves with that coin's price (as :func:`xlmargin.cross_liq_price`'s
  ``collateral``), cash in the settlement asset does not move.
* An account's **cross wallet** backs its cross positions after the isolated
  margins are set aside: ``wallet_balance - sum(isolated_margin) + cross funding``.
  The **cross equity** is the cross wallet + collateral + the cross positions' uPnL;
  the **margin ratio** is the cross maintenance margin over the cross equity (Binance's).
* What an account **keeps** (its ``equity``, SPEC W2-W4): each isolated position
  alive counts its margin + uPnL, a liquidated one nothing (it loses its margin
  only); the cross part counts its cross equity while alive, nothing once
  liquidated. A cross equity below zero is a **deficit** (the exchange's loss, not
  the account's), shown separately and never added into other accounts' totals.
* **Initial margin** is the entry notional over the ``leverage`` column; where it
  is empty an isolated position's leverage is its notional over its margin and a
  cross position's is *assumed* to be the highest its tier allows (100x with no
  tier set); ``leverage_basis`` says which, per position.
* The **most an account can lose**: *under isolated*, each position with its own
  margin (its isolated margin, or its initial margin if it is in cross), so the
  sum of those margins; *under cross*, its whole equity.
* A **stress scenario** moves mark prices by a shock, per asset or all at once
  (``mark * (1 + shock)``); positions and accounts are liquidated where
  ``margin + uPnL <= MM`` (isolated) or ``cross equity <= cross MM`` (cross),
  with maintenance margin at the shocked notional and its tier.
* **Exchange rules**: a ``rules`` column names each position's rule set
  (:mod:`xlmargin.rules`); where it values maintenance margin at the entry
  notional (Bybit, BitMEX), that figure is used at every price.
* The **cascade**, both ways: every price moves together by ``x``; an isolated
  position is lost exactly at its own liquidation price, a cross account loses
  all its cross positions at once at the exact ``x`` where its cross equity
  reaches its maintenance margin (:func:`cross_account_moves`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import core as mg
from ..core import formulas as fm
from ..core import rules as exchange_rules
from ..core.formulas import DEFAULT_MMR
from .book import Book

_STEPS = np.array([0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15, 0.20, 0.30, 0.50])
SHOCKS = np.concatenate([-_STEPS[::-1], [0.0], _STEPS])  # per asset and joint: finer near zero
CURVE = np.round(np.arange(-0.5, 0.5001, 0.02), 2)  # joint moves for the value-by-price chart
RISE_LIMIT = 9.0  # the cascade looks for liquidations by rising prices up to +900 % (10x the mark)
FALL_LIMIT = -1.0 + 1e-9  # ... and by falling prices down to (just above) zero
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

    @property
    def n_accounts(self) -> int:
        return len(self.wallet)

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.n_accounts)

    @property
    def cross_wallet(self) -> np.ndarray:
        """Per account: wallet - isolated margins + the cross positions' funding [settlement asset]."""
        iso_margin = np.where(self.isolated, self.margin - self.funding, 0.0)  # as booked, before funding
        return self.wallet - self.total(iso_margin) + self.total(np.where(self.isolated, 0.0, self.funding))

    def collateral(self, factor: Any = 1.0) -> np.ndarray:
        """Collateral value per account [settlement asset], its coin's price moved by ``factor`` (per account)."""
        moves = self.coll_asset != ""
        return self.coll_amount * self.coll_price * np.where(moves, factor, 1.0)


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
                funding=funding, asset=assets_of(p["symbol"]))
    _collateral(rows, book, accounts)
    lev, basis = leverage_used(rows, p)
    rows.leverage, rows.leverage_basis = lev, basis
    rows.own_margin = np.where(isolated, margin, fm.notional(q, entry, inverse) / lev)
    rows.mm_entry = _maint(rows, fm.notional(q, entry, inverse), valued_at_entry=False)
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
    n = fm.notional(rows.q, mark, rows.inverse)
    pnl = fm.pnl(rows.s, rows.q, rows.entry, mark, rows.inverse)
    mm = _maint(rows, n)
    cross = ~rows.isolated
    iso_balance = rows.margin + pnl
    iso_alive = rows.isolated & (iso_balance > mm)
    collateral = rows.collateral(collateral_factor)
    cross_equity = rows.cross_wallet + collateral + rows.total(np.where(cross, pnl, 0.0))
    cross_mm = rows.total(np.where(cross, mm, 0.0))
    has_cross = rows.total(cross.astype(float)) > 0
    cross_alive = ~has_cross | (cross_equity > cross_mm)
    kept_cross = np.where(cross_alive, np.maximum(cross_equity, 0.0), 0.0)
    value_actual = rows.total(np.where(iso_alive, iso_balance, 0.0)) + kept_cross
    deficit = np.where(cross_alive, 0.0, np.minimum(cross_equity, 0.0))
    own = rows.own_margin + np.where(rows.isolated, 0.0, rows.funding) + pnl
    wallet_all = rows.wallet + rows.total(rows.funding) + collateral
    value_all_isolated = np.maximum(wallet_all - rows.total(rows.own_margin + np.where(rows.isolated, 0.0, rows.funding)), 0.0) \
        + rows.total(np.where(own > mm, own, 0.0))
    equity = wallet_all + rows.total(pnl)
    value_all_cross = np.where(equity > rows.total(mm), equity, 0.0)
    return State(pnl, mm, iso_alive, cross_equity, cross_mm, cross_alive, value_actual, value_all_isolated,
                 value_all_cross, deficit)


@dataclass
class RiskResult:
    """The figures of a risk review (all DataFrames; amounts in each account's settlement asset)."""

    positions: pd.DataFrame
    accounts: pd.DataFrame
    stress: pd.DataFrame
    cascade: pd.DataFrame
    curve: pd.DataFrame
    book: Book


def evaluate(book: Book, progress: Any = None) -> RiskResult:
    """Review ``book``: per-position and per-account figures, stress table, cascade, value curve.

    ``progress``, if given, is called with a short label before each stage.
    """
    step = progress or (lambda label: None)
    step("positions and accounts")
    rows = _rows(book)
    now = state_at(rows, rows.mark)
    positions = _position_table(book, rows, now)
    accounts = _account_table(book, rows, now)
    step("stress scenarios")
    stress = _stress(book, rows, now)
    step("cascade and value curve")
    cascade = _cascade(rows, positions, now)
    curve = _curve(book, rows)
    return RiskResult(positions, accounts, stress, cascade, curve, book)


def _position_table(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    n = fm.notional(rows.q, rows.mark, rows.inverse)
    cross = ~rows.isolated
    spare = np.where(cross, now.pnl - now.mm, 0.0)
    others = (rows.cross_wallet + rows.collateral())[rows.codes] + (rows.total(spare)[rows.codes] - spare)
    held = np.where(rows.isolated, rows.margin, others)  # the margin behind each position
    liq = np.full(len(n), np.nan)
    bankrupt = np.full(len(n), np.nan)
    zero = np.zeros(len(n))
    for index, table in rows.groups:
        args = (rows.s[index], rows.q[index], rows.entry[index], held[index])
        inverse = rows.inverse[index]
        mmr = table if table is not None else DEFAULT_MMR
        flags = exchange_rules.Flags(*(np.broadcast_to(f, len(n))[index] for f in (
            rows.rules.mm_at_entry, rows.rules.fee_at_bankruptcy, rows.rules.ratio_equity_over_mm)))
        liq[index] = fm.liq_price(*args, mmr, 0.0, inverse, zero[index], flags)
        bankrupt[index] = fm.liq_price(*args, 0.0, 0.0, inverse, zero[index])
    direction = rows.s.copy()  # +1: a fall liquidates, -1: a rise
    moving = cross & (rows.coll_asset[rows.codes] == rows.asset) & ~rows.inverse
    if moving.any():  # the account's collateral is this position's coin: it moves with this price too
        liq, direction = _liq_with_collateral(rows, now, moving, held, liq, direction)
    liq = np.where(liq > 0, liq, np.nan)
    out = book.positions.copy()
    out["asset"] = rows.asset
    out["notional"] = n
    out["size_base"] = np.where(rows.inverse, n, rows.q)  # [base asset]: the quantity, or the contracts' value in coin
    out["size_quote"] = np.where(rows.inverse, rows.q, rows.q * rows.mark)  # [quote asset] at the mark
    out["leverage"] = rows.leverage
    out["leverage_basis"] = rows.leverage_basis
    out["initial_margin"] = rows.own_margin
    out["funding"] = rows.funding
    out["maint_margin"] = now.mm
    out["unrealized_pnl"] = now.pnl
    out["liq_price"] = liq
    out["bankruptcy_price"] = np.where(bankrupt > 0, bankrupt, np.nan)
    move = np.asarray(mg.distance_to_liq(rows.mark, liq), dtype=float)  # the core's signed move [decimal]
    out["move_to_liq_pct"] = move * 100.0
    out["distance_to_liq_pct"] = -direction * move * 100.0  # room left: negative once past it
    out["liquidated"] = np.where(rows.isolated, ~now.iso_alive, ~now.cross_alive[rows.codes])
    return out


def _liq_with_collateral(rows, now, moving, held, liq, direction):
    """Cross liquidation price of positions whose account's collateral is their own coin (it moves with the price).

    Solves ``others + k*P + s*q*(P - E) = MM(P)`` (``others`` without the
    collateral, ``k`` the collateral after haircut [coin]) on the side its net
    exposure ``s*q + k`` loses, as :func:`xlmargin.cross_liq_price` with
    ``collateral`` does.
    """
    index = np.flatnonzero(moving)
    k = rows.coll_amount[rows.codes[index]]
    base = held[index] - (rows.coll_amount * rows.coll_price)[rows.codes[index]]
    s, q, e, p = rows.s[index], rows.q[index], rows.entry[index], rows.mark[index]
    net = np.sign(s * q + k)
    sub = _Subset(rows, index)

    def gap(price):
        return base + k * price + s * q * (price - e) - sub.maint(q * price)

    lo = np.where(net > 0, p * 1e-9, p)
    hi = np.where(net > 0, p, p * (1 + RISE_LIMIT))
    alive_end = np.where(net > 0, hi, lo)
    dead_end = np.where(net > 0, lo, hi)
    price = _root(gap, alive_end, dead_end)
    liq = liq.copy()
    liq[index] = price
    direction = direction.copy()
    direction[index] = np.where(net == 0, direction[index], net)
    return liq, direction


class _Subset:
    """Maintenance margin of some rows (their tier sets), for root solving."""

    def __init__(self, rows: Rows, index: np.ndarray):
        where = np.full(len(rows.q), -1)
        where[index] = np.arange(len(index))
        self.groups = [(where[g][where[g] >= 0], t) for g, t in rows.groups]
        self.groups = [(g, t) for g, t in self.groups if len(g)]
        self.at_entry = rows.rules.mm_at_entry if np.ndim(rows.rules.mm_at_entry) == 0 else rows.rules.mm_at_entry[index]
        self.mm_entry = rows.mm_entry[index]

    def maint(self, n: np.ndarray) -> np.ndarray:
        mm = np.empty_like(n)
        for g, table in self.groups:
            mm[g] = fm.maint_margin(n[g], table if table is not None else DEFAULT_MMR)
        return np.where(self.at_entry, self.mm_entry, mm) if np.any(self.at_entry) else mm


def _root(gap, alive: np.ndarray, dead: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Where ``gap`` crosses zero between ``alive`` (gap > 0) and ``dead`` (gap <= 0), vectorised; NaN if no change.

    Bracketed false position with the Illinois step, falling back to bisection
    when a step stalls; exact to a few ulps of the bracket. Returns a point on
    the dead side (``gap <= 0`` there), so that the state there is liquidated.
    """
    a, b = alive.astype(float).copy(), dead.astype(float).copy()
    fa, fb = gap(a), gap(b)
    ok = (fa > 0) & (fb <= 0)
    out = np.full(len(a), np.nan)
    out[ok & (fb == 0)] = b[ok & (fb == 0)]
    todo = ok & (fb < 0)
    side = np.zeros(len(a))
    for i in range(iterations):
        if not todo.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        inside = np.isfinite(c) & ((c - a) * (c - b) < 0)
        c = np.where(inside & (i % 4 != 3), c, 0.5 * (a + b))
        fc = np.where(todo, gap(np.where(todo, c, a)), 1.0)
        alive_c = fc > 0
        # Illinois: when the same end moves twice running, halve the other end's value
        fb = np.where(alive_c & (side == 1), fb * 0.5, fb)
        fa = np.where(~alive_c & (side == -1), fa * 0.5, fa)
        a, fa = np.where(alive_c, c, a), np.where(alive_c, fc, fa)
        b, fb = np.where(alive_c, b, c), np.where(alive_c, fb, fc)
        side = np.where(alive_c, 1, -1)
        done = todo & ((fb == 0) | (np.abs(b - a) <= 4e-16 * np.maximum(np.abs(a), np.abs(b)) + 1e-300))
        out[done] = b[done]
        todo &= ~done
    out[todo] = b[todo]
    return out


def _account_table(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    cross = ~rows.isolated
    labels = pd.factorize(book.positions["account"])[1]
    accounts = book.accounts.set_index("account").reindex(labels)
    out = pd.DataFrame(index=pd.Index(labels, name="account"))
    out["settlement_asset"] = accounts["settlement_asset"].to_numpy()
    out["wallet_balance"] = rows.wallet
    out["positions"] = np.bincount(rows.codes, minlength=rows.n_accounts)
    out["funding"] = rows.total(rows.funding)
    out["collateral_value"] = rows.collateral()
    out["equity"] = now.value_actual  # what the account keeps (SPEC W2-W4)
    out["deficit"] = now.deficit
    out["maint_margin"] = rows.total(np.where(rows.isolated, np.where(now.iso_alive, now.mm, 0.0), now.mm))
    out["cross_equity"] = now.cross_equity
    out["cross_maint_margin"] = now.cross_mm
    has_cross = rows.total(cross.astype(float)) > 0
    ratio = np.asarray(mg.margin_ratio(now.cross_equity, np.maximum(now.cross_mm, 0.0)), dtype=float)
    out["margin_ratio"] = np.where(has_cross, ratio, np.nan)
    out["margin_call"] = has_cross & (ratio >= fm.DEFAULT_MARGIN_CALL) & now.cross_alive
    out["liquidated"] = ~now.cross_alive
    out["isolated_liquidated"] = np.bincount(rows.codes, weights=(rows.isolated & ~now.iso_alive).astype(float),
                                             minlength=rows.n_accounts).astype(int)
    out["max_loss_isolated"] = rows.total(rows.own_margin)
    marked = rows.wallet + rows.total(rows.funding) + rows.collateral() + rows.total(now.pnl)
    out["max_loss_cross"] = np.maximum(marked, 0.0)
    out["leverage_assumed"] = np.bincount(rows.codes, weights=np.char.startswith(rows.leverage_basis.astype(str), "assumed"),
                                          minlength=rows.n_accounts).astype(int)
    return out.reset_index()


def _settlement_of_accounts(book: Book) -> np.ndarray:
    return book.accounts.set_index("account")["settlement_asset"].reindex(pd.factorize(book.positions["account"])[1]).to_numpy()


def _stress(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    settlement = _settlement_of_accounts(book)
    scopes = [("all", np.ones(len(rows.q), dtype=bool))] + [(a, rows.asset == a) for a in sorted(set(rows.asset))]
    records = []
    for scope, affected in scopes:
        touched_accounts = np.bincount(rows.codes[affected], minlength=rows.n_accounts) > 0
        coll_moves = (rows.coll_asset != "") & ((scope == "all") | (rows.coll_asset == scope))
        touched_accounts |= coll_moves & (rows.coll_amount > 0)
        for shock in SHOCKS:
            shocked = state_at(rows, rows.mark * np.where(affected, 1.0 + shock, 1.0), np.where(coll_moves, 1.0 + shock, 1.0))
            dead_rows = np.where(rows.isolated, ~shocked.iso_alive, ~shocked.cross_alive[rows.codes])
            for asset in sorted(set(settlement)):
                acc = (settlement == asset) & touched_accounts
                in_asset = acc[rows.codes]
                records.append({
                    "settlement_asset": asset,
                    "scope": scope,
                    "shock_pct": float(round(shock * 100, 2)),
                    "positions_liquidated": int((dead_rows & in_asset).sum()),
                    "accounts_liquidated": int((~shocked.cross_alive & acc).sum()),
                    "loss_actual": float((now.value_actual - shocked.value_actual)[acc].sum()),
                    "loss_all_isolated": float((now.value_all_isolated - shocked.value_all_isolated)[acc].sum()),
                    "loss_all_cross": float((now.value_all_cross - shocked.value_all_cross)[acc].sum()),
                    "deficit": float(shocked.deficit[acc].sum()),
                })
    return pd.DataFrame.from_records(records)


def _curve(book: Book, rows: Rows) -> pd.DataFrame:
    settlement = _settlement_of_accounts(book)
    records = []
    for shock in CURVE:
        state = state_at(rows, rows.mark * (1.0 + shock), 1.0 + shock)
        for asset in sorted(set(settlement)):
            acc = settlement == asset
            records.append({
                "settlement_asset": asset,
                "shock_pct": float(round(shock * 100, 2)),
                "value_actual": float(state.value_actual[acc].sum()),
                "value_all_isolated": float(state.value_all_isolated[acc].sum()),
                "value_all_cross": float(state.value_all_cross[acc].sum()),
                "accounts_liquidated": int((~state.cross_alive & acc).sum()),
            })
    return pd.DataFrame.from_records(records)


def cross_account_moves(rows: Rows, now: State | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact joint moves ``x`` (every mark x (1 + x)) at which each cross account is liquidated, down and up.

    ``gap(x) = cross equity(x) - cross MM(x)``: for linear contracts the equity is
    linear in ``x`` and the maintenance margin convex (rates grow with the
    tier), so ``gap`` is concave and has at most one root on each side of
    ``x = 0`` (for inverse contracts the same holds in ``1/P``). Each root is
    bracketed by ``[FALL_LIMIT, 0]`` and ``[0, RISE_LIMIT]`` and solved with
    :func:`_root`, all accounts at once.

    Returns
    -------
    fall, rise : ndarray
        Per account, the move [decimal] (negative, positive); 0 where the account
        is liquidated at the marks; NaN where it has no cross position or no move
        within the limits liquidates it.
    """
    cross = np.flatnonzero(~rows.isolated)
    n_acc = rows.n_accounts
    fall, rise = np.full(n_acc, np.nan), np.full(n_acc, np.nan)
    if not len(cross):
        return fall, rise
    codes = rows.codes[cross]
    has = np.bincount(codes, minlength=n_acc) > 0
    acc = np.flatnonzero(has)
    where = np.full(n_acc, -1)
    where[acc] = np.arange(len(acc))
    local = where[codes]
    sub = _Subset(rows, cross)
    s, q, e, m, inv = rows.s[cross], rows.q[cross], rows.entry[cross], rows.mark[cross], rows.inverse[cross]
    base = rows.cross_wallet[acc]
    coll_amount, coll_price, coll_moves = rows.coll_amount[acc], rows.coll_price[acc], rows.coll_asset[acc] != ""

    def gap(x):
        price = m * (1.0 + x[local])
        n = fm.notional(q, price, inv)
        value = fm.pnl(s, q, e, price, inv) - sub.maint(n)
        coll = coll_amount * coll_price * np.where(coll_moves, 1.0 + x, 1.0)
        return base + coll + np.bincount(local, weights=value, minlength=len(acc))

    zero = np.zeros(len(acc))
    g0 = gap(zero)
    dead_now = g0 <= 0
    f = _root(gap, zero, np.full(len(acc), FALL_LIMIT))
    r = _root(gap, zero, np.full(len(acc), RISE_LIMIT))
    fall[acc] = np.where(dead_now, 0.0, f)
    rise[acc] = np.where(dead_now, 0.0, r)
    return fall, rise


def _cascade(rows: Rows, positions: pd.DataFrame, now: State) -> pd.DataFrame:
    """When each position is lost as every price moves together, down and up, account by account."""
    fall, rise = cross_account_moves(rows, now)
    iso_move = positions["move_to_liq_pct"].to_numpy() / 100.0
    iso_dead = rows.isolated & ~now.iso_alive
    losing = positions["distance_to_liq_pct"].to_numpy()  # > 0 alive
    frames = []
    for name, acc_move, sign in (("falling", fall, -1.0), ("rising", rise, 1.0)):
        iso = np.where((np.sign(iso_move) == sign) & (losing > 0), iso_move, np.nan)
        iso = np.where(iso_dead & (rows.s == -sign), 0.0, iso)  # lost already, shown on its side
        if sign < 0:
            iso = np.where(np.isfinite(iso), np.maximum(iso, -1.0), np.nan)
        move = np.where(rows.isolated, iso, acc_move[rows.codes])
        out = positions[["account", "symbol", "side", "margin_mode"]].copy()
        out.insert(0, "direction", name)
        out["lost_at_move_pct"] = move * 100.0
        out = out.dropna(subset=["lost_at_move_pct"])
        out = out.assign(_size=out["lost_at_move_pct"].abs()).sort_values(["account", "_size"], kind="stable")
        out["order"] = out.groupby("account").cumcount() + 1
        frames.append(out.drop(columns="_size"))
    return pd.concat(frames, ignore_index=True)
