"""What-if on a book (issue #16): several accounts, isolated and cross positions side by side, trades naming their account.

Sources: hand calculations written out in each test (the SPEC's W2/W3 figures and its
liquidation formulas), Bybit's add/reduce walk-through (tests/test_whatif.py) with the account in
a book with others, and hypothesis invariants: a trade then its reverse gives the book's states
back less fees; a trade in one account leaves the others as they were; a one-account call is the
book call restricted to that account. WHAT_IF through Office.js and COM, omitted arguments null.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from excel_hosts import HOSTS, OMIT, Ref
from hypothesis import given, settings
from hypothesis import strategies as st

import xlmargin as xm

MMR = 0.005


def lp_linear(margin, s, q, e, mmr=MMR):
    """SPEC section 3: LP = (WB + cum - s*q*E) / (q*mmr - s*q), cum 0."""
    return (margin - s * q * e) / (q * mmr - s * q)


# Account "a": W2's long isolated (100 margin at 50x, 900 free); a trade adds 0.1 BTC at 50,500.
# Account "b": W3 in cross (500 wallet) at BTC 51,000 and ETH 2,200; a trade closes the ETH long.
BOOK = dict(
    wallet_balance=[900, 500, 500], side=["long", "long", "long"], size=[0.1, 0.04, 0.8],
    entry_price=[50_000, 50_000, 2_500], mark_price=[50_000, 51_000, 2_200],
    trade_side=["long", "long", "short"], trade_size=[0.1, 0, 0.8], trade_price=[50_500, 51_000, 2_200],
    leverage=[50, 10, 10], margin=[100, 0, 0], margin_mode=["isolated", "cross", "cross"], account=["a", "b", "b"],
)


def test_two_accounts_one_isolated_one_cross_by_hand():
    t = xm.what_if(**BOOK)
    assert t["account"].tolist() == ["a", "b", "b"]
    # a: entry (0.1*50,000 + 0.1*50,500) / 0.2 = 50,250; the fill's margin at 50x, 0.1*50,500/50 = 101,
    # joins the position (201) from the free balance (900 -> 799)
    a = t.iloc[0]
    assert a["entry_price_after"] == pytest.approx(50_250) and a["size_after"] == pytest.approx(0.2)
    assert a["initial_margin"] == pytest.approx(101) and a["margin_after"] == pytest.approx(201)
    assert a["liq_price_before"] == pytest.approx(lp_linear(100, 1, 0.1, 50_000))  # 49,246.23
    assert a["liq_price_after"] == pytest.approx(lp_linear(201, 1, 0.2, 50_250))  # 49,492.46
    assert a["liq_price_after"] == pytest.approx(49_492.4623, abs=1e-4)
    assert a["wallet_balance_before"] == 900 and a["wallet_balance_after"] == pytest.approx(799)
    # equity: free + margin + uPnL: 900 + 100 + 0 before, 799 + 201 + 0.2*(50,000 - 50,250) = 950 after
    assert (a["equity_before"], a["equity_after"]) == (pytest.approx(1_000), pytest.approx(950))
    assert a["maint_margin_after"] == pytest.approx(0.2 * 50_000 * MMR)
    assert a["margin_ratio_after"] == pytest.approx(50 / 950)
    assert a["available_after"] == pytest.approx(799) and a["can_open"]
    assert a["max_size_after"] == pytest.approx(799 * 50 / 50_000)
    # b: others of BTC = 500 + (ETH uPnL -240 - ETH MM 8.8) = 251.2; after the close the wallet is 260
    btc, eth = t.iloc[1], t.iloc[2]
    assert eth["realized_pnl"] == pytest.approx(-240) and eth["side_after"] == "" and math.isnan(eth["liq_price_after"])
    assert btc["liq_price_before"] == pytest.approx(lp_linear(500 - 240 - 0.8 * 2_200 * MMR, 1, 0.04, 50_000))  # 43,939.70
    assert btc["liq_price_after"] == pytest.approx(lp_linear(260, 1, 0.04, 50_000))  # 43,718.59
    # ETH's own price, BTC held at 51,000 (W3): 1,846.98
    assert eth["liq_price_before"] == pytest.approx(lp_linear(500 + 40 - 0.04 * 51_000 * MMR, 1, 0.8, 2_500))
    for row in (btc, eth):  # the account's figures on each of its rows
        assert row["wallet_balance_after"] == pytest.approx(260)
        assert (row["equity_before"], row["equity_after"]) == (pytest.approx(300), pytest.approx(300))
        assert row["maint_margin_before"] == pytest.approx(0.04 * 51_000 * MMR + 0.8 * 2_200 * MMR)  # 10.2 + 8.8
        assert row["maint_margin_after"] == pytest.approx(10.2)
        assert row["margin_ratio_before"] == pytest.approx(19 / 300)
        # available: equity - IM at the marks, 300 - (204 + 176) = -80 before, 300 - 204 = 96 after
        assert (row["available_before"], row["available_after"]) == (pytest.approx(-80), pytest.approx(96))
    assert btc["max_size_after"] == pytest.approx(96 * 10 / 51_000)
    assert eth["can_open"]  # closing needs no margin, even with the available balance below zero


def test_an_isolated_trade_takes_its_margin_from_the_cross_wallet_of_its_account():
    """One account, both modes: W2's long in cross on 1,000; a new isolated 1 ETH at 2,000, 10x, takes 200 of it."""
    t = xm.what_if(1_000, "long", [0.1, 0], [50_000, 2_000], [50_000, 2_000], "long", [0, 1], [50_000, 2_000], [50, 10],
                   margin_mode=["cross", "isolated"])
    btc, eth = t.iloc[0], t.iloc[1]
    assert btc["liq_price_before"] == pytest.approx(lp_linear(1_000, 1, 0.1, 50_000))  # 40,201.01
    assert btc["liq_price_after"] == pytest.approx(lp_linear(800, 1, 0.1, 50_000))  # 42,211.06
    assert eth["margin_after"] == pytest.approx(200) and eth["liq_price_after"] == pytest.approx(lp_linear(200, 1, 1, 2_000))
    assert btc["wallet_balance_after"] == pytest.approx(800)
    # equity 800 + 0 (cross) + 200 + 0 (isolated); MM 25 + 10; available: 800 - 5,000/50 = 700
    assert btc["equity_after"] == pytest.approx(1_000) and btc["maint_margin_after"] == pytest.approx(35)
    assert btc["available_after"] == pytest.approx(700)


def test_bybit_walk_through_still_holds_inside_a_book():
    """Bybit's FAQ (tests/test_whatif.py): 2 BTC at 10,000 on 1,500 + 500 margin liquidate at 9,000; beside other accounts."""
    alone = xm.what_if(0, "long", 1, 10_000, 10_000, "long", 1, 10_000, 20, 1_500, "isolated", 0.0, rules="bybit")
    book = xm.what_if([0, 700, 700], ["long", "short", "long"], [1, 0.5, 3], [10_000, 52_000, 2_000],
                      [10_000, 50_000, 2_100], ["long", "short", "long"], [1, 0.2, 0], [10_000, 50_000, 2_100], [20, 10, 5],
                      [1_500, 0, 0], ["isolated", "cross", "cross"], 0.0, rules=["bybit", "binance", "binance"],
                      account=["bybit", "other", "other"])
    assert book["liq_price_after"].iloc[0] == pytest.approx(9_000.0, abs=1e-9)
    assert book["initial_margin"].iloc[0] == pytest.approx(500.0)
    pd.testing.assert_frame_equal(book.iloc[[0]].drop(columns="account").reset_index(drop=True), alone)
    # the partial close, with the other account trading too
    closed = xm.what_if([1_000, 700], ["long", "short"], [2, 0.5], [10_000, 52_000], [10_000, 50_000], ["short", "long"],
                        [0.5, 0.5], [10_000, 50_000], 20, [2_000, 0], ["isolated", "cross"], 0.0, rules="bybit",
                        account=["x", "y"])
    assert closed["liq_price_after"].iloc[0] == pytest.approx(9_000.0, abs=1e-9)
    assert closed["available_after"].iloc[0] == pytest.approx(1_000 + 2_000 * 0.25)


def test_a_tier_table_caps_each_account_and_each_row_names_its_account():
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    t = xm.what_if([1_000, 1_000], "long", 0, 50_000, 50_000, "long", 2, 50_000, [100, 125], mmr=tiers, account=["a", "b"])
    assert t["can_open"].tolist() == [True, False]  # 125x stops at 50,000 of notional (as in tests/test_whatif.py)


@pytest.mark.parametrize("change, argument, row", [
    (dict(margin_mode=["isolated", "cross", "both"]), "margin_mode", 3),
    (dict(wallet_balance=[900, 500, 400]), "wallet_balance", 3),
    (dict(contract=["linear", "linear", "inverse"]), "contract", 3),
    (dict(account=["a", "b"]), "arguments", None),
    (dict(account=["a", None, "b"]), "account", 2),
    (dict(size=[0.1, -1, 0.8]), "size", 2),
    (dict(rules=["binance", "binance", "nowhere"]), "rules", 3),
])
def test_bad_book_input_names_the_argument_and_row(change, argument, row):
    with pytest.raises(xm.InputError) as info:
        xm.what_if(**{**BOOK, **change})
    assert (info.value.argument, info.value.row) == (argument, row)


# ---------------------------------------------------------------- invariants

@st.composite
def books(draw):
    """1-3 accounts of 1-3 positions each, isolated and cross mixed, one contract per account."""
    rows = []
    for label in range(draw(st.integers(1, 3))):
        contract = draw(st.sampled_from(["linear", "inverse"]))
        wallet = draw(st.floats(100.0, 10_000.0))
        for _ in range(draw(st.integers(1, 3))):
            price = draw(st.floats(10.0, 1e5))
            q = draw(st.sampled_from([0.0, 1.0, 1.0, 1.0])) * draw(st.floats(0.01, 10.0)) * (price if contract == "inverse" else 1.0)
            lev = draw(st.floats(1.0, 50.0))
            rows.append(dict(account=f"acct{label}", contract=contract, wallet_balance=wallet * (1 / price if contract == "inverse" else 1.0),
                             side=draw(st.sampled_from(["long", "short"])), size=q, entry_price=price,
                             mark_price=price * draw(st.floats(0.95, 1.05)), leverage=lev,
                             margin=xm.initial_margin(max(q, 1.0), price, lev, contract) * draw(st.floats(1.0, 2.0)),
                             margin_mode=draw(st.sampled_from(["cross", "isolated"])), rules=draw(st.sampled_from(sorted(xm.RULES)))))
    frame = pd.DataFrame(rows)
    for column in ("wallet_balance", "contract"):  # one balance and one contract per account
        frame[column] = frame.groupby("account")[column].transform("first")
    return frame


def call(frame: pd.DataFrame, trade_side, trade_size, trade_price, **kwargs) -> pd.DataFrame:
    columns = ("wallet_balance", "side", "size", "entry_price", "mark_price")
    return xm.what_if(*(frame[c].to_numpy() for c in columns), np.asarray(trade_side), np.asarray(trade_size),
                      np.asarray(trade_price), frame["leverage"].to_numpy(), frame["margin"].to_numpy(),
                      frame["margin_mode"].to_numpy(), contract=frame["contract"].to_numpy(), rules=frame["rules"].to_numpy(),
                      account=frame["account"].to_numpy(), **kwargs)


def trades(draw, frame):
    n = len(frame)
    unit = np.where(frame["contract"] == "inverse", frame["entry_price"], 1.0)
    size = np.array([draw(st.sampled_from([0.0, 0.5, 1.0, 2.5])) for _ in range(n)]) * frame["size"].to_numpy() \
        + np.array([draw(st.floats(0.0, 1.0)) for _ in range(n)]) * unit
    side = [draw(st.sampled_from(["long", "short"])) for _ in range(n)]
    price = frame["entry_price"].to_numpy() * np.array([draw(st.floats(0.97, 1.03)) for _ in range(n)])
    return side, size, price


ACCOUNT_COLUMNS = [f"{k}_{w}" for k in ("wallet_balance", "equity", "maint_margin", "margin_ratio", "available")
                   for w in ("before", "after")]


@settings(max_examples=60, deadline=None)
@given(books(), st.data(), st.floats(0.0, 0.001))
def test_a_book_trade_then_its_reverse_gives_the_book_back_less_fees(frame, data, fee):
    side, size, price = trades(data.draw, frame)
    there = call(frame, side, size, price, trade_fee_rate=fee)
    back_frame = frame.assign(side=[s or "long" for s in there["side_after"]], size=there["size_after"].to_numpy(),
                              entry_price=there["entry_price_after"].fillna(1.0).to_numpy(),
                              margin=there["margin_after"].to_numpy(), wallet_balance=there["wallet_balance_after"].to_numpy())
    other = ["short" if s == "long" else "long" for s in side]
    back = call(back_frame, other, size, price, trade_fee_rate=fee)
    assert back["size_after"].to_numpy() == pytest.approx(frame["size"].to_numpy(), rel=1e-9)
    fees = there["fee"].to_numpy() + back["fee"].to_numpy()
    per_account = frame.assign(fee=fees).groupby("account")["fee"].transform("sum").to_numpy()
    value = np.where(frame["contract"] == "inverse", frame["size"] / frame["mark_price"], frame["size"] * frame["mark_price"])
    scale = frame.assign(v=value + frame["wallet_balance"]).groupby("account")["v"].transform("sum").to_numpy()
    got, want = back["equity_after"].to_numpy(), there["equity_before"].to_numpy() - per_account
    assert got == pytest.approx(want, abs=1e-9 * scale.max())


@settings(max_examples=60, deadline=None)
@given(books(), st.data())
def test_a_trade_in_one_account_leaves_the_others_unchanged_and_each_account_is_its_own_call(frame, data):
    side, size, price = trades(data.draw, frame)
    traded = frame["account"].iloc[0]
    size = np.where(frame["account"] == traded, size, 0.0)  # trades in the first account only
    book = call(frame, side, size, price)
    quiet = call(frame, side, np.zeros(len(frame)), price)
    others = (frame["account"] != traded).to_numpy()
    pd.testing.assert_frame_equal(book[others], quiet[others])
    for label, rows in frame.groupby("account").indices.items():  # the book restricted to one account is that account alone
        alone = call(frame.iloc[rows], np.asarray(side)[rows], size[rows], price[rows])
        pd.testing.assert_frame_equal(book.iloc[rows].reset_index(drop=True), alone, rtol=1e-12, atol=0)
    assert (book.loc[others, ACCOUNT_COLUMNS].to_numpy() == quiet.loc[others, ACCOUNT_COLUMNS].to_numpy()).all()


@settings(max_examples=40, deadline=None)
@given(books())
def test_no_trade_gives_the_liquidation_functions_own_prices(frame):
    t = call(frame, frame["side"], np.zeros(len(frame)), frame["mark_price"])
    assert t["liq_price_before"][frame["size"].to_numpy() == 0].isna().all()  # no position, no price
    open_ = (frame["size"] > 0).to_numpy()
    frame, t = frame[open_], t[open_]
    iso = (frame["margin_mode"] == "isolated").to_numpy()
    want = np.full(len(frame), np.nan)
    if iso.any():
        f = frame[iso]
        want[iso] = xm.isolated_liq_price(f["side"].to_numpy(), f["size"].to_numpy(), f["entry_price"].to_numpy(),
                                          f["margin"].to_numpy(), contract=f["contract"].to_numpy(), rules=f["rules"].to_numpy())
    if (~iso).any():
        f = frame[~iso]
        want[~iso] = xm.cross_liq_price(f["wallet_balance"].to_numpy(), f["side"].to_numpy(), f["size"].to_numpy(),
                                        f["entry_price"].to_numpy(), f["mark_price"].to_numpy(), contract=f["contract"].to_numpy(),
                                        account=f["account"].to_numpy(), rules=f["rules"].to_numpy())
    assert t["liq_price_before"].to_numpy() == pytest.approx(want, nan_ok=True, rel=1e-12)


# ---------------------------------------------------------------- WHAT_IF as Excel calls it

@pytest.mark.parametrize("host", sorted(HOSTS))
def test_what_if_book_through_each_host_with_omitted_arguments(host):
    """The book above as ranges, the optional arguments between margin and account omitted (null / VBA's missing)."""
    b = BOOK
    formula = [Ref.of(b[k]) for k in ("wallet_balance", "side", "size", "entry_price", "mark_price", "trade_side",
                                      "trade_size", "trade_price", "leverage", "margin", "margin_mode")]
    formula += [OMIT] * 6 + [Ref.of(b["account"])]
    cells = HOSTS[host].shown("WHAT_IF", *formula)
    expected = xm.what_if(**BOOK)
    assert cells[0] == list(expected.columns)
    column = cells[0].index("liq_price_after")
    assert [row[0] for row in cells[1:]] == ["a", "b", "b"]
    assert cells[1][column] == pytest.approx(expected["liq_price_after"].iloc[0], rel=1e-12)
    assert cells[2][column] == pytest.approx(expected["liq_price_after"].iloc[1], rel=1e-12)
    assert getattr(cells[3][column], "code", None) == "#N/A"  # the ETH long is closed: no liquidation price


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_what_if_one_cell_with_every_optional_argument_omitted(host):
    cells = HOSTS[host].shown("WHAT_IF", 1_000, "long", 0.1, 50_000, 50_000, "long", 0.1, 50_000, 50)
    t = xm.what_if(1_000, "long", 0.1, 50_000, 50_000, "long", 0.1, 50_000, 50)
    assert cells[0] == list(t.columns) and "account" not in cells[0]
    assert cells[1][cells[0].index("liq_price_after")] == pytest.approx(45_226.130653266334, rel=1e-12)


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_what_if_a_bad_margin_mode_names_its_row(host):
    modes = ["isolated", "cross", "both"]
    formula = [Ref.of(BOOK[k]) for k in ("wallet_balance", "side", "size", "entry_price", "mark_price", "trade_side",
                                         "trade_size", "trade_price", "leverage", "margin")] + [Ref.of(modes)]
    shown = HOSTS[host].shown("WHAT_IF", *formula, OMIT, OMIT, OMIT, OMIT, OMIT, OMIT, Ref.of(BOOK["account"]))
    assert shown[0][0].code == "#VALUE!" and "margin_mode" in shown[0][0].reason and "row 3" in shown[0][0].reason


def test_a_book_with_no_rows_is_an_empty_table():
    """A formula over rows left empty (Excel skips them): the header only, as for one row."""
    empty = xm.what_if(1_000, "long", np.array([]), 50_000, 50_000, "long", 0.1, 50_000, 10, account=np.array([], dtype=object))
    assert len(empty) == 0 and list(empty.columns) == list(xm.what_if(1_000, "long", 0, 1, 1, "long", 0, 1, 1, account="a").columns)
