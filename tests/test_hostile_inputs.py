"""Issue #11: hostile inputs give one line and the right exit status, never a traceback or a lost file."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from xlmargin.cli import main

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args):
    """The command line in-process, with the exit status and stderr the real command has."""
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart always
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


def one_line_error(result, code, *words):
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    first = result.stderr.splitlines()[0]
    kind = {1: "xlmargin: failed: ", 2: "xlmargin: bad input: "}[code]
    assert first.startswith(kind), first
    for word in words:
        assert word in first, (word, first)
    return first


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture()
def book(tmp_path):
    from xlmargin.review import sample_book

    sample = sample_book()
    sample.positions.to_csv(tmp_path / "positions.csv", index=False)
    sample.accounts.to_csv(tmp_path / "accounts.csv", index=False)
    return tmp_path / "positions.csv", tmp_path / "accounts.csv"


# -- item 1: the input and --out are safe ------------------------------------------------------------


def _xlsx_book(path):
    from xlmargin.review import sample_book

    sample = sample_book()
    with pd.ExcelWriter(path) as writer:
        sample.positions.to_excel(writer, sheet_name="Positions", index=False)
        sample.accounts.to_excel(writer, sheet_name="Accounts", index=False)
    return path


def test_report_never_writes_over_its_input_even_with_force(tmp_path, monkeypatch):
    source = _xlsx_book(tmp_path / "book.xlsx")
    before = sha(source)
    monkeypatch.chdir(tmp_path)  # the same file named two ways: relative --out, absolute source
    result = invoke("report", source, "--format", "html", "--format", "xlsx", "--out", ".", "--name", "book", "--force")
    one_line_error(result, 2, "book.xlsx", "is the input", "even with --force")
    assert sha(source) == before and sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


@pytest.mark.parametrize("name", ["../x", "", ".", "..", "a/b", " ", "sub\\x"])
def test_report_name_must_be_a_plain_file_stem(book, tmp_path, name):
    positions, accounts = book
    result = invoke("report", positions, "--accounts", accounts, "--out", tmp_path / "out", "--name", name)
    assert result.exit_code == 2 and "not a plain file name" in result.stderr
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "out").exists()


# -- item 2: unreadable files are one line naming the file -------------------------------------------


@pytest.mark.parametrize("file, content, words", [
    ("empty.csv", b"", ["empty.csv", "empty"]),
    ("garbage.csv", bytes(range(128, 256)) * 3, ["garbage.csv", "not UTF-8", "row 1"]),
    ("latin.csv", "account,wallet_balance\nacc,1\ncafé,100\n".encode("latin-1"), ["latin.csv", "row 3", "not UTF-8"]),
    ("quotes.csv", b'account,size\n"a,1\n', ["quotes.csv", "not a CSV table"]),
    ("empty.xlsx", b"", ["empty.xlsx", "not an .xlsx workbook"]),
    ("garbage.xlsx", b"PK\x03\x04" + bytes(200), ["garbage.xlsx", "not an .xlsx workbook"]),
    ("garbage.parquet", b"PAR1 not really", ["garbage.parquet", "not a Parquet file"]),
])
def test_unreadable_books_are_one_line_naming_the_file(tmp_path, file, content, words):
    path = tmp_path / file
    path.write_bytes(content)
    one_line_error(invoke("report", path, "--out", tmp_path / "out"), 2, *words)
    assert path.read_bytes() == content and not (tmp_path / "out").exists()


def test_an_empty_parquet_folder_is_one_line(tmp_path, book):
    (tmp_path / "parts").mkdir()
    one_line_error(invoke("report", tmp_path / "parts", "--accounts", book[1], "--out", tmp_path / "out"), 2,
                   "no Parquet files")


@pytest.mark.parametrize("content", [b"", b"not a workbook at all", b"PK\x03\x04garbage"])
def test_recalc_of_a_file_that_is_not_a_workbook(tmp_path, content):
    path = tmp_path / "book.xlsx"
    path.write_bytes(content)
    one_line_error(invoke("recalc", path), 2, "book.xlsx", "not an .xlsx workbook")


@pytest.fixture()
def read_only(tmp_path, monkeypatch):
    """A read-only folder; as root (who may write anyway) the OS's refusal is simulated for files in it."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        import tempfile

        real_mkstemp, real_mkdir = tempfile.mkstemp, Path.mkdir

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir).resolve().is_relative_to(folder.resolve()):
                raise PermissionError(13, "Permission denied", str(dir))
            return real_mkstemp(*args, dir=dir, **kwargs)

        def mkdir(self, *args, **kwargs):
            if self.resolve().is_relative_to(folder.resolve()) and not self.exists():
                raise PermissionError(13, "Permission denied", str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(Path, "mkdir", mkdir)
    yield folder
    folder.chmod(0o755)


def test_a_read_only_output_folder_is_one_line_for_every_command(read_only, book):
    positions, accounts = book
    runs = [
        ("report", positions, "--accounts", accounts, "--out", read_only),
        ("templates", "--out", read_only),
        ("recalc", ROOT / "workbooks" / "w2_isolated_vs_cross.xlsx", "--out", read_only / "w2.xlsx"),
        ("excel", "setup", "server", "--write", read_only),
        ("report", positions, "--accounts", accounts, "--out", read_only / "sub"),
    ]
    for args in runs:
        one_line_error(invoke(*args), 1, "cannot write", str(read_only))
    assert list(read_only.iterdir()) == []


def test_demo_into_a_read_only_folder_is_one_line(read_only):
    one_line_error(invoke("demo", "--out", read_only), 1, "cannot write", str(read_only))
    assert list(read_only.iterdir()) == []


def test_a_pdf_without_pango_writes_nothing_at_all(book, tmp_path, monkeypatch):
    positions, accounts = book

    class NoPango:  # WeasyPrint installed, but the system's pango library missing: its import raises OSError
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "weasyprint":
                raise OSError("cannot load library 'libpango-1.0-0': no such file")

    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoPango, *sys.meta_path])
    out = tmp_path / "out"
    one_line_error(invoke("report", positions, "--accounts", accounts, "--format", "html", "--format", "pdf",
                          "--out", out), 1, "cannot write a PDF", "nothing was written")
    assert not out.exists() or list(out.iterdir()) == []


def test_write_report_is_all_or_nothing_when_a_later_format_fails(tmp_path, monkeypatch):
    from xlmargin import report as report_package
    from xlmargin.review import evaluate, sample_book

    result = evaluate(sample_book())

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_package, "write_xlsx", broken)
    with pytest.raises(RuntimeError):
        report_package.write_report(result, tmp_path, formats=("html", "xlsx"))
    assert list(tmp_path.iterdir()) == []


def test_excel_setup_write_is_all_or_nothing(tmp_path):
    folder = tmp_path / "lite"
    from xlmargin.excel.runtimes import RUNTIMES

    files = list(RUNTIMES["lite"].files)
    assert len(files) > 1
    folder.mkdir()
    (folder / files[-1]).write_text("mine")
    result = invoke("excel", "setup", "lite", "--write", folder)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == [files[-1]] and (folder / files[-1]).read_text() == "mine"


# -- item 4: a book's cells named right ---------------------------------------------------------------


def _edited(book, **columns):
    positions, accounts = book
    frame = pd.read_csv(positions, dtype=str, keep_default_na=False)
    for column, (row, value) in columns.items():
        frame.loc[row, column] = value
    frame.to_csv(positions, index=False)
    return positions, accounts


@pytest.mark.parametrize("column, value, words", [
    ("size", "inf", ["column 'size' must be a finite number in rows 3"]),
    ("mark_price", "-inf", ["column 'mark_price' must be a finite number in rows 3"]),
    ("isolated_margin", "-1", ["column 'isolated_margin' must be >= 0 in rows 3"]),
    ("entry_price", "#N/A", ["column 'entry_price' holds an Excel error value (#N/A) in rows 3"]),
    ("account", "#VALUE!", ["column 'account' holds an Excel error value (#VALUE!) in rows 3"]),
])
def test_bad_cells_are_named_by_column_and_file_row(book, tmp_path, column, value, words):
    positions, accounts = _edited(book, **{column: (1, value)})
    one_line_error(invoke("report", positions, "--accounts", accounts, "--out", tmp_path / "out"), 2, "positions.csv", *words)


def test_an_excel_error_cell_in_a_workbook_book_is_called_an_error_value(tmp_path):
    import openpyxl

    from xlmargin.review import BookError, read_book, sample_book

    sample = sample_book()
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        sample.positions.to_excel(writer, sheet_name="Positions", index=False)
        sample.accounts.to_excel(writer, sheet_name="Accounts", index=False)
    wb = openpyxl.load_workbook(path)
    wb["Positions"]["E4"] = "#N/A"  # size of the third position: an Excel error value
    wb.save(path)
    with pytest.raises(BookError, match=r"column 'size' holds an Excel error value \(#N/A\) in rows 4"):
        read_book(path)


def test_rows_after_a_blank_row_keep_their_file_row_numbers(book, tmp_path):
    positions, accounts = book
    lines = positions.read_text().splitlines()
    lines.insert(2, "," * lines[0].count(","))  # a blank row 3: the old row 3 is row 4 in the file
    lines[3] = lines[3].replace("long", "up").replace("short", "up")
    positions.write_text("\n".join(lines) + "\n")
    one_line_error(invoke("report", positions, "--accounts", accounts, "--out", tmp_path / "out"), 2,
                   "column 'side' must be long or short in rows 4")


@pytest.mark.parametrize("shape, words", [
    ((3, 3), ["has 3 columns", "notional_floor, notional_cap, max_leverage, mmr, maint_amount"]),
    ((3, 6), ["has 6 columns"]),
    ((5, 3), ["may be transposed"]),
])
def test_a_tier_table_range_of_the_wrong_shape_says_what_a_tier_table_is(shape, words):
    from xlmargin.excel import udfs
    from xlmargin.excel.convert import call

    table = [[0, 50_000, 125, 0.004, 0], [50_000, 600_000, 100, 0.005, 50], [600_000, 3e6, 75, 0.0065, 950]]
    rows, columns = shape
    cells = [list(c) for c in zip(*table)][:rows] if rows == 5 else [(r + [1])[:columns] for r in table]
    reasons = []
    call(udfs.MAINT_MARGIN.core, ([[1.0]], [[100_000.0]], cells), "no answer", lambda code, reason, whole: reasons.append(reason))
    assert reasons and all(w in reasons[0] for w in words), reasons


# -- item 7: exit statuses ----------------------------------------------------------------------------


def test_exit_statuses_are_documented_in_help():
    result = invoke("--help")
    assert result.exit_code == 0
    for words in ("Exit status: 0 success", "1 the work failed", "2 bad input"):
        assert words in result.output
    assert "Exit status" in (ROOT / "README.md").read_text()


def test_tiers_shows_amounts_at_full_precision():
    result = invoke("tiers", "binance_usdm_btcusdt")
    assert result.exit_code == 0
    assert "e+0" not in result.output


# -- item 3: recalc --set -----------------------------------------------------------------------------

W3 = ROOT / "workbooks" / "w3_two_longs.xlsx"


@pytest.mark.parametrize("assignment, words", [
    ("ETH_PRICE=1,800", ["--set ETH_PRICE must be a number", "'1,800'"]),
    ("ETH_PRICE=abc", ["must be a number"]),
    ("ETH_PRICE=inf", ["must be a finite number"]),
    ("ETH_PRICE=nan", ["must be a finite number"]),
    ("ETH_PRICE==1+1", ["must be a number", "'=1+1'"]),
    ("ETH_PRICE=#N/A", ["must be a number", "'#N/A'"]),
    ("ETH_SIZE=0", ["--set ETH_SIZE must be > 0"]),
    ("MMR=1.5", ["--set MMR must be between 0 and 0.9999"]),
    ("CROSS_ETH_LIQ_PRICE=3", ["is an output", "not an input", "ETH_PRICE"]),
    ("NOPE=3", ["has no defined name NOPE", "ETH_PRICE"]),
])
def test_recalc_set_takes_only_values_an_input_cell_accepts(tmp_path, assignment, words):
    before = sha(W3)
    one_line_error(invoke("recalc", W3, "--set", assignment, "--out", tmp_path / "copy.xlsx"), 2, *words)
    assert sha(W3) == before and list(tmp_path.iterdir()) == []


def test_recalc_set_of_a_listed_word_is_checked_against_the_list(tmp_path):
    from xlmargin.workbooks.inputs import NamedCell, check_inputs
    from xlmargin.workbooks.recalc import RecalcError

    cells = {"SIDE": NamedCell("SIDE", False, words=("long", "short")), "OUT": NamedCell("OUT", True)}
    assert check_inputs("w.xlsx", cells, {"side": " Short"}) == {"side": "short"}
    with pytest.raises(RecalcError, match="must be long or short, not 'up'"):
        check_inputs("w.xlsx", cells, {"SIDE": "up"})


def test_recalc_whose_outputs_are_errors_fails_naming_the_output_and_the_reason(tmp_path):
    import openpyxl

    book = openpyxl.load_workbook(ROOT / "workbooks" / "w2_isolated_vs_cross.xlsx")
    sheet, cell = next(iter(book.defined_names["SIZE"].destinations))
    book[sheet][cell.replace("$", "")] = "abc"  # SIZE as text (typed into the file, not through --set): #VALUE!
    book.save(tmp_path / "bad.xlsx")
    # the plain formulas give #VALUE! with no reason of their own; the engine says so
    one_line_error(invoke("recalc", tmp_path / "bad.xlsx"), 2, "bad.xlsx: output", "is #VALUE!")


# -- item 6: fast answers, progress, precision, quiet Dask ----------------------------------------------


def test_recalc_of_the_blank_risk_review_says_it_has_no_outputs_fast():
    start = time.monotonic()
    one_line_error(invoke("recalc", ROOT / "workbooks" / "risk_review.xlsx"), 2, "has no named output cells", "xlmargin report")
    assert time.monotonic() - start < 5


def test_slow_steps_show_progress_on_a_terminal_only(monkeypatch, capsys):
    from xlmargin import cli

    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    with cli._step("loading w.xlsx"):
        time.sleep(1.3)
    with cli._step("quick"):
        pass
    time.sleep(1.1)  # the quick step's timer was cancelled: nothing more appears
    err = capsys.readouterr().err
    assert "loading w.xlsx ..." in err and " s\n" in err and "quick" not in err
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: False)
    with cli._step("not a terminal"):
        time.sleep(1.2)
    assert capsys.readouterr().err == ""


def test_a_successful_dask_review_prints_no_warnings(tmp_path):
    from xlmargin.review import synthetic_book

    book = synthetic_book(400, 20)
    (tmp_path / "parts").mkdir()
    for i, part in enumerate((book.positions.iloc[:200], book.positions.iloc[200:])):
        part.to_parquet(tmp_path / "parts" / f"part{i}.parquet")
    book.accounts.to_csv(tmp_path / "accounts.csv", index=False)
    result = subprocess.run([sys.executable, "-m", "xlmargin", "report", str(tmp_path / "parts"), "--accounts",
                             str(tmp_path / "accounts.csv"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "Traceback" not in result.stderr, result.stderr


# -- item 5: SIGTERM mid-run leaves nothing --------------------------------------------------------------

_SLOW_XLSX = """
import sys, time
import xlmargin.report as report
real = report.write_xlsx
def slow(*args, **kwargs):
    real(*args, **kwargs)             # the xlsx is complete in its temporary file, the html too
    print("writing", flush=True)
    time.sleep(60)                    # SIGTERM arrives here
report.write_xlsx = slow
from xlmargin.cli import main
main(sys.argv[1:], prog_name="xlmargin")
"""


def test_sigterm_while_writing_leaves_no_file_and_a_rerun_works(book, tmp_path):
    positions, accounts = book
    out = tmp_path / "out"
    args = ["report", str(positions), "--accounts", str(accounts), "--format", "html", "--format", "xlsx", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", _SLOW_XLSX, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        assert process.stdout.readline().strip() == "writing"
        assert any(p.name.endswith(".tmp") for p in out.iterdir())  # mid-run: only temporary files
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        process.kill()
    assert code == 128 + signal.SIGTERM and "interrupted" in process.stderr.read()
    assert list(out.iterdir()) == []
    rerun = subprocess.run([sys.executable, "-m", "xlmargin", *args], capture_output=True, text=True, env=env, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in out.iterdir()) == ["risk_report.html", "risk_report.xlsx"]


def test_a_positions_file_without_an_account_column_names_the_missing_columns(tmp_path):
    path = tmp_path / "positions.csv"
    path.write_text("wallet_balance\n100\n")  # found by the fuzz tests: was a KeyError traceback
    result = invoke("report", path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "missing column 'account'" in result.stderr and "Traceback" not in result.stderr
