"""A workbook's named cells for ``xlmargin recalc``: which are inputs, and which values each input accepts.

An input is a named cell without a formula; an output is a named cell with one.
An input takes what Excel's own data validation on the cell allows: a finite
number (within the validation's bounds), or one of the words of a list
validation (such as ``long``/``short``). ``--set`` values arrive as text and are
checked here, before the formula engine compiles the workbook, so that ``1,800``, ``nan``,
``=1+1`` or ``#N/A`` are refused with a reason instead of recalculating to
``#VALUE!`` everywhere.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import RecalcError, check_formulas, load_workbook

ERROR_VALUES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_COMPARE = {"greaterThan": (operator.gt, ">"), "greaterThanOrEqual": (operator.ge, ">="), "lessThan": (operator.lt, "<"),
            "lessThanOrEqual": (operator.le, "<="), "equal": (operator.eq, "="), "notEqual": (operator.ne, "!=")}


@dataclass(frozen=True)
class NamedCell:
    """One named cell: where it is, whether it holds a formula, what it accepts."""

    name: str
    formula: bool
    text: bool = False  # a text input without a list of words
    words: tuple[str, ...] = ()
    kind: str = ""  # "decimal" or "whole" when validated as a number
    operator: str | None = None
    bounds: tuple[float, ...] = ()


def named_cells(path: Path) -> dict[str, NamedCell]:
    """The workbook's single-cell defined names (upper case); :class:`RecalcError` if it has no named outputs."""
    book = load_workbook(path)
    check_formulas(book)  # an unknown function is the first thing to say
    return named_cells_of(book, Path(path).name)


def named_cells_of(book: Any, file: str) -> dict[str, NamedCell]:
    """:func:`named_cells` of a workbook already read (openpyxl), ``file`` its name for messages."""
    cells, ranges = {}, []
    for name, definition in book.defined_names.items():
        destinations = list(definition.destinations)
        if len(destinations) != 1 or ":" in destinations[0][1] or destinations[0][0] not in book.sheetnames:
            ranges.append(name)
            continue
        sheet, ref = destinations[0][0], destinations[0][1].replace("$", "")
        cells[name.upper()] = _named_cell(name.upper(), book[sheet], ref)
    if not any(c.formula for c in cells.values()):
        hint = (f"; it names only ranges ({', '.join(sorted(ranges)[:4])}): fill it in and review it with "
                "`xlmargin report`" if ranges else "")
        raise RecalcError(f"{file} has no named output cells (named cells with a formula) to recalculate{hint}")
    return cells


def _named_cell(name: str, sheet: Any, ref: str) -> NamedCell:
    value = sheet[ref].value
    if isinstance(value, str) and value.startswith("="):
        return NamedCell(name, formula=True)
    for rule in sheet.data_validations.dataValidation:
        if ref in rule.sqref:
            if rule.type == "list" and rule.formula1 and rule.formula1.startswith('"'):
                return NamedCell(name, False, words=tuple(w.strip() for w in rule.formula1.strip('"').split(",")))
            if rule.type in ("decimal", "whole"):
                bounds = tuple(_number_or_none(f) for f in (rule.formula1, rule.formula2) if f is not None)
                if None not in bounds:
                    return NamedCell(name, False, kind=rule.type, operator=rule.operator or "between", bounds=bounds)
    return NamedCell(name, False, text=isinstance(value, str))


def _number_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:  # a bound that is a cell reference: not checked here
        return None


def check_inputs(file: str, cells: dict[str, NamedCell], inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` (name -> text or number) as the values to put in the cells; :class:`RecalcError` for any bad one."""
    names = ", ".join(sorted(n for n, c in cells.items() if not c.formula))
    values = {}
    for name, raw in inputs.items():
        cell = cells.get(str(name).upper())
        if cell is None:
            raise RecalcError(f"{file} has no defined name {name}; its inputs are {names}")
        if cell.formula:
            raise RecalcError(f"{name} is an output of {file} (a formula), not an input; --set takes one of {names}")
        values[name] = _value(cell, raw)
    return values


def _value(cell: NamedCell, raw: Any) -> Any:
    where = f"--set {cell.name}"
    if cell.words:
        match = [w for w in cell.words if w.lower() == str(raw).strip().lower()]
        if not match:
            raise RecalcError(f"{where} must be {' or '.join(cell.words)}, not {raw!r}")
        return match[0]
    if cell.text and isinstance(raw, str):
        if raw.startswith("=") or raw.strip().upper() in ERROR_VALUES:
            raise RecalcError(f"{where} takes text, not a formula or an error value ({raw!r})")
        return raw
    number = _finite_number(where, raw)
    _within(where, cell, number)
    return number


def _finite_number(where: str, raw: Any) -> float:
    if isinstance(raw, bool):
        raise RecalcError(f"{where} must be a number, not {raw!r}")
    try:
        number = float(raw.strip().replace("_", " ") if isinstance(raw, str) else raw)  # Python would read 1_800
    except (TypeError, ValueError):
        raise RecalcError(f"{where} must be a number such as 1800 or 0.005 (no thousands separators), not {raw!r}") from None
    if not math.isfinite(number):
        raise RecalcError(f"{where} must be a finite number, not {raw!r}")
    return number


def _within(where: str, cell: NamedCell, number: float) -> None:
    """The bounds of the cell's own data validation (Excel would refuse the value too)."""
    if cell.kind == "whole" and not number.is_integer():
        raise RecalcError(f"{where} must be a whole number, not {number:g}")
    if cell.operator == "between" and len(cell.bounds) == 2 and not cell.bounds[0] <= number <= cell.bounds[1]:
        raise RecalcError(f"{where} must be between {cell.bounds[0]:g} and {cell.bounds[1]:g}, not {number:g}")
    if cell.operator in _COMPARE and cell.bounds:
        compare, symbol = _COMPARE[cell.operator]
        if not compare(number, cell.bounds[0]):
            raise RecalcError(f"{where} must be {symbol} {cell.bounds[0]:g}, not {number:g}")
