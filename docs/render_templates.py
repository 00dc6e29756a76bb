"""Render every template workbook to a PNG in docs/images/ (LibreOffice -> PDF -> pdftoppm).

LibreOffice recalculates each file as it loads it (a profile with OOXMLRecalcMode 0),
so the pictures show what the plain formulas compute, without xlmargin's add-in.
Each workbook's first page is ``<file>.png``; risk_review.xlsx also shows the sheet a
reviewer fills, its example rows included (``risk_review_positions.png``: the page
whose header row is that sheet's columns). Needs LibreOffice (libreoffice-calc-nogui)
and poppler-utils.

Run:  python docs/render_templates.py [--dpi 110]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from xlmargin.workbooks.libreoffice import convert
from xlmargin.workbooks.risk_review import RISK_REVIEW

ROOT = Path(__file__).resolve().parents[1]
SHEETS = {"risk_review": ["Positions"]}  # file -> sheets pictured besides the first page


def _page_of(pdf: Path, sheet: str) -> int:
    """The page of ``pdf`` whose first line is the header row of ``sheet`` (its column names, in order)."""
    header = [column[0] for column in RISK_REVIEW[sheet]]
    pages = int(next(line.split()[1] for line in _run("pdfinfo", pdf).splitlines() if line.startswith("Pages:")))
    for page in range(1, pages + 1):
        lines = [line.split() for line in _run("pdftotext", "-f", page, "-l", page, "-layout", pdf, "-").splitlines() if line.strip()]
        if lines and lines[0][:len(header)] == header:
            return page
    raise RuntimeError(f"{pdf.name}: no page starts with the {sheet} sheet's header {header}")


def _run(*command) -> str:
    return subprocess.run([str(c) for c in command], check=True, capture_output=True, text=True).stdout


def _png(pdf: Path, target: Path, dpi: int, page: int = 1) -> Path:
    """Page ``page`` of ``pdf`` as ``target``.png (pdftoppm adds the extension)."""
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(target)],
                   check=True)
    return target.with_suffix(".png")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    files = sorted((ROOT / "workbooks").glob("*.xlsx"))
    with tempfile.TemporaryDirectory() as scratch:
        for pdf in convert(files, Path(scratch), to="pdf"):
            written = [_png(pdf, images / pdf.stem, args.dpi)]
            for sheet in SHEETS.get(pdf.stem, []):
                written.append(_png(pdf, images / f"{pdf.stem}_{sheet.lower()}", args.dpi, _page_of(pdf, sheet)))
            for png in written:
                print(f"wrote {png.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
