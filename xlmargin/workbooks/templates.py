"""The template workbooks, built from code: one per worked example W1-W6, and a blank risk review.

The parts: :mod:`.specs` says what each worked example holds (data),
:mod:`.writer` (with :mod:`.chart`) writes any template to an .xlsx file,
:mod:`.risk_review` writes the blank review, and the headless engine
(:mod:`.engine`) computes the values saved with every formula cell, so a reader
without the add-in sees the right numbers. This module puts them together;
``xlmargin templates`` calls :func:`build_all`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..files import write_atomically
from .model import Template
from .risk_review import write_risk_review
from .specs import TEMPLATES
from .writer import write_template, write_via_xlsx_name

__all__ = ["TEMPLATES", "build_all", "build_template", "cached_values", "write_risk_review", "write_template"]

RISK_REVIEW_FILE = "risk_review.xlsx"


def cached_values(template: Template) -> dict[tuple[str, str], Any]:
    """Every formula cell's value, computed by the headless engine on the template's own formulas.

    Parameters
    ----------
    template : Template
        A worked-example template.

    Returns
    -------
    dict
        (sheet, A1 cell) -> value; an empty cell's value is ``""``, an error its text (``"#N/A"``).
    """
    from .engine import RecalcBook  # the formula engine loads only when a template is built

    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / f"{template.file}.xlsx"
        write_template(template, draft)  # formulas without values
        book = RecalcBook(draft)
        book.calculate(all_cells=True)
        return {where: ("" if value is None else value) for where, value in book.cell_values().items()}


def build_template(key: str, folder: Path, force: bool = True) -> Path:
    """Build one worked-example template into ``folder``, with cached values.

    Parameters
    ----------
    key : str
        ``"W1"`` ... ``"W6"``.
    folder : Path
        Where to write ``<template file>.xlsx``; made if missing.
    force : bool, default True
        Overwrite an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    xlmargin.files.OutputExistsError
        If the file exists and ``force`` is false (checked before anything is computed).
    """
    template = TEMPLATES[key]()
    target = Path(folder) / f"{template.file}.xlsx"

    def write(tmp: Path) -> None:
        write_via_xlsx_name(tmp, lambda path: write_template(template, path, cached_values(template)))

    return write_atomically(target, write, force=force)


def build_all(folder: Path, force: bool = False) -> list[Path]:
    """Build every template into ``folder``: W1-W6 and risk_review.xlsx.

    Parameters
    ----------
    folder : Path
        Where to write the files; made if missing.
    force : bool, default False
        Overwrite existing files.

    Returns
    -------
    list of Path
        The files written, W1-W6 first.

    Raises
    ------
    xlmargin.files.OutputExistsError
        If a file exists and ``force`` is false.
    """
    paths = [build_template(key, folder, force=force) for key in TEMPLATES]
    target = Path(folder) / RISK_REVIEW_FILE
    paths.append(write_atomically(target, lambda tmp: write_via_xlsx_name(tmp, write_risk_review), force=force))
    return paths
