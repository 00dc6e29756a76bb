"""Every Excel function called the way each host calls it (tests/excel_hosts.py), against the core.

Each optional argument is omitted, given, and given as an empty cell (an empty range), with the
positions as single cells and as ranges; Office.js and the COM add-in must show what the core
function computes. Then: calls from many threads and tasks at once give what they give alone.
"""

import asyncio
import concurrent.futures
import inspect
import math
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from excel_hosts import HOSTS, OMIT, ErrorCell, Ref, Shown

import xlmargin as xm
from xlmargin.errors import InputError
from xlmargin.excel import convert, udfs

# Two positions, argument by argument (a single-cell call takes the first).
VALUES = {
    "side": ["long", "short"], "size": [0.1, 0.2], "price": [50_000, 40_000], "entry_price": [50_000, 40_000],
    "mark_price": [51_000, 41_000], "leverage": [10, 20], "margin": [100, 300], "liq_price": [45_000, 44_000],
    "funding_rate": [0.0001, -0.0002], "equity": [100, 50], "maint_margin": [20, 60], "balance": [1_000, 500],
    "amount": [1, 2], "exit_price": [52_000, 39_000], "roe": [0.5, -0.2], "pnl": [100, -50], "tick": [0.1, 0.5],
    # optional arguments, given (not their defaults)
    "mmr": [0.01, 0.02], "maint_amount": [5, 10], "contract": ["inverse", "inverse"], "close_fee_rate": [0.0005, 0.0004],
    "rules": ["bybit", "bybit"], "intervals": [3, 2], "account": ["a", "b"], "threshold": [0.5, 0.9],
    "open_fee_rate": [0.0005, 0.0005], "haircut": [0.05, 0.1], "symbol": ["BTC", "ETH"], "collateral": [0.01, 0.02],
    "position_id": ["p1", "p2"],
    # issue #16: what-if, entry ladder, break-even, funding drift, margin that can come out
    "trade_side": ["long", "short"], "trade_size": [0.05, 0.3], "trade_price": [50_500, 40_500],
    "trade_fee_rate": [0.0005, 0.0004], "margin_mode": ["isolated", "isolated"], "low_price": [40_000, 30_000],
    "high_price": [50_000, 45_000], "entries": [3, 2], "funding": [-5, 2], "start_time": [46_000, 46_001],
    "interval_hours": [4, 1], "removed_margin": [10, 20],
}
ONE_PER_CALL = {"wallet_balance": 1_000, "free_balance": 500, "tiers": "binance_usdm_btcusdt", "position": 2,
                "step": 0.1, "up_to": 1.5}
ONE_POSITION = {"position": 1}  # a single position has no second one to explain
SINGLE_POSITION_ONLY = {"EXPLAIN_LIQ_PRICE", "EXPLAIN_MAINT_MARGIN"}  # they explain one position


def given(arg, ranges):
    if arg in ONE_PER_CALL:
        return ONE_POSITION.get(arg, ONE_PER_CALL[arg]) if not ranges else ONE_PER_CALL[arg]
    return VALUES[arg] if ranges else VALUES[arg][0]


def expected_cells(core, kwargs):
    """What Excel should show: the core's result laid out in cells, #VALUE! for bad input."""
    try:
        with warnings.catch_warnings():  # test-side only: the core's own warnings are not what is compared
            warnings.simplefilter("ignore")
            result = core(**kwargs)
    except InputError:
        return [[Shown("#VALUE!")]]

    def cell(v):
        if isinstance(v, (float, np.floating)) and math.isnan(v):
            return Shown("#N/A")
        if isinstance(v, (float, np.floating)) and math.isinf(v):
            return Shown("#NUM!")
        return v.item() if isinstance(v, np.generic) else v

    if isinstance(result, pd.DataFrame):
        return [list(result.columns)] + [[cell(v) for v in row] for row in result.itertuples(index=False)]
    if isinstance(result, pd.Series):
        return [[label, cell(v)] for label, v in result.items()]
    result = np.asarray(result)
    return [[cell(result.item())]] if result.ndim == 0 else [[cell(v)] for v in result.ravel()]


def same(shown, expected):
    assert len(shown) == len(expected), (shown, expected)
    for got_row, want_row in zip(shown, expected):
        assert len(got_row) == len(want_row), (shown, expected)
        for got, want in zip(got_row, want_row):
            if isinstance(want, float) and not isinstance(want, bool):
                assert isinstance(got, float) and got == pytest.approx(want, rel=1e-12, abs=1e-12), (shown, expected)
            else:
                assert got == want, (shown, expected)


def cases():
    for name in udfs.__all__:
        params = inspect.signature(getattr(udfs, name)).parameters.values()
        optional = [p.name for p in params if p.default is not inspect.Parameter.empty]
        for ranges in (False, True):
            if ranges and name in SINGLE_POSITION_ONLY:
                continue
            yield name, ranges, None, "all omitted"
            for arg in optional:
                for state in ("given", "empty cell"):
                    yield name, ranges, arg, state


@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("name, ranges, arg, state", list(cases()),
                         ids=lambda v: v if isinstance(v, str) else ("ranges" if v is True else "cells" if v is False else ""))
def test_every_function_through_each_host(host, name, ranges, arg, state):
    core = getattr(udfs, name).core
    params = list(inspect.signature(core).parameters.values())
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    kwargs = {a: given(a, ranges) for a in required}
    formula = [Ref.of(kwargs[a]) if ranges and isinstance(kwargs[a], list) else kwargs[a] for a in required]
    if arg is not None:
        position = [p.name for p in params].index(arg)
        value = given(arg, ranges)
        formula += [OMIT] * (position - len(formula))
        if state == "given":
            kwargs[arg] = value
            formula.append(Ref.of(value) if isinstance(value, list) else value)
        else:  # an empty cell, or as many empty cells as the range would have
            formula.append(Ref.of([None] * len(value)) if isinstance(value, list) else Ref.of(None))
    same(HOSTS[host].shown(name, *formula), expected_cells(core, kwargs))


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_issue_12_formulas(host):
    h = HOSTS[host]
    cols = Ref.of(["long", "long"]), Ref.of([0.04, 0.8]), Ref.of([50_000, 2_500]), Ref.of([51_000, 2_200])
    assert h.shown("CROSS_EQUITY", 500, *cols) == [[pytest.approx(300.0)]]
    assert h.shown("MAX_POSITION_SIZE", 1_000, 10, 50_000) == [[pytest.approx(0.2)]]
    assert h.shown("CROSS_MAINT_MARGIN", cols[1], cols[3]) == [[pytest.approx(xm.cross_maint_margin([0.04, 0.8], [51_000, 2_200]))]]
    assert h.shown("CROSS_LIQ_PRICE", 500, *cols)[1] == [pytest.approx(xm.cross_liq_price(500, "long", [0.04, 0.8], [50_000, 2_500], [51_000, 2_200])[1])]
    # one position with a label is an account
    assert h.shown("CROSS_EQUITY", 500, "long", 0.1, 50_000, 51_000, OMIT, "a") == [["a", pytest.approx(600.0)]]


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_error_cells_and_partly_empty_ranges_are_named(host):
    h = HOSTS[host]
    assert h.shown("NOTIONAL", [0.1, ErrorCell("#N/A")], 50_000) == [[Shown("#VALUE!")]]
    assert h.shown("NOTIONAL", [0.1, ErrorCell("#N/A")], 50_000)[0][0].reason == "size holds the error #N/A (row 2)"
    assert h.shown("NOTIONAL", 0.1, ErrorCell("#DIV/0!"))[0][0].reason == "price holds the error #DIV/0!"
    # an optional argument with some cells empty is not "omitted": the empty one is named
    bad = h.shown("MAINT_MARGIN", [1, 2], 50_000, [0.01, None])
    assert bad == [[Shown("#VALUE!")]] and bad[0][0].reason == "mmr is empty (row 2)"
    # a required argument as an empty cell
    assert h.shown("NOTIONAL", Ref.of(None), 50_000)[0][0].reason == "size is empty"


def test_office_js_null_and_an_empty_one_cell_array_are_the_same():
    h = HOSTS["office.js"]
    request = h.request("MAX_POSITION_SIZE", 1_000, 10, 50_000)
    assert request["args"][3:] == [None, None, None]  # Excel sends every parameter
    as_cells = dict(request, args=request["args"][:3] + [[[None]]] * 3)
    assert asyncio.run(convert_call(as_cells)) == asyncio.run(convert_call(request)) == [[pytest.approx(0.2)]]


async def convert_call(data):
    from xlwings.server import custom_functions_call

    return await custom_functions_call(data, udfs)


# ---------------------------------------------------------------- one decision, no shared state
def test_the_host_is_decided_once_not_per_call(monkeypatch):
    assert udfs.HOST == convert.OFFICE_JS and HOSTS["com"].module.HOST == convert.COM
    monkeypatch.delenv("XLWINGS_ON_SERVER")  # read by xlwings at its import only; a call never looks
    with pytest.raises(xm.XlmarginError, match="size must be"):
        HOSTS["office.js"].call("NOTIONAL", -1, 50_000)
    assert HOSTS["com"].call("NOTIONAL", -1, 50_000) == [["#VALUE! size must be a finite number > 0"]]


HEADER = ["notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"]
JUMPY = [HEADER, [0, 50_000, 125, 0.004, 0], [50_000, None, 100, 0.005, 0]]


def test_a_jumpy_tier_table_is_an_error_with_or_without_a_warnings_filter():
    """pytest makes TierTableWarning an error (pyproject.toml); without that filter the explicit check says the same."""
    with pytest.raises(xm.XlmarginError) as by_filter:
        HOSTS["office.js"].call("MAINT_MARGIN", 1, 60_000, JUMPY)
    with warnings.catch_warnings():  # the test changes the filter, the UDF layer never does
        warnings.simplefilter("ignore")
        with pytest.raises(xm.XlmarginError) as by_check:
            HOSTS["office.js"].call("MAINT_MARGIN", 1, 60_000, JUMPY)
    assert str(by_filter.value) == str(by_check.value)
    assert "maintenance margin jumps by 50 at notional 50000 (tier 2)" in str(by_check.value)


def mixed_calls():
    """Good and bad calls of several functions, for both hosts."""
    calls = []
    for i in range(40):
        size = 0.05 + i / 100
        calls += [
            ("ISOLATED_LIQ_PRICE", ("long", size, 50_000, 100 + i)),
            ("ISOLATED_LIQ_PRICE", ("short", [size, None, size * 2], 40_000, 300, "binance_usdm_btcusdt")),
            ("ISOLATED_LIQ_PRICE", ("long", -size, 50_000, 100)),  # bad input
            ("MAINT_MARGIN", (size, 60_000 + i, JUMPY)),  # a tier table that makes MM jump
            ("MAX_POSITION_SIZE", (1_000 + i, 10, 50_000)),
            ("CROSS_EQUITY", (500, ["long", "long"], [size, 0.8], [50_000, 2_500], [51_000, 2_200], OMIT, ["a", "b"])),
            ("NOTIONAL", ([0.1, ErrorCell("#N/A")], 50_000)),  # an error cell
        ]
    return calls


def outcome(host, name, args):
    try:
        return ("ok", HOSTS[host].call(name, *args))
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the exception's text
        return (type(exc).__name__, str(exc))


def test_concurrent_calls_give_what_they_give_one_at_a_time():
    calls = [(host, name, args) for host in sorted(HOSTS) for name, args in mixed_calls()]
    assert len(calls) >= 200
    filters, environ = list(warnings.filters), dict(os.environ)
    alone = [outcome(*c) for c in calls]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda c: outcome(*c), calls))

    async def as_tasks():  # xlwings Server's way: one event loop, a task per request
        async def one(host, name, args):
            try:
                return ("ok", await HOSTS[host].acall(name, *args))
            except Exception as exc:  # noqa: BLE001
                return (type(exc).__name__, str(exc))

        return await asyncio.gather(*(one(*c) for c in calls))

    def loop_in_thread():
        return asyncio.run(as_tasks())

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:  # several loops at once, as several workers
        looped = [f.result() for f in [pool.submit(loop_in_thread) for _ in range(3)]]
    assert threaded == alone
    assert all(result == alone for result in looped)
    assert {kind for kind, _ in alone} == {"ok", "XlmarginError"}
    assert list(warnings.filters) == filters and dict(os.environ) == environ
