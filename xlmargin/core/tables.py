"""A function's table as columns: computed once, a DataFrame for Python, cells for Excel without pandas in between.

A function written with :func:`returns_frame` computes a :class:`Table` (its
columns as numpy arrays); called from Python it returns that table as a
DataFrame, as its documentation says. The Excel layer calls the function's
``table`` (the same function, before the DataFrame) and makes the cells
straight from the columns: building a small DataFrame and taking it apart again
costs a single-cell call about as much as xlwings' own call path.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


class Table:
    """Columns of equal length, by name, in order: what a table function computes.

    Parameters
    ----------
    columns : dict of str to 1-D numpy array
        The table's columns, each one value per row (the table owns them).
    one_row_per_position : bool, default True
        Whether each row belongs to one position of the arguments (so that the
        Excel layer puts it back at the row it came from when empty rows were
        skipped); False for rows of another kind, such as a ladder's moves.

    Examples
    --------
    >>> Table({"price": np.array([1.5, 2.0]), "fits": np.array([True, False])}).to_frame().to_dict("list")
    {'price': [1.5, 2.0], 'fits': [True, False]}
    """

    __slots__ = ("columns", "one_row_per_position")

    def __init__(self, columns: dict[str, np.ndarray], one_row_per_position: bool = True):
        self.columns, self.one_row_per_position = columns, one_row_per_position

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame, its columns in order."""
        return pd.DataFrame(self.columns)


def returns_frame(table_function: Callable[..., Table]) -> Callable[..., pd.DataFrame]:
    """The function of the same arguments and documentation that returns ``table_function``'s :class:`Table` as a DataFrame.

    ``table_function`` itself stays reachable as the result's ``table`` (the
    Excel layer calls that one).
    """
    @functools.wraps(table_function)
    def frame(*args: Any, **kwargs: Any) -> pd.DataFrame:
        return table_function(*args, **kwargs).to_frame()

    frame.__signature__ = inspect.signature(table_function).replace(return_annotation="pd.DataFrame")
    frame.table = table_function
    return frame
