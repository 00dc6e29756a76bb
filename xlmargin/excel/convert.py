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
  other empty cell in a used row is an error naming the argument and row. An
  omitted optional argument takes its default.
* **Results** are 2-D lists that spill: a column for a column of positions, one
  cell for one position or an account total, a table for a comparison.
* **Errors.** Bad input is ``#VALUE!`` with the reason (``size must be a finite
  number > 0 (row 3)``); "no answer" (NaN in the core, such as no liquidation
  price) is ``#N/A``; an infinite ratio is ``#NUM!``. Never a traceback.
  In the Office.js runtimes (xlwings Server and Lite) bad input raises, which
  Excel shows as ``#VALUE!`` with the reason on hover, and ``#N/A``/``#NUM!``
  are real error values. Through the Windows COM add-in, where an exception
  would put a traceback in the cell, the cell shows the code and the reason
  as text: ``#VALUE! size must be ...``, ``#N/A no liquidation price``.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..errors import InputError, TierTableWarning, XlmarginError
from ..core.tiers import TierTable

TABLE_ARGUMENTS = ("mmr", "tiers")


def office_js() -> bool:
    """True in xlwings Server and xlwings Lite (the Office.js runtimes), as xlwings decides."""
    return os.environ.get("XLWINGS_ON_SERVER") == "true"


def excel_function(
    core: Callable[..., Any],
    description: str,
    arg_help: Mapping[str, str],
    no_answer: str = "no answer",
    module: str = "xlmargin.excel.udfs",
) -> Callable[..., Any]:
    """Make the Excel function for ``core``: its name in capitals, same arguments, same order.

    ``description`` is what Excel shows for the function, ``arg_help`` the
    help for each argument, ``no_answer`` what a NaN result means.
    """
    signature = inspect.signature(core)
    names = list(signature.parameters)
    missing = [n for n in names if n not in arg_help]
    if missing:
        raise KeyError(f"no argument help for {', '.join(missing)} of {core.__name__}")

    def udf(*args: Any) -> list[list[Any]]:
        return call(core, args, no_answer)

    udf.__name__ = udf.__qualname__ = core.__name__.upper()
    udf.__module__ = module
    udf.__doc__ = description
    udf.core, udf.no_answer = core, no_answer  # for other hosts, such as the headless engine
    udf.__signature__ = signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    # Office.js: take the cells as sent (xlwings' per-cell cleaning costs ~0.2 ms a cell outside
    # Pyodide); the Windows add-in: xlwings' values as 2-D lists, cell errors as their codes.
    options = {"convert": "raw"} if office_js() else {"ndim": 2, "err_to_str": True}
    for name in names:
        udf = xw.arg(name, doc=arg_help[name], **options)(udf)
    return xw.func(udf)


# ---------------------------------------------------------------------------
# the call


class _Blank:
    """Rows skipped because they are empty, and how to put results back."""

    def __init__(self, shape: tuple[int, ...], keep: np.ndarray):
        self.shape, self.keep = shape, keep

    def place(self, row: int | None) -> str:
        """' (row r)' or ' (row r, column c)' of the original range, from a 1-based compacted row."""
        if row is None:
            return ""
        r, c = np.unravel_index(self.keep[row - 1], self.shape) if len(self.shape) == 2 else (self.keep[row - 1], 0)
        return f" (row {r + 1})" if len(self.shape) < 2 or self.shape[1] == 1 else f" (row {r + 1}, column {c + 1})"


ErrorPolicy = Callable[[str, str, bool], Any]
"""``policy(code, reason, whole)``: the cell value for an error, or raise. ``whole`` is true when
the whole call fails (bad input), false for one cell without an answer."""


def runtime_error(code: str, reason: str, whole: bool) -> Any:
    """Errors as the xlwings runtime in use shows them best (see the module docstring)."""
    if office_js():
        if whole:
            raise XlmarginError(reason) from None
        return code
    text = f"{code} {reason}"
    return [[text]] if whole else text


def call(
    core: Callable[..., Any], args: tuple[Any, ...], no_answer: str = "no answer", error: ErrorPolicy = runtime_error
) -> Any:
    """Call ``core`` with Excel cell values (as xlwings passes them) and return cell values."""
    names = list(inspect.signature(core).parameters)
    try:
        with warnings.catch_warnings():
            # a tier table that makes maintenance margin jump is an error in a cell: no one would see a warning
            warnings.simplefilter("error", TierTableWarning)
            try:
                values = dict(zip(names, (_argument(n, a) for n, a in zip(names, args))))
            except TierTableWarning as warning:
                raise XlmarginError(f"{warning} (leave maint_amount empty to have consistent amounts rebuilt)") from None
        values, blank = _skip_empty_rows(values)
        try:
            result = core(**values)
        except InputError as exc:
            where = blank.place(exc.row) if blank else (f" (row {exc.row})" if exc.row else "")
            raise XlmarginError(f"{exc.argument} {exc.reason}{where}") from None
        return _cells(result, blank, no_answer, error)
    except XlmarginError as exc:
        return error("#VALUE!", str(exc), True)
    except Exception as exc:  # never a traceback in a cell
        return error("#VALUE!", f"unexpected {type(exc).__name__}: {exc}", True)


def _argument(name: str, value: Any) -> Any:
    """One argument as the core takes it: a scalar, an object array, or a tier table."""
    if isinstance(value, (list, tuple)):
        if not any(isinstance(row, (list, tuple)) for row in value):
            value = [value]  # xlwings hands a one-row range over as a flat list
        cells = np.empty((len(value), max((len(r) for r in value), default=0)), dtype=object)
        for i, row in enumerate(value):
            cells[i, : len(row)] = row
        _refuse_error_cells(name, cells)
        if name in TABLE_ARGUMENTS and _looks_like_table(cells):
            try:
                return TierTable.from_rows(cells.tolist())
            except InputError as exc:
                raise XlmarginError(f"{name} (tier table) {exc.reason}" + (f" (row {exc.row})" if exc.row else "")) from None
        if name in TABLE_ARGUMENTS and _meant_as_table(cells):
            raise XlmarginError(_table_shape_message(name, cells.shape))
        value = cells[0, 0] if cells.shape == (1, 1) else cells
    else:
        _refuse_error_cells(name, np.array([[value]], dtype=object))
    if _is_empty(value):
        raise XlmarginError(f"{name} is empty")
    return value


ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")


def _error_code(value: Any) -> str | None:
    """The Excel error a cell holds: a code string (COM add-in) or an error dict (Office.js)."""
    if isinstance(value, dict) and value.get("type") == "Error":
        return str(value.get("basicValue") or value.get("errorType") or "#VALUE!")
    if isinstance(value, str) and value.strip() in ERROR_CODES:
        return value.strip()
    return None


def _refuse_error_cells(name: str, cells: np.ndarray) -> None:
    for (r, c), value in np.ndenumerate(cells):
        code = _error_code(value)
        if code:
            where = f"row {r + 1}" if cells.shape[1] == 1 else f"row {r + 1}, column {c + 1}"
            raise XlmarginError(f"{name} holds the error {code} ({where})")


def _looks_like_table(cells: np.ndarray) -> bool:
    return cells.shape[1] in (4, 5) and (cells.shape[0] > 1 or all(isinstance(v, str) for v in cells[0]))


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
    return value is None or (isinstance(value, str) and not value.strip()) or type(value).__name__ == "JsNull"


_empty = np.frompyfunc(_is_empty, 1, 1)


def _skip_empty_rows(values: dict[str, Any]) -> tuple[dict[str, Any], _Blank | None]:
    ranges = {n: v for n, v in values.items() if isinstance(v, np.ndarray)}
    if not ranges:
        return values, None
    try:
        shape = np.broadcast_shapes(*(v.shape for v in ranges.values()))
    except ValueError:
        sizes = ", ".join(f"{n} {v.shape[0]}x{v.shape[1]}" for n, v in ranges.items())
        raise XlmarginError(f"ranges do not fit together: {sizes}") from None
    flat = {n: np.broadcast_to(v, shape).ravel() for n, v in ranges.items()}
    if "size" in flat:
        empty = _empty(flat["size"]).astype(bool)
    else:
        empty = np.logical_and.reduce([_empty(v).astype(bool) for v in flat.values()])
    keep = np.flatnonzero(~empty)
    blank = _Blank(shape, keep)
    for name, column in flat.items():
        used = column[keep]
        holes = _empty(used).astype(bool)
        if holes.any():
            raise XlmarginError(f"{name} is empty{blank.place(int(np.argmax(holes)) + 1)}")
        values[name] = used
    return values, blank


# ---------------------------------------------------------------------------
# results


def _cells(result: Any, blank: _Blank | None, no_answer: str, error: ErrorPolicy) -> list[list[Any]]:
    def cell(value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return error("#N/A", no_answer, False)
            if np.isinf(value):
                return error("#NUM!", "infinite", False)
            return float(value)
        return value

    def column(values: np.ndarray) -> list[Any]:  # floats in one step, specials one by one
        if values.dtype.kind != "f":
            return [cell(v) for v in values]
        cells = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)):
            cells[i] = cell(values[i])
        return cells

    if isinstance(result, pd.DataFrame):
        rows = [[cell(v) for v in row] for row in result.itertuples(index=False)]
        if blank is not None and len(rows) == len(blank.keep):  # one row per position: skipped rows stay empty
            spaced = [[""] * len(result.columns) for _ in range(int(np.prod(blank.shape)))]
            for i, row in zip(blank.keep, rows):
                spaced[i] = row
            rows = spaced
        return [list(result.columns)] + rows
    if isinstance(result, pd.Series):
        return [[label, cell(v)] for label, v in result.items()]
    result = np.asarray(result)
    if result.ndim == 0 or blank is None:
        return [column(np.atleast_1d(row)) for row in np.atleast_2d(result)]
    out = np.full(int(np.prod(blank.shape)), "", dtype=object)
    out[blank.keep] = column(result.ravel())
    return out.reshape(blank.shape if len(blank.shape) == 2 else (-1, 1)).tolist()
