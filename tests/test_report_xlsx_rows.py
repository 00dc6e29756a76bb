"""The fast row writer of the XLSX report writes exactly the cells XlsxWriter's own per-cell calls write.

The reference is XlsxWriter's public API, one call per cell (``write_number``,
``write_blank``, ``write_formula`` for ``#NUM!``, ``write_string``,
``write_boolean``), as the report wrote its tables before; the workbooks'
sheet XML must be identical byte for byte, whether the fast rows are written at
once or left for the closing (``Later``, written into the zip file as it is
compressed), and openpyxl must read the values back.
"""

from __future__ import annotations

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
                else:
                    sheet.write_boolean(3 + i, j, bool(value))
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


def _same_as_per_cell(tmp_path, columns) -> None:
    _write(tmp_path / "slow.xlsx", columns, fast=False)
    _write(tmp_path / "fast.xlsx", columns, fast=True)
    _write(tmp_path / "later.xlsx", columns, fast="later")
    assert _sheet_xml(tmp_path / "fast.xlsx") == _sheet_xml(tmp_path / "slow.xlsx")
    assert _sheet_xml(tmp_path / "later.xlsx") == _sheet_xml(tmp_path / "slow.xlsx")
    with zipfile.ZipFile(tmp_path / "later.xlsx") as z:
        assert z.testzip() is None  # every member's CRC checks


def test_every_kind_of_cell_is_written_as_xlsxwriter_writes_it(tmp_path):
    numbers = [0.0, -0.0, 1.0, -2.5, 1e-05, 123456789.123456789, 1 / 3, 1e300, -1e-300, 5e-324, np.nan, np.inf, -np.inf]
    k = len(TEXTS)
    columns = [("text", TEXTS), ("number", np.array(numbers[:k], dtype=float)),
               ("number", np.linspace(-1, 1, k)), ("flag", np.arange(k) % 3 == 0),
               ("text", ["same"] * k)]
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
    columns = [("text", [f"acc{i % 977}" for i in range(n)]), ("number", values), ("flag", rng.random(n) < 0.5)]
    _same_as_per_cell(tmp_path, columns)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.booleans()),
                min_size=1, max_size=30))
def test_any_values(tmp_path_factory, rows):
    numbers, texts, flags = zip(*rows)
    columns = [("number", np.array(numbers, dtype=float)), ("text", list(texts)), ("flag", np.array(flags))]
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
            write_rows(sheet, end + 1, [("flag", np.arange(3) % 2 == 0, None)], later)
        with closing(later, 6):
            b.close()

    book(tmp_path / "now.xlsx", None)
    book(tmp_path / "later.xlsx", Later())
    with zipfile.ZipFile(tmp_path / "now.xlsx") as now, zipfile.ZipFile(tmp_path / "later.xlsx") as later:
        for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
            assert later.read(name) == now.read(name)


def test_columns_of_repeated_values_are_formatted_once_per_value_as_each_cell_would_be(tmp_path):
    from xlmargin.report import xlsx_rows

    rng = np.random.default_rng(5)
    finite = rng.choice([0.0, -0.0, 50_000.0, 1 / 3, 2_500.5, 1e-300], 3_000)  # -0.0 and 0.0 are two values
    special = rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf, 7.25], 3_000)
    assert xlsx_rows._repeated(finite) is not None and xlsx_rows._repeated(special) is not None
    assert xlsx_rows._repeated(rng.random(3_000)) is None  # distinct values: formatted one by one
    columns = [("number", finite), ("number", special), ("number", rng.random(3_000)), ("text", ["x"] * 3_000)]
    _same_as_per_cell(tmp_path, columns)
