"""What a template workbook is made of: inputs, outputs, positions, a chart.

A :class:`Template` is data: :mod:`.specs` holds the six worked examples,
:mod:`.writer` turns any of them into an .xlsx file. This module also holds what
both sides must agree on: the number formats, the data validation per kind of
input, where the positions table sits on the sheet, and the margin formulas in
plain spreadsheet arithmetic (:class:`Leg`), which the output cells and the
chart data both use, so that any spreadsheet program computes the same numbers
with or without xlmargin's add-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

PRICE = "#,##0.00"
AMOUNT = "#,##0.00"
SIZE = "#,##0.0000"
USD = "#,##0"
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

MARGIN_CALL_RATIO = 0.8  # the core's default margin-call threshold (maintenance margin / equity)
NO_EQUITY = "no equity left"  # a margin ratio where the equity is gone (the add-in's #NUM!)

# the positions table: header row 5 (0-based 4), one position a row from row 6, columns E:N
POSITION_ROW = 4
POSITION_COLUMNS = {"label": 4, "side": 5, "size": 6, "entry": 7, "mark": 8, "margin": 9, "mmr": 10,
                    "sign": 11, "pnl": 12, "mm": 13}
POSITION_HEADERS = {"label": "position", "side": "side", "size": "size", "entry": "entry", "mark": "mark",
                    "margin": "iso margin", "mmr": "mmr", "sign": "+1 long", "pnl": "uPnL", "mm": "maint. margin"}


@dataclass
class Item:
    """One named cell: an input (``value``) or an output (``formula``, with an optional add-in ``check``)."""

    name: str
    label: str
    unit: str
    number_format: str
    value: Any = None  # an input's value
    formula: str | None = None  # an output's formula, plain spreadsheet arithmetic
    validation: dict | None = None
    description: str = ""
    check: str | None = None  # the same figure through xlmargin's Excel functions, shown beside it


@dataclass
class Position:
    """One row of the positions table: cell formulas (names or numbers), or a quoted side (an input)."""

    label: str
    side: str
    size: str
    entry: str
    mark: str
    margin: str
    mmr: str


@dataclass
class Series:
    """One line of a chart: the value of something at price ``x`` (a cell reference), and where it is liquidated."""

    label: str
    colour: str
    value: Callable[[str], str]  # x -> formula (no leading =)
    marker: str | None = None  # the output naming the price where this line's account is liquidated
    marker_value: Callable[[str], str] | None = None  # the marker's height at x; default: ``value``
    dash: bool = False
    marker_label: str = ""  # the marker's legend entry; default: "liquidated: " and the line's first words


@dataclass
class Chart:
    """Values against one price, liquidation points on their lines, the current price marked."""

    price_input: str  # the input the chart varies
    price_label: str  # its words on the axis, capitalised
    varied: int  # which position's mark follows the price
    low: float  # grid from low x entry ...
    high: float  # ... to high x entry of the varied position
    unit: str
    series: list[Series]
    y_title: str = "Account value"
    title: str = ""  # default: "<y_title> against <price_label>"


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


def sign_formula(side: str) -> str:
    """+1 for a long, -1 for a short, #N/A for anything else (never a silent guess)."""
    return f'IF({side}="long",1,IF({side}="short",-1,NA()))'


def _p(text: str) -> str:
    """``text`` in parentheses unless it is a single name, cell or number."""
    return text if text.replace("$", "").replace("_", "").replace(".", "").isalnum() else f"({text})"


@dataclass(frozen=True)
class Leg:
    """One position in plain spreadsheet formulas: references (or expressions) for each of its fields.

    The formulas are those of docs/formulas.md with a flat rate and no maintenance
    amount, as every worked example uses: ``s`` +1 long, -1 short.

    >>> leg = Leg("S", "Q", "E", "P", "M", "R")
    >>> leg.pnl(), leg.maint_margin(), leg.liq_price()
    ('S*Q*(P-E)', 'Q*P*R', 'IF((M-S*Q*E)/(Q*(R-S))>0,(M-S*Q*E)/(Q*(R-S)),NA())')
    """

    sign: str
    size: str
    entry: str
    mark: str
    margin: str
    mmr: str
    inverse: bool = False

    def at(self, mark: str) -> Leg:
        """The same position valued at another mark price."""
        return replace(self, mark=mark)

    def pnl(self) -> str:
        """Unrealized PnL [settlement asset]: ``s*q*(P-E)``, inverse ``s*q*(1/E-1/P)``."""
        s, q, e, p = _p(self.sign), _p(self.size), _p(self.entry), _p(self.mark)
        return f"{s}*{q}*(1/{e}-1/{p})" if self.inverse else f"{s}*{q}*({p}-{e})"

    def maint_margin(self) -> str:
        """Maintenance margin [settlement asset]: ``q*P*mmr``, inverse ``q/P*mmr``."""
        q, p, r = _p(self.size), _p(self.mark), _p(self.mmr)
        return f"{q}/{p}*{r}" if self.inverse else f"{q}*{p}*{r}"

    def liq_price(self, margin: str | None = None) -> str:
        """The price where ``margin + uPnL = MM``; #N/A where no positive price is one."""
        m, s, q, e, r = _p(margin or self.margin), _p(self.sign), _p(self.size), _p(self.entry), _p(self.mmr)
        if self.inverse:
            price = f"{q}*({r}+{s})/({m}+{s}*{q}/{e})"
        else:
            price = f"({m}-{s}*{q}*{e})/({q}*({r}-{s}))"
        return f"IF({price}>0,{price},NA())"

    def margin_for_liq_price(self, price: str) -> str:
        """The margin that puts the liquidation price at ``price`` (linear)."""
        s, q, e, r = _p(self.sign), _p(self.size), _p(self.entry), _p(self.mmr)
        return f"{_p(price)}*{q}*({r}-{s})+{s}*{q}*{e}"

    def alive(self, pnl: str | None = None, maint_margin: str | None = None) -> str:
        """TRUE while the position's margin plus its PnL exceeds its maintenance margin."""
        return f"{_p(self.margin)}+{_p(pnl or self.pnl())}>{_p(maint_margin or self.maint_margin())}"

    def value(self, pnl: str | None = None, maint_margin: str | None = None) -> str:
        """What an isolated position's margin is worth: margin + PnL while alive, 0 once liquidated."""
        worth = f"{_p(self.margin)}+{_p(pnl or self.pnl())}"
        return f"IF({self.alive(pnl, maint_margin)},{worth},0)"


def table_leg(n: int, inverse: bool = False) -> Leg:
    """Position ``n`` (0-based) of the positions table as a :class:`Leg` of absolute references."""
    return Leg(*(position_cells(c, n) for c in ("sign", "size", "entry", "mark", "margin", "mmr")), inverse=inverse)


def table_pnl(n: int) -> str:
    """The uPnL cell of position ``n`` in the positions table."""
    return position_cells("pnl", n)


def table_mm(n: int) -> str:
    """The maintenance-margin cell of position ``n`` in the positions table."""
    return position_cells("mm", n)


def table_value(n: int, inverse: bool = False) -> str:
    """Position ``n``'s margin as it stands (margin + uPnL while alive, else 0), from the table's cells."""
    return table_leg(n, inverse).value(table_pnl(n), table_mm(n))


def alive_or_zero(equity: str, maint_margin: str) -> str:
    """A cross account's value: its equity while equity exceeds the maintenance margin, else 0."""
    return f"IF({_p(equity)}>{_p(maint_margin)},{_p(equity)},0)"


def margin_ratio(equity: str, maint_margin: str) -> str:
    """Maintenance margin / equity (Binance's ratio; 1 liquidates); words where the equity is gone."""
    return f'IF({equity}>0,{maint_margin}/{equity},IF(OR({maint_margin}>0,{equity}<0),"{NO_EQUITY}",0))'


def margin_call(equity: str, maint_margin: str) -> str:
    """TRUE where the margin ratio is at the margin-call threshold or worse."""
    return f"IF({equity}>0,{maint_margin}/{equity}>={MARGIN_CALL_RATIO},OR({maint_margin}>0,{equity}<0))"


def cross_status(equity: str, maint_margin: str) -> str:
    """ok, MARGIN CALL or LIQUIDATED for a cross account."""
    return (f'IF({equity}>{maint_margin},IF({margin_call(equity, maint_margin)},"MARGIN CALL","ok"),"LIQUIDATED")')


def check(formula: str) -> str:
    """A figure through xlmargin's Excel functions, in words where the add-in is not loaded.

    ``MAINT_MARGIN(1,1,0.5)`` is a probe: an error there means no add-in, while an
    error of the figure itself (``#N/A``: no liquidation price) is shown as it is.
    """
    return f'=IFERROR({formula},IF(ISERROR(MAINT_MARGIN(1,1,0.5)),"add-in not loaded",{formula}))'


ENGINE_FORMULA = ('=IF(ISERROR(MAINT_MARGIN(1,1,0.5)),'
                  '"Plain formulas: any spreadsheet computes the green cells. xlmargin add-in: not loaded.",'
                  '"Plain formulas compute the green cells; the xlmargin add-in is loaded and checks them (column D).")')
