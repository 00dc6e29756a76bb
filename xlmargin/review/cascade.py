"""The cascade: the exact joint price move, falling and rising, at which each cross account and isolated position is lost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core.formulas import DEFAULT_MMR
from .state import Rows, State

RISE_LIMIT = 9.0  # the cascade looks for liquidations by rising prices up to +900 % (10x the mark)
FALL_LIMIT = -1.0 + 1e-9  # ... and by falling prices down to (just above) zero


class _Subset:
    """Maintenance margin of some rows (their tier sets), for root solving."""

    def __init__(self, rows: Rows, index: np.ndarray):
        where = np.full(len(rows.q), -1)
        where[index] = np.arange(len(index))
        self.groups = [(where[g][where[g] >= 0], t) for g, t in rows.groups]
        self.groups = [(g, t) for g, t in self.groups if len(g)]
        self.at_entry = rows.rules.mm_at_entry if np.ndim(rows.rules.mm_at_entry) == 0 else rows.rules.mm_at_entry[index]
        self.mm_entry = rows.mm_entry[index]
        self.group_of = np.zeros(len(index), dtype=np.intp)  # which of self.groups each row is in
        for k, (g, _) in enumerate(self.groups):
            self.group_of[g] = k

    def maint(self, n: np.ndarray, part: np.ndarray | None = None) -> np.ndarray:
        """Maintenance margin at notionals ``n`` of all the rows, or of the rows ``part`` (positions in the subset)."""
        mm = np.empty_like(n)
        if part is None:
            for g, table in self.groups:
                mm[g] = fm.maint_margin(n[g], table if table is not None else DEFAULT_MMR)
            return np.where(self.at_entry, self.mm_entry, mm) if np.any(self.at_entry) else mm
        group_of = self.group_of[part]
        for k, (_, table) in enumerate(self.groups):
            g = group_of == k
            if g.any():
                mm[g] = fm.maint_margin(n[g], table if table is not None else DEFAULT_MMR)
        at_entry = self.at_entry if np.ndim(self.at_entry) == 0 else self.at_entry[part]
        return np.where(at_entry, self.mm_entry[part], mm) if np.any(at_entry) else mm


def _root(gap, alive: np.ndarray, dead: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Where ``gap`` crosses zero between ``alive`` (gap > 0) and ``dead`` (gap <= 0), vectorised; NaN if no change.

    Bracketed false position with the Illinois step, falling back to bisection
    when a step stalls; exact to a few ulps of the bracket. Returns a point on
    the dead side (``gap <= 0`` there), so that the state there is liquidated.
    ``gap(x, which)`` is the gap of the elements ``which`` (an index) at ``x``
    (theirs only), or of all of them with ``which=None``: once most elements are
    solved, only the others are evaluated (each element's gap is its own).
    """
    a, b = alive.astype(float).copy(), dead.astype(float).copy()
    fa, fb = gap(a, None), gap(b, None)
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
        which = np.flatnonzero(todo)
        if 2 * len(which) > len(a):
            fc = np.where(todo, gap(np.where(todo, c, a), None), 1.0)
        else:
            fc = np.ones(len(a))
            fc[which] = gap(c[which], which)
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
    s, q, e, m = rows.s[cross], rows.q[cross], rows.entry[cross], rows.mark[cross]
    inv = rows.fixed.inverse if np.ndim(rows.fixed.inverse) == 0 else rows.inverse[cross]  # one type: that formula only
    base = rows.cross_wallet[acc]
    coll_amount, coll_price, coll_moves = rows.coll_amount[acc], rows.coll_price[acc], rows.coll_asset[acc] != ""

    def gap(x, which=None):
        if which is None:
            price = m * (1.0 + x[local])
            n = fm.notional(q, price, inv)
            value = fm.pnl(s, q, e, price, inv) - sub.maint(n)
            coll = coll_amount * coll_price * np.where(coll_moves, 1.0 + x, 1.0)
            return base + coll + np.bincount(local, weights=value, minlength=len(acc))
        chosen = np.zeros(len(acc), dtype=bool)
        chosen[which] = True
        part = np.flatnonzero(chosen[local])  # the rows of those accounts, in order
        renumber = np.zeros(len(acc), dtype=np.intp)
        renumber[which] = np.arange(len(which))
        mine = renumber[local[part]]
        price = m[part] * (1.0 + x[mine])
        inv_part = inv if np.ndim(inv) == 0 else inv[part]
        n = fm.notional(q[part], price, inv_part)
        value = fm.pnl(s[part], q[part], e[part], price, inv_part) - sub.maint(n, part)
        coll = coll_amount[which] * coll_price[which] * np.where(coll_moves[which], 1.0 + x, 1.0)
        return base[which] + coll + np.bincount(mine, weights=value, minlength=len(which))

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
