"""MARK_PRICE and RECONCILE_LIQ_PRICE as Excel calls them, against the recorded exchange on 127.0.0.1.

Under Office.js MARK_PRICE is an xlwings streaming function: ``custom_functions_call`` starts its task
and each new price reaches the cell through the streaming callback, as in xlwings Lite; the recorded
mark-price answers change between polls, so the cell must show both prices in turn.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import xlwings
from live_helpers import assert_no_keys
from xlwings.server import custom_functions_call, custom_functions_meta

sys.path.insert(0, str(Path(__file__).parents[1]))
from excel_hosts import OfficeJs  # noqa: E402

from xlmargin.excel import live  # noqa: E402
from xlmargin.live import marks  # noqa: E402


@pytest.fixture
def binance(recorded, monkeypatch):
    server = recorded("binanceusdm")
    monkeypatch.setenv("XLMARGIN_EXCHANGE_URL", server.url)
    return server


def test_mark_price_is_a_streaming_function_in_office_js():
    meta = {f["name"]: f for f in custom_functions_meta(live)["functions"]}
    assert meta["MARK_PRICE"]["options"].get("stream") is True
    assert [p["name"] for p in meta["MARK_PRICE"]["parameters"]] == ["exchange", "symbol", "interval"]


def test_mark_price_streams_new_prices_into_the_cell(binance):
    shown: list = []

    async def excel():
        data = {"func_name": "MARK_PRICE", "args": [[["binanceusdm"]], [["BTC/USDT:USDT"]], [[0.05]]],
                "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4", "task_key": "t-mark"}
        await custom_functions_call(data, live, streaming_callback=shown.append)
        for _ in range(200):
            if len(shown) >= 3:
                break
            await asyncio.sleep(0.02)
        from xlwings.pro.udfs_officejs import background_tasks
        background_tasks.pop("t-mark").cancel()

    asyncio.run(excel())
    assert [cells[0][0] for cells in shown[:3]] == [67502.68519858, 67582.2, 67582.2]  # the second poll's price, then it stays
    assert sum(r["path"] == "/fapi/v1/premiumIndex" for r in binance.requests) >= 3  # each update a real request


def test_mark_price_refreshes_at_most_once_per_interval_under_com(binance):
    first = marks.refreshing_mark("binanceusdm", "BTC/USDT:USDT", 60)
    assert marks.refreshing_mark("binanceusdm", "BTC/USDT:USDT", 60) == first == 67502.68519858  # asked again too soon
    marks._LAST.clear()
    assert marks.refreshing_mark("binanceusdm", "BTC/USDT:USDT", 60) == 67582.2  # a new recalculation after the interval


def test_mark_price_errors_are_one_line(refused_url, monkeypatch):
    monkeypatch.setenv("XLMARGIN_EXCHANGE_URL", refused_url)
    with pytest.raises(Exception) as caught:
        OfficeJsLive().call("MARK_PRICE", "binanceusdm", "BTC/USDT:USDT", 1)
    assert "did not answer" in str(caught.value) and "\n" not in str(caught.value) and "Traceback" not in str(caught.value)
    assert_no_keys(str(caught.value))


class OfficeJsLive(OfficeJs):
    module = live

    def call(self, name, *args):
        async def first():
            shown: list = []
            data = self.request(name, *args) | {"task_key": f"t-{name}"}
            await custom_functions_call(data, self.module, streaming_callback=shown.append)  # starts the task
            for _ in range(500):
                if shown:
                    break
                await asyncio.sleep(0.02)
            from xlwings.pro.udfs_officejs import background_tasks
            task = background_tasks.pop(data["task_key"], None)
            if task is not None:
                task.cancel()
            cells = shown[0]
            if isinstance(cells, list) and isinstance(cells[0][0], str) and cells[0][0].startswith("ERROR"):
                raise RuntimeError(cells[0][0])
            return cells
        return asyncio.run(first())


def test_reconcile_liq_price_spills_a_table():
    host = OfficeJs()
    host.module = live
    cells = host.call("RECONCILE_LIQ_PRICE", "long", 0.009, 67445.9, 67502.69, "cross", 0, 25.72470371, 64846.9875379, 0.1, 0.004)
    header, row = cells[0], cells[1]
    assert header == ["xlmargin_liq_price", "exchange_liq_price", "difference", "difference_ticks", "difference_pct", "status"]
    # By hand: (25.72470371 - 0.009*67445.9) / (0.009*0.004 - 0.009), Binance's cross formula, one position, tier 1
    assert row[0] == pytest.approx((25.72470371 - 0.009 * 67445.9) / (0.009 * 0.004 - 0.009), rel=1e-12)
    assert row[1] == 64846.9875379 and abs(row[3]) <= 1 and row[5] == "agrees"
