"""The benchmarks still run (they print figures, they assert nothing about time).

Each runs as a script in a new interpreter, on the smallest input it accepts: the time is the
interpreter's start and the first calls, whatever the size (bench_recalc: one template, one run).
The scripts start together in the
background (``STARTED``, see conftest.py) and each test waits for its own.
"""

import pathlib
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).parent / "benchmarks"


def script(name, *args):
    return [sys.executable, BENCHMARKS / name, *args]


STARTED = {
    "liq_price": lambda folder: script("bench_liq_price.py", "--rows", "10", "--repeat", "1", "--loop-sample", "1"),
    "udf_calls": lambda folder: script("bench_udf_calls.py", "--rows", "2", "--calls", "2", "--column-rows", "100", "--filled", "5"),
    "recalc": lambda folder: script("bench_recalc.py", "--changes", "1", "--runs", "1", "--templates", "W3"),
    "book": lambda folder: script("bench_book.py", "--positions", "2", "--accounts", "1"),
    "rules": lambda folder: script("bench_rules.py", "--rows", "10", "--repeat", "1"),
    "headroom": lambda folder: script("bench_headroom.py", "--rows", "20", "--repeat", "1"),
    "drift": lambda folder: script("bench_drift.py", "--rows", "20", "--loop-sample", "5", "--repeat", "1"),
}


@pytest.mark.started("liq_price")
def test_liq_price_benchmark_runs_and_agrees_with_itself(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "tiered call vs baseline" in result.stdout


@pytest.mark.started("udf_calls")
def test_udf_call_benchmark_runs(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "faster as one range call" in result.stdout


@pytest.mark.started("recalc")
def test_recalc_benchmark_runs(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "w3_two_longs" in result.stdout


@pytest.mark.started("book")
def test_book_benchmark_runs(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "peak memory" in result.stdout


@pytest.mark.started("rules")
def test_rules_benchmark_runs(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "all rule sets mixed per row" in result.stdout


@pytest.mark.started("headroom")
def test_headroom_benchmark_runs_and_agrees_with_the_way_before(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "ratio before/now" in result.stdout and "withdrawable balance" in result.stdout


@pytest.mark.started("drift")
def test_drift_benchmark_runs_and_agrees_with_the_loop(started):
    result = started.result()
    assert result.returncode == 0, result.stderr
    assert "ratio loop/call" in result.stdout
