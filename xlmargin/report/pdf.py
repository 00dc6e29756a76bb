"""The report as a PDF: the HTML page (:mod:`.html`) rendered by WeasyPrint, A4 landscape.

WeasyPrint is imported only when a PDF is written: it needs the system's pango
library, and the other formats must work without it (``xlmargin demo`` then
skips the PDF).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MissingExtraError
from .html import render_html

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

PDF_MAX_ROWS = 200  # a printed report lists the riskiest rows; every row is in the XLSX


def write_pdf(result: RiskResult, path: Path, prov: dict, max_rows: int) -> None:
    """Write the report of ``result`` as a PDF at ``path``.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    path : Path
        The file to write.
    prov : dict
        Its :func:`~.content.provenance`.
    max_rows : int
        The most rows a table shows; never more than ``PDF_MAX_ROWS``.

    Raises
    ------
    MissingExtraError
        If WeasyPrint is not installed (``pip install 'xlmargin[report]'``).
    OSError
        If the system libraries WeasyPrint loads (pango) are missing.
    """
    try:
        import weasyprint
    except ModuleNotFoundError as exc:
        if exc.name != "weasyprint":
            raise
        raise MissingExtraError("a PDF report", "report", "weasyprint") from exc

    html = render_html(result, prov, min(max_rows, PDF_MAX_ROWS))
    weasyprint.HTML(string=html).write_pdf(path)
