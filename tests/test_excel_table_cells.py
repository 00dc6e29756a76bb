"""A table a function returns, as the cells Excel gets: every kind of column, short and long, the table left as it was."""

import numpy as np
import pandas as pd
import pytest

from xlmargin.excel.convert import call, office_js_error


def table(n):
    return pd.DataFrame({
        "price": [1.5, np.nan, np.inf, -np.inf][:n] + [2.0] * max(0, n - 4),
        "count": np.arange(n),
        "flag": [True, False] * (n // 2) + [True] * (n % 2),
        "text": pd.Series(["a", None] * (n // 2) + ["b"] * (n % 2), dtype="str"),
    })


@pytest.mark.parametrize("n", [4, 41, 1_000])  # short, a ladder's 41 moves, long
def test_each_kind_of_column_becomes_its_cells(n):
    frame = table(n)
    before = frame.copy()
    cells = call(lambda x: frame, (1,), no_answer="no price")
    assert cells[0] == ["price", "count", "flag", "text"]
    assert cells[1] == [1.5, 0, True, "a"]
    assert cells[2] == ["#N/A no price", 1, False, "#N/A no price"]  # NaN, and an empty text, have no answer
    assert cells[3][0] == "#NUM! infinite" and cells[4][0] == "#NUM! infinite"
    assert len(cells) == n + 1
    if n > 4:
        assert cells[-1][:2] == [2.0, n - 1]
    assert all(type(row[0]) in (float, str) and type(row[1]) is int and type(row[2]) is bool for row in cells[1:])
    pd.testing.assert_frame_equal(frame, before)  # the table is not written over


def test_a_table_of_text_only_is_left_as_it_was():
    frame = pd.DataFrame({"a": np.array(["x", None], dtype=object), "b": np.array(["y", "z"], dtype=object)})
    before = frame.copy()
    cells = call(lambda x: frame, (1,))
    assert cells == [["a", "b"], ["x", "y"], ["#N/A no answer", "z"]]
    pd.testing.assert_frame_equal(frame, before)


def test_office_js_gets_error_values_in_a_table():
    cells = call(lambda x: table(4), (1,), error=office_js_error)
    assert cells[2][0] == {"type": "Error", "errorType": "NotAvailable"} and cells[3][0] == {"type": "Error", "errorType": "Num"}
