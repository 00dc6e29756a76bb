"""Reading a book: a filled risk_review.xlsx, CSV or Parquet files, the built-in sample, a synthetic book.

The files are only read, never written; text cells are taken as text, never as
formulas. Excel files are read with openpyxl and Parquet with pyarrow, each
imported by pandas only when such a file is read.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.tiers import TierTable
from ..errors import require_extra
from .book import POSITION_COLUMNS, Book, BookError
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
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        missing = [s for s in ("Positions", "Accounts") if s not in sheets]
        if missing:
            raise BookError([f"{path.name}: missing sheet(s) {', '.join(missing)} (use the risk_review.xlsx layout)"])
        keep = [c for c in sheets["Positions"].columns if c in POSITION_COLUMNS + ("leverage", "rules")] or list(
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
    if not path.is_file():
        raise BookError([f"{path}: no such file"])
    if path.suffix.lower() == ".parquet":
        require_extra("reading Parquet", "parquet", ("pyarrow",))
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
