"""W3 at live marks (workbooks/w3_live_marks.xlsx): MARK_PRICE drives the positions' marks; without it, W3.

The template tests hold the file to W3's figures at its typed prices (no live price there: nothing in
the tests reaches an exchange, and the headless engine answers MARK_PRICE with #N/A). Here a live
price from MARK_PRICE, asked of the recorded exchange on 127.0.0.1 as the COM add-in asks it, is put
where MARK_PRICE's cell is, and every output must become W3's at that price.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from template_reference import close, reference  # noqa: E402

from xlmargin.live import marks  # noqa: E402
from xlmargin.workbooks.engine import RecalcBook  # noqa: E402
from xlmargin.workbooks.shipped import template_path  # noqa: E402

FILE = template_path("w3_live_marks")


def test_the_live_cells_call_mark_price_with_the_sheets_exchange_symbol_and_refresh():
    book = openpyxl.load_workbook(FILE)
    names = {n: list(d.destinations)[0] for n, d in book.defined_names.items()}
    cell = lambda name: book[names[name][0]][names[name][1].replace("$", "")].value  # noqa: E731
    assert cell("BTC_LIVE_MARK") == '=IFERROR(MARK_PRICE(EXCHANGE,BTC_SYMBOL,REFRESH_SECONDS),"none")'
    assert cell("ETH_LIVE_MARK") == '=IFERROR(MARK_PRICE(EXCHANGE,ETH_SYMBOL,REFRESH_SECONDS),"none")'
    assert cell("BTC_MARK") == "=IF(ISNUMBER(BTC_LIVE_MARK),BTC_LIVE_MARK,BTC_PRICE)"


def test_without_a_live_price_the_sheet_says_it_uses_the_typed_ones():
    figures = RecalcBook(FILE).calculate({})
    assert figures["BTC_LIVE_MARK"] == "none" and figures["BTC_MARK"] == 51_000
    assert figures["PRICE_SOURCE"].startswith("the typed prices")


@pytest.fixture
def binance(recorded, monkeypatch):
    server = recorded("binanceusdm")
    monkeypatch.setenv("XLMARGIN_EXCHANGE_URL", server.url)
    return server


def test_a_live_mark_drives_every_output_as_a_typed_one_would(binance):
    live = marks.refreshing_mark("binanceusdm", "BTC/USDT:USDT", 60)  # what MARK_PRICE gives under COM
    assert live == pytest.approx(67_502.685, abs=0.001)  # the recorded premiumIndex answer
    figures = RecalcBook(FILE).calculate({"BTC_LIVE_MARK": live})
    assert figures["BTC_MARK"] == live and figures["PRICE_SOURCE"] == "a live mark and a typed one: see above"
    expected = reference("W3", {"BTC_PRICE": live})
    assert expected["CROSS_EQUITY"] == pytest.approx(500 + 0.04 * (live - 50_000) - 240)  # by hand: BTC's gain, ETH's loss
    for name, value in expected.items():
        assert close(figures[name], value), (name, figures[name], value)
    both = RecalcBook(FILE).calculate({"BTC_LIVE_MARK": live, "ETH_LIVE_MARK": 2_100.0})
    assert both["PRICE_SOURCE"] == "live marks: binanceusdm"
    assert close(both["CROSS_EQUITY"], reference("W3", {"BTC_PRICE": live, "ETH_PRICE": 2_100})["CROSS_EQUITY"])
