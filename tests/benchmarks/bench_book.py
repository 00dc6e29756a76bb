"""Benchmark: the risk review of a large book, end to end, stage by stage, with peak memory; one process beside Dask.

A synthetic book (default 1,000,000 positions in 100,000 accounts, linear
BTC/ETH positions on Binance's shipped tier tables, 40 % isolated) is reviewed
(positions, accounts, stress scenarios, cascade, value curve) and written in
every format (HTML, PDF, XLSX), each stage timed as the progress callbacks
report it. Then the same book is written as Parquet and reviewed from the files
both ways, in turn: on one machine (:func:`xlmargin.review.read_book` of one
file, then :func:`~xlmargin.review.evaluate`, as ``xlmargin review book.parquet``
does) and on Dask with two local worker processes over the same rows in eight
files (:func:`xlmargin.review.distributed.evaluate_parquet` on
:func:`~xlmargin.review.distributed.local_cluster`, as ``xlmargin review
folder/`` does). Both start from the files and end with the same RiskResult;
the review of the book already in memory is printed too.

Peak memory is the maximum resident set size (``VmHWM`` in /proc) of this
process and, sampled every 0.1 s, the most this process and its children (the
PDF renderer) held together: this process's resident set and each child's
private memory (``Private_Clean + Private_Dirty`` in ``smaps_rollup``), so that
a child started by fork or vfork is not counted with its parent's pages twice,
nor the shared libraries both map. (This process's own ``smaps_rollup`` is not
read: walking a 1 GB address space costs ~20 ms a read, 15 % of a core at ten
reads a second.) The Dask workers' peaks are asked of the workers. Targets: the whole review and
report under 60 s and under 1,536 MB.

Run:  python tests/benchmarks/bench_book.py [--positions 1000000] [--accounts 100000] [--format html ...] [--no-dask]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from xlmargin.report import FORMATS, write_report
from xlmargin.review import evaluate, synthetic_book

TARGET_S, TARGET_MB = 60.0, 1536.0


class Stages:
    """Wall-clock and this process's CPU time between progress calls, by label (CPU: a busy machine shows in wall only)."""

    def __init__(self, prefix: str):
        self.prefix, self.times, self.label, self.start = prefix, {}, None, None

    def __call__(self, label: str | None) -> None:
        now = time.perf_counter(), time.process_time()
        if self.label is not None:
            wall, cpu = self.times.get(f"{self.prefix}{self.label}", (0.0, 0.0))
            self.times[f"{self.prefix}{self.label}"] = (wall + now[0] - self.start[0], cpu + now[1] - self.start[1])
        self.label, self.start = label, now


def _status_mb(pid: str | int, field: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(float(line.split()[1]) / 1024 for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return 0.0


def _private_mb(pid: str | int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return sum(float(line.split()[1]) for line in rollup if line.startswith(("Private_Clean:", "Private_Dirty:"))) / 1024
    except OSError:
        return 0.0


class TreeMemory:
    """The most memory this process (its resident set) and its children (their private memory) held together, every 0.1 s [MB]."""

    def __init__(self):
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            self.peak = max(self.peak, _status_mb(me, "VmRSS") + sum(_private_mb(pid) for pid in children))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _worker_peak_mb() -> float:
    return _status_mb("self", "VmHWM")


def _from_files(book, out: Path, partitions: int, in_memory_s: float) -> None:
    """The review of the book from Parquet files: on one machine, then on Dask, both timed here, one after the other."""
    from dask.distributed import Client

    from xlmargin.review import read_book
    from xlmargin.review.distributed import evaluate_parquet, local_cluster

    folder, one = out / "positions", out / "book.parquet"
    folder.mkdir()
    rows = book.positions
    rows.to_parquet(one, index=False)
    book.accounts.to_parquet(out / "accounts.parquet", index=False)
    for i in range(partitions):
        rows.iloc[i::partitions].to_parquet(folder / f"part-{i}.parquet", index=False)
    begin = time.perf_counter()
    evaluate(read_book(one, accounts=out / "accounts.parquet"))
    single_s = time.perf_counter() - begin
    with local_cluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        client.run(lambda: None)  # workers up before the clock starts
        begin = time.perf_counter()
        evaluate_parquet(folder, book.accounts, client=client)
        took = time.perf_counter() - begin
        workers = client.run(_worker_peak_mb)
    print("  from Parquet files to the reviewed book (read, checked, reviewed):")
    print(f"    one process                {single_s:7.2f} s  (one file; the review alone of the book in memory: {in_memory_s:.2f} s)")
    print(f"    Dask, 2 local workers      {took:7.2f} s  ({partitions} files; workers' peak "
          f"{', '.join(f'{mb:,.0f}' for mb in workers.values())} MB)")
    print(f"    Dask / one process         {took / single_s:7.2f}    (faster on Dask: {'yes' if took < single_s else 'NO'}; "
          f"machine load now {os.getloadavg()[0]:.2f})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--format", dest="formats", action="append", choices=list(FORMATS))
    parser.add_argument("--partitions", type=int, default=8, help="Parquet files of the Dask run")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask run")
    args = parser.parse_args(argv)
    formats = tuple(args.formats or FORMATS)
    tree = TreeMemory()
    load_before = os.getloadavg()[0]
    begin = time.perf_counter()
    book = synthetic_book(args.positions, args.accounts)
    make_s = time.perf_counter() - begin
    review = Stages("review: ")
    begin, cpu = time.perf_counter(), time.process_time()
    result = evaluate(book, progress=review)
    review(None)
    evaluate_s = time.perf_counter() - begin
    writing = Stages("write: ")
    with tempfile.TemporaryDirectory() as out:
        begin = time.perf_counter()
        paths = write_report(result, Path(out), formats=formats, progress=writing)
        writing(None)
        report_s = time.perf_counter() - begin
        sizes = ", ".join(f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f} MB" for p in paths)
        peak, together = _status_mb("self", "VmHWM"), tree.stop()
        print(f"risk review of {args.positions:,} positions in {args.accounts:,} accounts, report as {', '.join(formats)}")
        print(f"  machine load (1-min average) {load_before:.2f} before, {os.getloadavg()[0]:.2f} now, on {os.cpu_count()} cores "
              "(a busy machine shows in wall time, far less in CPU time)")
        print(f"  make the synthetic book      {make_s:7.2f} s")
        print(f"    {'stage':<40} {'wall':>7}   {'CPU, this process':>7}")
        for label, (wall, cpu) in {**review.times, **writing.times}.items():
            print(f"    {label:<40.40} {wall:7.2f} s {cpu:7.2f} s")
        print(f"  review                       {evaluate_s:7.2f} s")
        print(f"  write the report             {report_s:7.2f} s  ({sizes})")
        total = evaluate_s + report_s
        print(f"  CPU, this process            {time.process_time() - cpu:7.2f} s  (the PDF renderer apart)")
        print(f"  review + report              {total:7.2f} s  (target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'NOT met'})")
        print(f"  peak memory                  {peak:7.0f} MB this process, {together:,.0f} MB with the PDF renderer "
              f"(target < {TARGET_MB:,.0f} MB: {'met' if max(peak, together) < TARGET_MB else 'NOT met'})")
        del result
        if not args.no_dask:
            _from_files(book, Path(out), args.partitions, evaluate_s)


if __name__ == "__main__":
    main()
