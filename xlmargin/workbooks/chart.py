"""The chart of a template: account value against one price, under isolated and cross margin.

Its data block sits right of the print area (from N5) and is formulas too, so
the chart follows the inputs: the positions copied from the table, a grid of
:data:`GRID_POINTS` prices from ``low`` to ``high`` times the varied position's
entry, the account value under each margin mode at every price, and the two
liquidation prices as points on the price axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlsxwriter.utility import xl_rowcol_to_cell

from .model import AMOUNT, PRICE, cross_value_formula, isolated_value_formula, position_cells

if TYPE_CHECKING:
    from .writer import Page

GRID_POINTS = 41
DATA_COLUMN, DATA_ROW = 13, 4  # the chart data from N5
FIELDS = ("side", "size", "entry", "margin", "mmr")  # copied from the positions table; marks follow the grid
GRID_HEADER_ROW = DATA_ROW + len(FIELDS) + 2
MARKER_ROW = GRID_HEADER_ROW + GRID_POINTS + 2
ISO_COLOUR, CROSS_COLOUR = "#2F5597", "#C55A11"


def write_chart(page: Page, chart_row: int) -> None:
    """Write the chart data of ``page``'s template and insert its chart at ``chart_row``, column A."""
    page.sheet.write(DATA_ROW, DATA_COLUMN, f"Chart data: account value by {page.template.chart.price_input} (formulas; do not edit)",
                     page.styles.header)
    fields = _write_positions_copy(page)
    _write_price_grid(page, fields)
    _write_liquidation_points(page)
    _insert_chart(page, chart_row)


def _position_refs(row: int, count: int, absolute: bool) -> list[str]:
    """References into one row of the chart data: [every position, the first one, the others]."""
    cell = lambda col: xl_rowcol_to_cell(row, col, absolute, absolute)  # noqa: E731
    first, last = cell(DATA_COLUMN + 1), cell(DATA_COLUMN + count)
    return [f"{first}:{last}", first, f"{cell(DATA_COLUMN + 2)}:{last}"]


def _write_positions_copy(page: Page) -> dict[str, list[str]]:
    """One row per field of :data:`FIELDS`, one column per position; returns each row's references."""
    count = len(page.template.positions)
    fields = {}
    for n, name in enumerate(FIELDS):
        row = DATA_ROW + 1 + n
        page.sheet.write(row, DATA_COLUMN, name, page.styles.unit)
        for j in range(count):
            page.formula(row, DATA_COLUMN + 1 + j, f"={position_cells(name, j)}", page.styles.cell("helper", "General"))
        fields[name] = _position_refs(row, count, absolute=True)
    return fields


def _write_price_grid(page: Page, fields: dict[str, list[str]]) -> None:
    """The grid: each row a price, every position's mark at it, and the account value in both modes."""
    template, chart, count = page.template, page.template.chart, len(page.template.positions)
    labels = ["price", *(f"mark {p.label}" for p in template.positions), chart.iso_label, chart.cross_label]
    for c, text in enumerate(labels):
        page.sheet.write(GRID_HEADER_ROW, DATA_COLUMN + c, text, page.styles.header)
    entry_of_varied = xl_rowcol_to_cell(DATA_ROW + 1 + FIELDS.index("entry"), DATA_COLUMN + 1 + chart.varied, True, True)
    step = (chart.high - chart.low) / (GRID_POINTS - 1)
    for i in range(GRID_POINTS):
        row = GRID_HEADER_ROW + 1 + i
        page.formula(row, DATA_COLUMN, f"={entry_of_varied}*{chart.low + i * step:.6g}", page.styles.cell("helper", PRICE))
        for j in range(count):
            mark = xl_rowcol_to_cell(row, DATA_COLUMN, False, True) if j == chart.varied else position_cells("mark", j)
            page.formula(row, DATA_COLUMN + 1 + j, f"={mark}", page.styles.cell("helper", PRICE))
        refs = fields | {"mark": _position_refs(row, count, absolute=False)}
        iso, cross = _account_values(template, refs)
        page.formula(row, DATA_COLUMN + count + 1, f"={iso}", page.styles.cell("helper", AMOUNT))
        page.formula(row, DATA_COLUMN + count + 2, f"={cross}", page.styles.cell("helper", AMOUNT))


def _account_values(template, refs: dict[str, list[str]]) -> tuple[str, str]:
    """The isolated and cross account-value formulas of one grid row: the chart's own, or the defaults."""
    chart = template.chart
    every = {name: r[0] for name, r in refs.items()}
    if chart.iso_formula:
        iso = chart.iso_formula(refs)
    else:
        iso = isolated_value_formula(template.free, *(every[f] for f in ("side", "size", "entry", "mark", "margin", "mmr")),
                                     template.contract)
    if chart.cross_formula:
        cross = chart.cross_formula(refs)
    else:
        cross = cross_value_formula(template.wallet, *(every[f] for f in ("side", "size", "entry", "mark", "mmr")), template.contract)
    return iso, cross


def _write_liquidation_points(page: Page) -> None:
    """The two liquidation prices, each at account value 0."""
    chart = page.template.chart
    page.sheet.write(MARKER_ROW, DATA_COLUMN, "liquidation points", page.styles.header)
    for n, name in enumerate((chart.iso_marker, chart.cross_marker)):
        row = MARKER_ROW + 1 + n
        page.formula(row, DATA_COLUMN, f"={name}", page.styles.cell("helper", PRICE))
        page.sheet.write_number(row, DATA_COLUMN + 1, 0, page.styles.cell("helper", AMOUNT))


def _insert_chart(page: Page, chart_row: int) -> None:
    """A scatter chart of the grid's two account-value columns and the two liquidation points."""
    template, chart, count = page.template, page.template.chart, len(page.template.positions)
    plot = page.book.add_chart({"type": "scatter", "subtype": "straight"})
    first, last, key = GRID_HEADER_ROW + 1, GRID_HEADER_ROW + GRID_POINTS, template.key
    for offset, label, colour in ((count + 1, chart.iso_label, ISO_COLOUR), (count + 2, chart.cross_label, CROSS_COLOUR)):
        plot.add_series({
            "name": label,
            "categories": [key, first, DATA_COLUMN, last, DATA_COLUMN],
            "values": [key, first, DATA_COLUMN + offset, last, DATA_COLUMN + offset],
            "line": {"color": colour, "width": 2.25},
        })
    for n, (label, colour) in enumerate(((chart.iso_label, ISO_COLOUR), (chart.cross_label, CROSS_COLOUR))):
        row = MARKER_ROW + 1 + n
        plot.add_series({
            "name": f"liquidation, {label}",
            "categories": [key, row, DATA_COLUMN, row, DATA_COLUMN],
            "values": [key, row, DATA_COLUMN + 1, row, DATA_COLUMN + 1],
            "line": {"none": True},
            "marker": {"type": "diamond", "size": 9, "fill": {"color": colour}, "border": {"color": "#000000"}},
        })
    price = chart.price_input.replace("_", " ").lower()
    price_unit = chart.unit if template.contract == "linear" else "USD"
    plot.set_title({"name": f"Account value against {price}", "name_font": {"size": 12}})
    plot.set_x_axis({"name": f"{price} [{price_unit}]", "num_format": "#,##0",
                     "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    plot.set_y_axis({"name": f"account value [{chart.unit}]", "num_format": "#,##0.00"})
    plot.set_legend({"position": "bottom"})
    plot.set_size({"width": 760, "height": 340})
    page.sheet.insert_chart(chart_row, 0, plot)
