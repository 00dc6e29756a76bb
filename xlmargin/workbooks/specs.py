"""The six worked examples W1-W6 as template specifications: data, no writing.

Inputs and outputs carry the names of :mod:`xlmargin.core.examples`, whose
functions are the reference the tests hold the workbooks to; the input values
are that module's defaults. :data:`TEMPLATES` maps each key to the function
that makes its :class:`~.model.Template`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.examples import W5_POSITIONS, WORKED_EXAMPLES
from .model import (
    A_RATE, AMOUNT, ANY_NUMBER, COUNT, NON_NEGATIVE, POSITIVE, PRICE, RATE, SIZE, WHOLE,
    Chart, Item, Position, Template, alive_or_zero, contract_argument, cross_value_formula,
    isolated_value_formula, position_cells,
)

LONE_CROSS = "a lone position in cross mode: the whole wallet is its margin"


def _output(name, label, unit, fmt, formula, description=""):
    return Item(name, label, unit, fmt, formula=formula, description=description)


def _input(name, label, unit, fmt, value, validation, description=""):
    return Item(name, label, unit, fmt, value=value, validation=validation, description=description)


def _status_outputs() -> list[Item]:
    """The two status cells every worked example shows, coloured by the writer."""
    return [
        _output("CROSS_STATUS", "Cross account", "", "@",
                '=IF(CROSS_ACCOUNT_VALUE=0,"LIQUIDATED",IF(MARGIN_CALL(CROSS_EQUITY_NOW,CROSS_MM_NOW),"MARGIN CALL","ok"))',
                "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED"),
        _output("ISO_STATUS", "Isolated positions", "", "@",
                '=IF(ABS(ISO_ACCOUNT_VALUE-CROSS_EQUITY_NOW)>1E-9*MAX(1,ABS(CROSS_EQUITY_NOW)),"LIQUIDATED","ok")',
                "LIQUIDATED once any isolated position has lost its margin"),
    ]


def _account_outputs(side, size, entry, mark, margin, mmr, contract="linear", unit="USDT") -> list[Item]:
    """Equity, maintenance margin, account values and statuses of a one-position account."""
    maint_args = contract_argument(contract, after_maint_amount=True)
    return [
        _output("CROSS_EQUITY_NOW", "Cross equity", unit, AMOUNT,
                f'=CROSS_EQUITY(WALLET_BALANCE,"{side}",{size},{entry},{mark}{contract_argument(contract)})'),
        _output("CROSS_MM_NOW", "Cross maintenance margin", unit, AMOUNT, f"=MAINT_MARGIN({size},{mark},{mmr}{maint_args})"),
        _output("ISO_ACCOUNT_VALUE", "Account value, isolated", unit, AMOUNT,
                "=" + isolated_value_formula(f"WALLET_BALANCE-{margin}", f'"{side}"', size, entry, mark, margin, mmr, contract)),
        _output("CROSS_ACCOUNT_VALUE", "Account value, cross", unit, AMOUNT,
                "=" + alive_or_zero("CROSS_EQUITY_NOW", "CROSS_MM_NOW"), "its equity while alive, 0 once liquidated"),
        *_status_outputs(),
    ]


def _cross_totals(side: str, size: str, entry: str, mark: str, mmr: str) -> list[Item]:
    """Equity and maintenance margin of a cross account holding every position of the table."""
    return [
        _output("CROSS_EQUITY", "Cross equity", "USDT", AMOUNT, f"=WALLET_BALANCE+SUM(UNREALIZED_PNL({side},{size},{entry},{mark}))"),
        _output("CROSS_MAINT_MARGIN", "Cross maintenance margin", "USDT", AMOUNT, f"=SUM(MAINT_MARGIN({size},{mark},{mmr}))"),
    ]


def _statuses_of_the_cross_totals() -> list[Item]:
    """The statuses of an account whose cross equity and margin are named CROSS_EQUITY and CROSS_MAINT_MARGIN."""
    return [
        _output("CROSS_EQUITY_NOW", "Cross equity (for the status)", "USDT", AMOUNT, "=CROSS_EQUITY"),
        _output("CROSS_MM_NOW", "Cross maintenance margin (for the status)", "USDT", AMOUNT, "=CROSS_MAINT_MARGIN"),
        *_status_outputs(),
    ]


def w1() -> Template:
    """W1: initial vs maintenance margin of the largest long a balance allows."""
    i = WORKED_EXAMPLES["W1"].inputs
    return Template(
        "W1", "w1_initial_vs_maintenance", "W1 - Initial vs maintenance margin", WORKED_EXAMPLES["W1"].lesson,
        inputs=[
            _input("BALANCE", "Balance", "USDT", AMOUNT, i["BALANCE"], POSITIVE, "what the trader puts up"),
            _input("LEVERAGE", "Leverage", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _input("ENTRY_PRICE", "BTC entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("MAX_SIZE", "Largest long", "BTC", SIZE, "=MAX_POSITION_SIZE(BALANCE,LEVERAGE,ENTRY_PRICE)"),
            _output("IM_AT_ENTRY", "Initial margin", "USDT", AMOUNT, "=INITIAL_MARGIN(MAX_SIZE,ENTRY_PRICE,LEVERAGE)"),
            _output("MM_AT_ENTRY", "Maintenance margin at entry", "USDT", AMOUNT, "=MAINT_MARGIN(MAX_SIZE,ENTRY_PRICE,MMR)"),
            _output("MM_AT_MARK", "Maintenance margin at mark", "USDT", AMOUNT, "=MAINT_MARGIN(MAX_SIZE,MARK_PRICE,MMR)"),
            _output("ISO_LIQ_PRICE", "Isolated liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",MAX_SIZE,ENTRY_PRICE,BALANCE,MMR)'),
            _output("PNL", "Unrealized PnL (either mode)", "USDT", AMOUNT, '=UNREALIZED_PNL("long",MAX_SIZE,ENTRY_PRICE,MARK_PRICE)'),
            _output("CROSS_LIQ_PRICE", "Cross liquidation price", "USDT", PRICE,
                    '=ISOLATED_LIQ_PRICE("long",MAX_SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR)', LONE_CROSS),
            _output("WALLET_BALANCE", "Wallet balance (all of it in cross)", "USDT", AMOUNT, "=BALANCE"),
            *_account_outputs("long", "MAX_SIZE", "ENTRY_PRICE", "MARK_PRICE", "BALANCE", "MMR"),
        ],
        positions=[Position("BTC long", '"long"', "=MAX_SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=BALANCE", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.80, 1.10, "USDT"),
    )


def w2() -> Template:
    """W2: $100 in the trade, $900 beside it; isolated against cross for one long."""
    i = WORKED_EXAMPLES["W2"].inputs
    return Template(
        "W2", "w2_isolated_vs_cross", "W2 - $100 in the trade, $900 beside it", WORKED_EXAMPLES["W2"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _input("SIZE", "BTC long", "BTC", SIZE, i["SIZE"], POSITIVE),
            _input("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("ISO_MARGIN", "Isolated margin", "USDT", AMOUNT, i["ISO_MARGIN"], NON_NEGATIVE),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("ISO_LIQ_PRICE", "Isolated liquidation price", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR)'),
            _output("CROSS_LIQ_PRICE", "Cross liquidation price", "USDT", PRICE,
                    '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR)', LONE_CROSS),
            _output("ISO_MAX_LOSS", "Most isolated can lose", "USDT", AMOUNT, "=ISO_MARGIN"),
            _output("CROSS_MAX_LOSS", "Most cross can lose", "USDT", AMOUNT, "=MAX(CROSS_EQUITY_NOW,0)"),
            _output("CROSS_MARGIN_RATIO", "Cross margin ratio", "rate", RATE, "=MARGIN_RATIO(CROSS_EQUITY_NOW,CROSS_MM_NOW)"),
            _output("CROSS_MARGIN_CALL", "Cross margin call", "", "General", "=MARGIN_CALL(CROSS_EQUITY_NOW,CROSS_MM_NOW)"),
            *_account_outputs("long", "SIZE", "ENTRY_PRICE", "MARK_PRICE", "ISO_MARGIN", "MMR"),
        ],
        positions=[Position("BTC long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.75, 1.05, "USDT"),
    )


def w3() -> Template:
    """W3: two longs in a 500 USDT account; ETH falls while BTC rises."""
    i = WORKED_EXAMPLES["W3"].inputs
    side, size, entry, mark, margin = (position_cells(c, 0, 1) for c in ("side", "size", "entry", "mark", "margin"))
    return Template(
        "W3", "w3_two_longs", "W3 - Two longs in a 500 USDT account", WORKED_EXAMPLES["W3"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _input("BTC_SIZE", "BTC long", "BTC", SIZE, i["BTC_SIZE"], POSITIVE),
            _input("BTC_ENTRY", "BTC entry", "USDT", PRICE, i["BTC_ENTRY"], POSITIVE),
            _input("BTC_MARGIN", "BTC isolated margin", "USDT", AMOUNT, i["BTC_MARGIN"], NON_NEGATIVE),
            _input("ETH_SIZE", "ETH long", "ETH", SIZE, i["ETH_SIZE"], POSITIVE),
            _input("ETH_ENTRY", "ETH entry", "USDT", PRICE, i["ETH_ENTRY"], POSITIVE),
            _input("ETH_MARGIN", "ETH isolated margin", "USDT", AMOUNT, i["ETH_MARGIN"], NON_NEGATIVE),
            _input("BTC_PRICE", "BTC mark price", "USDT", PRICE, i["BTC_PRICE"], POSITIVE),
            _input("ETH_PRICE", "ETH mark price", "USDT", PRICE, i["ETH_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("ISO_BTC_LIQ_PRICE", "BTC isolated liquidation price", "USDT", PRICE, f"=INDEX(ISOLATED_LIQ_PRICE({side},{size},{entry},{margin},MMR),1)"),
            _output("ISO_ETH_LIQ_PRICE", "ETH isolated liquidation price", "USDT", PRICE, f"=INDEX(ISOLATED_LIQ_PRICE({side},{size},{entry},{margin},MMR),2)"),
            _output("CROSS_BTC_LIQ_PRICE", "BTC cross liquidation price (ETH at mark)", "USDT", PRICE, f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{side},{size},{entry},{mark},MMR),1)"),
            _output("CROSS_ETH_LIQ_PRICE", "ETH cross liquidation price (BTC at mark)", "USDT", PRICE, f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{side},{size},{entry},{mark},MMR),2)"),
            *_cross_totals(side, size, entry, mark, "MMR"),
            _output("ISO_ACCOUNT_VALUE", "Account value, isolated", "USDT", AMOUNT,
                    "=" + isolated_value_formula("WALLET_BALANCE-BTC_MARGIN-ETH_MARGIN", side, size, entry, mark, margin, "MMR")),
            _output("CROSS_ACCOUNT_VALUE", "Account value, cross", "USDT", AMOUNT, "=" + alive_or_zero("CROSS_EQUITY", "CROSS_MAINT_MARGIN")),
            *_statuses_of_the_cross_totals(),
        ],
        positions=[
            Position("BTC long", '"long"', "=BTC_SIZE", "=BTC_ENTRY", "=BTC_PRICE", "=BTC_MARGIN", "=MMR"),
            Position("ETH long", '"long"', "=ETH_SIZE", "=ETH_ENTRY", "=ETH_PRICE", "=ETH_MARGIN", "=MMR"),
        ],
        chart=Chart("ETH_PRICE", 1, 0.60, 1.10, "USDT", "ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE"),
        free="WALLET_BALANCE-BTC_MARGIN-ETH_MARGIN",
    )


def w4() -> Template:
    """W4: a coin-margined (inverse) perpetual, 5 of 10 BTC isolated."""
    i = WORKED_EXAMPLES["W4"].inputs
    return Template(
        "W4", "w4_coin_margined", "W4 - Coin-margined perpetual, 5 of 10 BTC isolated", WORKED_EXAMPLES["W4"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "BTC", SIZE, i["WALLET_BALANCE"], POSITIVE),
            _input("SIZE", "Long BTCUSD contracts (value)", "USD", AMOUNT, i["SIZE"], POSITIVE, "contracts x contract size"),
            _input("ENTRY_PRICE", "Entry price", "USD", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("ISO_MARGIN", "Isolated margin", "BTC", SIZE, i["ISO_MARGIN"], NON_NEGATIVE),
            _input("MARK_PRICE", "BTC mark price", "USD", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("ISO_LIQ_PRICE", "Isolated liquidation price", "USD", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR,0,"inverse")'),
            _output("CROSS_LIQ_PRICE", "Cross liquidation price", "USD", PRICE,
                    '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,WALLET_BALANCE,MMR,0,"inverse")', LONE_CROSS),
            _output("ISO_MAX_LOSS", "Most isolated can lose", "BTC", SIZE, "=ISO_MARGIN"),
            _output("CROSS_MAX_LOSS", "Most cross can lose", "BTC", SIZE, "=MAX(CROSS_EQUITY_NOW,0)"),
            *_account_outputs("long", "SIZE", "ENTRY_PRICE", "MARK_PRICE", "ISO_MARGIN", "MMR", "inverse", "BTC"),
        ],
        positions=[Position("BTCUSD long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart("MARK_PRICE", 0, 0.75, 1.05, "BTC"),
        contract="inverse",
    )


def _alt1_isolated_rest_cross(alt1: dict[str, str], rest: dict[str, str]) -> str:
    """W5's account with ALT1 (the first position) isolated and the other positions in cross."""
    fields = ("side", "size", "entry", "mark")
    return (isolated_value_formula("0", *(alt1[f] for f in fields), "ALT1_ISO_MARGIN", alt1["mmr"])
            + "+" + cross_value_formula("WALLET_BALANCE-ALT1_ISO_MARGIN", *(rest[f] for f in fields), rest["mmr"]))


def w5() -> Template:
    """W5: altcoin shorts in a cross account, one coin pumps."""
    i = WORKED_EXAMPLES["W5"].inputs
    last = len(W5_POSITIONS) - 1
    columns = ("side", "size", "entry", "mark", "mmr")
    every, alt1, rest = ({c: position_cells(c, first, end) for c in columns} for first, end in ((0, last), (0, 0), (1, last)))
    positions = [
        Position(f"{symbol} {s}", f'"{s}"', f"={q}", f"={e}", "=ALT1_PRICE" if symbol == "ALT1" else f"={e}",
                 "=ALT1_ISO_MARGIN" if symbol == "ALT1" else "=0", f"={r}")
        for symbol, (s, q, e, r) in W5_POSITIONS.items()
    ]
    cross_liq_args = ",".join(every[c] for c in columns)
    return Template(
        "W5", "w5_altcoin_shorts", "W5 - Altcoin shorts in cross, one coin pumps", WORKED_EXAMPLES["W5"].lesson,
        inputs=[
            _input("WALLET_BALANCE", "Account balance", "USDT", AMOUNT, i["WALLET_BALANCE"], POSITIVE),
            _input("ALT1_PRICE", "ALT1 mark price (entry 100)", "USDT", PRICE, i["ALT1_PRICE"], POSITIVE),
            _input("ALT1_ISO_MARGIN", "ALT1 margin if isolated", "USDT", AMOUNT, i["ALT1_ISO_MARGIN"], NON_NEGATIVE),
        ],
        outputs=[
            *_cross_totals(*(every[c] for c in columns)),
            _output("CROSS_MARGIN_RATIO", "Cross margin ratio", "rate", RATE, "=MARGIN_RATIO(CROSS_EQUITY,CROSS_MAINT_MARGIN)"),
            _output("ALT1_CROSS_LIQ_PRICE", "ALT1 cross liquidation price (others at mark)", "USDT", PRICE,
                    f"=INDEX(CROSS_LIQ_PRICE(WALLET_BALANCE,{cross_liq_args}),1)"),
            _output("ALT1_ISO_LIQ_PRICE", "ALT1 isolated liquidation price", "USDT", PRICE,
                    f'=ISOLATED_LIQ_PRICE("short",{alt1["size"]},{alt1["entry"]},ALT1_ISO_MARGIN,{alt1["mmr"]})'),
            _output("CROSS_ACCOUNT_VALUE", "Account value, cross", "USDT", AMOUNT, "=" + alive_or_zero("CROSS_EQUITY", "CROSS_MAINT_MARGIN")),
            _output("ISO_ACCOUNT_VALUE", "Account value, ALT1 isolated (rest in cross)", "USDT", AMOUNT,
                    "=" + _alt1_isolated_rest_cross(alt1, rest)),
            *_statuses_of_the_cross_totals(),
        ],
        positions=positions,
        chart=Chart(
            "ALT1_PRICE", 0, 0.90, 1.50, "USDT", "ALT1_ISO_LIQ_PRICE", "ALT1_CROSS_LIQ_PRICE", "ALT1 isolated, rest cross",
            iso_formula=lambda r: _alt1_isolated_rest_cross({f: refs[1] for f, refs in r.items()}, {f: refs[2] for f, refs in r.items()}),
        ),
    )


def w6() -> Template:
    """W6: a margin top-up and funding payments move an isolated liquidation price."""
    i = WORKED_EXAMPLES["W6"].inputs
    return Template(
        "W6", "w6_topup_and_funding", "W6 - Margin top-up and funding in isolated mode", WORKED_EXAMPLES["W6"].lesson,
        inputs=[
            _input("SIZE", "BTC long", "BTC", SIZE, i["SIZE"], POSITIVE),
            _input("ENTRY_PRICE", "Entry price", "USDT", PRICE, i["ENTRY_PRICE"], POSITIVE),
            _input("LEVERAGE", "Leverage at opening", "x", "0.0", i["LEVERAGE"], POSITIVE),
            _input("ADDED_MARGIN", "Margin added by hand", "USDT", AMOUNT, i["ADDED_MARGIN"], ANY_NUMBER, "negative to remove margin"),
            _input("FUNDING_RATE", "Funding rate per 8 h", "rate", "0.000%", i["FUNDING_RATE"], ANY_NUMBER, "positive: longs pay"),
            _input("FUNDING_INTERVALS", "Funding intervals paid", "count", COUNT, i["FUNDING_INTERVALS"], WHOLE, "3 a day"),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, i["MARK_PRICE"], POSITIVE),
            _input("MMR", "Maintenance margin rate", "rate", RATE, i["MMR"], A_RATE),
        ],
        outputs=[
            _output("OPENING_MARGIN", "Margin at opening", "USDT", AMOUNT, "=INITIAL_MARGIN(SIZE,ENTRY_PRICE,LEVERAGE)"),
            _output("FUNDING", "Funding received (-: paid)", "USDT", AMOUNT, '=FUNDING_PAYMENT("long",SIZE,MARK_PRICE,FUNDING_RATE,FUNDING_INTERVALS)'),
            _output("ISO_MARGIN", "Isolated margin now", "USDT", AMOUNT, "=OPENING_MARGIN+ADDED_MARGIN+FUNDING"),
            _output("ISO_LIQ_PRICE", "Isolated liquidation price now", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,ISO_MARGIN,MMR)'),
            _output("LIQ_PRICE_AS_OPENED", "Liquidation price as opened", "USDT", PRICE, '=ISOLATED_LIQ_PRICE("long",SIZE,ENTRY_PRICE,OPENING_MARGIN,MMR)'),
            _output("MARGIN_TO_ADD_BACK", "Margin that restores the opening price", "USDT", AMOUNT,
                    '=MARGIN_FOR_LIQ_PRICE("long",SIZE,ENTRY_PRICE,LIQ_PRICE_AS_OPENED,MMR)-ISO_MARGIN'),
            _output("ISO_STATUS", "Isolated position", "", "@",
                    "=IF(" + isolated_value_formula("0", '"long"', "SIZE", "ENTRY_PRICE", "MARK_PRICE", "ISO_MARGIN", "MMR")
                    + '=0,"LIQUIDATED","ok")',
                    "LIQUIDATED once the position has lost its margin"),
        ],
        positions=[Position("BTC long", '"long"', "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=ISO_MARGIN", "=MMR")],
        chart=Chart(
            "MARK_PRICE", 0, 0.85, 1.05, "USDT", "ISO_LIQ_PRICE", "LIQ_PRICE_AS_OPENED", "with top-up and funding", "as opened",
            cross_formula=lambda r: isolated_value_formula(  # the same position with the margin it was opened with
                "0", r["side"][0], r["size"][0], r["entry"][0], r["mark"][0], "OPENING_MARGIN", r["mmr"][0]),
        ),
        wallet="ISO_MARGIN",
    )


TEMPLATES: dict[str, Callable[[], Template]] = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6}
