"""The worked examples W1-W6 (../shared/SPEC.md section 5), computed by the core.

Each example is a function of named inputs (the defined names of its template
workbook, e.g. ``MARK_PRICE``) that returns its named outputs. The defaults
are the situation the example describes; change an input to see the same
story at another price. Tests, templates, docs and ``xlmargin demo`` all use
these, so the figures have one source.

>>> round(WORKED_EXAMPLES["W2"].outputs()["CROSS_LIQ_PRICE"], 2)
40201.01
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import core as mg

__all__ = ["WorkedExample", "WORKED_EXAMPLES"]


@dataclass(frozen=True)
class WorkedExample:
    """One worked example: its story and the function that computes it."""

    key: str
    title: str
    lesson: str
    compute: Callable[..., dict[str, float]]
    key_outputs: tuple[str, ...] = ()  # the figures the example is about

    @property
    def inputs(self) -> dict[str, float]:
        """The example's inputs with their default values."""
        return {name: p.default for name, p in inspect.signature(self.compute).parameters.items()}

    def outputs(self, **inputs: float) -> dict[str, float]:
        """Named outputs for the default inputs, with any of them overridden."""
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise KeyError(f"{self.key} has no input {', '.join(sorted(unknown))}; inputs: {', '.join(self.inputs)}")
        return self.compute(**inputs)


def w1(BALANCE=1_000.0, LEVERAGE=10.0, ENTRY_PRICE=50_000.0, MARK_PRICE=48_000.0, MMR=0.005):
    size = mg.max_position_size(BALANCE, LEVERAGE, ENTRY_PRICE)
    return {
        "MAX_SIZE": size,
        "IM_AT_ENTRY": mg.initial_margin(size, ENTRY_PRICE, LEVERAGE),
        "MM_AT_ENTRY": mg.maint_margin(size, ENTRY_PRICE, MMR),
        "MM_AT_MARK": mg.maint_margin(size, MARK_PRICE, MMR),
        "ISO_LIQ_PRICE": mg.isolated_liq_price("long", size, ENTRY_PRICE, BALANCE, MMR),
        "PNL": mg.unrealized_pnl("long", size, ENTRY_PRICE, MARK_PRICE),
    }


def w2(WALLET_BALANCE=1_000.0, SIZE=0.1, ENTRY_PRICE=50_000.0, ISO_MARGIN=100.0, MARK_PRICE=50_000.0, MMR=0.005):
    position = ("long", SIZE, ENTRY_PRICE)
    equity = mg.cross_equity(WALLET_BALANCE, *position, MARK_PRICE)
    mm = mg.maint_margin(SIZE, MARK_PRICE, MMR)
    return {
        "ISO_LIQ_PRICE": mg.isolated_liq_price(*position, ISO_MARGIN, MMR),
        "CROSS_LIQ_PRICE": mg.cross_liq_price(WALLET_BALANCE, *position, MARK_PRICE, MMR),
        "ISO_MAX_LOSS": ISO_MARGIN,
        "CROSS_MAX_LOSS": max(equity, 0.0),
        "ISO_ACCOUNT_VALUE": mg.isolated_account_value(WALLET_BALANCE - ISO_MARGIN, *position, MARK_PRICE, ISO_MARGIN, MMR),
        "CROSS_ACCOUNT_VALUE": mg.cross_account_value(WALLET_BALANCE, *position, MARK_PRICE, MMR),
        "CROSS_MARGIN_RATIO": mg.margin_ratio(equity, mm),
        "CROSS_MARGIN_CALL": mg.margin_call(equity, mm),
    }


def w3(
    WALLET_BALANCE=500.0,
    BTC_SIZE=0.04,
    BTC_ENTRY=50_000.0,
    BTC_MARGIN=200.0,
    ETH_SIZE=0.8,
    ETH_ENTRY=2_500.0,
    ETH_MARGIN=200.0,
    BTC_PRICE=51_000.0,
    ETH_PRICE=2_200.0,
    MMR=0.005,
):
    sides = ["long", "long"]
    sizes, entries, marks = [BTC_SIZE, ETH_SIZE], [BTC_ENTRY, ETH_ENTRY], [BTC_PRICE, ETH_PRICE]
    margins = [BTC_MARGIN, ETH_MARGIN]
    iso = mg.isolated_liq_price(sides, sizes, entries, margins, MMR)
    cross = mg.cross_liq_price(WALLET_BALANCE, sides, sizes, entries, marks, MMR)
    return {
        "ISO_BTC_LIQ_PRICE": float(iso[0]),
        "ISO_ETH_LIQ_PRICE": float(iso[1]),
        "CROSS_BTC_LIQ_PRICE": float(cross[0]),
        "CROSS_ETH_LIQ_PRICE": float(cross[1]),
        "CROSS_EQUITY": mg.cross_equity(WALLET_BALANCE, sides, sizes, entries, marks),
        "CROSS_MAINT_MARGIN": mg.cross_maint_margin(sizes, marks, MMR),
        "ISO_ACCOUNT_VALUE": mg.isolated_account_value(WALLET_BALANCE - sum(margins), sides, sizes, entries, marks, margins, MMR),
        "CROSS_ACCOUNT_VALUE": mg.cross_account_value(WALLET_BALANCE, sides, sizes, entries, marks, MMR),
    }


def w4(WALLET_BALANCE=10.0, SIZE=3_000_000.0, ENTRY_PRICE=60_000.0, ISO_MARGIN=5.0, MARK_PRICE=60_000.0, MMR=0.005):
    position = ("long", SIZE, ENTRY_PRICE)
    return {
        "ISO_LIQ_PRICE": mg.isolated_liq_price(*position, ISO_MARGIN, MMR, 0.0, "inverse"),
        "CROSS_LIQ_PRICE": mg.cross_liq_price(WALLET_BALANCE, *position, MARK_PRICE, MMR, 0.0, "inverse"),
        "ISO_MAX_LOSS": ISO_MARGIN,
        "CROSS_MAX_LOSS": max(mg.cross_equity(WALLET_BALANCE, *position, MARK_PRICE, "inverse"), 0.0),
        "ISO_ACCOUNT_VALUE": mg.isolated_account_value(
            WALLET_BALANCE - ISO_MARGIN, *position, MARK_PRICE, ISO_MARGIN, MMR, 0.0, "inverse"
        ),
        "CROSS_ACCOUNT_VALUE": mg.cross_account_value(WALLET_BALANCE, *position, MARK_PRICE, MMR, 0.0, "inverse"),
    }


W5_POSITIONS = {  # symbol: (side, size, entry, mmr)
    "ALT1": ("short", 30.0, 100.0, 0.01),
    "ALT2": ("short", 10_000.0, 0.10, 0.01),
    "ALT3": ("short", 2_000.0, 0.50, 0.01),
    "BTC": ("long", 0.04, 50_000.0, 0.005),
}


def w5(WALLET_BALANCE=1_000.0, ALT1_PRICE=130.0, ALT1_ISO_MARGIN=300.0):
    sides, sizes, entries, rates = (list(col) for col in zip(*W5_POSITIONS.values()))
    marks = [ALT1_PRICE, *entries[1:]]
    equity = mg.cross_equity(WALLET_BALANCE, sides, sizes, entries, marks)
    mm = mg.cross_maint_margin(sizes, marks, rates)
    cross = mg.cross_liq_price(WALLET_BALANCE, sides, sizes, entries, marks, rates)
    return {
        "CROSS_EQUITY": equity,
        "CROSS_MAINT_MARGIN": mm,
        "CROSS_MARGIN_RATIO": mg.margin_ratio(equity, mm),
        "ALT1_CROSS_LIQ_PRICE": float(cross[0]),
        "ALT1_ISO_LIQ_PRICE": mg.isolated_liq_price("short", sizes[0], entries[0], ALT1_ISO_MARGIN, rates[0]),
        "CROSS_ACCOUNT_VALUE": mg.cross_account_value(WALLET_BALANCE, sides, sizes, entries, marks, rates),
    }


def w6(
    SIZE=0.1,
    ENTRY_PRICE=50_000.0,
    LEVERAGE=20.0,
    ADDED_MARGIN=100.0,
    FUNDING_RATE=0.0001,
    FUNDING_INTERVALS=90.0,
    MARK_PRICE=50_000.0,
    MMR=0.005,
):
    margin = mg.initial_margin(SIZE, ENTRY_PRICE, LEVERAGE)
    funding = mg.funding_payment("long", SIZE, MARK_PRICE, FUNDING_RATE, FUNDING_INTERVALS)
    margin_now = margin + ADDED_MARGIN + funding
    return {
        "OPENING_MARGIN": margin,
        "FUNDING": funding,
        "ISO_MARGIN": margin_now,
        "ISO_LIQ_PRICE": mg.isolated_liq_price("long", SIZE, ENTRY_PRICE, margin_now, MMR) if margin_now >= 0 else np.nan,
    }


WORKED_EXAMPLES: dict[str, WorkedExample] = {
    e.key: e
    for e in [
        WorkedExample(
            "W1",
            "Initial vs maintenance margin",
            "Initial margin (notional / leverage) decides how large a position may be opened; "
            "maintenance margin, far smaller, decides when it is liquidated.",
            w1,
            ("MAX_SIZE", "ISO_LIQ_PRICE", "PNL"),
        ),
        WorkedExample(
            "W2",
            "$100 in the trade, $900 beside it",
            "Isolated margin caps the loss at the margin given to the position; cross margin lets the "
            "whole balance hold the position up longer, and lose all of it at liquidation.",
            w2,
            ("ISO_LIQ_PRICE", "CROSS_LIQ_PRICE", "ISO_MAX_LOSS", "CROSS_MAX_LOSS"),
        ),
        WorkedExample(
            "W3",
            "Two longs in a 500 USDT account",
            "In isolated mode one bad trade is lost alone; in cross mode the winner props up the loser "
            "until the account goes down with both.",
            w3,
            ("ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE", "ISO_ACCOUNT_VALUE", "CROSS_ACCOUNT_VALUE"),
        ),
        WorkedExample(
            "W4",
            "Coin-margined perpetual, 5 of 10 BTC isolated",
            "Inverse contracts are margined and settled in the coin; the margin-mode trade-off is the same.",
            w4,
            ("ISO_LIQ_PRICE", "CROSS_LIQ_PRICE"),
        ),
        WorkedExample(
            "W5",
            "Altcoin shorts in cross, one coin pumps",
            "In cross mode one position's loss can liquidate every other position, unrelated ones included.",
            w5,
            ("CROSS_EQUITY", "CROSS_MAINT_MARGIN", "ALT1_CROSS_LIQ_PRICE", "ALT1_ISO_LIQ_PRICE"),
        ),
        WorkedExample(
            "W6",
            "Margin top-up and funding in isolated mode",
            "Adding margin to an isolated position moves its liquidation price away; funding paid "
            "comes out of that margin and moves it back.",
            w6,
            ("ISO_LIQ_PRICE",),
        ),
    ]
}
