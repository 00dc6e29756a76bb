"""Reading and checking a book: every problem named with its rows and columns, nothing computed on bad input."""

import pandas as pd
import pytest

from xlmargin.review import BookError, check_book, read_book, sample_book

GOOD = pd.DataFrame(
    {
        "account": ["a", "a", "b"],
        "symbol": ["BTCUSDT", "ETHUSDT", "BTCUSDT"],
        "contract": ["linear", "linear", "Linear"],
        "side": ["long", "Short", "long"],
        "size": ["0.1", "2", "0.5"],
        "entry_price": ["50000", "2500", "50000"],
        "mark_price": ["51000", "2400", "49000"],
        "margin_mode": ["cross", "isolated", "cross"],
        "isolated_margin": [None, "300", None],
        "tier_set": ["", "binance_usdm_ethusdt", ""],
    }
)
ACCOUNTS = pd.DataFrame({"account": ["a", "b"], "wallet_balance": ["1000", "500"], "settlement_asset": ["USDT", "USDT"]})


def problems(positions, accounts=ACCOUNTS, tiers=None):
    with pytest.raises(BookError) as info:
        check_book(positions, accounts, tiers)
    return info.value.problems


def test_a_good_book_is_cleaned():
    positions, accounts, tiers = check_book(GOOD, ACCOUNTS)
    assert positions["size"].tolist() == [0.1, 2.0, 0.5]
    assert positions["side"].tolist() == ["long", "short", "long"] and positions["contract"].tolist() == ["linear"] * 3
    assert list(tiers) == ["binance_usdm_ethusdt"]


def test_misspelled_and_missing_columns_are_named_with_a_hint():
    found = problems(GOOD.rename(columns={"entry_price": "entry_prce"}).drop(columns=["symbol"]))
    assert "Positions: missing column 'symbol'" in found
    assert "Positions: missing column 'entry_price' (is 'entry_prce' meant to be it?)" in found


def test_every_bad_value_is_listed_with_its_rows():
    bad = GOOD.copy()
    bad.loc[1, "size"] = "-2"
    bad.loc[2, "size"] = "abc"
    bad.loc[0, "side"] = "sideways"
    bad.loc[2, "contract"] = "perpetual"
    bad.loc[1, "isolated_margin"] = None
    found = problems(bad)
    assert "Positions: column 'size' is not a number in rows 4" in found
    assert "Positions: column 'size' must be > 0 in rows 3" in found
    assert "Positions: column 'side' must be long or short in rows 2" in found
    assert "Positions: column 'contract' must be linear or inverse in rows 4" in found


def test_isolated_positions_need_a_margin_and_accounts_a_balance():
    bad = GOOD.copy()
    bad.loc[1, "isolated_margin"] = None
    assert problems(bad) == ["Positions: isolated positions need 'isolated_margin' in rows 3"]
    found = problems(GOOD, ACCOUNTS.iloc[:1])
    assert found == ["Accounts: no wallet_balance for account(s) b (Positions rows 4)"]


def test_unknown_tier_set_and_mixed_contracts():
    bad = GOOD.copy()
    bad.loc[0, "tier_set"] = "my_tiers"
    bad.loc[1, "contract"] = "inverse"
    found = problems(bad)
    assert any(p.startswith("Positions: tier_set 'my_tiers' is neither in Tiers nor a shipped table") for p in found)
    assert any("account(s) a mix linear and inverse contracts" in p for p in found)


def test_an_unknown_tier_set_is_named_in_the_files_the_book_came_from():
    """A CSV book's message names its files, not the sheets of a workbook (found by tests/test_fuzz_entry_points.py)."""
    bad = GOOD.copy()
    bad.loc[0, "tier_set"] = "inf"
    with pytest.raises(BookError) as raised:
        check_book(bad, ACCOUNTS, names=("positions.csv", "accounts.csv", "tiers.csv"))
    assert "positions.csv: tier_set 'inf' is neither in tiers.csv nor a shipped table" in str(raised.value)


def test_tier_sets_from_the_tiers_table():
    tiers = pd.DataFrame({"tier_set": ["mine", "mine"], "notional_floor": [0, 1000], "notional_cap": [1000, None],
                          "max_leverage": [50, 20], "mmr": [0.01, 0.02], "maint_amount": [None, None]})
    positions = GOOD.assign(tier_set=["mine", "", ""])
    _, _, found = check_book(positions, ACCOUNTS, tiers)
    assert found["mine"].maint_amount.tolist() == [0.0, 10.0]


def test_wallet_balance_as_a_column_instead_of_an_accounts_file():
    positions = GOOD.assign(wallet_balance=["1000", "1000", "500"])
    _, accounts, _ = check_book(positions, None)
    assert accounts.set_index("account")["wallet_balance"].to_dict() == {"a": 1000.0, "b": 500.0}


def test_files(tmp_path):
    GOOD.to_csv(tmp_path / "positions.csv", index=False)
    ACCOUNTS.to_csv(tmp_path / "accounts.csv", index=False)
    book = read_book(tmp_path / "positions.csv", tmp_path / "accounts.csv")
    assert len(book.positions) == 3 and book.source == "positions.csv" and len(book.sha256) == 64
    GOOD.to_parquet(tmp_path / "positions.parquet")
    assert len(read_book(tmp_path / "positions.parquet", tmp_path / "accounts.csv").positions) == 3
    with pytest.raises(BookError, match="positions.txt: a book is an .xlsx"):
        (tmp_path / "positions.txt").write_text("x")
        read_book(tmp_path / "positions.txt")
    with pytest.raises(BookError, match="no accounts given"):
        read_book(tmp_path / "positions.csv")


def test_the_sample_book_is_valid():
    book = sample_book()
    assert set(book.accounts["settlement_asset"]) == {"USDT", "BTC"}
    assert len(book.positions) >= 10
