"""API keys for an exchange's private calls: from the environment or a keyring, never into any output.

Keys are looked up only when a private call needs them (positions, balances, leverage
brackets): first the environment, ``XLMARGIN_<EXCHANGE>_API_KEY``, ``..._SECRET`` and
``..._PASSWORD`` (the passphrase OKX and a few others ask for; ``<EXCHANGE>`` is ccxt's
id in capitals, e.g. ``XLMARGIN_BINANCEUSDM_API_KEY``), then, if the ``keyring`` package
is installed, the system keyring under service ``xlmargin`` and user names
``<exchange>:apiKey``, ``<exchange>:secret``, ``<exchange>:password``.

Every message xlmargin builds from an exchange's answer goes through :func:`redact`,
which replaces each key, secret and passphrase (and any signature made with them that
ccxt echoes in an error) by ``***``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

FIELDS = {"apiKey": "API_KEY", "secret": "SECRET", "password": "PASSWORD"}


@dataclass(frozen=True)
class Keys:
    """An exchange's credentials; ``repr`` never shows them."""

    apiKey: str = ""
    secret: str = ""
    password: str = ""

    def __repr__(self) -> str:
        held = [name for name in FIELDS if getattr(self, name)]
        return f"Keys({', '.join(held) or 'none'}: redacted)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.apiKey or self.secret)

    def ccxt_config(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}


def find_keys(exchange: str) -> Keys:
    """The keys of ``exchange`` (ccxt id) from the environment, else the keyring, else none.

    >>> import os
    >>> os.environ["XLMARGIN_DEMOEX_API_KEY"] = "k"; os.environ["XLMARGIN_DEMOEX_SECRET"] = "s"
    >>> find_keys("demoex")
    Keys(apiKey, secret: redacted)
    """
    prefix = "XLMARGIN_" + re.sub(r"\W", "_", exchange).upper() + "_"
    found = {name: os.environ.get(prefix + suffix, "") for name, suffix in FIELDS.items()}
    if not any(found.values()):
        found = _from_keyring(exchange)
    return Keys(**found)


def _from_keyring(exchange: str) -> dict[str, str]:
    try:
        import keyring  # optional: only if the user installed it
    except ImportError:
        return dict.fromkeys(FIELDS, "")
    try:
        return {name: keyring.get_password("xlmargin", f"{exchange}:{name}") or "" for name in FIELDS}
    except Exception:  # a keyring backend that cannot be reached: as if there were no keys
        return dict.fromkeys(FIELDS, "")


def redact(text: object, keys: Keys | None) -> str:
    """``text`` with every credential of ``keys`` and every request signature replaced by ``***``.

    >>> redact("GET /x?signature=ab12&k=SECRETKEY", Keys("SECRETKEY", "s3"))
    'GET /x?signature=***&k=***'
    """
    out = str(text)
    for value in (keys.ccxt_config().values() if keys else ()):
        if len(value) >= 2:
            out = out.replace(value, "***")
    return re.sub(r"(?i)(signature|sign|apikey|api_key|x-mbx-apikey)=([^&\s]+)", r"\1=***", out)


class _RedactingFilter:
    """A logging filter that redacts every credential xlmargin has handed to ccxt in this process."""

    def __init__(self) -> None:
        self.known: list[Keys] = []

    def filter(self, record) -> bool:
        text = record.getMessage()
        for keys in self.known:
            text = redact(text, keys)
        record.msg, record.args = redact(text, None), ()
        return True


_FILTER = _RedactingFilter()
LOGGERS = ("ccxt", "ccxt.base.exchange", "urllib3.connectionpool", "aiohttp.client")


def guard_logs(keys: Keys) -> None:
    """Redact ``keys`` from the logs of ccxt and its HTTP libraries (ccxt logs request headers at DEBUG)."""
    import logging

    if keys and keys not in _FILTER.known:
        _FILTER.known.append(keys)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
