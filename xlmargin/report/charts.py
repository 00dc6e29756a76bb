"""The HTML/PDF report's two figures, drawn with matplotlib and inlined as SVG.

The XLSX report draws the same data as native Excel charts (:mod:`.xlsx`).
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator

from .chart_data import distance_histogram, value_curve
from .content import VALUES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..review.evaluate import RiskResult

PANELS_PER_ROW = 3  # value-curve panels side by side, one per settlement asset


def chart_svgs(result: RiskResult) -> list[str]:
    """The value-curve and the distance-histogram figures as ``<svg>`` elements.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    list of str
        Two ``<svg>`` elements (no XML prolog), their text kept as text (small,
        searchable); matplotlib escapes the text in them.
    """
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        return [_svg(curve_figure(result)), _svg(histogram_figure(result))]


def _svg(fig: Figure) -> str:
    """``fig`` as an <svg> element (no XML prolog) to inline in HTML."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def curve_figure(result: RiskResult) -> Figure:
    """Book value against a joint price move, one panel per settlement asset.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    Figure
        Per settlement asset, the value [that asset] under the actual margin
        modes, all isolated and all cross against the move [%], with the moves
        where more accounts are liquidated marked.
    """
    assets = result.book.settlement_assets
    ncols = min(len(assets), PANELS_PER_ROW)
    nrows = math.ceil(len(assets) / ncols)
    fig = Figure(figsize=(max(3.6 * ncols + 1.0, 6.0), 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, asset in zip(axes, assets):
        _curve_panel(ax, result, asset)
    for ax in axes[len(assets):]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    return fig


def _curve_panel(ax: Axes, result: RiskResult, asset: str) -> None:
    """One settlement asset's value curves and liquidation steps on ``ax``."""
    curve = value_curve(result, asset)
    for (column, label), style in zip(VALUES.items(), ("-", "--", ":")):
        ax.plot(curve["shock_pct"], curve[column], style, label=label, linewidth=1.6)
    steps = curve.dropna(subset=["liquidation_step"])
    ax.plot(steps["shock_pct"], steps["liquidation_step"], "o", color="#c0392b", markersize=3.5,
            label="more accounts liquidated")
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set(title=f"Book value [{asset}]", xlabel="all prices moved together [%]", ylabel=f"value [{asset}]")
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(alpha=0.3)


def histogram_figure(result: RiskResult) -> Figure:
    """Positions per distance-to-liquidation band [%].

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    Figure
        A bar chart of :func:`~.chart_data.distance_histogram`; its title says how
        many positions have no liquidation price (and so are not shown).
    """
    bands, no_price = distance_histogram(result)
    fig = Figure(figsize=(8.0, 2.8), layout="constrained")
    ax = fig.subplots()
    ax.bar(bands["distance band [%]"], bands["positions"], color="#2e86c1")
    untold = f" ({no_price:,} positions with no liquidation price, not shown)" if no_price else ""
    ax.set(title=f"Distance to the liquidation price{untold}", xlabel="distance to liquidation [%] (clipped at 100 %)",
           ylabel="positions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    return fig
