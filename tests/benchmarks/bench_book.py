"""Benchmark: the risk review of a large book, end to end, with its peak memory.

A synthetic book (default 1,000,000 positions in 100,000 accounts, linear
BTC/ETH positions on Binance's shipped tier tables, 40 % isolated) is reviewed
(positions, accounts, stress scenarios, cascade, value curve) and written as an
HTML report. Peak memory is the process's maximum resident set size.

Run:  python tests/benchmarks/bench_book.py [--positions 1000000] [--accounts 100000] [--format html]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from xlmargin.review import synthetic_book
from xlmargin.report import write_report
from xlmargin.review import evaluate


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--format", dest="formats", action="append", choices=["html", "pdf", "xlsx"])
    args = parser.parse_args(argv)
    formats = tuple(args.formats or ["html"])
    stages = {}
    start = time.perf_counter()
    book = synthetic_book(args.positions, args.accounts)
    stages["make the book"] = time.perf_counter() - start
    last = [time.perf_counter()]

    def progress(label):
        now = time.perf_counter()
        last.append(now)
        stages[f"evaluate: {label}"] = now

    begin = time.perf_counter()
    result = evaluate(book, progress=progress)
    evaluate_t = time.perf_counter() - begin
    with tempfile.TemporaryDirectory() as out:
        begin = time.perf_counter()
        paths = write_report(result, Path(out), formats=formats)
        report_t = time.perf_counter() - begin
        sizes = {p.suffix: p.stat().st_size for p in paths}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"risk review of {args.positions:,} positions in {args.accounts:,} accounts, report as {', '.join(formats)}")
    print(f"  make the synthetic book   {stages['make the book']:7.2f} s")
    print(f"  evaluate                  {evaluate_t:7.2f} s  (positions, accounts, stress, cascade, curve)")
    print(f"  write the report          {report_t:7.2f} s  ({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sizes.items())})")
    print(f"  review total              {evaluate_t + report_t:7.2f} s  (target < 60 s)")
    print(f"  peak memory               {peak_mb:7.0f} MB (target < 2,048 MB)")


if __name__ == "__main__":
    main()
