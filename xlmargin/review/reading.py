"""Reading a book: a filled risk_review.xlsx, CSV or Parquet files, the built-in sample, a synthetic book.

The files are only read, never written; text cells are taken as text, never as
formulas. Excel files are read with openpyxl and Parquet with pyarrow, each
imported by pandas only when such a file is read.
"""

from __future__ import annotations

import hashlib
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.tiers import TierTable
from ..errors import require_extra
from .book import OPTIONAL_POSITION_COLUMNS, POSITION_COLUMNS, Book, BookError
from .checking import check_book


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
        require_extra("reading a risk_review.xlsx", "report", ("openpyxl",))
        sheets = _read_xlsx(path)
        missing = [s for s in ("Positions", "Accounts") if s not in sheets]
        if missing:
            raise BookError([f"{path.name}: missing sheet(s) {', '.join(missing)} (use the risk_review.xlsx layout)"])
        keep = [c for c in sheets["Positions"].columns if c in POSITION_COLUMNS + OPTIONAL_POSITION_COLUMNS] or list(
            sheets["Positions"].columns)
        positions, account_table, tier_rows = sheets["Positions"][keep], sheets["Accounts"], sheets.get("Tiers")
        names = (f"{path.name}:Positions", f"{path.name}:Accounts", f"{path.name}:Tiers")
    elif suffix in (".csv", ".parquet"):
        positions = read_table(path)
        account_table = read_table(Path(accounts)) if accounts else None
        tier_rows = read_table(Path(tiers)) if tiers else None
        names = (path.name, Path(accounts).name if accounts else path.name, Path(tiers).name if tiers else "tiers")
    else:
        raise BookError([f"{path.name}: a book is an .xlsx (risk_review layout), .csv or .parquet file"])
    p, a, t = check_book(positions, account_table, tier_rows, names)
    return Book(p, a, t, source=path.name, sha256=_sha256(path))


def read_table(path: Path) -> pd.DataFrame:
    """One table from a CSV (UTF-8, every cell as text) or Parquet file; :class:`BookError` if it is neither."""
    if not path.is_file():
        raise BookError([f"{path}: no such file"])
    if path.suffix.lower() == ".parquet":
        require_extra("reading Parquet", "parquet", ("pyarrow",))
        try:
            return pd.read_parquet(path)
        except (ValueError, OSError, TypeError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise BookError([f"{path.name}: not a Parquet file ({_first_line(exc)})"]) from None
    return _read_csv(path)


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise BookError([f"{path.name}: row {row} is not UTF-8 text (byte {data[exc.start]:#04x}); "
                         "save the file as CSV UTF-8"]) from None
    if not text.strip():
        raise BookError([f"{path.name}: the file is empty (a CSV book needs a header row and rows)"])
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise BookError([f"{path.name}: not a CSV table ({_first_line(exc)})"]) from None


def _read_xlsx(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet as a table under its header row; Excel error cells kept as their text (``"#N/A"``)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            sheets = {sheet.title: list(sheet.values) for sheet in book.worksheets}
        finally:
            book.close()
    except Exception as exc:  # a zip that is not a workbook fails in many ways (BadZipFile, KeyError, XML errors)
        raise BookError([f"{path.name}: not an .xlsx workbook ({type(exc).__name__}: {_first_line(exc)})"]) from None
    frames = {}
    for title, rows in sheets.items():
        header = [("" if c is None else str(c)) for c in rows[0]] if rows else []
        width = len(header)
        body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
        frames[title] = pd.DataFrame(body, columns=header, dtype=object)
    return frames


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def check_parquet_folder(folder: Path) -> list[Path]:
    """The Parquet files of a book's folder; :class:`BookError` if there are none or one is not Parquet."""
    require_extra("reading Parquet", "parquet", ("pyarrow",))
    import pyarrow.parquet as pq

    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if not files:
        raise BookError([f"{folder}: no Parquet files in the folder"])
    for file in files:
        try:
            pq.read_schema(file)
        except (ValueError, OSError, TypeError) as exc:
            raise BookError([f"{file}: not a Parquet file ({_first_line(exc)})"]) from None
    return files


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
