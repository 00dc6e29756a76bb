"""Risk-review reports: a computed :class:`~xlmargin.review.evaluate.RiskResult` rendered as HTML, PDF and XLSX.

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

The parts: :mod:`.content` (what the report says, whatever the format),
:mod:`.charts` (the matplotlib figures), :mod:`.html` (jinja2, from
``templates/``), :mod:`.pdf` (WeasyPrint) and :mod:`.xlsx` (XlsxWriter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FailedError, MissingExtraError, require_extra

require_extra("the report", "report", ("jinja2", "matplotlib", "xlsxwriter", "pyarrow", "isal"))  # weasyprint: for a PDF only

from ..files import OutputExistsError, write_all_atomically  # noqa: E402  (after the check of the extra)
from .content import report_parts  # noqa: E402
from .html import render_html  # noqa: E402
from .pdf import PDF_MAX_ROWS, start_pdf, write_pdf  # noqa: E402
from .provenance import provenance  # noqa: E402
from .xlsx import write_xlsx  # noqa: E402

if TYPE_CHECKING:
    from ..review.evaluate import RiskResult

__all__ = ["FORMATS", "PDF_MAX_ROWS", "provenance", "write_report"]

FORMATS = ("html", "pdf", "xlsx")


def write_report(result: RiskResult, out_dir: Path, formats: Iterable[str] = ("html",), force: bool = False,
                 name: str = "risk_report", max_rows: int = 2000, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the report of ``result`` as ``out_dir/name.<format>`` for each of ``formats``.

    Parameters
    ----------
    result : RiskResult
        The reviewed book.
    out_dir : Path
        The folder to write to (made if missing).
    formats : iterable of str, default ('html',)
        Some of ``FORMATS``; a repeated format is written once.
    force : bool, default False
        Replace existing files.
    name : str, default 'risk_report'
        The files' name without extension.
    max_rows : int, default 2000
        The most rows an HTML table shows; PDF tables show at most
        ``min(max_rows, PDF_MAX_ROWS)`` (the riskiest first); XLSX has all.
    progress : callable, optional
        Called with a short label at each stage of the writing (each format,
        each XLSX sheet).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    ValueError
        If a format is not one of ``FORMATS``; nothing is written.
    OutputExistsError
        If any target exists and ``force`` is false; nothing is written.
    xlmargin.errors.FailedError
        If a PDF is asked for and WeasyPrint or the pango library is missing
        (checked first); nothing is written.
    xlmargin.errors.OutputError
        If ``out_dir`` cannot be written; nothing is left behind.

    Notes
    -----
    The formats are written all or nothing: each to a temporary file, and
    all moved into place only when every one is complete. A reader never sees
    a half-written report, and a failure (or SIGTERM) leaves no file behind.
    With the PDF and another format, WeasyPrint renders the PDF in a child
    process while this one writes the others (two cores in use).
    """
    targets = _targets(Path(out_dir), name, list(dict.fromkeys(formats)), force)
    if "pdf" in targets:
        check_pdf_available()
    say = progress or (lambda label: None)
    prov = provenance(result)
    say("the report's tables")
    parts = report_parts(result, max_rows)  # one list for every format (each cuts the tables to its own limits)
    job = None
    try:
        if "pdf" in targets and len(targets) > 1:  # WeasyPrint on the other core while the others are written
            say("pdf: its page, then WeasyPrint in a child process")
            job = start_pdf(result, prov, max_rows, parts)
        writers: dict[str, Callable[[Path], None]] = {
            "html": lambda tmp: _html(result, prov, max_rows, tmp, say, parts),
            "pdf": lambda tmp: _pdf(result, prov, max_rows, tmp, say, job, parts),
            "xlsx": lambda tmp: write_xlsx(result, tmp, prov, progress=say, parts=parts),
        }
        order = sorted(targets, key=lambda fmt: fmt == "pdf")  # the PDF last: it is being rendered meanwhile
        write_all_atomically({targets[fmt]: writers[fmt] for fmt in order}, force=force)
    finally:
        if job is not None:
            job.stop()
    return list(targets.values())


def _html(result, prov, max_rows, tmp: Path, say, parts) -> None:
    say("html")
    tmp.write_text(render_html(result, prov, max_rows, parts=parts), encoding="utf-8")


def _pdf(result, prov, max_rows, tmp: Path, say, job, parts) -> None:
    if job is None:
        say("pdf")
        write_pdf(result, tmp, prov, max_rows, parts)
    else:
        say("pdf: waiting for the child process")
        job.write(tmp)


def check_pdf_available() -> None:
    """Raise :class:`~xlmargin.errors.FailedError` unless WeasyPrint and the system libraries it loads are there.

    Without WeasyPrint itself it is the :class:`~xlmargin.errors.MissingExtraError` naming ``xlmargin[report]``.
    """
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == "weasyprint":
            raise MissingExtraError("a PDF report", "report", "weasyprint") from None
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FailedError(f"cannot write a PDF: WeasyPrint or the system's pango library is missing ({reason}); "
                          "nothing was written (see README for installing pango, or leave out --format pdf)") from None


def _targets(out_dir: Path, name: str, formats: list[str], force: bool) -> dict[str, Path]:
    """The file of each format, once every format is known and no file would be overwritten unasked."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(map(str, unknown))}; choose from {', '.join(FORMATS)}")
    targets = {fmt: out_dir / f"{name}.{fmt}" for fmt in formats}
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' * (len(existing) == 1)} already; pass --force to overwrite")
    return targets
