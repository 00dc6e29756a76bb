"""The report as an XLSX workbook (XlsxWriter): every row, native numbers, native charts.

Sheets: Summary (with the value curves, the distance histogram and a native
chart of each), Accounts, Positions, Stress, Cascade, Provenance. Numbers are
written as numbers with number formats; NaN (no answer) as an empty cell, an
infinite margin ratio as ``#NUM!``; text from the input always as text, never
as a formula.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .content import (
    NEAR_LIQUIDATION_PCT,
    TITLE,
    VALUES,
    accounts_table,
    cascade_table,
    cell_kind,
    distance_histogram,
    positions_table,
    provenance_rows,
    stress_tables,
    summary_table,
    value_curve,
)

if TYPE_CHECKING:
    from xlsxwriter.chart import Chart
    from xlsxwriter.worksheet import Worksheet

    from ..review.evaluate import RiskResult

SUMMARY = "Summary"  # the sheet holding the charts' data
SUMMARY_NOTE = ("Amounts are in each account's settlement asset; empty cells have no answer (e.g. no liquidation price); "
                "#NUM! is an infinite margin ratio (the equity is gone).")
CHART_ROWS = 18  # rows between the tops of two charts on Summary
_EXCEL_FORMATS = {
    "amount": "#,##0.00######",
    "count": "#,##0",
    "ratio": "0.00%",
    "pct": '0.00" %"',
}


class _Sheets:
    """An XlsxWriter workbook with the report's cell formats, writing DataFrames as typed cells."""

    def __init__(self, path: Path):
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        self.book = xlsxwriter.Workbook(str(path), options)
        self.formats = {kind: self.book.add_format({"num_format": f}) for kind, f in _EXCEL_FORMATS.items()}
        header = {"bold": True, "bg_color": "#F0F3F6", "bottom": 1}
        self.header = self.book.add_format({**header, "text_wrap": True})
        self.shock_header = self.book.add_format({**header, "num_format": '+0" %";-0" %";0" %"'})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.bold = self.book.add_format({"bold": True})
        self.red = self.book.add_format({"bg_color": "#F5B7B1"})
        self.amber = self.book.add_format({"bg_color": "#FDE3A7"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def cell(self, sheet: Worksheet, row: int, col: int, value, kind: str) -> None:
        """One typed cell: text always as a string, NaN as an empty cell, infinity as #NUM! (as the Excel functions)."""
        if kind == "text":
            sheet.write_string(row, col, "" if pd.isna(value) else str(value))
        elif kind == "flag":
            sheet.write_boolean(row, col, bool(value))
        elif pd.isna(value):
            sheet.write_blank(row, col, None, self.formats[kind])
        elif np.isinf(value):
            sheet.write_formula(row, col, "#NUM!", self.formats[kind], "#NUM!")
        else:
            sheet.write_number(row, col, float(value), self.formats[kind])

    def frame(self, sheet: Worksheet, row: int, frame: pd.DataFrame, col: int = 0) -> int:
        """Write ``frame`` with a header row at (row, col); return the row after it."""
        for j, column in enumerate(frame.columns):
            if isinstance(column, numbers.Integral):  # a shock [%]
                sheet.write_number(row, col + j, column, self.shock_header)
            else:
                sheet.write_string(row, col + j, str(column), self.header)
        kinds = [cell_kind(c, frame[c]) for c in frame.columns]
        for i, record in enumerate(frame.itertuples(index=False), start=row + 1):
            for j, (value, kind) in enumerate(zip(record, kinds)):
                self.cell(sheet, i, col + j, value, kind)
        return row + 1 + len(frame)

    def table_sheet(self, name: str, frame: pd.DataFrame) -> Worksheet:
        """A sheet holding ``frame`` only: frozen header row, autofilter."""
        sheet = self.book.add_worksheet(name)
        self.frame(sheet, 0, frame)
        sheet.set_column(0, len(frame.columns) - 1, 14)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        return sheet

    def highlight(self, sheet: Worksheet, frame: pd.DataFrame, column: str, fill) -> None:
        """Fill the rows of ``frame`` (written by :meth:`table_sheet`) where ``column`` is TRUE."""
        if len(frame):
            letter = xl_col_to_name(frame.columns.get_loc(column))
            sheet.conditional_format(1, 0, len(frame), len(frame.columns) - 1,
                                     {"type": "formula", "criteria": f"=${letter}2=TRUE", "format": fill})


def write_xlsx(result: RiskResult, path: Path, prov: dict) -> None:
    """Write the report of ``result`` as an XLSX workbook at ``path``.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    path : Path
        The file to write.
    prov : dict
        Its :func:`~.content.provenance`.

    Notes
    -----
    Sheets Summary (with charts), Accounts, Positions, Stress, Cascade and
    Provenance; every row of every table.
    """
    sheets = _Sheets(path)
    _summary_sheet(sheets, result)
    _accounts_sheet(sheets, result)
    _positions_sheet(sheets, result)
    _stress_sheet(sheets, result)
    sheets.table_sheet("Cascade", cascade_table(result))
    _provenance_sheet(sheets, prov)
    sheets.book.close()


# ---------------------------------------------------------------------------
# Summary: the summary table, the charts' data and the charts


def _summary_sheet(sheets: _Sheets, result: RiskResult) -> None:
    """Summary table, the value-curve and histogram tables, and a native chart of each."""
    sheet = sheets.book.add_worksheet(SUMMARY)
    sheet.write_string(0, 0, TITLE, sheets.title)
    sheet.write_string(1, 0, SUMMARY_NOTE)
    row = sheets.frame(sheet, 3, summary_table(result)) + 2
    sheet.set_column(0, 7, 16)
    chart_row = 3
    for asset in result.book.settlement_assets:
        row = _value_curve_block(sheets, sheet, result, asset, row, chart_row)
        chart_row += CHART_ROWS
    _histogram_block(sheets, sheet, result, row, chart_row)


def _value_curve_block(sheets: _Sheets, sheet: Worksheet, result: RiskResult, asset: str, row: int,
                       chart_row: int) -> int:
    """One settlement asset's value curve at ``row``, its chart at ``chart_row``; return the next free row."""
    curve = value_curve(result, asset)
    sheet.write_string(row, 0, f"Book value against a joint price move [{asset}]", sheets.bold)
    end = sheets.frame(sheet, row + 1, curve)
    sheet.insert_chart(chart_row, 9, _value_curve_chart(sheets.book, asset, curve, row + 2, end - 1))
    return end + 2


def _value_curve_chart(book: xlsxwriter.Workbook, asset: str, curve: pd.DataFrame, first: int, last: int) -> Chart:
    """A scatter chart of the value curve written on Summary at rows first..last (0-based)."""
    chart = book.add_chart({"type": "scatter", "subtype": "straight"})
    x = [SUMMARY, first, 0, last, 0]
    for column, label in VALUES.items():
        col = curve.columns.get_loc(column)
        chart.add_series({"name": label, "categories": x, "values": [SUMMARY, first, col, last, col]})
    col = curve.columns.get_loc("liquidation_step")
    chart.add_series({"name": "more accounts liquidated", "categories": x, "values": [SUMMARY, first, col, last, col],
                      "line": {"none": True}, "marker": {"type": "circle", "size": 6, "fill": {"color": "#C0392B"}}})
    chart.set_title({"name": f"Book value [{asset}] against a joint price move"})
    lowest, highest = int(curve["shock_pct"].min()), int(curve["shock_pct"].max())
    chart.set_x_axis({"name": "all prices moved together [%]", "min": lowest, "max": highest, "major_unit": 10,
                      "num_format": "0", "label_position": "low", "crossing": lowest})  # value axis on the left
    chart.set_y_axis({"name": f"value [{asset}]", "num_format": "#,##0.##", "major_gridlines": {"visible": True}})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 620, "height": 340})
    return chart


def _histogram_block(sheets: _Sheets, sheet: Worksheet, result: RiskResult, row: int, chart_row: int) -> None:
    """The distance-to-liquidation bands at ``row`` and their column chart at ``chart_row``."""
    bands, no_price = distance_histogram(result)
    sheet.write_string(row, 0, f"Positions by distance to liquidation ({no_price:,} with no liquidation price)", sheets.bold)
    end = sheets.frame(sheet, row + 1, bands)
    chart = sheets.book.add_chart({"type": "column"})
    chart.add_series({"name": "positions", "categories": [SUMMARY, row + 2, 0, end - 1, 0],
                      "values": [SUMMARY, row + 2, 1, end - 1, 1], "fill": {"color": "#2E86C1"}, "gap": 40})
    chart.set_title({"name": "Distance to the liquidation price"})
    chart.set_x_axis({"name": "distance to liquidation [%]"})
    chart.set_y_axis({"name": "positions", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    sheet.insert_chart(chart_row, 9, chart)


# ---------------------------------------------------------------------------
# the other sheets


def _accounts_sheet(sheets: _Sheets, result: RiskResult) -> None:
    """All accounts; liquidated ones filled red, those in margin call amber."""
    accounts = accounts_table(result)
    sheet = sheets.table_sheet("Accounts", accounts)
    sheets.highlight(sheet, accounts, "liquidated", sheets.red)
    sheets.highlight(sheet, accounts, "margin_call", sheets.amber)


def _positions_sheet(sheets: _Sheets, result: RiskResult) -> None:
    """All positions; liquidated ones filled red, the distance to liquidation on a red-amber-green scale."""
    positions = positions_table(result)
    sheet = sheets.table_sheet("Positions", positions)
    sheets.highlight(sheet, positions, "liquidated", sheets.red)
    if len(positions):
        col = positions.columns.get_loc("distance_to_liq_pct")
        sheet.conditional_format(1, col, len(positions), col, {
            "type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
            "mid_type": "num", "mid_value": NEAR_LIQUIDATION_PCT, "mid_color": "#FFEB84",
            "max_type": "num", "max_value": 3 * NEAR_LIQUIDATION_PCT, "max_color": "#63BE7B"})


def _stress_sheet(sheets: _Sheets, result: RiskResult) -> None:
    """The stress tables one under the other, grouped by settlement asset."""
    sheet = sheets.book.add_worksheet("Stress")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 20, 12)
    row, previous = 0, None
    for asset, title, table in stress_tables(result):
        if asset != previous:
            sheet.write_string(row, 0, f"Settled in {asset}", sheets.title)
            row, previous = row + 1, asset
        sheet.write_string(row, 0, title, sheets.bold)
        row = sheets.frame(sheet, row + 1, table) + 1


def _provenance_sheet(sheets: _Sheets, prov: dict) -> None:
    """Where the figures come from, one fact a row."""
    sheet = sheets.book.add_worksheet("Provenance")
    for row, (label, text) in enumerate(provenance_rows(prov)):
        sheet.write_string(row, 0, label, sheets.bold)
        sheet.write_string(row, 1, text, sheets.wrap)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
