"""The Excel boundary: cell values in, cell values out, errors as Excel error values.

Everything Excel-specific about calling the core happens in :func:`excel_function`,
the one decorator every xlmargin UDF is made with:

* **Arguments** arrive from xlwings as 2-D lists of cell values (``ndim=2``). A
  1x1 range becomes a scalar; larger ranges become arrays that broadcast as in
  Excel. A range with 4 or 5 columns passed as ``mmr`` or ``tiers`` (more than
  one row, or a header row of text) is a tier table.
* **Empty cells.** A row whose ``size`` cell is empty (or, for functions with
  no ``size``, whose every range argument is empty) is skipped and gives an
  empty result cell, so one formula can cover a column with room to grow. Any
  other empty cell in a used row is an error naming the argument and row.
* **Omitted optional arguments.** Excel never leaves an argument out: Office.js
  sends ``null`` for an omitted one, the COM add-in VBA's missing value, and an
  empty cell is an empty value too. An optional argument that is omitted, an
  empty cell, or a range of empty cells takes its default.
* **Results** are 2-D lists that spill: a column for a column of positions, one
  cell for one position or an account total, a table for a comparison. A core
  function made with :func:`xlmargin.core.tables.returns_frame` is called for its
  ``table`` (columns of numpy arrays), whose cells are made without building the
  DataFrame that Python callers get: the same cells, at a fraction of the cost.
* **Errors.** Bad input is ``#VALUE!`` with the reason (``size must be a finite
  number > 0 (row 3)``); "no answer" (NaN in the core, such as no liquidation
  price) is ``#N/A``; an infinite ratio is ``#NUM!``. Never a traceback.
  In the Office.js runtimes (xlwings Server and Lite) bad input raises, which
  Excel shows as ``#VALUE!`` with the reason on hover, and ``#N/A``/``#NUM!``
  are real error values. Through the Windows COM add-in, where an exception
  would put a traceback in the cell, the cell shows the code and the reason
  as text: ``#VALUE! size must be ...``, ``#N/A no liquidation price``.
* **The host** (Office.js, COM, or plain Python) is decided once, when a function
  is defined, from the decorators xlwings picked at its import
  (:func:`xlwings_host`). A call changes no process-wide state (no warning
  filters, no environment): xlwings Server answers calls concurrently.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Mapping
from itertools import chain, compress, count, repeat
from typing import Any

import numpy as np
import xlwings as xw

from ..core.tiers import TierTable, consistent_maint_amounts
from ..errors import InputError, TierTableWarning, XlmarginError
from .cells import result_cells

TABLE_ARGUMENTS = ("mmr", "tiers")
OFFICE_JS, COM, PYTHON = "office.js", "com", "python"
REQUIRED = inspect.Parameter.empty


def xlwings_host() -> str:
    """The host whose decorators ``xlwings.func`` is: :data:`OFFICE_JS`, :data:`COM` or :data:`PYTHON`.

    xlwings chooses them once, when it is imported: the Office.js ones (xlwings Server and
    Lite) with ``XLWINGS_ON_SERVER=true``, the COM add-in's on Windows with pywin32, otherwise
    decorators that change nothing (the functions are then plain Python).
    """
    module = getattr(xw.func, "__module__", None) or ""
    if module.startswith("xlwings.pro") or module == "xlwings.server":
        return OFFICE_JS
    if module == "xlwings.udfs":
        return COM
    return PYTHON


# ---------------------------------------------------------------------------
# errors as each host shows them

ErrorPolicy = Callable[[str, str, bool], Any]
"""``policy(code, reason, whole)``: the cell value for an error, or raise. ``whole`` is true when
the whole call fails (bad input), false for one cell without an answer."""

# The error values xlwings' own Office.js conversion writes for these codes (errorstr_to_errortype).
_OFFICE_JS_ERRORS = {"#N/A": "NotAvailable", "#NUM!": "Num", "#VALUE!": "Value"}


def office_js_error(code: str, reason: str, whole: bool) -> Any:
    """Office.js (xlwings Server, Lite): raise for bad input (#VALUE! with the reason on hover), else the error value."""
    if whole:
        raise XlmarginError(reason) from None
    return {"type": "Error", "errorType": _OFFICE_JS_ERRORS[code]}


def text_error(code: str, reason: str, whole: bool) -> Any:
    """The COM add-in (and plain Python): the code and the reason as the cell's text; an exception would show a traceback."""
    text = f"{code} {reason}"
    return [[text]] if whole else text


ERROR_POLICIES: dict[str, ErrorPolicy] = {OFFICE_JS: office_js_error, COM: text_error, PYTHON: text_error}

# How each host hands the cells over and takes the result: Office.js as sent, untouched (xlwings'
# per-cell cleaning costs ~0.2 ms a cell outside Pyodide, and this module does its own); the COM
# add-in through xlwings' value conversion, 2-D lists with error cells as their codes.
_ARG_OPTIONS = {OFFICE_JS: {"convert": "raw"}, COM: {"ndim": 2, "err_to_str": True}, PYTHON: {}}
_RET_OPTIONS = {OFFICE_JS: {"convert": "raw"}, COM: {}, PYTHON: {}}


def excel_function(
    core: Callable[..., Any],
    description: str,
    arg_help: Mapping[str, str],
    no_answer: str = "no answer",
    module: str = "xlmargin.excel.udfs",
    host: str | None = None,
) -> Callable[..., Any]:
    """Make the Excel function for ``core``: its name in capitals, same arguments, same order.

    ``description`` is what Excel shows for the function, ``arg_help`` the
    help for each argument, ``no_answer`` what a NaN result means. ``host`` is
    where it runs (default: :func:`xlwings_host`, asked once, here); it fixes
    how cells arrive and how errors show.
    """
    host = xlwings_host() if host is None else host
    signature = inspect.signature(core)
    names = list(signature.parameters)
    missing = [n for n in names if n not in arg_help]
    if missing:
        raise KeyError(f"no argument help for {', '.join(missing)} of {core.__name__}")
    prepared, error = _prepared(core), ERROR_POLICIES[host]

    def udf(*args: Any) -> list[list[Any]]:
        return prepared(args, no_answer, error)

    udf.__name__ = udf.__qualname__ = core.__name__.upper()
    udf.__module__ = module
    udf.__doc__ = description
    udf.core, udf.no_answer, udf.host = core, no_answer, host  # for other hosts, such as the headless engine
    udf.__signature__ = signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    for name in names:
        udf = xw.arg(name, doc=arg_help[name], **_ARG_OPTIONS[host])(udf)
    if _RET_OPTIONS[host]:
        udf = xw.ret(**_RET_OPTIONS[host])(udf)
    return xw.func(udf)


def call(
    core: Callable[..., Any], args: tuple[Any, ...], no_answer: str = "no answer", error: ErrorPolicy = text_error
) -> Any:
    """Call ``core`` with Excel cell values (one value per argument, as a host passes them) and return cell values."""
    return _prepared(core)(args, no_answer, error)


# ---------------------------------------------------------------------------
# the call


class _Call:
    """A core function ready to be called with cell values: its arguments and their defaults, read once."""

    def __init__(self, core: Callable[..., Any]):
        self.core = getattr(core, "table", core)  # a table function's columns, without the DataFrame (core.tables)
        self.arguments = tuple((p.name, p.default) for p in inspect.signature(core).parameters.values())

    def __call__(self, args: tuple[Any, ...], no_answer: str, error: ErrorPolicy) -> Any:
        try:
            values = {name: _argument(name, default, a) for (name, default), a in zip(self.arguments, args)}
            values, blank = _skip_empty_rows(values)
            try:
                result = self.core(**values)
            except InputError as exc:
                where = blank.place(exc.row) if blank else (f" (row {exc.row})" if exc.row else "")
                raise XlmarginError(f"{exc.argument} {exc.reason}{where}") from None
            return result_cells(result, blank, no_answer, error)
        except XlmarginError as exc:
            return error("#VALUE!", str(exc), True)
        except Exception as exc:  # noqa: BLE001 - never a traceback in a cell
            return error("#VALUE!", f"unexpected {type(exc).__name__}: {exc}", True)


_prepared = functools.lru_cache(maxsize=None)(_Call)


class _Blank:
    """Rows skipped because they are empty, and how to put results back."""

    def __init__(self, shape: tuple[int, ...], keep: np.ndarray):
        self.shape, self.keep = shape, keep

    def place(self, row: int | None) -> str:
        """' (row r)' or ' (row r, column c)' of the original range, from a 1-based compacted row."""
        if row is None:
            return ""
        return _where(self.shape, int(self.keep[row - 1]))


def _where(shape: tuple[int, int], index: int) -> str:
    r, c = divmod(index, shape[1])
    return f" (row {r + 1})" if shape[1] == 1 else f" (row {r + 1}, column {c + 1})"


# ---------------------------------------------------------------------------
# arguments


def _argument(name: str, default: Any, value: Any) -> Any:
    """One argument as the core takes it: a scalar, a range of cells, a tier table, or the default."""
    if isinstance(value, (list, tuple)):
        rows = value if value and isinstance(value[0], (list, tuple)) else [value]  # a one-row range may come flat
        if len(rows) != 1 or len(rows[0]) != 1:
            return _range(name, default, rows)
        value = rows[0][0]
    if _is_empty(value):  # omitted, or an empty cell: Office.js null, COM's missing value, None
        if default is REQUIRED:
            raise XlmarginError(f"{name} is empty")
        return default
    code = _error_code(value)
    if code:
        raise XlmarginError(f"{name} holds the error {code}")
    return value


class _Range:
    """A range argument: its cells in row-major order and the positions of those that hold something.

    Finding the filled cells runs at C speed over the empty ones (``None``), so a whole column of
    a million rows with a few hundred filled costs little more than xlwings' hand-over.
    """

    __slots__ = ("cells", "filled", "name", "shape")

    def __init__(self, name: str, rows: list[Any]):
        width = max(map(len, rows)) if len(rows) < 2 or len(rows[0]) != 1 else 1
        if width == 1:
            cells = list(map(operator.itemgetter(0), rows)) if rows and rows[0] else []
        else:
            cells = list(chain.from_iterable(row if len(row) == width else [*row, *[None] * (width - len(row))] for row in rows))
        self.name, self.shape, self.cells = name, (len(rows), width), cells
        self.filled = [i for i in compress(count(), map(operator.is_not, cells, repeat(None))) if not _is_empty(cells[i])]
        for i in self.filled:
            code = _error_code(cells[i])
            if code:
                raise XlmarginError(f"{name} holds the error {code}{_where(self.shape, i)}")

    def broadcast(self, shape: tuple[int, int]) -> None:
        """Repeat the cells to ``shape`` (a column against a row, as in Excel)."""
        if shape == self.shape:
            return
        cells = np.empty(len(self.cells), dtype=object)
        cells[:] = self.cells
        filled = np.zeros(len(self.cells), dtype=bool)
        filled[self.filled] = True
        self.cells = np.broadcast_to(cells.reshape(self.shape), shape).ravel().tolist()
        self.filled = np.flatnonzero(np.broadcast_to(filled.reshape(self.shape), shape)).tolist()
        self.shape = shape


def _range(name: str, default: Any, rows: list[Any]) -> Any:
    cells = _Range(name, rows)
    if not cells.filled and default is not REQUIRED:  # an optional argument over empty cells: as if omitted
        return default
    if name in TABLE_ARGUMENTS and cells.shape[1] in (4, 5) and (cells.shape[0] > 1 or all(isinstance(v, str) for v in rows[0])):
        return _tier_table(name, rows)
    if name in TABLE_ARGUMENTS and _meant_as_table(_grid(rows)):
        raise XlmarginError(_table_shape_message(name, (len(rows), max(map(len, rows)))))
    return cells


def _grid(rows: list[Any]) -> np.ndarray:
    """A range's cells as a 2-D object array (short rows padded with empty cells)."""
    grid = np.full((len(rows), max(map(len, rows), default=0)), None, dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


def _tier_table(name: str, rows: list[Any]) -> TierTable:
    """A tier table from a range; one whose amounts make maintenance margin jump is an error (no one sees a warning in a cell)."""
    try:
        table = TierTable.from_rows([list(row) for row in rows])
    except TierTableWarning as warning:  # the application turned the warning into an error (a warnings filter)
        reason = str(warning).split(": ", 1)[-1]
    except InputError as exc:
        raise XlmarginError(f"{name} (tier table) {exc.reason}" + (f" (row {exc.row})" if exc.row else "")) from None
    else:
        if table.continuous:
            return table
        reason = jump_reason(table)
    raise XlmarginError(f"{name} (tier table): {reason} (leave maint_amount empty to have consistent amounts rebuilt)")


def jump_reason(table: TierTable) -> str:
    """Where a tier table's maintenance amounts make maintenance margin jump, in the words of its TierTableWarning."""
    floor, amount = table.notional_floor, table.maint_amount
    expected = consistent_maint_amounts(floor, table.mmr, amount[0])
    jump = amount - expected
    i = int(np.argmax(np.abs(jump) > 1e-9 * np.maximum(1.0, floor * table.mmr)))
    return (f"maintenance margin jumps by {-jump[i]:g} at notional {floor[i]:g} (tier {i + 1}); "
            f"a consistent maint_amount there is {expected[i]:g}")


ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA"))


def _error_code(value: Any) -> str | None:
    """The Excel error a cell holds: an error object (Office.js), a code string (COM add-in), else None."""
    if type(value) is dict and value.get("type") == "Error":
        return str(value.get("basicValue") or value.get("errorType") or "#VALUE!")
    if type(value) is str and value.strip() in ERROR_CODES:
        return value.strip()
    return None


def _meant_as_table(cells: np.ndarray) -> bool:
    """A 2-D range of the wrong width that cannot be rates: amounts (>= 1) or a header row of text in it."""
    if min(cells.shape) < 2:
        return False
    header = all(isinstance(v, str) for v in cells[0])
    amounts = any(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1 for v in cells.ravel())
    return header or amounts


def _table_shape_message(name: str, shape: tuple[int, ...]) -> str:
    rows, columns = shape
    message = (f"{name} looks like a tier table but has {columns} columns: a tier table has one row per tier and "
               "4 or 5 columns, in this order: notional_floor, notional_cap, max_leverage, mmr, maint_amount "
               "(maint_amount may be left out)")
    if rows in (4, 5):
        message += f"; this range has {rows} rows, so it may be transposed (tiers in columns): use TRANSPOSE() or lay it out in rows"
    return message


def _is_empty(value: Any) -> bool:
    """An empty cell: None, blank text, or Pyodide's JsNull (how xlwings Lite sends empty cells)."""
    return value is None or (type(value) is str and not value.strip()) or type(value).__name__ == "JsNull"


def _skip_empty_rows(values: dict[str, Any]) -> tuple[dict[str, Any], _Blank | None]:
    ranges = {n: v for n, v in values.items() if isinstance(v, _Range)}
    if not ranges:
        return values, None
    try:
        shape = np.broadcast_shapes(*(r.shape for r in ranges.values()))
    except ValueError:
        sizes = ", ".join(f"{n} {r.shape[0]}x{r.shape[1]}" for n, r in ranges.items())
        raise XlmarginError(f"ranges do not fit together: {sizes}") from None
    for r in ranges.values():
        r.broadcast(shape)
    if "size" in ranges:
        keep = ranges["size"].filled
    else:
        keep = sorted(set().union(*(r.filled for r in ranges.values())))
    blank = _Blank(shape, np.asarray(keep, dtype=np.intp))
    for name, r in ranges.items():
        if r.filled is not keep:
            filled = set(r.filled)
            hole = next((k for k, i in enumerate(keep) if i not in filled), None)
            if hole is not None:
                raise XlmarginError(f"{name} is empty{blank.place(hole + 1)}")
        used = np.empty(len(keep), dtype=object)
        used[:] = [r.cells[i] for i in keep]
        values[name] = used
    return values, blank


# ---------------------------------------------------------------------------
# results
