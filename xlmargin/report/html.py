"""The report as one self-contained HTML page, rendered with jinja2 from ``templates/``.

``templates/report.html.j2`` lays the page out and ``templates/report.css``
styles it (inlined, with the print rules the PDF uses); both ship as package
data. Autoescaping is on: every text from the input is escaped. The page shows
:func:`~.content.report_parts` in order (summary first); long tables are cut to
their limit, the riskiest rows first, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from .charts import chart_svgs
from .columns import format_value
from .content import NOTE, TITLE, Heading, Table, report_parts
from .provenance import provenance_rows

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
    level: int = 3
    kind: str = "table"


def render_html(result: RiskResult, prov: dict, max_rows: int, cap: int | None = None, parts: list | None = None) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    prov : dict
        Its :func:`~.content.provenance`.
    max_rows : int
        The most rows the accounts and positions tables show (the riskiest first).
    cap : int, optional
        The most rows any table shows (the PDF's ``PDF_MAX_ROWS``, the cascade's included).
    parts : list, optional
        :func:`~.content.report_parts` of ``result`` with ``max_rows``, if already made
        (one list serves every format).

    Returns
    -------
    str
        The page: inline CSS, the charts as inline SVG, input text escaped.
    """
    parts = [html_part(part, cap) for part in (parts if parts is not None else report_parts(result, max_rows))]
    detail = next(i for i, p in enumerate(parts) if p.level == 2 and p.title.startswith("Accounts settled"))
    return _TEMPLATES.get_template("report.html.j2").render(
        title=TITLE,
        stylesheet=_stylesheet(),
        provenance=provenance_rows(prov),
        note=NOTE,
        summary=parts[:detail],
        charts=[Markup(svg) for svg in chart_svgs(result)],  # our own SVG; matplotlib escapes the text in it
        detail=parts[detail:],
    )


def _stylesheet() -> Markup:
    """``templates/report.css`` as text (not a template: CSS braces are not jinja's), without its final newline."""
    source, _, _ = _TEMPLATES.loader.get_source(_TEMPLATES, "report.css")
    return Markup(source.removesuffix("\n"))  # our own CSS: its quotes stay quotes


def html_part(part: Table | Heading, cap: int | None = None) -> HtmlTable:
    """A :class:`~.content.Table` (cut to its limit and to ``cap``, saying so) or a heading, ready for the template."""
    if isinstance(part, Heading):
        return HtmlTable(part.title, [], [], [], part.note, part.level, "heading")
    limit = min(x for x in (part.limit, cap, part.n_rows) if x is not None)
    shown = part.head(limit)
    names = [c.name for c in part.columns]
    symbols = shown["symbol"].tolist() if "symbol" in shown.columns else [None] * len(shown)  # a price: its instrument's decimals
    rows = [[(format_value(value, c, symbol), c.kind) for c, value in zip(part.columns, record)]
            for record, symbol in zip(shown[names].itertuples(index=False), symbols)]
    flags = {f: shown[f].to_numpy() if f in shown.columns else None for f in ("liquidated", "margin_call")}
    row_classes = [("liquidated" if flags["liquidated"] is not None and flags["liquidated"][i] else
                    "margin-call" if flags["margin_call"] is not None and flags["margin_call"][i] else "")
                   for i in range(len(shown))]
    note = " ".join(x for x in (part.note, _cut_note(len(shown), part.n_rows, part.what)) if x)
    return HtmlTable(part.title, [c.label for c in part.columns], rows, row_classes, note, part.level)


def _cut_note(shown: int, total: int, what: str) -> str:
    """'First 3 of 9 positions (all are in the XLSX report).' when a table shows fewer than all, else ''."""
    return f"First {shown:,} of {total:,} {what} (all are in the XLSX report)." if shown < total else ""
