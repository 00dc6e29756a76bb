"""Template specifications for the trader's next questions (issue #16): a what-if trade, an entry ladder.

Data like :mod:`.specs`: every output is plain spreadsheet arithmetic, so the
file computes in any spreadsheet program; where xlmargin has an Excel function
for the figure it is the output's ``check``, shown beside it. The reference the
tests hold the workbooks to is :func:`xlmargin.what_if` and :func:`xlmargin.entry_ladder`
(tests/template_reference.py).
"""

from __future__ import annotations

from .model import (
    A_RATE, AMOUNT, NON_NEGATIVE, POSITIVE, PRICE, RATE, SIDES, SIZE,
    Chart, Item, Position, Series, Template, alive_or_zero, cross_status, margin_ratio, position_cells, table_leg, table_mm,
    table_pnl, table_value,
)

ISO_COLOUR, AFTER_COLOUR = "#7F7F7F", "#2F5597"

# the inputs' values: W2's cross account, adding as much again at the same price with taker fees
WHATIF_INPUTS = {
    "WALLET_BALANCE": 1_000.0, "SIDE": "long", "SIZE": 0.1, "ENTRY_PRICE": 50_000.0, "MARK_PRICE": 50_000.0,
    "LEVERAGE": 50.0, "MMR": 0.005, "TRADE_SIDE": "long", "TRADE_SIZE": 0.1, "TRADE_PRICE": 50_000.0,
    "TRADE_FEE_RATE": 0.0005,
}
WHATIF_LESSON = ("A trade changes more than its own size: adding moves the average entry and the liquidation price "
                 "toward the mark; reducing or closing realizes the PnL into the wallet; every trade pays its fee from "
                 "the wallet; and whether it can be opened at all depends on the balance still available.")


def _output(name, label, unit, fmt, formula, description="", check=None):
    return Item(name, label, unit, fmt, formula=formula, description=description, check=check)


def _input(name, label, unit, fmt, validation, description=""):
    return Item(name, label, unit, fmt, value=WHATIF_INPUTS[name], validation=validation, description=description)


def _guarded(formula: str) -> str:
    """``formula`` where a position is left after the trade, #N/A where it is flat."""
    return f"IF(SIZE_AFTER=0,NA(),{formula})"


def what_if_template() -> Template:
    """WHATIF: one position in a cross account, a trade on it, and the account before and after."""
    now, after = table_leg(0), table_leg(1)
    s, t = now.sign, 'IF(TRADE_SIDE="long",1,IF(TRADE_SIDE="short",-1,NA()))'
    signed_after = f"{s}*SIZE+{t}*TRADE_SIZE"
    side_after = position_cells("side", 1)  # the side cell of the "after" row
    udf_after = f"{side_after},SIZE_AFTER,ENTRY_AFTER"
    return Template(
        "WHATIF", "what_if_trade", "What if - a trade on a cross account, before and after", WHATIF_LESSON,
        inputs=[
            _input("WALLET_BALANCE", "Wallet balance", "USDT", AMOUNT, POSITIVE, "cross: the whole wallet backs the position"),
            _input("SIDE", "Position side", "", "@", SIDES, "long or short"),
            _input("SIZE", "Position size", "BTC", SIZE, POSITIVE),
            _input("ENTRY_PRICE", "Average entry price", "USDT", PRICE, POSITIVE),
            _input("MARK_PRICE", "BTC mark price", "USDT", PRICE, POSITIVE),
            _input("LEVERAGE", "Leverage", "x", "0.0", POSITIVE, "sets the initial margin: notional / leverage"),
            _input("MMR", "Maintenance margin rate", "rate", RATE, A_RATE),
            _input("TRADE_SIDE", "Trade: long buys, short sells", "", "@", SIDES, "against the position it reduces, closes or flips"),
            _input("TRADE_SIZE", "Trade size", "BTC", SIZE, NON_NEGATIVE, "0: no trade"),
            _input("TRADE_PRICE", "Trade price", "USDT", PRICE, POSITIVE),
            _input("TRADE_FEE_RATE", "Trading fee", "rate", "0.000%", A_RATE, "of the trade's notional, paid from the wallet"),
        ],
        outputs=[
            _output("CLOSED_SIZE", "Size the trade closes", "BTC", SIZE, f"=IF({s}*{t}<0,MIN(TRADE_SIZE,SIZE),0)",
                    "a trade against the position closes up to its size"),
            _output("OPENED_SIZE", "Size the trade opens or adds", "BTC", SIZE, "=TRADE_SIZE-CLOSED_SIZE", "needs initial margin"),
            _output("SIZE_AFTER", "Position size after", "BTC", SIZE, f"=ABS({signed_after})"),
            _output("SIDE_AFTER", "Position after", "", "@", f'=IF(SIZE_AFTER=0,"flat",IF({signed_after}>0,"long","short"))'),
            _output("ENTRY_AFTER", "Average entry after", "USDT", PRICE,
                    "=" + _guarded(f"IF({s}*{t}>0,(SIZE*ENTRY_PRICE+TRADE_SIZE*TRADE_PRICE)/SIZE_AFTER,"
                                   "IF(TRADE_SIZE>SIZE,TRADE_PRICE,ENTRY_PRICE))"),
                    "adding averages the entry; reducing keeps it; a flip opens at the trade price"),
            _output("REALIZED_PNL", "Realized PnL of the trade", "USDT", AMOUNT, f"={s}*CLOSED_SIZE*(TRADE_PRICE-ENTRY_PRICE)",
                    "PnL of the part closed, into the wallet"),
            _output("TRADE_FEE", "Fee of the trade", "USDT", AMOUNT, "=TRADE_FEE_RATE*TRADE_SIZE*TRADE_PRICE"),
            _output("TRADE_IM", "Initial margin the trade needs", "USDT", AMOUNT, "=OPENED_SIZE*TRADE_PRICE/LEVERAGE"),
            _output("AVAILABLE_BEFORE", "Available balance before", "USDT", AMOUNT,
                    f"=WALLET_BALANCE+{table_pnl(0)}-SIZE*MARK_PRICE/LEVERAGE", "equity - initial margin at the mark (Binance)"),
            _output("CAN_OPEN", "The trade can be opened", "", "@", '=IF(OR(OPENED_SIZE=0,TRADE_IM+TRADE_FEE<=AVAILABLE_BEFORE),"yes","no")',
                    "yes where its initial margin and fee fit the available balance"),
            _output("WALLET_AFTER", "Wallet balance after", "USDT", AMOUNT, "=WALLET_BALANCE+REALIZED_PNL-TRADE_FEE"),
            _output("EQUITY_BEFORE", "Equity before", "USDT", AMOUNT, f"=WALLET_BALANCE+{table_pnl(0)}", "wallet + uPnL",
                    "CROSS_EQUITY(WALLET_BALANCE,SIDE,SIZE,ENTRY_PRICE,MARK_PRICE)"),
            _output("EQUITY_AFTER", "Equity after", "USDT", AMOUNT, f"=WALLET_AFTER+{table_pnl(1)}"),
            _output("MM_BEFORE", "Maintenance margin before", "USDT", AMOUNT, f"={table_mm(0)}", "", "MAINT_MARGIN(SIZE,MARK_PRICE,MMR)"),
            _output("MM_AFTER", "Maintenance margin after", "USDT", AMOUNT, f"={table_mm(1)}"),
            _output("RATIO_BEFORE", "Margin ratio before", "rate", RATE, "=" + margin_ratio("EQUITY_BEFORE", "MM_BEFORE"),
                    "maintenance margin / equity; 100 % liquidates", "MARGIN_RATIO(EQUITY_BEFORE,MM_BEFORE)"),
            _output("RATIO_AFTER", "Margin ratio after", "rate", RATE, "=" + margin_ratio("EQUITY_AFTER", "MM_AFTER"), "",
                    "MARGIN_RATIO(EQUITY_AFTER,MM_AFTER)"),
            _output("LIQ_PRICE_BEFORE", "Liquidation price before", "USDT", PRICE, "=" + now.liq_price("WALLET_BALANCE"),
                    "the whole wallet behind the position", "CROSS_LIQ_PRICE(WALLET_BALANCE,SIDE,SIZE,ENTRY_PRICE,MARK_PRICE,MMR)"),
            _output("LIQ_PRICE_AFTER", "Liquidation price after", "USDT", PRICE, "=" + _guarded(after.liq_price("WALLET_AFTER")),
                    "#N/A once flat", _guarded(f"CROSS_LIQ_PRICE(WALLET_AFTER,{udf_after},MARK_PRICE,MMR)")),
            _output("AVAILABLE_AFTER", "Available balance after", "USDT", AMOUNT, "=EQUITY_AFTER-SIZE_AFTER*MARK_PRICE/LEVERAGE"),
            _output("MAX_SIZE_AFTER", "Largest size still addable", "BTC", SIZE,
                    "=MAX(0,AVAILABLE_AFTER)/(1/LEVERAGE+TRADE_FEE_RATE)/MARK_PRICE", "at the leverage, fee included"),
            _output("BREAK_EVEN_AFTER", "Break-even price after (fees both ways)", "USDT", PRICE,
                    "=" + _guarded(f"({after.sign}*ENTRY_AFTER+TRADE_FEE_RATE*ENTRY_AFTER)/({after.sign}-TRADE_FEE_RATE)"),
                    "the exit that pays the fees to open and to close",
                    _guarded(f"BREAK_EVEN_PRICE({udf_after},TRADE_FEE_RATE,TRADE_FEE_RATE)")),
            _output("WITHDRAWABLE_AFTER", "Withdrawable after", "USDT", AMOUNT,
                    "=MAX(0,MIN(WALLET_AFTER-MM_AFTER,AVAILABLE_AFTER))", "Binance: keeps MM and the initial margin"),
            _output("ACCOUNT_AFTER_STATUS", "Account after the trade", "", "@", "=" + cross_status("EQUITY_AFTER", "MM_AFTER"),
                    "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED"),
        ],
        positions=[
            Position("BTC now", "=SIDE", "=SIZE", "=ENTRY_PRICE", "=MARK_PRICE", "=WALLET_BALANCE", "=MMR"),
            Position("BTC after", '=IF(SIDE_AFTER="flat",SIDE,SIDE_AFTER)', "=SIZE_AFTER", "=IF(SIZE_AFTER=0,ENTRY_PRICE,ENTRY_AFTER)",
                     "=MARK_PRICE", "=WALLET_AFTER", "=MMR"),
        ],
        chart=Chart("MARK_PRICE", "BTC mark price", 0, 0.75, 1.10, "USDT", y_title="Account equity",
                    title="The account's equity against BTC mark price, before and after the trade", series=[
            Series("Before the trade (0 once liquidated)", ISO_COLOUR,
                   lambda x: alive_or_zero(f"WALLET_BALANCE+{now.at(x).pnl()}", now.at(x).maint_margin()), "LIQ_PRICE_BEFORE",
                   dash=True, marker_label="liquidated before the trade"),
            Series("After the trade (0 once liquidated)", AFTER_COLOUR,
                   lambda x: alive_or_zero(f"WALLET_AFTER+{after.at(x).pnl()}", after.at(x).maint_margin()), "LIQ_PRICE_AFTER",
                   marker_label="liquidated after the trade"),
        ]),
    )


# ---------------------------------------------------------------- the entry ladder
FILLS = 4
LADDER_INPUTS = {
    "BALANCE": 1_000.0, "SIDE": "long", "LEVERAGE": 10.0, "MMR": 0.005, "OPEN_FEE_RATE": 0.0005, "MARK_PRICE": 46_000.0,
    "FILL1_PRICE": 50_000.0, "FILL1_SIZE": 0.05, "FILL2_PRICE": 48_000.0, "FILL2_SIZE": 0.05,
    "FILL3_PRICE": 46_000.0, "FILL3_SIZE": 0.05, "FILL4_PRICE": 44_000.0, "FILL4_SIZE": 0.1,
}
LADDER_LESSON = ("Scaling into a position moves its average entry with every fill, and the liquidation price with it; "
                 "each fill also takes initial margin, until a fill no longer fits the balance: plan the ladder "
                 "before the first order, not after the last.")


def _fill_outputs(k: int) -> list[Item]:
    """Average entry, size, margin used, liquidation price, distance and fit after fill ``k`` (1-based)."""
    fills = range(1, k + 1)
    value = "+".join(f"FILL{n}_SIZE*FILL{n}_PRICE" for n in fills)
    leg, udf = table_leg(k - 1), f"SIDE,SIZE_{k},ENTRY_{k}"
    return [
        _output(f"SIZE_{k}", f"Size after fill {k}", "BTC", SIZE, "=" + "+".join(f"FILL{n}_SIZE" for n in fills)),
        _output(f"ENTRY_{k}", f"Average entry after fill {k}", "USDT", PRICE, f"=({value})/SIZE_{k}", "size-weighted"),
        _output(f"MARGIN_{k}", f"Margin used after fill {k}", "USDT", AMOUNT, f"=SIZE_{k}*ENTRY_{k}/LEVERAGE+OPEN_FEE_RATE*({value})",
                "initial margin of the fills + their fees", f"INITIAL_MARGIN(SIZE_{k},ENTRY_{k},LEVERAGE)+OPEN_FEE_RATE*({value})"),
        _output(f"LIQ_{k}", f"Liquidation price after fill {k}", "USDT", PRICE, "=" + leg.liq_price(),
                "isolated on the fills' initial margin", f"ISOLATED_LIQ_PRICE({udf},SIZE_{k}*ENTRY_{k}/LEVERAGE,MMR)"),
        _output(f"DISTANCE_{k}", f"Distance to liquidation at fill {k}", "rate", RATE, f"=LIQ_{k}/FILL{k}_PRICE-1",
                "from the fill's price; negative: a fall", f"DISTANCE_TO_LIQ(FILL{k}_PRICE,LIQ_{k})"),
        _output(f"FITS_{k}", f"Fill {k} fits the balance", "", "@", f'=IF(MARGIN_{k}<=BALANCE,"yes","no")'),
    ]


def entry_ladder_template() -> Template:
    """LADDER: four fills into one isolated position; after each, entry, margin, liquidation price and fit."""
    def given(name, label, unit, fmt, validation, description=""):
        return Item(name, label, unit, fmt, value=LADDER_INPUTS[name], validation=validation, description=description)

    fills = [item for k in range(1, FILLS + 1) for item in (
        given(f"FILL{k}_PRICE", f"Fill {k} price", "USDT", PRICE, POSITIVE),
        given(f"FILL{k}_SIZE", f"Fill {k} size", "BTC", SIZE, POSITIVE))]
    misfit = "".join(f'IF(FITS_{k}="no",{k},' for k in range(1, FILLS + 1)) + '"none"' + ")" * FILLS
    return Template(
        "LADDER", "entry_ladder", "Entry ladder - scaling into an isolated position, fill by fill", LADDER_LESSON,
        inputs=[
            given("BALANCE", "Balance for the plan", "USDT", AMOUNT, POSITIVE, "margin and fees of every fill come from it"),
            given("SIDE", "Side", "", "@", SIDES, "long (buying a fall) or short (selling a rise)"),
            given("LEVERAGE", "Leverage", "x", "0.0", POSITIVE),
            given("MMR", "Maintenance margin rate", "rate", RATE, A_RATE),
            given("OPEN_FEE_RATE", "Fee per fill", "rate", "0.000%", A_RATE, "of the fill's notional"),
            given("MARK_PRICE", "BTC mark price", "USDT", PRICE, POSITIVE, "values the whole ladder in the table and chart"),
            *fills,
        ],
        outputs=[*(item for k in range(1, FILLS + 1) for item in _fill_outputs(k)),
                 _output("FIRST_MISFIT", "First fill that no longer fits", "", "0", "=" + misfit, "none: the whole plan fits"),
                 _output("VALUE_AT_MARK", "Position after every fill, at the mark", "USDT", AMOUNT, "=" + table_value(FILLS - 1),
                         "margin + PnL, 0 once liquidated"),
                 _output("POSITION_STATUS", "Position after every fill", "", "@",
                         "=" + cross_status(f"({position_cells('margin', FILLS - 1)}+{table_pnl(FILLS - 1)})", table_mm(FILLS - 1)),
                         "ok, MARGIN CALL (margin ratio >= 80 %) or LIQUIDATED, at the mark")],
        positions=[Position(f"after fill {k}", "=SIDE", f"=SIZE_{k}", f"=ENTRY_{k}", "=MARK_PRICE", f"=SIZE_{k}*ENTRY_{k}/LEVERAGE",
                            "=MMR") for k in range(1, FILLS + 1)],
        chart=Chart("MARK_PRICE", "BTC mark price", 0, 0.70, 1.10, "USDT", y_title="Position's margin + PnL",
                    title="The position after each fill against BTC mark price", series=[
            Series(f"After fill {k}", colour, lambda x, k=k: table_leg(k - 1).at(x).value(), f"LIQ_{k}",
                   dash=k < FILLS, marker_label=f"liquidated after fill {k}")
            for k, colour in zip(range(1, FILLS + 1), ("#A6A6A6", "#7F7F7F", "#548235", AFTER_COLOUR))]),
    )


__all__ = ["WHATIF_INPUTS", "WHATIF_LESSON", "what_if_template", "LADDER_INPUTS", "LADDER_LESSON", "entry_ladder_template"]
