"""A book of positions for a risk review: loading, checking, and the built-in sample.

A book is three tables (the layout of ``workbooks/risk_review.xlsx``):

* **positions**: account, symbol, contract, side, size, entry_price, mark_price,
  margin_mode, isolated_margin, tier_set (and optionally leverage, and rules: the
  exchange rule set of each position, binance by default);
* **accounts**: account, wallet_balance, settlement_asset;
* **tiers**: tier_set, notional_floor, notional_cap, max_leverage, mmr, maint_amount.

It is read from a filled ``risk_review.xlsx``, or from a CSV or Parquet positions
file with an accounts file or a ``wallet_balance`` column. Every problem in the
input is collected and reported at once (:class:`BookError`), naming the sheet or
file, the column and the rows, before anything is computed or written.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.rules import RULES
from ..core.tiers import TierTable
from ..errors import InputError, XlmarginError

POSITION_COLUMNS = (
    "account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin", "tier_set",
)
ACCOUNT_COLUMNS = ("account", "wallet_balance", "settlement_asset")
TIER_COLUMNS = ("tier_set", "notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount")


class BookError(XlmarginError, ValueError):
    """The book cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the book has {} problem{}:\n  - {}".format(len(problems), "s" * (len(problems) > 1), "\n  - ".join(problems)))


@dataclass
class Book:
    """A checked book: clean column types, one wallet per account, tier tables by name."""

    positions: pd.DataFrame
    accounts: pd.DataFrame
    tiers: dict[str, TierTable] = field(default_factory=dict)
    source: str = "built-in sample"
    sha256: str = ""

    @property
    def settlement_assets(self) -> list[str]:
        return sorted(self.accounts["settlement_asset"].unique())


def _rows(mask: pd.Series, offset: int, limit: int = 8) -> str:
    """Row numbers as the user sees them (``offset`` = number of the first data row)."""
    rows = [str(i + offset) for i in np.flatnonzero(mask.to_numpy())]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(rows[:limit]) + more


def _columns(frame: pd.DataFrame, required: tuple[str, ...], where: str, problems: list[str], optional=()) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip())
    for column in required:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [c for c in frame.columns if c not in required], n=1)
            hint = f" (is '{close[0]}' meant to be it?)" if close else ""
            problems.append(f"{where}: missing column '{column}'{hint}")
    return frame


def _text(frame, column, where, problems, offset, allowed=None) -> None:
    values = frame[column].astype("string").str.strip()
    empty = values.isna() | (values == "")
    if allowed is None:
        if empty.any():
            problems.append(f"{where}: column '{column}' is empty in rows {_rows(empty, offset)}")
        frame[column] = values
        return
    lowered = values.str.lower()
    bad = ~lowered.isin(allowed) | empty
    if bad.any():
        problems.append(f"{where}: column '{column}' must be {' or '.join(allowed)} in rows {_rows(bad, offset)}")
    frame[column] = lowered


def _number(frame, column, where, problems, offset, minimum=None, allow_empty=False) -> None:
    raw = frame[column]
    if raw.dtype == bool:
        problems.append(f"{where}: column '{column}' holds TRUE/FALSE, not numbers")
        return
    values = pd.to_numeric(raw, errors="coerce")
    empty = raw.isna() | (raw.astype("string").str.strip() == "")
    not_number = values.isna() & ~empty
    if not_number.any():
        problems.append(f"{where}: column '{column}' is not a number in rows {_rows(not_number, offset)}")
    if empty.any() and not allow_empty:
        problems.append(f"{where}: column '{column}' is empty in rows {_rows(empty, offset)}")
    if minimum is not None:
        low = values.notna() & ((values <= minimum) if minimum == 0 else (values < minimum))
        if low.any():
            problems.append(f"{where}: column '{column}' must be > {minimum} in rows {_rows(low, offset)}")
    frame[column] = values.astype(float)


def check_book(
    positions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    tier_rows: pd.DataFrame | None = None,
    names: tuple[str, str, str] = ("Positions", "Accounts", "Tiers"),
    offset: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, TierTable]]:
    """Check and clean the three tables; raise :class:`BookError` listing every problem.

    ``offset`` is the row number of the first data row as the user sees it (2
    under a header row in a spreadsheet or CSV).
    """
    problems: list[str] = []
    pos_name, acc_name, tier_name = names
    positions = _columns(positions.copy(), POSITION_COLUMNS, pos_name, problems)
    if accounts is None:
        if "wallet_balance" not in positions.columns:
            problems.append(f"{pos_name}: no accounts given: add an accounts file or a 'wallet_balance' column")
            raise BookError(problems)
        accounts = positions.groupby("account", sort=False, dropna=False).agg(wallet_balance=("wallet_balance", "first")).reset_index()
        if "settlement_asset" in positions.columns:
            accounts["settlement_asset"] = positions.groupby("account", sort=False)["settlement_asset"].first().to_numpy()
    accounts = _columns(accounts.copy(), ("account", "wallet_balance"), acc_name, problems)
    if problems:
        raise BookError(problems)
    positions = positions.dropna(how="all").reset_index(drop=True)
    accounts = accounts.dropna(how="all").reset_index(drop=True)
    if positions.empty:
        raise BookError([f"{pos_name}: no positions"])

    for column in ("account", "symbol"):
        _text(positions, column, pos_name, problems, offset)
    _text(positions, "contract", pos_name, problems, offset, ("linear", "inverse"))
    _text(positions, "side", pos_name, problems, offset, ("long", "short"))
    _text(positions, "margin_mode", pos_name, problems, offset, ("isolated", "cross"))
    for column in ("size", "entry_price", "mark_price"):
        _number(positions, column, pos_name, problems, offset, minimum=0)
    _number(positions, "isolated_margin", pos_name, problems, offset, minimum=-1e-300, allow_empty=True)
    if "leverage" in positions.columns:
        _number(positions, "leverage", pos_name, problems, offset, minimum=0, allow_empty=True)
    if "rules" in positions.columns:  # the exchange rule set of each position (default binance)
        rules = positions["rules"].astype("string").str.strip().str.lower().fillna("")
        rules = rules.where(rules != "", "binance")
        unknown = ~rules.isin(list(RULES))
        if unknown.any():
            problems.append(f"{pos_name}: column 'rules' must be one of {', '.join(RULES)} in rows {_rows(unknown, offset)}")
        positions["rules"] = rules
    tier_set = positions["tier_set"].astype("string").str.strip()
    positions["tier_set"] = tier_set.where(tier_set.notna() & (tier_set != ""), "")
    if not problems:
        no_margin = (positions["margin_mode"] == "isolated") & positions["isolated_margin"].isna()
        if no_margin.any():
            problems.append(f"{pos_name}: isolated positions need 'isolated_margin' in rows {_rows(no_margin, offset)}")
        positions["isolated_margin"] = positions["isolated_margin"].fillna(0.0)

    _text(accounts, "account", acc_name, problems, offset)
    _number(accounts, "wallet_balance", acc_name, problems, offset)
    if "settlement_asset" not in accounts.columns:
        accounts["settlement_asset"] = ""
    accounts["settlement_asset"] = accounts["settlement_asset"].astype("string").fillna("").str.strip()
    if not problems:
        duplicated = accounts["account"].duplicated(keep=False)
        conflicting = duplicated & accounts.groupby("account")["wallet_balance"].transform("nunique").gt(1)
        if conflicting.any():
            problems.append(f"{acc_name}: accounts with two different wallet balances in rows {_rows(conflicting, offset)}")
        accounts = accounts.drop_duplicates("account").reset_index(drop=True)
        unknown = ~positions["account"].isin(accounts["account"])
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

    tiers = _tier_tables(tier_rows, positions, tier_name, problems, offset)
    if problems:
        raise BookError(problems)
    return positions, accounts, tiers


def _tier_tables(tier_rows, positions, where, problems, offset) -> dict[str, TierTable]:
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
    used = set(positions.get("tier_set", pd.Series(dtype=str))) - {""}
    for name in sorted(used - set(tiers) - broken):
        if name in TierTable.available():
            tiers[name] = TierTable.load(name)
        else:
            rows = positions["tier_set"] == name
            problems.append(f"Positions: tier_set '{name}' is neither on the Tiers sheet nor a shipped table "
                            f"({', '.join(TierTable.available())}) in rows {_rows(rows, offset)}")
    return tiers


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_book(path: str | Path, accounts: str | Path | None = None, tiers: str | Path | None = None) -> Book:
    """Read a book from a filled ``risk_review.xlsx`` or a CSV/Parquet positions file.

    The files are only read. Text cells are taken as text, never as formulas.
    """
    path = Path(path)
    if not path.is_file():
        raise BookError([f"{path}: no such file"])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        missing = [s for s in ("Positions", "Accounts") if s not in sheets]
        if missing:
            raise BookError([f"{path.name}: missing sheet(s) {', '.join(missing)} (use the risk_review.xlsx layout)"])
        keep = [c for c in sheets["Positions"].columns if c in POSITION_COLUMNS + ("leverage", "rules")] or list(
            sheets["Positions"].columns)
        positions, account_table, tier_rows = sheets["Positions"][keep], sheets["Accounts"], sheets.get("Tiers")
        names = (f"{path.name}:Positions", f"{path.name}:Accounts", f"{path.name}:Tiers")
    elif suffix in (".csv", ".parquet"):
        positions = _read_table(path)
        account_table = _read_table(Path(accounts)) if accounts else None
        tier_rows = _read_table(Path(tiers)) if tiers else None
        names = (path.name, Path(accounts).name if accounts else path.name, Path(tiers).name if tiers else "tiers")
    else:
        raise BookError([f"{path.name}: a book is an .xlsx (risk_review layout), .csv or .parquet file"])
    p, a, t = check_book(positions, account_table, tier_rows, names)
    return Book(p, a, t, source=path.name, sha256=_sha256(path))


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise BookError([f"{path}: no such file"])
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def sample_book() -> Book:
    """The built-in sample book: a few accounts from the worked examples' world."""
    folder = resources.files("xlmargin.review").joinpath("data/sample")
    with folder.joinpath("positions.csv").open(encoding="utf-8") as p, folder.joinpath("accounts.csv").open(encoding="utf-8") as a:
        positions = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        accounts = pd.read_csv(a, dtype=str, keep_default_na=False, na_values=[""])
    positions, accounts, tiers = check_book(positions, accounts, None, ("sample positions.csv", "sample accounts.csv", "tiers"))
    return Book(positions, accounts, tiers, source="built-in sample (xlmargin/review/data/sample)")


def synthetic_book(n_positions: int, n_accounts: int, seed: int = 11) -> Book:
    """A large random book for benchmarks and scale tests (linear, USDT, shipped tiers)."""
    rng = np.random.default_rng(seed)
    symbols = np.array(["BTCUSDT", "ETHUSDT"])
    prices = np.array([50_000.0, 2_500.0])
    which = rng.integers(0, 2, n_positions)
    entry = prices[which] * rng.uniform(0.9, 1.1, n_positions)
    size = rng.lognormal(0.0, 1.0, n_positions) * (0.1 if True else 1) * np.where(which == 0, 1.0, 20.0)
    iso = rng.random(n_positions) < 0.4
    positions = pd.DataFrame({
        "account": np.char.add("acc", (rng.integers(0, n_accounts, n_positions)).astype(str)),
        "symbol": symbols[which],
        "contract": "linear",
        "side": np.where(rng.random(n_positions) < 0.6, "long", "short"),
        "size": size,
        "entry_price": entry,
        "mark_price": prices[which],
        "margin_mode": np.where(iso, "isolated", "cross"),
        "isolated_margin": np.where(iso, size * entry / rng.uniform(3, 50, n_positions), 0.0),
        "tier_set": np.array(["binance_usdm_btcusdt", "binance_usdm_ethusdt"])[which],
    })
    accounts = pd.DataFrame({"account": np.char.add("acc", np.arange(n_accounts).astype(str))})
    per_account = positions.assign(n=positions["size"] * positions["entry_price"]).groupby("account")["n"].sum()
    accounts["wallet_balance"] = accounts["account"].map(per_account).fillna(0.0).to_numpy() / 8 + 100.0
    accounts["settlement_asset"] = "USDT"
    tiers = {name: TierTable.load(name) for name in ("binance_usdm_btcusdt", "binance_usdm_ethusdt")}
    return Book(positions, accounts, tiers, source=f"synthetic book ({n_positions:,} positions, {n_accounts:,} accounts)")
