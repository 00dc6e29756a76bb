"""A price-shock ladder: a book, an account or one position, step by step from a move to zero up to a multiple."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .book import Book
from .state import _rows, state_at


def ladder_moves(step: float = 0.05, up_to: float = 2.0) -> np.ndarray:
    """The moves of a ladder [decimal]: -100 % (price zero) to ``up_to - 1`` every ``step``, with 0 exactly."""
    if not (0 < step <= 1):
        raise ValueError(f"step must be in (0, 1] (a decimal: 0.05 is 5 %), not {step!r}")
    if not up_to >= 1:
        raise ValueError(f"up_to is a multiple of the mark price, at least 1, not {up_to!r}")
    down = -np.arange(0.0, 1.0 + step / 2, step)[::-1]
    down[0] = -1.0
    up = np.arange(step, up_to - 1.0 + step / 2, step)
    return np.round(np.unique(np.concatenate([down, [0.0], up])), 12)


def shock_ladder(book: Book, account: str | None = None, position: int | None = None, step: float = 0.05,
                 up_to: float = 2.0) -> pd.DataFrame:
    """What a book, an account or a position keeps at each step of a price move, down to zero and up to a multiple.

    Parameters
    ----------
    book : Book
        A checked book (:func:`xlmargin.review.read_book`).
    account : str, optional
        Only this account (every price in it moves together).
    position : int, optional
        Only this position (its row of ``book.positions``, from 0): its price
        alone moves; the figures are its account's (an isolated position's own
        margin is part of them).
    step : float, default 0.05
        The step of the move [decimal: 0.05 is 5 %], in (0, 1].
    up_to : float, default 2.0
        The highest price as a multiple of the mark price [x], >= 1.

    Returns
    -------
    DataFrame
        One row per move and settlement asset: ``move_pct`` [%] (-100 is a price
        of zero), ``settlement_asset``, ``equity`` (what the accounts keep,
        SPEC W2-W4) [settlement asset], ``margin_left`` (what can still be lost
        before the next liquidation: equity less maintenance margin of what is
        still open) [settlement asset], ``maint_margin`` [settlement asset],
        ``margin_ratio`` (maintenance margin over the equity behind it
        [decimal]; NaN with nothing open), ``deficit`` (cross equity below zero
        of liquidated accounts, the exchange's loss) [settlement asset],
        ``positions_liquidated`` [count] and ``liquidated`` (text: the
        positions and accounts lost at that step, or '').

    Raises
    ------
    ValueError
        If ``account`` or ``position`` is not in the book, or ``step`` or
        ``up_to`` is out of range.

    Notes
    -----
    Prices are ``mark * (1 + move)`` (a position's collateral coin moves with
    them); every figure is :func:`xlmargin.review.state.state_at`'s.

    Examples
    --------
    W3 in cross (BTC at 51,000, ETH at 2,200): every price 10 % lower takes the
    whole account (the exact move is -7.43 %).

    >>> from xlmargin.review import sample_book
    >>> ladder = shock_ladder(sample_book(), account="two-longs", step=0.05, up_to=1.1)
    >>> ladder.set_index("move_pct").loc[[-10.0, -5.0], ["equity", "positions_liquidated"]].round(2).values.tolist()
    [[0.0, 2.0], [110.0, 0.0]]
    """
    moves = ladder_moves(step, up_to)
    p, a = book.positions, book.accounts
    only = np.zeros(len(p), dtype=bool)
    if position is not None:
        if not (0 <= int(position) < len(p)):
            raise ValueError(f"position {position!r} is not a row of the book (0 to {len(p) - 1})")
        account = p["account"].iloc[int(position)]
        only[int(position)] = True
    if account is not None:
        mask = (p["account"] == account).to_numpy()
        if not mask.any():
            raise ValueError(f"account {account!r} has no positions in the book")
        sub = Book(p[mask].reset_index(drop=True), a[a["account"] == account].reset_index(drop=True), book.tiers)
        only = only[mask]
    else:
        sub = book
        only[:] = position is None
    if position is None:
        only[:] = True
    rows = _rows(sub)
    settlement = sub.accounts.set_index("account")["settlement_asset"].reindex(pd.factorize(sub.positions["account"])[1])
    settlement = settlement.to_numpy()
    labels = [f"{acc} {sym} {side} ({mode})" for acc, sym, side, mode in
              zip(sub.positions["account"], sub.positions["symbol"], sub.positions["side"], sub.positions["margin_mode"])]
    account_names = np.asarray(pd.factorize(sub.positions["account"])[1])
    records = []
    for move in moves:
        factor = np.where(only, max(1.0 + move, 1e-12), 1.0)
        state = state_at(rows, rows.mark * factor, 1.0 + move if position is None else 1.0)
        iso_open = rows.isolated & state.iso_alive
        iso_balance = rows.margin + state.pnl
        iso_left = rows.total(np.where(iso_open, iso_balance - state.mm, 0.0))
        iso_mm = rows.total(np.where(iso_open, state.mm, 0.0))
        has_cross = rows.total((~rows.isolated).astype(float)) > 0
        cross_open = has_cross & state.cross_alive
        cross_left = np.where(cross_open, state.cross_equity - state.cross_mm, 0.0)
        cross_mm = np.where(cross_open, state.cross_mm, 0.0)
        dead = np.where(rows.isolated, ~state.iso_alive, ~state.cross_alive[rows.codes])
        for asset in sorted(set(settlement)):
            acc = settlement == asset
            rows_in = acc[rows.codes]
            mm = float((iso_mm + cross_mm)[acc].sum())
            left = float((iso_left + cross_left)[acc].sum())
            lost = [labels[i] for i in np.flatnonzero(dead & rows_in & rows.isolated)]
            lost += [f"cross account {account_names[j]}" for j in np.flatnonzero(acc & has_cross & ~state.cross_alive)]
            records.append({
                "move_pct": float(round(move * 100, 10)) + 0.0,  # + 0.0: no -0
                "settlement_asset": asset,
                "equity": float(state.value_actual[acc].sum()),
                "margin_left": left,
                "maint_margin": mm,
                "margin_ratio": mm / (mm + left) if mm + left > 0 else np.nan,
                "deficit": float(state.deficit[acc].sum()),
                "positions_liquidated": int((dead & rows_in).sum()),
                "liquidated": "; ".join(lost[:20]) + (f"; and {len(lost) - 20} more" if len(lost) > 20 else ""),
            })
    return pd.DataFrame.from_records(records)
