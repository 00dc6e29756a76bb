"""The review's headroom figures (#16): margin that can come out, withdrawable balance, break-even; equal to the core's."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xlmargin as mg
from xlmargin.core.tiers import TierTable
from xlmargin.report import write_report
from xlmargin.review import Book, check_book, evaluate, sample_book, synthetic_book

POSITION_HEADERS = ["Break-even after fees and funding [quote]", "Margin that can come out [USDT]", "Funding intervals to liq.",
                    "Liq. by funding at", "Rates assumed"]
ACCOUNT_HEADERS = ["Withdrawable [USDT]"]
SECTION = "Margin that can come out, break-even prices and funding to liquidation"


def _book(rows, accounts):
    columns = ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode",
               "isolated_margin", "tier_set", "leverage", "funding", "rules"]
    positions = pd.DataFrame(rows, columns=columns)
    wallets = pd.DataFrame(accounts, columns=["account", "wallet_balance"]).assign(settlement_asset="USDT")
    return Book(*check_book(positions, wallets))


@pytest.fixture(scope="module")
def hand():
    """W2's isolated long beside a cross long, a BitMEX copy of W2, an account mixing rule sets, funding paid."""
    return evaluate(_book([
        ["w2", "BTCUSDT", "linear", "long", 0.1, 50_000, 51_000, "isolated", 100, "", None, None, None],
        ["w2", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, -5, None],
        ["mex", "BTCUSDT", "linear", "long", 0.1, 50_000, 51_000, "isolated", 100, "", None, None, "bitmex"],
        ["mixed", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, None, "binance"],
        ["mixed", "ETHUSDT", "linear", "long", 1, 2_500, 2_500, "cross", None, "", 20, None, "bybit"],
    ], [["w2", 1_000], ["mex", 1_000], ["mixed", 1_000]]))


def test_w2_isolated_removable_margin_by_hand(hand):
    # 0.1 BTC long at 50,000 with 100 USDT (50x), marked at 51,000: uPnL 100, MM 0.5 % of 5,100 = 25.5,
    # IM at the mark 5,100 / 50 = 102. Binance: min(100 - 25.5, 100 + 100 - 102) = 74.5.
    assert hand.positions.loc[0, "removable_margin"] == pytest.approx(74.5, abs=1e-9)
    # BitMEX keeps the entry value / leverage (100) and no unrealized profit: min(100 + 100 - 100, 100) = 100.
    assert hand.positions.loc[2, "removable_margin"] == pytest.approx(100.0, abs=1e-9)
    assert np.isnan(hand.positions.loc[1, "removable_margin"])  # a cross position: no margin of its own


def test_cross_withdrawable_and_break_even_by_hand(hand):
    # w2's cross wallet: 1,000 - 100 (the isolated margin) - 5 (funding paid) = 895; the cross long at 20x,
    # marked at its entry: MM 25, IM 250, uPnL 0. Binance: min(895 - 25, 895 + 0 - 250) = 645.
    accounts = hand.accounts.set_index("account")
    assert accounts.loc["w2", "withdrawable_balance"] == pytest.approx(645.0, abs=1e-9)
    assert np.isnan(accounts.loc["mex", "withdrawable_balance"])  # no cross positions
    assert np.isnan(accounts.loc["mixed", "withdrawable_balance"])  # two rule sets: the core takes one per account
    # 5 USDT of funding paid on 0.1 BTC from 50,000, no fees: the exit must win back 5, i.e. 50 USDT a BTC.
    assert hand.positions.loc[1, "break_even_price"] == pytest.approx(50_050.0, abs=1e-9)
    assert hand.positions.loc[0, "break_even_price"] == pytest.approx(50_000.0, abs=1e-9)


def _mmr(book, row, price):
    """The row's tier table, or the default rate; as (rate, amount) at ``price`` for a table (hand tier look-up)."""
    name = book.positions.loc[row, "tier_set"]
    if not name:
        return 0.005, 0.0
    table: TierTable = book.tiers[name]
    n = book.positions.loc[row, "size"] * (1 / price if book.positions.loc[row, "contract"] == "inverse" else price)
    i = int(np.searchsorted(table.notional_floor, n, side="right") - 1)
    return float(table.mmr[i]), float(table.maint_amount[i])


@pytest.mark.parametrize("make", [sample_book, lambda: _book([
    ["a", "BTCUSDT", "linear", "short", 2, 52_000, 51_000, "isolated", 5_000, "binance_usdm_btcusdt", 25, 3, "bybit"],
    ["a", "ETHUSDT", "linear", "long", 40, 2_500, 2_300, "cross", None, "binance_usdm_ethusdt", 10, -12, "bybit"],
    ["a", "BTCUSDT", "linear", "short", 1, 50_000, 51_000, "cross", None, "binance_usdm_btcusdt", None, None, "bybit"],
    ["b", "BTCUSDT", "linear", "long", 3, 50_000, 47_000, "isolated", 4_000, "", 50, -20, "hyperliquid"],
    ["b", "ETHUSDT", "linear", "long", 5, 2_500, 2_600, "cross", None, "", 20, 4, "hyperliquid"],
], [["a", 20_000], ["b", 3_000]])], ids=["sample", "hand-built"])
def test_columns_equal_the_core_called_row_by_row(make):
    book = make()
    result = evaluate(book)
    p, out = book.positions, result.positions
    rules = p["rules"] if "rules" in p.columns else pd.Series("binance", index=p.index)
    funding = p["funding"] if "funding" in p.columns else pd.Series(0.0, index=p.index)
    fees = [p[c].fillna(0.0) if c in p.columns else pd.Series(0.0, index=p.index) for c in ("open_fee_rate", "close_fee_rate")]
    for i in p.index:
        args = (p.loc[i, "side"], p.loc[i, "size"], p.loc[i, "entry_price"])
        assert out.loc[i, "break_even_price"] == pytest.approx(
            mg.break_even_price(*args, fees[0][i], fees[1][i], funding[i], p.loc[i, "contract"]), rel=1e-12)
        if p.loc[i, "margin_mode"] == "isolated":
            table = p.loc[i, "tier_set"]
            expected = mg.removable_margin(*args, p.loc[i, "mark_price"], p.loc[i, "isolated_margin"] + funding[i],
                                           out.loc[i, "leverage"], book.tiers[table] if table else 0.005, 0.0,
                                           p.loc[i, "contract"], 0.0, rules[i])
            assert out.loc[i, "removable_margin"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for _, account in result.accounts.iterrows():
        mine = p["account"] == account["account"]
        cross = mine & (p["margin_mode"] == "cross")
        if not cross.any():
            continue
        wallet = account["wallet_balance"] - p.loc[mine & ~cross, "isolated_margin"].sum() + funding[cross].sum()
        at_entry = rules[cross].iloc[0] in ("bybit", "bitmex")  # rule sets valuing MM at the entry (Bybit UTA: at the mark)
        prices = p.loc[cross, "entry_price" if at_entry else "mark_price"]
        rate, amount = zip(*(_mmr(book, i, prices[i]) for i in p.index[cross]))
        expected = mg.withdrawable_balance(wallet, p.loc[cross, "side"].to_numpy(), p.loc[cross, "size"].to_numpy(),
                                           p.loc[cross, "entry_price"].to_numpy(), p.loc[cross, "mark_price"].to_numpy(),
                                           out.loc[cross, "leverage"].to_numpy(), np.array(rate), np.array(amount),
                                           p.loc[cross, "contract"].iloc[0], 0.0, rules[cross].iloc[0])
        assert account["withdrawable_balance"] == pytest.approx(expected, rel=1e-12, abs=1e-9), account["account"]


def test_the_report_has_the_section_in_every_format(tmp_path):
    import pypdf  # a dev dependency

    html, pdf, xlsx = write_report(evaluate(sample_book()), tmp_path, formats=("html", "pdf", "xlsx"))
    text = html.read_text(encoding="utf-8")
    assert SECTION in text and all(h.replace("[", "") in text.replace("[", "") for h in POSITION_HEADERS + ACCOUNT_HEADERS)
    pages = "".join("".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages).replace("\x00", "").split())
    for words in [SECTION, *POSITION_HEADERS, *ACCOUNT_HEADERS]:
        assert "".join(words.split()) in pages, words
    sheet = openpyxl.load_workbook(xlsx, read_only=True)["Headroom"]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert SECTION in cells and set(POSITION_HEADERS + ACCOUNT_HEADERS) <= cells


@pytest.fixture(scope="module")
def many():
    """A synthetic book of 1,500 positions in 150 accounts over two tier sets, one random rule set per account."""
    book = synthetic_book(1_500, 150, seed=5)
    names = np.array(["binance", "bybit", "bitmex", "hyperliquid", "okx"])
    per_account = dict(zip(book.accounts["account"], np.random.default_rng(5).choice(names, len(book.accounts))))
    positions = book.positions.assign(rules=book.positions["account"].map(per_account),
                                      leverage=np.where(np.arange(len(book.positions)) % 3 == 0, 20.0, np.nan))
    return Book(*check_book(positions, book.accounts))


def test_many_groups_and_accounts_equal_the_core(many):
    result = evaluate(many)
    p, out = many.positions, result.positions
    iso = np.flatnonzero(p["margin_mode"].to_numpy() == "isolated")[::7]
    for i in iso:
        expected = mg.removable_margin(p.loc[i, "side"], p.loc[i, "size"], p.loc[i, "entry_price"], p.loc[i, "mark_price"],
                                       p.loc[i, "isolated_margin"], out.loc[i, "leverage"], many.tiers[p.loc[i, "tier_set"]],
                                       0.0, "linear", 0.0, p.loc[i, "rules"])
        assert out.loc[i, "removable_margin"] == pytest.approx(expected, rel=1e-12, abs=1e-9)
    for _, account in result.accounts.iloc[::5].iterrows():
        cross = (p["account"] == account["account"]) & (p["margin_mode"] == "cross")
        if not cross.any():
            assert np.isnan(account["withdrawable_balance"])
            continue
        mine = p["account"] == account["account"]
        rule = p.loc[cross, "rules"].iloc[0]
        prices = p.loc[cross, "entry_price" if rule in ("bybit", "bitmex") else "mark_price"]
        rate, amount = zip(*(_mmr(many, i, prices[i]) for i in p.index[cross]))
        expected = mg.withdrawable_balance(account["wallet_balance"] - p.loc[mine & ~cross, "isolated_margin"].sum(),
                                           p.loc[cross, "side"].to_numpy(), p.loc[cross, "size"].to_numpy(),
                                           p.loc[cross, "entry_price"].to_numpy(), p.loc[cross, "mark_price"].to_numpy(),
                                           out.loc[cross, "leverage"].to_numpy(), np.array(rate), np.array(amount),
                                           "linear", 0.0, rule)
        assert account["withdrawable_balance"] == pytest.approx(expected, rel=1e-12, abs=1e-9), account["account"]


def test_what_can_come_out_leaves_the_position_alive_at_the_mark(many):
    # Invariant: after the removable margin is taken out of a live position, margin + uPnL still covers the review's
    # maintenance margin (a position already past it has nothing to give).
    out = evaluate(many).positions
    iso = (out["margin_mode"] == "isolated") & ~out["liquidated"]
    assert (out.loc[(out["margin_mode"] == "isolated") & out["liquidated"], "removable_margin"] == 0).all()
    left = out["isolated_margin"] - out["removable_margin"] + out["unrealized_pnl"]
    assert (out.loc[iso, "removable_margin"] >= 0).all()
    assert (left[iso] >= out.loc[iso, "maint_margin"] * (1 - 1e-12)).all()
    assert (out.loc[iso, "removable_margin"] > 0).any() and (out.loc[iso, "removable_margin"] == 0).any()


# ---------------------------------------------------------------- fee and funding rates in the book

def _rated_book(rows, accounts):
    columns = ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin",
               "tier_set", "leverage", "open_fee_rate", "close_fee_rate", "funding_rate", "funding_interval_hours", "mark_time"]
    positions = pd.DataFrame(rows, columns=columns)
    wallets = pd.DataFrame(accounts, columns=["account", "wallet_balance"]).assign(settlement_asset="USDT")
    return Book(*check_book(positions, wallets))


@pytest.fixture(scope="module")
def rated():
    now = "2026-12-01T00:00:00Z"
    return evaluate(_rated_book([
        ["w6", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "isolated", 250, "", 20, 0.0005, 0.0005, 0.0001, None, now],
        ["w6h", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "isolated", 250, "", 20, 0.0002, 0.0005, 0.0001, 4, now],
        ["pair", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, None, None, 0.0001, 8, now],
        ["pair", "ETHUSDT", "linear", "short", 1, 2_500, 2_500, "cross", None, "", 20, None, None, -0.0004, 8, now],
        ["part", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, 0.0005, 0.0005, 0.0001, 8, now],
        ["part", "ETHUSDT", "linear", "long", 1, 2_500, 2_500, "cross", None, "", 20, 0.0005, 0.0005, None, 8, now],
        ["mixed", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, 0.0005, 0.0005, 0.0001, 8, now],
        ["mixed", "ETHUSDT", "linear", "long", 1, 2_500, 2_500, "cross", None, "", 20, 0.0005, 0.0005, 0.0001, 4, now],
        ["none", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, "", 20, 0.0005, 0.0005, None, 8, now],
    ], [["w6", 1_000], ["w6h", 1_000], ["pair", 1_000], ["part", 500.2], ["mixed", 1_000], ["none", 1_000]]))


def test_break_even_after_fees_by_hand(rated):
    out = rated.positions
    # the exit's PnL pays the fee to open at entry and the fee to close at the exit: E (1 + f_open) / (1 - f_close)
    assert out.loc[0, "break_even_price"] == pytest.approx(50_000 * 1.0005 / 0.9995, rel=1e-12)
    assert out.loc[1, "break_even_price"] == pytest.approx(50_000 * 1.0002 / 0.9995, rel=1e-12)
    assert out.loc[2, "break_even_price"] == pytest.approx(50_000, rel=1e-12)  # no fee rates: taken as 0, and said
    assert out.loc[2, "rates_assumed"] == "fee rates 0" and out.loc[0, "rates_assumed"] == ""


def test_funding_liquidation_interval_and_date_by_hand(rated):
    out = rated.positions
    # W6: 250 of margin, MM 25, 0.5 paid an interval: 225 / 0.5 = 450 intervals; 450 x 8 h = 150 days from 1 Dec 2026.
    assert out.loc[0, "funding_liq_interval"] == 450 and out.loc[0, "funding_liq_time"] == "2027-04-30 00:00 UTC"
    assert out.loc[1, "funding_liq_interval"] == 450 and out.loc[1, "funding_liq_time"] == "2027-02-14 00:00 UTC"  # 4 h: 75 days
    # the two-position cross account of tests/test_drift.py: 962.5 / 1.5 -> 642 intervals (214 days), both rows
    assert out.loc[[2, 3], "funding_liq_interval"].tolist() == [642, 642]
    assert out.loc[2, "funding_liq_time"] == "2027-07-03 00:00 UTC"
    # ETH without a rate pays nothing; BTC's 0.5 an interval out of 500.2 - 37.5 = 462.7: 926 intervals (925: 0.2 left)
    assert out.loc[[4, 5], "funding_liq_interval"].tolist() == [926, 926]
    assert out.loc[5, "rates_assumed"] == "funding rate 0" and out.loc[4, "rates_assumed"] == ""
    # positions funding every 8 h and 4 h in one wallet are not projected; nor an account without any rate
    assert out.loc[[6, 7, 8], "funding_liq_interval"].isna().all()
    assert out.loc[6, "rates_assumed"].startswith("funding intervals differ") and out.loc[8, "rates_assumed"] == "no funding rate"
    assert out.loc[8, "funding_liq_time"] == ""


def test_beyond_a_year_is_not_projected():
    book = _rated_book([["a", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "isolated", 250, "", 20, 0, 0, 0.00002, 8, ""]],
                       [["a", 1_000]])
    # 225 / 0.1 = 2,250 intervals of 8 h: beyond the year's 1,095
    assert np.isnan(evaluate(book).positions.loc[0, "funding_liq_interval"])


@pytest.mark.parametrize("column, value, words", [
    ("open_fee_rate", 1.5, "must be below 1"), ("close_fee_rate", -0.1, "must be >= 0"),
    ("funding_interval_hours", 0, "must be > 0"), ("funding_rate", "high", "is not a number"),
])
def test_bad_rates_are_named_with_their_rows(column, value, words):
    from xlmargin.review import BookError

    row = ["a", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "isolated", 250, "", 20, 0, 0, 0.0001, 8, ""]
    row[["open_fee_rate", "close_fee_rate", "funding_rate", "funding_interval_hours"].index(column) + 11] = value
    with pytest.raises(BookError, match=f"'{column}' {words}.* 2"):
        _rated_book([row], [["a", 1_000]])


def test_the_report_says_what_it_assumed(tmp_path):
    (html,) = write_report(evaluate(sample_book()), tmp_path, formats=("html",))
    text = html.read_text(encoding="utf-8")
    # the sample's four alt-shorts rows have no fee rates; ALT2 and btc-collateral's ETH no funding rate, in accounts
    # whose other positions have one
    assert "fees to open and close are taken as 0 for 4 positions without fee rates in the book" in text
    assert "2 positions without a funding rate (2 in a projected cross account, taken as 0; 0 not projected)" in text
