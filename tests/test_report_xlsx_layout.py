"""The XLSX report can be read as written: no wrapped text cut by its row, no header wider than its column, highlights that fire.

Excel and LibreOffice size no row or column of a file written by XlsxWriter, so everything is checked
in the file itself (openpyxl): each cell's text measured in the workbook's font, Calibri 11, with
Excel's own pixel width of each character (the table XlsxWriter's autofit uses), bold taken 2 % wider,
wrapped here between words and compared with the row height and column width the file holds.
"""

import math

import openpyxl
import pandas as pd
import pytest
from xlsxwriter.utility import CHAR_WIDTHS

from xlmargin.report import write_report
from xlmargin.review import Book, check_book, evaluate, sample_book, synthetic_book

LINE_PT = 15  # one line of Calibri 11 [pt]
PAD_PX = 7  # Excel's padding inside a cell [px]


def px(text, bold=False):
    width = sum(CHAR_WIDTHS.get(char, 8) for char in str(text))
    return math.ceil(width * 1.02) if bold else width


def lines_needed(text, width_px, bold=False):
    """Lines of ``text`` broken between words in a cell ``width_px`` wide (a word wider than the cell: its own line)."""
    count = 0
    for paragraph in str(text).split("\n"):
        count += 1
        line = 0
        for word in paragraph.split(" "):
            w = px(word, bold)
            if line and line + px(" ") + w > width_px - PAD_PX:
                count += 1
                line = w
            else:
                line = line + px(" ") + w if line else w
    return count


def column_px(sheet, index):
    """The width of column ``index`` (1-based) [px] as written in the file (default 8.43 characters, 64 px)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.min <= index <= dimension.max and dimension.width:
            return round(dimension.width * 7)
    return 64


def row_pt(sheet, row):
    height = sheet.row_dimensions[row].height
    return LINE_PT if height is None else height


def cell_px(sheet, cell):
    """The width of ``cell`` [px], the whole merged range if it starts one."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row == cell.row and merged.min_col == cell.column:
            return sum(column_px(sheet, c) for c in range(merged.min_col, merged.max_col + 1))
    return column_px(sheet, cell.column)


def header_rows(sheet):
    """The rows of ``sheet`` holding a table's header (bold, shaded, wrapped)."""
    return sorted({c.row for row in sheet.iter_rows() for c in row
                   if c.value is not None and c.font.b and c.alignment.wrap_text and c.fill.fgColor.rgb not in (None, "00000000")})


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The sample book's report and a bigger one's, read back with their styles."""
    folder = tmp_path_factory.mktemp("layout")
    out = {}
    for name, result in (("sample", evaluate(sample_book())), ("synthetic", evaluate(synthetic_book(60, 8)))):
        path = write_report(result, folder / name, formats=("xlsx",))[0]
        out[name] = openpyxl.load_workbook(path)
    return out


@pytest.mark.parametrize("name", ["sample", "synthetic"])
def test_every_wrapped_cell_has_the_height_of_its_lines(books, name):
    """Provenance's long rows, the notes, the headers: each row at least as tall as its wrapped text needs."""
    short = []
    for sheet in books[name].worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.alignment.wrap_text:
                    need = lines_needed(cell.value, cell_px(sheet, cell), bold=bool(cell.font.b)) * LINE_PT
                    if row_pt(sheet, cell.row) < need:
                        short.append((sheet.title, cell.coordinate, row_pt(sheet, cell.row), need, cell.value[:40]))
    assert short == []


@pytest.mark.parametrize("name", ["sample", "synthetic"])
def test_every_header_fits_its_column_whole_or_wrapped(books, name):
    """No header runs into the next column: each of its lines is narrower than the column; the row holds all lines."""
    bad = []
    for sheet in books[name].worksheets:
        for r in header_rows(sheet):
            for cell in sheet[r]:
                if cell.value is None:
                    continue
                width = column_px(sheet, cell.column)
                longest_word = max(px(word, bold=True) for word in str(cell.value).split(" "))
                if longest_word + PAD_PX > width or lines_needed(cell.value, width, bold=True) * LINE_PT > row_pt(sheet, r):
                    bad.append((sheet.title, cell.coordinate, cell.value, width, row_pt(sheet, r)))
    assert bad == []
    assert sum(len(header_rows(s)) for s in books[name].worksheets) >= 10  # the check saw the tables


def test_the_leverage_header_is_not_wider_than_its_column(books):
    sheet = books["sample"]["Positions USDT"]
    headers = {c.value: c.column for c in sheet[1]}
    assert px("Leverage [x]", bold=True) + PAD_PX <= column_px(sheet, headers["Leverage [x]"])


def test_numbers_fit_their_columns(books):
    """The widest number of each column, in its format, inside the column (no ###)."""
    sheet = books["synthetic"]["Positions USDT"]
    def text(cell) -> str:  # as its own format shows it (a price: its instrument's decimals)
        fmt = cell.number_format
        decimals = len(fmt.split(".")[1].split('"')[0].rstrip("_)%")) if "." in fmt else 0
        return f"{cell.value:,.{decimals}f}"

    for column in sheet.iter_cols(min_row=2):
        cells = [c for c in column if isinstance(c.value, float)]
        if cells:
            widest = max((text(c) for c in cells), key=px)
            assert px(widest) + PAD_PX <= column_px(sheet, column[0].column), (column[0].column_letter, widest)


def test_liquidated_rows_are_highlighted_by_a_rule_that_matches_the_cells():
    """The red rows: the rule compares the Liquidated column with what its cells hold ("yes"), not with TRUE."""
    positions = pd.DataFrame(
        [["acct", "BTCUSDT", "linear", "long", 1, 100, 50, "isolated", 10, ""],  # past its liquidation price
         ["acct", "ETHUSDT", "linear", "long", 1, 100, 100, "isolated", 50, ""]],
        columns=["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode",
                 "isolated_margin", "tier_set"])
    accounts = pd.DataFrame({"account": ["acct"], "wallet_balance": [1000], "settlement_asset": "USDT"})
    result = evaluate(Book(*check_book(positions, accounts), source="x.csv", sha256=""))
    assert result.positions["liquidated"].tolist().count(True) == 1
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        sheet = openpyxl.load_workbook(write_report(result, Path(folder), formats=("xlsx",))[0])["Positions USDT"]
    headers = [c.value for c in sheet[1]]
    letter = openpyxl.utils.get_column_letter(headers.index("Liquidated") + 1)
    rules = [rule for rules in sheet.conditional_formatting for rule in rules.rules]
    formulas = [f for rule in rules for f in rule.formula if f"${letter}2" in f]
    assert formulas, [rule.formula for rule in rules]
    flagged = [r for r in range(2, sheet.max_row + 1)
               if any(f == f'${letter}2="{sheet[f"{letter}{r}"].value}"' for f in formulas)]
    assert [sheet[f"B{r}"].value for r in flagged] == ["BTCUSDT"]
