"""Benchmark: one Excel call over a 10,000-row range vs 10,000 single-cell calls.

Both go through xlwings' own Office.js call path (``custom_functions_call``),
arguments as 2-D lists of cell values, so conversion in and out is included.

Run:  python tests/benchmarks/bench_udf_calls.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

os.environ["XLWINGS_ON_SERVER"] = "true"  # before xlwings is imported: the Office.js decorators
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' key for noncommercial use

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from xlmargin.excel import udfs  # noqa: E402


def payload(args):
    return {"func_name": "ISOLATED_LIQ_PRICE", "args": args, "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(3)
    n = args.rows
    side = rng.choice(["long", "short"], n).tolist()
    size = rng.uniform(0.01, 10, n).tolist()
    entry = rng.uniform(20_000, 80_000, n).tolist()
    margin = [q * e / 20 for q, e in zip(size, entry)]
    columns = [[[v] for v in col] for col in (side, size, entry, margin)]

    async def one_range():
        return await custom_functions_call(payload(columns + [[["binance_usdm_btcusdt"]]]), udfs)

    async def cell_by_cell():
        return [
            await custom_functions_call(payload([[[side[i]]], [[size[i]]], [[entry[i]]], [[margin[i]]], [["binance_usdm_btcusdt"]]]), udfs)
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


if __name__ == "__main__":
    main()
