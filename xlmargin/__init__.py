"""xlmargin: futures margin, liquidation and margin-mode math for spreadsheets.

The core (this package's top level) is pure Python and numpy: it knows
nothing of Excel. The Excel functions, template workbooks, reports and the
command line are layers on top that import it, never the reverse.
"""

from importlib.metadata import PackageNotFoundError, version

from . import margin
from .errors import InputError, TierTableError, TierTableWarning, XlmarginError
from .margin import (
    average_entry_price,
    bankruptcy_price,
    collateral_value,
    compare_margin_modes,
    cross_equity,
    cross_liq_price,
    cross_maint_margin,
    distance_to_liq,
    exit_price_for_pnl,
    explain_cross_liq_price,
    explain_liq_price,
    explain_maint_margin,
    exit_price_for_roe,
    funding_payment,
    cross_account_value,
    initial_margin,
    isolated_account_value,
    isolated_liq_price,
    maint_margin,
    margin_buffer,
    margin_call,
    margin_for_liq_price,
    margin_ratio,
    max_position_size,
    notional,
    return_on_equity,
    unrealized_pnl,
)
from .rules import RULES, hyperliquid_mmr, price_on_screen
from .tiers import TierTable

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
    # tiers and exchange rule sets
    "TierTable",
    "RULES",
    "hyperliquid_mmr",
    "price_on_screen",
    # the formulas: one position, cross accounts, sizing and comparing (see margin.__all__)
    *margin.__all__,
]
