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

from .columns import Column, excel_format
from .content import (
    NOTE,
    TITLE,
    Heading,
    Table,
    report_parts,
)
from .provenance import provenance_rows
from .xlsx_charts import charts_sheet
from .xlsx_layout import (
    LINE_PT,
    NUMBER_PADDING,
    column_px,
    fitted_px,
    header_lines,
    page_height_pt,
    print_scale,
    wrap,
)
from .xlsx_rows import Later, closing, write_rows

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from ..review.evaluate import RiskResult

SUMMARY = "Summary"
EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header row included
PROVENANCE_PX = 780  # the width of the Provenance sheet's text column [px]


class _Sheets:
    """An XlsxWriter workbook with the report's cell formats, writing tables as typed cells.

    Column widths are fixed per sheet before its first row (:meth:`fit`), so
    that each header row can be given the height of its wrapped headers as it
    is written (constant-memory mode writes rows in order). On sheets holding
    several tables a table that would straddle a page starts a new one.
    """

    def __init__(self, path: Path, progress=None):
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                   "constant_memory": True}
        self.book = xlsxwriter.Workbook(str(path), options)
        self._formats: dict[str, object] = {}
        header = {"bold": True, "bg_color": "#F0F3F6", "bottom": 1, "text_wrap": True, "valign": "top"}
        self.header = self.book.add_format(header)
        self.number_header = self.book.add_format({**header, "align": "right", "num_format": "@_" + NUMBER_PADDING})  # flush with its numbers
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.heading = self.book.add_format({"bold": True, "font_size": 12})
        self.bold = self.book.add_format({"bold": True})
        self.label = self.book.add_format({"bold": True, "valign": "top"})
        self.note = self.book.add_format({"italic": True, "font_color": "#666666"})
        self.wrapped_note = self.book.add_format({"italic": True, "font_color": "#666666", "text_wrap": True, "valign": "top"})
        self.red = self.book.add_format({"bg_color": "#F5B7B1"})
        self.amber = self.book.add_format({"bg_color": "#FDE3A7"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.sheets: dict[str, Worksheet] = {}
        self.rows: dict[str, int] = {}
        self.widths: dict[str, list[int]] = {}  # per sheet, each column's width [px]
        self.extra_px: dict[str, int] = {}  # room a sheet's charts take right of its columns [px]
        self.used_pt: dict[str, float] = {}  # height printed on the sheet's current page so far [pt]
        self.breaks: dict[str, list[int]] = {}  # rows that start a printed page
        self.asset_seen = False  # a settlement asset's summary is on the Summary sheet
        self.progress = progress or (lambda label: None)
        self.later = Later()  # the tables' rows, written into the file as it is compressed (xlsx_rows)
        self.scale: dict[str, float] = {}  # sheets printed at a scale of their own, not fitted to the width

    def fmt(self, column: Column, decimals: int | None = None):
        key = excel_format(column, decimals) + "_" + NUMBER_PADDING  # the HTML's precision, kept off the text to its right
        if key not in self._formats:
            self._formats[key] = self.book.add_format({"num_format": key})
        return self._formats[key]

    def row_formats(self, column: Column, symbols: tuple[np.ndarray, pd.Index]):
        """A price column's cell formats: ``(code per row, formats)``, each row's its instrument's decimals.

        ``symbols``: the table's ``pd.factorize`` of its symbol column (made once for all its price columns).
        """
        codes, found = symbols  # a missing symbol (-1): the column's own format, last
        decimals = [column.decimals_of(str(symbol)) for symbol in found] + [column.decimals]
        return np.where(codes < 0, len(found), codes), [self.fmt(column, d) for d in decimals]

    def sheet(self, name: str) -> Worksheet:
        """Sheet ``name``, made at its first use: A4 landscape, fitted to the width (or :meth:`print_scale`)."""
        if name not in self.sheets:
            sheet = self.book.add_worksheet(name[:31])
            sheet.set_landscape()
            sheet.set_paper(9)  # A4
            sheet.fit_to_pages(1, 0)  # fit to the width, as many pages down as needed
            sheet.set_margins(0.4, 0.4, 0.5, 0.5)
            sheet.set_footer("&L&A&RPage &P of &N")
            self.sheets[name] = sheet
            self.rows[name] = 0
            self.used_pt[name] = 0.0
            self.breaks[name] = []
        return self.sheets[name]

    def fit(self, name: str, tables: list[tuple[Table, int, int | None]], least: dict[int, int] | None = None) -> None:
        """Set the columns of sheet ``name`` to fit ``least`` [px] and every one of ``tables`` (a table, its rows from, to)."""
        widths = dict(least or {})
        for part, start, stop in tables:
            positions = part.positions(start, stop)
            for j, column in enumerate(part.columns):
                if column.name not in part.frame.columns:
                    values = pd.Series(dtype=object)
                else:
                    values = part.frame[column.name] if positions is None else part.frame[column.name].iloc[positions]
                widths[j] = max(widths.get(j, 0), fitted_px(column, values))
        sheet = self.sheet(name)
        for j, px in sorted(widths.items()):
            sheet.set_column_pixels(j, j, px)
        self.widths[name] = [widths.get(j, column_px(8.43)) for j in range(max(widths, default=-1) + 1)]

    def print_scale(self, name: str, tallest_pt: float) -> None:
        """Print sheet ``name`` (its columns fitted) at the scale where its ``tallest_pt`` block fills a page's height."""
        percent = print_scale(sum(self.widths.get(name, [])) + self.extra_px.get(name, 0), tallest_pt)
        self.sheets[name].set_print_scale(percent)  # (XlsxWriter turns "fit to the width" off)
        self.scale[name] = percent / 100

    def span_px(self, name: str, columns: int) -> int:
        """The width of the first ``columns`` columns of sheet ``name`` [px]."""
        widths = self.widths.get(name, [])
        return sum(widths[:columns]) + column_px(8.43) * max(0, columns - len(widths))

    def keep(self, name: str, row: int, height_pt: float) -> None:
        """Start a new printed page at ``row`` if a block ``height_pt`` high would straddle the page break.

        A block taller than a page starts a page of its own unless the page is
        still more than half empty.
        """
        page = page_height_pt(sum(self.widths.get(name, [])) + self.extra_px.get(name, 0), self.scale.get(name))
        used = self.used_pt[name]
        if used > 0 and used + height_pt > page and (height_pt <= page or used > page / 2):
            self.breaks[name].append(row)
            used = 0.0
        self.used_pt[name] = (used + height_pt) % page

    def new_page(self, name: str, row: int) -> None:
        if self.used_pt[name] > 0:
            self.breaks[name].append(row)
        self.used_pt[name] = 0.0

    def note_rows(self, name: str, row: int, text: str, columns: int) -> float:
        """Write ``text`` wrapped across the first ``columns`` columns of ``row``; return the row's height [pt]."""
        sheet = self.sheet(name)
        px = self.span_px(name, max(columns, 1))
        height = LINE_PT * len(wrap(text, px))
        if columns > 1:
            sheet.merge_range(row, 0, row, columns - 1, text, self.wrapped_note)
        else:
            sheet.write_string(row, 0, text, self.wrapped_note)
        sheet.set_row(row, height)
        return height

    def header_height(self, name: str, part: Table) -> float:
        widths = self.widths.get(name) or [fitted_px(c, pd.Series(dtype=object)) for c in part.columns]
        return LINE_PT * header_lines(part.columns, widths)

    def table(self, name: str, row: int, part: Table, start: int = 0, stop: int | None = None) -> int:
        """Write rows ``start`` to ``stop`` of ``part`` under a header row at ``row`` of sheet ``name``; return the row after it."""
        sheet = self.sheet(name)
        sheet.set_row(row, self.header_height(name, part))  # every wrapped header seen whole
        for j, column in enumerate(part.columns):
            sheet.write_string(row, j, column.label, self.header if column.kind in ("text", "flag") else self.number_header)
        positions, frame = part.positions(start, stop), part.frame
        symbols = None  # the symbol column, factorized once for every price column of the table
        columns = []
        for column in part.columns:
            values = frame[column.name]
            if column.kind == "text":
                columns.append(("text", values, None))  # each value's text, a missing one empty
            elif column.kind == "flag":  # the words of the HTML and PDF, not TRUE/FALSE
                words = pd.Categorical.from_codes(values.astype(bool).to_numpy().astype(np.int8), ["no", "yes"])
                columns.append(("text", pd.Series(words), None))
            elif column.by_symbol is not None and "symbol" in frame.columns:  # each instrument's decimals
                symbols = pd.factorize(frame["symbol"]) if symbols is None else symbols
                columns.append(("number", values.to_numpy(dtype=float), self.row_formats(column, symbols)))
            else:
                columns.append(("number", values.to_numpy(dtype=float), self.fmt(column)))
        rows = len(frame) if positions is None else len(positions)
        return write_rows(sheet, row + 1, columns, self.later, positions) if rows else row + 1

    def close(self) -> None:
        for name, rows in self.breaks.items():
            if rows:
                self.sheets[name].set_h_pagebreaks(rows)
        with _fast_zip(self.later, self.progress):
            self.book.close()


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
    parts = report_parts(result) if parts is None else parts
    sheets.progress("xlsx: Summary")
    summary = sheets.sheet(SUMMARY)
    _fit_stacked(sheets, SUMMARY, parts)
    summary.write_string(0, 0, TITLE, sheets.title)
    sheets.used_pt[SUMMARY] = 2 * LINE_PT + sheets.note_rows(SUMMARY, 1, NOTE, max(len(sheets.widths[SUMMARY]), 6))
    sheets.rows[SUMMARY] = 3
    for part in parts:
        if part.sheet == SUMMARY:
            _stacked(sheets, part)
    charts_sheet(sheets, result)  # its own sheet after Summary, as the HTML/PDF's charts follow the summary
    for part in parts:
        if part.sheet != SUMMARY:
            if part.sheet not in sheets.sheets:
                sheets.progress(f"xlsx: {part.sheet}")
            if isinstance(part, Table) and part.own_sheet:
                _own_sheets(sheets, part)
            else:
                if part.sheet not in sheets.sheets:
                    _fit_stacked(sheets, part.sheet, parts)
                _stacked(sheets, part)
    _provenance_sheet(sheets, prov)
    sheets.progress("xlsx: compressing the workbook")
    sheets.close()


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


def _shown(part: Table) -> int:
    """How many rows of ``part`` its XLSX sheet holds (the first)."""
    return part.n_rows if part.xlsx_limit is None else min(part.n_rows, part.xlsx_limit)


def _fit_stacked(sheets: _Sheets, name: str, parts: list) -> None:
    """The columns of a sheet holding several tables: each as wide as the widest it holds of all of them."""
    tables = [(p, 0, _shown(p)) for p in parts if isinstance(p, Table) and p.sheet == name and not p.own_sheet]
    sheets.fit(name, tables)


def _stacked(sheets: _Sheets, part: Table | Heading) -> None:
    """A heading, or a table under its title, on a sheet holding several (rows in order: constant-memory mode)."""
    name = part.sheet
    sheet = sheets.sheet(name)
    row = sheets.rows[name]
    width = len(sheets.widths.get(name, []))
    if isinstance(part, Heading):
        if name == SUMMARY and part.level <= 2:
            if sheets.asset_seen:
                sheets.new_page(name, row)  # each settlement asset's summary after the first starts a page
            sheets.asset_seen = True
        start, height = row, LINE_PT
        sheet.write_string(row, 0, part.title, sheets.heading if part.level <= 2 else sheets.bold)
        if part.note:
            height += sheets.note_rows(name, row + 1, part.note, width)
            row += 1
        sheets.keep(name, start, height + 3 * LINE_PT)  # with the first lines of what follows
        sheets.used_pt[name] -= 3 * LINE_PT
        sheets.rows[name] = row + 1
        return
    shown = _shown(part)
    note = part.note + (f" First {shown:,} of {part.n_rows:,} {part.what}; all are on the detail sheets."
                        if shown < part.n_rows else "")
    has_table = bool(len(part.frame.columns) and (shown or not note.strip()))
    block = LINE_PT * (2 + shown + (len(wrap(note.strip(), sheets.span_px(name, width))) if note.strip() else 0))
    sheets.keep(name, row, block + (sheets.header_height(name, part) if has_table else 0))
    sheet.write_string(row, 0, part.title, sheets.bold)
    row += 1
    if note.strip():
        sheets.note_rows(name, row, note.strip(), width)
        row += 1
    if has_table:
        row = sheets.table(name, row, part, 0, shown)
    sheets.rows[name] = row + 1


def _own_sheets(sheets: _Sheets, part: Table) -> None:
    """A detail table alone on its sheet(s): frozen, repeated header row, autofilter, highlights; split at EXCEL_ROWS."""
    per_sheet = EXCEL_ROWS - 1
    chunks = max(1, -(-part.n_rows // per_sheet))
    for k in range(chunks):
        start, stop = k * per_sheet, min((k + 1) * per_sheet, part.n_rows)
        rows = stop - start
        name = part.sheet if k == 0 else f"{part.sheet[:25]} ({k + 1})"
        sheet = sheets.sheet(name)
        sheets.fit(name, [(part, start, stop)])
        sheet.freeze_panes(1, 1)
        sheet.repeat_rows(0)
        end = sheets.table(name, 0, part, start, stop)
        last = len(part.columns) - 1
        sheet.autofilter(0, 0, max(end - 1, 1), last)
        names = [c.name for c in part.columns]
        for flag, fill in (("liquidated", sheets.red), ("margin_call", sheets.amber)):
            if flag in names and rows:
                letter = xlsxwriter.utility.xl_col_to_name(names.index(flag))
                sheet.conditional_format(1, 0, rows, last, {"type": "formula", "criteria": f'=${letter}2="yes"',
                                                                  "format": fill})
        if chunks > 1:
            sheet.set_header(f"&L{part.title} — rows {start + 1:,} to {stop:,} of {part.n_rows:,}")


def _provenance_sheet(sheets: _Sheets, prov: dict) -> None:
    """Where the figures come from, one fact a row, each row as tall as its wrapped text."""
    name = "Provenance"
    sheet = sheets.sheet(name)
    rows = provenance_rows(prov)
    labels = pd.Series([label for label, _ in rows], dtype=object)
    sheets.fit(name, [], {0: fitted_px(Column("label", "", "text"), labels), 1: PROVENANCE_PX})
    for row, (label, text) in enumerate(rows):
        sheet.set_row(row, LINE_PT * len(wrap(text, PROVENANCE_PX)))
        sheet.write_string(row, 0, label, sheets.label)
        sheet.write_string(row, 1, text, sheets.wrap)
