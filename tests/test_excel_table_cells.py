"""A table a function returns, as the cells Excel gets: every kind of column, short and long, the table left as it was."""

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin.core.tables import Table
from xlmargin.errors import XlmarginError
from xlmargin.excel import udfs
from xlmargin.excel.cells import columns_cells
from xlmargin.excel.convert import call, office_js_error, text_error


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


# ---------------------------------------------------------------------------
# a Table (core.tables): its cells made from its columns, without pandas, are its DataFrame's cells

FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0]))
TEXT = st.text(max_size=3)
COLUMN_KINDS = {  # how each kind of column is drawn, n values, as a numpy array
    "float": lambda n: st.lists(FLOATS, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=float)),
    "float32": lambda n: st.lists(st.floats(width=32), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float32)),
    "int": lambda n: st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64)),
    "uint": lambda n: st.lists(st.integers(0, 255), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.uint8)),
    "bool": lambda n: st.lists(st.booleans(), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=bool)),
    "numpy text": lambda n: st.lists(TEXT, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=str if v else "<U1")),
    "object text": lambda n: st.lists(TEXT, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=object)),
    "object mixed": lambda n: st.lists(st.one_of(TEXT, st.none(), FLOATS, st.integers(-5, 5)), min_size=n, max_size=n)
    .map(lambda v: np.array(v + [None], dtype=object)[:n]),
    "dates": lambda n: st.lists(st.integers(0, 10**6), min_size=n, max_size=n)
    .map(lambda v: np.array(v, dtype="datetime64[h]")),
}


@st.composite
def tables(draw):
    n = draw(st.integers(0, 12))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_KINDS)), min_size=1, max_size=5))
    return Table({f"c{i}": draw(COLUMN_KINDS[kind](n)) for i, kind in enumerate(kinds)}, draw(st.booleans()))


def typed(cells):
    """Cells with their types: 1 and 1.0 and True differ in Excel's eyes, and NaN is compared by its text."""
    return [[(type(v).__name__, repr(v)) for v in row] for row in cells]


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from([text_error, office_js_error]))
def test_a_tables_cells_are_its_dataframes_cells(table, error):
    frame = table.to_frame()
    assert typed(call(lambda x: table, (1,), "no price", error)) == typed(call(lambda x: frame, (1,), "no price", error))


@settings(max_examples=100, deadline=None)
@given(tables())
def test_a_tables_rows_go_back_to_their_positions_unless_they_are_of_another_kind(table):
    """Two empty rows among the positions: a table of one row per position is spaced out, any other left as it is."""
    n = len(next(iter(table.columns.values())))
    size = [[1.0]] * n
    size[1:1] = [[None], [None]]
    cells = call(lambda size: table, (size,))
    frame_cells = call(lambda x: table.to_frame(), (1,))
    if table.one_row_per_position:
        expected = frame_cells[:2] + [[""] * len(table.columns)] * 2 + frame_cells[2:]
        assert typed(cells) == typed(expected[: n + 3]) and len(cells) == n + 3
    else:
        assert typed(cells) == typed(frame_cells)


def as_frame(core):
    """``core`` as the DataFrame function alone (no ``table``): the Excel layer takes its DataFrame apart as before."""
    def frame(*args, **kwargs):
        return core(*args, **kwargs)

    frame.__signature__ = inspect.signature(core)
    return frame


def column(values):
    return [[v] for v in values]


def calls(seed):
    """Excel calls of the three table functions as a host hands them over: ranges with empty rows, omitted arguments null."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 5))
        blank = n > 1 and rng.random() < 0.4

        def cells(values, blank=blank):
            out = column(values)
            if blank:
                out.insert(1, [None])
            return out

        side, price = rng.choice(["long", "short", "Long "], n).tolist(), rng.uniform(20_000, 60_000, n).round(1).tolist()
        size = rng.choice([0.0, 0.1, 1.5, 3.0], n).tolist()
        held = [s or 0.2 for s in size]
        account = cells(rng.choice(["a", "b", 1.0], n).tolist()) if rng.random() < 0.5 else None  # 1.0: not all text
        mode = cells(rng.choice(["cross", "isolated"], n).tolist()) if rng.random() < 0.5 else "cross"
        mmr, balance = rng.choice([None, "binance_usdm_btcusdt", 0.01]), cells([float(rng.choice([0, 10, 500, 1e4]))] * n)
        yield "WHAT_IF", (balance, cells(side), cells(size), cells(price), cells(price[::-1]), cells(side[::-1]),
                          cells(rng.choice([0, 0.05, 2.0], n).tolist()), cells(price), cells(rng.choice([1, 10, 125], n).tolist()),
                          cells(rng.uniform(0, 500, n).tolist()), mode, mmr, None, None, None, None, None, account)
        yield "SHOCK_LADDER", (balance, cells(side), cells(held), cells(price), cells(price[::-1]), mode,
                               cells(rng.uniform(0, 500, n).tolist()), mmr, None, None, account, None,
                               float(rng.choice([0.05, 0.3])), float(rng.choice([1.0, 2.0])),
                               None if rng.random() < 0.7 else int(rng.integers(1, n + 1)))
        yield "ENTRY_LADDER", (float(balance[0][0]), str(rng.choice(["long", "short"])), column(held), column(price),
                               float(rng.choice([1, 10, 125])), mmr, None, None, str(rng.choice(["isolated", "cross"])),
                               float(rng.choice([0, 0.0005])), None, None)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("error", [text_error, office_js_error])
def test_each_table_functions_cells_are_those_of_its_dataframe(seed, error):
    for name, args in calls(seed):
        udf = getattr(udfs, name)
        assert hasattr(udf.core, "table")  # the Excel function takes the columns
        if name == "SHOCK_LADDER":  # rows of moves, not positions: a DataFrame's would be spaced out, so none are left empty
            args = tuple([row for row in a if row != [None]] if isinstance(a, list) else a for a in args)
        try:
            expected = typed(call(as_frame(udf.core), args, udf.no_answer, error))
        except XlmarginError as exc:  # Office.js: bad input raises
            with pytest.raises(XlmarginError, match=re.escape(str(exc))):
                call(udf.core, args, udf.no_answer, error)
            continue
        assert typed(call(udf.core, args, udf.no_answer, error)) == expected, (name, args)


@pytest.mark.parametrize("name, args", [
    ("WHAT_IF", (1_000, "long", 0.1, 50_000, 51_000, "long", 0.05, 50_500, 10)),
    ("WHAT_IF", ([900, 500], "long", [0.1, 0.04], 50_000, 51_000, "long", 0, 50_000, 10, 0, "cross", 0.005, 0, "linear",
                 0, 0, "binance", ["a", "b"])),
    ("SHOCK_LADDER", (1_000, "long", 0.1, 50_000, 51_000)),
    ("ENTRY_LADDER", (1_000, "long", [0.1, 0.2], [50_000, 48_000], 10)),
])
def test_a_sheets_tables_are_made_without_pandas(name, args):
    """What a sheet asks of these functions (one position, text accounts) takes the columns' own way, not the DataFrame's."""
    assert columns_cells(getattr(udfs, name).core.table(*args).columns, lambda v: v) is not None


def test_the_python_functions_keep_their_names_arguments_and_dataframe():
    """Written once, as a Table: from Python each is the same function as before, returning its DataFrame."""
    import xlmargin as xm
    from xlmargin.excel.ladder import shock_ladder

    for function, args in ((xm.what_if, (1_000, "long", 0.1, 50_000, 51_000, "long", 0.05, 50_500, 10)),
                           (xm.entry_ladder, (1_000, "long", [0.1, 0.2], [50_000, 48_000], 10)),
                           (shock_ladder, (1_000, "long", 0.1, 50_000, 51_000))):
        signature = inspect.signature(function)
        assert list(signature.parameters.values()) == list(inspect.signature(function.table).parameters.values())
        assert signature.return_annotation == "pd.DataFrame" and function.__doc__ == function.table.__doc__
        frame = function(*args)
        assert type(frame) is pd.DataFrame
        pd.testing.assert_frame_equal(frame, function.table(*args).to_frame())
        assert list(frame.columns) == list(function.table(*args).columns) and len(frame) >= 1
