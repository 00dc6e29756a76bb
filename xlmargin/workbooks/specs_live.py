"""W3 at the exchange's own mark prices: the worked example wired to ``MARK_PRICE`` (xlmargin[live]).

The same sheet as W3 (:func:`.specs.w3`), with the two mark prices of the positions
table taken from ``MARK_PRICE(exchange, symbol, refresh)``, which streams under
xlwings Server and Lite and refreshes on recalculation under the COM add-in
(:mod:`xlmargin.excel.live`). Where there is no live price (no add-in, no network,
LibreOffice, the headless engine) the typed prices are used, and a cell says which:
the file never shows ``#NAME?`` for a missing add-in and teaches W3's lesson either way.
"""

from __future__ import annotations

from dataclasses import replace

from .model import POSITIVE, PRICE, Item, Position, Template

EXCHANGES = {"validate": "list", "source": ["binanceusdm", "bybit", "okx", "gate", "bitget"],
             "error_message": "one of ccxt's exchange ids with mark prices"}
A_SYMBOL = {"validate": "length", "criteria": "between", "minimum": 3, "maximum": 40,
            "error_message": "ccxt's symbol of the contract, e.g. BTC/USDT:USDT"}
NO_LIVE_PRICE = "none"  # what a live-price cell shows without one


def _text(name: str, label: str, value: str, validation: dict, description: str) -> Item:
    return Item(name, label, "", "@", value=value, validation=validation, description=description)


def _live(coin: str) -> list[Item]:
    """The live mark of ``coin`` and the mark the sheet uses: the live one, or the typed one without it."""
    return [
        Item(f"{coin}_LIVE_MARK", f"{coin} mark price from the exchange", "USDT", PRICE,
             formula=f'=IFERROR(MARK_PRICE(EXCHANGE,{coin}_SYMBOL,REFRESH_SECONDS),"{NO_LIVE_PRICE}")',
             description=f"MARK_PRICE (xlmargin[live]); '{NO_LIVE_PRICE}' without the add-in or the network"),
        Item(f"{coin}_MARK", f"{coin} mark price used", "USDT", PRICE,
             formula=f"=IF(ISNUMBER({coin}_LIVE_MARK),{coin}_LIVE_MARK,{coin}_PRICE)",
             description=f"the live price where there is one, else {coin}_PRICE"),
    ]


def w3_live() -> Template:
    """W3LIVE: W3's two longs, marked at the exchange's live prices where the add-in can fetch them."""
    from .specs import w3  # here: specs.TEMPLATES lists this template

    base = w3()
    typed = {"BTC_PRICE": "BTC mark if no live one", "ETH_PRICE": "ETH mark if no live one"}
    inputs = [replace(item, label=typed.get(item.name, item.label)) for item in base.inputs] + [
        _text("EXCHANGE", "Exchange", "binanceusdm", EXCHANGES, "ccxt's id of the exchange whose marks are used"),
        _text("BTC_SYMBOL", "BTC contract", "BTC/USDT:USDT", A_SYMBOL, "ccxt's symbol of the BTC perpetual"),
        _text("ETH_SYMBOL", "ETH contract", "ETH/USDT:USDT", A_SYMBOL, "ccxt's symbol of the ETH perpetual"),
        Item("REFRESH_SECONDS", "Refresh every", "s", "0", value=5, validation=POSITIVE,
             description="seconds between two live prices"),
    ]
    source = Item("PRICE_SOURCE", "Prices from", "", "@",
                  formula='=IF(AND(ISNUMBER(BTC_LIVE_MARK),ISNUMBER(ETH_LIVE_MARK)),"live marks: "&EXCHANGE,'
                          'IF(OR(ISNUMBER(BTC_LIVE_MARK),ISNUMBER(ETH_LIVE_MARK)),"a live mark and a typed one: see above",'
                          '"the typed prices: no live price (MARK_PRICE needs xlmargin[live] and the network)"))',
                  description="which prices the outputs below are computed at")
    positions = [Position(p.label, p.side, p.size, p.entry, f"={p.label}_MARK", p.margin, p.mmr) for p in base.positions]
    return replace(
        base, key="W3LIVE", file="w3_live_marks", title="W3 live - Two longs at the exchange's mark prices",
        lesson=base.lesson + " Here the marks come from the exchange as they move (MARK_PRICE), or from the typed "
                             "prices where no live price can be had.",
        inputs=inputs, outputs=[*_live("BTC"), *_live("ETH"), source, *base.outputs], positions=positions,
        chart=replace(base.chart, price_input="ETH_MARK"),
    )
