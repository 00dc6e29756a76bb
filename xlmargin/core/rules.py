"""Exchange rule sets: where exchanges count margin differently from Binance's published formulas.

A rule set is data: a few named choices, each a documented difference, read
once and turned into per-row flags that the formulas in :mod:`xlmargin.core.formulas`
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
``deribit``        at the price              at the same price            MM / equity
=================  ========================  ===========================  ====================

The fee is the ``close_fee_rate`` argument (0 by default): give your taker fee
where your exchange counts it (OKX and Gate count it in maintenance margin,
Bybit in its bankruptcy price). Hyperliquid's rates come from each asset's
maximum leverage: :func:`hyperliquid_mmr`; Deribit's grow with the position's
size (a size-scaled schedule as ``mmr``, :mod:`xlmargin.core.schedules`). docs/exchanges.md has the sources
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
        RuleSet("deribit", "Deribit (rates that grow with size: mmr='deribit_btc', ...)", False, False, False),
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
        if names.ndim == 0:  # one name for every row
            unique, inverse = [names.item()], np.zeros((), dtype=np.intp)
        else:
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
# "cut" toward zero (Binance's calculator), "toward" the entry (Bybit, Gate: a long's rounded up,
# a short's down), "step" one tick toward the entry without rounding (OKX), "none".
SCREEN = {"binance": "cut", "bybit": "toward", "bybit_uta": "toward", "gate": "toward", "okx": "step",
          "bitmex": "none", "hyperliquid": "none", "deribit": "none"}


def price_on_screen(liq_price: Any, side: Any, tick: Any, rules: Any = "binance") -> Any:
    """A liquidation price as the exchange shows it on its price tick [quote per base].

    Parameters
    ----------
    liq_price : float, array or Series
        Liquidation price as xlmargin gives it, exact [quote per base]; NaN
        where there is none.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    tick : float, array or Series
        The smallest price step of the contract [quote per base]; > 0.
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.

    Returns
    -------
    price : float, ndarray or Series
        The price on the exchange's screen [quote per base].
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where ``liq_price`` is NaN (no liquidation price).

    Raises
    ------
    InputError
        If ``liq_price`` is not a number, ``side`` is not long/short or 1/-1,
        ``tick`` is not a finite number > 0, a rule set is unknown, or the
        arguments do not broadcast.

    Notes
    -----
    xlmargin's prices are exact; exchanges show them on their tick, each its
    own way, with ``n = liq_price / tick``:

    * ``"binance"``: its calculator cuts to the tick, ``floor(n) * tick``;
    * ``"bybit"``, ``"bybit_uta"``, ``"gate"``: a long's price is rounded up,
      a short's down (toward the entry: the position is shown liquidating no
      later than at the exact price);
    * ``"okx"``: the exact price moved one tick toward the entry,
      ``(n + s) * tick`` with ``s`` +1 long, -1 short (observed in its API
      outputs, not documented);
    * ``"bitmex"``, ``"hyperliquid"``: left as they are.

    References
    ----------
    .. [1] Bybit help centre, "How to calculate Liquidation Price (Inverse
       Contract)" (article 360039261334): 5,739.50 on a 0.5 tick.
    .. [2] Binance developer forum, "Coin-Margined Futures Liquidation Price
       Calculation Help - CM variable" (dev.binance.vision, thread 6292):
       33,599.40, cut to the 0.1 tick.
    .. [3] OKX's ``liqPx`` of live isolated swaps from its API, and Gate's
       liquidation prices of live positions (freqtrade issue #8300, ccxt PRs
       #13130 and #11143), as recorded in tests/test_exchange_rules.py.
    .. [4] docs/exchanges.md, "On the exchange's screen".

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
        [how == "cut", how == "toward", how == "step"],
        [np.floor(ticks + 1e-9), np.where(s > 0, np.ceil(ticks - 1e-9), np.floor(ticks + 1e-9)), ticks + s],
        ticks,
    ) * step
    digits = max(0, int(np.ceil(-np.log10(float(np.min(step))))) + 2)
    return wrap(np.where(how == "step", shown, np.round(shown, digits)))


def hyperliquid_mmr(max_leverage: Any) -> Any:
    """Hyperliquid's maintenance margin rate: half the initial margin at max leverage [decimal].

    Parameters
    ----------
    max_leverage : float or array
        The highest leverage the asset allows on Hyperliquid [x]; a finite
        number > 0.

    Returns
    -------
    mmr : float or ndarray
        Maintenance margin rate [decimal: 0.005 is 0.5 %], to pass as ``mmr``
        with ``rules="hyperliquid"``. A float for a scalar, an ndarray
        otherwise (a Series comes back as an ndarray). Never NaN: a NaN
        ``max_leverage`` is an error.

    Raises
    ------
    InputError
        If any ``max_leverage`` is not a finite number > 0 (no row is named).

    Notes
    -----
    ``mmr = 1 / (2 * max_leverage)``: a 20x asset's rate is 2.5 %, a 50x one's
    1 %. Maintenance margin is then ``notional * mmr`` (no maintenance amount).

    References
    ----------
    .. [1] Hyperliquid docs, "Margining" (a 10,000 USD position on a 20x asset
       needs 250 USD of maintenance margin).
    .. [2] docs/exchanges.md, "Exchange rule sets".

    Examples
    --------
    >>> hyperliquid_mmr(20), hyperliquid_mmr(50)
    (0.025, 0.01)
    """
    _, wrap = inp.shape_and_wrapper(dict(max_leverage=max_leverage))
    return wrap(1.0 / (2.0 * inp.positive("max_leverage", max_leverage)))
