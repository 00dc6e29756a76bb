"""The command line, run as a user runs it (a real subprocess)."""

import subprocess
import sys

import pytest

from xlmargin.examples import WORKED_EXAMPLES


def run(*args):
    return subprocess.run([sys.executable, "-m", "xlmargin", *args], capture_output=True, text=True)


def test_demo_prints_every_worked_example():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    for key, example in WORKED_EXAMPLES.items():
        assert f"{key}  {example.title}" in result.stdout
    assert "ISO_LIQ_PRICE            45,226.130653" in result.stdout  # W1
    assert "CROSS_LIQ_PRICE          50,250" in result.stdout  # W4


def test_tiers_lists_and_shows_tables():
    listing = run("tiers")
    assert listing.returncode == 0 and "binance_usdm_btcusdt" in listing.stdout
    shown = run("tiers", "binance_coinm_btcusd_perp")
    assert shown.returncode == 0 and "# notional_unit: BTC" in shown.stdout and "11.605" in shown.stdout


@pytest.mark.parametrize("args", [("tiers", "nope")])
def test_errors_are_one_line_and_non_zero(args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: tiers 'nope' is not a shipped table")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
