"""Excel functions on the live book (xlmargin[live]): MARK_PRICE that follows the market, RECONCILE_LIQ_PRICE.

Import this module into the runtime beside :mod:`xlmargin.excel.udfs` (``from
xlmargin.excel.live import *`` in xlwings Lite's main.py or an xlwings Server's custom
functions; add ``xlmargin.excel.live`` to the Windows add-in's "UDF Modules").

``MARK_PRICE(exchange, symbol, [interval])`` returns the exchange's mark price now.
Under Office.js (xlwings Server and Lite) it is a streaming function: the cell gets a
new price every ``interval`` seconds (default 5) and every cell that depends on it
recalculates. Under the COM add-in it is a volatile function that asks the exchange
again at a recalculation once ``interval`` seconds have passed (F9, or a timer macro).
An error (no network, rate limit, unknown symbol) is one line: the cell's
``#VALUE!`` with the reason under Office.js, the text under COM.
"""

from __future__ import annotations

import xlwings as xw

from ..errors import XlmarginError
from ..live import marks
from ..live.reconcile import reconcile_liq_price
from .convert import COM, OFFICE_JS, excel_function, xlwings_host
from .udfs import ARG_HELP

HOST = xlwings_host()

LIVE_HELP = {
    "exchange": "ccxt's exchange id, e.g. binanceusdm, binancecoinm, bybit, okx; no unit",
    "symbol": "ccxt's symbol of the contract, e.g. BTC/USDT:USDT; no unit",
    "interval": "Seconds between two updates of the price [s] (default 5)",
    "margin_mode": "isolated or cross, per position; no unit",
    "exchange_liq_price": "The liquidation price the exchange reports [quote per base]; 0 or empty for none",
}
MARK_DOC = "An exchange's current mark price [quote per base]; streams every interval seconds (Office.js), refreshes (COM)."


def _args(function):
    for name in ("exchange", "symbol", "interval"):
        function = xw.arg(name, doc=LIVE_HELP[name])(function)
    return function


if HOST == OFFICE_JS:
    async def MARK_PRICE(exchange, symbol, interval=5.0):
        try:
            async for price in marks.stream_marks(exchange, symbol, interval):
                yield [[price]]
        except XlmarginError as exc:  # one line, the reason on hover
            raise XlmarginError(str(exc).splitlines()[0]) from None
else:
    def MARK_PRICE(exchange, symbol, interval=5.0):
        try:
            return marks.refreshing_mark(exchange, symbol, interval)
        except XlmarginError as exc:  # the COM add-in shows an exception with its traceback: the reason as text instead
            return f"#N/A {str(exc).splitlines()[0]}"

MARK_PRICE.__doc__ = MARK_DOC
MARK_PRICE = xw.func(volatile=True)(_args(MARK_PRICE)) if HOST == COM else xw.func(_args(MARK_PRICE))

RECONCILE_LIQ_PRICE = excel_function(
    reconcile_liq_price,
    "xlmargin's liquidation price beside the exchange's: difference in price, ticks and %, and its status.",
    {**ARG_HELP, **LIVE_HELP}, "no liquidation price", module=__name__, host=HOST)

__all__ = ["MARK_PRICE", "RECONCILE_LIQ_PRICE"]
