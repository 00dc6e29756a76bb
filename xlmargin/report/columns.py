"""How each column is shown: its label with the unit, its precision, and its Excel number format, the same in every format."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

NONE = "—"  # how HTML/PDF show "no answer" (NaN)
STABLE = {"USDT", "USDC", "BUSD", "FDUSD", "USD", "DAI", "TUSD", "EUR"}  # settlement assets shown to 2 decimals


@dataclass
class Column:
    """How one column is shown: its label (with its unit), its kind and its number of decimals.

    ``by_symbol``: for a price column of a table with a ``symbol`` column, the
    decimals of each instrument's prices (:func:`price_decimals`); ``decimals``
    is then the most of them, and a symbol not in it is shown to ``decimals``.
    """

    name: str
    label: str
    kind: str  # text, flag, count, price, size, amount, quote, pct, ratio, leverage
    decimals: int = 2
    by_symbol: dict[str, int] | None = None

    def decimals_of(self, symbol=None) -> int:
        """The decimals of a value of this column in a row of ``symbol`` (as text: :func:`price_decimals` names them so)."""
        if self.by_symbol is None or symbol is None:
            return self.decimals
        return self.by_symbol.get(str(symbol), self.decimals)


PRICE_DIGITS = 5  # significant digits of an instrument's typical price shown (BTC 47,738.69; an altcoin 0.13998)


def price_decimals(symbols: pd.Series, prices: pd.Series) -> dict[str, int]:
    """Decimals of each instrument's prices: ``PRICE_DIGITS`` significant digits of its median price, 2 to 8.

    Parameters
    ----------
    symbols : Series of str
        The instrument of each row.
    prices : Series of float
        A price of each row [quote] (the mark); NaN, zero and non-finite prices are left out.

    Returns
    -------
    dict
        Per symbol with a price, its decimals; every price of that instrument
        (entry, mark, liquidation, bankruptcy, break-even) is shown to them.

    Examples
    --------
    >>> price_decimals(pd.Series(["BTCUSDT", "BTCUSDT", "DOGEUSDT"]), pd.Series([47738.69347, 47000.0, 0.13998]))
    {'BTCUSDT': 2, 'DOGEUSDT': 5}
    """
    size = pd.to_numeric(prices, errors="coerce").abs()
    ok = np.isfinite(size) & (size > 0)
    typical = size[ok].groupby(symbols[ok].astype(str)).median()
    digits = np.clip(PRICE_DIGITS - 1 - np.floor(np.log10(typical.to_numpy())), 2, 8).astype(int)
    return dict(zip(typical.index, digits.tolist()))


def _decimals(kind: str, values: pd.Series, asset: str) -> int:
    """One precision per column: amounts by their settlement asset, prices and sizes by the column's smallest value.

    (A price column beside a ``symbol`` column is shown per instrument instead: :func:`price_decimals`.)
    """
    if kind == "amount":
        return 2 if asset.upper() in STABLE or asset == "" else 6
    if kind == "quote":  # an amount in the quote currency (USD), whatever the settlement asset
        return 2
    if kind in ("pct", "ratio"):
        return 2
    if kind == "leverage":
        return 1
    if kind in ("price", "size"):
        finite = pd.to_numeric(values, errors="coerce").abs()
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.empty:
            return 2
        digits = 5 if kind == "price" else 3  # significant digits kept on the smallest value
        return int(np.clip(digits - 1 - np.floor(np.log10(finite.min())), 2 if kind == "price" else 0, 8))
    return 0


def columns_of(frame: pd.DataFrame, asset: str = "", names: list | None = None) -> list[Column]:
    """The :class:`Column` of each of ``names`` (default all of ``frame``'s), for a table in ``asset``."""
    out = []
    for name in (list(frame.columns) if names is None else names):
        if isinstance(name, numbers.Number) and not isinstance(name, bool):  # a shock [%] across a stress table
            label, kind = f"{name:+g} %", "amount" if pd.api.types.is_float_dtype(frame[name]) else "count"
        else:
            label, kind = SPECS.get(name, (str(name), _kind_of(frame[name])))
        label = label.replace("{asset}", asset or "settlement asset")
        out.append(Column(name, label, kind, _decimals(kind, frame[name], asset)))
    prices = [c for c in out if c.kind == "price"]
    if prices and "symbol" in frame.columns:  # one instrument's prices to its own decimals, in every price column
        reference = frame["mark_price"] if "mark_price" in frame.columns else frame[prices[0].name]
        by_symbol = price_decimals(frame["symbol"], reference)
        for column in prices:
            column.by_symbol = by_symbol
            column.decimals = max(by_symbol.values(), default=column.decimals)
    return out


def _kind_of(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        return "amount"
    return "text"


def format_value(value, column: Column, symbol=None) -> str:
    """One cell's text in HTML/PDF, in its column's precision (a price: its instrument's, ``symbol``).

    NaN (no answer) is ``NONE``, never 0; an infinite margin ratio is '∞'.

    >>> format_value(float("nan"), Column("x", "", "price", 2)), format_value(0.0633, Column("r", "", "ratio"))
    ('—', '6.33 %')
    >>> format_value(-0.0, Column("a", "", "amount")), format_value(12.5, Column("l", "", "leverage", 1))
    ('0.00', '12.5x')
    """
    kind = column.kind
    if kind == "text":
        return "" if pd.isna(value) else str(value)
    if kind == "flag":
        return "yes" if value else "no"
    if pd.isna(value):
        return NONE
    if np.isinf(value):
        return "∞" if value > 0 else "-∞"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "ratio":
        return f"{value * 100 + 0.0:,.2f} %"
    if kind == "pct":
        return f"{round(value, 2) + 0.0:,.2f} %"
    if kind == "leverage":
        return f"{value:,.{column.decimals}f}x"
    decimals = column.decimals_of(symbol)
    return f"{round(float(value), decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0.00"


def excel_format(column: Column, decimals: int | None = None) -> str:
    """The XLSX number format of a column (of its values shown to ``decimals``): the same precision and words as HTML/PDF."""
    decimals = column.decimals if decimals is None else decimals
    zeros = "." + "0" * decimals if decimals else ""
    return {"count": "#,##0", "ratio": "0.00 %", "pct": '0.00" %"', "leverage": f"0{zeros}\"x\""}.get(
        column.kind, f"#,##0{zeros}")


# --- columns: one label, unit, kind and precision each


# label, kind; "{asset}" in a label is the table's settlement asset
SPECS = {
    "account": ("Account", "text"),
    "settlement_asset": ("Settles in", "text"),
    "positions": ("Positions", "count"),
    "wallet_balance": ("Wallet balance [{asset}]", "amount"),
    "funding": ("Funding [{asset}]", "amount"),
    "collateral_value": ("Collateral, after haircut [{asset}]", "amount"),
    "equity": ("Equity kept [{asset}]", "amount"),
    "deficit": ("Deficit [{asset}]", "amount"),
    "cross_equity": ("Cross equity [{asset}]", "amount"),
    "cross_maint_margin": ("Cross MM [{asset}]", "amount"),
    "maint_margin": ("Maint. margin [{asset}]", "amount"),
    "margin_ratio": ("Margin ratio [%]", "ratio"),
    "margin_call": ("Margin call", "flag"),
    "liquidated": ("Liquidated", "flag"),
    "isolated_liquidated": ("Isolated lost", "count"),
    "max_loss_isolated": ("Max loss, isolated [{asset}]", "amount"),
    "max_loss_cross": ("Max loss, cross [{asset}]", "amount"),
    "leverage_assumed": ("Leverage assumed", "count"),
    "symbol": ("Symbol", "text"),
    "asset": ("Underlying", "text"),
    "side": ("Side", "text"),
    "margin_mode": ("Mode", "text"),
    "size_base": ("Size [base asset]", "size"),
    "size_quote": ("Size [quote, at mark]", "quote"),
    "mark_price": ("Mark price [quote]", "price"),
    "entry_price": ("Entry price [quote]", "price"),
    "notional": ("Notional [{asset}]", "amount"),
    "leverage": ("Leverage [x]", "leverage"),
    "leverage_basis": ("Leverage from", "text"),
    "initial_margin": ("Initial margin [{asset}]", "amount"),
    "unrealized_pnl": ("uPnL [{asset}]", "amount"),
    "liq_price": ("Liq. price [quote]", "price"),
    "bankruptcy_price": ("Bankruptcy price [quote]", "price"),
    "move_to_liq_pct": ("Price move to liq. [%]", "pct"),
    "distance_to_liq_pct": ("Distance to liq. [%]", "pct"),
    "mark_time": ("Mark price time", "text"),
    "mark_source": ("Mark price source", "text"),
    "rules": ("Rules", "text"),
    "direction": ("Prices", "text"),
    "lost_at_move_pct": ("Lost at a joint move of [%]", "pct"),
    "order": ("Order", "count"),
    "scope": ("Prices moved", "text"),
    "mode": ("If margin modes were", "text"),
    "accounts": ("Accounts", "count"),
    "total_equity": ("Equity kept [{asset}]", "amount"),
    "total_deficit": ("Deficits, apart [{asset}]", "amount"),
    "accounts_margin_call": ("Accounts in margin call", "count"),
    "accounts_liquidated": ("Accounts liquidated", "count"),
    "positions_past_liquidation": ("Positions past liquidation", "count"),
    "positions_within_5": ("Positions within 5 % of liquidation", "count"),
    "positions_within_10": ("Positions within 10 % of liquidation", "count"),
    "value_now": ("Value now [{asset}]", "amount"),
    "worst_loss": ("Worst loss [{asset}]", "amount"),
    "worst_scenario": ("Worst scenario", "text"),
    "worst_deficit": ("Deficits there [{asset}]", "amount"),
    "fall_pct": ("Liquidated at a joint fall of [%]", "pct"),
    "rise_pct": ("Liquidated at a joint rise of [%]", "pct"),
    "long_base": ("Long [base asset]", "size"),
    "short_base": ("Short [base asset]", "size"),
    "net_base": ("Net [base asset]", "size"),
    "long_notional": ("Long notional [{asset}]", "amount"),
    "short_notional": ("Short notional [{asset}]", "amount"),
    "net_notional": ("Net notional [{asset}]", "amount"),
    "largest_position": ("Largest position", "text"),
    "largest_account_share_pct": ("Largest account's share of gross [%]", "pct"),
    "shock_pct": ("All prices moved [%]", "pct"),
    "band": ("Distance band [%]", "text"),
    # the reconciliation with an exchange's own liquidation prices (xlmargin.live.reconcile)
    "xlmargin_liq_price": ("xlmargin liq. price [quote]", "price"),
    "exchange_liq_price": ("Exchange's liq. price [quote]", "price"),
    "difference": ("Difference [quote]", "price"),
    "difference_ticks": ("Difference [ticks]", "quote"),
    "difference_pct": ("Difference [%]", "size"),
    "wallet_gap": ("Wallet gap [settlement asset]", "size"),
    "status": ("Status", "text"),
    # headroom (xlmargin.review.headroom): margin that can come out, break-even
    "removable_margin": ("Margin that can come out [{asset}]", "amount"),
    "break_even_price": ("Break-even after fees and funding [quote]", "price"),
    "withdrawable_balance": ("Withdrawable [{asset}]", "amount"),
    "funding_liq_interval": ("Funding intervals to liq.", "count"),
    "funding_liq_time": ("Liq. by funding at", "text"),
    "rates_assumed": ("Rates assumed", "text"),
    # the book's optional fee and funding rates
    "open_fee_rate": ("Open fee rate [%]", "ratio"),
    "close_fee_rate": ("Close fee rate [%]", "ratio"),
    "funding_rate": ("Funding rate [% per interval]", "ratio"),
    "funding_interval_hours": ("Funding interval [h]", "count"),
}
