"""Benchmark: recalculating a template headlessly, xlmargin's engine against LibreOffice.

Part 1, side by side, for each worked-example workbook: one ``xlmargin recalc FILE
--set PRICE=...`` in a fresh process (imports, reading, compiling and recalculation:
what a user waits for), and LibreOffice's own one-shot headless recalculation of the
same file (``soffice --convert-to xlsx`` with a profile that recalculates on load).
The two alternate run by run, so that a busy machine slows both alike; the ratio is
of the best runs, and of the medians. Part 2, in this process: the time to read a
template, its first recalculation of the named outputs (which compiles the cells
they need), then per price change the time to recalculate the named outputs and the
whole workbook (chart data included; its first run compiles the other formula cells).

Run:  python tests/benchmarks/bench_recalc.py [--changes 5] [--runs 3] [--templates W1,W3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xlmargin.workbooks.libreoffice import convert, make_profile, soffice
from xlmargin.workbooks.templates import TEMPLATES

WORKBOOKS = Path(__file__).parents[2] / "workbooks"


def _timed(job) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def side_by_side(runs: int, keys: list[str]) -> None:
    print(f"{'template':<30} {'xlmargin recalc':>16} {'LibreOffice':>12} {'ratio':>7} {'of medians':>11}   "
          f"(best of {runs} alternating runs, fresh processes)")
    with tempfile.TemporaryDirectory() as scratch:
        profile = make_profile(Path(scratch) / "profile")
        convert([WORKBOOKS / "w1_initial_vs_maintenance.xlsx"], Path(scratch) / "warm", profile=profile)  # first start makes the profile
        for key in keys:
            template = TEMPLATES[key]()
            path = WORKBOOKS / f"{template.file}.xlsx"
            price = next(item for item in template.inputs if item.name == template.chart.price_input)
            command = [sys.executable, "-m", "xlmargin", "recalc", str(path), "--set", f"{price.name}={price.value * 0.95:g}"]
            ours, theirs = [], []
            for _ in range(runs):
                ours.append(_timed(lambda: subprocess.run(command, check=True, capture_output=True)))
                if soffice():
                    theirs.append(_timed(lambda: convert([path], Path(scratch) / "out", profile=profile)))
            best, median = min(theirs, default=float("nan")), statistics.median(theirs) if theirs else float("nan")
            print(f"{template.file:<30} {min(ours):15.2f}s {best:11.2f}s {min(ours) / best:6.2f}x "
                  f"{statistics.median(ours) / median:10.2f}x")


def in_process(changes: int, keys: list[str]) -> None:
    from xlmargin.workbooks.engine import RecalcBook

    print(f"\n{'template':<30} {'read':>7} {'first named':>12} {'named':>9} {'first whole':>12} {'whole':>9}"
          f"   (ms; best of {changes} price changes)")
    for key in keys:
        template = TEMPLATES[key]()
        price = template.chart.price_input
        path = WORKBOOKS / f"{template.file}.xlsx"
        book: list = []
        read = _timed(lambda: book.append(RecalcBook(path)))
        book = book[0]
        first_named = _timed(lambda: book.calculate())
        base = book.calculate()[price]
        first_whole = _timed(lambda: book.calculate(all_cells=True))
        named, whole = [], []
        for i in range(changes):
            value = base * (0.9 + 0.05 * i)
            named.append(_timed(lambda: book.calculate({price: value})))
            whole.append(_timed(lambda: book.calculate({price: value}, all_cells=True)))
        print(f"{template.file:<30} {read * 1e3:7.0f} {first_named * 1e3:12.0f} {min(named) * 1e3:9.1f} "
              f"{first_whole * 1e3:12.0f} {min(whole) * 1e3:9.1f}")


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
