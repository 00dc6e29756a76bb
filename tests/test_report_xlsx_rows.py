"""The fast row writer of the XLSX report writes the cells XlsxWriter's own per-cell calls write, numbers exactly.

The reference is XlsxWriter's public API, one call per cell (``write_number``,
``write_blank``, ``write_formula`` for ``#NUM!``, ``write_string``), as the
report wrote its tables before. The workbooks' sheet XML must be identical byte
for byte but for the text of each number, whether the fast rows are written at
once or left for the closing (``Later``, written into the zip file as it is
compressed). Each number's text must be a number to Excel (xsd:double), read
back as exactly the float written (XlsxWriter's keeps 16 digits), and round to
XlsxWriter's own text at 16 digits; openpyxl must read the values back.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("xlsxwriter")  # the report extra; installed in the test environment
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin.report.xlsx_rows import CHUNK, Later, closing, write_rows

TEXTS = ["acc1", "", " lead", "trail ", "a & b < c > d", "quote \"x\" 'y'", "tab\tnew\nline", "ctl\x01\x1f", "_x0000_",
         "=SUM(A1)", "ünïcødé ✓", "{0} {1:.3f}", "€" * 20_000]


def _write(path, columns, fast) -> None:
    """``fast``: False (per cell), True (write_rows now) or "later" (write_rows left for the closing)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("T")
    fmts = [book.add_format({"num_format": "#,##0.00"}) if kind == "number" else None for kind, _ in columns]
    sheet.write_string(0, 0, "above")
    sheet.set_row(2, 30)
    for j in range(len(columns)):
        sheet.write_string(2, j, f"header {j}", book.add_format({"bold": True}) if j == 0 else None)
    n = len(columns[0][1])
    later = Later() if fast == "later" else None
    if fast:
        end = write_rows(sheet, 3, [(kind, values, fmt) for (kind, values), fmt in zip(columns, fmts)], later)
        assert end == 3 + n
    else:
        for i in range(n):
            for j, ((kind, values), fmt) in enumerate(zip(columns, fmts)):
                value = values[i]
                if kind == "number":
                    if np.isfinite(value):
                        sheet.write_number(3 + i, j, float(value), fmt)
                    elif np.isnan(value):
                        sheet.write_blank(3 + i, j, None, fmt)
                    else:
                        sheet.write_formula(3 + i, j, "#NUM!", fmt, "#NUM!")
                elif kind == "text":
                    sheet.write_string(3 + i, j, "" if pd.isna(value) else str(value))
    sheet.write_string(3 + n + 1, 0, "below")  # a row after the table, as the stacked sheets write
    sheet.write_number(3 + n + 1, 1, 7.0)
    if later is None:
        book.close()
    else:
        with closing(later, 1):
            book.close()
        assert not later.blocks  # every block written


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


_NUMBER_CELL = re.compile(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?><v>)([^<]*)(</v></c>)')  # a number: no t="..."
_XSD_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _numbers_apart(xml: bytes) -> tuple[bytes, list[str]]:
    """The sheet's XML with every number's text taken out, and those texts in order."""
    texts = [m.group(2).decode() for m in _NUMBER_CELL.finditer(xml)]
    return _NUMBER_CELL.sub(rb"\1\3", xml), texts


def _bits(value: float) -> int:
    return int(np.float64(value).view(np.int64))  # -0.0 is not 0.0


def _same_as_per_cell(tmp_path, columns) -> None:
    _write(tmp_path / "slow.xlsx", columns, fast=False)
    _write(tmp_path / "fast.xlsx", columns, fast=True)
    _write(tmp_path / "later.xlsx", columns, fast="later")
    slow, slow_numbers = _numbers_apart(_sheet_xml(tmp_path / "slow.xlsx"))
    finite = [v for i in range(len(columns[0][1])) for kind, values in columns
              if kind == "number" and np.isfinite(v := float(values[i]))] + [7.0]  # row by row; 7: the row below
    for name in ("fast.xlsx", "later.xlsx"):
        fast, fast_numbers = _numbers_apart(_sheet_xml(tmp_path / name))
        assert fast == slow
        assert all(_XSD_DOUBLE.fullmatch(text) for text in fast_numbers), fast_numbers
        assert [_bits(float(text)) for text in fast_numbers] == [_bits(v) for v in finite]  # the float itself
        assert [f"{float(text):.16G}" for text in fast_numbers] == slow_numbers  # XlsxWriter's, to its 16 digits
    with zipfile.ZipFile(tmp_path / "later.xlsx") as z:
        assert z.testzip() is None  # every member's CRC checks


def test_every_kind_of_cell_is_written_as_xlsxwriter_writes_it(tmp_path):
    numbers = [0.0, -0.0, 1.0, -2.5, 1e-05, 123456789.123456789, 1 / 3, 1e300, -1e-300, 5e-324, np.nan, np.inf, -np.inf]
    k = len(TEXTS)
    columns = [("text", TEXTS), ("number", np.array(numbers[:k], dtype=float)),
               ("number", np.linspace(-1, 1, k)), ("text", ["same"] * k)]
    _same_as_per_cell(tmp_path, columns)
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(tmp_path / "fast.xlsx").active
    assert [sheet.cell(4 + i, 2).value for i in range(5)] == [0, 0, 1, -2.5, 1e-05]
    assert sheet.cell(4 + 10, 2).value is None  # NaN: no answer, an empty cell
    assert sheet.cell(4 + 11, 2).value == "=#NUM!"  # an infinite ratio: the error value as a formula
    assert sheet.cell(4 + 4, 1).value == "a & b < c > d"
    assert sheet.cell(4 + 12, 1).value == "€" * 20_000
    assert sheet.cell(4 + k + 1, 1).value == "below"


def test_a_table_longer_than_a_chunk(tmp_path):
    n = CHUNK + 7
    rng = np.random.default_rng(3)
    values = rng.lognormal(0, 3, n)
    values[rng.integers(0, n, 50)] = np.nan
    columns = [("text", [f"acc{i % 977}" for i in range(n)]), ("number", values), ("number", rng.random(n).round(2))]
    _same_as_per_cell(tmp_path, columns)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.floats()),
                min_size=1, max_size=30))
def test_any_values(tmp_path_factory, rows):
    numbers, texts, more = zip(*rows)
    columns = [("number", np.array(numbers, dtype=float)), ("text", list(texts)), ("number", np.array(more, dtype=float))]
    _same_as_per_cell(tmp_path_factory.mktemp("rows"), columns)


def test_a_series_of_text_writes_each_values_text_and_a_missing_one_empty(tmp_path):
    values = pd.Series(["acc1", None, "a & b", np.nan, "acc1", "ünï"], dtype="str")
    mixed = pd.Series(["x", 1.5, None, 2], dtype=object)
    columns = [("text", values), ("number", np.arange(6.0)), ("text", pd.concat([mixed, mixed[:2]], ignore_index=True))]
    _same_as_per_cell(tmp_path, columns)
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(tmp_path / "later.xlsx").active
    assert [sheet.cell(4 + i, 1).value for i in range(6)] == ["acc1", "", "a & b", "", "acc1", "ünï"]
    assert [sheet.cell(4 + i, 3).value for i in range(4)] == ["x", "1.5", "", "2"]


def test_two_blocks_of_later_rows_on_two_sheets_and_one_after_the_other(tmp_path):
    def book(path, later):
        b = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        for name in ("A", "B"):
            sheet = b.add_worksheet(name)
            end = write_rows(sheet, 0, [("number", np.arange(5.0) + ord(name), None), ("text", [name] * 5, None)], later)
            write_rows(sheet, end + 1, [("text", ["yes", "no", "yes"], None)], later)
        with closing(later, 6):
            b.close()

    book(tmp_path / "now.xlsx", None)
    book(tmp_path / "later.xlsx", Later())
    with zipfile.ZipFile(tmp_path / "now.xlsx") as now, zipfile.ZipFile(tmp_path / "later.xlsx") as later:
        for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
            assert later.read(name) == now.read(name)


def test_a_number_column_with_a_format_per_row_gives_each_cell_its_rows_format(tmp_path):
    """Prices shown to each instrument's decimals: the per-cell reference writes each cell with its row's format."""
    rng = np.random.default_rng(8)
    n = 50
    values = rng.lognormal(3, 4, n)
    values[[3, 17]] = np.nan
    values[9] = np.inf
    codes = rng.integers(0, 3, n)

    def book(path, fast):
        b = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = b.add_worksheet("T")
        formats = [b.add_format({"num_format": f"#,##0.{'0' * d}"}) for d in (2, 5, 8)]
        if fast:
            write_rows(sheet, 0, [("number", values, (codes, formats)), ("number", values[::-1].copy(), formats[1])])
        else:
            for i in range(n):
                for j, (value, fmt) in enumerate(((values[i], formats[codes[i]]), (values[::-1][i], formats[1]))):
                    if np.isfinite(value):
                        sheet.write_number(i, j, float(value), fmt)
                    elif np.isnan(value):
                        sheet.write_blank(i, j, None, fmt)
                    else:
                        sheet.write_formula(i, j, "#NUM!", fmt, "#NUM!")
        b.close()

    book(tmp_path / "slow.xlsx", False)
    book(tmp_path / "fast.xlsx", True)
    slow, slow_numbers = _numbers_apart(_sheet_xml(tmp_path / "slow.xlsx"))
    fast, fast_numbers = _numbers_apart(_sheet_xml(tmp_path / "fast.xlsx"))
    assert fast == slow  # every cell's style attribute is its row's
    assert [f"{float(text):.16G}" for text in fast_numbers] == slow_numbers
    assert len(set(re.findall(rb' s="([0-9]+)"', fast))) == 3
