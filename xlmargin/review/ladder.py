"""A price-shock ladder: a book, an account or one position, step by step from a move to zero up to a multiple."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core import inputs as inp
from ..core import rules as exchange_rules
from ..core.formulas import DEFAULT_MMR
from ..core.schedules import SizeScaledRate
from ..core.tiers import TierTable
from ..errors import InputError
from .book import Book, BookError
from .checking import check_book
from .state import _rows, state_at


def _one(name: str, value: Any) -> float:
    """One finite number (a step, a multiple), not a column."""
    values = inp.finite(name, value)
    if values.size != 1:
        raise InputError(name, f"must be one number, not {values.size} values")
    return float(values.ravel()[0])


def ladder_moves(step: float = 0.05, up_to: float = 2.0) -> np.ndarray:
    """The moves of a ladder [decimal]: -100 % (price zero) to ``up_to - 1`` every ``step``, with 0 exactly."""
    step, up_to = _one("step", step), _one("up_to", up_to)
    if not (0 < step <= 1):
        raise InputError("step", f"must be in (0, 1] (a decimal: 0.05 is 5 %), not {step:g}")
    if not up_to >= 1:
        raise InputError("up_to", f"is a multiple of the mark price and must be at least 1, not {up_to:g}")
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


def book_of_columns(wallet_balance: Any, side: Any, size: Any, entry_price: Any, mark_price: Any, margin_mode: Any = "cross",
                    margin: Any = 0.0, mmr: Any = DEFAULT_MMR, maint_amount: Any = 0.0, contract: Any = "linear",
                    account: Any = None, rules: Any = "binance") -> Book:
    """A book from columns of positions, as the core's cross functions take them (one value per position or one for all).

    ``wallet_balance`` [settlement asset] is each account's (isolated margins
    included, as a book's), the same on every row of an account; ``margin_mode``
    is ``isolated`` or ``cross``; ``margin`` [settlement asset] the isolated
    margin (ignored in cross); ``mmr`` a rate [decimal] per position (with its
    ``maint_amount``), a tier table or a shipped table's name; ``account``
    labels (None: one account). The other arguments are the core's. Positions
    are named ``#1``, ``#2``... in their order. Bad input is an
    :class:`~xlmargin.errors.InputError` naming the argument and row.
    """
    table = fm.tiers_of(mmr, maint_amount)
    if isinstance(table, SizeScaledRate):
        raise InputError("mmr", "a size-scaled schedule cannot be laddered here; give a rate or a tier table")
    columns = dict(wallet_balance=wallet_balance, side=side, size=size, entry_price=entry_price, mark_price=mark_price,
                   margin_mode=margin_mode, margin=margin, contract=contract, rules=rules, **fm.rate_args(mmr, maint_amount))
    if account is not None:
        columns["account"] = account
    shape, _ = inp.shape_and_wrapper(columns)
    if len(shape) > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
    n = shape[0] if shape else 1
    s, q, e, inverse = fm.position_args(side, size, entry_price, contract)
    mode = np.char.lower(np.char.strip(np.asarray(margin_mode, dtype=str)))
    unknown = ~np.isin(mode, ["isolated", "cross"])
    if unknown.any():
        raise InputError("margin_mode", "must be isolated or cross", int(np.argmax(unknown.ravel())) + 1 if unknown.ndim else None)
    exchange_rules.flags(rules)  # an unknown rule set is named here, with its row
    one = lambda values: np.broadcast_to(values, (n,)).copy()
    positions = pd.DataFrame({
        "account": one(np.asarray("account" if account is None else account, dtype=object)),
        "symbol": [f"#{i + 1}" for i in range(n)],
        "contract": one(np.where(inverse, "inverse", "linear")), "side": one(np.where(s > 0, "long", "short")),
        "size": one(q), "entry_price": one(e), "mark_price": one(inp.positive("mark_price", mark_price)),
        "margin_mode": one(mode), "isolated_margin": one(inp.non_negative("margin", margin)),
        "tier_set": "", "rules": one(np.asarray(rules, dtype=object)),
    })
    empty = positions["account"].isna() | (positions["account"].astype(str).str.strip() == "")
    if empty.any():
        raise InputError("account", "is empty", int(np.argmax(empty)) + 1)
    wallet = pd.Series(one(inp.finite("wallet_balance", wallet_balance)))
    for name, values in (("wallet_balance", wallet), ("contract", positions["contract"])):
        differs = values != values.groupby(positions["account"]).transform("first")
        if differs.any():
            raise InputError(name, "must be the same for every position of an account (cross margin shares it)",
                             int(np.argmax(differs)) + 1)
    accounts = pd.DataFrame({"account": positions["account"], "wallet_balance": wallet}).drop_duplicates("account")
    try:
        positions, accounts, _ = check_book(positions, accounts, names=("positions", "accounts", "tiers"), offset=1)
    except BookError as exc:  # a backstop: the checks above name what a cell can get wrong
        raise InputError("arguments", "; ".join(exc.problems)) from None
    tiers = _tier_sets(positions, table, mmr, maint_amount, n)
    return Book(positions, accounts, tiers, source="columns")


def _tier_sets(positions: pd.DataFrame, table: Any, mmr: Any, maint_amount: Any, n: int) -> dict[str, TierTable]:
    """Name each position's tier set in ``positions``: the table given, or a one-tier table per flat rate and amount."""
    if table is not None:
        positions["tier_set"] = "mmr"
        return {"mmr": table}
    rate = np.broadcast_to(inp.rate("mmr", mmr), (n,))
    amount = np.broadcast_to(inp.non_negative("maint_amount", maint_amount), (n,))
    tiers = {}
    for r, a in set(zip(rate.tolist(), amount.tolist())) - {(DEFAULT_MMR, 0.0)}:  # the default needs no table
        name = f"mmr {r:g}, maint_amount {a:g}"
        # one tier; its max leverage (1 / (2 mmr), the review's assumption) plays no part in a ladder
        tiers[name] = TierTable([0.0], [np.inf], [1 / (2 * r) if r > 0 else 1e6], [r], [a], meta={"name": name})
        positions.loc[(rate == r) & (amount == a), "tier_set"] = name
    return tiers
