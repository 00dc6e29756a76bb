"""Benchmark: recalculating a template headlessly after one price change.

For each worked-example workbook: the time to load it into the formula engine,
then, per price change, the time to recalculate its named outputs (what
``xlmargin recalc`` prints) and the whole workbook (chart data included).

Run:  python tests/benchmarks/bench_recalc.py [--changes 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from xlmargin.workbooks.engine import RecalcBook
from xlmargin.workbooks.templates import TEMPLATES

WORKBOOKS = Path(__file__).parents[2] / "workbooks"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{'template':<30} {'load':>8} {'named outputs':>15} {'whole book':>12}   (best of {args.changes} price changes)")
    for key, make in TEMPLATES.items():
        template = make()
        price = template.chart.price_input
        start = time.perf_counter()
        book = RecalcBook(WORKBOOKS / f"{template.file}.xlsx")
        base = book.calculate()[price]
        load = time.perf_counter() - start
        named, whole = [], []
        for i in range(args.changes):
            value = base * (0.9 + 0.05 * i) if price != "FUNDING_INTERVALS" else i * 10
            start = time.perf_counter()
            book.calculate({price: value})
            named.append(time.perf_counter() - start)
            start = time.perf_counter()
            book.calculate({price: value}, all_cells=True)
            whole.append(time.perf_counter() - start)
        print(f"{template.file:<30} {load:7.2f}s {min(named) * 1e3:12.1f} ms {min(whole) * 1e3:9.1f} ms")


if __name__ == "__main__":
    main()
