"""What the report says, whatever its format: the committee summary, the tables in order, the charts' data.

Every table is a DataFrame computed from a :class:`~xlmargin.review.evaluate.RiskResult`
with a :class:`Column` per column (label with its unit, kind, decimals); the
HTML/PDF and XLSX writers only lay out :func:`report_parts`, in the same order
and words. Amounts are in each account's settlement asset and are never added
across settlement assets (accounts and positions are listed per settlement
asset). A NaN figure means "no answer" (e.g. no liquidation price), never 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..review.evaluate import copy_sharing
from .columns import Column, columns_of

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

TITLE = "Risk review"
NEAR_LIQUIDATION_PCT = (5.0, 10.0)  # how close to liquidation [%] the summary lists positions and accounts
CASCADE_ACCOUNTS = 50  # accounts shown per direction in the HTML/PDF cascade
SUMMARY_ROWS = 25  # rows of a summary list in HTML/PDF (the XLSX summary shows up to SUMMARY_ROWS_XLSX)
SUMMARY_ROWS_XLSX = 1_000
MODES = {"loss_actual": "actual modes", "loss_all_isolated": "all isolated", "loss_all_cross": "all cross"}
VALUES = {"value_actual": "actual modes", "value_all_isolated": "all isolated", "value_all_cross": "all cross"}
NOTE = ("Amounts are in each account's settlement asset and never added across settlement assets; \"—\" (empty in "
        "XLSX) means there is no answer (e.g. no liquidation price), never 0; a margin ratio of \"∞\" (#NUM! in XLSX) "
        "means the equity is gone. Distance to liquidation is the room left before the price reaches the liquidation "
        "price [%]: negative once past it. Price move to liquidation is signed: negative a fall, positive a rise.")




@dataclass
class Table:
    """A table of the report: the same in every format (HTML/PDF cut it to ``limit`` rows, XLSX to ``xlsx_limit``).

    ``order``: the positions of ``frame``'s rows in the order shown (and which
    are shown), where the table is a sorted view of a result's frame; the
    writers take the rows they write (``head``, ``rows``), so a million-row
    table is never copied whole to be sorted.
    """

    title: str
    frame: pd.DataFrame
    columns: list[Column]
    note: str = ""
    level: int = 3  # heading level
    sheet: str = "Summary"  # the XLSX sheet
    own_sheet: bool = False  # XLSX: the table alone on its sheet(s), every row, frozen header
    limit: int | None = None  # HTML/PDF rows
    xlsx_limit: int | None = None
    what: str = "rows"
    order: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        """How many rows the table has (all of them, whatever a format shows)."""
        return len(self.frame) if self.order is None else len(self.order)

    def positions(self, start: int = 0, stop: int | None = None) -> np.ndarray | None:
        """Where rows ``start`` to ``stop`` of the table lie in ``frame`` (None: ``frame``'s own rows, all in order)."""
        if self.order is None:
            return None if start == 0 and (stop is None or stop >= len(self.frame)) else np.arange(len(self.frame))[start:stop]
        return self.order[start:stop]

    def rows(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows ``start`` to ``stop`` of the table, in order, as a DataFrame of their own."""
        positions = self.positions(start, stop)
        return self.frame if positions is None else self.frame.iloc[positions]

    def head(self, n: int | None) -> pd.DataFrame:
        """The first ``n`` rows (all if None)."""
        return self.rows(0, n)


@dataclass
class Heading:
    """A heading between tables (a settlement asset, a part of the report)."""

    title: str
    level: int = 2
    sheet: str = "Summary"
    note: str = ""





# --- the tables, shared by every format


def _settlement(result: RiskResult) -> pd.Series:
    """Settlement asset of each position (a Series aligned with ``result.positions``)."""
    return result.position_settlement


def summary_table(result: RiskResult) -> pd.DataFrame:
    """One row per settlement asset: counts, equity kept, deficits apart, accounts at risk, positions near liquidation.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.

    Returns
    -------
    DataFrame
        ``settlement_asset``, ``accounts``, ``positions``, ``total_equity`` (what
        the accounts keep) and ``total_deficit`` (liquidated cross equity below
        zero, never taken from other accounts) [that settlement asset],
        ``accounts_margin_call``, ``accounts_liquidated``,
        ``positions_past_liquidation`` and ``positions_within_5`` / ``_10``
        (room to liquidation within 5 % / 10 %, not past it).
    """
    out = result.accounts.groupby("settlement_asset").agg(
        accounts=("account", "size"),
        positions=("positions", "sum"),
        total_equity=("equity", "sum"),
        total_deficit=("deficit", "sum"),
        accounts_margin_call=("margin_call", "sum"),
        accounts_liquidated=("liquidated", "sum"),
    )
    distance = result.positions["distance_to_liq_pct"]
    by = _settlement(result)
    out["positions_past_liquidation"] = (distance <= 0).groupby(by).sum()
    for pct in NEAR_LIQUIDATION_PCT:
        out[f"positions_within_{pct:g}"] = ((distance > 0) & (distance <= pct)).groupby(by).sum()
    counts = [c for c in out.columns if c.startswith("positions_") or c.startswith("accounts_")]
    return out.fillna(0).astype({c: int for c in counts}).reset_index()


def worst_losses(result: RiskResult, asset: str) -> pd.DataFrame:
    """The worst loss under the stress scenarios, under the actual margin modes and as if all were isolated or cross.

    Returns
    -------
    DataFrame
        One row per ``mode``: ``value_now`` (what the accounts keep now, the
        value curve at 0), ``worst_loss``, ``worst_scenario`` (which prices
        moved, by how much) and ``worst_deficit`` (under the actual modes) [asset].
    """
    stress = result.stress[result.stress["settlement_asset"] == asset]
    curve = result.curve[(result.curve["settlement_asset"] == asset) & (result.curve["shock_pct"] == 0)]
    records = []
    for column, mode in MODES.items():
        worst = stress.loc[stress[column].idxmax()] if len(stress) else None
        value = VALUES[column.replace("loss_", "value_")]
        records.append({
            "mode": mode,
            "value_now": float(curve[column.replace("loss_", "value_")].sum()) if len(curve) else np.nan,
            "worst_loss": float(worst[column]) if worst is not None else np.nan,
            "worst_scenario": (f"{'all prices' if worst['scope'] == 'all' else worst['scope']} {worst['shock_pct']:+g} %"
                               if worst is not None else ""),
            "accounts_liquidated": int(worst["accounts_liquidated"]) if worst is not None and mode == "actual modes" else np.nan,
            "worst_deficit": float(worst["deficit"]) if worst is not None and mode == "actual modes" else np.nan,
        })
        del value
    return pd.DataFrame.from_records(records)


def near_positions(result: RiskResult, asset: str, within: float = NEAR_LIQUIDATION_PCT[-1]) -> pd.DataFrame:
    """Positions of ``asset``'s accounts past or within ``within`` % of their liquidation price, the nearest first."""
    p = result.positions  # chosen first, then sorted as positions_table sorts (stable: the same order)
    p = p[((_settlement(result) == asset) & (p["distance_to_liq_pct"] <= within)).to_numpy()]
    p = p.sort_values("distance_to_liq_pct", na_position="last", kind="stable")
    return p[["account", "symbol", "side", "margin_mode", "mark_price", "liq_price", "move_to_liq_pct",
              "distance_to_liq_pct", "notional", "liquidated"]]


def near_accounts(result: RiskResult, asset: str, within: float = NEAR_LIQUIDATION_PCT[-1]) -> pd.DataFrame:
    """Cross accounts of ``asset`` that a joint move of at most ``within`` % liquidates (or that are liquidated)."""
    c = result.cascade[result.cascade["margin_mode"] == "cross"].drop_duplicates(["direction", "account"])
    moves = c.pivot(index="account", columns="direction", values="lost_at_move_pct")
    moves = moves.reindex(columns=["falling", "rising"]).rename(columns={"falling": "fall_pct", "rising": "rise_pct"})
    a = result.accounts.set_index("account").join(moves, how="inner")
    a = a[a["settlement_asset"] == asset]
    nearest = a[["fall_pct", "rise_pct"]].abs().min(axis=1)
    a = a.assign(_nearest=nearest)[nearest <= within].sort_values("_nearest", kind="stable")
    return a.reset_index()[["account", "fall_pct", "rise_pct", "margin_ratio", "equity", "cross_maint_margin", "liquidated"]]


def margin_call_accounts(result: RiskResult, asset: str) -> pd.DataFrame:
    """Accounts of ``asset`` in margin call (not yet liquidated), the highest margin ratio first."""
    a = result.accounts[(result.accounts["settlement_asset"] == asset) & result.accounts["margin_call"]]
    return a.sort_values("margin_ratio", ascending=False)[["account", "margin_ratio", "equity", "cross_maint_margin"]]


def exposures(result: RiskResult, asset: str) -> pd.DataFrame:
    """Per underlying of ``asset``'s accounts: long, short and net size and notional, the largest position, concentration.

    The largest account's share is its gross notional in that underlying over
    the underlying's gross notional [%].
    """
    p = result.positions[_settlement(result) == asset]
    if p.empty:
        return pd.DataFrame(columns=["asset", "long_base", "short_base", "net_base", "long_notional", "short_notional",
                                     "net_notional", "largest_position", "largest_account_share_pct"])
    long = p["side"] == "long"
    frame = p.assign(long_base=p["size_base"].where(long, 0.0), short_base=p["size_base"].where(~long, 0.0),
                     long_notional=p["notional"].where(long, 0.0), short_notional=p["notional"].where(~long, 0.0))
    out = frame.groupby("asset").agg(long_base=("long_base", "sum"), short_base=("short_base", "sum"),
                                     long_notional=("long_notional", "sum"), short_notional=("short_notional", "sum"))
    out["net_base"] = out["long_base"] - out["short_base"]
    out["net_notional"] = out["long_notional"] - out["short_notional"]
    top = p.loc[p.groupby("asset")["notional"].idxmax()].set_index("asset")
    out["largest_position"] = [f"{a} {s} {sd}" for a, s, sd in zip(top["account"], top["symbol"], top["side"])]
    gross = p.groupby(["asset", "account"])["notional"].sum()
    out["largest_account_share_pct"] = gross.groupby(level=0).max() / gross.groupby(level=0).sum() * 100
    out = out.sort_values("long_notional", key=lambda _: -(out["long_notional"] + out["short_notional"]))
    return out.reset_index()[["asset", "long_base", "short_base", "net_base", "long_notional", "short_notional",
                              "net_notional", "largest_position", "largest_account_share_pct"]]


def sort_order(frame: pd.DataFrame, by: str | list[str], ascending: bool = True) -> np.ndarray:
    """The positions of ``frame``'s rows sorted by ``by`` (stable, NaN last): ``frame.iloc[order]`` is ``sort_values``'."""
    keys = [by] if isinstance(by, str) else list(by)
    return (frame[keys].reset_index(drop=True)
            .sort_values(keys, ascending=ascending, na_position="last", kind="stable").index.to_numpy())


def _accounts_order(result: RiskResult) -> np.ndarray:
    """All accounts, the highest margin ratio first (stable; accounts without cross positions last)."""
    return sort_order(result.accounts, "margin_ratio", ascending=False)


def _positions_frame(result: RiskResult, columns: list[str] | None = None) -> pd.DataFrame:
    positions = copy_sharing(result.positions)  # the book's columns, shared, and the settlement asset
    positions.insert(1, "settlement_asset", _settlement(result))
    return positions if columns is None else positions[list(dict.fromkeys(columns))]


def positions_table(result: RiskResult, columns: list[str] | None = None) -> pd.DataFrame:
    """All positions with their settlement asset, the nearest to liquidation (least room, past it first) first.

    ``columns``: only these (default: all of ``result.positions``'s, the
    settlement asset second).
    """
    return _positions_frame(result, columns).iloc[sort_order(result.positions, "distance_to_liq_pct")]


def _of_asset(frame: pd.DataFrame, asset: str, order: np.ndarray, settles: pd.Series | None = None) -> np.ndarray:
    """The positions in ``order`` of the rows of ``frame`` settled in ``asset`` (by ``settles``, default its column)."""
    mine = ((frame["settlement_asset"] if settles is None else settles) == asset).to_numpy()
    return order if mine.all() else order[mine[order]]


def _rows_of(frame: pd.DataFrame, positions: np.ndarray, names: list[str]) -> pd.DataFrame:
    """``names`` of the rows of ``frame`` at ``positions`` (in ``frame``'s order; ``frame`` itself if they are all its rows)."""
    return frame if len(positions) == len(frame) else frame[names].iloc[np.sort(positions)]


def _cascade_frame(result: RiskResult) -> tuple[pd.DataFrame, np.ndarray]:
    """The cascade's rows with their settlement asset, and their order (:func:`cascade_table`)."""
    cascade = copy_sharing(result.cascade)
    cascade.insert(1, "settlement_asset", cascade["account"].map(result.accounts.set_index("account")["settlement_asset"]))
    first = cascade["lost_at_move_pct"].abs().groupby([cascade["direction"], cascade["account"]]).transform("min")
    order = sort_order(cascade[["direction", "account", "order"]].assign(_first=first), ["direction", "_first", "account", "order"])
    return cascade[CASCADE_COLUMNS], order


def cascade_table(result: RiskResult) -> pd.DataFrame:
    """The cascade, falling then rising prices; accounts in the order they lose their first position."""
    frame, order = _cascade_frame(result)
    return frame.iloc[order]


ACCOUNT_COLUMNS = ["account", "positions", "wallet_balance", "funding", "collateral_value", "equity", "deficit",
                   "cross_equity", "cross_maint_margin", "margin_ratio", "margin_call", "liquidated", "isolated_liquidated",
                   "max_loss_isolated", "max_loss_cross", "leverage_assumed"]
POSITION_COLUMNS = ["account", "symbol", "side", "margin_mode", "size_base", "size_quote", "entry_price", "mark_price",
                    "notional", "leverage", "leverage_basis", "initial_margin", "funding", "maint_margin", "unrealized_pnl",
                    "liq_price", "bankruptcy_price", "move_to_liq_pct", "distance_to_liq_pct", "liquidated"]
CASCADE_COLUMNS = ["direction", "settlement_asset", "account", "order", "symbol", "side", "margin_mode", "lost_at_move_pct"]


def stress_tables(result: RiskResult) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """The stress results as tables: shock [%] across, scope or margin mode down.

    Yields
    ------
    (str, str, DataFrame)
        Settlement asset, title and table, four tables per settlement asset:
        the loss under the actual margin modes, the positions liquidated, the
        accounts liquidated, and the loss by margin mode when all prices move
        together. Losses [settlement asset] are positive, gains negative.
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


def report_parts(result: RiskResult, max_rows: int | None = None) -> list[Table | Heading]:
    """Everything the report shows, in order, the same in HTML, PDF and XLSX: summary first, then the detail.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    max_rows : int, optional
        The most rows the HTML/PDF detail tables show (the riskiest first).

    Returns
    -------
    list of Table and Heading
        Per settlement asset: the worst stress loss and its scenario by margin
        mode, the positions and accounts nearest to liquidation, accounts in
        margin call, exposures per underlying; then accounts, positions, stress
        and cascade tables.
    """
    parts: list[Table | Heading] = []
    summary = summary_table(result)
    counts = [c for c in summary.columns if c not in ("total_equity", "total_deficit")]
    parts.append(Table("Summary by settlement asset", summary, columns_of(summary, "", counts), level=2,
                       note="Amounts follow per settlement asset, never added across them."))
    for asset in result.book.settlement_assets:
        parts.append(Heading(f"Settled in {asset}"))
        mine = summary[summary["settlement_asset"] == asset]
        parts.append(Table(f"At a glance [{asset}]", mine, columns_of(mine, asset, ["accounts", "positions", "total_equity",
                                                                                   "total_deficit", "accounts_margin_call",
                                                                                   "accounts_liquidated"]),
                           note="Equity kept: what the accounts keep after the liquidations at the marks (an isolated "
                                "position loses its margin only); a deficit (a cross equity below zero) is shown apart, "
                                "never taken from other accounts."))
        worst = worst_losses(result, asset)
        parts.append(Table(f"Worst loss under the stress scenarios, and if the book were all isolated or all cross [{asset}]",
                           worst, columns_of(worst, asset),
                           note="Losses are positive; a scenario moves the named prices (or all) by the shock."))
        near = near_positions(result, asset)
        parts.append(Table(f"Positions past or within {NEAR_LIQUIDATION_PCT[-1]:g} % of liquidation, nearest first",
                           near, columns_of(near, asset), limit=SUMMARY_ROWS, xlsx_limit=SUMMARY_ROWS_XLSX,
                           what="positions", note=_near_note(near["distance_to_liq_pct"]) if len(near) else "None."))
        acc = near_accounts(result, asset)
        parts.append(Table(f"Cross accounts a joint move of {NEAR_LIQUIDATION_PCT[-1]:g} % or less liquidates, nearest first",
                           acc, columns_of(acc, asset), limit=SUMMARY_ROWS, xlsx_limit=SUMMARY_ROWS_XLSX, what="accounts",
                           note=_near_note(acc[["fall_pct", "rise_pct"]].abs().min(axis=1)) if len(acc) else "None."))
        call = margin_call_accounts(result, asset)
        parts.append(Table("Accounts in margin call", call, columns_of(call, asset), limit=SUMMARY_ROWS,
                           xlsx_limit=SUMMARY_ROWS_XLSX, what="accounts", note="" if len(call) else "None."))
        exposure = exposures(result, asset)
        parts.append(Table(f"Exposure per underlying [{asset}], the largest first", exposure, columns_of(exposure, asset),
                           note="Concentration: the largest account's share of the underlying's gross notional."))
    accounts, accounts_order = result.accounts, _accounts_order(result)
    optional = [c for c in ("rules", "mark_time", "mark_source") if c in result.positions.columns]
    positions = _positions_frame(result, ["settlement_asset", *POSITION_COLUMNS, *optional])  # the columns shown only
    positions_order = sort_order(positions, "distance_to_liq_pct")
    for asset in result.book.settlement_assets:
        a = _of_asset(accounts, asset, accounts_order)
        parts.append(Table(f"Accounts settled in {asset}, highest margin ratio first", accounts,
                           columns_of(_rows_of(accounts, a, ACCOUNT_COLUMNS), asset, ACCOUNT_COLUMNS), level=2, sheet=f"Accounts {asset}",
                           own_sheet=True, limit=max_rows, what="accounts", order=a))
    for asset in result.book.settlement_assets:
        p = _of_asset(positions, asset, positions_order)
        mine = _rows_of(positions, p, positions.columns)  # the asset's rows, for their precision
        names = POSITION_COLUMNS + [c for c in optional if mine[c].nunique() > 1]
        parts.append(Table(f"Positions settled in {asset}, nearest to liquidation first", positions,
                           columns_of(mine, asset, names), level=2, sheet=f"Positions {asset}", own_sheet=True,
                           limit=max_rows, what="positions", order=p))
    parts.extend(reconciliation_parts(result))
    parts.extend(headroom_parts(result))
    parts.append(Heading("Stress tests: prices moved by a shock", sheet="Stress"))
    for asset, title, table in stress_tables(result):
        parts.append(Table(f"{title} — settled in {asset}", table, columns_of(table, asset), level=4, sheet="Stress"))
    cascade, cascade_order = _cascade_frame(result)
    parts.append(Heading("Cascade: positions lost as all prices move together", sheet="Cascade",
                         note="Exact joint moves: an isolated position at its liquidation price, a cross account at the "
                              "move where its equity meets its maintenance margin (all its cross positions at once)."))
    directions = cascade["direction"].to_numpy()[cascade_order]
    for direction in ("falling", "rising"):
        order = cascade_order[directions == direction]
        accounts_in_order = cascade["account"].iloc[order]
        shown = accounts_in_order.drop_duplicates().head(CASCADE_ACCOUNTS)
        parts.append(Table(f"Prices {direction}", cascade, columns_of(_rows_of(cascade, order, CASCADE_COLUMNS), "", CASCADE_COLUMNS), level=3,
                           sheet="Cascade", limit=int(accounts_in_order.isin(shown).sum()), what="positions", order=order))
    return parts


def _near_note(distance: pd.Series) -> str:
    past = int((distance <= 0).sum())
    within = [int(((distance > 0) & (distance <= pct)).sum()) for pct in NEAR_LIQUIDATION_PCT]
    return (f"{past:,} past it, {within[0]:,} within {NEAR_LIQUIDATION_PCT[0]:g} %, "
            f"{within[1]:,} within {NEAR_LIQUIDATION_PCT[1]:g} %.")


def reconciliation_parts(result: RiskResult) -> list[Table]:
    """The reconciliation with the exchange's liquidation prices, for a book that carries them (else nothing)."""
    from ..live.reconcile import HAS_EXCHANGE_PRICES, reconcile

    if HAS_EXCHANGE_PRICES not in result.book.positions.columns:
        return []
    table = reconcile(result.book, result)
    return [Table("Liquidation prices reconciled with the exchange's", table, columns_of(table, ""), level=2,
                  sheet="Reconciliation", own_sheet=True, what="positions",
                  note="Difference: xlmargin's price less the exchange's, in quote, ticks and %. Wallet gap: the change of the "
                       "margin behind the position that would close the difference [settlement asset]; a status "
                       "\"explained\" means one funding payment, the fee to close, or (cross) the uPnL moved between the "
                       "exchange's marks and the book's covers it (docs/live.md).")]


HEADROOM_POSITIONS = ["account", "symbol", "side", "margin_mode", "entry_price", "mark_price", "leverage", "funding",
                      "break_even_price", "removable_margin", "funding_liq_interval", "funding_liq_time", "rates_assumed"]
HEADROOM_ACCOUNTS = ["account", "wallet_balance", "cross_equity", "cross_maint_margin", "leverage_assumed", "withdrawable_balance"]


def _rates_note(positions: pd.DataFrame) -> str:
    """What the headroom assumed where the book gives no fee or funding rates (its ``rates_assumed`` column), in words."""
    said = positions["rates_assumed"].astype(str)
    count = lambda words: int(said.str.contains(words, regex=False).sum())  # noqa: E731
    n_fee, n_zero, n_none = count("fee rates 0"), count("funding rate 0"), count("no funding rate")
    fees = (f"fees to open and close are taken as 0 for {n_fee:,} position{'s' * (n_fee != 1)} without fee rates in the book"
            if n_fee else "fees from the book's open_fee_rate and close_fee_rate")
    n = n_zero + n_none
    funding = (f"{n:,} position{'s' * (n != 1)} without a funding rate ({n_zero:,} in a projected cross account, taken as 0; "
               f"{n_none:,} not projected)" if n else "every position has a funding rate")
    return f"Break-even: the exit price at which the PnL pays the fees and the funding so far; {fees}. {funding[0].upper()}{funding[1:]}."


def headroom_parts(result: RiskResult) -> list[Table | Heading]:
    """Margin that can come out, break-even prices and funding to liquidation (xlmargin.review.headroom), per settlement asset."""
    if "removable_margin" not in result.positions.columns:
        return []
    parts: list[Table | Heading] = [Heading(
        "Margin that can come out, break-even prices and funding to liquidation", sheet="Headroom",
        note="At the marks, under each position's exchange rule set (docs/exchanges.md, \"Margin that can come out\"). "
             f"{_rates_note(result.positions)} Funding to liquidation: the intervals (and, with a mark time, the date) after "
             "which the funding at the book's rate (per funding_interval_hours, 8 where empty) leaves the position, or its cross "
             "account (cross wallet and collateral at the marks, every cross position at its own rate), at its maintenance "
             "margin with the marks unchanged; projected over a year, \"—\" beyond it. Isolated positions whose leverage "
             "comes from their margin can only release a profit. \"—\": the figure does not apply (a cross position; an "
             "account without cross positions).")]
    names = [c for c in HEADROOM_POSITIONS if c in result.positions.columns]  # funding_liq_time: with a mark_time only
    positions = result.positions[names]  # these columns only (shared, not copied)
    positions_order = sort_order(positions, "removable_margin", ascending=False)
    accounts = result.accounts.sort_values("withdrawable_balance", ascending=False, na_position="last", kind="stable")
    for asset in result.book.settlement_assets:
        p = _of_asset(positions, asset, positions_order, _settlement(result))
        parts.append(Table(f"Positions settled in {asset}: margin that can come out, break-even, funding to liquidation; the most margin first", positions,
                           columns_of(_rows_of(positions, p, names), asset, names), sheet="Headroom", limit=SUMMARY_ROWS,
                           xlsx_limit=SUMMARY_ROWS_XLSX, what="positions", order=p))
        a = accounts[(accounts["settlement_asset"] == asset) & accounts["withdrawable_balance"].notna()]
        parts.append(Table(f"Cross accounts settled in {asset}: withdrawable balance, the most first", a,
                           columns_of(a, asset, HEADROOM_ACCOUNTS), sheet="Headroom", limit=SUMMARY_ROWS,
                           xlsx_limit=SUMMARY_ROWS_XLSX, what="accounts",
                           note="From the cross wallet (wallet less isolated margins, with cross funding); collateral "
                                "is not counted (less comes out); where leverage is assumed (the tier's highest), the "
                                "initial margin is the least it can be (more comes out)." if len(a) else "None."))
    return parts
