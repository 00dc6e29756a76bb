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
POSITION_OUTPUTS = [  # formulas per Positions row (row number in {r}); empty rows stay empty
    ("notional", AMOUNT, '=IF(E{r}="","",NOTIONAL(E{r},G{r},C{r}))'),
    ("unrealized_pnl", AMOUNT, '=IF(E{r}="","",UNREALIZED_PNL(D{r},E{r},F{r},G{r},C{r}))'),
]
README_LINES = [
    "Fill the Accounts, Positions and Tiers sheets (one row each; yellow cells), then run:",
    "    xlmargin report risk_review.xlsx      (a report with margins, liquidation prices and stress tests)",
    "Positions: contract linear/inverse, side long/short, margin_mode isolated/cross; sizes in the base asset",
    "(linear) or the USD value (inverse); amounts in the settlement asset. tier_set names a set of rows on the",
    "Tiers sheet or a table shipped with xlmargin (xlmargin tiers lists them). The notional and unrealized PnL",
    "columns recalculate with xlmargin's Excel functions.",
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
    readme.set_column(0, 0, 100)
    readme.write(0, 0, "xlmargin risk review", styles.title)
    for n, text in enumerate(README_LINES, start=1):
        readme.write(n, 0, text, styles.note)
    for sheet_name, columns in RISK_REVIEW.items():
        _write_table_sheet(book, styles, sheet_name, columns, POSITION_OUTPUTS if sheet_name == "Positions" else [])
    book.close()


def _write_table_sheet(book: Any, styles: Styles, sheet_name: str, columns: list[tuple], outputs: list[tuple]) -> None:
    """One data sheet: typed input columns with validation, then formula columns, as one Excel table."""
    sheet = book.add_worksheet(sheet_name)
    headers = [c[0] for c in columns] + [o[0] for o in outputs]
    last_col = len(headers) - 1
    for col, (header, width, fmt, validation, help_text) in enumerate(columns):
        sheet.set_column(col, col, width, styles.cell("input", fmt))
        if validation:
            rule = dict(validation, input_title=header, input_message=help_text[:255])
            sheet.data_validation(1, col, RISK_REVIEW_ROWS, col, rule)
    for col, (header, fmt, formula) in enumerate(outputs, start=len(columns)):
        sheet.set_column(col, col, 16, styles.cell("output", fmt))
        for r in range(1, RISK_REVIEW_ROWS + 1):
            sheet.write_formula(r, col, formula.format(r=r + 1), styles.cell("output", fmt), "")
    sheet.add_table(0, 0, RISK_REVIEW_ROWS, last_col,
                    {"name": sheet_name, "columns": [{"header": h} for h in headers], "style": "Table Style Light 9",
                     "autofilter": True})
    sheet.freeze_panes(1, 0)
    book.define_name(f"{sheet_name.upper()}_TABLE", f"={sheet_name}!$A$1:{xl_rowcol_to_cell(RISK_REVIEW_ROWS, last_col, True, True)}")
