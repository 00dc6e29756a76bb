"""The core: margin math over arrays, knowing nothing of Excel, files or reports.

=================  ==========================================================
module             what
=================  ==========================================================
``position``       one position: notional, PnL, margins, isolated and bankruptcy prices, funding
``cross``          cross accounts: equity, maintenance margin, liquidation prices, margin ratio
``calculator``     sizing, comparing modes, collateral, distance to liquidation, ROE and exits
``explain``        a liquidation price or maintenance margin laid open, step by step
``tiers``          tier tables: loading, checking, the shipped tables
``schedules``      margin rates that grow with the position's size (Deribit)
``rules``          exchange rule sets, turned into per-row flags
``formulas``       the formulas over arrays, each written once (private to the core)
``solver``         the tier-consistent liquidation root (numpy; an optional compiled kernel)
``inputs``         the one rule for mixing scalars, arrays and Series
``examples``       the worked examples W1-W6 as functions of named inputs
=================  ==========================================================

Every layer above (``xlmargin.review``, ``xlmargin.excel``, ``xlmargin.workbooks``,
``xlmargin.report``, ``xlmargin.cli``) imports from here; nothing here imports them.
"""

from .calculator import (
    average_entry_price,
    collateral_value,
    compare_margin_modes,
    distance_to_liq,
    exit_price_for_pnl,
    exit_price_for_roe,
    margin_buffer,
    max_position_size,
    return_on_equity,
)
from .cross import (
    cross_account_value,
    cross_equity,
    cross_liq_price,
    cross_maint_margin,
    isolated_account_value,
    margin_call,
    margin_ratio,
)
from .explain import explain_cross_liq_price, explain_liq_price, explain_maint_margin
from .position import (
    bankruptcy_price,
    funding_payment,
    initial_margin,
    isolated_liq_price,
    maint_margin,
    margin_for_liq_price,
    notional,
    unrealized_pnl,
)
from .rules import RULES, hyperliquid_mmr, price_on_screen
from .schedules import SCHEDULES, SizeScaledRate
from .tiers import TierTable

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
]

__all__ = ["TierTable", "SizeScaledRate", "SCHEDULES", "RULES", "hyperliquid_mmr", "price_on_screen", *FORMULAS]
