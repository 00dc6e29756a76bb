"""A function's result as Excel's cells: tables, Series and arrays, errors as the host shows them.

The numbers are the core's; only their form changes: a float column's finite
values are cells as they are, NaN and infinities become the host's error values,
and a table made as columns (:class:`~xlmargin.core.tables.Table`) becomes cells
without a DataFrame in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.tables import Table

if TYPE_CHECKING:
    from .convert import ErrorPolicy, _Blank


def result_cells(result: Any, blank: _Blank | None, no_answer: str, error: ErrorPolicy) -> list[list[Any]]:
    """A function's result as the rows of cells Excel shows: NaN as ``#N/A`` (``no_answer``), infinities as ``#NUM!``.

    A table spills with its header; a Series as label and value; an array over
    the shape of its arguments, with rows skipped as empty (``blank``) put back
    empty, as a table of one row per position is.
    """
    def cell(value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return error("#N/A", no_answer, False)
            if np.isinf(value):
                return error("#NUM!", "infinite", False)
            return float(value)
        if isinstance(value, np.integer):
            return int(value)
        return value

    def column(values: np.ndarray) -> list[Any]:  # floats in one step, specials one by one
        if values.dtype.kind != "f":
            return [cell(v) for v in values]
        cells = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)):
            cells[i] = cell(values[i])
        return cells

    if isinstance(result, float):  # one cell: the common case, kept short
        return [[cell(result)]]
    if isinstance(result, (Table, pd.DataFrame)):
        header, rows = header_and_rows(result, cell)
        per_position = result.one_row_per_position if isinstance(result, Table) else True
        if blank is not None and per_position and len(rows) == len(blank.keep):  # skipped rows stay empty
            rows = spaced(rows, blank, [""] * len(header))
        return [header] + rows
    if isinstance(result, pd.Series):
        return [[label, cell(v)] for label, v in result.items()]
    result = np.asarray(result)
    if result.ndim == 0 or blank is None:
        return [column(np.atleast_1d(row)) for row in np.atleast_2d(result)]
    values = column(result.ravel())
    if blank.shape[1] == 1:
        return spaced([[v] for v in values], blank, [""])
    out = np.full(int(np.prod(blank.shape)), "", dtype=object)
    out[blank.keep] = values
    return out.reshape(blank.shape).tolist()


def header_and_rows(table: Table | pd.DataFrame, cell: Callable[[Any], Any]) -> tuple[list[str], list[list[Any]]]:
    """A table's header and rows of cell values; a :class:`~xlmargin.core.tables.Table`'s made from its columns where they allow."""
    rows = columns_cells(table.columns, cell) if isinstance(table, Table) else None
    if rows is None:  # a DataFrame, or a Table with a column whose cells pandas decides: as its DataFrame
        table = table.to_frame() if isinstance(table, Table) else table
        rows = table_cells(table, cell)
    return list(table.columns), rows


def table_cells(table: pd.DataFrame, cell: Callable[[Any], Any]) -> list[list[Any]]:
    """A table's rows of cell values: all its values as Python objects in one step, then only the cells that need it.

    As Python objects, a float column's finite values, a text column's texts and every count and
    flag are cells already; a float column's NaN and infinities, a text column's missing values
    and every value of any other column go through ``cell``.
    """
    values = table.to_numpy(dtype=object, copy=True)  # never a view of the table: its cells are replaced here
    for k, dtype in enumerate(table.dtypes):
        column = values[:, k]
        if dtype.kind in "iub":  # Python ints and bools already
            continue
        if dtype.kind == "f":
            special = np.flatnonzero(~np.isfinite(column.astype(np.float64)))
        elif isinstance(dtype, pd.StringDtype):
            special = np.flatnonzero(pd.isna(column))
        else:
            special = range(len(column))
        for i in special:
            column[i] = cell(column[i])
    return values.tolist()


def columns_cells(columns: dict[str, np.ndarray], cell: Callable[[Any], Any]) -> list[list[Any]] | None:
    """A :class:`~xlmargin.core.tables.Table`'s rows of cell values, straight from its columns: :func:`table_cells` of its DataFrame.

    Counts, flags, numpy text and finite floats are cells as Python objects; a float column's NaN
    and infinities go through ``cell``. None for a table with any other column (an object column
    not all text, dates, ...) or columns of unequal length: what pandas makes of those decides.
    """
    cells, length = [], None
    for values in columns.values():
        if values.ndim != 1 or length not in (None, len(values)) or values.dtype.kind not in "iubfUO":
            return None
        length, column = len(values), values.tolist()
        if values.dtype.kind == "f":
            for i in np.flatnonzero(~np.isfinite(values)):
                column[i] = cell(values[i])
        elif values.dtype.kind == "O" and not all(type(v) is str for v in column):
            return None
        cells.append(column)
    return [list(row) for row in zip(*cells)]


def spaced(rows: list[list[Any]], blank: _Blank, empty: list[Any]) -> list[list[Any]]:
    """``rows`` back at the rows they came from; skipped rows are ``empty`` (one shared row, never changed)."""
    spaced = [empty] * int(np.prod(blank.shape))
    for i, row in zip(blank.keep.tolist(), rows):
        spaced[i] = row
    return spaced
