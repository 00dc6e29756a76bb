"""Issue #11: hostile books, --set values and tier tables at every entry point (hypothesis).

The outcome is an answer or a one-line message naming the file (and column and
row) or the argument with a non-zero exit; never a traceback or an unexpected
exception type, never a changed input, never a partial output under a final name.
"""

import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmargin.cli import main
from xlmargin.review import Book, BookError, read_book
from xlmargin.review.book import POSITION_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
def fast(examples):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY_TEXT = ["", " ", "inf", "-inf", "nan", "NaN", "1e400", "-0", "1,800", "=1+1", "=HYPERLINK(\"x\")", "#N/A", "#VALUE!",
              "TRUE", "long", "short", "isolated", "cross", "linear", "inverse", "acc1", "BTCUSDT", "binance_usdm_btcusdt",
              "☃", "\u202e", "a\"b", "x\ny", "0", "-1", "1e308", "5e-324", "nope"]
cell = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
)
GOOD = {"account": "acc1", "symbol": "BTCUSDT", "contract": "linear", "side": "long", "size": "0.5", "entry_price": "50000",
        "mark_price": "49000", "margin_mode": "cross", "isolated_margin": "", "tier_set": "", "wallet_balance": "1000"}


@st.composite
def books(draw):
    """A positions table near a good one: columns dropped or renamed, cells replaced by hostile values."""
    columns = [c for c in GOOD if draw(st.floats(0, 1)) > 0.08]
    if draw(st.booleans()):
        columns.append(draw(st.sampled_from(["extra", "size", " account ", "☃"])))
    rows = draw(st.integers(0, 4))
    table = [[GOOD.get(c.strip(), "x") for c in columns] for _ in range(rows)]
    for _ in range(draw(st.integers(0, 6))):
        if rows and columns:
            table[draw(st.integers(0, rows - 1))][draw(st.integers(0, len(columns) - 1))] = draw(cell)
    return columns, table


def _check_outcome(outcome, name):
    if isinstance(outcome, Book):
        positions = outcome.positions
        for column in ("size", "entry_price", "mark_price"):
            assert (positions[column] > 0).all() and positions[column].map(math.isfinite).all()
        assert (positions["isolated_margin"] >= 0).all()
        return
    assert isinstance(outcome, BookError), repr(outcome)
    assert outcome.problems and all(name in p or "Positions:" in p for p in outcome.problems), outcome.problems
    assert "Traceback" not in str(outcome)


def _write(columns, table, path):
    frame = pd.DataFrame(table, columns=columns, dtype=object)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        with pd.ExcelWriter(path) as writer:
            frame.to_excel(writer, sheet_name="Positions", index=False)
            pd.DataFrame([["acc1", "1000"]], columns=["account", "wallet_balance"]).to_excel(writer, sheet_name="Accounts", index=False)


def _read(path):
    try:
        return read_book(path)
    except BookError as exc:
        return exc


@fast(300)
@given(book=books())
def test_the_csv_reader_answers_or_names_the_file(tmp_path_factory, book):
    path = tmp_path_factory.mktemp("csv") / "positions.csv"
    _write(*book, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    _check_outcome(_read(path), "positions.csv")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@fast(60)
@given(book=books())
def test_the_xlsx_reader_answers_or_names_the_sheet(tmp_path_factory, book):
    path = tmp_path_factory.mktemp("xlsx") / "book.xlsx"
    _write(*book, path)
    _check_outcome(_read(path), "book.xlsx")


@fast(80)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_garbage_files_are_one_message_naming_the_file(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"junk{suffix}"
    path.write_bytes(data)
    outcome = _read(path)
    assert isinstance(outcome, BookError), outcome
    assert all("junk" in p or "Positions" in p for p in outcome.problems), outcome.problems


def _invoke(*args):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart always
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


def _assert_clean_failure_or_success(result):
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    text = result.output + result.stderr
    assert "Traceback" not in text and "internal error" not in text, text
    if result.exit_code:
        assert result.exit_code in (1, 2)
        first = result.stderr.splitlines()[0]
        assert first.startswith(("xlmargin: bad input: ", "xlmargin: failed: ", "Usage:")), first


@fast(30)
@given(book=books(), formats=st.lists(st.sampled_from(["html", "xlsx"]), min_size=1, max_size=2, unique=True))
def test_the_report_command_answers_all_or_nothing(tmp_path_factory, book, formats):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "positions.csv"
    _write(*book, path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    args = ["report", path, "--out", folder / "out"] + [a for f in formats for a in ("--format", f)]
    result = _invoke(*args)
    _assert_clean_failure_or_success(result)
    written = sorted(p.name for p in (folder / "out").iterdir()) if (folder / "out").exists() else []
    assert written == (sorted(f"risk_report.{f}" for f in formats) if result.exit_code == 0 else [])
    if result.exit_code:
        assert "positions.csv" in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# -- --set values ----------------------------------------------------------------------------------

W2 = ROOT / "workbooks" / "w2_isolated_vs_cross.xlsx"


@pytest.fixture(scope="module")
def w2_cells():
    from xlmargin.workbooks.inputs import named_cells

    return named_cells(W2)


set_value = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=10), st.floats().map(repr), st.floats().map(str))


@fast(300)
@given(name=st.sampled_from(["SIZE", "MMR", "MARK_PRICE", "ISO_MARGIN", "CROSS_LIQ_PRICE", "size", "NOPE"]), value=set_value)
def test_set_values_are_finite_numbers_the_cell_accepts_or_refused(w2_cells, name, value):
    from xlmargin.workbooks.inputs import check_inputs
    from xlmargin.workbooks.recalc import RecalcError

    try:
        checked = check_inputs(W2.name, w2_cells, {name: value})
    except RecalcError as exc:
        assert name.upper() in str(exc).upper() and "\n" not in str(exc)
        return
    number = checked[name]
    assert isinstance(number, float) and math.isfinite(number)
    assert name.upper() in ("SIZE", "MMR", "MARK_PRICE", "ISO_MARGIN") and number >= 0


@fast(25)
@given(value=set_value.filter(lambda v: not _is_finite(v)))
def test_the_recalc_command_refuses_what_is_not_a_finite_number(tmp_path_factory, value):
    out = tmp_path_factory.mktemp("recalc") / "copy.xlsx"
    before = hashlib.sha256(W2.read_bytes()).hexdigest()
    result = _invoke("recalc", W2, "--set", f"MARK_PRICE={value}", "--out", out)
    _assert_clean_failure_or_success(result)
    assert result.exit_code == 2 and "MARK_PRICE" in result.stderr.splitlines()[0]
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert hashlib.sha256(W2.read_bytes()).hexdigest() == before


def _is_finite(value):
    try:
        return math.isfinite(float(value.strip().replace("_", " ")))
    except ValueError:
        return False


# -- tier tables at the Excel boundary ---------------------------------------------------------------

tier_cell = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10**6, 10**9), st.sampled_from(NASTY_TEXT))


@fast(200)
@given(rows=st.integers(1, 6), columns=st.integers(1, 7), data=st.data())
def test_tier_table_ranges_give_an_answer_or_a_reason(rows, columns, data):
    from xlmargin.excel import udfs
    from xlmargin.excel.convert import call

    table = data.draw(st.lists(st.lists(tier_cell, min_size=columns, max_size=columns), min_size=rows, max_size=rows))
    errors = []
    result = call(udfs.MAINT_MARGIN.core, ([[1.0]], [[100_000.0]], table), "no answer",
                  lambda code, reason, whole: errors.append((code, reason)) or code)
    if errors:
        code, reason = errors[0]
        assert code in ("#VALUE!", "#N/A", "#NUM!") and "unexpected" not in reason, reason
    else:
        assert isinstance(result, list)
