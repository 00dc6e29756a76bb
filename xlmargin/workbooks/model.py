"""What a template workbook is made of: inputs, outputs, positions, a chart.

A :class:`Template` is data: :mod:`.specs` holds the six worked examples,
:mod:`.writer` turns any of them into an .xlsx file. This module also holds what
both sides must agree on: the number formats, the data validation per kind of
input, where the positions table sits on the sheet, and the few formulas that
specifications and chart data spell the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

PRICE = "#,##0.00"
AMOUNT = "#,##0.00"
SIZE = "#,##0.0000"
RATE = "0.00%"
COUNT = "0"

# data validation per kind of input
POSITIVE = {"validate": "decimal", "criteria": ">", "value": 0, "error_message": "Enter a number > 0."}
NON_NEGATIVE = {"validate": "decimal", "criteria": ">=", "value": 0, "error_message": "Enter a number >= 0."}
ANY_NUMBER = {"validate": "decimal", "criteria": "between", "minimum": -1e15, "maximum": 1e15, "error_message": "Enter a number."}
A_RATE = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 0.9999, "error_message": "Enter a rate between 0 and 1 (0.5% is 0.005)."}
WHOLE = {"validate": "integer", "criteria": ">=", "value": 0, "error_message": "Enter a whole number >= 0."}
SIDES = {"validate": "list", "source": ["long", "short"], "error_message": "long or short"}
CONTRACTS = {"validate": "list", "source": ["linear", "inverse"], "error_message": "linear or inverse"}
MODES = {"validate": "list", "source": ["isolated", "cross"], "error_message": "isolated or cross"}

# the positions table: header row 5 (0-based 4), one position a row from row 6, columns E:K
POSITION_ROW = 4
POSITION_COLUMNS = {"label": 4, "side": 5, "size": 6, "entry": 7, "mark": 8, "margin": 9, "mmr": 10}


@dataclass
class Item:
    """One named cell: an input (``value``) or an output (``formula``)."""

    name: str
    label: str
    unit: str
    number_format: str
    value: Any = None  # an input's value
    formula: str | None = None  # an output's formula
    validation: dict | None = None
    description: str = ""


@dataclass
class Position:
    """One row of the positions table: cell formulas (names or numbers), or a quoted side."""

    label: str
    side: str
    size: str
    entry: str
    mark: str
    margin: str
    mmr: str


@dataclass
class Chart:
    """Account value against one price, under isolated and cross margin, liquidation points marked."""

    price_input: str  # the input the chart varies
    varied: int  # which position's mark follows the price
    low: float  # grid from low x entry ...
    high: float  # ... to high x entry of the varied position
    unit: str
    iso_marker: str = "ISO_LIQ_PRICE"
    cross_marker: str = "CROSS_LIQ_PRICE"
    iso_label: str = "isolated"
    cross_label: str = "cross"
    # formulas of the two series for one grid row, from the chart data's ranges: for each of
    # side, size, entry, mark, margin, mmr a list [all positions, the first one, the others]
    iso_formula: Callable[[dict[str, list[str]]], str] | None = None
    cross_formula: Callable[[dict[str, list[str]]], str] | None = None


@dataclass
class Template:
    """One worked-example workbook: its inputs, outputs, positions table and chart."""

    key: str
    file: str
    title: str
    lesson: str
    inputs: list[Item]
    outputs: list[Item]
    positions: list[Position] = field(default_factory=list)
    chart: Chart | None = None
    contract: str = "linear"
    wallet: str = "WALLET_BALANCE"
    free: str = "0"  # balance no isolated position holds


def position_cells(column: str, first: int, last: int | None = None) -> str:
    """Absolute reference to positions ``first``..``last`` (0-based) in one column of the table.

    >>> position_cells("side", 0, 1), position_cells("size", 0)
    ('$F$6:$F$7', '$G$6')
    """
    col = POSITION_COLUMNS[column]
    top = xl_rowcol_to_cell(POSITION_ROW + 1 + first, col, True, True)
    if last is None or last == first:
        return top
    return f"{top}:{xl_rowcol_to_cell(POSITION_ROW + 1 + last, col, True, True)}"


def contract_argument(contract: str, after_maint_amount: bool = False) -> str:
    """The trailing contract argument of a formula: empty for linear (the default).

    Functions that take a maintenance amount before the contract get ``0`` for it.

    >>> contract_argument("inverse"), contract_argument("inverse", True), contract_argument("linear")
    (',"inverse"', ',0,"inverse"', '')
    """
    if contract == "linear":
        return ""
    return f',0,"{contract}"' if after_maint_amount else f',"{contract}"'


def alive_or_zero(equity: str, maint_margin: str) -> str:
    """A cross account's value: its equity while equity exceeds the maintenance margin, else 0."""
    return f"IF({equity}>{maint_margin},{equity},0)"


def isolated_value_formula(free: str, side: str, size: str, entry: str, mark: str, margin: str, mmr: str,
                           contract: str = "linear") -> str:
    """An account's value with isolated positions: the free balance plus what each position's margin is worth."""
    return (f"ISOLATED_ACCOUNT_VALUE({free},{side},{size},{entry},{mark},{margin},{mmr}"
            f"{contract_argument(contract, after_maint_amount=True)})")


def cross_value_formula(wallet: str, side: str, size: str, entry: str, mark: str, mmr: str, contract: str = "linear") -> str:
    """A cross account's value in native arithmetic: equity while equity > MM, else 0.

    Workbooks name cells CROSS_EQUITY and CROSS_ACCOUNT_VALUE, so they do not call the
    functions of those names: some spreadsheet programs would read the name, not the function.
    """
    equity = f"({wallet}+SUM(UNREALIZED_PNL({side},{size},{entry},{mark}{contract_argument(contract)})))"
    maint_margin = f"SUM(MAINT_MARGIN({size},{mark},{mmr}{contract_argument(contract, after_maint_amount=True)}))"
    return alive_or_zero(equity, maint_margin)
