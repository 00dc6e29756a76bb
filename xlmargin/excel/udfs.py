"""xlmargin's Excel functions: each core function under its UPPER_CASE name.

``ISOLATED_LIQ_PRICE`` here is ``xlmargin.isolated_liq_price`` in Python: the
Excel name is the core name in capitals, in every runtime.

Import this module into the runtime that serves the functions (see
docs/excel.md): the Windows add-in's "UDF Modules" (``xlmargin.excel.udfs``),
or ``from xlmargin.excel.udfs import *`` in xlwings Lite's main.py or in an
xlwings Server's custom functions. Each function is the core function of the
same name with the same arguments in the same order; all conversion and error
handling is :func:`xlmargin.excel.convert.excel_function`.
"""

from __future__ import annotations

import xlmargin as xm

from . import FUNCTIONS
from .convert import excel_function, xlwings_host
from .ladder import shock_ladder

# Where these functions run (Office.js, COM or plain Python), decided once: by the decorators
# xlwings chose when it was imported. No call reads the environment again.
HOST = xlwings_host()

# Argument help Excel shows, in the glossary's words and units (docs/glossary.md).
ARG_HELP = {
    "side": "long or short (any case), or 1 / -1; no unit",
    "size": "Position size: base asset for linear (0.2 BTC) [base asset], position value for inverse (contracts x contract size) [quote]",
    "entry_price": "Average price at which the position was opened [quote per base]",
    "mark_price": "The exchange's fair price, used for PnL, maintenance margin and liquidation [quote per base]",
    "price": "Price at which the position is valued [quote per base]",
    "liq_price": "Liquidation price [quote per base]; in MARGIN_FOR_LIQ_PRICE the wanted one",
    "margin": "Margin assigned to the isolated position, incl. margin added by hand and funding [settlement asset: USDT linear, coin inverse]",
    "wallet_balance": "Cross account's balance after realized PnL, fees and funding, before unrealized PnL [settlement asset]",
    "free_balance": "The part of the account's balance no isolated position holds [settlement asset]",
    "balance": "What is available to open the position [settlement asset]",
    "equity": "Margin balance: wallet balance + unrealized PnL [settlement asset]",
    "maint_margin": "Maintenance margin [settlement asset]",
    "leverage": "Leverage: notional / initial margin [x], e.g. 10",
    "mmr": "Maintenance margin rate [decimal: 0.005 is 0.5 %], a tier table range, or a shipped table's name (default 0.005)",
    "tiers": "Optional tier table range (or a shipped table's name) whose max leverage caps the size; no unit",
    "maint_amount": "Maintenance amount (\"cum\") of the tier [settlement asset]; leave empty with a tier table (default 0)",
    "contract": "linear (USDT-margined, default) or inverse (coin-margined); no unit",
    "close_fee_rate": "Fee to close counted inside maintenance margin, as a rate of notional [decimal: 0.0005 is 0.05 %] (default 0, Binance)",
    "open_fee_rate": "Fee to open taken from the balance, as a rate of notional [decimal: 0.0005 is 0.05 %] (default 0)",
    "funding_rate": "Funding rate per interval [decimal: 0.0001 is 0.01 %]; positive: longs pay shorts",
    "intervals": "Number of funding intervals, 8 h each on most exchanges [count] (default 1)",
    "threshold": "Margin ratio at which the margin call is raised [decimal: 0.8 is 80 %] (default 0.8)",
    "account": "Optional label of each position's cross account, to group positions into accounts; no unit",
    "rules": "Exchange rule set: binance (default), bybit, bybit_uta, bitmex, okx, gate or hyperliquid; no unit",
    "exit_price": "Price at which the position is (or would be) closed [quote per base]",
    "tick": "The contract's smallest price step [quote per base], e.g. 0.1",
    "position": "Which position, counting from 1: the one to explain, or the one whose price alone SHOCK_LADDER moves; no unit",
    "position_id": "Optional label of each fill naming the position it belongs to, for one average per position; no unit",
    "collateral": "Optional collateral in the position's own base asset, after its haircut; its value moves with the price [base asset]",
    "amount": "Amount of the collateral coin [coin]",
    "haircut": "One minus the exchange's collateral value ratio [decimal: 0.05 counts 95 %]",
    "symbol": "Optional contract of each position: in cross mode the legs of one symbol move together (hedge mode); no unit",
    "roe": "Wanted return on equity: PnL / initial margin [decimal: 0.5 is 50 %]; negative for a loss",
    "pnl": "Wanted profit (+) or loss (-) [settlement asset]",
    "trade_side": "The trade's direction: long buys, short sells (or 1 / -1); no unit",
    "trade_size": "The trade's size, in the units of size: base asset for linear [base asset], position value for inverse [quote]; 0 for no trade",
    "trade_price": "The price the trade fills at [quote per base]",
    "trade_fee_rate": "The fee the trade pays, as a rate of its notional [decimal: 0.0005 is 0.05 %] (default 0)",
    "margin_mode": "isolated or cross: each position with its own margin, or the balance backing every position (default cross); no unit",
    "low_price": "The low end of the price range the plan spreads its budget over [quote per base]",
    "high_price": "The high end of the price range the plan spreads its budget over [quote per base]",
    "entries": "How many fills the plan has, spaced evenly over the range [count]",
    "funding": "Funding received (+) or paid (-) so far, e.g. from FUNDING_PAYMENT [settlement asset] (default 0)",
    "start_time": "Optional date and time the projection starts (a date cell); the table then shows each interval's date; no unit",
    "interval_hours": "Hours between funding payments [h] (default 8)",
    "removed_margin": "The margin to take out of the isolated position [settlement asset]",
    "step": "Step of the price move [decimal: 0.05 is 5 %], in (0, 1] (default 0.05)",
    "up_to": "Highest price of the ladder as a multiple of the mark price [x], at least 1 (default 2)",
}

NO_LIQUIDATION = "no liquidation price: no positive price liquidates the position"


def _udf(core, description, no_answer="no answer"):
    return excel_function(core, description, ARG_HELP, no_answer, host=HOST)


NOTIONAL = _udf(xm.notional, "Position value [settlement asset]: size x price (linear) or size / price (inverse).")
UNREALIZED_PNL = _udf(xm.unrealized_pnl, "Unrealized profit (+) or loss (-) at the mark price [settlement asset].")
INITIAL_MARGIN = _udf(xm.initial_margin, "Initial margin for a leverage: notional / leverage [settlement asset].")
MAINT_MARGIN = _udf(xm.maint_margin, "Maintenance margin at the mark price, flat rate or tier table [settlement asset].")
ISOLATED_LIQ_PRICE = _udf(
    xm.isolated_liq_price,
    "Isolated-margin liquidation price [quote per base], tier-consistent. #N/A: no price liquidates the position.",
    NO_LIQUIDATION,
)
BANKRUPTCY_PRICE = _udf(
    xm.bankruptcy_price, "Price at which the isolated margin is used up [quote per base]. #N/A: never.", "no bankruptcy price"
)
MARGIN_FOR_LIQ_PRICE = _udf(
    xm.margin_for_liq_price, "Isolated margin that puts the liquidation price at liq_price [settlement asset]."
)
FUNDING_PAYMENT = _udf(xm.funding_payment, "Funding received (+) or paid (-) over the intervals [settlement asset].")
CROSS_EQUITY = _udf(xm.cross_equity, "Cross account equity: wallet balance + sum of unrealized PnL [settlement asset].")
CROSS_MAINT_MARGIN = _udf(xm.cross_maint_margin, "Total maintenance margin of a cross account [settlement asset].")
CROSS_LIQ_PRICE = _udf(
    xm.cross_liq_price,
    "Cross-margin liquidation price of each position, the others held at mark [quote per base]. #N/A: none.",
    NO_LIQUIDATION,
)
MARGIN_RATIO = _udf(xm.margin_ratio, "Margin ratio: maintenance margin / equity; 1 (100%) is liquidation. #NUM!: equity <= 0.")
MARGIN_CALL = _udf(xm.margin_call, "TRUE when the margin ratio has reached the threshold (default 80%).")
ISOLATED_ACCOUNT_VALUE = _udf(
    xm.isolated_account_value, "Account value with isolated positions: free balance + live positions' margin + PnL."
)
CROSS_ACCOUNT_VALUE = _udf(xm.cross_account_value, "Cross account value: its equity, or 0 once it is liquidated.")
MAX_POSITION_SIZE = _udf(
    xm.max_position_size,
    "Largest position a balance opens at a leverage, tier-capped [base asset; USD for inverse]. #N/A: no tier allows it.",
    "no tier allows this leverage",
)
COMPARE_MARGIN_MODES = _udf(
    xm.compare_margin_modes, "Isolated vs cross side by side: each position's liquidation price and most it can lose."
)

COLLATERAL_VALUE = _udf(xm.collateral_value, "What collateral counts for: amount x price x (1 - haircut) [settlement asset].")
EXPLAIN_LIQ_PRICE = _udf(
    xm.explain_liq_price, "An isolated liquidation price laid open: rules, inputs, tier, formula with numbers, checks."
)
EXPLAIN_CROSS_LIQ_PRICE = _udf(
    xm.explain_cross_liq_price, "A cross liquidation price laid open: the other positions' uPnL and MM, then the steps."
)
EXPLAIN_MAINT_MARGIN = _udf(xm.explain_maint_margin, "A maintenance margin laid open: notional, tier, rate, amount, formula.")
DISTANCE_TO_LIQ = _udf(
    xm.distance_to_liq, "Move of the mark price that reaches the liquidation price (-0.1 = a 10% fall). #N/A: none.",
    "no liquidation price",
)
MARGIN_BUFFER = _udf(xm.margin_buffer, "What can still be lost before liquidation: equity - maintenance margin.")
RETURN_ON_EQUITY = _udf(xm.return_on_equity, "Return on equity of a trade: PnL / initial margin (0.5 = 50%).")
EXIT_PRICE_FOR_ROE = _udf(
    xm.exit_price_for_roe, "Exit price that gives a wanted return on equity [quote per base]. #N/A: none can.", "no such exit price"
)
EXIT_PRICE_FOR_PNL = _udf(
    xm.exit_price_for_pnl, "Exit price that realizes a wanted PnL [quote per base]. #N/A: none can.", "no such exit price"
)
AVERAGE_ENTRY_PRICE = _udf(
    xm.average_entry_price, "Average entry price of several fills: size-weighted (linear) or harmonic (inverse)."
)

WHAT_IF = _udf(
    xm.what_if, "Hypothetical trades on a book of accounts, isolated and cross: each position and its account before and after (a table)."
)
BREAK_EVEN_PRICE = _udf(
    xm.break_even_price, "Exit price that pays the fees to open and close and the funding so far [quote per base].",
    "no break-even price",
)
ENTRY_LADDER = _udf(xm.entry_ladder, "A plan of entries fill by fill: average entry, size, margin, tier, liquidation, fits.")
LADDER_ENTRIES = _udf(xm.ladder_entries, "A budget spread evenly over a price range: the plan's prices and sizes.")
FUNDING_DRIFT = _udf(xm.funding_drift, "Positions held through funding at unchanged marks (cross: one wallet for all): margin "
                     "and liquidation per interval.")
FUNDING_LIQ_INTERVAL = _udf(
    xm.funding_liq_interval, "Funding interval at which each position (cross: its account) is liquidated at unchanged marks [count]. #N/A: never.",
    "not liquidated within the schedule",
)
REMOVABLE_MARGIN = _udf(xm.removable_margin, "Margin that can be removed from an isolated position, per exchange rule [settlement asset].")
WITHDRAWABLE_BALANCE = _udf(
    xm.withdrawable_balance, "What can be withdrawn from a cross account with open positions, per exchange rule [settlement asset]."
)
LIQ_PRICE_AFTER_REMOVAL = _udf(
    xm.liq_price_after_removal, "Isolated liquidation price after taking margin out [quote per base]. #N/A: none.", NO_LIQUIDATION
)

PRICE_ON_SCREEN = _udf(xm.price_on_screen, "A liquidation price as the exchange shows it on its price tick.")

SHOCK_LADDER = _udf(
    shock_ladder, "Price-shock ladder: per step of a joint move to zero and up, equity, margin left, MM, ratio, losses.",
    "no margin ratio: nothing open",
)

__all__ = list(FUNCTIONS)
