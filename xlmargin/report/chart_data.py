"""What the report's charts show: the value curve and the distance bands, as tables (no plotting library)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

HISTOGRAM_EDGES = np.arange(0.0, 110.0, 10.0)  # distance-to-liquidation bands [%]; the last one is "100 % and more"


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
        ``distance band [%]`` (text: 'past it' for a distance of 0 or less, '0–10', ..., '≥ 100') and ``positions``.
    no_price : int
        How many positions have no liquidation price (in no band).
    """
    distance = result.positions["distance_to_liq_pct"].dropna()
    counts, _ = np.histogram(np.clip(distance, -1.0, HISTOGRAM_EDGES[-1]), bins=[-np.inf, 0.0, *HISTOGRAM_EDGES[1:], np.inf])
    bands = ["past it"] + [f"{lo:g}–{hi:g}" for lo, hi in zip(HISTOGRAM_EDGES[:-1], HISTOGRAM_EDGES[1:])][:len(counts) - 2] \
        + [f"≥ {HISTOGRAM_EDGES[-1]:g}"]
    return pd.DataFrame({"distance band [%]": bands, "positions": counts}), int(result.positions["distance_to_liq_pct"].isna().sum())
