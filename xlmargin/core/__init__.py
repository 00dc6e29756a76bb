"""The core: margin math over arrays, knowing nothing of Excel, files or reports.

=================  ==========================================================
module             what
=================  ==========================================================
``position``       one position: notional, PnL, initial and maintenance margin, funding
``liquidation``    isolated liquidation and bankruptcy prices, margin for a wanted price
``cross``          cross accounts: equity, maintenance margin, liquidation prices
``hedge``          legs of one symbol in a cross account moving together
``accounts``       margin ratio and call; what an account is worth, isolated or cross
``sizing``         the largest position, isolated vs cross, collateral, distance to liquidation
``calculator``     the trader's calculator: ROE, exit prices, average entry
``explain``        a liquidation price or maintenance margin laid open, step by step
``explain_cross``  a cross liquidation price laid open
``tiers``          tier tables: loading, checking, the shipped tables
``schedules``      margin rates that grow with the position's size (Deribit)
``rules``          exchange rule sets, turned into per-row flags
``formulas``       the one internal interface over checked arrays (also the review's)
``equations``      each equation in ``u`` once, for the numpy path and the compiled kernel
``solver``         the tier-consistent liquidation root; which engine runs it
``compiled``       the optional numba kernel (loaded on the first large call)
``inputs``         the one rule for mixing scalars, arrays and Series
``examples``       the worked examples W1-W6 as functions of named inputs
``whatif``         hypothetical trades on an account, before and after
``entries``        break-even price, entry ladder, a budget spread over a price range
``drift``          a position held through a funding schedule
``withdrawal``     margin that can come out, per exchange
=================  ==========================================================

Every layer above (``xlmargin.review``, ``xlmargin.excel``, ``xlmargin.workbooks``,
``xlmargin.report``, ``xlmargin.cli``) imports from here; nothing here imports them.
"""

from .accounts import (
    cross_account_value,
    isolated_account_value,
    margin_call,
    margin_ratio,
)
from .calculator import (
    average_entry_price,
    exit_price_for_pnl,
    exit_price_for_roe,
    return_on_equity,
)
from .cross import cross_equity, cross_liq_price, cross_maint_margin
from .explain import explain_liq_price, explain_maint_margin
from .explain_cross import explain_cross_liq_price
from .liquidation import bankruptcy_price, isolated_liq_price, margin_for_liq_price
from .position import (
    funding_payment,
    initial_margin,
    maint_margin,
    notional,
    unrealized_pnl,
)
from .rules import RULES, hyperliquid_mmr, price_on_screen
from .schedules import SCHEDULES, SizeScaledRate
from .sizing import (
    collateral_value,
    compare_margin_modes,
    distance_to_liq,
    margin_buffer,
    max_position_size,
)
from .tiers import TierTable
from .whatif import what_if
from .entries import break_even_price, entry_ladder, ladder_entries
from .drift import funding_drift, funding_liq_interval
from .withdrawal import liq_price_after_removal, removable_margin, withdrawable_balance

# the formulas, in the order the docs list them (also the Excel functions' order)
FORMULAS = [
    "notional",
    "unrealized_pnl",
    "initial_margin",
    "maint_margin",
    "isolated_liq_price",
    "bankruptcy_price",
    "margin_for_liq_price",
    "funding_payment",
    "cross_equity",
    "cross_maint_margin",
    "cross_liq_price",
    "margin_ratio",
    "margin_call",
    "isolated_account_value",
    "cross_account_value",
    "max_position_size",
    "compare_margin_modes",
    "collateral_value",
    "explain_liq_price",
    "explain_cross_liq_price",
    "explain_maint_margin",
    "distance_to_liq",
    "margin_buffer",
    "return_on_equity",
    "exit_price_for_roe",
    "exit_price_for_pnl",
    "average_entry_price",
    "what_if",
    "break_even_price",
    "entry_ladder",
    "ladder_entries",
    "funding_drift",
    "funding_liq_interval",
    "removable_margin",
    "withdrawable_balance",
    "liq_price_after_removal",
]

__all__ = ["TierTable", "SizeScaledRate", "SCHEDULES", "RULES", "hyperliquid_mmr", "price_on_screen", *FORMULAS]
