"""The report as a PDF: the HTML page (:mod:`.html`) rendered by WeasyPrint, A4 landscape.

WeasyPrint is imported only when a PDF is written: it needs the system's pango
library, and the other formats must work without it (``xlmargin demo`` then
skips the PDF). Every table of the PDF shows at most ``PDF_MAX_ROWS`` rows (the
riskiest first; each says that all are in the XLSX): WeasyPrint lays out about
a thousand table rows in 20 s or more (about 2 ms a cell), whatever the size of the book.

WeasyPrint is single-threaded Python; when other formats are written too, the
PDF is rendered in a child process (:func:`start_pdf`, ``python -m
xlmargin.report.pdf``: the page on stdin, the PDF on stdout) while this process
writes the XLSX, so that the two use both cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FailedError, MissingExtraError
from .html import render_html

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

PDF_MAX_ROWS = 50  # a printed report lists the 50 riskiest rows of each table; every row is in the XLSX


def _weasyprint():
    try:
        import weasyprint
    except ModuleNotFoundError as exc:
        if exc.name != "weasyprint":
            raise
        raise MissingExtraError("a PDF report", "report", "weasyprint") from exc
    return weasyprint


def pdf_page(result: RiskResult, prov: dict, max_rows: int, parts: list | None = None) -> str:
    """The HTML page the PDF renders: every table cut to ``min(max_rows, PDF_MAX_ROWS)`` rows.

    ``parts``: :func:`~.content.report_parts` of ``result``, if already made (for any ``max_rows``).
    """
    rows = min(max_rows, PDF_MAX_ROWS)
    return render_html(result, prov, rows, cap=rows, parts=parts)


def write_pdf(result: RiskResult, path: Path, prov: dict, max_rows: int, parts: list | None = None) -> None:
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
    parts : list, optional
        :func:`~.content.report_parts` of ``result``, if already made.

    Raises
    ------
    MissingExtraError
        If WeasyPrint is not installed (``pip install 'xlmargin[report]'``).
    OSError
        If the system libraries WeasyPrint loads (pango) are missing.
    """
    _weasyprint().HTML(string=pdf_page(result, prov, max_rows, parts)).write_pdf(path)


class PdfJob:
    """A PDF being rendered in a child process; :meth:`write` waits for it and writes it, :meth:`stop` ends it."""

    def __init__(self, page: str):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # this process's xlmargin
        self._process = subprocess.Popen([sys.executable, "-m", "xlmargin.report.pdf"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self._out: tuple[bytes, bytes] | None = None
        self._thread = threading.Thread(target=self._talk, args=(page.encode("utf-8"),), daemon=True)
        self._thread.start()

    def _talk(self, page: bytes) -> None:
        self._out = self._process.communicate(page)

    def write(self, path: Path) -> None:
        self._thread.join()
        pdf, err = self._out if self._out is not None else (b"", b"")
        if self._process.returncode != 0 or not pdf.startswith(b"%PDF"):
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise FailedError(f"the PDF could not be rendered ({lines[-1] if lines else f'exit {self._process.returncode}'})")
        Path(path).write_bytes(pdf)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._thread.join()


def start_pdf(result: RiskResult, prov: dict, max_rows: int, parts: list | None = None) -> PdfJob:
    """Start rendering the PDF of ``result`` in a child process (the page is made here, WeasyPrint runs there)."""
    return PdfJob(pdf_page(result, prov, max_rows, parts))


def _main() -> None:  # python -m xlmargin.report.pdf: the HTML page on stdin, the PDF on stdout
    page = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(_weasyprint().HTML(string=page).write_pdf())


if __name__ == "__main__":
    _main()
