"""The benchmarks still run (they print figures, they assert nothing about time).

Each runs as a script in a new interpreter, on the smallest input it accepts: the time is the
interpreter's start and the first calls, whatever the size. bench_recalc has no size to shrink
(--changes 1 is its least; it always loads every template).
"""

import pathlib
import subprocess
import sys

BENCHMARKS = pathlib.Path(__file__).parent / "benchmarks"


def test_liq_price_benchmark_runs_and_agrees_with_itself():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_liq_price.py"), "--rows", "10", "--repeat", "1", "--loop-sample", "1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "tiered call vs baseline" in result.stdout


def test_udf_call_benchmark_runs():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_udf_calls.py"), "--rows", "2"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "faster as one range call" in result.stdout


def test_recalc_benchmark_runs():
    result = subprocess.run([sys.executable, str(BENCHMARKS / "bench_recalc.py"), "--changes", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "w3_two_longs" in result.stdout


def test_book_benchmark_runs():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_book.py"), "--positions", "2", "--accounts", "1"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "peak memory" in result.stdout


def test_rules_benchmark_runs():
    result = subprocess.run([sys.executable, str(BENCHMARKS / "bench_rules.py"), "--rows", "10", "--repeat", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "all rule sets mixed per row" in result.stdout
