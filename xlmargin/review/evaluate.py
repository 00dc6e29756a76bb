"""Risk review of a whole book: per-position and per-account figures, stress tests, cascades.

Everything is computed with the core formulas over whole columns; accounts are
groups of rows (``np.bincount`` on account codes), tier sets are groups of rows
solved one table at a time. The definitions, in the glossary's words:

* An account's **wallet balance** backs its cross positions after the isolated
  margins are set aside: ``cross wallet = wallet_balance - sum(isolated_margin)``.
* **Equity** is ``wallet_balance + sum(uPnL)`` over all positions; the **cross
  equity** counts the cross wallet and the cross positions only; the **margin
  ratio** is the cross maintenance margin over the cross equity (Binance's).
* The **most an account can lose**: *under isolated*, each position with its own
  margin (its isolated margin, or its initial margin if it is in cross), so the
  sum of those margins; *under cross*, its whole equity.
* A **stress scenario** moves mark prices by a shock, per asset or all at once
  (``mark * (1 + shock)``); positions and accounts are liquidated where
  ``margin + uPnL <= MM`` (isolated) or ``cross equity <= cross MM`` (cross),
  with maintenance margin at the shocked notional and its tier. The loss is
  the drop in what the account is worth, under its actual margin modes, and as
  if every position were isolated or all were in cross.
* **Exchange rules**: a ``rules`` column names each position's rule set
  (:mod:`xlmargin.rules`); where it values maintenance margin at the entry
  notional (Bybit, BitMEX), that figure is used at every price.
* The **cascade** of a falling market: every price falls together by 1 %,
  2 %, ...; an isolated position is lost at its own liquidation price, a cross
  account loses all its cross positions at once when its equity reaches its
  maintenance margin.
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

SHOCKS = np.round(np.arange(-0.5, 0.5001, 0.1), 2)  # per asset and joint
CURVE = np.round(np.arange(-0.5, 0.5001, 0.02), 2)  # joint moves for the value-by-price chart
FALL = np.round(np.arange(0.0, -0.9601, -0.01), 2)  # joint falls for the cascade
_QUOTES = re.compile(r"(USDT|USDC|BUSD|USD|PERP|_PERP|-PERP|SWAP|[-_/])+$", re.IGNORECASE)


def asset_of(symbol: str) -> str:
    """The base asset a symbol trades: BTCUSDT, BTCUSD_PERP, BTC-USDT-SWAP -> BTC."""
    base = _QUOTES.sub("", str(symbol).upper())
    return base or str(symbol).upper()


@dataclass
class Rows:
    """The book as arrays, with the figures that do not change with prices."""

    s: np.ndarray
    q: np.ndarray
    entry: np.ndarray
    mark: np.ndarray
    inverse: np.ndarray
    isolated: np.ndarray
    margin: np.ndarray  # isolated margin; 0 for cross rows
    own_margin: np.ndarray  # the margin a position has if isolated: its isolated margin, else its initial margin
    codes: np.ndarray  # account of each row
    wallet: np.ndarray  # per account
    rules: Any  # per-row flags of the exchange rule sets (xlmargin.rules)
    mm_entry: np.ndarray  # maintenance margin at the entry notional (used where the rules say so)
    groups: list[tuple[np.ndarray, Any]] = field(default_factory=list)  # (rows, TierTable or None) per tier set

    @property
    def n_accounts(self) -> int:
        return len(self.wallet)

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.n_accounts)


def _rows(book: Book) -> Rows:
    p = book.positions
    codes, labels = pd.factorize(p["account"])
    wallet = book.accounts.set_index("account")["wallet_balance"].reindex(labels).to_numpy(dtype=float)
    inverse = (p["contract"] == "inverse").to_numpy()
    s = np.where(p["side"].to_numpy() == "long", 1.0, -1.0)
    q, entry, mark = (p[c].to_numpy(dtype=float) for c in ("size", "entry_price", "mark_price"))
    isolated = (p["margin_mode"] == "isolated").to_numpy()
    margin = np.where(isolated, p["isolated_margin"].to_numpy(dtype=float), 0.0)
    groups = []
    for name, index in p.groupby("tier_set", sort=True).indices.items():
        groups.append((np.asarray(index), book.tiers.get(name) if name else None))
    flags = exchange_rules.flags(p["rules"].astype("category") if "rules" in p.columns else np.full(len(p), "binance"))
    rows = Rows(s, q, entry, mark, inverse, isolated, margin, margin.copy(), codes, wallet, flags, np.zeros(len(p)), groups)
    rows.own_margin = np.where(isolated, margin, initial_margin(rows, p))
    rows.mm_entry = _maint(rows, fm.notional(q, entry, inverse), valued_at_entry=False)
    return rows


def initial_margin(rows: Rows, positions: pd.DataFrame) -> np.ndarray:
    """Initial margin of each position [settlement asset].

    ``notional(entry) / leverage`` with the book's ``leverage`` column; without
    one, the least the exchange asks: the notional over the tier's max leverage
    (1 / the default rate's max leverage, 1/(2 x 0.005) = 100x, with no tier set).
    """
    n = fm.notional(rows.q, rows.entry, rows.inverse)
    if "leverage" in positions.columns:
        lev = positions["leverage"].to_numpy(dtype=float)
    else:
        lev = np.full(len(n), np.nan)
    fallback = np.full(len(n), 1 / (2 * DEFAULT_MMR))
    for index, table in rows.groups:
        if table is not None:
            fallback[index] = table.max_leverage[table.tier_index(n[index])]
    return n / np.where(np.isfinite(lev) & (lev > 0), lev, fallback)


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
    value_actual: np.ndarray  # what each account is worth, per account
    value_all_isolated: np.ndarray
    value_all_cross: np.ndarray


def state_at(rows: Rows, mark: np.ndarray) -> State:
    """Everything that depends on the mark prices, for one price scenario."""
    n = fm.notional(rows.q, mark, rows.inverse)
    pnl = fm.pnl(rows.s, rows.q, rows.entry, mark, rows.inverse)
    mm = _maint(rows, n)
    cross = ~rows.isolated
    iso_balance = rows.margin + pnl
    iso_alive = rows.isolated & (iso_balance > mm)
    cross_equity = rows.wallet - rows.total(rows.margin) + rows.total(np.where(cross, pnl, 0.0))
    cross_mm = rows.total(np.where(cross, mm, 0.0))
    has_cross = rows.total(cross.astype(float)) > 0
    cross_alive = ~has_cross | (cross_equity > cross_mm)
    value_actual = rows.total(np.where(iso_alive, iso_balance, 0.0)) + np.where(cross_alive, cross_equity, 0.0)
    own = rows.own_margin + pnl
    value_all_isolated = rows.wallet - rows.total(rows.own_margin) + rows.total(np.where(own > mm, own, 0.0))
    equity = rows.wallet + rows.total(pnl)
    value_all_cross = np.where(equity > rows.total(mm), equity, 0.0)
    return State(pnl, mm, iso_alive, cross_equity, cross_mm, cross_alive, value_actual, value_all_isolated, value_all_cross)


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
    cascade = _cascade(book, rows, positions)
    curve = _curve(book, rows)
    return RiskResult(positions, accounts, stress, cascade, curve, book)


def _position_table(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    n = fm.notional(rows.q, rows.mark, rows.inverse)
    cross = ~rows.isolated
    spare = np.where(cross, now.pnl - now.mm, 0.0)
    cross_wallet = rows.wallet - rows.total(rows.margin)
    others = cross_wallet[rows.codes] + (rows.total(spare)[rows.codes] - spare)
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
    out = book.positions.copy()
    out["asset"] = out["symbol"].map(asset_of)
    out["notional"] = n
    out["initial_margin"] = rows.own_margin
    out["maint_margin"] = now.mm
    out["unrealized_pnl"] = now.pnl
    out["liq_price"] = liq
    out["bankruptcy_price"] = bankrupt
    out["distance_to_liq_pct"] = np.abs(liq / rows.mark - 1.0) * 100.0
    out["liquidated"] = np.where(rows.isolated, ~now.iso_alive, ~now.cross_alive[rows.codes])
    return out


def _account_table(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    cross = ~rows.isolated
    labels = pd.factorize(book.positions["account"])[1]
    accounts = book.accounts.set_index("account").reindex(labels)
    out = pd.DataFrame(index=pd.Index(labels, name="account"))
    out["settlement_asset"] = accounts["settlement_asset"].to_numpy()
    out["wallet_balance"] = rows.wallet
    out["positions"] = np.bincount(rows.codes, minlength=rows.n_accounts)
    out["equity"] = rows.wallet + rows.total(now.pnl)
    out["maint_margin"] = rows.total(now.mm)
    out["cross_equity"] = now.cross_equity
    out["cross_maint_margin"] = now.cross_mm
    has_cross = rows.total(cross.astype(float)) > 0
    ratio = np.asarray(mg.margin_ratio(now.cross_equity, np.maximum(now.cross_mm, 0.0)), dtype=float)
    out["margin_ratio"] = np.where(has_cross, ratio, np.nan)
    out["margin_call"] = has_cross & (ratio >= fm.DEFAULT_MARGIN_CALL)
    out["liquidated"] = ~now.cross_alive
    out["max_loss_isolated"] = rows.total(rows.own_margin)
    out["max_loss_cross"] = np.maximum(out["equity"].to_numpy(), 0.0)
    return out.reset_index()


def _scenario(rows: Rows, base: State, factor: np.ndarray) -> tuple[State, np.ndarray]:
    shocked = state_at(rows, rows.mark * factor)
    dead_rows = np.where(rows.isolated, ~shocked.iso_alive, ~shocked.cross_alive[rows.codes])
    return shocked, dead_rows


def _stress(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    assets = book.positions["symbol"].map(asset_of).to_numpy()
    settlement = book.accounts.set_index("account")["settlement_asset"].reindex(pd.factorize(book.positions["account"])[1]).to_numpy()
    scopes = [("all", np.ones(len(rows.q), dtype=bool))] + [(a, assets == a) for a in sorted(set(assets))]
    records = []
    for scope, affected in scopes:
        touched_accounts = np.bincount(rows.codes[affected], minlength=rows.n_accounts) > 0
        for shock in SHOCKS:
            factor = np.where(affected, 1.0 + shock, 1.0)
            shocked, dead_rows = _scenario(rows, now, factor)
            for asset in sorted(set(settlement)):
                acc = (settlement == asset) & touched_accounts
                in_asset = acc[rows.codes]
                records.append({
                    "settlement_asset": asset,
                    "scope": scope,
                    "shock_pct": round(shock * 100),
                    "positions_liquidated": int((dead_rows & in_asset).sum()),
                    "accounts_liquidated": int((~shocked.cross_alive & acc).sum()),
                    "loss_actual": float((now.value_actual - shocked.value_actual)[acc].sum()),
                    "loss_all_isolated": float((now.value_all_isolated - shocked.value_all_isolated)[acc].sum()),
                    "loss_all_cross": float((now.value_all_cross - shocked.value_all_cross)[acc].sum()),
                })
    return pd.DataFrame.from_records(records)


def _curve(book: Book, rows: Rows) -> pd.DataFrame:
    settlement = book.accounts.set_index("account")["settlement_asset"].reindex(pd.factorize(book.positions["account"])[1]).to_numpy()
    records = []
    for shock in CURVE:
        state = state_at(rows, rows.mark * (1.0 + shock))
        for asset in sorted(set(settlement)):
            acc = settlement == asset
            records.append({
                "settlement_asset": asset,
                "shock_pct": round(shock * 100),
                "value_actual": float(state.value_actual[acc].sum()),
                "value_all_isolated": float(state.value_all_isolated[acc].sum()),
                "value_all_cross": float(state.value_all_cross[acc].sum()),
                "accounts_liquidated": int((~state.cross_alive & acc).sum()),
            })
    return pd.DataFrame.from_records(records)


def _cascade(book: Book, rows: Rows, positions: pd.DataFrame) -> pd.DataFrame:
    """When each position is lost as every price falls together, account by account."""
    # isolated positions: exactly at their own liquidation price
    iso_fall = np.where(rows.isolated, positions["liq_price"].to_numpy() / rows.mark - 1.0, np.nan)
    iso_fall = np.where(iso_fall <= 0, np.maximum(iso_fall, -1.0), np.nan)  # a rising liquidation price is no fall
    # cross accounts: the first 1 % step at which the cross equity reaches the cross maintenance margin
    account_fall = np.full(rows.n_accounts, np.nan)
    has_cross = rows.total((~rows.isolated).astype(float)) > 0
    for shock in FALL:
        state = state_at(rows, rows.mark * (1.0 + shock))
        newly = has_cross & np.isnan(account_fall) & ~state.cross_alive
        account_fall[newly] = shock
        if not np.isnan(account_fall[has_cross]).any():
            break
    fall = np.where(rows.isolated, iso_fall, account_fall[rows.codes])
    out = positions[["account", "symbol", "side", "margin_mode"]].copy()
    out["lost_at_fall_pct"] = fall * 100.0
    out = out.dropna(subset=["lost_at_fall_pct"]).sort_values(["account", "lost_at_fall_pct"], ascending=[True, False])
    out["order"] = out.groupby("account").cumcount() + 1
    return out.reset_index(drop=True)
