"""The live book: positions, tiers and marks read from an exchange (ccxt), reconciled with its liquidation prices.

=================  ==========================================================
module             what
=================  ==========================================================
``keys``           API keys from the environment or a keyring; redaction
``exchange``       the ccxt exchange object, its address, one-line errors
``fetching``       an account's book from the exchange (:func:`fetch_book`)
``reconcile``      xlmargin's liquidation prices beside the exchange's, explained
``marks``          the current mark price, refreshing and streaming (MARK_PRICE)
=================  ==========================================================

Needs the ``live`` extra (``pip install "xlmargin[live]"``, which installs ccxt).
"""

from .exchange import ContractNotModelled, ExchangeError
from .fetching import LiveBook, fetch_book
from .keys import Keys, find_keys
from .reconcile import explain_position, reconcile

__all__ = ["fetch_book", "LiveBook", "reconcile", "explain_position", "ExchangeError", "ContractNotModelled", "Keys", "find_keys"]
