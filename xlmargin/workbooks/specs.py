"""The six worked examples W1-W6 as template specifications: data, no writing.

Inputs and outputs carry the names of :mod:`xlmargin.core.examples`, whose
functions are the reference the tests hold the workbooks to; the input values
are that module's defaults. Every output is plain spreadsheet arithmetic (see
:class:`~.model.Leg`), so the files compute in any spreadsheet program; where
xlmargin has an Excel function for the same figure, the output carries it as
its ``check``, shown beside it. :data:`TEMPLATES` maps each key to the function
that makes its :class:`~.model.Template`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..core.examples import W5_POSITIONS, WORKED_EXAMPLES
from .specs_live import w3_live
from .specs_trades import entry_ladder_template, what_if_template
from .model import (
    A_RATE, AMOUNT, ANY_NUMBER, COUNT, NON_NEGATIVE, POSITIVE, PRICE, RATE, SIDES, SIZE, USD, WHOLE,
    Chart, Item, Position, Series, Template, alive_or_zero, cross_status, margin_call, margin_ratio, position_cells,
    table_leg, table_mm, table_pnl, table_value,
)

ISO_COLOUR, CROSS_COLOUR = "#2F5597", "#C55A11"
LONE_CROSS = "a lone position in cross mode: the whole wallet is its margin"


def _output(name, label, unit, fmt, formula, description="", check=None):
    return Item(name, label, unit, fmt, formula=formula, description=description, check=check)


def _input(name, label, unit, fmt, value, validation, description=""):
    return Item(name, label, unit, fmt, value=value, validation=validation, description=description)


def _side(name="SIDE", label="Side"):
    return _input(name, label, "", "@", "long", SIDES, "long or short")


def _inverse(contract: str) -> str:
    """The trailing arguments of an xlmargin function for the contract: none for linear."""
    return ',0,"inverse"' if contract == "inverse" else ""


def _isolated_status(parts: list[tuple[str, str]]) -> str:
    """ok, or which of the labelled parts (label, alive condition) are LIQUIDATED."""
    if len(parts) == 1:
        return f'=IF({parts[0][1]},"ok","LIQUIDATED")'
    everyone = ",".join(alive for _, alive in parts)
    names = "&".join(f'IF({alive},"","{label} ")' for label, alive in parts)
    return f'=IF(AND({everyone}),"ok",TRIM({names})&" LIQUIDATED")'


def _cross_outputs(equity: str, unit: str, fmt: str, equity_check: str, mm_check: str, count: int) -> list[Item]:
    """Equity, maintenance margin, margin ratio and value of a cross account over the table's positions."""
    pnl, mm = position_cells("pnl", 0, count - 1), position_cells("mm", 0, count - 1)
    return [
        _output("CROSS_EQUITY", "Cross equity", unit, fmt, f"={equity}+SUM({pnl})", "wallet + every uPnL", f"{equity}+{equity_check}"),
        _output("CROSS_MAINT_MARGIN", "Cross maintenance margin", unit, fmt, f"=SUM({mm})", "", mm_check),
        _output("CROSS_MARGIN_RATIO", "Cross margin ratio", "rate", RATE, "=" + margin_ratio("CROSS_EQUITY", "CROSS_MAINT_MARGIN"),
                "maintenance margin / equity; 100 % liquidates", "MARGIN_RATIO(CROSS_EQUITY,CROSS_MAINT_MARGIN)"),
        _output("CROSS_ACCOUNT_VALUE", "Account value, cross", unit, fmt, "=" + alive_or_zero("CROSS_EQUITY", "CROSS_MAINT_MARGIN"),
                "its equity while alive, 0 once liquidated"),
        _output("CROSS_STATUS", "Cross account", "", "@", "=" + cross_status("CROSS_EQUITY", "CROSS_MAINT_MARGIN"),
                "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED"),
    ]


# ---------------------------------------------------------------- W1
def w1() -> Template:
    """W1: initial vs maintenance margin of the largest position a balance allows."""
    i = WORKED_EXAMPLES["W1"].inputs
    leg = table_leg(0)
    return Template(
        "W1", "w1_initial_vs_maintenance", "W1 - Initial vs maintenance margin", WORKED_EXAMPLES["W1"].lesson,
        inputs=[
            _input("BALANCE", "Balance", "USDT", AMOUNT, i["BALANCE"], POSITIVE, "what the trader puts up"),
            _input("LEVERAGE", "Leverage", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _side(),
            _input("ENTRY_PRICE", "BTC entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("MAX_SIZE", "Largest position", "BTC", SIZE, "=BALANCE*LEVERAGE/ENTRY_PRICE", "balance x leverage / entry",
                    "MAX_POSITION_SIZE(BALANCE,LEVERAGE,ENTRY_PRICE)"),
            _output("IM_AT_ENTRY", "Initial margin", "USDT", AMOUNT, "=MAX_SIZE*ENTRY_PRICE/LEVERAGE", "notional / leverage: to open",
                    "INITIAL_MARGIN(MAX_SIZE,ENTRY_PRICE,LEVERAGE)"),
            _output("MM_AT_ENTRY", "Maintenance margin at entry", "USDT", AMOUNT, "=MAX_SIZE*ENTRY_PRICE*MMR", "notional x mmr: to stay open",
                    "MAINT_MARGIN(MAX_SIZE,ENTRY_PRICE,MMR)"),
            _output("MM_AT_MARK", "Maintenance margin at mark", "USDT", AMOUNT, f"={table_mm(0)}", "", "MAINT_MARGIN(MAX_SIZE,MARK_PRICE,MMR)"),
            _output("ISO_LIQ_PRICE", "Liquidation price", "USDT", PRICE, "=" + leg.liq_price(),
                    "isolated with the balance as margin; the same in cross, where the balance is the wallet",
                    "ISOLATED_LIQ_PRICE(SIDE,MAX_SIZE,ENTRY_PRICE,BALANCE,MMR)"),
            _output("PNL", "Unrealized PnL (either mode)", "USDT", AMOUNT, f"={table_pnl(0)}", "",
                    "UNREALIZED_PNL(SIDE,MAX_SIZE,ENTRY_PRICE,MARK_PRICE)"),
            _output("MARGIN_BALANCE", "Margin + PnL", "USDT", AMOUNT, "=BALANCE+PNL", "liquidated where it reaches the maintenance margin"),
            _output("POSITION_MARGIN_RATIO", "Margin ratio", "rate", RATE, "=" + margin_ratio("MARGIN_BALANCE", "MM_AT_MARK"),
                    "maintenance margin / (margin + PnL); 100 % liquidates", "MARGIN_RATIO(MARGIN_BALANCE,MM_AT_MARK)"),
            _output("POSITION_STATUS", "Position", "", "@", "=" + cross_status("MARGIN_BALANCE", "MM_AT_MARK"),
                    "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED"),
        ],
        positions=[Position("BTC", "=SIDE", "=MAX_SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=BALANCE", "=MMR")],
        chart=Chart("MARK_PRICE", "BTC mark price", 0, 0.80, 1.10, "USDT", y_title="Margin",
                    title="Margin + PnL against the initial and maintenance margin", series=[
            Series("Margin + PnL (0 once liquidated)", ISO_COLOUR,
                   lambda x: alive_or_zero(f"BALANCE+{leg.at(x).pnl()}", leg.at(x).maint_margin()),
                   marker="ISO_LIQ_PRICE", marker_value=lambda x: leg.at(x).maint_margin(),
                   marker_label="liquidated: margin + PnL meets maintenance margin"),
            Series("Initial margin (notional / leverage)", "#7030A0", lambda x: f"MAX_SIZE*{x}/LEVERAGE", dash=True),
            Series("Maintenance margin (notional x mmr)", "#C00000", lambda x: leg.at(x).maint_margin(), dash=True),
        ]),
    )


# ---------------------------------------------------------------- W2 and W4: one position, isolated against cross
def _one_position(key: str, contract: str, unit: str, amount: str) -> tuple[list[Item], Chart]:
    """The outputs and chart of one position held isolated (ISO_MARGIN) or cross (the whole WALLET_BALANCE)."""
    inverse = contract == "inverse"
    leg, extra = table_leg(0, inverse), _inverse(contract)
    udf_position = "SIDE,SIZE,ENTRY_PRICE"
    pnl_check = f"UNREALIZED_PNL({udf_position},MARK_PRICE" + (',"inverse")' if inverse else ")")
    free = "WALLET_BALANCE-ISO_MARGIN"
    outputs = [
        _output("ISO_LIQ_PRICE", "Isolated liquidation price", "USD" if inverse else unit, PRICE, "=" + leg.liq_price(), "",
                f"ISOLATED_LIQ_PRICE({udf_position},ISO_MARGIN,MMR{extra})"),
        _output("CROSS_LIQ_PRICE", "Cross liquidation price", "USD" if inverse else unit, PRICE, "=" + leg.liq_price("WALLET_BALANCE"),
                LONE_CROSS, f"ISOLATED_LIQ_PRICE({udf_position},WALLET_BALANCE,MMR{extra})"),
        _output("ISO_MAX_LOSS", "Most isolated can lose", unit, amount, "=ISO_MARGIN", "the margin given to the position"),
        _output("CROSS_MAX_LOSS", "Most cross can lose", unit, amount, "=MAX(CROSS_EQUITY,0)", "the whole equity"),
        _output("ISO_ACCOUNT_VALUE", "Account value, isolated", unit, amount, f"={free}+{table_value(0, inverse)}",
                "the balance beside the position, plus its margin while alive",
                f"ISOLATED_ACCOUNT_VALUE({free},{udf_position},MARK_PRICE,ISO_MARGIN,MMR{extra})"),
        _output("ISO_STATUS", "Isolated position", "", "@", _isolated_status([("", table_leg(0, inverse).alive(table_pnl(0), table_mm(0)))]),
                "LIQUIDATED once the position has lost its margin; the balance beside it stays"),
        *_cross_outputs("WALLET_BALANCE", unit, amount, pnl_check,
                        f"MAINT_MARGIN(SIZE,MARK_PRICE,MMR{extra})", 1),
        _output("CROSS_MARGIN_CALL", "Cross margin call", "", "General", "=" + margin_call("CROSS_EQUITY", "CROSS_MAINT_MARGIN"),
                "TRUE from a margin ratio of 80 %", "MARGIN_CALL(CROSS_EQUITY,CROSS_MAINT_MARGIN)"),
    ]
    chart = Chart("MARK_PRICE", "BTC mark price", 0, 0.75, 1.05, unit, series=[
        Series("Isolated: the position's margin plus the rest", ISO_COLOUR, lambda x: f"{free}+{leg.at(x).value()}", "ISO_LIQ_PRICE"),
        Series("Cross: the whole balance backs it", CROSS_COLOUR,
               lambda x: alive_or_zero(f"WALLET_BALANCE+{leg.at(x).pnl()}", leg.at(x).maint_margin()), "CROSS_LIQ_PRICE"),
    ])
    return outputs, chart


def w2() -> Template:
    """W2: $100 in the trade, $900 beside it; isolated against cross for one position."""
    i = WORKED_EXAMPLES["W2"].inputs
    outputs, chart = _one_position("W2", "linear", "USDT", AMOUNT)
    return Template(
        "W2", "w2_isolated_vs_cross", "W2 - $100 in the trade, $900 beside it", WORKED_EXAMPLES["W2"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _side(),
            _input("SIZE", "BTC position", "BTC", SIZE, i["SIZE"], POSITIVE),
            _input("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("ISO_MARGIN", "Isolated margin", "USDT", AMOUNT, i["ISO_MARGIN"], NON_NEGATIVE),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=outputs,
        positions=[Position("BTC", "=SIDE", "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=chart,
    )


def w4() -> Template:
    """W4: a coin-margined (inverse) perpetual, 5 of 10 BTC isolated."""
    i = WORKED_EXAMPLES["W4"].inputs
    outputs, chart = _one_position("W4", "inverse", "BTC", SIZE)
    return Template(
        "W4", "w4_coin_margined", "W4 - Coin-margined perpetual, 5 of 10 BTC isolated", WORKED_EXAMPLES["W4"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "BTC", SIZE, i["WALLET_BALANCE"], POSITIVE),
            _side(),
            _input("SIZE", "BTCUSD contracts (value)", "USD", USD, i["SIZE"], POSITIVE, "contracts x contract size"),
            _input("ENTRY_PRICE", "Entry price", "USD", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("ISO_MARGIN", "Isolated margin", "BTC", SIZE, i["ISO_MARGIN"], NON_NEGATIVE),
            _input("MARK_PRICE", "BTC mark price", "USD", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=outputs,
        positions=[Position("BTCUSD", "=SIDE", "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=replace(chart, price_label="BTC mark price"),
        contract="inverse",
    )


# ---------------------------------------------------------------- W3
def w3() -> Template:
    """W3: two longs in a 500 USDT account; ETH falls while BTC rises."""
    i = WORKED_EXAMPLES["W3"].inputs
    btc, eth = table_leg(0), table_leg(1)
    ranges = {c: position_cells(c, 0, 1) for c in ("side", "size", "entry", "mark", "margin")}
    udf = f"{ranges['side']},{ranges['size']},{ranges['entry']}"
    free = "WALLET_BALANCE-BTC_MARGIN-ETH_MARGIN"
    btc_alive, eth_alive = btc.alive(table_pnl(0), table_mm(0)), eth.alive(table_pnl(1), table_mm(1))
    return Template(
        "W3", "w3_two_longs", "W3 - Two longs in a 500 USDT account", WORKED_EXAMPLES["W3"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _side("BTC_SIDE", "BTC side"),
            _input("BTC_SIZE", "BTC position", "BTC", SIZE, i["BTC_SIZE"], POSITIVE),
            _input("BTC_ENTRY", "BTC entry", "USDT", PRICE, i["BTC_ENTRY"], POSITIVE),
            _input("BTC_MARGIN", "BTC isolated margin", "USDT", AMOUNT, i["BTC_MARGIN"], NON_NEGATIVE),
            _side("ETH_SIDE", "ETH side"),
            _input("ETH_SIZE", "ETH position", "ETH", SIZE, i["ETH_SIZE"], POSITIVE),
            _input("ETH_ENTRY", "ETH entry", "USDT", PRICE, i["ETH_ENTRY"], POSITIVE),
            _input("ETH_MARGIN", "ETH isolated margin", "USDT", AMOUNT, i["ETH_MARGIN"], NON_NEGATIVE),
            _input("BTC_PRICE", "BTC mark price", "USDT", PRICE, i["BTC_PRICE"], POSITIVE),
            _input("ETH_PRICE", "ETH mark price", "USDT", PRICE, i["ETH_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("ISO_BTC_LIQ_PRICE", "BTC isolated liquidation price", "USDT", PRICE, "=" + btc.liq_price(), "",
                    f"INDEX(ISOLATED_LIQ_PRICE({udf},{ranges['margin']},MMR),1)"),
            _output("ISO_ETH_LIQ_PRICE", "ETH isolated liquidation price", "USDT", PRICE, "=" + eth.liq_price(), "",
                    f"INDEX(ISOLATED_LIQ_PRICE({udf},{ranges['margin']},MMR),2)"),
            _output("CROSS_BTC_LIQ_PRICE", "BTC cross liquidation price (ETH at mark)", "USDT", PRICE,
                    "=" + btc.liq_price(f"WALLET_BALANCE+{table_pnl(1)}-{table_mm(1)}"),
                    "the wallet, ETH's PnL less ETH's maintenance margin hold BTC up",
                    f"INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{udf},{ranges['mark']},MMR),1)"),
            _output("CROSS_ETH_LIQ_PRICE", "ETH cross liquidation price (BTC at mark)", "USDT", PRICE,
                    "=" + eth.liq_price(f"WALLET_BALANCE+{table_pnl(0)}-{table_mm(0)}"),
                    "the wallet, BTC's PnL less BTC's maintenance margin hold ETH up",
                    f"INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{udf},{ranges['mark']},MMR),2)"),
            _output("ISO_ACCOUNT_VALUE", "Account value, isolated", "USDT", AMOUNT, f"={free}+{table_value(0)}+{table_value(1)}",
                    "the spare balance plus each position's margin while alive",
                    f"ISOLATED_ACCOUNT_VALUE({free},{udf},{ranges['mark']},{ranges['margin']},MMR)"),
            _output("ISO_STATUS", "Isolated positions", "", "@", _isolated_status([("BTC", btc_alive), ("ETH", eth_alive)]),
                    "which isolated position, if any, has lost its margin"),
            *_cross_outputs("WALLET_BALANCE", "USDT", AMOUNT, f"SUM(UNREALIZED_PNL({udf},{ranges['mark']}))",
                            f"SUM(MAINT_MARGIN({ranges['size']},{ranges['mark']},MMR))", 2),
        ],
        positions=[
            Position("BTC", "=BTC_SIDE", "=BTC_SIZE", "=BTC_ENTRY", "=BTC_PRICE", "=BTC_MARGIN", "=MMR"),
            Position("ETH", "=ETH_SIDE", "=ETH_SIZE", "=ETH_ENTRY", "=ETH_PRICE", "=ETH_MARGIN", "=MMR"),
        ],
        chart=Chart("ETH_PRICE", "ETH mark price", 1, 0.60, 1.10, "USDT", series=[
            Series("Isolated: ETH lost alone", ISO_COLOUR, lambda x: f"{free}+{table_value(0)}+{eth.at(x).value()}", "ISO_ETH_LIQ_PRICE"),
            Series("Cross: BTC props ETH up, then both go", CROSS_COLOUR,
                   lambda x: alive_or_zero(f"WALLET_BALANCE+{table_pnl(0)}+{eth.at(x).pnl()}", f"{table_mm(0)}+{eth.at(x).maint_margin()}"),
                   "CROSS_ETH_LIQ_PRICE"),
        ]),
    )


# ---------------------------------------------------------------- W5
def w5() -> Template:
    """W5: altcoin shorts in a cross account, one coin pumps."""
    i = WORKED_EXAMPLES["W5"].inputs
    last = len(W5_POSITIONS) - 1
    alt1 = table_leg(0)
    ranges = {c: position_cells(c, 0, last) for c in ("side", "size", "entry", "mark", "mmr")}
    rest_pnl, rest_mm = f"SUM({position_cells('pnl', 1, last)})", f"SUM({position_cells('mm', 1, last)})"
    rest_free = "WALLET_BALANCE-ALT1_ISO_MARGIN"
    rest_alive = f"{rest_free}+{rest_pnl}>{rest_mm}"
    positions = [
        Position(symbol, f'"{s}"', f"={q}", f"={e}", "=ALT1_PRICE" if symbol == "ALT1" else f"={e}",
                 "=ALT1_ISO_MARGIN" if symbol == "ALT1" else "cross", f"={r}")
        for symbol, (s, q, e, r) in W5_POSITIONS.items()
    ]
    udf = ",".join(ranges[c] for c in ("side", "size", "entry", "mark"))
    return Template(
        "W5", "w5_altcoin_shorts", "W5 - Altcoin shorts in cross, one coin pumps", WORKED_EXAMPLES["W5"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _input("ALT1_PRICE", "ALT1 mark price (entry 100)", "USDT", PRICE, i["ALT1_PRICE"], POSITIVE),
            _input("ALT1_ISO_MARGIN", "ALT1 margin if isolated", "USDT", AMOUNT, i["ALT1_ISO_MARGIN"], NON_NEGATIVE),
        ],
        outputs=[
            *_cross_outputs("WALLET_BALANCE", "USDT", AMOUNT, f"SUM(UNREALIZED_PNL({udf}))",
                            f"SUM(MAINT_MARGIN({ranges['size']},{ranges['mark']},{ranges['mmr']}))", len(W5_POSITIONS)),
            _output("ALT1_CROSS_LIQ_PRICE", "ALT1 cross liquidation price (others at mark)", "USDT", PRICE,
                    "=" + alt1.liq_price(f"WALLET_BALANCE+{rest_pnl}-{rest_mm}"),
                    "every other position's PnL and maintenance margin held at its mark",
                    f"INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{udf},{ranges['mmr']}),1)"),
            _output("ALT1_ISO_LIQ_PRICE", "ALT1 isolated liquidation price", "USDT", PRICE, "=" + alt1.liq_price(), "",
                    f"ISOLATED_LIQ_PRICE({position_cells('side', 0)},{position_cells('size', 0)},{position_cells('entry', 0)},"
                    f"ALT1_ISO_MARGIN,{position_cells('mmr', 0)})"),
            _output("ISO_ACCOUNT_VALUE", "Account value, ALT1 isolated (rest in cross)", "USDT", AMOUNT,
                    f"={table_value(0)}+{alive_or_zero(f'{rest_free}+{rest_pnl}', rest_mm)}",
                    "ALT1's margin while alive, plus the cross account of the rest"),
            _output("ISO_STATUS", "ALT1 isolated, rest in cross", "", "@",
                    _isolated_status([("ALT1", alt1.alive(table_pnl(0), table_mm(0))), ("the rest", rest_alive)]),
                    "which part, if any, is liquidated"),
        ],
        positions=positions,
        chart=Chart("ALT1_PRICE", "ALT1 mark price", 0, 0.90, 1.50, "USDT", series=[
            Series("ALT1 isolated, the rest in cross", ISO_COLOUR,
                   lambda x: f"{alt1.at(x).value()}+{alive_or_zero(f'{rest_free}+{rest_pnl}', rest_mm)}", "ALT1_ISO_LIQ_PRICE",
                   marker_label="liquidated: ALT1 isolated"),
            Series("All in cross: one pump takes everything", CROSS_COLOUR,
                   lambda x: alive_or_zero(f"WALLET_BALANCE+{alt1.at(x).pnl()}+{rest_pnl}", f"{alt1.at(x).maint_margin()}+{rest_mm}"),
                   "ALT1_CROSS_LIQ_PRICE"),
        ]),
    )


# ---------------------------------------------------------------- W6
def w6() -> Template:
    """W6: a margin top-up and funding payments move an isolated liquidation price; the same funding in cross."""
    i = WORKED_EXAMPLES["W6"].inputs
    leg = table_leg(0)
    udf = "SIDE,SIZE,ENTRY_PRICE"
    return Template(
        "W6", "w6_topup_and_funding", "W6 - Margin top-up and funding in isolated mode", WORKED_EXAMPLES["W6"].lesson,
        inputs=[
            _side(),
            _input("SIZE", "BTC position", "BTC", SIZE, i["SIZE"], POSITIVE),
            _input("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("LEVERAGE", "Leverage at opening", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _input("ADDED_MARGIN", "Margin added by hand", "USDT", AMOUNT, i["ADDED_MARGIN"], ANY_NUMBER, "negative to remove margin"),
            _input("FUNDING_RATE", "Funding rate per 8 h", "rate", "0.000%", i["FUNDING_RATE"], ANY_NUMBER, "positive: longs pay shorts"),
            _input("FUNDING_INTERVALS", "Funding intervals paid", "count", COUNT, i["FUNDING_INTERVALS"], WHOLE, "3 a day"),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
            _input("WALLET_BALANCE", "Wallet, if held in cross instead", "USDT", AMOUNT, 1_000.0, POSITIVE,
                   "an assumption: SPEC W6 names no cross wallet (1,000 as in W2); funding comes out of it"),
        ],
        outputs=[
            _output("OPENING_MARGIN", "Margin at opening", "USDT", AMOUNT, "=SIZE*ENTRY_PRICE/LEVERAGE", "notional / leverage",
                    "INITIAL_MARGIN(SIZE,ENTRY_PRICE,LEVERAGE)"),
            _output("LIQ_PRICE_AS_OPENED", "Liquidation price as opened", "USDT", PRICE, "=" + leg.liq_price("OPENING_MARGIN"), "",
                    f"ISOLATED_LIQ_PRICE({udf},OPENING_MARGIN,MMR)"),
            _output("TOPUP_MARGIN", "Margin after the top-up", "USDT", AMOUNT, "=OPENING_MARGIN+ADDED_MARGIN"),
            _output("TOPUP_LIQ_PRICE", "Liquidation price after the top-up alone", "USDT", PRICE,
                    "=IF(TOPUP_MARGIN<0,NA()," + leg.liq_price("TOPUP_MARGIN") + ")", "before any funding",
                    f"ISOLATED_LIQ_PRICE({udf},TOPUP_MARGIN,MMR)"),
            _output("FUNDING_PER_INTERVAL", "Funding per interval (-: paid)", "USDT", AMOUNT,
                    f"=-{position_cells('sign', 0)}*SIZE*MARK_PRICE*FUNDING_RATE", "notional at mark x rate",
                    "FUNDING_PAYMENT(SIDE,SIZE,MARK_PRICE,FUNDING_RATE,1)"),
            _output("FUNDING", "Funding over the intervals (-: paid)", "USDT", AMOUNT, "=FUNDING_PER_INTERVAL*FUNDING_INTERVALS",
                    "taken from (or added to) the isolated margin", "FUNDING_PAYMENT(SIDE,SIZE,MARK_PRICE,FUNDING_RATE,FUNDING_INTERVALS)"),
            _output("ISO_MARGIN", "Isolated margin now", "USDT", AMOUNT, "=TOPUP_MARGIN+FUNDING", "opening + top-up + funding"),
            _output("ISO_LIQ_PRICE", "Isolated liquidation price now", "USDT", PRICE, "=IF(ISO_MARGIN<0,NA()," + leg.liq_price() + ")",
                    "after the top-up and the funding", f"ISOLATED_LIQ_PRICE({udf},ISO_MARGIN,MMR)"),
            _output("MARGIN_TO_ADD_BACK", "Margin that restores the opening price", "USDT", AMOUNT,
                    f"={leg.margin_for_liq_price('LIQ_PRICE_AS_OPENED')}-ISO_MARGIN", "",
                    f"MARGIN_FOR_LIQ_PRICE({udf},LIQ_PRICE_AS_OPENED,MMR)-ISO_MARGIN"),
            _output("ISO_STATUS", "Isolated position", "", "@", _isolated_status([("", leg.alive(table_pnl(0), table_mm(0)))]),
                    "LIQUIDATED once the position has lost its margin"),
            _output("CROSS_LIQ_PRICE_BEFORE_FUNDING", "Cross liquidation price, no funding yet", "USDT", PRICE,
                    "=" + leg.liq_price("WALLET_BALANCE"), LONE_CROSS, f"ISOLATED_LIQ_PRICE({udf},WALLET_BALANCE,MMR)"),
            _output("CROSS_WALLET_NOW", "Cross wallet after the same funding", "USDT", AMOUNT, "=WALLET_BALANCE+FUNDING",
                    "in cross mode funding comes out of the shared wallet"),
            _output("CROSS_LIQ_PRICE", "Cross liquidation price after funding", "USDT", PRICE, "=" + leg.liq_price("CROSS_WALLET_NOW"),
                    LONE_CROSS, f"ISOLATED_LIQ_PRICE({udf},CROSS_WALLET_NOW,MMR)"),
        ],
        positions=[Position("BTC", "=SIDE", "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart("MARK_PRICE", "BTC mark price", 0, 0.85, 1.05, "USDT", y_title="Position's margin",
                    title="The isolated position's margin against BTC mark price", series=[
            Series("As opened", "#7F7F7F", lambda x: replace(leg, margin="OPENING_MARGIN").at(x).value(), "LIQ_PRICE_AS_OPENED", dash=True),
            Series("After the top-up", "#548235", lambda x: replace(leg, margin="TOPUP_MARGIN").at(x).value(), "TOPUP_LIQ_PRICE"),
            Series("After the top-up and the funding", ISO_COLOUR, lambda x: leg.at(x).value(), "ISO_LIQ_PRICE"),
        ]),
    )


TEMPLATES: dict[str, Callable[[], Template]] = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6,
                                                "WHATIF": what_if_template, "LADDER": entry_ladder_template, "W3LIVE": w3_live}
