"""The command line, run as a user runs it (a real subprocess)."""

import subprocess
import sys

import pytest

from xlmargin.core.examples import WORKED_EXAMPLES


def run(*args):
    return subprocess.run([sys.executable, "-m", "xlmargin", *args], capture_output=True, text=True)


def test_demo_recalculates_the_examples_and_reviews_the_sample_book(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for key in WORKED_EXAMPLES:
        assert f"  {key} ok " in result.stdout
    assert "MAX_SIZE 0.2" in result.stdout  # W1
    assert "two-longs" in result.stdout and "coin-m" in result.stdout  # the summary table
    assert {p.name for p in out.iterdir()} >= {"sample_risk_report.html", "sample_risk_report.xlsx"}
    again = run("demo", "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_report_on_a_csv_book(tmp_path):
    from xlmargin.review import sample_book

    book = sample_book()
    book.positions.to_csv(tmp_path / "positions.csv", index=False)
    book.accounts.to_csv(tmp_path / "accounts.csv", index=False)
    before = (tmp_path / "positions.csv").read_bytes()
    result = run("report", str(tmp_path / "positions.csv"), "--accounts", str(tmp_path / "accounts.csv"),
                 "--format", "html", "--format", "xlsx", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "risk_report.html").exists() and (tmp_path / "out" / "risk_report.xlsx").exists()
    assert (tmp_path / "positions.csv").read_bytes() == before


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p.rename(columns={"entry_price": "entry"}), "missing column 'entry_price' (is 'entry' meant to be it?)"),
        (lambda p: p.assign(size=p["size"].where(p.index != 2, -1)), "column 'size' must be > 0 in rows 4"),
        (lambda p: p.assign(side=p["side"].where(p.index != 0, "up")), "column 'side' must be long or short in rows 2"),
        (lambda p: p.assign(contract=p["contract"].where(p.index != 1, "perp")), "column 'contract' must be linear or inverse"),
        (lambda p: p.assign(size=p["size"].astype(object).where(p.index != 3, "abc")), "column 'size' is not a number in rows 5"),
        (lambda p: p.assign(account=p["account"].where(p.index != 0, "ghost")), "no wallet_balance for account(s) ghost"),
    ],
)
def test_report_bad_input_names_rows_and_columns_and_writes_nothing(tmp_path, edit, message):
    from xlmargin.review import sample_book

    book = sample_book()
    edit(book.positions).to_csv(tmp_path / "positions.csv", index=False)
    book.accounts.to_csv(tmp_path / "accounts.csv", index=False)
    result = run("report", str(tmp_path / "positions.csv"), "--accounts", str(tmp_path / "accounts.csv"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_tiers_lists_and_shows_tables():
    listing = run("tiers")
    assert listing.returncode == 0 and "binance_usdm_btcusdt" in listing.stdout
    shown = run("tiers", "binance_coinm_btcusd_perp")
    assert shown.returncode == 0 and "# notional_unit: BTC" in shown.stdout and "11.605" in shown.stdout


@pytest.mark.parametrize("args", [("tiers", "nope")])
def test_errors_are_one_line_and_non_zero(args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: tiers 'nope' is not a shipped table")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
