"""Exchange rule sets: where exchanges count margin differently from Binance's published formulas.

A rule set is data: a few named choices, each a documented difference, read
once and turned into per-row flags that the formulas in :mod:`xlmargin.margin`
take. Every function that takes ``rules=`` accepts a rule-set name, or a column
of names so that one call can mix exchanges.

=================  ========================  ===========================  ====================
rule set           maintenance margin        fee to close (if given)      margin ratio
=================  ========================  ===========================  ====================
``binance``        at the price (mark / LP)  at the same price            MM / equity
``bybit``          at the entry notional     at the bankruptcy price      MM / equity
``bybit_uta``      at the price              at the bankruptcy price      MM / equity
``bitmex``         at the entry notional     at the entry notional        MM / equity
``okx``            at the price              at the same price            equity / MM
``gate``           at the price              at the same price            MM / equity
``hyperliquid``    at the price              at the same price            MM / equity
=================  ========================  ===========================  ====================

The fee is the ``close_fee_rate`` argument (0 by default): give your taker fee
where your exchange counts it (OKX and Gate count it in maintenance margin,
Bybit in its bankruptcy price). Hyperliquid's rates come from each asset's
maximum leverage: :func:`hyperliquid_mmr`. docs/exchanges.md has the sources
and the published examples each rule set is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import inputs as inp

__all__ = ["RuleSet", "RULES", "hyperliquid_mmr", "price_on_screen"]


@dataclass(frozen=True)
class RuleSet:
    """One exchange's conventions (see the module docstring for the table)."""

    name: str
    title: str
    mm_at_entry: bool  # maintenance margin valued at the entry notional, not at the price
    fee_at_bankruptcy: bool  # the fee to close is charged on the notional at the bankruptcy price
    ratio_equity_over_mm: bool  # the exchange's margin ratio is equity / MM (falls to 100 %)


RULES: dict[str, RuleSet] = {
    r.name: r
    for r in (
        RuleSet("binance", "Binance USDⓈ-M and COIN-M (xlmargin's default)", False, False, False),
        RuleSet("bybit", "Bybit: contract account, and unified account before 2025", True, True, False),
        RuleSet("bybit_uta", "Bybit unified trading account (current rules)", False, True, False),
        RuleSet("bitmex", "BitMEX", True, False, False),
        RuleSet("okx", "OKX", False, False, True),
        RuleSet("gate", "Gate", False, False, False),
        RuleSet("hyperliquid", "Hyperliquid", False, False, False),
    )
}


@dataclass(frozen=True)
class Flags:
    """Per-row flags of the rules (0-d arrays when one rule set applies to all rows)."""

    mm_at_entry: np.ndarray
    fee_at_bankruptcy: np.ndarray
    ratio_equity_over_mm: np.ndarray

    @property
    def plain(self) -> bool:
        """True when no row departs from the default formulas of the liquidation price."""
        return not (self.mm_at_entry.any() or self.fee_at_bankruptcy.any())


def flags(rules: Any) -> Flags:
    """Turn a rule-set name, or a column of names, into per-row flags; unknown names are an error.

    A pandas categorical column is read through its codes, the fastest way for a large book.
    """
    if isinstance(rules, pd.Series):
        rules = rules.array if isinstance(rules.dtype, pd.CategoricalDtype) else rules.to_numpy()
    if isinstance(rules, pd.Categorical):  # a categorical column: its codes are the answer already
        names = np.asarray(rules.codes)
        inverse, unique = names, list(rules.categories)
        if (inverse < 0).any():
            raise InputError("rules", "is empty", int(np.argmax(inverse < 0)) + 1)
    else:
        names = np.asarray(rules, dtype=object)
        codes, unique = pd.factorize(names.ravel())  # hashing: fast on a column of a million names
        inverse = codes.reshape(names.shape)
    sets = []
    for position, name in enumerate(unique):
        key = str(name).strip().lower()
        if key not in RULES:
            row = None if names.ndim == 0 else int(np.argmax(inverse.ravel() == position)) + 1
            raise InputError("rules", f"must be one of {', '.join(RULES)}, not {str(name)!r}", row)
        sets.append(RULES[key])
    pick = lambda attribute: np.array([getattr(r, attribute) for r in sets])[inverse].reshape(names.shape)  # noqa: E731
    return Flags(pick("mm_at_entry"), pick("fee_at_bankruptcy"), pick("ratio_equity_over_mm"))


# How each exchange shows a liquidation price on its tick (seen in its published examples and outputs):
# "cut" toward zero (Binance's calculator), "away" from the entry (Bybit, Gate: a long's rounded up,
# a short's down), "step" one tick toward the entry without rounding (OKX), "none".
SCREEN = {"binance": "cut", "bybit": "away", "bybit_uta": "away", "gate": "away", "okx": "step",
          "bitmex": "none", "hyperliquid": "none"}


def price_on_screen(liq_price: Any, side: Any, tick: Any, rules: Any = "binance") -> Any:
    """A liquidation price as the exchange shows it on its price tick [quote per base].

    xlmargin's prices are exact; exchanges show them on their tick, each its
    own way: Binance's calculator cuts to the tick; Bybit and Gate round a
    long's price up and a short's down (toward liquidating later than exact);
    OKX shows the exact price moved one tick toward the entry (observed in its
    API outputs, not documented); BitMEX and Hyperliquid are left as they are.

    Examples
    --------
    Bybit's inverse example: 5,739.08 exact, 5,739.50 on its 0.5 tick.

    >>> price_on_screen(5_739.0835, "long", 0.5, "bybit"), price_on_screen(33_599.4186, "long", 0.1)
    (5739.5, 33599.4)
    """
    _, wrap = inp.shape_and_wrapper(dict(liq_price=liq_price, side=side, tick=tick, rules=rules))
    price, s, step = inp.as_float("liq_price", liq_price), inp.side(side), inp.positive("tick", tick)
    names = np.broadcast_to(np.asarray(rules, dtype=object), np.broadcast_shapes(price.shape, np.shape(rules)))
    flags(names)  # unknown names are an error
    how = np.vectorize(lambda n: SCREEN[str(n).strip().lower()], otypes=[object])(names)
    ticks = price / step
    shown = np.select(
        [how == "cut", how == "away", how == "step"],
        [np.floor(ticks + 1e-9), np.where(s > 0, np.ceil(ticks - 1e-9), np.floor(ticks + 1e-9)), ticks + s],
        ticks,
    ) * step
    digits = max(0, int(np.ceil(-np.log10(float(np.min(step))))) + 2)
    return wrap(np.where(how == "step", shown, np.round(shown, digits)))


def hyperliquid_mmr(max_leverage: Any) -> Any:
    """Hyperliquid's maintenance margin rate: half the initial margin at the asset's max leverage.

    ``mmr = 1 / (2 * max_leverage)`` [decimal]. A 20x asset: 2.5 %; a 50x one: 1 %.

    >>> hyperliquid_mmr(20), hyperliquid_mmr(50)
    (0.025, 0.01)
    """
    _, wrap = inp.shape_and_wrapper(dict(max_leverage=max_leverage))
    return wrap(1.0 / (2.0 * inp.positive("max_leverage", max_leverage)))
