"""Headless recalculation: a real Excel formula engine with xlmargin's functions in it.

The engine is `formulas` (PyPI; EUPL). Each Excel function of
:mod:`xlmargin.excel.udfs` is registered under every spelling a workbook may
store it with (``ISOLATED_LIQ_PRICE``, and ``_XLDUDF_ISOLATED_LIQ_PRICE`` as
Excel saves Office.js custom functions) and goes through the same cell-value
boundary as in Excel (:func:`xlmargin.excel.convert.call`). Errors become the
engine's own error values, so ``#N/A`` and ``#VALUE!`` behave as in Excel.

>>> book = RecalcBook(template_path("w2_isolated_vs_cross"))
>>> round(book.calculate({"MARK_PRICE": 45_000})["CROSS_LIQ_PRICE"], 2)
40201.01
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import formulas
import formulas.excel
import numpy as np
import tqdm
import openpyxl
import schedula as sh
from formulas.functions import Array, Error, get_error, wrap_ranges_func

from ..errors import XlmarginError
from ..excel import udfs
from ..excel.convert import call
from .shipped import template_folder, template_path

__all__ = ["RecalcBook", "RecalcError", "register_functions", "template_folder", "template_path"]


# formulas draws a progress bar while it compiles a workbook; keep the command line's output clean
formulas.excel.tqdm = type("_quiet_tqdm", (), {"tqdm": staticmethod(functools.partial(tqdm.tqdm, disable=True))})


class RecalcError(XlmarginError):
    """A workbook cannot be recalculated: an unknown name, or a formula the engine cannot evaluate."""


# ---------------------------------------------------------------------------
# xlmargin's functions inside the engine


REASONS: list[tuple[str, str]] = []
"""(code, reason) of every error xlmargin's functions returned in the current calculation, in order."""


def _engine_error(code: str, reason: str, whole: bool) -> Any:
    REASONS.append((code, reason))
    error = Error.errors[code]
    return [[error]] if whole else error


def _from_engine(value: Any) -> Any:
    """An engine argument as xlwings would pass it: a scalar or a 2-D list, None for empty."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            value = value.item()
        else:
            return [[None if c is sh.EMPTY else c for c in row] for row in np.atleast_2d(value).tolist()]
    return None if value is sh.EMPTY else value


def _to_engine(cells: list[list[Any]]) -> Any:
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    width = max(len(row) for row in cells)
    return np.array([row + [""] * (width - len(row)) for row in cells], dtype=object).view(Array)


def _engine_function(udf: Any) -> Any:
    def evaluate(*args: Any) -> Any:
        error = get_error(*args)  # an error in an argument propagates, as in Excel
        if error:
            return error
        return _to_engine(call(udf.core, tuple(_from_engine(a) for a in args), udf.no_answer, _engine_error))

    return wrap_ranges_func(evaluate)


@functools.cache
def register_functions() -> tuple[str, ...]:
    """Put xlmargin's functions into the engine (once); returns the names registered."""
    functions = formulas.get_functions()
    names = []
    for name in udfs.__all__:
        fn = _engine_function(getattr(udfs, name))
        for spelling in (name, f"_XLDUDF_{name}"):
            functions[spelling] = fn
            names.append(spelling)
    return tuple(names)


# ---------------------------------------------------------------------------
# a workbook


def _defined_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-scoped defined names that point at one cell: NAME -> (sheet, A1 cell)."""
    book = load_workbook(path)
    names = {}
    for name, definition in book.defined_names.items():
        destinations = list(definition.destinations)
        if len(destinations) == 1 and ":" not in destinations[0][1]:
            sheet, cell = destinations[0]
            names[name.upper()] = (sheet, cell.replace("$", ""))
    return names


def load_workbook(path: Path) -> openpyxl.Workbook:
    """The workbook at ``path`` (formulas as text); :class:`RecalcError` if it is not an .xlsx workbook."""
    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=False, keep_links=False)
    except Exception as exc:  # a file that is not a workbook fails in many ways (BadZipFile, KeyError, XML errors)
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise RecalcError(f"{Path(path).name}: not an .xlsx workbook ({type(exc).__name__}{': ' * bool(reason)}{reason})") from None


def check_formulas(book: openpyxl.Workbook) -> None:
    """Every function a formula calls must be one the engine knows; :class:`RecalcError` names the first that is not."""
    register_functions()
    known = formulas.get_functions()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    for fn in re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", cell.value):
                        if fn.upper() not in known or known[fn.upper()] is None:
                            raise RecalcError(
                                f"{sheet.title}!{cell.coordinate}: the formula engine cannot evaluate {fn}() in {cell.value}"
                            )


class RecalcBook:
    """A workbook loaded into the engine, recalculated by defined name.

    Parameters
    ----------
    path : path-like
        An .xlsx file. It is only read.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.is_file():
            raise RecalcError(f"{self.path}: no such workbook")
        register_functions()
        self.names = _defined_names(self.path)
        try:
            self.model = formulas.ExcelModel().loads(str(self.path)).finish()
        except Exception as exc:
            raise RecalcError(f"{self.path.name}: the formula engine cannot load it: {exc}") from None
        self._book = self.path.name
        self._check_formulas()

    def key(self, sheet: str, cell: str) -> str:
        """The engine's name for a cell."""
        return f"'[{self._book}]{sheet}'!{cell.upper()}"

    def _check_formulas(self) -> None:
        check_formulas(load_workbook(self.path))

    def calculate(self, inputs: dict[str, Any] | None = None, all_cells: bool = False) -> dict[str, Any]:
        """Recalculate with ``inputs`` (defined name -> value); return every named cell's value.

        Only what the named cells depend on is recalculated, unless ``all_cells``
        (needed before :meth:`cell_values`). Error values come back as their
        text (``"#N/A"``).
        """
        engine_inputs = {}
        for name, value in (inputs or {}).items():
            if name.upper() not in self.names:
                raise RecalcError(f"{self.path.name} has no defined name {name}; names: {', '.join(sorted(self.names))}")
            engine_inputs[self.key(*self.names[name.upper()])] = value
        outputs = None if all_cells else [self.key(*where) for where in self.names.values()]
        REASONS.clear()
        self.solution = self.model.calculate(inputs=engine_inputs, outputs=outputs)
        self.reasons = list(REASONS)  # why xlmargin's functions returned errors, in order
        return {name: self.value(*where) for name, where in sorted(self.names.items())}

    def value(self, sheet: str, cell: str) -> Any:
        """The value of one cell in the last calculation."""
        found = self.solution.get(self.key(sheet, cell), sh.NONE)
        if found is sh.NONE:
            return None
        value = getattr(found, "value", found)
        value = np.asarray(value, dtype=object).ravel()[0] if isinstance(value, np.ndarray) else value
        return _plain(value)

    def cell_values(self) -> dict[tuple[str, str], Any]:
        """Every calculated cell of the last calculation: (sheet, A1) -> value."""
        pattern = re.compile(r"^'\[(?P<book>[^\]]+)\](?P<sheet>[^']+)'!(?P<cell>[A-Z]+[0-9]+)$")
        out = {}
        for key, found in self.solution.items():
            match = pattern.match(key)
            if match and match["book"] == self._book:
                value = getattr(found, "value", found)
                value = np.asarray(value, dtype=object).ravel()[0] if isinstance(value, np.ndarray) else value
                out[(match["sheet"], match["cell"])] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    """An engine value as a plain Python value; errors as their text."""
    if value is sh.EMPTY or value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, np.floating)):
        return float(value)
    if type(value).__name__ == "XlError":
        return str(value)
    return value
