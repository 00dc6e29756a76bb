"""The report as one self-contained HTML page, rendered with jinja2 from ``templates/``.

``templates/report.html.j2`` lays the page out and ``templates/report.css``
styles it (inlined, with the print rules the PDF uses); both ship as package
data. Autoescaping is on: every text from the input is escaped. Long tables are
cut to ``max_rows`` rows, the riskiest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
import pandas as pd
from markupsafe import Markup

from .charts import chart_svgs
from .content import (
    ACCOUNT_COLUMNS,
    CASCADE_ACCOUNTS,
    CASCADE_COLUMNS,
    POSITION_COLUMNS,
    TITLE,
    accounts_table,
    cascade_table,
    cell_kind,
    column_label,
    format_cell,
    positions_table,
    provenance_rows,
    stress_tables,
    summary_table,
)

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader(__package__, "templates"),
    autoescape=True,  # always, whatever a template's file name: input text is never markup
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class HtmlTable:
    """A table ready for the template: headers, rows of (text, css class) cells, a css class per row."""

    title: str
    headers: list[str]
    rows: list[list[tuple[str, str]]]
    row_classes: list[str]
    note: str = ""


def render_html(result: RiskResult, prov: dict, max_rows: int) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    prov : dict
        Its :func:`~.content.provenance`.
    max_rows : int
        The most rows the accounts and positions tables show (the riskiest
        first); the cascade shows at most ``CASCADE_ACCOUNTS`` accounts.

    Returns
    -------
    str
        The page: inline CSS, the charts as inline SVG, input text escaped.
    """
    return _TEMPLATES.get_template("report.html.j2").render(
        title=TITLE,
        stylesheet=_stylesheet(),
        provenance=provenance_rows(prov),
        summary=html_table("Summary by settlement asset", summary_table(result)),
        charts=[Markup(svg) for svg in chart_svgs(result)],  # our own SVG; matplotlib escapes the text in it
        accounts=html_table("Accounts, highest margin ratio first", accounts_table(result), ACCOUNT_COLUMNS, max_rows,
                            "accounts"),
        positions=html_table("Positions, closest to liquidation first", positions_table(result), POSITION_COLUMNS,
                             max_rows, "positions"),
        stress=[(asset, html_table(title, table)) for asset, title, table in stress_tables(result)],
        cascade=_cascade_html_table(result),
    )


def _stylesheet() -> Markup:
    """``templates/report.css`` as text (not a template: CSS braces are not jinja's), without its final newline."""
    source, _, _ = _TEMPLATES.loader.get_source(_TEMPLATES, "report.css")
    return Markup(source.removesuffix("\n"))  # our own CSS: its quotes stay quotes


def html_table(title: str, frame: pd.DataFrame, columns: list | None = None, limit: int | None = None,
               what: str = "rows") -> HtmlTable:
    """A DataFrame as an :class:`HtmlTable`, cut to ``limit`` rows and saying so.

    Parameters
    ----------
    title : str
        The table's heading.
    frame : DataFrame
        One of the report's tables (:mod:`.content`), in the order to show.
    columns : list, optional
        The columns to show (default all), in order.
    limit : int, optional
        The most rows to show (default all).
    what : str, default 'rows'
        What a row is, for the note on a cut table ("First 3 of 9 positions.").

    Returns
    -------
    HtmlTable
        Headers as :func:`~.content.column_label`, cells as
        :func:`~.content.format_cell` with their :func:`~.content.cell_kind` as
        css class, rows marked 'liquidated' or 'margin-call'.
    """
    columns = list(frame.columns) if columns is None else columns
    shown = frame if limit is None else frame.head(limit)
    kinds = {c: cell_kind(c, frame[c]) for c in columns}
    rows = [[(format_cell(value, kinds[c]), kinds[c]) for c, value in zip(columns, record)]
            for record in shown[columns].itertuples(index=False)]
    row_classes = [_row_class(record) for record in shown.to_dict("records")]
    return HtmlTable(title, [column_label(c) for c in columns], rows, row_classes, _cut_note(len(shown), len(frame), what))


def _cut_note(shown: int, total: int, what: str) -> str:
    """'First 3 of 9 positions.' when a table shows fewer than all, else ''."""
    return f"First {shown:,} of {total:,} {what}." if shown < total else ""


def _row_class(record: dict) -> str:
    """css class of a row: 'liquidated', 'margin-call' or ''."""
    if record.get("liquidated", False):
        return "liquidated"
    if record.get("margin_call", False):
        return "margin-call"
    return ""


def _cascade_html_table(result: RiskResult) -> HtmlTable:
    """The cascade of the first ``CASCADE_ACCOUNTS`` accounts to lose a position, every position of each."""
    cascade = cascade_table(result)
    accounts = cascade["account"].drop_duplicates()
    shown = accounts.head(CASCADE_ACCOUNTS)
    table = html_table("Cascade: positions lost as all prices fall together", cascade[cascade["account"].isin(shown)],
                       CASCADE_COLUMNS)
    table.note = _cut_note(len(shown), len(accounts), "accounts")
    return table
