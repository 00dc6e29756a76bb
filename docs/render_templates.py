"""Render every template workbook to a PNG in docs/images/ (LibreOffice -> PDF -> pdftoppm).

LibreOffice recalculates each file as it loads it (a profile with OOXMLRecalcMode 0),
so the pictures show what the plain formulas compute, without xlmargin's add-in.
Needs LibreOffice (libreoffice-calc-nogui) and poppler-utils.

Run:  python docs/render_templates.py [--dpi 110]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from xlmargin.workbooks.libreoffice import convert

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    files = sorted((ROOT / "workbooks").glob("*.xlsx"))
    with tempfile.TemporaryDirectory() as scratch:
        for pdf in convert(files, Path(scratch), to="pdf"):
            target = images / pdf.stem  # pdftoppm adds the extension; -singlefile: the first page only
            subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-singlefile", str(pdf), str(target)], check=True)
            print(f"wrote {target.with_suffix('.png').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
