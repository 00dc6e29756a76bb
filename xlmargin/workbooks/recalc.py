"""``xlmargin recalc``: recalculate a workbook headlessly and, if asked, save a recalculated copy.

The input file is only read, once. The copy is the input file with the new input
values and every recalculated formula value written into its cells; all else
(styles, charts, validation, names) is carried over byte for byte, and Excel is
told to recalculate on opening as well.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ContextManager

from lxml import etree

from ..files import write_atomically
from .engine import RecalcBook, RecalcError, collector_paused
from .inputs import NamedCell, check_inputs, named_cells_of

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}


def parse_assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE as text); :func:`recalc` checks the value against the cell."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise RecalcError(f"--set takes NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


@collector_paused()  # one pause for the whole command, not one per step
def recalc(
    path: str | os.PathLike[str], inputs: dict[str, Any], out: str | os.PathLike[str] | None = None, force: bool = False,
    step: Callable[[str], ContextManager[Any]] = lambda label: contextlib.nullcontext(),
) -> dict[str, Any]:
    """Recalculate ``path`` with ``inputs`` (defined name -> value); return the named values.

    Each input must name an input cell (a named cell without a formula) and
    its value must be one the cell accepts: a finite number within the cell's
    validation, or one of its listed words. With ``out``, also write the
    recalculated copy there (atomically; an existing file only with
    ``force``). ``path`` itself is never written. ``step(label)`` wraps each
    slow step (for a progress display).

    Raises
    ------
    RecalcError
        If the file is not a workbook, has no named outputs, an input is not
        an input cell or its value is not accepted, or an output comes out as
        an error (naming the first one and the reason).
    """
    source = Path(path)
    if out is not None and Path(out).resolve() == source.resolve():
        raise RecalcError(f"--out must not be the input file {source.name}; the input is never modified")
    with step(f"reading {source.name}"):
        book = RecalcBook(source)  # the one reading of the file; nothing compiled yet
    cells = named_cells_of(book.workbook, source.name)
    values = check_inputs(source.name, cells, inputs)
    if out is None:
        with step("recalculating"):  # compiles the named cells and what they depend on
            named = book.calculate(values)
        return _checked(source.name, book, named, cells)
    named: dict[str, Any] = {}

    def write(tmp: Path) -> None:  # called once ``out`` may be written: an existing file refuses before any work
        with step("recalculating every cell"):
            named.update(_checked(source.name, book, book.calculate(values, all_cells=True), cells))
        written = {where: value for where, value in book.cell_values().items() if where in book.formula_cells}
        for name, value in values.items():
            written[book.names[name.upper()]] = value
        write_copy(source, tmp, written)

    write_atomically(out, write, force=force)
    return named


def _checked(file: str, book: RecalcBook, named: dict[str, Any], cells: dict[str, NamedCell]) -> dict[str, Any]:
    """The named values, unless an output is an error other than #N/A (no answer, such as no liquidation price)."""
    for name, value in named.items():
        if name in cells and not cells[name].formula:
            continue
        if isinstance(value, str) and value in ERRORS and value != "#N/A":
            reason = next((r for code, r in book.reasons if code == value), None) or next((r for _, r in book.reasons), None)
            raise RecalcError(f"{file}: output {name} is {value}" + (f": {reason}" if reason else " (the engine gave no reason)"))
    return named


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the archive."""
    workbook = etree.fromstring(archive.read("xl/workbook.xml"))
    rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    paths = {}
    for sheet in workbook.findall("m:sheets/m:sheet", NS):
        target = targets[sheet.get(f"{{{NS['r']}}}id")]
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _set_cell(cell: etree._Element, value: Any) -> None:
    """Write a value into a <c> element, keeping its formula and style."""
    for child in cell.findall("m:v", NS) + cell.findall("m:is", NS):
        cell.remove(child)
    cell.attrib.pop("t", None)
    has_formula = cell.find("m:f", NS) is not None
    if value is None or value == "":
        if has_formula:
            cell.set("t", "str")
            etree.SubElement(cell, f"{{{NS['m']}}}v").text = ""
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        text = repr(float(value))
    elif value in ERRORS:
        cell.set("t", "e")
        text = value
    elif has_formula:
        cell.set("t", "str")
        text = str(value)
    else:
        cell.set("t", "inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{{{NS['m']}}}is"), f"{{{NS['m']}}}t").text = str(value)
        return
    etree.SubElement(cell, f"{{{NS['m']}}}v").text = text


def write_copy(source: Path, target: Path, cells: dict[tuple[str, str], Any]) -> None:
    """Copy ``source`` to ``target`` with ``cells`` ((sheet, A1) -> value) written in.

    Only cells that exist in the file are written (formula cells and the
    inputs); the workbook is marked to recalculate fully when Excel opens it.
    """
    with zipfile.ZipFile(source) as archive:
        paths = _sheet_paths(archive)
        by_part: dict[str, dict[str, Any]] = {}
        for (sheet, ref), value in cells.items():
            if sheet in paths:
                by_part.setdefault(paths[sheet], {})[ref] = value
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in archive.infolist():
                data = archive.read(info.filename)
                if info.filename in by_part:
                    data = _patch_sheet(data, by_part[info.filename])
                elif info.filename == "xl/workbook.xml":
                    data = _recalc_on_open(data)
                copy.writestr(info, data)


def _patch_sheet(data: bytes, values: dict[str, Any]) -> bytes:
    root = etree.fromstring(data)
    for cell in root.iterfind("m:sheetData/m:row/m:c", NS):
        ref = cell.get("r")
        if ref in values:
            _set_cell(cell, values[ref])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _recalc_on_open(data: bytes) -> bytes:
    root = etree.fromstring(data)
    calc = root.find("m:calcPr", NS)
    if calc is None:  # its place in the schema: after definedNames (or sheets)
        anchor = root.find("m:definedNames", NS)
        anchor = anchor if anchor is not None else root.find("m:sheets", NS)
        calc = etree.Element(f"{{{NS['m']}}}calcPr")
        anchor.addnext(calc)
    calc.set("fullCalcOnLoad", "1")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
