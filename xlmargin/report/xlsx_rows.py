"""Writing the rows of a large table into an XlsxWriter worksheet fast: the same cells, a row at a time, not a cell at a time.

XlsxWriter's ``write_number`` / ``write_string`` cost about 3-9 µs a cell in
Python (a call, a check, a tuple, then an XML element per cell); a 1,000,000-
position report holds about 40 million cells. In ``constant_memory`` mode
XlsxWriter streams each finished row as XML into a temporary file, which it
copies into the sheet when the workbook closes. :func:`write_rows` writes the
same XML into that file a row at a time: each cell's markup comes from
XlsxWriter itself (its ``_write_cell``, once per distinct text, flag or special
number of a column), and finite numbers are formatted as XlsxWriter does
(``{:.16G}``), so the file holds the cells the per-cell calls would have written.
It uses four of XlsxWriter's internals (``fh``, ``previous_row``,
``_write_single_row``, ``_write_cell``); ``tests/test_report_xlsx_rows.py``
compares the result with the per-cell path byte for byte, so a change in
XlsxWriter shows there.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellBooleanTuple,
    CellFormulaTuple,
    CellNumberTuple,
    CellStringTuple,
)

CHUNK = 20_000  # rows formatted at once: the cells' markup exists for one chunk at a time
TEXT_MAX = 32_767  # Excel's most UTF-16 units in a cell (XlsxWriter truncates longer strings)


def _markup(sheet, col: int, cell) -> str:
    """What XlsxWriter writes for ``cell`` in column ``col``, after ``<c r="A1"`` (the row number is added per row)."""
    saved, sheet.fh = sheet.fh, io.StringIO()
    try:
        sheet._write_cell(0, col, cell)
        text = sheet.fh.getvalue()
    finally:
        sheet.fh = saved
    prefix = f'<c r="{xl_col_to_name(col)}1"'
    assert text.startswith(prefix), text  # XlsxWriter's cell element changed: see the module docstring
    return text[len(prefix):]


def _truncated(text: str) -> str:
    if len(text) <= TEXT_MAX // 2:
        return text
    units = text.encode("utf-16-le")
    return units[:2 * TEXT_MAX].decode("utf-16-le", "ignore") if len(units) > 2 * TEXT_MAX else text


_PLAIN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:+-]*")  # text XlsxWriter writes as it is (no escape, no space to keep)


def _texts(sheet, col: int, values: list):
    """A function of (start, stop): the markup of those of ``values``, made once per distinct text (XlsxWriter's, unless plain)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    markup = np.array([f' t="inlineStr"><is><t>{u}</t></is></c>' if _PLAIN.fullmatch(u) else
                       _markup(sheet, col, CellStringTuple(_truncated(u), None)) for u in uniques], dtype=object)
    return lambda start, stop: markup[codes[start:stop]].tolist()


def _numbers(sheet, col: int, values: np.ndarray, cell_format):
    """A function of (start, stop): the markup of those numbers, NaN an empty cell, +-inf ``#NUM!``."""
    number = _markup(sheet, col, CellNumberTuple(1.0, cell_format)).replace("<v>1</v>", "<v>%.16G</v>")
    blank = _markup(sheet, col, CellBlankTuple(cell_format))
    error = _markup(sheet, col, CellFormulaTuple("#NUM!", cell_format, "#NUM!"))
    return lambda start, stop: [number % v if v - v == 0 else blank if v != v else error
                                for v in values[start:stop].tolist()]  # v - v: 0 when finite, NaN when not


def _flags(sheet, col: int, values: np.ndarray):
    markup = [_markup(sheet, col, CellBooleanTuple(0, None)), _markup(sheet, col, CellBooleanTuple(1, None))]
    return lambda start, stop: [markup[v] for v in values[start:stop].tolist()]


def write_rows(sheet, first_row: int, columns: list[tuple]) -> int:
    """Write the cells of ``columns`` at rows ``first_row``, ``first_row + 1``, ... of ``sheet``; return the row after.

    Parameters
    ----------
    sheet : xlsxwriter.worksheet.Worksheet
        A worksheet of a ``constant_memory`` workbook whose rows so far lie above
        ``first_row``.
    first_row : int
        The first row to write (0-based).
    columns : list of (kind, values, format)
        Per column, from the left: ``"number"`` (a float array; NaN an empty
        cell with the format, +-inf ``#NUM!``), ``"text"`` (strings) or
        ``"flag"`` (booleans), and the cell format of a number column.
    """
    n = len(columns[0][1]) if columns else 0
    if n == 0:
        return first_row
    sheet._write_single_row(first_row)  # the rows above (the header) go out first, as a cell write would send them
    cells, fields = [], []
    for j, (kind, values, cell_format) in enumerate(columns):
        letter = xl_col_to_name(j)
        if kind == "number" and np.isfinite(values).all():
            attr = f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""
            cells.append(f'<c r="{letter}{{0}}"{attr}><v>{{{len(fields) + 1}:.16G}}</v></c>')
            numbers = np.asarray(values, dtype=float)
            fields.append(lambda start, stop, numbers=numbers: numbers[start:stop].tolist())
            continue
        if kind == "number":
            field = _numbers(sheet, j, np.asarray(values, dtype=float), cell_format)
        elif kind == "text":
            field = _texts(sheet, j, list(values))
        else:
            field = _flags(sheet, j, np.asarray(values, dtype=bool).astype(int))
        cells.append(f'<c r="{letter}{{0}}"{{{len(fields) + 1}}}')
        fields.append(field)
    template = '<row r="{0}">' + "".join(cells) + "</row>"
    write = sheet.fh.write
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        numbers = range(first_row + 1 + start, first_row + 1 + stop)  # Excel's rows count from 1
        write("".join(map(template.format, numbers, *(field(start, stop) for field in fields))))
    last = first_row + n - 1
    sheet._check_dimensions(first_row, 0)
    sheet._check_dimensions(last, len(columns) - 1)
    sheet.previous_row = last + 1  # the next cell written goes below; a row above would be refused as XlsxWriter does
    return last + 1
