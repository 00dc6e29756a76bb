"""The chart of a template: values against one price, each line computed like the output cells.

Its data block sits right of the print area (from column :data:`DATA_COLUMN`)
and is formulas too, so the chart follows the inputs:

- a pool of prices: :data:`GRID_POINTS` from ``low`` to ``high`` times the
  varied position's entry, each liquidation price with a point a hair on its
  alive side (so the line drops straight down there), and the current price;
- the pool sorted (``SMALL``), and every line's value at each sorted price, from
  the same formulas (:class:`~.model.Leg`) and the same cells as the outputs;
- each liquidation point at its price, on its line; the current price as a
  vertical line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlsxwriter.utility import xl_rowcol_to_cell

from .model import AMOUNT, PRICE, position_cells

if TYPE_CHECKING:
    from .writer import Page

GRID_POINTS = 31
DATA_COLUMN, DATA_ROW = 16, 4  # the chart data from Q5
NUDGE = 1e-7  # the alive side of a liquidation price: this share of the way back to the entry
NOW_COLOUR = "#404040"


def layout(template) -> dict[str, int]:
    """Rows and columns of the chart data block: where the tests and the chart read it."""
    markers = [s for s in template.chart.series if s.marker]
    pool = GRID_POINTS + 2 * len(markers) + 1
    first = DATA_ROW + 4
    return {"bounds": DATA_ROW + 1, "header": first - 1, "first": first, "last": first + pool - 1,
            "marker_header": first + pool + 1, "markers": len(markers), "now_header": first + pool + 2 + len(markers) + 1,
            "pool_col": DATA_COLUMN, "price_col": DATA_COLUMN + 1, "series_col": DATA_COLUMN + 2}


def write_chart(page: Page, chart_row: int) -> None:
    """Write the chart data of ``page``'s template and insert its chart at ``chart_row``, column A."""
    chart = page.template.chart
    at = layout(page.template)
    helper = lambda fmt: page.styles.cell("helper", fmt)  # noqa: E731
    sheet, col = page.sheet, DATA_COLUMN
    sheet.write(DATA_ROW, col, f"Chart data: values by {chart.price_label} (formulas; do not edit)", page.styles.header)
    entry = position_cells("entry", chart.varied)
    low, high = (xl_rowcol_to_cell(at["bounds"], col + 1 + k, True, True) for k in (0, 1))
    sheet.write(at["bounds"] - 0, col, "grid from, to", page.styles.unit)
    page.formula(at["bounds"], col + 1, f"={entry}*{chart.low}", helper(PRICE))
    page.formula(at["bounds"], col + 2, f"={entry}*{chart.high}", helper(PRICE))

    for c, text in enumerate(("price points", "price", *(s.label for s in chart.series))):
        sheet.write(at["header"], col + c, text, page.styles.header)
    pool = [f"={low}+({high}-{low})*{k}/{GRID_POINTS - 1}" for k in range(GRID_POINTS)]
    inside = lambda x: f"AND(ISNUMBER({x}),{x}>={low},{x}<={high})"  # noqa: E731
    for s in chart.series:
        if s.marker:
            pool.append(f"=IF({inside(s.marker)},{s.marker},{low})")
            pool.append(f"=IF({inside(s.marker)},{s.marker}+({entry}-{s.marker})*{NUDGE},{low})")
    pool.append(f"={chart.price_input}")
    pool_range = f"{xl_rowcol_to_cell(at['first'], col, True, True)}:{xl_rowcol_to_cell(at['last'], col, True, True)}"
    for k, formula in enumerate(pool):
        row = at["first"] + k
        page.formula(row, col, formula, helper(PRICE))
        page.formula(row, col + 1, f"=SMALL({pool_range},{k + 1})", helper(PRICE))
        x = xl_rowcol_to_cell(row, col + 1, False, True)
        for j, s in enumerate(chart.series):
            page.formula(row, col + 2 + j, f"={s.value(x)}", helper(AMOUNT))

    sheet.write(at["marker_header"], col + 1, "liquidation points: price, value", page.styles.header)
    for n, s in enumerate(m for m in chart.series if m.marker):
        row = at["marker_header"] + 1 + n
        sheet.write(row, col, s.label, page.styles.unit)
        page.formula(row, col + 1, f"=IF({inside(s.marker)},{s.marker},NA())", helper(PRICE))
        x = xl_rowcol_to_cell(row, col + 1, False, True)
        page.formula(row, col + 2, f"={(s.marker_value or s.value)(x)}", helper(AMOUNT))

    values = f"{xl_rowcol_to_cell(at['first'], col + 2, True, True)}:{xl_rowcol_to_cell(at['last'], col + 1 + len(chart.series), True, True)}"
    sheet.write(at["now_header"], col + 1, "the current price: a vertical line", page.styles.header)
    for n, end in enumerate(("MIN", "MAX")):
        page.formula(at["now_header"] + 1 + n, col + 1, f"={chart.price_input}", helper(PRICE))
        page.formula(at["now_header"] + 1 + n, col + 2, f"={end}({values})", helper(AMOUNT))
    _insert_chart(page, chart_row, at)


def _insert_chart(page: Page, chart_row: int, at: dict[str, int]) -> None:
    """A scatter chart of the lines, their liquidation points and the current price."""
    template, chart, key = page.template, page.template.chart, page.template.key
    plot = page.book.add_chart({"type": "scatter", "subtype": "straight"})
    price = [key, at["first"], at["price_col"], at["last"], at["price_col"]]
    for j, s in enumerate(chart.series):
        line = {"color": s.colour, "width": 2.25}
        if s.dash:
            line["dash_type"] = "dash"
        plot.add_series({"name": s.label, "categories": price,
                         "values": [key, at["first"], at["series_col"] + j, at["last"], at["series_col"] + j], "line": line})
    for n, s in enumerate(m for m in chart.series if m.marker):
        row = at["marker_header"] + 1 + n
        plot.add_series({
            "name": s.marker_label or f"liquidated: {s.label.split(':')[0].lower()}",
            "categories": [key, row, at["price_col"], row, at["price_col"]],
            "values": [key, row, at["series_col"], row, at["series_col"]],
            "line": {"none": True},
            "marker": {"type": "diamond", "size": 10, "fill": {"color": s.colour}, "border": {"color": "#000000"}},
        })
    now = at["now_header"] + 1
    plot.add_series({
        "name": "current price", "categories": [key, now, at["price_col"], now + 1, at["price_col"]],
        "values": [key, now, at["series_col"], now + 1, at["series_col"]],
        "line": {"color": NOW_COLOUR, "width": 1.25, "dash_type": "round_dot"}, "marker": {"type": "none"},
    })
    price_unit = "USD" if template.contract == "inverse" else chart.unit
    plot.set_title({"name": chart.title or f"{chart.y_title} against {chart.price_label}", "name_font": {"size": 12}})
    plot.set_x_axis({"name": f"{chart.price_label} [{price_unit}]", "num_format": "#,##0",
                     "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    plot.set_y_axis({"name": f"{chart.y_title} [{chart.unit}]", "num_format": "#,##0.00" if chart.unit == "BTC" else "#,##0",
                     "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    plot.set_legend({"position": "bottom"})
    plot.set_size({"width": 900, "height": 400})
    page.sheet.insert_chart(chart_row, 0, plot)
