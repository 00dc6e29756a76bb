"""Benchmark: the funding interval at which each of N positions is liquidated, a loop over positions vs one call.

The loop is how ``funding_liq_interval`` answered before: one ``funding_drift`` table per
position (90 intervals of 8 h), its first liquidated interval. It is timed on ``--loop-sample``
positions and scaled to N (it is linear in N); the vectorized call is timed on all N, both
interleaved, CPU time. The two must agree on the sample.

Run:  python tests/benchmarks/bench_drift.py [--rows 100000] [--loop-sample 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import xlmargin as xm


def book(n, rng):
    entry = rng.uniform(20_000, 60_000, n)
    size = rng.uniform(0.01, 2, n)
    return dict(side=rng.choice(["long", "short"], n), size=size, entry_price=entry, mark_price=entry * rng.uniform(0.97, 1.03, n),
                margin=size * entry / rng.uniform(5, 100, n), funding_rate=rng.uniform(-0.001, 0.003, n))


def loop(b, intervals, tiers):
    out = np.empty(len(b["side"]))
    for i in range(len(out)):
        d = xm.funding_drift(*(b[k][i] for k in b), intervals, tiers)
        hit = np.flatnonzero(d["liquidated"].to_numpy())
        out[i] = d["interval"].iloc[hit[0]] if hit.size else math.nan
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--loop-sample", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    b, tiers, intervals = book(args.rows, rng), xm.TierTable.load("binance_usdm_btcusdt"), 90
    sample = {k: v[: args.loop_sample] for k, v in b.items()}
    vector = lambda: xm.funding_liq_interval(*b.values(), intervals, tiers)  # noqa: E731
    assert np.array_equal(loop(sample, intervals, tiers), vector()[: args.loop_sample], equal_nan=True), "both ways must agree"
    loops, calls = [], []
    for _ in range(args.repeat):
        start = time.process_time()
        loop(sample, intervals, tiers)
        loops.append((time.process_time() - start) / len(sample["side"]) * args.rows)
        start = time.process_time()
        vector()
        calls.append(time.process_time() - start)
    print(f"funding_liq_interval, {args.rows:,} positions, {intervals} intervals, 12-tier table, CPU time over {args.repeat} runs")
    print(f"  loop over positions (from {len(sample['side']):,})  {min(loops):8.2f} s to {max(loops):.2f} s "
          f"({min(loops) / args.rows * 1e3:.2f} ms a position)")
    print(f"  one call                                {min(calls):8.3f} s to {max(calls):.3f} s")
    print(f"  ratio loop/call {min(loops) / min(calls):,.0f}x (range {min(loops) / max(calls):,.0f}x to {max(loops) / min(calls):,.0f}x)")


if __name__ == "__main__":
    main()
