"""Checking a book: every problem found at once, with its sheet or file, column and rows.

:func:`check_book` cleans the three tables (text trimmed and lower-cased where it
is a choice, numbers as floats, one wallet per account, tier tables by name) or
raises :class:`~xlmargin.review.book.BookError` listing everything wrong, before
anything is computed or written.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from ..core.rules import RULES
from ..core.tiers import TierTable
from ..errors import InputError
from .book import POSITION_COLUMNS, TIER_COLUMNS, BookError

EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA")


def _rows(mask: pd.Series, offset: int, limit: int = 8) -> str:
    """Row numbers as the user sees them: the table's index (its row as read) + ``offset`` (the first data row)."""
    rows = [str(int(i) + offset) for i in mask.index[mask.to_numpy(dtype=bool)]]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(rows[:limit]) + more


def text_isin(values: pd.Series, others: pd.Series) -> pd.Series:
    """``values.isin(others)`` for two text columns (account names): one hash set, ~20x pandas' own for pyarrow text.

    pandas' ``isin`` of pyarrow-backed text walks ``others`` in Python (about
    1 s for a million positions' accounts); pyarrow's ``is_in`` does it in C.
    A missing value is in ``others`` only if ``others`` holds one.
    """
    def arrow(column: pd.Series):
        dtype = column.dtype
        return column.array.__arrow_array__() if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" else None

    mine, theirs = arrow(values), arrow(others)
    if mine is None or theirs is None:
        return values.isin(others)
    import pyarrow.compute as pc  # pyarrow-backed text: pyarrow is there

    return pd.Series(pc.is_in(mine, value_set=theirs).to_numpy(), index=values.index, dtype=bool)


def _columns(frame: pd.DataFrame, required: tuple[str, ...], where: str, problems: list[str], optional=()) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip())
    twice = sorted({c for c in frame.columns[frame.columns.duplicated()] if c in required + tuple(optional)})
    if twice:
        problems.append(f"{where}: column(s) {', '.join(map(repr, twice))} appear more than once")
        return frame.loc[:, ~frame.columns.duplicated()]
    for column in required:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [c for c in frame.columns if c not in required], n=1)
            hint = f" (is '{close[0]}' meant to be it?)" if close else ""
            problems.append(f"{where}: missing column '{column}'{hint}")
    return frame


def _excel_errors(values: pd.Series, column: str, where: str, problems: list[str], offset: int) -> pd.Series:
    """Cells holding an Excel error value (``#N/A``, ``#VALUE!``, ...): reported as such, never as empty or text."""
    text = values.astype("string").str.strip().str.upper()
    error = text.isin(EXCEL_ERRORS).fillna(False).astype(bool)
    if error.any():
        codes = ", ".join(sorted(set(text[error])))
        problems.append(f"{where}: column '{column}' holds an Excel error value ({codes}) in rows {_rows(error, offset)}")
    return error


def _text(frame, column, where, problems, offset, allowed=None) -> None:
    values = frame[column].astype("string").str.strip()
    error = _excel_errors(values, column, where, problems, offset)
    empty = values.isna() | (values == "")
    values = values.mask(error, "")
    if allowed is None:
        if (empty & ~error).any():
            problems.append(f"{where}: column '{column}' is empty in rows {_rows(empty & ~error, offset)}")
        frame[column] = values
        return
    lowered = values.str.lower()
    bad = (~lowered.isin(allowed) | empty) & ~error
    if bad.any():
        problems.append(f"{where}: column '{column}' must be {' or '.join(allowed)} in rows {_rows(bad, offset)}")
    frame[column] = lowered


def _number(frame, column, where, problems, offset, minimum=None, allow_empty=False, strict=True) -> None:
    """A column of finite numbers; ``minimum`` with ``strict`` means ``> minimum``, else ``>= minimum``."""
    raw = frame[column]
    if raw.dtype == bool:
        problems.append(f"{where}: column '{column}' holds TRUE/FALSE, not numbers")
        return
    if pd.api.types.is_numeric_dtype(raw.dtype):  # already numbers (Parquet, a synthetic book): no text to parse
        values = raw.astype(float)
        empty = values.isna()
        not_number = pd.Series(False, index=raw.index)
    else:
        error = _excel_errors(raw, column, where, problems, offset)
        text = raw.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").astype(float)
        empty = (raw.isna() | (text == "")).fillna(True).astype(bool)
        not_number = values.isna() & ~empty & ~error
    if not_number.any():
        problems.append(f"{where}: column '{column}' is not a number in rows {_rows(not_number, offset)}")
    infinite = np.isinf(values)
    if infinite.any():
        problems.append(f"{where}: column '{column}' must be a finite number in rows {_rows(infinite, offset)}")
    if empty.any() and not allow_empty:
        problems.append(f"{where}: column '{column}' is empty in rows {_rows(empty, offset)}")
    if minimum is not None:
        low = values.notna() & ~infinite & ((values <= minimum) if strict else (values < minimum))
        if low.any():
            problems.append(f"{where}: column '{column}' must be {'>' if strict else '>='} {minimum:g} in rows {_rows(low, offset)}")
    frame[column] = values.where(~infinite)


def check_book(
    positions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    tier_rows: pd.DataFrame | None = None,
    names: tuple[str, str, str] = ("Positions", "Accounts", "Tiers"),
    offset: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, TierTable]]:
    """Check and clean the three tables of a book; raise :class:`BookError` listing every problem.

    Parameters
    ----------
    positions, accounts, tier_rows : DataFrame
        The tables as read (see :mod:`xlmargin.review.book` for their columns);
        ``accounts`` may be None when ``positions`` has a ``wallet_balance``
        column, ``tier_rows`` None when only shipped tier tables are named.
    names : tuple of str
        How to name the three tables in messages (sheet or file names).
    offset : int
        Row number of the first data row as the user sees it (2 under a header
        row in a spreadsheet or CSV).

    Returns
    -------
    positions, accounts : DataFrame
        Cleaned copies; the inputs are not modified.
    tiers : dict of str to TierTable
        The tier tables the positions name.

    Raises
    ------
    BookError
        With every problem found, each naming its table, column and rows.
    """
    problems: list[str] = []
    pos_name, acc_name, tier_name = names
    positions = _columns(positions.copy(), POSITION_COLUMNS, pos_name, problems)
    if accounts is None:
        if problems:  # the accounts come from the positions' columns: those must be there first
            raise BookError(problems)
        accounts = _accounts_from_positions(positions, pos_name, problems)
    accounts = _columns(accounts.copy(), ("account", "wallet_balance"), acc_name, problems)
    if problems:
        raise BookError(problems)
    positions = positions.dropna(how="all")  # keep the index: messages name rows as read
    accounts = accounts.dropna(how="all")
    if positions.empty:
        raise BookError([f"{pos_name}: no positions"])
    _check_positions(positions, pos_name, problems, offset)
    accounts = _check_accounts(accounts, positions, names, problems, offset)
    tiers = _tier_tables(tier_rows, positions, (pos_name, tier_name), problems, offset)
    if problems:
        raise BookError(problems)
    return positions.reset_index(drop=True), accounts.reset_index(drop=True), tiers


def _accounts_from_positions(positions: pd.DataFrame, where: str, problems: list[str]) -> pd.DataFrame:
    """The accounts table of a positions file that carries each account's ``wallet_balance``."""
    if "wallet_balance" not in positions.columns:
        problems.append(f"{where}: no accounts given: add an accounts file or a 'wallet_balance' column")
        raise BookError(problems)
    accounts = positions.groupby("account", sort=False, dropna=False).agg(wallet_balance=("wallet_balance", "first")).reset_index()
    if "settlement_asset" in positions.columns:
        accounts["settlement_asset"] = positions.groupby("account", sort=False)["settlement_asset"].first().to_numpy()
    return accounts


def _check_positions(positions: pd.DataFrame, where: str, problems: list[str], offset: int) -> None:
    """Every column of the positions table, cleaned in place."""
    for column in ("account", "symbol"):
        _text(positions, column, where, problems, offset)
    _text(positions, "contract", where, problems, offset, ("linear", "inverse"))
    _text(positions, "side", where, problems, offset, ("long", "short"))
    _text(positions, "margin_mode", where, problems, offset, ("isolated", "cross"))
    for column in ("size", "entry_price", "mark_price"):
        _number(positions, column, where, problems, offset, minimum=0)
    _number(positions, "isolated_margin", where, problems, offset, minimum=0, allow_empty=True, strict=False)
    if "leverage" in positions.columns:
        _number(positions, "leverage", where, problems, offset, minimum=0, allow_empty=True)
    if "funding" in positions.columns:  # funding since the wallet balance was taken, received + / paid - [settlement asset]
        _number(positions, "funding", where, problems, offset, allow_empty=True)
        positions["funding"] = positions["funding"].fillna(0.0)
    _check_rates(positions, where, problems, offset)
    for column in ("mark_time", "mark_source"):  # where each mark price comes from (provenance)
        if column in positions.columns:
            positions[column] = positions[column].astype("string").str.strip().fillna("")
    if "rules" in positions.columns:  # the exchange rule set of each position (default binance)
        rules = positions["rules"].astype("string").str.strip().str.lower().fillna("")
        rules = rules.where(rules != "", "binance")
        unknown = ~rules.isin(list(RULES))
        if unknown.any():
            problems.append(f"{where}: column 'rules' must be one of {', '.join(RULES)} in rows {_rows(unknown, offset)}")
        positions["rules"] = rules
    tier_set = positions["tier_set"].astype("string").str.strip()
    positions["tier_set"] = tier_set.where(tier_set.notna() & (tier_set != ""), "")
    if not problems:
        no_margin = (positions["margin_mode"] == "isolated") & positions["isolated_margin"].isna()
        if no_margin.any():
            problems.append(f"{where}: isolated positions need 'isolated_margin' in rows {_rows(no_margin, offset)}")
        positions["isolated_margin"] = positions["isolated_margin"].fillna(0.0)


def _check_rates(positions: pd.DataFrame, where: str, problems: list[str], offset: int) -> None:
    """Optional fee and funding rates of each position, left empty (NaN) where not given: the review says what it assumes.

    ``open_fee_rate`` and ``close_fee_rate`` [decimal, in [0, 1)], ``funding_rate`` per funding interval [decimal, any
    sign; positive: longs pay] and ``funding_interval_hours`` [h, > 0].
    """
    for column in ("open_fee_rate", "close_fee_rate"):
        if column in positions.columns:
            _number(positions, column, where, problems, offset, minimum=0, allow_empty=True, strict=False)
            high = positions[column] >= 1
            if high.any():
                problems.append(f"{where}: column '{column}' must be below 1 (a decimal: 0.0005 is 0.05 %) in rows "
                                f"{_rows(high, offset)}")
    if "funding_rate" in positions.columns:
        _number(positions, "funding_rate", where, problems, offset, allow_empty=True)
    if "funding_interval_hours" in positions.columns:
        _number(positions, "funding_interval_hours", where, problems, offset, minimum=0, allow_empty=True)


def _check_accounts(accounts, positions, names, problems, offset) -> pd.DataFrame:
    """The accounts table cleaned, one row per account, and checked against the positions."""
    pos_name, acc_name, _ = names
    _text(accounts, "account", acc_name, problems, offset)
    _number(accounts, "wallet_balance", acc_name, problems, offset)
    if "settlement_asset" not in accounts.columns:
        accounts["settlement_asset"] = ""
    accounts["settlement_asset"] = accounts["settlement_asset"].astype("string").fillna("").str.strip()
    _check_collateral(accounts, positions, acc_name, problems, offset)
    if problems:
        return accounts
    duplicated = accounts["account"].duplicated(keep=False)
    conflicting = duplicated & accounts.groupby("account")["wallet_balance"].transform("nunique").gt(1)
    if conflicting.any():
        problems.append(f"{acc_name}: accounts with two different wallet balances in rows {_rows(conflicting, offset)}")
    accounts = accounts.drop_duplicates("account").reset_index(drop=True)
    unknown = ~text_isin(positions["account"], accounts["account"])
    if unknown.any():
        missing = sorted(positions.loc[unknown, "account"].unique())[:8]
        problems.append(f"{acc_name}: no wallet_balance for account(s) {', '.join(missing)} (Positions rows {_rows(unknown, offset)})")
    mixed = positions.groupby("account")["contract"].nunique().gt(1)
    if mixed.any():
        problems.append(f"{pos_name}: account(s) {', '.join(mixed[mixed].index[:8])} mix linear and inverse contracts "
                        "(a cross account has one settlement asset)")
    blank_asset = accounts["settlement_asset"] == ""
    if blank_asset.any():
        inverse = positions.groupby("account")["contract"].first().eq("inverse")
        guess = accounts["account"].map(lambda a: "coin" if inverse.get(a, False) else "USDT")
        accounts.loc[blank_asset, "settlement_asset"] = guess[blank_asset]
    return accounts


def _check_collateral(accounts, positions, where, problems, offset) -> None:
    """Optional collateral of each account: ``collateral`` [coin] of ``collateral_asset``, ``collateral_haircut``
    [decimal, in [0, 1)] and, for a coin the account does not trade, ``collateral_price`` [settlement asset]."""
    if "collateral" not in accounts.columns:
        for column in ("collateral_asset", "collateral_haircut", "collateral_price"):
            if column in accounts.columns:
                problems.append(f"{where}: column '{column}' needs a 'collateral' column (the amount)")
        return
    _number(accounts, "collateral", where, problems, offset, minimum=0, allow_empty=True, strict=False)
    accounts["collateral"] = accounts["collateral"].fillna(0.0) if not problems else accounts["collateral"]
    if "collateral_haircut" in accounts.columns:
        _number(accounts, "collateral_haircut", where, problems, offset, minimum=0, allow_empty=True, strict=False)
        high = accounts["collateral_haircut"] >= 1
        if high.any():
            problems.append(f"{where}: column 'collateral_haircut' must be below 1 (a decimal: 0.05 counts 95 %) in rows "
                            f"{_rows(high, offset)}")
    if "collateral_price" in accounts.columns:
        _number(accounts, "collateral_price", where, problems, offset, minimum=0, allow_empty=True)
    if "collateral_asset" in accounts.columns:
        coin = accounts["collateral_asset"].astype("string").fillna("").str.strip().str.upper()
        accounts["collateral_asset"] = coin
        if problems:
            return
        settles = accounts["settlement_asset"].str.upper()
        held = pd.to_numeric(accounts["collateral"], errors="coerce").fillna(0) > 0
        foreign = held & (coin != "") & (coin != settles)
        from .state import assets_of  # the same symbol-to-coin rule as the review

        traded = set(zip(positions["account"], assets_of(positions["symbol"]), positions["contract"]))
        has_price = (pd.to_numeric(accounts["collateral_price"], errors="coerce") > 0
                     if "collateral_price" in accounts.columns else pd.Series(False, index=accounts.index))
        mine = pd.Series([(a, c, "linear") in traded for a, c in zip(accounts["account"], coin)], index=accounts.index)
        reviewed = text_isin(accounts["account"], positions["account"])  # an account with no position here is not valued
        unpriced = foreign & ~mine & ~has_price & reviewed
        if unpriced.any():
            problems.append(f"{where}: collateral in a coin the account does not trade needs a 'collateral_price' in rows "
                            f"{_rows(unpriced, offset)}")


def _tier_tables(tier_rows, positions, names, problems, offset) -> dict[str, TierTable]:
    pos_name, where = names  # the positions' and the tier rows' names (sheets or files)
    tiers: dict[str, TierTable] = {}
    broken: set[str] = set()
    if tier_rows is not None and not tier_rows.dropna(how="all").empty:
        frame = _columns(tier_rows.copy(), TIER_COLUMNS[:5], where, problems).dropna(how="all")
        if "tier_set" in frame.columns:
            for name, rows in frame.groupby(frame["tier_set"].astype(str).str.strip(), sort=False):
                try:
                    tiers[name] = TierTable.from_frame(rows.reset_index(drop=True), meta={"name": name})
                except InputError as exc:
                    first = int(rows.index[0]) + offset
                    broken.add(name)
                    problems.append(f"{where}: tier set '{name}' (from row {first}): {exc}")
    used = set(positions["tier_set"].unique()) - {""} if "tier_set" in positions.columns else set()
    for name in sorted(used - set(tiers) - broken):
        if name in TierTable.available():
            tiers[name] = TierTable.load(name)
        else:
            rows = positions["tier_set"] == name
            problems.append(f"{pos_name}: tier_set '{name}' is neither in {where} nor a shipped table "
                            f"({', '.join(TierTable.available())}) in rows {_rows(rows, offset)}")
    return tiers
