"""Benchmark: recalculating a template headlessly, xlmargin's engine against LibreOffice.

Part 1, side by side, for each worked-example workbook: one ``xlmargin recalc FILE
--set PRICE=...`` in a fresh process (imports, load and recalculation: what a user
waits for), and LibreOffice's own one-shot headless recalculation of the same
file (``soffice --convert-to xlsx`` with a profile that recalculates on load), with
the ratio. Part 2, in this process: the time to load a template into the formula
engine, then per price change the time to recalculate its named outputs and the
whole workbook (chart data included).

Run:  python tests/benchmarks/bench_recalc.py [--changes 5] [--runs 3] [--templates W1,W3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xlmargin.workbooks.libreoffice import convert, make_profile, soffice
from xlmargin.workbooks.templates import TEMPLATES

WORKBOOKS = Path(__file__).parents[2] / "workbooks"


def _best(runs: int, job) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def side_by_side(runs: int, keys: list[str]) -> None:
    print(f"{'template':<30} {'xlmargin recalc':>16} {'LibreOffice':>12} {'ratio':>7}   (best of {runs}, fresh processes)")
    with tempfile.TemporaryDirectory() as scratch:
        profile = make_profile(Path(scratch) / "profile")
        convert([WORKBOOKS / "w1_initial_vs_maintenance.xlsx"], Path(scratch) / "warm", profile=profile)  # first start makes the profile
        for key in keys:
            template = TEMPLATES[key]()
            path = WORKBOOKS / f"{template.file}.xlsx"
            price = next(item for item in template.inputs if item.name == template.chart.price_input)
            command = [sys.executable, "-m", "xlmargin", "recalc", str(path), "--set", f"{price.name}={price.value * 0.95:g}"]
            ours = _best(runs, lambda: subprocess.run(command, check=True, capture_output=True))
            theirs = _best(runs, lambda: convert([path], Path(scratch) / "out", profile=profile)) if soffice() else float("nan")
            print(f"{template.file:<30} {ours:15.2f}s {theirs:11.2f}s {ours / theirs:6.2f}x")


def in_process(changes: int, keys: list[str]) -> None:
    from xlmargin.workbooks.engine import RecalcBook

    print(f"\n{'template':<30} {'load':>8} {'named outputs':>15} {'whole book':>12}   (best of {changes} price changes)")
    for key in keys:
        template = TEMPLATES[key]()
        price = template.chart.price_input
        start = time.perf_counter()
        book = RecalcBook(WORKBOOKS / f"{template.file}.xlsx")
        base = book.calculate()[price]
        load = time.perf_counter() - start
        named, whole = [], []
        for i in range(changes):
            value = base * (0.9 + 0.05 * i)
            start = time.perf_counter()
            book.calculate({price: value})
            named.append(time.perf_counter() - start)
            start = time.perf_counter()
            book.calculate({price: value}, all_cells=True)
            whole.append(time.perf_counter() - start)
        print(f"{template.file:<30} {load:7.2f}s {min(named) * 1e3:12.1f} ms {min(whole) * 1e3:9.1f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--templates", default=",".join(TEMPLATES), help="which templates (default: all), e.g. W1,W3")
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.templates.split(",") if k.strip()]
    side_by_side(args.runs, keys)
    in_process(args.changes, keys)


if __name__ == "__main__":
    main()
