"""The blank risk-review workbook: accounts, positions and tier tables to fill in.

``xlmargin report`` reads it back (:mod:`xlmargin.review`); its column headers are
the glossary's names. The Positions sheet also computes each row's notional and
unrealized PnL with xlmargin's Excel functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from .model import A_RATE, AMOUNT, CONTRACTS, MODES, NON_NEGATIVE, POSITIVE, PRICE, SIDES, SIZE
from .writer import Styles, new_workbook

RISK_REVIEW_ROWS = 200
PRINTED_ROWS = 40  # each sheet prints its first rows on one page (a narrow sheet's 41 rows overran an A4 page at 100 %)
EXAMPLE_ROWS = {  # a few rows a reviewer replaces with the book under review (W3's and W4's accounts)
    "Accounts": [("desk-usdt", 500, "USDT"), ("desk-btc", 10, "BTC")],
    "Positions": [
        ("desk-usdt", "BTCUSDT", "linear", "long", 0.04, 50_000, 51_000, "isolated", 200, "example-linear"),
        ("desk-usdt", "ETHUSDT", "linear", "long", 0.8, 2_500, 2_200, "isolated", 200, "example-linear"),
        ("desk-btc", "BTCUSD", "inverse", "long", 3_000_000, 60_000, 60_000, "cross", None, "example-inverse"),
    ],
    "Tiers": [
        ("example-linear", 0, 50_000, 125, 0.004, 0),
        ("example-linear", 50_000, 250_000, 100, 0.005, 50),
        ("example-linear", 250_000, 1_000_000, 50, 0.01, 1_300),
        ("example-inverse", 0, 50, 125, 0.005, 0),  # notional in BTC for inverse contracts
        ("example-inverse", 50, 200, 50, 0.01, 0.25),
    ],
}
RISK_REVIEW = {
    # sheet: [(column header, width, number format, validation, help)]
    "Accounts": [
        ("account", 16, "@", None, "account label, as in Positions"),
        ("wallet_balance", 16, AMOUNT, NON_NEGATIVE, "wallet balance [settlement asset]"),
        ("settlement_asset", 16, "@", None, "USDT, BTC, ..."),
    ],
    "Positions": [
        ("account", 14, "@", None, "account label"),
        ("symbol", 12, "@", None, "e.g. BTCUSDT"),
        ("contract", 10, "@", CONTRACTS, "linear or inverse"),
        ("side", 8, "@", SIDES, "long or short"),
        ("size", 14, SIZE, POSITIVE, "base asset (linear) or USD value (inverse)"),
        ("entry_price", 14, PRICE, POSITIVE, "[quote per base]"),
        ("mark_price", 14, PRICE, POSITIVE, "[quote per base]"),
        ("margin_mode", 12, "@", MODES, "isolated or cross"),
        ("isolated_margin", 15, AMOUNT, NON_NEGATIVE, "margin of an isolated position [settlement asset]"),
        ("tier_set", 26, "@", None, "a tier set of the Tiers sheet, or a shipped table's name"),
    ],
    "Tiers": [
        ("tier_set", 26, "@", None, "name of the tier set"),
        ("notional_floor", 16, AMOUNT, NON_NEGATIVE, "[settlement asset]"),
        ("notional_cap", 16, AMOUNT, POSITIVE, "[settlement asset]"),
        ("max_leverage", 13, "0", POSITIVE, "[x]"),
        ("mmr", 10, "0.000%", A_RATE, "maintenance margin rate"),
        ("maint_amount", 15, AMOUNT, None, "maintenance amount; empty: rebuilt"),
    ],
}
POSITION_OUTPUTS = [  # plain formulas per Positions row (row number in {r}); empty rows stay empty
    ("notional", AMOUNT, '=IF(E{r}="","",IF(C{r}="inverse",E{r}/G{r},E{r}*G{r}))'),
    ("unrealized_pnl", AMOUNT,
     '=IF(E{r}="","",IF(D{r}="long",1,IF(D{r}="short",-1,NA()))*E{r}*IF(C{r}="inverse",1/F{r}-1/G{r},G{r}-F{r}))'),
]
README_LINES = [
    "Fill the Accounts, Positions and Tiers sheets (one row each; yellow cells), then run:",
    "(the first rows hold an example book: two accounts, three positions, two tier sets; overwrite them)",
    "    xlmargin report risk_review.xlsx      (a report with margins, liquidation prices and stress tests)",
    "Positions: contract linear/inverse, side long/short, margin_mode isolated/cross; sizes in the base asset",
    "(linear) or the USD value (inverse); amounts in the settlement asset. tier_set names a set of rows on the",
    "Tiers sheet or a table shipped with xlmargin (xlmargin tiers lists them). The notional and unrealized PnL",
    "columns are plain formulas: they recalculate in any spreadsheet, with or without xlmargin's add-in.",
]


def write_risk_review(path: Path) -> None:
    """Write the blank risk-review workbook.

    Parameters
    ----------
    path : Path
        The file to write; its name must end in .xlsx.

    Notes
    -----
    Sheets README, Accounts, Positions and Tiers; each data sheet is an Excel
    table of :data:`RISK_REVIEW_ROWS` rows with typed, validated columns, and a
    defined name ``<SHEET>_TABLE`` over it.
    """
    book = new_workbook(path, "xlmargin risk review")
    styles = Styles(book)
    readme = book.add_worksheet("README")
    readme.set_column(0, 0, 120, styles.lesson)  # wrapped within the column: nothing runs off a printed page
    readme.set_landscape()
    readme.set_paper(9)  # A4
    readme.fit_to_pages(1, 0)
    readme.write(0, 0, "xlmargin risk review", styles.title)
    for n, text in enumerate(README_LINES, start=1):
        readme.write(n, 0, text, styles.lesson)
        readme.set_row(n, 15 * -(-len(text) // 120))
    for sheet_name, columns in RISK_REVIEW.items():
        _write_table_sheet(book, styles, sheet_name, columns, POSITION_OUTPUTS if sheet_name == "Positions" else [])
    book.close()


def _write_table_sheet(book: Any, styles: Styles, sheet_name: str, columns: list[tuple], outputs: list[tuple]) -> None:
    """One data sheet: typed input columns with validation, then formula columns, as one Excel table."""
    sheet = book.add_worksheet(sheet_name)
    headers = [c[0] for c in columns] + [o[0] for o in outputs]
    last_col = len(headers) - 1
    for col, (header, width, fmt, validation, help_text) in enumerate(columns):
        sheet.set_column(col, col, width, styles.cell("input", _padded(fmt)))
        if validation:
            rule = dict(validation, input_title=header, input_message=help_text[:255])
            sheet.data_validation(1, col, RISK_REVIEW_ROWS, col, rule)
    for r, row in enumerate(EXAMPLE_ROWS.get(sheet_name, []), start=1):
        for col, value in enumerate(row):
            if value is not None:
                sheet.write(r, col, value, styles.cell("input", _padded(columns[col][2])))
    for col, (header, fmt, formula) in enumerate(outputs, start=len(columns)):
        cell = styles.cell("output", _padded(fmt))
        sheet.set_column(col, col, 16, cell)
        for r in range(1, RISK_REVIEW_ROWS + 1):
            sheet.write_formula(r, col, formula.format(r=r + 1), cell, _example_value(sheet_name, header, r))
    sheet.add_table(0, 0, RISK_REVIEW_ROWS, last_col,
                    {"name": sheet_name, "columns": [{"header": h} for h in headers], "style": "Table Style Light 9",
                     "autofilter": True})
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 1)  # the printed rows on one page: never a page holding the header alone
    sheet.repeat_rows(0)
    sheet.print_area(0, 0, PRINTED_ROWS, last_col)
    book.define_name(f"{sheet_name.upper()}_TABLE", f"={sheet_name}!$A$1:{xl_rowcol_to_cell(RISK_REVIEW_ROWS, last_col, True, True)}")


def _padded(number_format: str) -> str:
    """A number format ending a ")" wide of the cell's edge (``_)``), so that a number stays apart from text right of it."""
    return number_format if number_format == "@" else number_format + "_)"


def _example_value(sheet_name: str, header: str, row: int) -> Any:
    """The saved value of a formula cell in an example row ("" in empty rows)."""
    rows = EXAMPLE_ROWS.get(sheet_name, [])
    if row > len(rows):
        return ""
    _, _, contract, side, size, entry, mark, *_ = rows[row - 1]
    inverse = contract == "inverse"
    if header == "notional":
        return size / mark if inverse else size * mark
    sign = 1 if side == "long" else -1
    return sign * size * ((1 / entry - 1 / mark) if inverse else (mark - entry))
