"""What the report says, whatever its format: provenance, the tables, the figures' data, values as text.

Every table is a DataFrame computed from a :class:`~xlmargin.review.evaluate.RiskResult`;
the HTML/PDF and XLSX writers only lay them out. Amounts are in each account's
settlement asset and are never added across settlement assets. A NaN figure
means "no answer" (e.g. no liquidation price), never 0.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import __version__

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

TITLE = "Risk review"
RULES = (
    "Binance's formulas (xlmargin default): maintenance margin at the mark price, tier of the notional at the "
    "liquidation price, no fee in maintenance margin; positions with no tier set use mmr 0.005"
)
NONE = "—"  # how HTML/PDF show "no answer" (NaN)
NEAR_LIQUIDATION_PCT = 10.0  # a position this close to its liquidation price [%] counts as near it
CASCADE_ACCOUNTS = 50  # accounts shown in the HTML/PDF cascade
HISTOGRAM_EDGES = np.arange(0.0, 110.0, 10.0)  # distance-to-liquidation bands [%]; the last one is "100 % and more"
SIGNIFICANT = 6  # significant digits of amounts and prices in HTML/PDF
MODES = {"loss_actual": "actual modes", "loss_all_isolated": "all isolated", "loss_all_cross": "all cross"}
VALUES = {"value_actual": "actual modes", "value_all_isolated": "all isolated", "value_all_cross": "all cross"}

LABELS = {
    "account": "Account",
    "settlement_asset": "Settles in",
    "positions": "Positions",
    "wallet_balance": "Wallet balance",
    "equity": "Equity",
    "maint_margin": "Maint. margin",
    "margin_ratio": "Margin ratio",
    "margin_call": "Margin call",
    "liquidated": "Liquidated",
    "max_loss_isolated": "Max loss, isolated",
    "max_loss_cross": "Max loss, cross",
    "symbol": "Symbol",
    "side": "Side",
    "margin_mode": "Mode",
    "size": "Size",
    "mark_price": "Mark price",
    "notional": "Notional",
    "initial_margin": "Initial margin",
    "unrealized_pnl": "uPnL",
    "liq_price": "Liq. price",
    "bankruptcy_price": "Bankruptcy price",
    "distance_to_liq_pct": "Distance to liq.",
    "lost_at_fall_pct": "Lost at a price move of",
    "order": "Order",
    "scope": "Prices moved",
    "mode": "If margin modes were",
    "accounts": "Accounts",
    "total_equity": "Total equity",
    "accounts_margin_call": "Accounts in margin call",
    "accounts_liquidated": "Accounts liquidated now",
    "positions_near_liquidation": f"Positions within {NEAR_LIQUIDATION_PCT:g} % of liquidation",
}
ACCOUNT_COLUMNS = ["account", "settlement_asset", "positions", "wallet_balance", "equity", "maint_margin", "margin_ratio",
                   "margin_call", "liquidated", "max_loss_isolated", "max_loss_cross"]
POSITION_COLUMNS = ["account", "symbol", "settlement_asset", "side", "margin_mode", "size", "mark_price", "notional",
                    "initial_margin", "maint_margin", "unrealized_pnl", "liq_price", "bankruptcy_price",
                    "distance_to_liq_pct", "liquidated"]
CASCADE_COLUMNS = ["account", "order", "symbol", "side", "margin_mode", "lost_at_fall_pct"]


# --- provenance


def provenance(result: RiskResult) -> dict:
    """Where the report's figures come from.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    dict
        ``input`` (the input's name), ``sha256`` (of the input file, '' if it
        was not read from a file), ``generated_at`` (now, UTC, ISO 8601 to the
        second), ``xlmargin_version`` and ``rules`` (the formulas used, in words).
    """
    return {
        "input": result.book.source,
        "sha256": result.book.sha256,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "xlmargin_version": __version__,
        "rules": RULES,
    }


def provenance_rows(prov: dict) -> list[tuple[str, str]]:
    """Provenance as (label, text) pairs for display.

    Parameters
    ----------
    prov : dict
        What :func:`provenance` returns.

    Returns
    -------
    list of (str, str)
        One pair per fact, in the order every format shows them.
    """
    return [
        ("Input", prov["input"]),
        ("SHA-256 of the input", prov["sha256"] or "none (not read from a file)"),
        ("Generated at (UTC)", prov["generated_at"]),
        ("xlmargin version", prov["xlmargin_version"]),
        ("Rules", prov["rules"]),
    ]


# --- the tables, shared by every format


def _settlement(result: RiskResult) -> pd.Series:
    """Settlement asset of each position (a Series aligned with ``result.positions``)."""
    return result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])


def summary_table(result: RiskResult) -> pd.DataFrame:
    """One row per settlement asset: counts, total equity, accounts at risk, positions near liquidation.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    DataFrame
        Columns ``settlement_asset``, ``accounts``, ``positions``, ``total_equity``
        [that settlement asset], ``accounts_margin_call``, ``accounts_liquidated``
        and ``positions_near_liquidation`` (within ``NEAR_LIQUIDATION_PCT`` % of
        their liquidation price).
    """
    accounts = result.accounts.groupby("settlement_asset").agg(
        accounts=("account", "size"),
        positions=("positions", "sum"),
        total_equity=("equity", "sum"),
        accounts_margin_call=("margin_call", "sum"),
        accounts_liquidated=("liquidated", "sum"),
    )
    near = result.positions["distance_to_liq_pct"] <= NEAR_LIQUIDATION_PCT
    accounts["positions_near_liquidation"] = near.groupby(_settlement(result)).sum()
    return accounts.fillna({"positions_near_liquidation": 0}).astype({"positions_near_liquidation": int}).reset_index()


def accounts_table(result: RiskResult) -> pd.DataFrame:
    """All accounts, the highest margin ratio first.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    DataFrame
        ``result.accounts`` in that order (stable; accounts without cross positions last).
    """
    return result.accounts.sort_values("margin_ratio", ascending=False, na_position="last", kind="stable")


def positions_table(result: RiskResult) -> pd.DataFrame:
    """All positions with their settlement asset, the closest to liquidation first.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    DataFrame
        ``result.positions`` with a ``settlement_asset`` column second, sorted by
        ``distance_to_liq_pct`` [%] (stable; positions with no liquidation price last).
    """
    positions = result.positions.copy()
    positions.insert(1, "settlement_asset", _settlement(result))
    return positions.sort_values("distance_to_liq_pct", na_position="last", kind="stable")


def cascade_table(result: RiskResult) -> pd.DataFrame:
    """The cascade, account by account, the account losing its first position at the smallest fall first.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    DataFrame
        The ``CASCADE_COLUMNS`` of ``result.cascade``; within an account, the
        positions in the order they are lost (``lost_at_fall_pct`` [%] is negative).
    """
    cascade = result.cascade
    first_loss = cascade.groupby("account")["lost_at_fall_pct"].transform("max")  # falls are negative [%]
    order = cascade.assign(first_loss=first_loss).sort_values(["first_loss", "account", "order"], ascending=[False, True, True])
    return order[CASCADE_COLUMNS]


def stress_tables(result: RiskResult) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """The stress results as tables: shock [%] across, scope or margin mode down.

    Scopes are 'all' (every price moved together) and each asset the accounts of
    that settlement asset trade.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Yields
    ------
    (str, str, DataFrame)
        Settlement asset, title and table, four tables per settlement asset (in
        alphabetical order): the loss under the actual margin modes, the positions
        liquidated, the accounts liquidated, and the loss by margin mode when all
        prices move together. Losses [settlement asset] are positive, gains negative.
    """
    traded = result.positions.groupby(_settlement(result))["asset"].unique()
    for asset, rows in result.stress.groupby("settlement_asset", sort=True):
        scopes = ["all", *sorted(traded.get(asset, []))]

        def pivot(value: str) -> pd.DataFrame:
            return rows.pivot(index="scope", columns="shock_pct", values=value).reindex(scopes).reset_index()

        yield asset, f"Loss under the actual margin modes [{asset}] (negative: a gain)", pivot("loss_actual")
        yield asset, "Positions liquidated", pivot("positions_liquidated")
        yield asset, "Accounts liquidated", pivot("accounts_liquidated")
        modes = rows[rows["scope"] == "all"].set_index("shock_pct")[list(MODES)].T.rename(index=MODES)
        yield asset, f"Loss by margin mode, all prices moved together [{asset}]", modes.rename_axis("mode").reset_index()


# --- the figures' data


def value_curve(result: RiskResult, asset: str) -> pd.DataFrame:
    """The book value of one settlement asset against a joint price move, with its liquidation steps.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    asset : str
        A settlement asset of the book.

    Returns
    -------
    DataFrame
        ``result.curve``'s rows of ``asset`` by ``shock_pct`` [%], plus
        ``liquidation_step``: the actual value [asset] where more accounts are
        liquidated than one step closer to no move, else NaN.
    """
    curve = result.curve[result.curve["settlement_asset"] == asset].sort_values("shock_pct").reset_index(drop=True)
    shock, count = curve["shock_pct"], curve["accounts_liquidated"]
    towards_zero = count.shift(-1).where(shock < 0, count.shift(1))
    step = (count > towards_zero) & (shock != 0)
    return curve.drop(columns="settlement_asset").assign(liquidation_step=curve["value_actual"].where(step))


def distance_histogram(result: RiskResult) -> tuple[pd.DataFrame, int]:
    """Positions per distance-to-liquidation band [%], clipped at 100 %.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    bands : DataFrame
        ``distance band [%]`` (text such as '0–10', the last '≥ 100') and ``positions``.
    no_price : int
        How many positions have no liquidation price (in no band).
    """
    distance = result.positions["distance_to_liq_pct"].dropna()
    counts, _ = np.histogram(np.clip(distance, 0.0, HISTOGRAM_EDGES[-1]), bins=[*HISTOGRAM_EDGES, np.inf])
    bands = [f"{lo:g}–{hi:g}" for lo, hi in zip(HISTOGRAM_EDGES[:-1], HISTOGRAM_EDGES[1:])] + [f"≥ {HISTOGRAM_EDGES[-1]:g}"]
    return pd.DataFrame({"distance band [%]": bands, "positions": counts}), int(result.positions["distance_to_liq_pct"].isna().sum())


# --- cell kinds: how a column is shown (HTML) and number-formatted (XLSX)


def cell_kind(column, values: pd.Series) -> str:
    """The kind of a column's cells, which decides how they are shown.

    Parameters
    ----------
    column : str or int
        The column's name (an integer is a shock [%]).
    values : Series
        Its values.

    Returns
    -------
    str
        'text', 'flag', 'count', 'ratio' (a fraction shown in %), 'pct' (already in %) or 'amount'.
    """
    if column == "margin_ratio":
        return "ratio"
    if str(column).endswith("_pct"):
        return "pct"
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        return "amount"
    return "text"


def column_label(column) -> str:
    """Column header for display; a shock column (an integer) is shown as a signed percentage.

    >>> column_label("liq_price"), column_label(-10), column_label("other")
    ('Liq. price', '-10 %', 'other')
    """
    if isinstance(column, numbers.Integral):
        return f"{column:+d} %"
    return LABELS.get(column, str(column))


def format_amount(value: float) -> str:
    """An amount or price with about ``SIGNIFICANT`` significant digits, 2 to 8 decimals, thousands separated.

    Parameters
    ----------
    value : float
        The amount [its asset] or price [quote asset].

    Returns
    -------
    str
        The text; never "-0.00".

    Examples
    --------
    >>> [format_amount(v) for v in (267000.0, 8.784624, 0.13998, 0.1, -0.0)]
    ['267,000.00', '8.78462', '0.13998', '0.10', '0.00']
    """
    digits = len(f"{abs(value):.0f}") if abs(value) >= 1 else 0
    decimals = min(max(SIGNIFICANT - digits, 2), 8)
    text = f"{round(value, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0.00"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction[:2]}{fraction[2:].rstrip('0')}"


def format_cell(value, kind: str) -> str:
    """One cell's text in HTML/PDF.

    Parameters
    ----------
    value : object
        The cell's value.
    kind : str
        Its column's :func:`cell_kind`.

    Returns
    -------
    str
        The text: NaN (no answer) is ``NONE``, never 0; an infinite margin ratio is '∞'.

    Examples
    --------
    >>> format_cell(float("nan"), "amount"), format_cell(0.0633, "ratio"), format_cell(True, "flag")
    ('—', '6.33 %', 'yes')
    """
    if kind == "text":
        return "" if pd.isna(value) else str(value)
    if kind == "flag":
        return "yes" if value else "no"
    if pd.isna(value):
        return NONE
    if np.isinf(value):  # a margin ratio where the equity is gone
        return "∞" if value > 0 else "-∞"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "ratio":
        return f"{value * 100:,.2f} %"
    if kind == "pct":
        return f"{value:,.2f} %"
    return format_amount(float(value))
