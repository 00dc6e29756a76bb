"""Fixtures of the live-book tests: a recorded exchange on 127.0.0.1 and fake keys to hunt for in every output."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from server import RecordedExchange  # noqa: E402

from live_helpers import FAKE_KEY, FAKE_PASSWORD, FAKE_SECRET  # noqa: E402


@pytest.fixture
def keys_in_env(monkeypatch):
    """Fake keys in the environment of every exchange the tests use."""
    for exchange in ("BINANCEUSDM", "BINANCECOINM", "BYBIT", "OKX", "GATE"):
        monkeypatch.setenv(f"XLMARGIN_{exchange}_API_KEY", FAKE_KEY)
        monkeypatch.setenv(f"XLMARGIN_{exchange}_SECRET", FAKE_SECRET)
        monkeypatch.setenv(f"XLMARGIN_{exchange}_PASSWORD", FAKE_PASSWORD)


@pytest.fixture
def recorded():
    """``recorded("binanceusdm")``: that exchange's recorded responses served on 127.0.0.1 (closed after the test)."""
    servers = []

    def start(exchange: str) -> RecordedExchange:
        servers.append(RecordedExchange(exchange))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def refused_url():
    """An address on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
