"""The XLSX report's Charts sheet: each value curve and the distance histogram as a table, a native chart beside each.

The sheet follows Summary, as the charts follow the summary in HTML and PDF.
Each table starts a printed page when it would straddle one, its chart at its
side, so that a chart is printed with its figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .chart_data import distance_histogram, value_curve
from .columns import columns_of
from .content import VALUES, Table
from .xlsx_layout import LINE_PT, column_px

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.chart import Chart

    from ..review.evaluate import RiskResult

CHARTS = "Charts"  # the sheet holding the charts and their data
CHART_ROWS = 18  # rows a chart covers (340 px)
CHART_COLUMN = 7  # charts sit right of their data
CHART_PX = 620  # the width of a chart [px]


def _chart_tables(result: RiskResult) -> tuple[list[tuple[str, Table]], int]:
    """The Charts sheet's tables with readable headers: each value curve, then the distance histogram."""
    tables = []
    for asset in result.book.settlement_assets:
        curve = value_curve(result, asset)
        columns = columns_of(curve, asset)
        for column in columns:
            if column.name in VALUES:
                column.label = f"Value, {VALUES[column.name]} [{asset}]"
            elif column.name == "liquidation_step":
                column.label = f"Value where more accounts are liquidated [{asset}]"
        tables.append((asset, Table(f"Book value against a joint price move [{asset}]", curve, columns)))
    bands, no_price = distance_histogram(result)
    columns = columns_of(bands)
    columns[0].label, columns[1].label = "Distance to liquidation [%]", "Positions"
    title = f"Positions by distance to liquidation ({no_price:,} with no liquidation price)"
    tables.append(("", Table(title, bands, columns)))
    return tables, no_price


def charts_sheet(sheets, result: RiskResult) -> None:
    """The value curves and the distance histogram, each table with its chart beside it, a page each when they need it."""
    sheet = sheets.sheet(CHARTS)
    tables, _ = _chart_tables(result)
    sheets.fit(CHARTS, [(t, 0, None) for _, t in tables])
    sheets.extra_px[CHARTS] = CHART_PX + column_px(8.43) * (CHART_COLUMN - len(sheets.widths[CHARTS]))
    blocks = [LINE_PT * (2 + len(t.frame)) + sheets.header_height(CHARTS, t) for _, t in tables]
    sheets.print_scale(CHARTS, max(blocks, default=0.0) + 2 * LINE_PT)  # a value curve's ~50 rows, header, chart: one page
    sheet.write_string(0, 0, "Charts and their data", sheets.heading)
    row = 2
    sheets.used_pt[CHARTS] = 2 * LINE_PT
    for (asset, part), block in zip(tables, blocks):
        frame = part.frame
        sheets.keep(CHARTS, row, block)
        sheet.write_string(row, 0, part.title, sheets.bold)
        end = sheets.table(CHARTS, row + 1, part)
        if asset:
            chart = _value_curve_chart(sheets.book, asset, frame, row + 2, end - 1)
        else:
            chart = sheets.book.add_chart({"type": "column"})
            chart.add_series({"name": "positions", "categories": [CHARTS, row + 2, 0, end - 1, 0],
                              "values": [CHARTS, row + 2, 1, end - 1, 1], "fill": {"color": "#2E86C1"}, "gap": 40})
            chart.set_title({"name": "Distance to the liquidation price"})
            chart.set_x_axis({"name": "distance to liquidation [%]"})
            chart.set_y_axis({"name": "positions", "min": 0, "major_gridlines": {"visible": True}})
            chart.set_legend({"none": True})
            chart.set_size({"width": CHART_PX, "height": 340})
        sheet.insert_chart(row + 1, CHART_COLUMN, chart)  # beside its data, on the same page
        row = max(end, row + 1 + CHART_ROWS) + 1
    sheets.rows[CHARTS] = row


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
    chart.set_size({"width": CHART_PX, "height": 340})
    return chart
