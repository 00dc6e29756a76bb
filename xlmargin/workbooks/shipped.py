"""Where the template files that ship with xlmargin are.

In the repository they live in the top-level ``workbooks/`` folder.
``pyproject.toml`` maps the package ``xlmargin.workbooks.files`` onto that folder
with the package data ``*.xlsx``, so a wheel carries them in
``xlmargin/workbooks/files/``. An installed package reads them from there
(:mod:`importlib.resources`); a source checkout on the path, which has no such
folder, reads the ``workbooks/`` folder beside its own ``xlmargin`` package.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGE_DATA = "files"  # the folder of xlmargin.workbooks holding the template files, once installed


def template_folder() -> Path:
    """The folder holding the shipped template files.

    Returns
    -------
    Path
        ``xlmargin/workbooks/files/`` of an installed package, or the ``workbooks/``
        folder of the source checkout this package is imported from.
    """
    packaged = Path(str(importlib.resources.files(__package__).joinpath(PACKAGE_DATA)))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "workbooks"


def template_path(name: str) -> Path:
    """Path of a shipped template, by file name without .xlsx.

    Parameters
    ----------
    name : str
        For example ``"w2_isolated_vs_cross"`` or ``"risk_review"``.

    Returns
    -------
    Path
        The .xlsx file (it may not exist if ``name`` is not a shipped template).

    >>> template_path("w3_two_longs").name
    'w3_two_longs.xlsx'
    """
    return template_folder() / f"{name}.xlsx"
