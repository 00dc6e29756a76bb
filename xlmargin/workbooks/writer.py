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
from .model import (
    AMOUNT, ENGINE_FORMULA, POSITION_COLUMNS, POSITION_HEADERS, POSITION_ROW, PRICE, RATE, SIDES, SIZE, USD, Item, Leg,
    Template, check, sign_formula,
)

FIXED_DATE = dt.datetime(2026, 1, 1)  # file properties fixed, so a rebuild gives the same bytes
STATUS_COLOURS = (("LIQUIDATED", "#F8CBAD"), ("MARGIN CALL", "#FFE699"), ("ok", "#C6EFCE"))
INPUTS_ROW = 4  # the "Inputs" header; the positions table sits beside the inputs, from column E
CHECK_COLUMN = 3  # D: the same figure through xlmargin's add-in, where it has a function for it


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

    def formula(self, row: int, col: int, text: str, fmt: Any, default: Any = 0) -> None:
        """Write a formula with its cached value (``default`` when none is known).

        A formula must not call a function that shares its name with a defined name: some
        spreadsheet programs would read the name, not the function.
        """
        shadowed = set(re.findall(r"([A-Z_][A-Z0-9_]*)\(", text)) & self._defined
        if shadowed:
            raise ValueError(f"{self.template.key}: {', '.join(shadowed)} is both a defined name and a function in {text}")
        self.sheet.write_formula(row, col, text, fmt, self.cached.get((self.template.key, xl_rowcol_to_cell(row, col)), default))

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
    book.set_calc_mode("auto")  # XlsxWriter also marks the file to recalculate fully on load: see docs/templates.md
    styles = Styles(book)
    page = Page(template, book, book.add_worksheet(template.key), styles, cached or {})
    readme = book.add_worksheet("README")
    _write_heading(page)
    last_input_row = _write_inputs(page)
    last_output_row = _write_outputs(page, last_input_row + 2)
    page.sheet.set_landscape()
    page.sheet.set_paper(9)  # A4
    page.sheet.fit_to_pages(1, 1)
    _write_positions(page)
    if template.chart:
        write_chart(page, last_output_row + 2)
    # the story and its chart on one page; the chart data stays off it
    page.sheet.print_area(0, 0, last_output_row + 23, max(POSITION_COLUMNS.values()))
    _write_readme(template, readme, styles, page.names)
    book.close()
    return page.names


def _write_heading(page: Page) -> None:
    """Column widths, the title, the lesson, how to read the colours, and which engine computes."""
    sheet, styles = page.sheet, page.styles
    for first, last, width in ((0, 0, 40), (1, 1, 16), (2, 2, 6), (3, 3, 17), (4, 4, 9), (5, 5, 7), (6, 6, 14), (7, 10, 11),
                               (11, 11, 8), (12, 13, 12), (14, 15, 3), (16, 30, 14)):
        sheet.set_column(first, last, width)
    sheet.write(0, 0, page.template.title, styles.title)
    sheet.merge_range(1, 0, 1, 13, page.template.lesson, styles.lesson)
    sheet.set_row(1, 32)
    sheet.write(2, 0, "Yellow cells are inputs; green cells are plain formulas that recalculate in any spreadsheet.", styles.note)
    sheet.merge_range(3, 0, 3, 3, "", styles.note)
    sheet.write_formula(3, 0, ENGINE_FORMULA, styles.note, SAVED_VALUES)


SAVED_VALUES = "Saved values, computed when xlmargin built the file; a spreadsheet recalculates them on opening."


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
    """The outputs: label, formula, unit, the add-in's check, defined name; statuses coloured. Returns the last row."""
    sheet, styles = page.sheet, page.styles
    row = header_row
    sheet.write(row, 0, "Outputs", styles.header)
    sheet.write(row, CHECK_COLUMN, "with the add-in", styles.header)
    status_cells = []
    for item in page.template.outputs:
        row += 1
        sheet.write(row, 0, item.label, styles.label)
        page.formula(row, 1, item.formula, styles.cell("output", item.number_format))
        sheet.write(row, 2, item.unit, styles.unit)
        if item.check:
            page.formula(row, CHECK_COLUMN, check(item.check), styles.cell("helper", item.number_format), "add-in not loaded")
        page.define(row, 1, item, "output")
        if item.name.endswith("_STATUS"):
            status_cells.append(xl_rowcol_to_cell(row, 1))
    for ref in status_cells:
        for text, colour in STATUS_COLOURS:
            rule = {"type": "text", "criteria": "containing", "value": text} if text != "ok" else {
                "type": "cell", "criteria": "==", "value": '"ok"'}
            sheet.conditional_format(ref, rule | {"format": page.book.add_format({"bg_color": colour, "bold": True})})
    return row


def _write_positions(page: Page) -> None:
    """The positions table: a quoted side or a number is an input, else a formula; then each row's sign, uPnL and MM."""
    sheet, styles = page.sheet, page.styles
    for name, column in POSITION_COLUMNS.items():
        sheet.write(POSITION_ROW, column, POSITION_HEADERS[name], styles.header)
    inverse = page.template.contract == "inverse"
    formats = {"side": "@", "size": USD if inverse else SIZE, "entry": PRICE, "mark": PRICE, "margin": AMOUNT, "mmr": RATE}
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
            elif not value.startswith("="):
                sheet.write_string(row, col, value, styles.cell("helper", fmt))  # e.g. "cross": no margin of its own
            else:
                page.formula(row, col, value, styles.cell("helper", fmt))
        cell = lambda name: xl_rowcol_to_cell(row, POSITION_COLUMNS[name], True, True)  # noqa: E731
        leg = Leg(cell("sign"), cell("size"), cell("entry"), cell("mark"), cell("margin"), cell("mmr"), inverse)
        page.formula(row, POSITION_COLUMNS["sign"], f"={sign_formula(cell('side'))}", styles.cell("helper", "0"))
        page.formula(row, POSITION_COLUMNS["pnl"], f"={leg.pnl()}", styles.cell("helper", SIZE if inverse else AMOUNT))
        page.formula(row, POSITION_COLUMNS["mm"], f"={leg.maint_margin()}", styles.cell("helper", SIZE if inverse else AMOUNT))


def _number(text: str) -> float | None:
    """The number a cell formula such as ``=0.01`` stands for, or None for any other formula."""
    try:
        return float(text.lstrip("="))
    except ValueError:
        return None


README_LINE_CHARS = 140  # about what the merged width A:F holds in the default font, for the rows' heights


def _write_readme(template: Template, sheet: Any, styles: Styles, names: list[dict]) -> None:
    """The README sheet: what the workbook teaches, how to use it, and every defined name."""
    for first, last, width in ((0, 0, 26), (1, 1, 12), (2, 3, 9), (4, 5, 48)):
        sheet.set_column(first, last, width)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many long as the names need
    sheet.write(0, 0, template.title, styles.title)
    lines = [
        template.lesson,
        f"Change the yellow input cells on sheet {template.key}; the green outputs and the chart follow.",
        "The green cells are plain spreadsheet formulas: Excel with or without xlmargin's add-in, LibreOffice and",
        "other spreadsheet programs compute them. The file asks to be recalculated fully when it is opened, so what you",
        "see is computed from the inputs you see. Column D shows the same figures through xlmargin's Excel functions",
        "(docs/excel.md sets up the add-in); without the add-in it says \"add-in not loaded\", and the outputs still work.",
        "Cell A4 says which engine is computing. Headless: xlmargin recalc FILE --set NAME=VALUE",
    ]
    for n, line in enumerate(lines, start=1):  # across the table's width, wrapped: nothing runs off a printed page
        sheet.merge_range(n, 0, n, 5, line, styles.lesson if n == 1 else styles.note)
        sheet.set_row(n, 15 * -(-len(line) // README_LINE_CHARS))
    top = len(lines) + 2
    for col, text in enumerate(("defined name", "cell", "kind", "unit", "meaning", "notes")):
        sheet.write(top, col, text, styles.header)
    for n, entry in enumerate(names, start=top + 1):
        for col, key in enumerate(("name", "cell", "kind", "unit", "label", "description")):
            sheet.write_string(n, col, entry[key])
