"""The command line.

Each command is run once as a user runs it, ``python -m xlmargin ...`` in a new interpreter:
the smoke tests below, whose runs start together in the background (``STARTED``). Every other
case runs in this process through the same click group (the ``cli`` fixture), so the one-line
messages and exit statuses are those of the console script without a new interpreter each time.
"""

import contextlib
import sys

import numpy as np
import pandas as pd
import pytest

from xlmargin.core.examples import WORKED_EXAMPLES
from xlmargin.workbooks.engine import template_path
from xlmargin.workbooks.templates import TEMPLATES


def one_line_error(result, start):
    """The failure a user sees: exit status 2 and one line on stderr, never a traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(start), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def write_sample_book(folder, edit=lambda positions: positions):
    """The sample book as CSV files in ``folder``: the positions (``edit`` applied) and accounts files."""
    from xlmargin.review import sample_book

    book = sample_book()
    edit(book.positions).to_csv(folder / "positions.csv", index=False)
    book.accounts.to_csv(folder / "accounts.csv", index=False)
    return folder / "positions.csv", folder / "accounts.csv"


# ---------------------------------------------------------------- one real run of each command
def xlmargin(*args):
    return [sys.executable, "-m", "xlmargin", *args]


def report_a_csv_book(positions, accounts, out):
    return xlmargin("report", positions, "--accounts", accounts, "--format", "html", "--format", "xlsx", "--out", out)


STARTED = {  # the real runs, all started together when the first of their tests needs one (conftest.py)
    "demo": lambda folder: xlmargin("demo", "--out", folder / "demo"),
    "report": lambda folder: report_a_csv_book(*write_sample_book(folder), folder / "out"),
    "tiers": lambda folder: xlmargin("tiers"),
    "excel setup": lambda folder: xlmargin("excel", "setup", "lite"),
    "excel reference": lambda folder: xlmargin("excel", "reference"),
    "templates": lambda folder: xlmargin("templates", "--out", folder / "built"),
    "recalc": lambda folder: xlmargin("recalc", template_path(TEMPLATES["W1"]().file)),
}


@pytest.mark.started("demo")
def test_demo_recalculates_the_examples_and_reviews_the_sample_book(started, cli):
    out = started.folder / "demo"
    result = started.result()
    assert result.returncode == 0, result.stderr
    for key in WORKED_EXAMPLES:
        assert f"  {key} ok " in result.stdout
    assert "MAX_SIZE 0.2" in result.stdout  # W1
    assert "two-longs" in result.stdout and "coin-m" in result.stdout  # the summary table
    assert {p.name for p in out.iterdir()} >= {"sample_risk_report.html", "sample_risk_report.xlsx"}
    again = cli("demo", "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


@pytest.mark.started("report")
def test_report_on_a_csv_book(started, tmp_path):
    out = started.folder / "out"
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert (out / "risk_report.html").exists() and (out / "risk_report.xlsx").exists()
    assert f"wrote {out / 'risk_report.html'}" in result.stdout
    positions, _ = write_sample_book(tmp_path)  # the same book, written afresh
    assert (started.folder / "positions.csv").read_bytes() == positions.read_bytes()


@pytest.mark.started("tiers")
def test_tiers_lists_the_shipped_tables(started):
    listing = started.result()
    assert listing.returncode == 0, listing.stderr
    assert "binance_usdm_btcusdt" in listing.stdout


@pytest.mark.started("excel setup")
def test_excel_setup_prints_the_runtime_steps(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("xlwings Lite") and "--- main.py" in result.stdout


@pytest.mark.started("excel reference")
def test_excel_reference_prints_the_function_reference(started):
    from xlmargin.excel.runtimes import reference_markdown

    result = started.result()
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference_markdown()


@pytest.mark.started("templates")
def test_templates_builds_every_workbook(started):
    built = started.folder / "built"
    result = started.result()
    assert result.returncode == 0, result.stderr
    names = [f"{make().file}.xlsx" for make in TEMPLATES.values()] + ["risk_review.xlsx"]
    assert result.stdout.splitlines() == [f"wrote {built / name}" for name in names]
    assert sorted(p.name for p in built.iterdir()) == sorted(names)
    for name in names:  # the workbooks the repository ships
        assert (built / name).read_bytes() == template_path(name[: -len(".xlsx")]).read_bytes(), name


@pytest.mark.started("recalc")
def test_recalc_prints_the_named_values(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert any(line.split() == ["MAX_SIZE", "0.2"] for line in result.stdout.splitlines()), result.stdout


# ---------------------------------------------------------------- in this process
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
def test_report_bad_input_names_rows_and_columns_and_writes_nothing(tmp_path, cli, edit, message):
    positions, accounts = write_sample_book(tmp_path, edit)
    result = cli("report", str(positions), "--accounts", str(accounts), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_tiers_shows_a_table(cli):
    shown = cli("tiers", "binance_coinm_btcusd_perp")
    assert shown.returncode == 0 and "# notional_unit: BTC" in shown.stdout and "11.605" in shown.stdout


@pytest.mark.parametrize("args", [("tiers", "nope")])
def test_errors_are_one_line_and_non_zero(cli, args):
    one_line_error(cli(*args), "xlmargin: bad input: tiers 'nope' is not a shipped table")


def test_report_on_a_parquet_folder_is_reviewed_on_dask(tmp_path, cli, dask_client, monkeypatch):
    """The folder path of ``report``, on the run's one cluster instead of a new one (see below)."""
    import dask.distributed

    from xlmargin.review import sample_book
    from xlmargin.review import evaluate

    # The command starts its own LocalCluster and cannot be given one; lend it the shared cluster.
    monkeypatch.setattr(dask.distributed, "LocalCluster", lambda **options: contextlib.nullcontext(dask_client.cluster))
    book = sample_book()
    folder = tmp_path / "positions"
    folder.mkdir()
    for i in range(2):
        book.positions.iloc[i::2].to_parquet(folder / f"part-{i}.parquet", index=False)
    book.accounts.to_csv(tmp_path / "accounts.csv", index=False)
    result = cli("report", str(folder), "--accounts", str(tmp_path / "accounts.csv"), "--format", "xlsx", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {tmp_path / 'out' / 'risk_report.xlsx'}\n"
    sheets = pd.read_excel(tmp_path / "out" / "risk_report.xlsx", sheet_name=None)  # "Accounts USDT", "Accounts BTC"
    got = pd.concat([s for name, s in sheets.items() if name.startswith("Accounts ")]).set_index("Account").sort_index()
    expected = evaluate(book).accounts.set_index("account").sort_index()
    assert got.index.tolist() == expected.index.tolist()
    cross_mm = got.filter(like="Cross MM [").max(axis=1)  # one settlement asset per account: one column is filled
    np.testing.assert_allclose(cross_mm, expected["cross_maint_margin"], rtol=1e-6)  # as shown: 6 significant digits
    one_line_error(cli("report", str(folder), "--out", str(tmp_path / "other")), "xlmargin: bad input: a Parquet folder needs --accounts")
