"""Benchmark: Excel calls through xlwings' own Office.js call path, against xlwings' own cost.

1. One call over a 10,000-row range vs 10,000 single-cell calls (ISOLATED_LIQ_PRICE, tier table).
2. One cell: every Excel function called with single cells (tier tables included) vs a trivial
   function with as many parameters, both through ``custom_functions_call`` with the request as
   Excel sends it (every parameter, omitted ones null). Target: ratio <= 2.
3. Whole columns: 1,048,576 rows with a few hundred filled, vs what xlwings needs to hand the same
   request to a trivial function: decoding the request's JSON (as xlwings Server does) plus
   ``custom_functions_call``. Target: ratio <= 2.

Run:  python tests/benchmarks/bench_udf_calls.py [--rows 10000] [--column-rows 1048576] [--calls 100]
      [--only EXPLAIN_LIQ_PRICE ...]  (single cells of these functions only)
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import time
import types

os.environ["XLWINGS_ON_SERVER"] = "true"  # before xlwings is imported: the Office.js decorators
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' key for noncommercial use

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from xlmargin.excel import udfs  # noqa: E402

ONE_CELL = {  # one position's arguments, by name
    "side": "long", "size": 0.1, "price": 50_000, "entry_price": 50_000, "mark_price": 51_000, "leverage": 10,
    "margin": 100, "liq_price": 45_000, "funding_rate": 0.0001, "equity": 100, "maint_margin": 20, "balance": 1_000,
    "amount": 1, "exit_price": 52_000, "roe": 0.5, "pnl": 100, "tick": 0.1, "wallet_balance": 1_000, "free_balance": 500,
    "trade_side": "long", "trade_size": 0.05, "trade_price": 50_500, "low_price": 45_000, "high_price": 50_000, "entries": 3,
    "removed_margin": 10,
}
TIERED = {"ISOLATED_LIQ_PRICE": "mmr", "MAINT_MARGIN": "mmr", "MAX_POSITION_SIZE": "tiers", "CROSS_LIQ_PRICE": "mmr"}
TABLE = "binance_usdm_btcusdt"


def trivial_module(arity: int) -> types.ModuleType:
    """A trivial function as plain xlwings makes it, with ``arity`` parameters (the last ones optional)."""
    names = [f"a{i}" for i in range(arity)]
    namespace: dict = {}
    exec(f"def TRIVIAL({', '.join(names[:2] + [n + '=None' for n in names[2:]])}):\n    return 1.0", namespace)  # noqa: S102
    module = types.ModuleType("trivial")
    module.TRIVIAL = xw.func(namespace["TRIVIAL"])
    return module


def request(name: str, args: list) -> dict:
    return {"func_name": name, "args": args, "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}


def excel_args(name: str, tiered: bool = False) -> list:
    """Every parameter as Excel sends it: given ones as 1x1 arrays, omitted ones null."""
    params = inspect.signature(getattr(udfs, name)).parameters.values()
    args = [[[ONE_CELL[p.name]]] if p.default is inspect.Parameter.empty else None for p in params]
    if tiered:
        args[[p.name for p in params].index(TIERED[name])] = [[TABLE]]
    return args


def per_call(pairs: list[tuple[dict, types.ModuleType]], calls: int, rounds: int = 5) -> list[float]:
    """CPU seconds a call for each (request, module), best of ``rounds`` rounds taken in turn.

    CPU time of this process (not wall time) and rounds interleaved, so that the other programs
    of a busy machine weigh on both sides of a ratio alike.
    """
    async def run(data, module):
        for _ in range(calls):
            await custom_functions_call(data, module)

    best = [float("inf")] * len(pairs)
    for data, module in pairs:
        asyncio.run(run(data, module))  # warm up
    for _ in range(rounds):
        for i, (data, module) in enumerate(pairs):
            start = time.process_time()
            asyncio.run(run(data, module))
            best[i] = min(best[i], (time.process_time() - start) / calls)
    return best


def range_vs_cells(n: int) -> None:
    rng = np.random.default_rng(3)
    side = rng.choice(["long", "short"], n).tolist()
    size = rng.uniform(0.01, 10, n).tolist()
    entry = rng.uniform(20_000, 80_000, n).tolist()
    margin = [q * e / 20 for q, e in zip(size, entry)]
    columns = [[[v] for v in col] for col in (side, size, entry, margin)]
    rest = [None] * 4

    async def one_range():
        return await custom_functions_call(request("ISOLATED_LIQ_PRICE", columns + [[[TABLE]]] + rest), udfs)

    async def cell_by_cell():
        return [
            await custom_functions_call(
                request("ISOLATED_LIQ_PRICE", [[[side[i]]], [[size[i]]], [[entry[i]]], [[margin[i]]], [[TABLE]]] + rest), udfs
            )
            for i in range(n)
        ]

    asyncio.run(one_range())  # warm up (tier table load, kernel compile)
    start = time.perf_counter()
    spilled = asyncio.run(one_range())
    range_t = time.perf_counter() - start
    start = time.perf_counter()
    single = asyncio.run(cell_by_cell())
    cells_t = time.perf_counter() - start
    assert [r[0] for r in spilled] == [r[0][0] for r in single], "one range and single cells disagree"
    print(f"ISOLATED_LIQ_PRICE with a tier table, {n:,} positions, through xlwings' custom_functions_call")
    print(f"  one call over a {n:,}-row range   {range_t * 1e3:9.1f} ms")
    print(f"  {n:,} single-cell calls           {cells_t * 1e3:9.1f} ms  ({cells_t / n * 1e3:.2f} ms a call)")
    print(f"  ratio: {cells_t / range_t:,.0f}x faster as one range call")


def one_cell(calls: int, only: list[str] | None = None) -> None:
    print(f"\nOne cell: each function vs a trivial xlwings function of as many parameters (CPU time, best of 5 x {calls} calls in turn)")
    worst = 0.0
    for name in only or udfs.__all__:
        for tiered in (False, True) if name in TIERED else (False,):
            args = excel_args(name, tiered)
            trivial, ours = per_call([(request("TRIVIAL", args), trivial_module(len(args))), (request(name, args), udfs)], calls)
            worst = max(worst, ours / trivial)
            label = name + (f" ({TABLE})" if tiered else "")
            print(f"  {label:<48} {ours * 1e3:6.3f} ms   trivial {trivial * 1e3:6.3f} ms   ratio {ours / trivial:4.2f}")
    print(f"  worst ratio, one cell vs trivial: {worst:.2f} (target <= 2)")


def whole_columns(rows: int, filled: int) -> None:
    def column(values):
        cells = [[None] for _ in range(rows)]
        for i, v in enumerate(values):
            cells[i] = [v]
        return cells

    sizes = [0.01 * (i + 1) for i in range(filled)]
    columns = [column(["long"] * filled), column(sizes), column([50_000.0] * filled), column([51_000.0] * filled)]
    cases = {
        "CROSS_EQUITY": [[[500]], *columns, None, None],  # one cell back
        "ISOLATED_LIQ_PRICE": [*columns[:3], column([100.0] * filled), None, None, None, None, None],  # spills a column
    }
    print(f"\nWhole columns: {rows:,} rows, {filled} filled; xlwings' hand-over = decoding the request + custom_functions_call")
    worst = 0.0
    for name, args in cases.items():
        body = json.dumps(request(name, args))

        def timed(func_name, module):
            start = time.perf_counter()
            data = json.loads(body)
            data["func_name"] = func_name
            decoded = time.perf_counter()
            asyncio.run(custom_functions_call(data, module))
            end = time.perf_counter()
            return end - start, end - decoded

        timed(name, udfs)  # warm up
        trivial_raw = trivial_module(len(args))
        for p in inspect.signature(trivial_raw.TRIVIAL).parameters:
            xw.arg(p, "raw")(trivial_raw.TRIVIAL)  # xlwings' hand-over without its per-cell cleaning
        hand_over, hand_over_call = min(timed("TRIVIAL", trivial_raw) for _ in range(2))
        ours, ours_call = min(timed(name, udfs) for _ in range(2))
        worst = max(worst, ours / hand_over)
        print(f"  {name:<20} {ours:6.2f} s (the call itself {ours_call:5.2f} s)   hand-over {hand_over:6.2f} s "
              f"(call {hand_over_call * 1e3:5.1f} ms)   ratio {ours / hand_over:4.2f}")
    print(f"  worst ratio, whole columns vs xlwings' hand-over: {worst:.2f} (target <= 2)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--column-rows", type=int, default=1_048_576)
    parser.add_argument("--filled", type=int, default=300)
    parser.add_argument("--only", nargs="+", metavar="FUNCTION", help="Time only these functions' single cells.")
    args = parser.parse_args(argv)
    if args.only:
        one_cell(args.calls, [name.upper() for name in args.only])
        return
    range_vs_cells(args.rows)
    one_cell(args.calls)
    whole_columns(args.column_rows, min(args.filled, args.column_rows))


if __name__ == "__main__":
    main()
