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

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import core as mg
from ..core import formulas as fm
from ..core import rules as exchange_rules
from ..core.formulas import DEFAULT_MMR
from .book import Book
from .cascade import RISE_LIMIT, _cascade, _root, _Subset
from .headroom import add_headroom
from .state import Rows, State, _rows, state_at

_STEPS = np.array([0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15, 0.20, 0.30, 0.50])
SHOCKS = np.concatenate([-_STEPS[::-1], [0.0], _STEPS])  # per asset and joint: finer near zero
CURVE = np.round(np.arange(-0.5, 0.5001, 0.02), 2)  # joint moves for the value-by-price chart


@dataclass
class RiskResult:
    """The figures of a risk review (all DataFrames; amounts in each account's settlement asset)."""

    positions: pd.DataFrame
    accounts: pd.DataFrame
    stress: pd.DataFrame
    cascade: pd.DataFrame
    curve: pd.DataFrame
    book: Book

    @cached_property
    def position_settlement(self) -> pd.Series:
        """The settlement asset of each position (aligned with ``positions``), found once: the tables are not changed after."""
        codes, labels = pd.factorize(self.positions["account"])
        per_account = self.accounts.set_index("account")["settlement_asset"].reindex(labels)
        return pd.Series(per_account.array.take(codes), index=self.positions.index, name="settlement_asset")


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
    add_headroom(book, rows, positions, accounts)  # margin that can come out, break-even (#16)
    step("stress scenarios")
    joint = _JointMoves(rows, now)
    stress = _stress(book, rows, now, joint)
    step("cascade and value curve")
    cascade = _cascade(rows, positions, now)
    curve = _curve(book, rows, joint)
    return RiskResult(positions, accounts, stress, cascade, curve, book)


class _JointMoves:
    """The state of the book with every price (and collateral coin) moved by ``shock``, each computed once.

    The stress grid's joint scenarios and the value curve share some shocks
    (the same prices, so the same state); no move is the state at the marks.
    A state kept for a second use keeps its per-account figures only (the
    curve's), not its per-row arrays.
    """

    def __init__(self, rows: Rows, now: State):
        self.rows, self.states = rows, {0.0: now}
        self.shared = {float(x) for x in SHOCKS} & {float(x) for x in CURVE}

    def __call__(self, shock: float) -> State:
        shock = float(shock)
        if shock in self.states:
            return self.states[shock]
        state = state_at(self.rows, self.rows.mark * (1.0 + shock), 1.0 + shock)
        if shock in self.shared:
            self.states[shock] = replace(state, pnl=None, mm=None, iso_alive=None)
        return state


def copy_sharing(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that shares its columns' memory where pandas copies on write (always from pandas 3), else a deep copy.

    Either way, changing the copy never changes ``frame``; with copy on write
    a column is copied only when it is changed (a million-position book's
    columns are not held twice).
    """
    cow = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
    return frame.copy(deep=not cow)


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
    out = copy_sharing(book.positions)
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

    def gap(price, which=None):
        if which is None:
            return base + k * price + s * q * (price - e) - sub.maint(q * price)
        return base[which] + k[which] * price + s[which] * q[which] * (price - e[which]) - sub.maint(q[which] * price, which)

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


def _account_table(book: Book, rows: Rows, now: State) -> pd.DataFrame:
    cross = ~rows.isolated
    labels = rows.labels
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


def _settlement_of_accounts(book: Book, rows: Rows) -> np.ndarray:
    return book.accounts.set_index("account")["settlement_asset"].reindex(rows.labels).to_numpy()


def _stress(book: Book, rows: Rows, now: State, joint: _JointMoves) -> pd.DataFrame:
    settlement = _settlement_of_accounts(book, rows)
    assets = sorted(set(settlement))
    of_asset = {asset: settlement == asset for asset in assets}
    rows_of_asset = {asset: of_asset[asset][rows.codes] for asset in assets}
    scopes = [("all", np.ones(len(rows.q), dtype=bool))] + [(a, rows.asset == a) for a in sorted(set(rows.asset))]
    records = []
    for scope, affected in scopes:
        touched_accounts = np.bincount(rows.codes[affected], minlength=rows.n_accounts) > 0
        coll_moves = (rows.coll_asset != "") & ((scope == "all") | (rows.coll_asset == scope))
        touched_accounts |= coll_moves & (rows.coll_amount > 0)
        for shock in SHOCKS:
            if scope == "all" or shock == 0:  # every price moved (the same prices as the curve's), or none
                shocked = joint(shock)
            else:
                shocked = state_at(rows, rows.mark * np.where(affected, 1.0 + shock, 1.0), np.where(coll_moves, 1.0 + shock, 1.0))
            dead_rows = np.where(rows.isolated, ~shocked.iso_alive, ~shocked.cross_alive[rows.codes])
            for asset in assets:
                acc = of_asset[asset] & touched_accounts
                in_asset = rows_of_asset[asset] & touched_accounts[rows.codes]
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


def _curve(book: Book, rows: Rows, joint: _JointMoves) -> pd.DataFrame:
    settlement = _settlement_of_accounts(book, rows)
    records = []
    for shock in CURVE:
        state = joint(shock)
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
