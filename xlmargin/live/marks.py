"""An exchange's current mark price, for cells that follow the market (Excel's MARK_PRICE).

:func:`mark_price` asks the exchange now (public data: no keys); :func:`refreshing_mark`
asks again only once ``interval`` seconds have passed since the last answer for that
exchange and symbol, so a volatile cell recalculated often does not flood the exchange;
:func:`stream_marks` yields a new mark every ``interval`` seconds (xlwings' streaming
functions under Office.js). One connected exchange object (markets loaded once) is kept
per exchange and address, behind a lock.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from ..errors import InputError
from .exchange import URL_VARIABLE, calling, connect
from .keys import Keys

_EXCHANGES: dict[tuple[str, str | None], Any] = {}
_LAST: dict[tuple[str, str, str | None], tuple[float, float]] = {}
_LOCK = threading.Lock()
MIN_INTERVAL = 0.05  # [s]


def mark_price(exchange: str, symbol: str, api_url: str | None = None) -> float:
    """The mark price of ``symbol`` on ``exchange`` now [quote per base] (ccxt ids and symbols).

    Raises
    ------
    xlmargin.live.ExchangeError
        No network, a rate limit, an exchange without mark prices (one line).
    xlmargin.InputError
        An exchange ccxt does not know, or a symbol the exchange does not list.
    """
    ex = _exchange(exchange, api_url)
    with _LOCK:  # one request at a time per process: ccxt's exchange objects are not thread-safe
        with calling(ex, f"the mark price of {symbol}", None):
            if symbol not in ex.markets:
                raise InputError("symbol", f"'{symbol}' is not a market of {exchange} (ccxt symbols look like BTC/USDT:USDT)")
            ticker = ex.fetch_mark_price(symbol) if ex.has.get("fetchMarkPrice") else ex.fetch_ticker(symbol)
    price = ticker.get("markPrice") or (ticker.get("info") or {}).get("markPrice")
    if not price:
        raise InputError("symbol", f"{exchange} gave no mark price for {symbol}")
    return float(price)


def refreshing_mark(exchange: str, symbol: str, interval: float = 5.0, api_url: str | None = None) -> float:
    """:func:`mark_price`, asked again only when the last answer is ``interval`` seconds [s] old or more."""
    key = (exchange, symbol, api_url or os.environ.get(URL_VARIABLE))
    now = time.monotonic()
    seen = _LAST.get(key)
    if seen is not None and now - seen[0] < _interval(interval):
        return seen[1]
    price = mark_price(exchange, symbol, api_url)
    _LAST[key] = (time.monotonic(), price)
    return price


async def stream_marks(exchange: str, symbol: str, interval: float = 5.0, api_url: str | None = None) -> AsyncIterator[float]:
    """Yield the mark price now, then again every ``interval`` seconds [s], for as long as the caller listens."""
    wait = _interval(interval)
    while True:
        yield await _in_thread(mark_price, exchange, symbol, api_url)
        await asyncio.sleep(wait)


def _interval(interval: Any) -> float:
    value = 5.0 if interval in (None, "") else float(interval)
    if not value >= MIN_INTERVAL:
        raise InputError("interval", f"must be at least {MIN_INTERVAL} seconds")
    return value


async def _in_thread(function, *args):
    """Run a blocking call off the event loop where threads exist (not in Pyodide, where it runs inline)."""
    try:
        return await asyncio.to_thread(function, *args)
    except RuntimeError:  # no threads (emscripten)
        return function(*args)


def _exchange(exchange: str, api_url: str | None) -> Any:
    key = (exchange, api_url or os.environ.get(URL_VARIABLE))  # the address asked for, or the one the environment sets
    with _LOCK:
        if key not in _EXCHANGES:
            ex = connect(exchange, Keys(), api_url)
            with calling(ex, "the markets", None):
                ex.load_markets()
            _EXCHANGES[key] = ex
        return _EXCHANGES[key]
