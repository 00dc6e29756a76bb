"""A price-shock ladder: a book, an account or one position, step by step from a move to zero up to a multiple."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..core import formulas as fm
from ..core import inputs as inp
from ..core import rules as exchange_rules
from ..core.formulas import DEFAULT_MMR
from ..core.schedules import SizeScaledRate
from ..core.tables import Table
from ..core.tiers import TierTable
from ..errors import InputError
from .book import Book
from .checking import EXCEL_ERRORS
from .state import Rows, _maint, _rows, leverage_used, state_at


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
    if position is None:
        only[:] = True
    names = pd.factorize(sub.positions["account"])[1]
    settlement = sub.accounts.set_index("account")["settlement_asset"].reindex(names).to_numpy()
    labels = [f"{acc} {sym} {side} ({mode})" for acc, sym, side, mode in
              zip(sub.positions["account"], sub.positions["symbol"], sub.positions["side"], sub.positions["margin_mode"])]
    return ladder_table(_rows(sub), moves, only, position is None, settlement, labels, np.asarray(names)).to_frame()


GRID = 1 << 16
"""At most this many position-moves priced in one :func:`~xlmargin.review.state.state_at` call."""


def ladder_table(rows: Rows, moves: np.ndarray, only: np.ndarray, every_price: bool, settlement: np.ndarray,
                 labels: list[str], account_names: np.ndarray) -> Table:
    """:func:`shock_ladder`'s table of a book as arrays: the moves priced a batch at a time, never a Python loop per move.

    ``only`` marks the rows whose price moves, ``every_price`` whether the
    collateral coins move too; ``settlement`` and ``account_names`` are per
    account of ``rows``, ``labels`` per row. A batch of moves is the book
    stacked that many times over (:func:`_stacked`), at most :data:`GRID`
    position-moves, so one small book costs one call of ``state_at``.
    """
    n, m = len(rows.q), len(moves)
    has_cross = rows.total((~rows.isolated).astype(float)) > 0
    assets = sorted(set(settlement))
    table = {name: np.empty((m, len(assets)), dtype=kind) for name, kind in LADDER_COLUMNS.items()}  # a row per move and asset
    table["move_pct"][:] = np.array([float(round(move * 100, 10)) + 0.0 for move in moves.tolist()])[:, None]  # + 0.0: no -0
    table["settlement_asset"][:] = assets
    table["liquidated"][:] = ""
    batch, lost_text = max(1, GRID // max(n, 1)), {}
    for first in range(0, m, batch):
        part = moves[first:first + batch]
        at = _priced(rows, part, only, every_price, has_cross)
        for j, asset in enumerate(assets):
            acc, here = settlement == asset, slice(first, first + len(part))
            rows_in = acc[rows.codes]
            mm, left = _sum(at["mm"], acc), _sum(at["left"], acc)
            with np.errstate(divide="ignore", invalid="ignore"):
                table["margin_ratio"][here, j] = np.where(mm + left > 0, mm / (mm + left), np.nan)
            table["equity"][here, j], table["deficit"][here, j] = _sum(at["value"], acc), _sum(at["deficit"], acc)
            table["margin_left"][here, j], table["maint_margin"][here, j] = left, mm
            table["positions_liquidated"][here, j] = (at["dead"] & rows_in).sum(axis=1)
            lost_rows, lost_accounts = at["dead"] & rows_in & rows.isolated, acc & has_cross & ~at["cross_alive"]
            for i in np.flatnonzero(lost_rows.any(axis=1) | lost_accounts.any(axis=1)):
                table["liquidated"][first + i, j] = _lost(lost_text, lost_rows[i], lost_accounts[i], labels, account_names)
    return Table({name: values.ravel() for name, values in table.items()}, one_row_per_position=False)  # rows are moves


LADDER_COLUMNS = {"move_pct": float, "settlement_asset": object, "equity": float, "margin_left": float, "maint_margin": float,
                  "margin_ratio": float, "deficit": float, "positions_liquidated": np.int64, "liquidated": object}


def _priced(rows: Rows, moves: np.ndarray, only: np.ndarray, every_price: bool, has_cross: np.ndarray) -> dict[str, np.ndarray]:
    """Per move (first axis) and account: what is kept, lost, left and maintained; per move and row: what is liquidated."""
    b, n, k = len(moves), len(rows.q), rows.n_accounts
    factor = np.where(only, np.maximum(1.0 + moves, 1e-12)[:, None], 1.0)
    stacked = _stacked(rows, b)
    state = state_at(stacked, (rows.mark * factor).ravel(), np.repeat(1.0 + moves, k) if every_price else 1.0)
    per_account = lambda values: values.reshape(b, k)
    iso_open = stacked.isolated & state.iso_alive
    iso_balance = stacked.margin + state.pnl
    iso_left = per_account(stacked.total(np.where(iso_open, iso_balance - state.mm, 0.0)))
    iso_mm = per_account(stacked.total(np.where(iso_open, state.mm, 0.0)))
    cross_alive, cross_equity, cross_mm = (per_account(v) for v in (state.cross_alive, state.cross_equity, state.cross_mm))
    cross_open = has_cross & cross_alive
    return {"left": iso_left + np.where(cross_open, cross_equity - cross_mm, 0.0),
            "mm": iso_mm + np.where(cross_open, cross_mm, 0.0),
            "dead": np.where(rows.isolated, ~state.iso_alive.reshape(b, n), ~cross_alive[:, rows.codes]),
            "value": per_account(state.value_actual), "deficit": per_account(state.deficit), "cross_alive": cross_alive}


def _sum(values: np.ndarray, accounts: np.ndarray) -> np.ndarray:
    """Per move, the sum over ``accounts``: each move's values contiguous, so numpy adds them as it adds one move's alone."""
    return np.ascontiguousarray(values[:, accounts]).sum(axis=1)


def _lost(cache: dict[bytes, str], rows: np.ndarray, accounts: np.ndarray, labels: list[str], account_names: np.ndarray) -> str:
    """What is lost at one move: its isolated positions' labels and its cross accounts, the first 20 named."""
    key = rows.tobytes() + accounts.tobytes()
    if key not in cache:
        lost = [labels[i] for i in np.flatnonzero(rows)] + [f"cross account {account_names[j]}" for j in np.flatnonzero(accounts)]
        cache[key] = "; ".join(lost[:20]) + (f"; and {len(lost) - 20} more" if len(lost) > 20 else "")
    return cache[key]


def _stacked(rows: Rows, copies: int) -> Rows:
    """``rows`` ``copies`` times over, each copy its own accounts: one ``state_at`` call prices every copy at its own marks.

    Each per-row and per-account array repeats; the accounts of copy ``c`` are
    numbered from ``c`` times the number of accounts, so every total
    (:meth:`Rows.total`) adds the same values in the same order as one copy alone.
    """
    if copies == 1:
        return rows
    n, k = len(rows.q), rows.n_accounts
    again = {length: np.tile(np.arange(length), copies) for length in (n, k)}  # the rows, and the accounts, over again
    fields = {}
    for f in dataclasses.fields(rows):
        value = getattr(rows, f.name)
        if f.name == "codes":
            value = (value + k * np.arange(copies)[:, None]).ravel()
        elif f.name == "groups":
            value = [((index + n * np.arange(copies)[:, None]).ravel(), table) for index, table in value]
        elif isinstance(value, exchange_rules.Flags):
            value = exchange_rules.Flags(*(np.broadcast_to(getattr(value, g.name), (n,))[again[n]] for g in dataclasses.fields(value)))
        elif isinstance(value, np.ndarray) and value.ndim == 1 and len(value) in again:
            value = value[again[len(value)]]
        elif f.name == "labels" and value is not None:  # each copy's accounts keep their names
            value = np.asarray(value, dtype=object)[again[k]]
        elif value is not None:
            raise TypeError(f"cannot stack the field {f.name!r} of Rows")  # a new field: say how it repeats
        fields[f.name] = value
    return Rows(**fields)


def columns_ladder(wallet_balance: Any, side: Any, size: Any, entry_price: Any, mark_price: Any, margin_mode: Any = "cross",
                   margin: Any = 0.0, mmr: Any = DEFAULT_MMR, maint_amount: Any = 0.0, contract: Any = "linear",
                   account: Any = None, rules: Any = "binance", position: Any = None, step: float = 0.05,
                   up_to: float = 2.0) -> Table:
    """:func:`shock_ladder`'s table of a book given as columns, as the core's cross functions take them (one value per position or one for all).

    ``wallet_balance`` [settlement asset] is each account's (isolated margins
    included, as a book's), the same on every row of an account; ``margin_mode``
    is ``isolated`` or ``cross``; ``margin`` [settlement asset] the isolated
    margin (ignored in cross); ``mmr`` a rate [decimal] per position (with its
    ``maint_amount``), a tier table or a shipped table's name; ``account``
    labels (None: one account); ``position`` the one position whose price moves,
    counting from 1. The other arguments are the core's. Positions are named
    ``#1``, ``#2``... in their order; the table (a :class:`~xlmargin.core.tables.Table`) is
    the one :func:`shock_ladder` gives for the same book, figure for figure. Bad input is an
    :class:`~xlmargin.errors.InputError` naming the argument and row.

    The columns are checked here, once, and made into the review's arrays
    directly (:func:`_rows_of_columns`), without the tables of a book: a sheet's
    one-cell ladder costs about as much as xlwings' own call.
    """
    columns, tiers = _checked_columns(wallet_balance, side, size, entry_price, mark_price, margin_mode, margin, mmr,
                                      maint_amount, contract, account, rules)
    n = len(columns["account"])
    only = np.ones(n, dtype=bool)
    if position is not None:
        k = inp.positive("position", position).ravel()
        if k.size != 1 or k[0] != int(k[0]) or not 1 <= k[0] <= n:
            raise InputError("position", f"must be one whole number between 1 and the number of positions ({n})")
        mine = columns["account"] == columns["account"][int(k[0]) - 1]
        only = (np.arange(n) == int(k[0]) - 1)[mine]
        columns = {name: values[mine] for name, values in columns.items()}
    moves = ladder_moves(step, up_to)
    rows, names, settlement = _rows_of_columns(columns, tiers)
    labels = [f"{acc} #{i + 1} {'long' if s > 0 else 'short'} ({mode})"
              for acc, i, s, mode in zip(columns["account"], columns["row"], rows.s, columns["margin_mode"])]
    return ladder_table(rows, moves, only, position is None, settlement, labels, names)


def _checked_columns(wallet_balance, side, size, entry_price, mark_price, margin_mode, margin, mmr, maint_amount, contract,
                     account, rules) -> tuple[dict[str, np.ndarray], dict[str, TierTable]]:
    """The columns checked, one value per position, and the tier tables they name (see :func:`columns_ladder`)."""
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
    mode = _margin_modes(margin_mode)
    flags = exchange_rules.flags(rules)  # an unknown rule set is named here, with its row
    one = lambda values: np.full(n, values)  # a copy of its own, one value per position
    out = {"row": np.arange(n), "s": one(s), "q": one(q), "entry": one(e), "inverse": one(inverse),
           "mark": one(inp.positive("mark_price", mark_price)), "margin_mode": one(mode),
           "margin": one(inp.non_negative("margin", margin)), "account": _account_labels(account, n)}
    out["wallet"] = one(inp.finite("wallet_balance", wallet_balance))
    codes, first = _first_rows(out["account"])
    for name, values in (("wallet_balance", out["wallet"]), ("contract", out["inverse"])):
        differs = values != values[first][codes]
        if differs.any():
            raise InputError(name, "must be the same for every position of an account (cross margin shares it)",
                             int(np.argmax(differs)) + 1)
    out.update({f"rules {g.name}": one(getattr(flags, g.name)) for g in dataclasses.fields(flags)})
    out["tier_set"], tiers = _tier_sets(table, mmr, maint_amount, n)
    return out, tiers


def _account_labels(account: Any, n: int) -> np.ndarray:
    """Each position's account label as text, trimmed (one account, ``account``, when none is given); an empty one is named."""
    if account is None:
        return np.full(n, "account", dtype=object)
    values = np.broadcast_to(np.asarray(account, dtype=object), (n,))
    labels = np.array(["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in values.tolist()],
                      dtype=object)
    for bad, reason in ((labels == "", "is empty"), (np.isin(labels, EXCEL_ERRORS), "holds an Excel error value")):
        if bad.any():
            raise InputError("account", reason, int(np.argmax(bad)) + 1)
    return labels


def _margin_modes(margin_mode: Any) -> np.ndarray:
    """``isolated`` or ``cross`` in any case and spacing, as an object array (0-d for one value for all); others are named."""
    words = np.asarray(margin_mode, dtype=object)
    mode = np.array([str(w).strip().lower() for w in words.ravel().tolist()], dtype=object).reshape(words.shape)
    unknown = (mode != "isolated") & (mode != "cross")
    if unknown.any():
        raise InputError("margin_mode", "must be isolated or cross", int(np.argmax(unknown.ravel())) + 1 if unknown.ndim else None)
    return mode


def _first_rows(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's account (numbered in order of first appearance, as pandas.factorize does) and the first row of each account."""
    seen: dict[Any, int] = {}
    codes = np.array([seen.setdefault(label, len(seen)) for label in labels.tolist()], dtype=np.intp)
    return codes, np.unique(codes, return_index=True)[1]


def _rows_of_columns(columns: dict[str, np.ndarray], tiers: dict[str, TierTable]) -> tuple[Rows, np.ndarray, np.ndarray]:
    """The review's arrays (:class:`~xlmargin.review.state.Rows`) of checked columns; the accounts' labels and settlement assets.

    Field for field what :func:`~xlmargin.review.state._rows` makes of the book
    of these columns (no funding, no collateral, no leverage column: the
    review's defaults); tests/test_excel_ladder.py checks that they agree.
    """
    codes, first = _first_rows(columns["account"])
    n, isolated = len(codes), columns["margin_mode"] == "isolated"
    funding = np.zeros(n)
    margin = np.where(isolated, columns["margin"] + funding, 0.0)
    groups = [(np.flatnonzero(columns["tier_set"] == name), tiers.get(name) if name else None)
              for name in sorted(set(columns["tier_set"]))]
    flags = exchange_rules.Flags(*(columns[f"rules {g.name}"] for g in dataclasses.fields(exchange_rules.Flags)))
    q, entry, inverse = columns["q"], columns["entry"], columns["inverse"]
    rows = Rows(columns["s"], q, entry, columns["mark"], inverse, isolated, margin, margin.copy(), codes,
                columns["wallet"][first], flags, np.zeros(n), groups, funding=funding,
                asset=np.array([f"#{i + 1}" for i in columns["row"]], dtype=object),
                labels=np.asarray(columns["account"][first], dtype=object))
    k = len(first)
    rows.coll_amount, rows.coll_price, rows.coll_asset = np.zeros(k), np.ones(k), np.full(k, "", dtype=object)
    rows.leverage, rows.leverage_basis = leverage_used(rows, _NO_LEVERAGE_COLUMN)
    rows.own_margin = np.where(isolated, margin, fm.notional(q, entry, inverse) / rows.leverage)
    rows.mm_entry = _maint(rows, fm.notional(q, entry, inverse), valued_at_entry=False)
    settlement = np.where(inverse[first], "coin", "USDT").astype(object)  # as a book's accounts guess them
    return rows, rows.labels, settlement


_NO_LEVERAGE_COLUMN = pd.DataFrame()  # columns carry no leverage: the review assumes one (read only)


def _tier_sets(table: Any, mmr: Any, maint_amount: Any, n: int) -> tuple[np.ndarray, dict[str, TierTable]]:
    """Each position's tier set, and the tables by name: the table given, or a one-tier table per flat rate and amount."""
    if table is not None:
        return np.full(n, "mmr", dtype=object), {"mmr": table}
    rate = np.broadcast_to(inp.rate("mmr", mmr), (n,))
    amount = np.broadcast_to(inp.non_negative("maint_amount", maint_amount), (n,))
    names, tiers = np.full(n, "", dtype=object), {}
    for r, a in set(zip(rate.tolist(), amount.tolist())) - {(DEFAULT_MMR, 0.0)}:  # the default needs no table
        name = f"mmr {r:g}, maint_amount {a:g}"
        # one tier; its max leverage (1 / (2 mmr), the review's assumption) plays no part in a ladder
        tiers[name] = TierTable([0.0], [np.inf], [1 / (2 * r) if r > 0 else 1e6], [r], [a], meta={"name": name})
        names[(rate == r) & (amount == a)] = name
    return names, tiers
