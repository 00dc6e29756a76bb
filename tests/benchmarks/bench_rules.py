"""Benchmark: a book mixing every exchange rule set, in one vectorized call.

Isolated liquidation prices of N positions (default 1,000,000) on a tier table,
once under one rule set and once with a column naming one of the rule sets
per position (shuffled; a categorical column, as a large book stores it).

Run:  python tests/benchmarks/bench_rules.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import xlmargin as xm


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.rows
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    size = rng.uniform(0.01, 10, n)
    entry = rng.uniform(20_000, 80_000, n)
    margin = size * entry / rng.uniform(2, 50, n)
    names = pd.Categorical.from_codes(rng.integers(0, len(xm.RULES), n), list(xm.RULES))  # a book's rules column
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    xm.isolated_liq_price(side[:10], size[:10], entry[:10], margin[:10], tiers, rules=names[:10])  # warm up
    one = best_of(args.repeat, lambda: xm.isolated_liq_price(side, size, entry, margin, tiers, rules="binance"))
    mixed = best_of(args.repeat, lambda: xm.isolated_liq_price(side, size, entry, margin, tiers, rules=names))
    print(f"isolated liquidation prices, {n:,} positions, 12-tier table, best of {args.repeat}")
    print(f"  one rule set                 {one * 1e3:8.1f} ms")
    print(f"  all rule sets mixed per row  {mixed * 1e3:8.1f} ms   ({mixed / one:.2f}x; target <= 3x)")


if __name__ == "__main__":
    main()
