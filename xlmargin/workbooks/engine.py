"""Headless recalculation: a real Excel formula engine with xlmargin's functions in it.

The engine is `formulas` (PyPI; EUPL). Each Excel function of
:mod:`xlmargin.excel.udfs` is registered under every spelling a workbook may
store it with (``ISOLATED_LIQ_PRICE``, and ``_XLDUDF_ISOLATED_LIQ_PRICE`` as
Excel saves Office.js custom functions) and goes through the same cell-value
boundary as in Excel (:func:`xlmargin.excel.convert.call`). Errors become the
engine's own error values, so ``#N/A`` and ``#VALUE!`` behave as in Excel.

Starting fast is part of the job (``xlmargin recalc`` is one short process):
the Excel layer (and xlwings) is imported only when a cell that calls one of
xlmargin's functions is evaluated, scipy only when a formula needs it, and a
workbook is read once and compiled only as far as the cells asked for: the
named cells and what they depend on, or every formula cell.

>>> book = RecalcBook(template_path("w2_isolated_vs_cross"))
>>> round(book.calculate({"MARK_PRICE": 45_000})["CROSS_LIQ_PRICE"], 2)
40201.01
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import inspect
import os
import re
import sys
import types
from pathlib import Path
from typing import Any

import formulas
import formulas.excel
import numpy as np
import openpyxl
import schedula as sh
import tqdm
from formulas.excel.xlreader import load_workbook as _read_workbook
from formulas.functions import Array, Error, get_error, wrap_ranges_func

from ..excel import FUNCTIONS
from ..errors import XlmarginError
from .shipped import template_folder, template_path

__all__ = ["RecalcBook", "RecalcError", "register_functions", "template_folder", "template_path"]


# formulas draws a progress bar while it compiles a workbook; keep the command line's output clean
formulas.excel.tqdm = type("_quiet_tqdm", (), {"tqdm": staticmethod(functools.partial(tqdm.tqdm, disable=True))})


class RecalcError(XlmarginError):
    """A workbook cannot be recalculated: an unknown name, or a formula the engine cannot evaluate."""


# ---------------------------------------------------------------------------
# formulas' own functions, without importing scipy before a formula needs it

SCIPY_AT_IMPORT = ("scipy.stats", "scipy.linalg", "scipy.interpolate")
"""The scipy modules formulas' statistical functions import when they load (formulas 1.3: ~1 s, for KURT,
NORM.INV and the like; MIN, MAX or SMALL need none of it)."""


class _Later:
    """An object of a scipy module, imported the first time it is called or looked into."""

    __slots__ = ("_module", "_name")

    def __init__(self, module: str, name: str):
        self._module, self._name = module, name

    def _real(self) -> Any:
        return getattr(importlib.import_module(self._module), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._real(), attr)


class _StandIn(types.ModuleType):
    """Stands in for a scipy module while formulas' functions load; afterwards it forwards to the real module."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:  # still loading formulas: ``from scipy.x import name``
            return _Later(self.__name__, name)
        return getattr(importlib.import_module(self.__name__), name)


def _function_table() -> dict[str, Any]:
    """formulas' table of Excel functions (loaded once), with scipy imported only when a function uses it."""
    stand_ins = {name: _StandIn(name) for name in SCIPY_AT_IMPORT if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        return formulas.get_functions()
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


# ---------------------------------------------------------------------------
# xlmargin's functions inside the engine

ADD_IN_FUNCTIONS = FUNCTIONS
"""xlmargin's Excel functions, named as :mod:`xlmargin.excel.udfs` names them, known without importing xlwings."""

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


@functools.cache
def _add_in(name: str) -> Any:
    """xlmargin's Excel function ``name`` as the engine calls it; the first one imports the Excel layer."""
    from ..excel import udfs
    from ..excel.convert import call

    udf = getattr(udfs, name)
    arity = len(inspect.signature(udf).parameters)

    def run(args: tuple[Any, ...]) -> Any:
        # Excel passes every argument of the function, an omitted one as an empty value (Office.js:
        # null; the COM add-in: VBA's missing value): never fewer arguments than the function has.
        cells = tuple(_from_engine(a) for a in args) + (None,) * (arity - len(args))
        return _to_engine(call(udf.core, cells, udf.no_answer, _engine_error))

    return run


def _engine_function(name: str) -> Any:
    def evaluate(*args: Any) -> Any:
        error = get_error(*args)  # an error in an argument propagates, as in Excel
        if error:
            return error
        return _add_in(name)(args)

    return wrap_ranges_func(evaluate)


@functools.cache
def register_functions() -> tuple[str, ...]:
    """Put xlmargin's functions into the engine (once); returns the names registered."""
    functions = _function_table()
    names = []
    for name, fn in [*((name, _engine_function(name)) for name in ADD_IN_FUNCTIONS), ("MARK_PRICE", _no_live_price)]:
        for spelling in (name, f"_XLDUDF_{name}"):
            functions[spelling] = fn
            names.append(spelling)
    return tuple(names)


@wrap_ranges_func
def _no_live_price(*args: Any) -> Any:
    """MARK_PRICE (xlmargin[live]) in the headless engine: no live price (#N/A); it never calls an exchange."""
    return _engine_error("#N/A", "the headless engine fetches no live prices (MARK_PRICE): a workbook uses its typed ones", False)


# ---------------------------------------------------------------------------
# a workbook


@contextlib.contextmanager
def collector_paused() -> Any:
    """Python's cyclic garbage collector paused while a workbook is read, compiled or calculated.

    Each allocates many objects in a burst (some 100,000 to read and compile a template), and
    each burst made the collector scan the heap again, the imports' objects included: about a
    quarter of the time of ``xlmargin recalc``. Nothing is kept longer than the step: the
    collector runs again as soon as it ends, and a caller's own choice (collector off) is kept.
    Also a decorator (``@collector_paused()``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()



def _defined_names(book: openpyxl.Workbook) -> dict[str, tuple[str, str]]:
    """Workbook-scoped defined names that point at one cell: NAME -> (sheet, A1 cell)."""
    names = {}
    for name, definition in book.defined_names.items():
        destinations = list(definition.destinations)
        if len(destinations) == 1 and ":" not in destinations[0][1]:
            sheet, cell = destinations[0]
            names[name.upper()] = (sheet, cell.replace("$", ""))
    return names


def load_workbook(path: Path) -> openpyxl.Workbook:
    """The workbook at ``path`` (formulas as text); :class:`RecalcError` if it is not an .xlsx workbook.

    It is read as the formula engine reads it (openpyxl, dates as serial numbers), so that one
    reading serves the engine, the named cells and the check of the formulas.
    """
    try:
        return _read_workbook(str(path), data_only=False)
    except Exception as exc:  # a file that is not a workbook fails in many ways (BadZipFile, KeyError, XML errors)
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise RecalcError(f"{Path(path).name}: not an .xlsx workbook ({type(exc).__name__}{': ' * bool(reason)}{reason})") from None


def check_formulas(book: openpyxl.Workbook) -> None:
    """Every function a formula calls must be one the engine knows; :class:`RecalcError` names the first that is not."""
    register_functions()
    known = formulas.get_functions()
    for sheet, cell in _formula_cells(book):
        for fn in re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", cell.value):
            if fn.upper() not in known or known[fn.upper()] is None:
                raise RecalcError(f"{sheet.title}!{cell.coordinate}: the formula engine cannot evaluate {fn}() in {cell.value}")


def _formula_cells(book: openpyxl.Workbook) -> list[tuple[Any, Any]]:
    """(sheet, cell) of every cell holding a formula."""
    return [(sheet, cell) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str) and cell.value.startswith("=")]


class RecalcBook:
    """A workbook loaded into the engine, recalculated by defined name.

    The file is read once, here; its formulas are compiled on the first
    :meth:`calculate`, only as far as it needs: the named cells and the cells
    they depend on, or (``all_cells``) every formula cell.

    Parameters
    ----------
    path : path-like
        An .xlsx file. It is only read.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.is_file():
            raise RecalcError(f"{self.path}: no such workbook")
        with collector_paused():
            self.workbook = load_workbook(self.path)
            """The workbook as read (openpyxl, formulas as text): its names, validations and formulas."""
            check_formulas(self.workbook)
        self.names = _defined_names(self.workbook)
        self.formula_cells = frozenset((sheet.title, cell.coordinate) for sheet, cell in _formula_cells(self.workbook))
        """(sheet, A1) of every formula cell."""
        self._book = self.path.name
        self.model = formulas.ExcelModel()
        # hand the engine the workbook already read (its books are keyed by the file's name in capitals);
        # were that to change in a later formulas, it would read the file again, no more
        self.model.books[self._book.upper()] = {formulas.excel.BOOK: self.workbook}
        self._compiled: set[str] | None = None  # the engine's names of the cells compiled so far

    def key(self, sheet: str, cell: str) -> str:
        """The engine's name for a cell."""
        return f"'[{self._book}]{sheet}'!{cell.upper()}"

    def _compile(self, cells: Any) -> None:
        """Compile the named cells and ``cells`` ((sheet, A1) pairs), with every cell they depend on (once each)."""
        wanted = {self.key(*where) for where in cells} - (self._compiled or set())
        if self._compiled is not None and not wanted:
            return
        try:
            with collector_paused():
                if self._compiled is None:
                    self.model.add_book(str(self.path))  # the defined names, each to be compiled with its cell
                    self._compiled = set()
                self.model.complete(sorted(wanted))
                self.model.finish()  # what the names and ``cells`` depend on, ranges assembled
        except Exception as exc:
            raise RecalcError(f"{self.path.name}: the formula engine cannot load it: {exc}") from None
        self._compiled |= wanted

    def calculate(self, inputs: dict[str, Any] | None = None, all_cells: bool = False) -> dict[str, Any]:
        """Recalculate with ``inputs`` (defined name -> value); return every named cell's value.

        Only what the named cells depend on is recalculated, unless ``all_cells``
        (every formula cell: needed before :meth:`cell_values`). Error values
        come back as their text (``"#N/A"``).
        """
        engine_inputs = {}
        for name, value in (inputs or {}).items():
            if name.upper() not in self.names:
                raise RecalcError(f"{self.path.name} has no defined name {name}; names: {', '.join(sorted(self.names))}")
            engine_inputs[self.key(*self.names[name.upper()])] = value
        self._compile(self.formula_cells if all_cells else ())
        outputs = None if all_cells else [self.key(*where) for where in self.names.values()]
        REASONS.clear()
        with collector_paused():
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
