"""The template workbooks, built from code: one per worked example W1-W6, and a blank risk review.

Each worked-example workbook has one sheet laid out the same way: the lesson, a
styled input area with data validation, outputs computed with xlmargin's Excel
functions, a status with conditional formatting (liquidated, margin call), a
chart of account value against price under isolated and cross margin with the
liquidation prices marked, and a README sheet listing every defined name with
its unit. Inputs and outputs carry the names of :mod:`xlmargin.examples`, whose
functions are the reference the tests hold the workbooks to.

Formula cells are saved with their values (computed by the headless engine on
the same formulas), so a reader without the add-in sees the right numbers.
``xlmargin templates`` rebuilds them.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..core.examples import W5_POSITIONS, WORKED_EXAMPLES
from ..files import write_atomically

FIXED_DATE = dt.datetime(2026, 1, 1)  # file properties fixed, so a rebuild gives the same bytes

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


@dataclass
class Item:
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
    """One position in the chart's helper block: cell formulas (names or numbers)."""

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
    # formulas of the two series for one grid row, from the helper block's ranges: for each of
    # side, size, entry, mark, margin, mmr a list [all positions, the first one, the others]
    iso_formula: Callable[[dict[str, str]], str] | None = None
    cross_formula: Callable[[dict[str, str]], str] | None = None


@dataclass
class Template:
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


LONE_CROSS = "a lone position in cross mode: the whole wallet is its margin"


def _out(name, label, unit, fmt, formula, description=""):
    return Item(name, label, unit, fmt, formula=formula, description=description)


def _in(name, label, unit, fmt, value, validation, description=""):
    return Item(name, label, unit, fmt, value=value, validation=validation, description=description)


def _cross_value_formula(wallet: str, side: str, size: str, entry: str, mark: str, mmr: str, contract: str = "linear") -> str:
    """A cross account's value in native arithmetic: equity while equity > MM, else 0.

    (Workbooks name cells CROSS_EQUITY and CROSS_ACCOUNT_VALUE, so they do not call the
    functions of those names: some spreadsheet programs would read the name, not the function.)
    """
    c = f',"{contract}"' if contract != "linear" else ""
    c0 = f',0,"{contract}"' if contract != "linear" else ""
    equity = f"({wallet}+SUM(UNREALIZED_PNL({side},{size},{entry},{mark}{c})))"
    mm = f"SUM(MAINT_MARGIN({size},{mark},{mmr}{c0}))"
    return f"IF({equity}>{mm},{equity},0)"


def _status_outputs() -> list[Item]:
    return [
        _out("CROSS_STATUS", "Cross account", "", "@",
             '=IF(CROSS_ACCOUNT_VALUE=0,"LIQUIDATED",IF(MARGIN_CALL(CROSS_EQUITY_NOW,CROSS_MM_NOW),"MARGIN CALL","ok"))',
             "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED"),
        _out("ISO_STATUS", "Isolated positions", "", "@",
             '=IF(ABS(ISO_ACCOUNT_VALUE-CROSS_EQUITY_NOW)>1E-9*MAX(1,ABS(CROSS_EQUITY_NOW)),"LIQUIDATED","ok")',
             "LIQUIDATED once any isolated position has lost its margin"),
    ]


# ---------------------------------------------------------------------------
# the six worked examples


def _w1() -> Template:
    i = WORKED_EXAMPLES["W1"].inputs
    return Template(
        "W1", "w1_initial_vs_maintenance", "W1 - Initial vs maintenance margin", WORKED_EXAMPLES["W1"].lesson,
        inputs=[
            _in("BALANCE", "Balance", "USDT", AMOUNT, i["BALANCE"], POSITIVE, "what the trader puts up"),
            _in("LEVERAGE", "Leverage", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _in("ENTRY_PRICE", "BTC entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _in("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _in("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _out("MAX_SIZE", "Largest long", "BTC", SIZE, "=MAX_POSITION_SIZE(BALANCE,LEVERAGE,ENTRY_PRICE)"),
            _out("IM_AT_ENTRY", "Initial margin", "USDT", AMOUNT, "=INITIAL_MARGIN(MAX_SIZE,ENTRY_PRICE,LEVERAGE)"),
            _out("MM_AT_ENTRY", "Maintenance margin at entry", "USDT", AMOUNT, "=MAINT_MARGIN(MAX_SIZE,ENTRY_PRICE,MMR)"),
            _out("MM_AT_MARK", "Maintenance margin at mark", "USDT", AMOUNT, "=MAINT_MARGIN(MAX_SIZE,MARK_PRICE,MMR)"),
            _out("ISO_LIQ_PRICE", "Isolated liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",MAX_SIZE,ENTRY_PRICE,BALANCE,MMR)'),
            _out("PNL", "Unrealized PnL (either mode)", "USDT", AMOUNT, '=UNREALIZED_PNL("long",MAX_SIZE,ENTRY_PRICE,MARK_PRICE)'),
            _out("CROSS_LIQ_PRICE", "Cross liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",MAX_SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR)',
                 LONE_CROSS),
            _out("WALLET_BALANCE", "Wallet balance (all of it in cross)", "USDT", AMOUNT, "=BALANCE"),
            *_account_outputs("long", "MAX_SIZE", "ENTRY_PRICE", "MARK_PRICE", "BALANCE", "MMR"),
        ],
        positions=[Position("BTC long", '"long"', "=MAX_SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=BALANCE", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.80, 1.10, "USDT"),
    )


def _account_outputs(side, size, entry, mark, margin, mmr, contract="linear", unit="USDT") -> list[Item]:
    """Equity, maintenance margin, account values and statuses of a one-position account."""
    c = f',0,"{contract}"' if contract != "linear" else ""
    cc = f',"{contract}"' if contract != "linear" else ""
    return [
        _out("CROSS_EQUITY_NOW", "Cross equity", unit, AMOUNT, f'=CROSS_EQUITY(WALLET_BALANCE,"{side}",{size},{entry},{mark}{cc})'),
        _out("CROSS_MM_NOW", "Cross maintenance margin", unit, AMOUNT, f"=MAINT_MARGIN({size},{mark},{mmr}{c})"),
        _out("ISO_ACCOUNT_VALUE", "Account value, isolated", unit, AMOUNT,
             f'=ISOLATED_ACCOUNT_VALUE(WALLET_BALANCE-{margin},"{side}",{size},{entry},{mark},{margin},{mmr}{c})'),
        _out("CROSS_ACCOUNT_VALUE", "Account value, cross", unit, AMOUNT,
             "=IF(CROSS_EQUITY_NOW>CROSS_MM_NOW,CROSS_EQUITY_NOW,0)", "its equity while alive, 0 once liquidated"),
        *_status_outputs(),
    ]


def _w2() -> Template:
    i = WORKED_EXAMPLES["W2"].inputs
    return Template(
        "W2", "w2_isolated_vs_cross", "W2 - $100 in the trade, $900 beside it", WORKED_EXAMPLES["W2"].lesson,
        inputs=[
            _in("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _in("SIZE", "BTC long", "BTC", SIZE, i["SIZE"], POSITIVE),
            _in("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _in("ISO_MARGIN", "Isolated margin", "USDT", AMOUNT, i["ISO_MARGIN"], NON_NEGATIVE),
            _in("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _in("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _out("ISO_LIQ_PRICE", "Isolated liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR)'),
            _out("CROSS_LIQ_PRICE", "Cross liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR)',
                 LONE_CROSS),
            _out("ISO_MAX_LOSS", "Most isolated can lose", "USDT", AMOUNT, "=ISO_MARGIN"),
            _out("CROSS_MAX_LOSS", "Most cross can lose", "USDT", AMOUNT, "=MAX(CROSS_EQUITY_NOW,0)"),
            _out("CROSS_MARGIN_RATIO", "Cross margin ratio", "rate", RATE, "=MARGIN_RATIO(CROSS_EQUITY_NOW,CROSS_MM_NOW)"),
            _out("CROSS_MARGIN_CALL", "Cross margin call", "", "General", "=MARGIN_CALL(CROSS_EQUITY_NOW,CROSS_MM_NOW)"),
            *_account_outputs("long", "SIZE", "ENTRY_PRICE", "MARK_PRICE", "ISO_MARGIN", "MMR"),
        ],
        positions=[Position("BTC long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.75, 1.05, "USDT"),
    )


def _w3() -> Template:
    i = WORKED_EXAMPLES["W3"].inputs
    pos = "$F$6:$F$7", "$G$6:$G$7", "$H$6:$H$7", "$I$6:$I$7", "$J$6:$J$7"  # side, size, entry, mark, margin
    side, size, entry, mark, margin = pos
    return Template(
        "W3", "w3_two_longs", "W3 - Two longs in a 500 USDT account", WORKED_EXAMPLES["W3"].lesson,
        inputs=[
            _in("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _in("BTC_SIZE", "BTC long", "BTC", SIZE, i["BTC_SIZE"], POSITIVE),
            _in("BTC_ENTRY", "BTC entry", "USDT", PRICE, i["BTC_ENTRY"], POSITIVE),
            _in("BTC_MARGIN", "BTC isolated margin", "USDT", AMOUNT, i["BTC_MARGIN"], NON_NEGATIVE),
            _in("ETH_SIZE", "ETH long", "ETH", SIZE, i["ETH_SIZE"], POSITIVE),
            _in("ETH_ENTRY", "ETH entry", "USDT", PRICE, i["ETH_ENTRY"], POSITIVE),
            _in("ETH_MARGIN", "ETH isolated margin", "USDT", AMOUNT, i["ETH_MARGIN"], NON_NEGATIVE),
            _in("BTC_PRICE", "BTC mark price", "USDT", PRICE, i["BTC_PRICE"], POSITIVE),
            _in("ETH_PRICE", "ETH mark price", "USDT", PRICE, i["ETH_PRICE"], POSITIVE),
            _in("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _out("ISO_BTC_LIQ_PRICE", "BTC isolated liquidation price", "USDT", PRICE, f"=INDEX(ISOLATED_LIQ_PRICE({side},{size},{entry},{margin},MMR),1)"),
            _out("ISO_ETH_LIQ_PRICE", "ETH isolated liquidation price", "USDT", PRICE, f"=INDEX(ISOLATED_LIQ_PRICE({side},{size},{entry},{margin},MMR),2)"),
            _out("CROSS_BTC_LIQ_PRICE", "BTC cross liquidation price (ETH at mark)", "USDT", PRICE, f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{side},{size},{entry},{mark},MMR),1)"),
            _out("CROSS_ETH_LIQ_PRICE", "ETH cross liquidation price (BTC at mark)", "USDT", PRICE, f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{side},{size},{entry},{mark},MMR),2)"),
            _out("CROSS_EQUITY", "Cross equity", "USDT", AMOUNT, f"=WALLET_BALANCE+SUM(UNREALIZED_PNL({side},{size},{entry},{mark}))"),
            _out("CROSS_MAINT_MARGIN", "Cross maintenance margin", "USDT", AMOUNT, f"=SUM(MAINT_MARGIN({size},{mark},MMR))"),
            _out("ISO_ACCOUNT_VALUE", "Account value, isolated", "USDT", AMOUNT, f"=ISOLATED_ACCOUNT_VALUE(WALLET_BALANCE-BTC_MARGIN-ETH_MARGIN,{side},{size},{entry},{mark},{margin},MMR)"),
            _out("CROSS_ACCOUNT_VALUE", "Account value, cross", "USDT", AMOUNT, "=IF(CROSS_EQUITY>CROSS_MAINT_MARGIN,CROSS_EQUITY,0)"),
            _out("CROSS_EQUITY_NOW", "Cross equity (for the status)", "USDT", AMOUNT, "=CROSS_EQUITY"),
            _out("CROSS_MM_NOW", "Cross maintenance margin (for the status)", "USDT", AMOUNT, "=CROSS_MAINT_MARGIN"),
            *_status_outputs(),
        ],
        positions=[
            Position("BTC long", '"long"', "=BTC_SIZE", "=BTC_ENTRY", "=BTC_PRICE", "=BTC_MARGIN", "=MMR"),
            Position("ETH long", '"long"', "=ETH_SIZE", "=ETH_ENTRY", "=ETH_PRICE", "=ETH_MARGIN", "=MMR"),
        ],
        chart=Chart("ETH_PRICE", 1, 0.60, 1.10, "USDT", "ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE"),
        free="WALLET_BALANCE-BTC_MARGIN-ETH_MARGIN",
    )


def _w4() -> Template:
    i = WORKED_EXAMPLES["W4"].inputs
    return Template(
        "W4", "w4_coin_margined", "W4 - Coin-margined perpetual, 5 of 10 BTC isolated", WORKED_EXAMPLES["W4"].lesson,
        inputs=[
            _in("WALLET_BALANCE", "Account balance", "BTC", SIZE, i["WALLET_BALANCE"], POSITIVE),
            _in("SIZE", "Long BTCUSD contracts (value)", "USD", AMOUNT, i["SIZE"], POSITIVE, "contracts x contract size"),
            _in("ENTRY_PRICE", "Entry price", "USD", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _in("ISO_MARGIN", "Isolated margin", "BTC", SIZE, i["ISO_MARGIN"], NON_NEGATIVE),
            _in("MARK_PRICE", "BTC mark price", "USD", PRICE, i["MARK_PRICE"], POSITIVE),
            _in("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _out("ISO_LIQ_PRICE", "Isolated liquidation price", "USD", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR,0,"inverse")'),
            _out("CROSS_LIQ_PRICE", "Cross liquidation price", "USD", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR,0,"inverse")',
                 LONE_CROSS),
            _out("ISO_MAX_LOSS", "Most isolated can lose", "BTC", SIZE, "=ISO_MARGIN"),
            _out("CROSS_MAX_LOSS", "Most cross can lose", "BTC", SIZE, "=MAX(CROSS_EQUITY_NOW,0)"),
            *_account_outputs("long", "SIZE", "ENTRY_PRICE", "MARK_PRICE", "ISO_MARGIN", "MMR", "inverse", "BTC"),
        ],
        positions=[Position("BTCUSD long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.75, 1.05, "BTC"),
        contract="inverse",
    )


def _w5() -> Template:
    i = WORKED_EXAMPLES["W5"].inputs
    rows = list(W5_POSITIONS.items())
    side, size, entry, mark, margin, mmr = (f"${c}$6:${c}$9" for c in "FGHIJK")
    positions = []
    for n, (symbol, (s, q, e, r)) in enumerate(rows):
        mark_formula = "=ALT1_PRICE" if symbol == "ALT1" else f"={e}"
        margin_formula = "=ALT1_ISO_MARGIN" if symbol == "ALT1" else "=0"
        positions.append(Position(f"{symbol} {s}", f'"{s}"', f"={q}", f"={e}", mark_formula, margin_formula, f"={r}"))
    return Template(
        "W5", "w5_altcoin_shorts", "W5 - Altcoin shorts in cross, one coin pumps", WORKED_EXAMPLES["W5"].lesson,
        inputs=[
            _in("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _in("ALT1_PRICE", "ALT1 mark price (entry 100)", "USDT", PRICE, i["ALT1_PRICE"], POSITIVE),
            _in("ALT1_ISO_MARGIN", "ALT1 margin if isolated", "USDT", AMOUNT, i["ALT1_ISO_MARGIN"], NON_NEGATIVE),
        ],
        outputs=[
            _out("CROSS_EQUITY", "Cross equity", "USDT", AMOUNT, f"=WALLET_BALANCE+SUM(UNREALIZED_PNL({side},{size},{entry},{mark}))"),
            _out("CROSS_MAINT_MARGIN", "Cross maintenance margin", "USDT", AMOUNT, f"=SUM(MAINT_MARGIN({size},{mark},{mmr}))"),
            _out("CROSS_MARGIN_RATIO", "Cross margin ratio", "rate", RATE, "=MARGIN_RATIO(CROSS_EQUITY,CROSS_MAINT_MARGIN)"),
            _out("ALT1_CROSS_LIQ_PRICE", "ALT1 cross liquidation price (others at mark)", "USDT", PRICE,
                 f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{side},{size},{entry},{mark},{mmr}),1)"),
            _out("ALT1_ISO_LIQ_PRICE", "ALT1 isolated liquidation price", "USDT", PRICE,
                 '=ISOLATED_LIQ_PRICE("short",$G$6,$H$6,ALT1_ISO_MARGIN,$K$6)'),
            _out("CROSS_ACCOUNT_VALUE", "Account value, cross", "USDT", AMOUNT, "=IF(CROSS_EQUITY>CROSS_MAINT_MARGIN,CROSS_EQUITY,0)"),
            _out("ISO_ACCOUNT_VALUE", "Account value, ALT1 isolated (rest in cross)", "USDT", AMOUNT,
                 f"=ISOLATED_ACCOUNT_VALUE(0,$F$6,$G$6,$H$6,$I$6,ALT1_ISO_MARGIN,$K$6)"
                 f"+{_cross_value_formula('WALLET_BALANCE-ALT1_ISO_MARGIN', '$F$7:$F$9', '$G$7:$G$9', '$H$7:$H$9', '$I$7:$I$9', '$K$7:$K$9')}"),
            _out("CROSS_EQUITY_NOW", "Cross equity (for the status)", "USDT", AMOUNT, "=CROSS_EQUITY"),
            _out("CROSS_MM_NOW", "Cross maintenance margin (for the status)", "USDT", AMOUNT, "=CROSS_MAINT_MARGIN"),
            *_status_outputs(),
        ],
        positions=positions,
        chart=Chart(
            "ALT1_PRICE", 0, 0.90, 1.50, "USDT", "ALT1_ISO_LIQ_PRICE", "ALT1_CROSS_LIQ_PRICE", "ALT1 isolated, rest cross",
            iso_formula=lambda r: (  # ALT1 (the first position) isolated, the other three in cross
                f"ISOLATED_ACCOUNT_VALUE(0,{r['side'][1]},{r['size'][1]},{r['entry'][1]},{r['mark'][1]},ALT1_ISO_MARGIN,{r['mmr'][1]})"
                f"+{_cross_value_formula('WALLET_BALANCE-ALT1_ISO_MARGIN', r['side'][2], r['size'][2], r['entry'][2], r['mark'][2], r['mmr'][2])}"
            ),
        ),
    )


def _w6() -> Template:
    i = WORKED_EXAMPLES["W6"].inputs
    return Template(
        "W6", "w6_topup_and_funding", "W6 - Margin top-up and funding in isolated mode", WORKED_EXAMPLES["W6"].lesson,
        inputs=[
            _in("SIZE", "BTC long", "BTC", SIZE, i["SIZE"], POSITIVE),
            _in("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _in("LEVERAGE", "Leverage at opening", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _in("ADDED_MARGIN", "Margin added by hand", "USDT", AMOUNT, i["ADDED_MARGIN"], ANY_NUMBER, "negative to remove margin"),
            _in("FUNDING_RATE", "Funding rate per 8 h", "rate", "0.000%", i["FUNDING_RATE"], ANY_NUMBER, "positive: longs pay"),
            _in("FUNDING_INTERVALS", "Funding intervals paid", "count", COUNT, i["FUNDING_INTERVALS"], WHOLE, "3 a day"),
            _in("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _in("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _out("OPENING_MARGIN", "Margin at opening", "USDT", AMOUNT, "=INITIAL_MARGIN(SIZE,ENTRY_PRICE,LEVERAGE)"),
            _out("FUNDING", "Funding received (-: paid)", "USDT", AMOUNT, '=FUNDING_PAYMENT("long",SIZE,MARK_PRICE,FUNDING_RATE,FUNDING_INTERVALS)'),
            _out("ISO_MARGIN", "Isolated margin now", "USDT", AMOUNT, "=OPENING_MARGIN+ADDED_MARGIN+FUNDING"),
            _out("ISO_LIQ_PRICE", "Isolated liquidation price now", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR)'),
            _out("LIQ_PRICE_AS_OPENED", "Liquidation price as opened", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,OPENING_MARGIN,MMR)'),
            _out("MARGIN_TO_ADD_BACK", "Margin that restores the opening price", "USDT", AMOUNT,
                 '=MARGIN_FOR_LIQ_PRICE("long",SIZE,ENTRY_PRICE,LIQ_PRICE_AS_OPENED,MMR)-ISO_MARGIN'),
            _out("ISO_STATUS", "Isolated position", "", "@",
                 '=IF(ISOLATED_ACCOUNT_VALUE(0,"long",SIZE,ENTRY_PRICE,MARK_PRICE,ISO_MARGIN,MMR)=0,"LIQUIDATED","ok")',
                 "LIQUIDATED once the position has lost its margin"),
        ],
        positions=[Position("BTC long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart(
            "MARK_PRICE", 0, 0.85, 1.05, "USDT", "ISO_LIQ_PRICE", "LIQ_PRICE_AS_OPENED", "with top-up and funding", "as opened",
            cross_formula=lambda r: (  # the same position with the margin it was opened with
                f"ISOLATED_ACCOUNT_VALUE(0,{r['side'][0]},{r['size'][0]},{r['entry'][0]},{r['mark'][0]},OPENING_MARGIN,{r['mmr'][0]})"
            ),
        ),
        wallet="ISO_MARGIN",
    )


TEMPLATES: dict[str, Callable[[], Template]] = {
    "W1": _w1, "W2": _w2, "W3": _w3, "W4": _w4, "W5": _w5, "W6": _w6,
}


# ---------------------------------------------------------------------------
# writing


class _Styles:
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


def _number(text: str) -> float | None:
    try:
        return float(text.lstrip("="))
    except ValueError:
        return None


def write_template(template: Template, path: Path, cached: dict[tuple[str, str], Any] | None = None) -> list[dict]:
    """Write ``template`` to ``path``; formula cells get ``cached`` values. Returns the names written."""
    cached = cached or {}
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": template.title, "author": "xlmargin", "created": FIXED_DATE})
    book.set_calc_mode("auto")
    styles = _Styles(book)
    sheet = book.add_worksheet(template.key)
    readme = book.add_worksheet("README")
    names: list[dict] = []

    defined = {item.name for item in template.inputs + template.outputs}

    def formula(row: int, col: int, text: str, fmt: Any) -> None:
        # A formula must not call a function that shares its name with a defined name: some
        # spreadsheet programs would read the name, not the function.
        shadowed = set(re.findall(r"([A-Z_][A-Z0-9_]*)\(", text)) & defined
        if shadowed:
            raise ValueError(f"{template.key}: {', '.join(shadowed)} is both a defined name and a function in {text}")
        ref = xl_rowcol_to_cell(row, col)
        sheet.write_formula(row, col, text, fmt, cached.get((template.key, ref), 0))

    def define(name: str, row: int, col: int, item: Item, kind: str) -> None:
        book.define_name(name, f"={template.key}!{xl_rowcol_to_cell(row, col, True, True)}")
        names.append({"name": name, "cell": f"{template.key}!{xl_rowcol_to_cell(row, col)}", "kind": kind,
                      "unit": item.unit, "label": item.label, "description": item.description})

    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 7)
    sheet.set_column(4, 4, 14)
    sheet.set_column(5, 11, 12)
    sheet.set_column(12, 12, 4)
    sheet.set_column(13, 20, 13)
    sheet.write(0, 0, template.title, styles.title)
    sheet.merge_range(1, 0, 1, 10, template.lesson, styles.lesson)
    sheet.set_row(1, 36)
    sheet.write(2, 0, "Yellow cells are inputs; green cells recalculate with xlmargin's Excel functions.", styles.note)

    row = 4
    sheet.write(row, 0, "Inputs", styles.header)
    for item in template.inputs:
        row += 1
        sheet.write(row, 0, item.label, styles.label)
        sheet.write(row, 1, item.value, styles.cell("input", item.number_format))
        sheet.write(row, 2, item.unit, styles.unit)
        validation = dict(item.validation or {})
        validation.setdefault("error_title", item.label)
        validation["input_title"] = item.name[:32]
        validation["input_message"] = f"{item.label} [{item.unit}]"[:255]
        sheet.data_validation(row, 1, row, 1, validation)
        define(item.name, row, 1, item, "input")
    row += 2
    sheet.write(row, 0, "Outputs", styles.header)
    status_cells = []
    for item in template.outputs:
        row += 1
        sheet.write(row, 0, item.label, styles.label)
        formula(row, 1, item.formula, styles.cell("output", item.number_format))
        sheet.write(row, 2, item.unit, styles.unit)
        define(item.name, row, 1, item, "output")
        if item.name.endswith("_STATUS"):
            status_cells.append(xl_rowcol_to_cell(row, 1))
    last_output_row = row
    for ref in status_cells:
        for text, color in (("LIQUIDATED", "#F8CBAD"), ("MARGIN CALL", "#FFE699"), ("ok", "#C6EFCE")):
            sheet.conditional_format(ref, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                           "format": book.add_format({"bg_color": color, "bold": True})})

    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    _write_positions(template, sheet, styles, formula)
    if template.chart:
        _write_chart(template, book, sheet, styles, formula, last_output_row + 2)
    sheet.print_area(0, 0, last_output_row + 22, 11)  # the story and its chart; the chart data stays off the page
    _write_readme(template, readme, styles, names)
    book.close()
    return names


POSITION_ROW = 4  # header row of the positions table (E5:K5); positions from row 6


def _write_positions(template: Template, sheet: Any, styles: _Styles, formula: Callable) -> None:
    headers = ("position", "side", "size", "entry", "mark", "iso margin", "mmr")
    for col, text in enumerate(headers, start=4):
        sheet.write(POSITION_ROW, col, text, styles.header)
    formats = ("@", "@", SIZE, PRICE, PRICE, AMOUNT, RATE)
    for n, pos in enumerate(template.positions):
        row = POSITION_ROW + 1 + n
        sheet.write(row, 4, pos.label, styles.label)
        for col, (value, fmt) in enumerate(zip((pos.side, pos.size, pos.entry, pos.mark, pos.margin, pos.mmr), formats[1:]), 5):
            if value.startswith('"'):
                sheet.write_string(row, col, value.strip('"'), styles.cell("input", fmt))
                sheet.data_validation(row, col, row, col, SIDES)
            elif _number(value) is not None:
                sheet.write_number(row, col, _number(value), styles.cell("input", fmt))
            else:
                formula(row, col, value, styles.cell("helper", fmt))


GRID_POINTS = 41


def _write_chart(template: Template, book: Any, sheet: Any, styles: _Styles, formula: Callable, chart_row: int) -> None:
    chart, k = template.chart, len(template.positions)
    col0, top = 13, 4  # helper block from N5
    sheet.write(top, col0, f"Chart data: account value by {chart.price_input} (formulas; do not edit)", styles.header)
    fields = ("side", "size", "entry", "margin", "mmr")
    table_col = {"side": 5, "size": 6, "entry": 7, "mark": 8, "margin": 9, "mmr": 10}
    rows: dict[str, list[str]] = {}
    for f, name in enumerate(fields):
        r = top + 1 + f
        sheet.write(r, col0, name, styles.unit)
        for j in range(k):
            source = xl_rowcol_to_cell(POSITION_ROW + 1 + j, table_col[name], True, True)
            formula(r, col0 + 1 + j, f"={source}", styles.cell("helper", "General"))
        first, last = xl_rowcol_to_cell(r, col0 + 1, True, True), xl_rowcol_to_cell(r, col0 + k, True, True)
        rows[name] = [f"{first}:{last}", xl_rowcol_to_cell(r, col0 + 1, True, True),
                      f"{xl_rowcol_to_cell(r, col0 + 2, True, True)}:{last}", xl_rowcol_to_cell(r, col0 + 1, True, True)]
    head = top + 7
    labels = ["price", *(f"mark {p.label}" for p in template.positions), chart.iso_label, chart.cross_label]
    for c, text in enumerate(labels):
        sheet.write(head, col0 + c, text, styles.header)
    entry_ref = xl_rowcol_to_cell(top + 3, col0 + 1 + chart.varied, True, True)
    contract = f',0,"{template.contract}"' if template.contract != "linear" else ""
    step = (chart.high - chart.low) / (GRID_POINTS - 1)
    for i in range(GRID_POINTS):
        r = head + 1 + i
        formula(r, col0, f"={entry_ref}*{chart.low + i * step:.6g}", styles.cell("helper", PRICE))
        for j in range(k):
            mark = f"={xl_rowcol_to_cell(r, col0, False, True)}" if j == chart.varied else \
                f"={xl_rowcol_to_cell(POSITION_ROW + 1 + j, table_col['mark'], True, True)}"
            formula(r, col0 + 1 + j, mark, styles.cell("helper", PRICE))
        marks = f"{xl_rowcol_to_cell(r, col0 + 1)}:{xl_rowcol_to_cell(r, col0 + k)}"
        r_ = {name: rows[name][0] for name in fields} | {"mark": marks}
        parts = {name: [rows[name][0], rows[name][1], rows[name][2]] for name in fields}
        parts["mark"] = [marks, xl_rowcol_to_cell(r, col0 + 1), f"{xl_rowcol_to_cell(r, col0 + 2)}:{xl_rowcol_to_cell(r, col0 + k)}"]
        if chart.iso_formula:
            iso = chart.iso_formula(parts)
        else:
            iso = (f"ISOLATED_ACCOUNT_VALUE({template.free},{r_['side']},{r_['size']},{r_['entry']},{r_['mark']},"
                   f"{r_['margin']},{r_['mmr']}{contract})")
        if chart.cross_formula:
            cross = chart.cross_formula(parts)
        else:
            cross = _cross_value_formula(template.wallet, r_["side"], r_["size"], r_["entry"], r_["mark"], r_["mmr"], template.contract)
        formula(r, col0 + k + 1, f"={iso}", styles.cell("helper", AMOUNT))
        formula(r, col0 + k + 2, f"={cross}", styles.cell("helper", AMOUNT))
    # liquidation points on the price axis
    marker_row = head + GRID_POINTS + 2
    sheet.write(marker_row, col0, "liquidation points", styles.header)
    for n, name in enumerate((chart.iso_marker, chart.cross_marker)):
        r = marker_row + 1 + n
        formula(r, col0, f"={name}", styles.cell("helper", PRICE))
        sheet.write_number(r, col0 + 1, 0, styles.cell("helper", AMOUNT))
    # the chart
    plot = book.add_chart({"type": "scatter", "subtype": "straight"})
    first, last = head + 1, head + GRID_POINTS
    sheet_name = template.key
    for offset, label, color in ((k + 1, chart.iso_label, "#2F5597"), (k + 2, chart.cross_label, "#C55A11")):
        plot.add_series({
            "name": label,
            "categories": [sheet_name, first, col0, last, col0],
            "values": [sheet_name, first, col0 + offset, last, col0 + offset],
            "line": {"color": color, "width": 2.25},
        })
    for n, (label, color) in enumerate(((f"liquidation, {chart.iso_label}", "#2F5597"), (f"liquidation, {chart.cross_label}", "#C55A11"))):
        r = marker_row + 1 + n
        plot.add_series({
            "name": label,
            "categories": [sheet_name, r, col0, r, col0],
            "values": [sheet_name, r, col0 + 1, r, col0 + 1],
            "line": {"none": True},
            "marker": {"type": "diamond", "size": 9, "fill": {"color": color}, "border": {"color": "#000000"}},
        })
    plot.set_title({"name": f"Account value against {chart.price_input.replace('_', ' ').lower()}", "name_font": {"size": 12}})
    plot.set_x_axis({"name": f"{chart.price_input.replace('_', ' ').lower()} [{chart.unit if template.contract == 'linear' else 'USD'}]",
                     "num_format": "#,##0", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    plot.set_y_axis({"name": f"account value [{chart.unit}]", "num_format": "#,##0.00"})
    plot.set_legend({"position": "bottom"})
    plot.set_size({"width": 760, "height": 340})
    sheet.insert_chart(chart_row, 0, plot)


def _write_readme(template: Template, sheet: Any, styles: _Styles, names: list[dict]) -> None:
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 3, 9)
    sheet.set_column(4, 5, 48)
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


def build_template(key: str, folder: Path, force: bool = True) -> Path:
    """Build one worked-example template into ``folder``, with cached values; returns its path."""
    from .engine import RecalcBook

    template = TEMPLATES[key]()
    target = Path(folder) / f"{template.file}.xlsx"
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / target.name
        write_template(template, draft)  # formulas without values
        book = RecalcBook(draft)
        book.calculate(all_cells=True)
        cached = {(sheet, cell): ("" if value is None else value) for (sheet, cell), value in book.cell_values().items()}
    return write_atomically(target, lambda tmp: _write_xlsx_via(tmp, lambda p: write_template(template, p, cached)), force=force)


# ---------------------------------------------------------------------------
# the blank risk review

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


def write_risk_review(path: Path) -> None:
    """The blank risk-review workbook: accounts, positions and tier tables to fill in."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": "xlmargin risk review", "author": "xlmargin", "created": FIXED_DATE})
    styles = _Styles(book)
    readme = book.add_worksheet("README")
    readme.set_column(0, 0, 100)
    lines = [
        ("xlmargin risk review", styles.title),
        ("Fill the Accounts, Positions and Tiers sheets (one row each; yellow cells), then run:", None),
        ("    xlmargin report risk_review.xlsx      (a report with margins, liquidation prices and stress tests)", None),
        ("Positions: contract linear/inverse, side long/short, margin_mode isolated/cross; sizes in the base asset", None),
        ("(linear) or the USD value (inverse); amounts in the settlement asset. tier_set names a set of rows on the", None),
        ("Tiers sheet or a table shipped with xlmargin (xlmargin tiers lists them). The notional and unrealized PnL", None),
        ("columns recalculate with xlmargin's Excel functions.", None),
    ]
    for n, (text, fmt) in enumerate(lines):
        readme.write(n, 0, text, fmt or styles.note)
    for sheet_name, columns in RISK_REVIEW.items():
        sheet = book.add_worksheet(sheet_name)
        extra = POSITION_OUTPUTS if sheet_name == "Positions" else []
        headers = [c[0] for c in columns] + [o[0] for o in extra]
        last_col = len(headers) - 1
        for col, (header, width, fmt, validation, help_text) in enumerate(columns):
            sheet.set_column(col, col, width, styles.cell("input", fmt))
            if validation:
                rule = dict(validation, input_title=header, input_message=help_text[:255])
                sheet.data_validation(1, col, RISK_REVIEW_ROWS, col, rule)
        table_columns = [{"header": h} for h in headers]
        for n, (header, fmt, template) in enumerate(extra, start=len(columns)):
            sheet.set_column(n, n, 16, styles.cell("output", fmt))
            for r in range(1, RISK_REVIEW_ROWS + 1):
                sheet.write_formula(r, n, template.format(r=r + 1), styles.cell("output", fmt), "")
        sheet.add_table(0, 0, RISK_REVIEW_ROWS, last_col,
                        {"name": sheet_name, "columns": table_columns, "style": "Table Style Light 9", "autofilter": True})
        sheet.freeze_panes(1, 0)
        book.define_name(f"{sheet_name.upper()}_TABLE", f"={sheet_name}!$A$1:{xl_rowcol_to_cell(RISK_REVIEW_ROWS, last_col, True, True)}")
    book.close()


def build_all(folder: Path, force: bool = False) -> list[Path]:
    """Build every template into ``folder``: W1-W6 and risk_review.xlsx."""
    paths = [build_template(key, folder, force=force) for key in TEMPLATES]
    target = Path(folder) / "risk_review.xlsx"
    paths.append(write_atomically(target, lambda tmp: _write_xlsx_via(tmp, write_risk_review), force=force))
    return paths


def _write_xlsx_via(tmp: Path, writer: Callable[[Path], None]) -> None:
    final = tmp.with_suffix(".xlsx")  # XlsxWriter wants an .xlsx name
    writer(final)
    final.replace(tmp)

