"""Talking to an exchange through ccxt: the exchange object, its address, and errors a trader understands.

Every ccxt call goes through :func:`calling`, which turns ccxt's exceptions into one
line (:class:`ExchangeError`, a :class:`~xlmargin.errors.FailedError`: the command
line exits 1) with every credential redacted. ``api_url`` (or the environment variable
``XLMARGIN_EXCHANGE_URL``) sends every request of the exchange object to another
address, keeping each endpoint's path: for a proxy, or for the tests' local server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..errors import FailedError, InputError, require_extra
from .keys import Keys, guard_logs, redact

URL_VARIABLE = "XLMARGIN_EXCHANGE_URL"
MARKET_TYPES = {"bybit": ["linear", "inverse"], "okx": ["swap", "future"], "gate": ["swap"]}
"""The markets loaded where ccxt would load every kind (spot and options too): the futures and swaps a book holds."""


class ExchangeError(FailedError):
    """The exchange could not be read: no network, keys refused, a rate limit, a call it lacks."""


class ContractNotModelled(InputError):
    """A position in a contract xlmargin does not model (an option, spot, an unknown kind)."""

    def __init__(self, message: str):
        super().__init__("position", message)


def connect(exchange_id: str, keys: Keys | None = None, api_url: str | None = None) -> Any:
    """A ccxt exchange object for ``exchange_id`` (ccxt's id, e.g. ``"binanceusdm"``), with its keys.

    ``api_url`` (default: the ``XLMARGIN_EXCHANGE_URL`` environment variable)
    replaces the scheme and host of each of the exchange's API addresses.
    """
    require_extra("reading an exchange", "live", ("ccxt",))
    import ccxt

    if exchange_id not in ccxt.exchanges:
        close = [e for e in ccxt.exchanges if e.startswith(exchange_id[:4])][:5]
        raise InputError("exchange", f"'{exchange_id}' is not an exchange ccxt knows" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    config = {"enableRateLimit": True, "timeout": 10_000, "options": {"fetchCurrencies": False}}
    config.update((keys or Keys()).ccxt_config())
    guard_logs(keys or Keys())
    exchange = getattr(ccxt, exchange_id)(config)
    exchange.has = dict(exchange.has, fetchCurrencies=False)  # coins' deposit networks: not needed for a margin book
    if exchange_id in MARKET_TYPES:
        exchange.options["fetchMarkets"] = {**exchange.options.get("fetchMarkets", {}), "types": MARKET_TYPES[exchange_id]}
        exchange.options["defaultType"] = "swap"  # the balance of the derivatives account, not the spot wallet
    api_url = api_url or os.environ.get(URL_VARIABLE)
    if api_url:
        redirect(exchange, api_url)
    return exchange


def redirect(exchange: Any, api_url: str) -> None:
    """Send every API request of ``exchange`` to ``api_url`` (scheme and host), keeping each path."""
    base = api_url.rstrip("/")

    def moved(value):
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return base + urlsplit(value).path
        return value

    exchange.urls["api"] = moved(exchange.urls["api"])
    host = urlsplit(base).netloc
    exchange.hostname = host  # exchanges with "{hostname}" in their addresses (Bybit, OKX)


def require_calls(exchange: Any, calls: tuple[str, ...]) -> None:
    """:class:`ExchangeError` naming the first unified call the exchange lacks."""
    for call in calls:
        if not exchange.has.get(call):
            raise ExchangeError(f"{exchange.id} does not offer {call} in ccxt's unified API, which xlmargin needs "
                                "to read a book; use an exchange that does, or export the book by hand")


@contextlib.contextmanager
def calling(exchange: Any, what: str, keys: Keys | None) -> Iterator[None]:
    """Turn a ccxt exception raised inside into one redacted line (:class:`ExchangeError`)."""
    import ccxt

    name = exchange.id
    try:
        yield
    except ccxt.AuthenticationError as exc:
        hint = "no API keys were found" if not keys else "the exchange refused the API keys"
        raise ExchangeError(f"{name}: {hint} while reading {what} ({_short(exc, keys)}); set "
                            f"XLMARGIN_{name.upper()}_API_KEY and XLMARGIN_{name.upper()}_SECRET (see docs/live.md)") from None
    except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
        raise ExchangeError(f"{name}: rate limit reached while reading {what} (HTTP 429); wait a minute and retry "
                            f"({_short(exc, keys)})") from None
    except ccxt.NotSupported as exc:
        raise ExchangeError(f"{name} does not support {what} through ccxt ({_short(exc, keys)})") from None
    except ccxt.NetworkError as exc:
        raise ExchangeError(f"{name}: cannot read {what}: the exchange did not answer ({_short(exc, keys)}); "
                            "check the network connection") from None
    except ccxt.BaseError as exc:
        raise ExchangeError(f"{name}: the exchange refused {what} ({_short(exc, keys)})") from None


def _short(exc: BaseException, keys: Keys | None) -> str:
    text = redact(" ".join(str(exc).split()), keys)
    return (text[:240] + "...") if len(text) > 240 else text or type(exc).__name__
