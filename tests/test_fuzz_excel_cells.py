"""Hostile cell values into every Excel function, through xlwings' own Office.js call path.

Whatever a sheet holds (text, formulas as text, error cells, booleans, empty cells, inf, huge or
negative numbers, ranges of mismatched lengths), a function answers with cell values or with an
xlmargin error whose one-line message xlwings shows behind ``#VALUE!``; never another exception
(which would reach the user as a Python traceback or a bare ``#VALUE!``).
"""

import asyncio
import inspect

import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlwings.server import custom_functions_call

from xlmargin.errors import XlmarginError
from xlmargin.excel import udfs

FUNCTIONS = sorted(udfs.__all__)

CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from(["long", "short", "LONG", " short ", "linear", "inverse", "binance", "bybit", "okx", "deribit_btc",
                     "binance_usdm_btcusdt", "#N/A", "#VALUE!", "#DIV/0!", "=1+1", "", " ", "1,800", "1e400", "nan", "-1"]),
    st.text(max_size=12),
)


@st.composite
def ranges(draw):
    """A cell, a column or a small table, as the add-in sends a range: a 2-D list."""
    rows = draw(st.integers(min_value=1, max_value=4))
    columns = draw(st.sampled_from([1, 1, 1, 2, 5]))
    return [[draw(CELL) for _ in range(columns)] for _ in range(rows)]


def call(name, args):
    data = {"func_name": name, "args": args, "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}
    return asyncio.run(custom_functions_call(data, udfs))


# a sensible cell for every argument, from which a case spoils a few: most calls are then near-valid,
# so the fuzzing reaches the computations and not only the first check
GOOD = {"size": 0.1, "price": 50_000, "contract": "linear", "side": "long", "entry_price": 50_000, "mark_price": 48_000,
        "leverage": 10, "mmr": 0.005, "maint_amount": 0, "close_fee_rate": 0, "margin": 100, "rules": "binance",
        "liq_price": 45_000, "funding_rate": 0.0001, "intervals": 3, "wallet_balance": 1_000, "account": None,
        "symbol": None, "collateral": 0, "equity": 100, "maint_margin": 69, "threshold": 0.8, "free_balance": 100,
        "balance": 1_000, "tiers": None, "open_fee_rate": 0, "amount": 1, "haircut": 0.05, "position": 1,
        "exit_price": 55_000, "roe": 0.5, "pnl": 100, "position_id": None, "tick": 0.1,
        # issue #16
        "trade_side": "long", "trade_size": 0.05, "trade_price": 49_000, "trade_fee_rate": 0.0005, "margin_mode": "cross",
        "low_price": 40_000, "high_price": 50_000, "entries": 3, "funding": -5, "start_time": None, "interval_hours": 8,
        "removed_margin": 10, "step": 0.05, "up_to": 2}


@st.composite
def calls(draw):
    name = draw(st.sampled_from(FUNCTIONS))
    signature = inspect.signature(getattr(udfs, name)).parameters
    parameters = list(signature)
    required = sum(p.default is inspect.Parameter.empty for p in signature.values())
    # trailing optional arguments left out, and now and then required ones too
    count = draw(st.one_of(st.integers(min_value=required, max_value=len(parameters)),
                           st.integers(min_value=0, max_value=len(parameters))))
    args = [[[GOOD[p]]] for p in parameters[:count]]
    for i in draw(st.lists(st.integers(min_value=0, max_value=max(count - 1, 0)), max_size=2)) if count else []:
        args[i] = draw(ranges())  # a hostile cell or range in place of a sensible one
    return name, args


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(calls())
def test_hostile_cells_give_values_or_a_one_line_reason(case):
    name, args = case
    try:
        result = call(name, args)
    except XlmarginError as error:  # xlwings shows it as #VALUE! with the message
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message, message
        return
    except TypeError as error:  # too few required arguments: Excel's own #VALUE!, before any xlmargin code
        assert "missing" in str(error) and "required positional argument" in str(error), error
        return
    assert isinstance(result, list) and all(isinstance(row, list) for row in result), result
