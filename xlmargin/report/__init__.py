"""Risk-review reports: a computed :class:`~xlmargin.risk.RiskResult` rendered as HTML, PDF and XLSX.

Every format shows the same content: provenance, a summary per settlement
asset, the accounts and positions tables, the stress tables, the cascade of a
falling market and two charts. Amounts are in each account's settlement asset
and are never added across settlement assets. A NaN figure ("no answer", e.g. no
liquidation price) is shown as "—" in HTML/PDF and left empty in XLSX, never 0.

* HTML: one self-contained file (inline CSS, charts as inline SVG); every text
  from the input is escaped.
* PDF: the same HTML rendered by WeasyPrint (A4 landscape).
* XLSX: every row, native numbers with number formats, native Excel charts,
  conditional formatting; text from the input is always written as text, never
  as a formula.

Long tables are cut to ``max_rows`` rows in HTML/PDF (the riskiest first); the
XLSX report has them all.
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import matplotlib
import numpy as np
import pandas as pd
import xlsxwriter
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator
from xlsxwriter.utility import xl_col_to_name

from .. import __version__
from ..files import OutputExistsError, write_atomically

FORMATS = ("html", "pdf", "xlsx")
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


# ---------------------------------------------------------------------------
# the content, as DataFrames shared by every format


def provenance(result) -> dict:
    """Where the figures come from: input file, its SHA-256 ('' if not read from a file), time, version, rules."""
    return {
        "input": result.book.source,
        "sha256": result.book.sha256,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "xlmargin_version": __version__,
        "rules": RULES,
    }


def _provenance_rows(prov: dict) -> list[tuple[str, str]]:
    """Provenance as (label, text) pairs for display."""
    return [
        ("Input", prov["input"]),
        ("SHA-256 of the input", prov["sha256"] or "none (not read from a file)"),
        ("Generated at (UTC)", prov["generated_at"]),
        ("xlmargin version", prov["xlmargin_version"]),
        ("Rules", prov["rules"]),
    ]


def _settlement(result) -> pd.Series:
    """Settlement asset of each position (a Series aligned with ``result.positions``)."""
    return result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])


def _summary(result) -> pd.DataFrame:
    """One row per settlement asset: counts, total equity [that asset], accounts at risk, positions near liquidation."""
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


def _accounts(result) -> pd.DataFrame:
    """All accounts, the highest margin ratio first (accounts without cross positions last)."""
    return result.accounts.sort_values("margin_ratio", ascending=False, na_position="last", kind="stable")


def _positions(result) -> pd.DataFrame:
    """All positions with their settlement asset, the closest to liquidation first (no liquidation price last)."""
    positions = result.positions.copy()
    positions.insert(1, "settlement_asset", _settlement(result))
    return positions.sort_values("distance_to_liq_pct", na_position="last", kind="stable")


def _cascade(result) -> pd.DataFrame:
    """The cascade, account by account, the account losing its first position at the smallest fall first."""
    cascade = result.cascade
    first_loss = cascade.groupby("account")["lost_at_fall_pct"].transform("max")  # falls are negative [%]
    order = cascade.assign(first_loss=first_loss).sort_values(["first_loss", "account", "order"], ascending=[False, True, True])
    return order[CASCADE_COLUMNS]


def _stress_tables(result) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(settlement asset, title, table) of the stress results: shock [%] across, scope or margin mode down.

    Scopes are 'all' (every price moved together) and each asset the accounts of
    that settlement asset trade; losses [settlement asset] are positive, gains negative.
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


def _curve(result, asset: str) -> pd.DataFrame:
    """The value curve of one settlement asset, with ``liquidation_step``: the actual value [asset]
    where more accounts are liquidated than one step closer to no move (else NaN)."""
    curve = result.curve[result.curve["settlement_asset"] == asset].sort_values("shock_pct").reset_index(drop=True)
    shock, count = curve["shock_pct"], curve["accounts_liquidated"]
    towards_zero = count.shift(-1).where(shock < 0, count.shift(1))
    step = (count > towards_zero) & (shock != 0)
    return curve.drop(columns="settlement_asset").assign(liquidation_step=curve["value_actual"].where(step))


def _histogram(result) -> tuple[pd.DataFrame, int]:
    """Positions per distance-to-liquidation band [%] (clipped at 100 %), and how many have no liquidation price."""
    distance = result.positions["distance_to_liq_pct"].dropna()
    counts, _ = np.histogram(np.clip(distance, 0.0, HISTOGRAM_EDGES[-1]), bins=[*HISTOGRAM_EDGES, np.inf])
    bands = [f"{lo:g}–{hi:g}" for lo, hi in zip(HISTOGRAM_EDGES[:-1], HISTOGRAM_EDGES[1:])] + [f"≥ {HISTOGRAM_EDGES[-1]:g}"]
    return pd.DataFrame({"distance band [%]": bands, "positions": counts}), int(result.positions["distance_to_liq_pct"].isna().sum())


# ---------------------------------------------------------------------------
# cell kinds: how a column is shown (HTML) and number-formatted (XLSX)


def _kind(column, values: pd.Series) -> str:
    """text, flag, count, ratio (a fraction shown in %), pct (already in %) or amount."""
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


def _label(column) -> str:
    """Column header for display; a shock column (an integer) is shown as a signed percentage."""
    if isinstance(column, numbers.Integral):
        return f"{column:+d} %"
    return LABELS.get(column, str(column))


def _amount(value: float) -> str:
    """An amount or price with about SIGNIFICANT significant digits, 2 to 8 decimals, thousands separated.

    >>> [_amount(v) for v in (267000.0, 8.784624, 0.13998, 0.1, -0.0)]
    ['267,000.00', '8.78462', '0.13998', '0.10', '0.00']
    """
    digits = len(f"{abs(value):.0f}") if abs(value) >= 1 else 0
    decimals = min(max(SIGNIFICANT - digits, 2), 8)
    text = f"{round(value, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0.00"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction[:2]}{fraction[2:].rstrip('0')}"


def _format(value, kind: str) -> str:
    """One cell's text in HTML/PDF; NaN (no answer) is NONE, never 0."""
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
    return _amount(float(value))


# ---------------------------------------------------------------------------
# HTML and PDF


@dataclass
class _Table:
    """A table ready for the template: headers, rows of (text, css class) cells, a css class per row."""

    title: str
    headers: list[str]
    rows: list[list[tuple[str, str]]]
    row_classes: list[str]
    note: str = ""


def _html_table(title: str, frame: pd.DataFrame, columns: list | None = None, limit: int | None = None, what: str = "rows") -> _Table:
    """``frame``'s ``columns`` (default all) as a _Table of at most ``limit`` rows, saying so when cut."""
    columns = list(frame.columns) if columns is None else columns
    shown = frame if limit is None else frame.head(limit)
    kinds = {c: _kind(c, frame[c]) for c in columns}
    rows = [[(_format(value, kinds[c]), kinds[c]) for c, value in zip(columns, record)]
            for record in shown[columns].itertuples(index=False)]
    row_classes = [_row_class(record) for record in shown.to_dict("records")]
    note = f"First {len(shown):,} of {len(frame):,} {what}." if len(shown) < len(frame) else ""
    return _Table(title, [_label(c) for c in columns], rows, row_classes, note)


def _row_class(record: dict) -> str:
    """css class of a row: 'liquidated', 'margin-call' or ''."""
    if record.get("liquidated", False):
        return "liquidated"
    if record.get("margin_call", False):
        return "margin-call"
    return ""


def _svg(fig: Figure) -> str:
    """``fig`` as an <svg> element (no XML prolog) to inline in HTML."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _curve_figure(result) -> Figure:
    """Book value [each settlement asset] against a joint price move [%], one panel per settlement asset."""
    assets = result.book.settlement_assets
    ncols = min(len(assets), 3)
    nrows = math.ceil(len(assets) / ncols)
    fig = Figure(figsize=(max(3.6 * ncols + 1.0, 6.0), 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, asset in zip(axes, assets):
        curve = _curve(result, asset)
        for (column, label), style in zip(VALUES.items(), ("-", "--", ":")):
            ax.plot(curve["shock_pct"], curve[column], style, label=label, linewidth=1.6)
        steps = curve.dropna(subset=["liquidation_step"])
        ax.plot(steps["shock_pct"], steps["liquidation_step"], "o", color="#c0392b", markersize=3.5,
                label="more accounts liquidated")
        ax.axvline(0, color="#999999", linewidth=0.8)
        ax.set(title=f"Book value [{asset}]", xlabel="all prices moved together [%]", ylabel=f"value [{asset}]")
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.grid(alpha=0.3)
    for ax in axes[len(assets):]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    return fig


def _histogram_figure(result) -> Figure:
    """Positions per distance-to-liquidation band [%]."""
    bands, no_price = _histogram(result)
    fig = Figure(figsize=(8.0, 2.8), layout="constrained")
    ax = fig.subplots()
    ax.bar(bands["distance band [%]"], bands["positions"], color="#2e86c1")
    untold = f" ({no_price:,} positions with no liquidation price, not shown)" if no_price else ""
    ax.set(title=f"Distance to the liquidation price{untold}", xlabel="distance to liquidation [%] (clipped at 100 %)",
           ylabel="positions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    return fig


def _render_html(result, prov: dict, max_rows: int) -> str:
    """The report as one self-contained HTML page (tables of at most ``max_rows`` rows)."""
    cascade = _cascade(result)
    accounts = cascade["account"].drop_duplicates()
    shown = accounts.head(CASCADE_ACCOUNTS)
    cascade_table = _html_table("Cascade: positions lost as all prices fall together",
                                cascade[cascade["account"].isin(shown)], CASCADE_COLUMNS)
    if len(shown) < len(accounts):
        cascade_table.note = f"First {len(shown):,} of {len(accounts):,} accounts."
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):  # svg text as text: small, searchable
        charts = [_svg(_curve_figure(result)), _svg(_histogram_figure(result))]
    return _TEMPLATE.render(
        title=TITLE,
        provenance=_provenance_rows(prov),
        summary=_html_table("Summary by settlement asset", _summary(result)),
        charts=[Markup(svg) for svg in charts],  # our own SVG; matplotlib escapes the text in it
        accounts=_html_table("Accounts, highest margin ratio first", _accounts(result), ACCOUNT_COLUMNS, max_rows, "accounts"),
        positions=_html_table("Positions, closest to liquidation first", _positions(result), POSITION_COLUMNS, max_rows,
                              "positions"),
        stress=[(asset, _html_table(title, table)) for asset, title, table in _stress_tables(result)],
        cascade=cascade_table,
    )


def _write_pdf(html: str, path: Path) -> None:
    """Render ``html`` to a PDF at ``path`` with WeasyPrint (imported here: only the PDF needs it)."""
    import weasyprint

    weasyprint.HTML(string=html).write_pdf(path)


_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #666; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #222; margin: 1.5em; }
@media print { body { margin: 0; } }
h1 { font-size: 18pt; margin: 0 0 0.3em; }
h2 { font-size: 12pt; margin: 1.4em 0 0.4em; border-bottom: 1px solid #ccc; page-break-after: avoid; }
h3 { font-size: 10pt; margin: 1em 0 0.3em; page-break-after: avoid; }
table { border-collapse: collapse; margin-bottom: 0.6em; }
th, td { padding: 2px 5px; border-bottom: 1px solid #e3e3e3; }
td { white-space: nowrap; }
th { background: #f0f3f6; text-align: left; font-weight: 600; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
td.amount, td.count, td.ratio, td.pct { text-align: right; font-variant-numeric: tabular-nums; }
tr.liquidated td { background: #f5b7b1; }
tr.margin-call td { background: #fde3a7; }
table.data { font-size: 7.5pt; }
dl.provenance { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; word-break: break-all; }
p.note { color: #666; font-style: italic; margin: 0.2em 0 0.8em; }
svg { max-width: 100%; height: auto; }
.chart { page-break-inside: avoid; margin: 0.5em 0; }
</style>
</head>
<body>
{% macro render(table, level="h2", css="data") %}
<{{ level }}>{{ table.title }}</{{ level }}>
{% if table.note %}<p class="note">{{ table.note }}</p>{% endif %}
<table class="{{ css }}">
<thead><tr>{% for header in table.headers %}<th>{{ header }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}
<tr{% if table.row_classes[loop.index0] %} class="{{ table.row_classes[loop.index0] }}"{% endif %}>{% for text, kind in row %}<td class="{{ kind }}">{{ text }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% endmacro %}
<h1>{{ title }}</h1>
<dl class="provenance">
{% for label, text in provenance %}<dt>{{ label }}</dt><dd>{{ text }}</dd>
{% endfor %}
</dl>
<p class="note">Amounts are in each account's settlement asset and never added across settlement assets;
"—" means there is no answer (e.g. no liquidation price); a margin ratio of "∞" means the equity is gone.</p>
{{ render(summary, css="summary") }}
<h2>Charts</h2>
{% for chart in charts %}<div class="chart">{{ chart }}</div>
{% endfor %}
{{ render(accounts) }}
{{ render(positions) }}
<h2>Stress tests: prices moved by a shock</h2>
{% for asset, table in stress %}
{% if loop.first or stress[loop.index0 - 1][0] != asset %}<h3>Settled in {{ asset }}</h3>{% endif %}
{{ render(table, level="h4") }}
{% endfor %}
{{ render(cascade) }}
</body>
</html>
""")


# ---------------------------------------------------------------------------
# XLSX

_EXCEL_FORMATS = {
    "amount": "#,##0.00######",
    "count": "#,##0",
    "ratio": "0.00%",
    "pct": '0.00" %"',
}


class _Sheets:
    """An XlsxWriter workbook with the report's cell formats, writing DataFrames as typed cells."""

    def __init__(self, path: Path):
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        self.book = xlsxwriter.Workbook(str(path), options)
        self.formats = {kind: self.book.add_format({"num_format": f}) for kind, f in _EXCEL_FORMATS.items()}
        header = {"bold": True, "bg_color": "#F0F3F6", "bottom": 1}
        self.header = self.book.add_format({**header, "text_wrap": True})
        self.shock_header = self.book.add_format({**header, "num_format": '+0" %";-0" %";0" %"'})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.bold = self.book.add_format({"bold": True})
        self.red = self.book.add_format({"bg_color": "#F5B7B1"})
        self.amber = self.book.add_format({"bg_color": "#FDE3A7"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def cell(self, sheet, row: int, col: int, value, kind: str) -> None:
        """One typed cell: text always as a string, NaN as an empty cell, infinity as #NUM! (as the Excel functions)."""
        if kind == "text":
            sheet.write_string(row, col, "" if pd.isna(value) else str(value))
        elif kind == "flag":
            sheet.write_boolean(row, col, bool(value))
        elif pd.isna(value):
            sheet.write_blank(row, col, None, self.formats[kind])
        elif np.isinf(value):
            sheet.write_formula(row, col, "#NUM!", self.formats[kind], "#NUM!")
        else:
            sheet.write_number(row, col, float(value), self.formats[kind])

    def frame(self, sheet, row: int, frame: pd.DataFrame, col: int = 0) -> int:
        """Write ``frame`` with a header row at (row, col); return the row after it."""
        for j, column in enumerate(frame.columns):
            if isinstance(column, numbers.Integral):  # a shock [%]
                sheet.write_number(row, col + j, column, self.shock_header)
            else:
                sheet.write_string(row, col + j, str(column), self.header)
        kinds = [_kind(c, frame[c]) for c in frame.columns]
        for i, record in enumerate(frame.itertuples(index=False), start=row + 1):
            for j, (value, kind) in enumerate(zip(record, kinds)):
                self.cell(sheet, i, col + j, value, kind)
        return row + 1 + len(frame)

    def table_sheet(self, name: str, frame: pd.DataFrame):
        """A sheet holding ``frame`` only: frozen header row, autofilter."""
        sheet = self.book.add_worksheet(name)
        self.frame(sheet, 0, frame)
        sheet.set_column(0, len(frame.columns) - 1, 14)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        return sheet

    def highlight(self, sheet, frame: pd.DataFrame, column: str, fill) -> None:
        """Fill the rows of ``frame`` (written by :meth:`table_sheet`) where ``column`` is TRUE."""
        if len(frame):
            letter = xl_col_to_name(frame.columns.get_loc(column))
            sheet.conditional_format(1, 0, len(frame), len(frame.columns) - 1,
                                     {"type": "formula", "criteria": f"=${letter}2=TRUE", "format": fill})


def _write_xlsx(result, path: Path, prov: dict) -> None:
    """The report as an XLSX workbook: Summary (with charts), Accounts, Positions, Stress, Cascade, Provenance."""
    sheets = _Sheets(path)
    _summary_sheet(sheets, result)
    accounts = _accounts(result)
    sheet = sheets.table_sheet("Accounts", accounts)
    sheets.highlight(sheet, accounts, "liquidated", sheets.red)
    sheets.highlight(sheet, accounts, "margin_call", sheets.amber)
    positions = _positions(result)
    sheet = sheets.table_sheet("Positions", positions)
    sheets.highlight(sheet, positions, "liquidated", sheets.red)
    if len(positions):
        col = positions.columns.get_loc("distance_to_liq_pct")
        sheet.conditional_format(1, col, len(positions), col, {
            "type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
            "mid_type": "num", "mid_value": NEAR_LIQUIDATION_PCT, "mid_color": "#FFEB84",
            "max_type": "num", "max_value": 3 * NEAR_LIQUIDATION_PCT, "max_color": "#63BE7B"})
    _stress_sheet(sheets, result)
    sheets.table_sheet("Cascade", _cascade(result))
    sheet = sheets.book.add_worksheet("Provenance")
    for row, (label, text) in enumerate(_provenance_rows(prov)):
        sheet.write_string(row, 0, label, sheets.bold)
        sheet.write_string(row, 1, text, sheets.wrap)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
    sheets.book.close()


def _summary_sheet(sheets: _Sheets, result) -> None:
    """Summary table, the value-curve and histogram tables, and a native chart of each."""
    sheet = sheets.book.add_worksheet("Summary")
    sheet.write_string(0, 0, TITLE, sheets.title)
    sheet.write_string(1, 0, "Amounts are in each account's settlement asset; empty cells have no answer (e.g. no liquidation price); "
                           "#NUM! is an infinite margin ratio (the equity is gone).")
    row = sheets.frame(sheet, 3, _summary(result)) + 2
    sheet.set_column(0, 7, 16)
    chart_row = 3
    for asset in result.book.settlement_assets:
        curve = _curve(result, asset)
        sheet.write_string(row, 0, f"Book value against a joint price move [{asset}]", sheets.bold)
        end = sheets.frame(sheet, row + 1, curve)
        sheet.insert_chart(chart_row, 9, _curve_chart(sheets.book, asset, curve, row + 2, end - 1))
        chart_row += 18
        row = end + 2
    bands, no_price = _histogram(result)
    sheet.write_string(row, 0, f"Positions by distance to liquidation ({no_price:,} with no liquidation price)", sheets.bold)
    end = sheets.frame(sheet, row + 1, bands)
    chart = sheets.book.add_chart({"type": "column"})
    chart.add_series({"name": "positions", "categories": ["Summary", row + 2, 0, end - 1, 0],
                      "values": ["Summary", row + 2, 1, end - 1, 1], "fill": {"color": "#2E86C1"}, "gap": 40})
    chart.set_title({"name": "Distance to the liquidation price"})
    chart.set_x_axis({"name": "distance to liquidation [%]"})
    chart.set_y_axis({"name": "positions", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    sheet.insert_chart(chart_row, 9, chart)


def _curve_chart(book, asset: str, curve: pd.DataFrame, first: int, last: int):
    """A scatter chart of the value curve written on Summary at rows first..last (0-based)."""
    chart = book.add_chart({"type": "scatter", "subtype": "straight"})
    x = ["Summary", first, 0, last, 0]
    for column, label in VALUES.items():
        col = curve.columns.get_loc(column)
        chart.add_series({"name": label, "categories": x, "values": ["Summary", first, col, last, col]})
    col = curve.columns.get_loc("liquidation_step")
    chart.add_series({"name": "more accounts liquidated", "categories": x, "values": ["Summary", first, col, last, col],
                      "line": {"none": True}, "marker": {"type": "circle", "size": 6, "fill": {"color": "#C0392B"}}})
    chart.set_title({"name": f"Book value [{asset}] against a joint price move"})
    chart.set_x_axis({"name": "all prices moved together [%]", "min": int(curve["shock_pct"].min()),
                      "max": int(curve["shock_pct"].max()), "major_unit": 10, "num_format": "0",
                      "label_position": "low", "crossing": int(curve["shock_pct"].min())})  # value axis on the left
    chart.set_y_axis({"name": f"value [{asset}]", "num_format": "#,##0.##", "major_gridlines": {"visible": True}})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 620, "height": 340})
    return chart


def _stress_sheet(sheets: _Sheets, result) -> None:
    """The stress tables one under the other, grouped by settlement asset."""
    sheet = sheets.book.add_worksheet("Stress")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 20, 12)
    row, previous = 0, None
    for asset, title, table in _stress_tables(result):
        if asset != previous:
            sheet.write_string(row, 0, f"Settled in {asset}", sheets.title)
            row, previous = row + 1, asset
        sheet.write_string(row, 0, title, sheets.bold)
        row = sheets.frame(sheet, row + 1, table) + 1


# ---------------------------------------------------------------------------
# writing the files


PDF_MAX_ROWS = 200


def write_report(result, out_dir: Path, formats=("html",), force: bool = False, name: str = "risk_report",
                 max_rows: int = 2000) -> list[Path]:
    """Write the report of ``result`` as ``out_dir/name.<format>`` for each of ``formats``; return the paths.

    Each file is written atomically. If any target exists and ``force`` is
    false, :class:`~xlmargin.files.OutputExistsError` is raised before anything
    is written. HTML tables show at most ``max_rows`` rows, PDF tables at most
    ``PDF_MAX_ROWS`` (the riskiest first); XLSX has all.
    """
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(map(str, unknown))}; choose from {', '.join(FORMATS)}")
    targets = {fmt: Path(out_dir) / f"{name}.{fmt}" for fmt in formats}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' * (len(existing) == 1)} already; pass --force to overwrite")
    prov = provenance(result)
    writers: dict[str, Callable[[Path], None]] = {
        "html": lambda tmp: tmp.write_text(_render_html(result, prov, max_rows), encoding="utf-8"),
        # a printed report lists the riskiest rows; every row is in the XLSX
        "pdf": lambda tmp: _write_pdf(_render_html(result, prov, min(max_rows, PDF_MAX_ROWS)), tmp),
        "xlsx": lambda tmp: _write_xlsx(result, tmp, prov),
    }
    return [write_atomically(path, writers[fmt], force=force) for fmt, path in targets.items()]
