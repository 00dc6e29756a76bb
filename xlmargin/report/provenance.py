"""Provenance: where the book, its rules, tier tables and marks come from, and what the review assumed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import __version__

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

DEFAULT_RULES = ("Binance's formulas (xlmargin default): maintenance margin at the mark price, tier of the notional at "
                 "the liquidation price, no fee in maintenance margin; positions with no tier set use mmr 0.005")
RULES = DEFAULT_RULES  # the wording when every position uses the default rules


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
        second), ``xlmargin_version``, ``rules`` (the formulas used, in words,
        with how many positions use each rule set), ``tiers`` (each tier table
        used: name, exchange and date of its figures), ``marks`` (mark-price
        source and time, per group of positions where they differ) and
        ``assumptions`` (what the review assumed where the book is silent).
    """
    positions = result.positions
    return {
        "input": result.book.source,
        "sha256": result.book.sha256,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "xlmargin_version": __version__,
        "rules": _rules_text(positions),
        "tiers": _tiers_text(result),
        "marks": _marks_text(positions),
        "assumptions": _assumptions_text(positions),
    }


def _rules_text(positions: pd.DataFrame) -> str:
    if "rules" not in positions.columns or positions.empty or set(positions["rules"]) <= {"binance"}:
        return DEFAULT_RULES
    counts = positions["rules"].value_counts()
    parts = [f"{name} for {n:,} position{'s' * (n != 1)}" for name, n in counts.items()]
    return "Exchange rule sets from the book's rules column (docs/exchanges.md): " + "; ".join(parts) + \
        " — binance: " + DEFAULT_RULES.split(": ", 1)[1]


def _tiers_text(result: RiskResult) -> str:
    used = sorted(set(result.positions["tier_set"].unique()) - {""}) if "tier_set" in result.positions.columns else []
    parts = []
    for name in used:
        table = result.book.tiers.get(name)
        meta = dict(table.meta) if table is not None else {}
        date = meta.get("figures_date", "date not recorded")
        exchange = meta.get("exchange", "")
        parts.append(f"{name} ({', '.join(x for x in (exchange, 'figures of ' + date) if x)})")
    untiered = int((result.positions["tier_set"] == "").sum()) if "tier_set" in result.positions.columns else 0
    if untiered:
        parts.append(f"{untiered:,} position{'s' * (untiered != 1)} with no tier set: flat mmr 0.005")
    return "; ".join(parts) or "none"


def _marks_text(positions: pd.DataFrame) -> str:
    if not {"mark_time", "mark_source"} & set(positions.columns):
        return "the book's mark_price column (no mark_time or mark_source given)"
    keys = [c for c in ("mark_source", "mark_time") if c in positions.columns]
    groups = positions.groupby(keys, sort=True).size()
    parts = []
    for key, n in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        parts.append(f"{' at '.join(str(k) or 'not given' for k in key)} ({n:,} position{'s' * (n != 1)})")
    shown = parts[:12] + ([f"and {len(parts) - 12} more (see the Positions columns)"] if len(parts) > 12 else [])
    return "; ".join(shown)


def _assumptions_text(positions: pd.DataFrame) -> str:
    basis = positions["leverage_basis"].astype(str)
    is_assumed = basis.str.startswith("assumed").to_numpy(dtype=bool)
    n = int(is_assumed.sum())
    if not n:
        return "none: every leverage comes from the book or an isolated margin"
    first = positions[["account", "symbol"]].iloc[np.flatnonzero(is_assumed)[:10]]  # named: the first ten only
    listed = ", ".join(f"{a} {s}" for a, s in zip(first["account"], first["symbol"]))
    more = f" and {n - 10:,} more" if n > 10 else ""
    return (f"{n:,} cross position{'s' * (n != 1)} without a leverage in the book: initial margin and "
            f"'max loss, isolated' use the highest leverage its tier allows (100x with no tier set); see the "
            f"'Leverage from' column ({listed}{more})")


def provenance_rows(prov: dict) -> list[tuple[str, str]]:
    """Provenance as (label, text) pairs for display, in the order every format shows them."""
    return [
        ("Input", prov["input"]),
        ("SHA-256 of the input", prov["sha256"] or "none (not read from a file)"),
        ("Generated at (UTC)", prov["generated_at"]),
        ("xlmargin version", prov["xlmargin_version"]),
        ("Rules", prov["rules"]),
        ("Tier tables", prov.get("tiers", "")),
        ("Mark prices", prov.get("marks", "")),
        ("Assumptions", prov.get("assumptions", "")),
    ]
