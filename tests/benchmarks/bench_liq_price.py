"""Benchmark: tiered isolated liquidation prices for a whole book in one call.

Compares, on the same arrays:

* a hand-written fused numpy expression of the flat formula (one mmr, no tiers),
  the floor any implementation is measured against;
* ``xlmargin.isolated_liq_price`` with a 5-tier table, input checks included,
  on the default engine (the numba kernel when numba is installed) and on the
  numpy engine (the path xlwings Lite uses);
* a per-position Python loop calling the same function one row at a time,
  timed on a sample and scaled to the whole book.

Run:  python tests/benchmarks/bench_liq_price.py [--rows 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import numpy as np

import xlmargin as xm
from xlmargin.core import solver as _solver


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def interleaved(repeat, fns):
    """Best time of each of ``fns`` (label -> function), taken in turns so that a busy spell hits them all alike."""
    times = {label: [] for label in fns}
    for _ in range(repeat):
        for label, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
            time.sleep(0.1)  # the parallel kernel's threads spin a while after it: not on the next one's time
    return {label: min(t) for label, t in times.items()}


@contextlib.contextmanager
def kernel_variant(parallel):
    """The whole call with the serial (False) or parallel (True) kernel whatever the size and the cores."""
    chosen = _solver.parallel_pays
    _solver.parallel_pays = lambda rows: parallel
    try:
        yield
    finally:
        _solver.parallel_pays = chosen


def _forced(parallel, fn):
    with kernel_variant(parallel):
        return fn()


def book(rows: int, seed: int = 7):
    """Random linear positions whose notionals span the table's tiers."""
    rng = np.random.default_rng(seed)
    side = np.where(rng.random(rows) < 0.5, 1.0, -1.0)
    entry = rng.uniform(20_000, 80_000, rows)
    size = rng.lognormal(0.0, 2.0, rows)
    margin = size * entry / rng.uniform(2, 100, rows)
    return side, size, entry, margin


TIERS = xm.TierTable.from_rows(
    [  # 5 tiers, consistent maintenance amounts rebuilt from floors and rates
        [0, 50_000, 125, 0.004],
        [50_000, 600_000, 100, 0.005],
        [600_000, 3_000_000, 75, 0.0065],
        [3_000_000, 12_000_000, 50, 0.01],
        [12_000_000, 70_000_000, 25, 0.02],
    ]
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    args = parser.parse_args(argv)
    side, size, entry, margin = book(args.rows)
    n = args.rows
    print(f"{n:,} linear positions, {len(TIERS)}-tier table, best of {args.repeat} taken in turns; numba: {_solver._HAVE_NUMBA}")

    def fused_flat():
        return (margin - side * size * entry) / (size * 0.005 - side * size)

    xm.isolated_liq_price(side[:10], size[:10], entry[:10], margin[:10], TIERS)  # compile the kernel first
    whole = lambda: xm.isolated_liq_price(side, size, entry, margin, TIERS)  # noqa: E731
    lp = whole()
    picks = "parallel" if _solver.parallel_pays(n) else "serial"
    timing = interleaved(args.repeat, {"flat": fused_flat, "auto": whole,
                                       "serial": lambda: _forced(False, whole),
                                       "parallel": lambda: _forced(True, whole)})
    flat_t, tiered_t = timing["flat"], timing["auto"]
    with _solver.use_engine("numpy"):
        numpy_t, lp_numpy = best_of(max(1, args.repeat // 2), lambda: xm.isolated_liq_price(side, size, entry, margin, TIERS))
    assert np.allclose(lp, lp_numpy, rtol=1e-13, equal_nan=True), "engines disagree"

    k = min(args.loop_sample, n)
    sides = np.where(side[:k] > 0, "long", "short")
    start = time.perf_counter()
    looped = [xm.isolated_liq_price(sides[i], size[i], entry[i], margin[i], TIERS) for i in range(k)]
    loop_t = (time.perf_counter() - start) * n / k
    assert np.allclose(looped, lp[:k], rtol=1e-13, equal_nan=True), "loop disagrees"

    rows = [
        ("fused numpy, flat formula (baseline)", flat_t),
        (f"xlmargin, 5 tiers, default engine ({picks})", tiered_t),
        ("  the same, serial kernel", timing["serial"]),
        ("  the same, parallel kernel", timing["parallel"]),
        ("xlmargin, 5 tiers, numpy engine", numpy_t),
        (f"per-position Python loop (from {k:,} rows)", loop_t),
    ]
    for label, seconds in rows:
        print(f"  {label:<46} {seconds:9.3f} s  {seconds / flat_t:7.1f}x baseline  {n / seconds / 1e6:8.2f} M rows/s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  load average {load:.2f} on {os.cpu_count()} cores; the default engine picks {picks}")
    print(f"  tiered call vs baseline: {tiered_t / flat_t:.2f}x (target <= 1x: no slower than the fused flat formula); "
          f"loop vs tiered call: {loop_t / tiered_t:,.0f}x (target >= 50x)")

    if _solver._HAVE_NUMBA:
        kernel_alone(side, size, entry, margin, flat_t, args.repeat)
        crossover(side, size, entry, margin, args.repeat)
        busy_cores(side, size, entry, margin)


def kernel_alone(side, size, entry, margin, flat_t, repeat) -> None:
    """The compiled kernel alone, serial and parallel, against the fused flat formula.

    Called as the whole call calls it: the fee and mode one value broadcast to every row (no
    column to read), and a new output array each time (what the whole call returns) or one
    output written over and over (no fresh pages to fault in). The whole call is the kernel
    with a new output plus a few microseconds of Python.
    """
    from xlmargin.core import compiled

    table = [TIERS.notional_floor, TIERS.mmr, TIERS.maint_amount]
    one_value, out = np.broadcast_to(np.zeros(1), (len(side),)), np.empty(len(side))
    for label, kernel in (("serial", compiled.count_serial), ("parallel", compiled.count_parallel)):
        for output, make in (("new output", lambda: np.empty(len(side))), ("same output", lambda: out)):
            seconds, _ = best_of(repeat, lambda: kernel(side, size, entry, margin, one_value, one_value, *table, make()))  # noqa: B023
            print(f"  kernel alone, {label:<8} {output:<11} {seconds:9.3f} s  {seconds / flat_t:5.2f}x the fused flat formula")


def _on_the_kernel(cols):
    with _solver.use_engine("numba"):  # also below COMPILED_FROM_ROWS: what a small call on the kernel would cost
        return xm.isolated_liq_price(*cols, TIERS)


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def busy_cores(side, size, entry, margin) -> None:
    """Calls while every core is busy (as in Excel's multithreaded recalculation): the whole call with the
    serial kernel, with the parallel one, and with the one the default engine picks (by size alone), the
    kernel used at every size."""
    import multiprocessing

    burners = [multiprocessing.Process(target=_burn, args=(60.0,)) for _ in range(os.cpu_count() or 2)]
    for b in burners:
        b.start()
    try:
        time.sleep(0.2)  # the burners running
        print(f"  with every core busy (a spinning process on each of {len(burners)}):")
        for rows in (1, 1_000, 100_000, 1_000_000, 10_000_000):
            if rows > len(side):
                break
            cols = [np.ascontiguousarray(a[:rows]) for a in (side, size, entry, margin)]
            whole = lambda: _on_the_kernel(cols)  # noqa: E731,B023
            picks = "parallel" if _solver.parallel_pays(rows) else "serial"
            timing = interleaved(20 if rows < 100_000 else 3, {
                "serial": lambda: _forced(False, whole), "parallel": lambda: _forced(True, whole), "auto": whole})  # noqa: B023
            print(f"    {rows:>10,} rows: serial {timing['serial'] * 1e3:9.3f} ms, parallel {timing['parallel'] * 1e3:9.3f} ms, "
                  f"default {timing['auto'] * 1e3:9.3f} ms (picks {picks})")
    finally:
        for b in burners:
            b.terminate()
            b.join()


def crossover(side, size, entry, margin, repeat) -> None:
    """Where the compiled kernel starts to pay: the same call on both engines at growing sizes.

    This is what ``solver.COMPILED_FROM_ROWS`` and ``PARALLEL_FROM_ROWS`` rest on.
    """
    print(f"  engine crossover (auto uses the kernel from {_solver.COMPILED_FROM_ROWS:,} rows, "
          f"in parallel from {_solver.PARALLEL_FROM_ROWS:,} while a core is free):")
    for rows in (1, 100, 1_000, 2_000, 10_000, 100_000, 1_000_000):
        if rows > len(side):
            break
        call = lambda: xm.isolated_liq_price(side[:rows], size[:rows], entry[:rows], margin[:rows], TIERS)  # noqa: E731
        times = {}
        for engine in ("numpy", "numba"):
            with _solver.use_engine(engine):
                call()
                times[engine], _ = best_of(max(repeat, 20 if rows < 10_000 else 3), call)
        print(f"    {rows:>9,} rows: numpy {times['numpy'] * 1e3:8.3f} ms, kernel {times['numba'] * 1e3:8.3f} ms, "
              f"kernel/numpy {times['numba'] / times['numpy']:5.2f}")


if __name__ == "__main__":
    main()
