"""LibreOffice as a second, independent spreadsheet engine for the templates (tests, benchmark, pictures).

``soffice --headless --convert-to`` loads a workbook, recalculates it and saves it
as .xlsx (read the values back with openpyxl, ``data_only=True``) or renders it
as PDF. LibreOffice keeps the values saved in an .xlsx file unless told
otherwise, so :func:`convert` runs it with a profile of its own whose
``OOXMLRecalcMode`` is 0 (always recalculate). One call converts many files.
Never save templates through LibreOffice: it lower-cases function names.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """The LibreOffice program, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def make_profile(folder: Path) -> Path:
    """A LibreOffice user profile in ``folder`` that recalculates every .xlsx file it loads."""
    user = Path(folder) / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    return Path(folder)


def convert(files: Iterable[Path], out: Path, to: str = "xlsx", profile: Path | None = None, timeout: float = 300) -> list[Path]:
    """Recalculate ``files`` in LibreOffice and save each into ``out`` as ``to`` (``"xlsx"`` or ``"pdf"``).

    Parameters
    ----------
    files : iterable of Path
        .xlsx files with distinct names.
    out : Path
        The folder for the converted files (made if missing).
    to : str
        ``"xlsx"`` or ``"pdf"``.
    profile : Path, optional
        A profile made by :func:`make_profile`; by default a fresh one in a temporary folder.

    Returns
    -------
    list of Path
        The converted files, in the order of ``files``.

    Raises
    ------
    RuntimeError
        If LibreOffice is not installed or does not write every file.
    """
    program = soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    files = [Path(f).resolve() for f in files]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlmargin-lo-") as scratch:
        folder = make_profile(Path(scratch)) if profile is None else Path(profile)
        result = subprocess.run(
            [program, "--headless", "--norestore", f"-env:UserInstallation={folder.resolve().as_uri()}",
             "--convert-to", to, "--outdir", str(out), *map(str, files)],
            capture_output=True, text=True, timeout=timeout,
        )
    converted = [out / f"{f.stem}.{to}" for f in files]
    missing = [p.name for p in converted if not p.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {', '.join(missing)}: {result.stderr.strip() or result.stdout.strip()}")
    return converted
