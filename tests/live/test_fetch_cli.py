"""``xlmargin fetch`` run as a real process against the recorded exchange on 127.0.0.1: the book, and errors a trader understands.

Each failure is one line on stderr, exit 1 (the work failed: network, keys, rate limit, a
call the exchange lacks) or 2 (bad input: a contract xlmargin does not model, an output
that exists), no traceback, no book under the final name, and no credential anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_helpers import FAKE_KEY, FAKE_PASSWORD, FAKE_SECRET, assert_no_keys

ROOT = Path(__file__).parents[2]


def run_fetch(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XLMARGIN_BINANCEUSDM_API_KEY=FAKE_KEY, XLMARGIN_BINANCEUSDM_SECRET=FAKE_SECRET,
               XLMARGIN_BINANCEUSDM_PASSWORD=FAKE_PASSWORD)
    env.pop("XLMARGIN_EXCHANGE_URL", None)
    return subprocess.run([sys.executable, "-m", "xlmargin", "fetch", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def outputs(folder: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()]


def test_fetch_writes_the_book_that_report_reads(recorded, tmp_path):
    server = recorded("binanceusdm")
    done = run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", server.url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = tmp_path / "book"
    assert sorted(p.name for p in book.iterdir()) == ["accounts.csv", "positions.csv", "tiers.csv"]
    assert "explained: funding" in done.stdout and "-1.6 ticks" in done.stdout
    from xlmargin.live.reconcile import reconcile
    from xlmargin.review import read_book

    again = reconcile(read_book(book / "positions.csv", book / "accounts.csv", book / "tiers.csv"))
    assert again.status.tolist() == ["explained: funding"]  # the written book reconciles as the fetched one did
    assert_no_keys(done.stdout, done.stderr, *outputs(tmp_path))
    # an existing book is kept unless --force
    again = run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", server.url, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", server.url, "--force", cwd=tmp_path).returncode == 0


def failing(done: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xlmargin: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for word in words:
        assert word in lines[0]
    assert_no_keys(done.stdout, done.stderr)


def test_no_network(refused_url, tmp_path):
    done = run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", refused_url, cwd=tmp_path)
    failing(done, 1, "did not answer", "network")
    assert not (tmp_path / "book").exists()


AUTH = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}  # Binance's docs, error codes
LIMIT = {"code": -1003, "msg": "Too many requests; current limit is 2400 requests per minute."}  # Binance's docs, error codes


@pytest.mark.parametrize(("status", "body", "code", "words"), [
    (401, AUTH, 1, ("refused the API keys", "XLMARGIN_BINANCEUSDM_API_KEY")),
    (429, LIMIT, 1, ("rate limit", "429")),
])
def test_the_exchange_says_no(recorded, tmp_path, status, body, code, words):
    server = recorded("binanceusdm")
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(body))
    server.override("GET /fapi/v3/positionRisk", {"status": status, "file": str(answer)})
    done = run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", server.url, cwd=tmp_path)
    failing(done, code, *words)
    assert any(r["path"] == "/fapi/v3/positionRisk" for r in server.requests)  # the request really went out
    assert not (tmp_path / "book").exists()


def test_an_exchange_without_positions(tmp_path):
    done = run_fetch("--exchange", "bitstamp", "--out", "book", "--api-url", "http://127.0.0.1:9", cwd=tmp_path)
    failing(done, 1, "bitstamp does not offer fetchPositions")


def test_a_contract_xlmargin_does_not_model(recorded, tmp_path):
    server = recorded("binanceusdm")
    position = json.loads((server.folder / "position_risk.json").read_text())
    position[0]["symbol"] = "BTC-241227-70000-C"  # a Binance option's id: not a USDⓈ-M market
    answer = tmp_path / "option.json"
    answer.write_text(json.dumps(position))
    server.override("GET /fapi/v3/positionRisk", {"file": str(answer)})
    done = run_fetch("--exchange", "binanceusdm", "--out", "book", "--api-url", server.url, cwd=tmp_path)
    failing(done, 2, "bad input", "241227-70000-C", "a market it does not list")
    assert not (tmp_path / "book").exists()
