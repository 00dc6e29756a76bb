"""xlmargin: futures margin, liquidation and margin-mode math for spreadsheets.

The core (:mod:`xlmargin.core`) is numpy and pandas only: it knows nothing of
Excel, files or reports. The review of a book (:mod:`xlmargin.review`), the
Excel functions (:mod:`xlmargin.excel`), the template workbooks
(:mod:`xlmargin.workbooks`), the report (:mod:`xlmargin.report`) and the
command line are layers on top that import it, never the reverse.
"""

from importlib.metadata import PackageNotFoundError, version

from . import core
from .core import *  # noqa: F403  the public formulas, tier tables and rule sets
from .errors import ConvergenceWarning, InputError, TierTableError, TierTableWarning, XlmarginError

try:
    __version__ = version("xlmargin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    # errors
    "XlmarginError",
    "InputError",
    "TierTableError",
    "TierTableWarning",
    "ConvergenceWarning",
    # tier tables, exchange rule sets and the formulas (see xlmargin.core)
    *core.__all__,
]
