"""Explanation tables: a liquidation price or maintenance margin laid open, step by step, for audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .equations import fee_at_bankruptcy
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .position import maint_margin


def explain_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> pd.DataFrame:
    """An isolated liquidation price laid open, one row per step [table of item, value, unit].

    Parameters
    ----------
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    margin : float, array or Series
        Margin assigned to the isolated position, including margin added by
        hand and funding received (less funding paid) [settlement asset]; >= 0.
        For a cross position, pass the wallet balance plus the other
        positions' uPnL less their maintenance margin
        (:func:`explain_cross_liq_price` does this).
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.

    Returns
    -------
    table : DataFrame
        Columns ``item``, ``value`` and ``unit``: one row per step, each value
        with its unit in words ("quote per base", "decimal", "quote" or "coin"
        for the settlement asset; no unit for labels).
        The rows: the rule set, every input, the tier used (that of the
        notional at the liquidation price, or at entry where the rules value
        maintenance margin at entry), the formula with the numbers put in, the
        notional, uPnL and maintenance margin at the liquidation price, the
        check ``margin + uPnL - MM`` (0 there), and ``liq_price``
        [quote per base]. ``liq_price`` is NaN where no positive, finite price
        liquidates the position; the check rows are then left out.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or the arguments are
        not single values (one position is explained at a time); also if
        ``mmr`` names no shipped table, or ``maint_amount`` is not 0 with a tier
        table.

    Notes
    -----
    The number is :func:`isolated_liq_price`'s; the formula row shows::

        linear:  P = (margin + cum - s*q*E) / (q*(mmr + fee) - s*q)
        inverse: P = q*(mmr + fee + s) / (margin + cum + s*q/E)

    or, under rules that value maintenance margin at entry,
    ``P = E + (MM(E) - margin) / (s*q)``.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".
    .. [2] docs/formulas.md, "Explaining a liquidation price".

    Examples
    --------
    >>> table = explain_liq_price("long", 0.1, 50_000, 100)
    >>> table.set_index("item").loc["formula", "value"]
    'P = (margin + cum - s*q*E) / (q*(mmr + fee) - s*q) = (100 + 0 - 1*0.1*50000) / (0.1*(0.005 + 0) - 1*0.1)'
    >>> round(table.set_index("item").loc["liq_price", "value"], 2)
    49246.23
    """
    return table(liq_price_steps(side, size, entry_price, margin, mmr, maint_amount, contract, close_fee_rate, rules))


def table(rows: list[tuple[str, Any, str]]) -> pd.DataFrame:
    """The explanation's rows as the table the explain functions return.

    Built once, from one object array: building the table is a large share of a one-cell call.
    """
    return pd.DataFrame(np.array(rows, dtype=object), columns=_COLUMNS, dtype=object, copy=False)


_COLUMNS = pd.Index(["item", "value", "unit"], dtype=object)  # made once: a new Index of words costs a cell ~0.1 ms


def liq_price_steps(side: Any, size: Any, entry_price: Any, margin: Any, mmr: Any, maint_amount: Any, contract: Any,
                    close_fee_rate: Any, rules: Any) -> list[tuple[str, Any, str]]:
    """The rows of :func:`explain_liq_price`: (item, value, unit) for each step."""
    lp = isolated_liq_price(side, size, entry_price, margin, mmr, maint_amount, contract, close_fee_rate, rules)
    if not isinstance(lp, float):
        raise InputError("arguments", "must be single values: one position is explained at a time")
    s, q, e = float(inp.side(side)), float(size), float(entry_price)
    m, fee, inverse = float(margin), float(close_fee_rate), bool(inp.is_inverse(contract))
    rule = exchange_rules.RULES[str(rules).strip().lower()]
    unit = "coin" if inverse else "quote"
    where = e if rule.mm_at_entry or lp != lp else lp
    n = float(fm.notional(q, where, np.asarray(inverse)))
    rate, cum, tier = fm.tier_used(mmr, maint_amount, n, n if inverse else q)
    # the fee to close: charged at the bankruptcy price (a fixed amount) or on the notional where MM is valued
    s_u, e_u = (-s, 1 / e) if inverse else (s, e)
    fixed_fee = float(fee_at_bankruptcy(s_u, q, e_u, m, fee)) if rule.fee_at_bankruptcy else None
    step = Step(s, q, e, m, fee, inverse, rate, cum, n, fixed_fee)
    rows = [
        ("rules", rule.title, ""),
        ("contract", "inverse" if inverse else "linear", ""),
        ("side", f"{'long' if s > 0 else 'short'} (s = {s:+g})", ""),
        ("size", q, "USD" if inverse else "base asset"),
        ("entry_price", e, "quote per base"),
        ("margin", m, unit),
        ("tier", tier + (" (at entry)" if rule.mm_at_entry else " (at the liquidation price)") if tier != "flat rate" else tier, ""),
        ("mmr", rate, "decimal"),
        ("maint_amount", cum, unit),
        ("close_fee_rate", fee, "decimal"),
    ]
    if fixed_fee is not None:
        rows.append(("fee to close at the bankruptcy price", fixed_fee, unit + " (close_fee_rate x notional there)"))
    rows.append(("formula", step.entry_formula() if rule.mm_at_entry else step.price_formula(), ""))
    if lp == lp:
        rows += step.check(lp, rule.mm_at_entry)
    rows.append(("liq_price", lp, "quote per base; NaN: no liquidation price"))
    return rows


@dataclass(frozen=True)
class Step:
    """One position's numbers, put into the formula and into the check of :func:`explain_liq_price`."""

    s: float
    q: float
    e: float
    m: float
    fee: float
    inverse: bool
    rate: float
    cum: float
    n: float  # notional where maintenance margin is valued
    fixed_fee: float | None  # the fee to close at the bankruptcy price, where the rules charge it there

    @property
    def margin_text(self) -> str:
        return _g(self.m) if self.fixed_fee is None else f"{_g(self.m)} - {_g(self.fixed_fee)}"

    def price_formula(self) -> str:
        """The closed form at the price, the numbers put in (a fee at bankruptcy comes out of the margin)."""
        s, q, e, fee, rate, cum = self.s, self.q, self.e, self.fee, self.rate, self.cum
        less = "" if self.fixed_fee is None else " - fee at bankruptcy"
        fee_text = _g(fee) if self.fixed_fee is None else "0"
        if self.inverse:
            return (f"P = q*(mmr + fee + s) / (margin{less} + cum + s*q/E) = {_g(q)}*({_g(rate)} + {fee_text} + {_g(s)}) / "
                    f"({self.margin_text} + {_g(cum)} + {_g(s)}*{_g(q)}/{_g(e)})")
        return (f"P = (margin{less} + cum - s*q*E) / (q*(mmr + fee) - s*q) = ({self.margin_text} + {_g(cum)} - "
                f"{_g(s)}*{_g(q)}*{_g(e)}) / ({_g(q)}*({_g(rate)} + {fee_text}) - {_g(s)}*{_g(q)})")

    def maint_at_entry(self) -> float:
        """MM(E): the entry notional's maintenance margin plus the fee to close (at bankruptcy or at entry)."""
        return self.n * self.rate - self.cum + (self.fee * self.n if self.fixed_fee is None else self.fixed_fee)

    def entry_formula(self) -> str:
        """The closed form where maintenance margin is a fixed amount valued at entry, the numbers put in."""
        mm, s, q = self.maint_at_entry(), self.s, self.q
        fee = f"{_g(self.fee)}*{_g(self.n)}" if self.fixed_fee is None else _g(self.fixed_fee)
        mm_text = f"MM(E) = {_g(self.n)}*{_g(self.rate)} - {_g(self.cum)} + {fee} = {_g(mm)}"
        if self.inverse:
            return f"1/P = 1/E + (margin - MM(E)) / (s*q) = 1/{_g(self.e)} + ({_g(self.m)} - {_g(mm)}) / ({_g(s)}*{_g(q)}), {mm_text}"
        return f"P = E + (MM(E) - margin) / (s*q) = {_g(self.e)} + ({_g(mm)} - {_g(self.m)}) / ({_g(s)}*{_g(q)}), {mm_text}"

    def check(self, lp: float, at_entry: bool) -> list[tuple[str, Any, str]]:
        """Rows showing that margin + uPnL - MM - (fee at bankruptcy, where separate) is 0 at the price."""
        unit = "coin" if self.inverse else "quote"
        inverse = np.asarray(self.inverse)
        pnl = float(fm.pnl(self.s, self.q, self.e, lp, inverse))
        n_lp = float(fm.notional(self.q, lp, inverse))
        if at_entry:
            mm, separate = self.maint_at_entry(), 0.0
        else:
            fee_in_mm = self.fee if self.fixed_fee is None else 0.0
            mm, separate = n_lp * (self.rate + fee_in_mm) - self.cum, self.fixed_fee or 0.0
        rows = [
            ("notional at liq_price", n_lp, unit),
            ("unrealized_pnl at liq_price", pnl, unit),
            ("maint_margin" + (" (at entry)" if at_entry else " at liq_price"), mm, unit),
        ]
        if separate:
            rows.append(("margin + uPnL - MM - fee at bankruptcy", self.m + pnl - mm - separate, unit + " (0 at the liquidation price)"))
        else:
            rows.append(("margin + uPnL - MM", self.m + pnl - mm, unit + " (0 at the liquidation price)"))
        return rows


def _g(x: float) -> str:
    return f"{x:.10g}"


def explain_maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> pd.DataFrame:
    """A maintenance margin laid open, one row per step [table of item, value, unit].

    Parameters
    ----------
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).

    Returns
    -------
    table : DataFrame
        Columns ``item``, ``value`` and ``unit``: one row per step, each value
        with its unit in words ("quote per base", "decimal", "quote" or "coin"
        for the settlement asset; no unit for labels).
        The rows: contract, size, mark price, notional, tier, mmr,
        maint_amount, close_fee_rate, the formula with the numbers put in, and
        ``maint_margin`` [settlement asset]. Never NaN: every input is checked
        to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or the arguments are
        not single values (one position is explained at a time); also if
        ``mmr`` names no shipped table, or ``maint_amount`` is not 0 with a tier
        table.

    Notes
    -----
    The number is :func:`maint_margin`'s:
    ``MM = notional * (mmr + close_fee_rate) - maint_amount``, with the tier of
    the notional at the mark price.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".
    .. [2] Binance FAQ ceccfcfb4e3a45e3b48b0b1bb1a8ae46, "How to Calculate
       Liquidation Price of Coin-M Futures Contracts".
    .. [3] docs/formulas.md, "Maintenance margin" and "Explaining a liquidation price".

    Examples
    --------
    >>> table = explain_maint_margin(10, 51_000, "binance_usdm_btcusdt").set_index("item")["value"]
    >>> table["formula"], table["maint_margin"]
    ('MM = notional*(mmr + fee) - maint_amount = 510000*(0.005 + 0) - 50', 2500.0)
    """
    mm = maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate)
    if not isinstance(mm, float):
        raise InputError("arguments", "must be single values: one position is explained at a time")
    inverse = bool(inp.is_inverse(contract))
    n = float(fm.notional(float(size), float(mark_price), np.asarray(inverse)))
    rate, cum, tier = fm.tier_used(mmr, maint_amount, n, n if inverse else float(size))
    unit = "coin" if inverse else "quote"
    fee = float(close_fee_rate)
    rows = [
        ("contract", "inverse" if inverse else "linear", ""),
        ("size", float(size), "USD" if inverse else "base asset"),
        ("mark_price", float(mark_price), "quote per base"),
        ("notional", n, unit + (" (size / price)" if inverse else " (size x price)")),
        ("tier", tier, ""),
        ("mmr", rate, "decimal"),
        ("maint_amount", cum, unit),
        ("close_fee_rate", fee, "decimal"),
        ("formula", f"MM = notional*(mmr + fee) - maint_amount = {n:.10g}*({rate:.10g} + {fee:.10g}) - {cum:.10g}", ""),
        ("maint_margin", mm, unit),
    ]
    return table(rows)


