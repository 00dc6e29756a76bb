"""The report as an XLSX workbook (XlsxWriter, constant-memory mode): every row, native numbers, native charts.

Sheets in the order of the other formats (:func:`~.content.report_parts`):
Summary (the committee's tables), Charts (the value curves and the distance
histogram with a native chart of each), Accounts and Positions per settlement
asset, Stress, Cascade, Provenance. Headers are the readable labels with their
units; each column has one number format (the HTML's precision) and a width
that fits it; header rows are frozen and repeated on every printed page, pages
are landscape and fit to the width. Numbers are written as numbers; NaN (no
answer) as an empty cell, an infinite margin ratio as ``#NUM!``; text from the
input always as text, never as a formula. A table longer than a sheet holds
(``EXCEL_ROWS``) goes on to further sheets, named "(2)", "(3)", ...; nothing is
cut silently.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xlsxwriter

from .columns import Column, columns_of, excel_format
from .content import (
    NOTE,
    TITLE,
    VALUES,
    Heading,
    Table,
    distance_histogram,
    report_parts,
    value_curve,
)
from .provenance import provenance_rows
from .xlsx_rows import Later, closing, write_rows

if TYPE_CHECKING:
    from xlsxwriter.chart import Chart
    from xlsxwriter.worksheet import Worksheet

    from ..review.evaluate import RiskResult

SUMMARY = "Summary"
CHARTS = "Charts"  # the sheet holding the charts and their data
EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header row included
CHART_ROWS = 18  # rows between the tops of two charts on Summary
CHART_COLUMN = 7  # charts sit right of their data


class _Sheets:
    """An XlsxWriter workbook with the report's cell formats, writing tables as typed cells."""

    def __init__(self, path: Path, progress=None):
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                   "constant_memory": True}
        self.book = xlsxwriter.Workbook(str(path), options)
        self._formats: dict[str, object] = {}
        header = {"bold": True, "bg_color": "#F0F3F6", "bottom": 1, "text_wrap": True, "valign": "top"}
        self.header = self.book.add_format(header)
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.heading = self.book.add_format({"bold": True, "font_size": 12})
        self.bold = self.book.add_format({"bold": True})
        self.note = self.book.add_format({"italic": True, "font_color": "#666666"})
        self.wrapped_note = self.book.add_format({"italic": True, "font_color": "#666666", "text_wrap": True, "valign": "top"})
        self.red = self.book.add_format({"bg_color": "#F5B7B1"})
        self.amber = self.book.add_format({"bg_color": "#FDE3A7"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.sheets: dict[str, Worksheet] = {}
        self.rows: dict[str, int] = {}
        self.progress = progress or (lambda label: None)
        self.later = Later()  # the tables' rows, written into the file as it is compressed (xlsx_rows)

    def fmt(self, column: Column):
        key = excel_format(column)
        if key not in self._formats:
            self._formats[key] = self.book.add_format({"num_format": key})
        return self._formats[key]

    def sheet(self, name: str) -> Worksheet:
        if name not in self.sheets:
            sheet = self.book.add_worksheet(name[:31])
            sheet.set_landscape()
            sheet.set_paper(9)  # A4
            sheet.fit_to_pages(1, 0)  # fit to the width, as many pages down as needed
            sheet.set_margins(0.4, 0.4, 0.5, 0.5)
            sheet.set_footer("&L&A&RPage &P of &N")
            self.sheets[name] = sheet
            self.rows[name] = 0
        return self.sheets[name]

    def table(self, sheet: Worksheet, row: int, part: Table, frame: pd.DataFrame) -> int:
        """Write ``frame`` with ``part``'s columns under a header row at ``row``; return the row after it."""
        sheet.set_row(row, 15 * max(1, min(4, max(len(c.label) // 14 + 1 for c in part.columns))))  # wrapped headers
        for j, column in enumerate(part.columns):
            sheet.write_string(row, j, column.label, self.header)
        columns = []
        for column in part.columns:
            values = frame[column.name]
            if column.kind == "text":
                columns.append(("text", values, None))  # each value's text, a missing one empty
            elif column.kind == "flag":  # the words of the HTML and PDF, not TRUE/FALSE
                columns.append(("text", np.where(values.astype(bool).to_numpy(), "yes", "no").tolist(), None))
            else:
                columns.append(("number", values.to_numpy(dtype=float), self.fmt(column)))
        return write_rows(sheet, row + 1, columns, self.later) if len(frame) else row + 1

    def widths(self, sheet: Worksheet, part: Table, frame: pd.DataFrame, first_column_min: int = 0) -> None:
        """Column widths that fit the header (wrapped) and the widest value in its format: never '###'."""
        sample = frame.head(2000)
        for j, column in enumerate(part.columns):
            values = sample[column.name] if column.name in sample.columns else pd.Series(dtype=object)
            if column.kind == "text":
                width = int(values.astype(str).str.len().max()) if len(values) else 4
            elif column.kind == "flag":
                width = 6
            else:
                big = pd.to_numeric(frame[column.name], errors="coerce").abs()
                big = float(big[np.isfinite(big)].max()) if np.isfinite(big).any() else 1.0
                digits = len(f"{big:,.0f}") + (column.decimals + 1 if column.decimals else 0) + 3
                width = digits + (1 if column.kind == "ratio" else 0)
            label = max(len(word) for word in column.label.split()) + 1
            width = max(width, label, min(len(column.label), 16), first_column_min if j == 0 else 0)
            sheet.set_column(j, j, min(width + 1, 60))


def write_xlsx(result: RiskResult, path: Path, prov: dict, progress=None, parts: list | None = None) -> None:
    """Write the report of ``result`` as an XLSX workbook at ``path``.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    path : Path
        The file to write.
    prov : dict
        Its :func:`~.content.provenance`.
    progress : callable, optional
        Called with a short label before each sheet.
    parts : list, optional
        :func:`~.content.report_parts` of ``result``, if already made (the XLSX
        ignores the HTML/PDF row limits: every row is written).

    Notes
    -----
    Every row of every detail table; a table longer than ``EXCEL_ROWS - 1`` rows
    continues on sheets named "(2)", "(3)", ..., each with its header row.
    """
    sheets = _Sheets(path, progress)
    sheets.progress("xlsx: Summary")
    summary = sheets.sheet(SUMMARY)
    summary.write_string(0, 0, TITLE, sheets.title)
    summary.merge_range(1, 0, 1, 9, NOTE, sheets.wrapped_note)
    summary.set_row(1, 48)
    sheets.rows[SUMMARY] = 3
    summary.set_column(0, 0, 28)
    summary.set_column(1, 11, 16)
    parts = report_parts(result) if parts is None else parts
    for part in parts:
        if part.sheet == SUMMARY:
            _stacked(sheets, part)
    _charts_block(sheets, result)  # its own sheet after Summary, as the HTML/PDF's charts follow the summary
    for part in parts:
        if part.sheet != SUMMARY:
            if part.sheet not in sheets.sheets:
                sheets.progress(f"xlsx: {part.sheet}")
            if isinstance(part, Table) and part.own_sheet:
                _own_sheets(sheets, part)
            else:
                _stacked(sheets, part)
    _provenance_sheet(sheets, prov)
    sheets.progress("xlsx: compressing the workbook")
    with _fast_zip(sheets.later, sheets.progress):
        sheets.book.close()


ZIP_LEVEL = 1  # deflate level of the workbook's parts: ~3x faster than zlib's default 6, the file ~10 % larger
_ZIP_LOCK = threading.Lock()


@contextlib.contextmanager
def _fast_zip(later=None, progress=None):
    """XlsxWriter's ZipFile with ``compresslevel=ZIP_LEVEL``, writing ``later``'s rows, while a workbook closes.

    Compressing is the largest single cost of a big workbook (about 1 GB of
    sheet XML for a million positions); :func:`.xlsx_rows.closing` swaps the
    name in XlsxWriter's module only for the ``close()``, under a lock.
    """
    with _ZIP_LOCK, closing(later, ZIP_LEVEL, progress):
        yield


def _stacked(sheets: _Sheets, part: Table | Heading) -> None:
    """A heading, or a table under its title, on a sheet holding several (rows in order: constant-memory mode)."""
    sheet = sheets.sheet(part.sheet)
    row = sheets.rows[part.sheet]
    if isinstance(part, Heading):
        sheet.write_string(row, 0, part.title, sheets.heading if part.level <= 2 else sheets.bold)
        if part.note:
            sheet.write_string(row + 1, 0, part.note, sheets.note)
            row += 1
        sheets.rows[part.sheet] = row + 1
        return
    frame = part.frame if part.xlsx_limit is None else part.frame.head(part.xlsx_limit)
    sheet.write_string(row, 0, part.title, sheets.bold)
    row += 1
    note = part.note + (f" First {len(frame):,} of {len(part.frame):,} {part.what}; all are on the detail sheets."
                        if len(frame) < len(part.frame) else "")
    if note.strip():
        sheet.write_string(row, 0, note.strip(), sheets.note)
        row += 1
    if len(part.frame.columns) and (len(frame) or not note.strip()):
        row = sheets.table(sheet, row, part, frame)
    if part.sheet != SUMMARY:
        sheets.widths(sheet, part, frame) if row < 400 else None
    sheets.rows[part.sheet] = row + 1


def _own_sheets(sheets: _Sheets, part: Table) -> None:
    """A detail table alone on its sheet(s): frozen, repeated header row, autofilter, highlights; split at EXCEL_ROWS."""
    per_sheet = EXCEL_ROWS - 1
    chunks = max(1, -(-len(part.frame) // per_sheet))
    for k in range(chunks):
        frame = part.frame.iloc[k * per_sheet:(k + 1) * per_sheet]
        name = part.sheet if k == 0 else f"{part.sheet[:25]} ({k + 1})"
        sheet = sheets.sheet(name)
        sheets.widths(sheet, part, frame)
        sheet.freeze_panes(1, 1)
        sheet.repeat_rows(0)
        end = sheets.table(sheet, 0, part, frame)
        last = len(part.columns) - 1
        sheet.autofilter(0, 0, max(end - 1, 1), last)
        names = [c.name for c in part.columns]
        for flag, fill in (("liquidated", sheets.red), ("margin_call", sheets.amber)):
            if flag in names and len(frame):
                letter = xlsxwriter.utility.xl_col_to_name(names.index(flag))
                sheet.conditional_format(1, 0, len(frame), last, {"type": "formula", "criteria": f"=${letter}2=TRUE",
                                                                  "format": fill})
        if chunks > 1:
            sheet.set_header(f"&L{part.title} — rows {k * per_sheet + 1:,} to {k * per_sheet + len(frame):,} "
                             f"of {len(part.frame):,}")


# ---------------------------------------------------------------------------
# the charts' data and the charts, on Summary below the committee's tables


def _charts_block(sheets: _Sheets, result: RiskResult) -> None:
    sheet = sheets.sheet(CHARTS)
    sheet.set_column(0, 5, 16)
    row = 0
    sheet.write_string(row, 0, "Charts and their data", sheets.heading)
    row += 2
    chart_row = 3
    for asset in result.book.settlement_assets:
        curve = value_curve(result, asset)
        part = Table(f"Book value against a joint price move [{asset}]", curve, columns_of(curve, asset))
        sheet.write_string(row, 0, part.title, sheets.bold)
        end = sheets.table(sheet, row + 1, part, curve)
        sheet.insert_chart(chart_row, CHART_COLUMN, _value_curve_chart(sheets.book, asset, curve, row + 2, end - 1))
        chart_row += CHART_ROWS
        row = end + 2
    bands, no_price = distance_histogram(result)
    part = Table("", bands, columns_of(bands))
    sheet.write_string(row, 0, f"Positions by distance to liquidation ({no_price:,} with no liquidation price)", sheets.bold)
    end = sheets.table(sheet, row + 1, part, bands)
    chart = sheets.book.add_chart({"type": "column"})
    chart.add_series({"name": "positions", "categories": [CHARTS, row + 2, 0, end - 1, 0],
                      "values": [CHARTS, row + 2, 1, end - 1, 1], "fill": {"color": "#2E86C1"}, "gap": 40})
    chart.set_title({"name": "Distance to the liquidation price"})
    chart.set_x_axis({"name": "distance to liquidation [%]"})
    chart.set_y_axis({"name": "positions", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    sheet.insert_chart(chart_row, CHART_COLUMN, chart)
    sheets.rows[CHARTS] = end + 1


def _value_curve_chart(book: xlsxwriter.Workbook, asset: str, curve: pd.DataFrame, first: int, last: int) -> Chart:
    """A scatter chart of the value curve written on Summary at rows first..last (0-based)."""
    chart = book.add_chart({"type": "scatter", "subtype": "straight"})
    x = [CHARTS, first, 0, last, 0]
    for column, label in VALUES.items():
        col = curve.columns.get_loc(column)
        chart.add_series({"name": label, "categories": x, "values": [CHARTS, first, col, last, col]})
    col = curve.columns.get_loc("liquidation_step")
    chart.add_series({"name": "more accounts liquidated", "categories": x, "values": [CHARTS, first, col, last, col],
                      "line": {"none": True}, "marker": {"type": "circle", "size": 6, "fill": {"color": "#C0392B"}}})
    chart.set_title({"name": f"Book value [{asset}] against a joint price move"})
    lowest, highest = int(curve["shock_pct"].min()), int(curve["shock_pct"].max())
    chart.set_x_axis({"name": "all prices moved together [%]", "min": lowest, "max": highest, "major_unit": 10,
                      "num_format": "0", "label_position": "low", "crossing": lowest})  # value axis on the left
    chart.set_y_axis({"name": f"value [{asset}]", "num_format": "#,##0.##", "major_gridlines": {"visible": True}})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 620, "height": 340})
    return chart


def _provenance_sheet(sheets: _Sheets, prov: dict) -> None:
    """Where the figures come from, one fact a row."""
    sheet = sheets.sheet("Provenance")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 110)
    for row, (label, text) in enumerate(provenance_rows(prov)):
        sheet.write_string(row, 0, label, sheets.bold)
        sheet.write_string(row, 1, text, sheets.wrap)
