"""One writer: any :class:`~.model.Template` to an .xlsx file, with XlsxWriter.

The sheet is laid out the same way for every template: the title and lesson,
the inputs (yellow, validated), the outputs (green formulas), statuses coloured
by conditional formatting, the positions table, the chart with its data (see
:mod:`.chart`), and a README sheet listing every defined name. File properties
are fixed, so writing the same template twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from .chart import write_chart
from .model import AMOUNT, POSITION_COLUMNS, POSITION_ROW, PRICE, RATE, SIDES, SIZE, Item, Template

FIXED_DATE = dt.datetime(2026, 1, 1)  # file properties fixed, so a rebuild gives the same bytes
STATUS_COLOURS = (("LIQUIDATED", "#F8CBAD"), ("MARGIN CALL", "#FFE699"), ("ok", "#C6EFCE"))
INPUTS_ROW = 4  # the "Inputs" header; the positions table sits beside the inputs, from column E


class Styles:
    """The cell formats of a workbook; a cell's format made once per (kind, number format)."""

    def __init__(self, book: xlsxwriter.Workbook):
        add = book.add_format
        self.title = add({"bold": True, "font_size": 16, "font_color": "#1F3864"})
        self.lesson = add({"italic": True, "text_wrap": True, "valign": "top", "font_color": "#404040"})
        self.header = add({"bold": True, "bottom": 1, "font_color": "#1F3864"})
        self.label = add({})
        self.unit = add({"font_color": "#808080"})
        self.note = add({"font_color": "#808080", "italic": True})
        self._cache: dict[tuple[str, str], Any] = {}
        self._book = book

    def cell(self, kind: str, number_format: str) -> Any:
        """The format of an ``"input"``, ``"output"`` or ``"helper"`` cell with ``number_format``."""
        key = (kind, number_format)
        if key not in self._cache:
            spec = {"num_format": number_format, "border": 1, "border_color": "#BFBFBF"}
            if kind == "input":
                spec.update(bg_color="#FFF2CC", font_color="#1F4E79")
            elif kind == "output":
                spec.update(bg_color="#E2EFDA", bold=True)
            else:
                spec.update(font_color="#595959")
            self._cache[key] = self._book.add_format(spec)
        return self._cache[key]


def new_workbook(path: Path, title: str) -> xlsxwriter.Workbook:
    """An XlsxWriter workbook at ``path`` with xlmargin's fixed file properties."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": title, "author": "xlmargin", "created": FIXED_DATE})
    return book


def write_via_xlsx_name(tmp: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on ``tmp`` renamed to end in .xlsx (XlsxWriter insists), then move it back."""
    final = tmp.with_suffix(".xlsx")
    write(final)
    final.replace(tmp)


@dataclass
class Page:
    """The main sheet of one template being written, and what every writing step shares."""

    template: Template
    book: Any
    sheet: Any
    styles: Styles
    cached: dict[tuple[str, str], Any]
    names: list[dict] = field(default_factory=list)  # the README's rows, one per defined name

    def __post_init__(self) -> None:
        self._defined = {item.name for item in self.template.inputs + self.template.outputs}

    def formula(self, row: int, col: int, text: str, fmt: Any) -> None:
        """Write a formula with its cached value (0 when none is known).

        A formula must not call a function that shares its name with a defined name: some
        spreadsheet programs would read the name, not the function.
        """
        shadowed = set(re.findall(r"([A-Z_][A-Z0-9_]*)\(", text)) & self._defined
        if shadowed:
            raise ValueError(f"{self.template.key}: {', '.join(shadowed)} is both a defined name and a function in {text}")
        self.sheet.write_formula(row, col, text, fmt, self.cached.get((self.template.key, xl_rowcol_to_cell(row, col)), 0))

    def define(self, row: int, col: int, item: Item, kind: str) -> None:
        """Give the cell the item's defined name and list it for the README."""
        key = self.template.key
        self.book.define_name(item.name, f"={key}!{xl_rowcol_to_cell(row, col, True, True)}")
        self.names.append({"name": item.name, "cell": f"{key}!{xl_rowcol_to_cell(row, col)}", "kind": kind,
                           "unit": item.unit, "label": item.label, "description": item.description})


def write_template(template: Template, path: Path, cached: dict[tuple[str, str], Any] | None = None) -> list[dict]:
    """Write one template to an .xlsx file.

    Parameters
    ----------
    template : Template
        What to write (see :mod:`xlmargin.workbooks.specs`).
    path : Path
        The file to write; its name must end in .xlsx.
    cached : dict, optional
        (sheet, A1 cell) -> value saved with each formula cell; formulas without one are saved with 0.

    Returns
    -------
    list of dict
        The defined names written: name, cell, kind (input or output), unit, label, description.

    Raises
    ------
    ValueError
        If a formula calls a function that shares its name with one of the template's defined names.
    """
    book = new_workbook(path, template.title)
    book.set_calc_mode("auto")
    styles = Styles(book)
    page = Page(template, book, book.add_worksheet(template.key), styles, cached or {})
    readme = book.add_worksheet("README")
    _write_heading(page)
    last_input_row = _write_inputs(page)
    last_output_row = _write_outputs(page, last_input_row + 2)
    page.sheet.set_landscape()
    page.sheet.fit_to_pages(1, 0)
    _write_positions(page)
    if template.chart:
        write_chart(page, last_output_row + 2)
    page.sheet.print_area(0, 0, last_output_row + 22, 11)  # the story and its chart; the chart data stays off the page
    _write_readme(template, readme, styles, page.names)
    book.close()
    return page.names


def _write_heading(page: Page) -> None:
    """Column widths, the title, the lesson and how to read the colours."""
    sheet, styles = page.sheet, page.styles
    for first, last, width in ((0, 0, 38), (1, 1, 16), (2, 2, 7), (4, 4, 14), (5, 11, 12), (12, 12, 4), (13, 20, 13)):
        sheet.set_column(first, last, width)
    sheet.write(0, 0, page.template.title, styles.title)
    sheet.merge_range(1, 0, 1, 10, page.template.lesson, styles.lesson)
    sheet.set_row(1, 36)
    sheet.write(2, 0, "Yellow cells are inputs; green cells recalculate with xlmargin's Excel functions.", styles.note)


def _write_inputs(page: Page) -> int:
    """The inputs: label, value, unit, data validation, defined name. Returns the last row written."""
    sheet, styles = page.sheet, page.styles
    row = INPUTS_ROW
    sheet.write(row, 0, "Inputs", styles.header)
    for item in page.template.inputs:
        row += 1
        sheet.write(row, 0, item.label, styles.label)
        sheet.write(row, 1, item.value, styles.cell("input", item.number_format))
        sheet.write(row, 2, item.unit, styles.unit)
        validation = dict(item.validation or {})
        validation.setdefault("error_title", item.label)
        validation["input_title"] = item.name[:32]
        validation["input_message"] = f"{item.label} [{item.unit}]"[:255]
        sheet.data_validation(row, 1, row, 1, validation)
        page.define(row, 1, item, "input")
    return row


def _write_outputs(page: Page, header_row: int) -> int:
    """The outputs: label, formula, unit, defined name; statuses coloured. Returns the last row written."""
    sheet, styles = page.sheet, page.styles
    row = header_row
    sheet.write(row, 0, "Outputs", styles.header)
    status_cells = []
    for item in page.template.outputs:
        row += 1
        sheet.write(row, 0, item.label, styles.label)
        page.formula(row, 1, item.formula, styles.cell("output", item.number_format))
        sheet.write(row, 2, item.unit, styles.unit)
        page.define(row, 1, item, "output")
        if item.name.endswith("_STATUS"):
            status_cells.append(xl_rowcol_to_cell(row, 1))
    for ref in status_cells:
        for text, colour in STATUS_COLOURS:
            sheet.conditional_format(ref, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                           "format": page.book.add_format({"bg_color": colour, "bold": True})})
    return row


def _write_positions(page: Page) -> None:
    """The positions table: a quoted side is an input with a long/short list, a number an input, else a formula."""
    sheet, styles = page.sheet, page.styles
    for column, text in zip(POSITION_COLUMNS.values(), ("position", "side", "size", "entry", "mark", "iso margin", "mmr")):
        sheet.write(POSITION_ROW, column, text, styles.header)
    formats = {"side": "@", "size": SIZE, "entry": PRICE, "mark": PRICE, "margin": AMOUNT, "mmr": RATE}
    for n, position in enumerate(page.template.positions):
        row = POSITION_ROW + 1 + n
        sheet.write(row, POSITION_COLUMNS["label"], position.label, styles.label)
        for name, fmt in formats.items():
            value, col = getattr(position, name), POSITION_COLUMNS[name]
            if value.startswith('"'):
                sheet.write_string(row, col, value.strip('"'), styles.cell("input", fmt))
                sheet.data_validation(row, col, row, col, SIDES)
            elif _number(value) is not None:
                sheet.write_number(row, col, _number(value), styles.cell("input", fmt))
            else:
                page.formula(row, col, value, styles.cell("helper", fmt))


def _number(text: str) -> float | None:
    """The number a cell formula such as ``=0.01`` stands for, or None for any other formula."""
    try:
        return float(text.lstrip("="))
    except ValueError:
        return None


def _write_readme(template: Template, sheet: Any, styles: Styles, names: list[dict]) -> None:
    """The README sheet: what the workbook teaches, how to use it, and every defined name."""
    for first, last, width in ((0, 0, 26), (1, 1, 12), (2, 3, 9), (4, 5, 48)):
        sheet.set_column(first, last, width)
    sheet.write(0, 0, template.title, styles.title)
    lines = [
        template.lesson,
        f"Change the yellow input cells on sheet {template.key}; the green outputs and the chart follow.",
        "The formulas call xlmargin's Excel functions (see docs/excel.md to set up the add-in); until it is set up,",
        "Excel shows the values saved with the file. Headless: xlmargin recalc FILE --set NAME=VALUE",
    ]
    for n, line in enumerate(lines, start=1):
        sheet.write(n, 0, line, styles.note)
    top = len(lines) + 2
    for col, text in enumerate(("defined name", "cell", "kind", "unit", "meaning", "notes")):
        sheet.write(top, col, text, styles.header)
    for n, entry in enumerate(names, start=top + 1):
        for col, key in enumerate(("name", "cell", "kind", "unit", "label", "description")):
            sheet.write_string(n, col, entry[key])
