"""What an account keeps (SPEC W2-W4), funding, collateral, leverage, and the exact cascade and ladders, by hand."""

import pandas as pd
import pytest

import xlmargin as xm
from xlmargin.review import Book, check_book, evaluate, sample_book, shock_ladder
from xlmargin.review.evaluate import SHOCKS
from xlmargin.review.state import _rows, state_at

COLUMNS = ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin",
           "tier_set"]


def review(positions, accounts, **extra_columns):
    frame = pd.DataFrame(positions, columns=COLUMNS)
    for name, values in extra_columns.items():
        frame[name] = values
    return evaluate(Book(*check_book(frame, pd.DataFrame(accounts))))


def w3(mode, eth_mark):
    """W3: long BTC 0.04 at 50,000 (now 51,000), long ETH 0.8 at 2,500, 200 margin each if isolated, 500 USDT."""
    margin = 200 if mode == "isolated" else None
    return review([["w3", "BTCUSDT", "linear", "long", 0.04, 50_000, 51_000, mode, margin, ""],
                   ["w3", "ETHUSDT", "linear", "long", 0.8, 2_500, eth_mark, mode, margin, ""]],
                  {"account": ["w3"], "wallet_balance": [500], "settlement_asset": ["USDT"]})


def test_w3_isolated_the_account_keeps_340_when_eth_is_lost():
    a = w3("isolated", 2_200).accounts.iloc[0]
    assert a["equity"] == pytest.approx(340)  # 100 spare + 200 BTC margin + 40 BTC profit
    assert a["isolated_liquidated"] == 1 and a["deficit"] == 0 and not a["liquidated"]


def test_w3_cross_alive_at_2200_and_gone_with_a_deficit_at_1800():
    alive = w3("cross", 2_200).accounts.iloc[0]
    assert alive["equity"] == pytest.approx(300) and not alive["liquidated"]
    gone = w3("cross", 1_800).accounts.iloc[0]
    assert gone["liquidated"] and gone["equity"] == 0 and gone["deficit"] == pytest.approx(-20)


def test_w2_isolated_loses_its_100_only_cross_the_whole_account():
    def w2(mode, mark):
        return review([["w2", "BTCUSDT", "linear", "long", 0.1, 50_000, mark, mode, 100 if mode == "isolated" else None, ""]],
                      {"account": ["w2"], "wallet_balance": [1_000], "settlement_asset": ["USDT"]})
    assert w2("isolated", 49_000).accounts.iloc[0]["equity"] == pytest.approx(900)  # past 49,246.23: the 900 stay
    assert w2("cross", 49_000).accounts.iloc[0]["equity"] == pytest.approx(900)  # alive: 1,000 - 100
    assert w2("cross", 40_000).accounts.iloc[0]["equity"] == 0  # past 40,201.01: the whole account


def test_w4_coin_margined_isolated_keeps_the_other_5_btc():
    r = review([["w4", "BTCUSD", "inverse", "long", 3e6, 60_000, 54_000, "isolated", 5, ""]],
               {"account": ["w4"], "wallet_balance": [10], "settlement_asset": ["BTC"]})
    assert r.positions.iloc[0]["liq_price"] == pytest.approx(54_818.18, abs=0.01)
    assert r.accounts.iloc[0]["equity"] == pytest.approx(5)


def test_totals_keep_a_deficit_apart():
    from xlmargin.report.content import summary_table

    r = review([["a", "BTCUSDT", "linear", "long", 0.04, 50_000, 51_000, "cross", None, ""],
                ["a", "ETHUSDT", "linear", "long", 0.8, 2_500, 1_800, "cross", None, ""],
                ["b", "BTCUSDT", "linear", "long", 0.1, 50_000, 51_000, "cross", None, ""]],
               {"account": ["a", "b"], "wallet_balance": [500, 1_000], "settlement_asset": ["USDT", "USDT"]})
    summary = summary_table(r).iloc[0]
    assert summary["total_equity"] == pytest.approx(1_100)  # b's 1,000 + 100 profit; a's -20 is not taken from it
    assert summary["total_deficit"] == pytest.approx(-20)


def test_funding_goes_into_an_isolated_margin_and_a_cross_wallet():
    # W6: 45 USDT of funding paid out of 250 + 100 isolated margin: LP 47,185.93
    r = review([["w6", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "isolated", 350, ""],
                ["x", "BTCUSDT", "linear", "long", 0.1, 50_000, 50_000, "cross", None, ""]],
               {"account": ["w6", "x"], "wallet_balance": [350, 1_000], "settlement_asset": ["USDT", "USDT"]},
               funding=[-45, -45])
    assert r.positions.iloc[0]["liq_price"] == pytest.approx(47_185.93, abs=0.01)
    assert r.positions.iloc[1]["liq_price"] == pytest.approx(xm.cross_liq_price(955, "long", 0.1, 50_000, 50_000))
    assert r.accounts.set_index("account").loc["x", "equity"] == pytest.approx(955)


def test_collateral_with_a_haircut_moves_with_its_coin_as_the_core_computes():
    r = sample_book()
    res = evaluate(r)
    p = res.positions[res.positions["account"] == "btc-collateral"]
    k = xm.collateral_value(0.5, 1, 0.05)  # 0.475 BTC after the haircut
    expected = xm.cross_liq_price(2_000 - 3 + 1.5, ["long", "short"], [0.5, 2], [50_000, 2_500], [51_000, 2_450],
                                  "binance_usdm_btcusdt", collateral=[k, 0])
    assert p["liq_price"].iloc[0] == pytest.approx(expected[0], rel=1e-9)
    a = res.accounts.set_index("account").loc["btc-collateral"]
    assert a["collateral_value"] == pytest.approx(xm.collateral_value(0.5, 51_000, 0.05))


def test_leverage_from_the_book_else_stated_as_assumed():
    p = evaluate(sample_book()).positions
    two = p[p["account"] == "two-longs"]
    assert (two["leverage_basis"] == "book").all() and two["initial_margin"].tolist() == pytest.approx([200, 200])
    alt = p[p["account"] == "alt-shorts"]
    assert (alt["leverage_basis"] == "assumed: 100x, no tier set").all() and (alt["leverage"] == 100).all()
    iso = p[(p["account"] == "small-iso")].iloc[0]
    assert iso["leverage_basis"] == "from isolated margin" and iso["leverage"] == pytest.approx(20)


def test_the_cascade_solves_the_exact_joint_move_both_ways():
    c = evaluate(sample_book()).cascade.set_index(["direction", "account", "symbol"])
    # W3 in cross: equity 281 + 3,781 x against MM 19 (1 + x) ... gap = 281 + 3,781 x: x = -281/3,781
    assert c.loc[("falling", "two-longs", "ETHUSDT"), "lost_at_move_pct"] == pytest.approx(-281 / 3_781 * 100, rel=1e-12)
    # the alt shorts: equity 440 - 3,560 x, MM 38.2 (1 + x): x = 401.8 / 3,598.2 (rising prices, shorts appear)
    assert c.loc[("rising", "alt-shorts", "ALT1USDT"), "lost_at_move_pct"] == pytest.approx(401.8 / 3_598.2 * 100, rel=1e-12)


def test_cascade_moves_are_where_the_state_flips():
    book = sample_book()
    r = evaluate(book)
    rows = _rows(book)
    codes = dict(zip(pd.factorize(book.positions["account"])[1], range(rows.n_accounts)))
    cross = r.cascade[r.cascade["margin_mode"] == "cross"].drop_duplicates(["direction", "account"])
    for _, row in cross.iterrows():
        x = row["lost_at_move_pct"] / 100
        code = codes[row["account"]]
        at = state_at(rows, rows.mark * (1 + x), 1 + x)
        before = state_at(rows, rows.mark * (1 + x * (1 - 1e-9)), 1 + x * (1 - 1e-9))
        assert not at.cross_alive[code] and before.cross_alive[code], row["account"]


def test_the_stress_grid_is_finer_near_zero():
    assert [round(s * 100, 1) for s in SHOCKS if s > 0] == [1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50]
    assert [round(s * 100, 1) for s in SHOCKS if s < 0] == [-50, -30, -20, -15, -10, -7.5, -5, -3, -2, -1]


def test_shock_ladder_of_an_account_a_position_and_the_book():
    book = sample_book()
    ladder = shock_ladder(book, account="two-longs", step=0.05, up_to=1.5).set_index("move_pct")
    assert ladder.index[0] == -100 and ladder.index[-1] == 50 and 0 in ladder.index
    assert ladder.loc[0.0, "equity"] == pytest.approx(300) and ladder.loc[0.0, "margin_left"] == pytest.approx(281)
    assert ladder.loc[-5.0, "margin_left"] == pytest.approx(281 - 3_781 * 0.05)
    assert ladder.loc[-10.0, "liquidated"] == "cross account two-longs" and ladder.loc[-10.0, "deficit"] == pytest.approx(-80)
    one = shock_ladder(book, position=9, step=0.1, up_to=1.2).set_index("move_pct")  # small-iso BTC long, 20x
    assert one.loc[-10.0, "liquidated"] == "small-iso BTCUSDT long (isolated)"
    assert one.loc[-10.0, "equity"] == pytest.approx(1_000 - 250 + 200)  # the 750 beside it and the ETH short's 200
    whole = shock_ladder(book, step=0.5, up_to=2)
    assert set(whole["settlement_asset"]) == {"USDT", "BTC"}
    with pytest.raises(ValueError, match="step"):
        shock_ladder(book, step=0)
    with pytest.raises(ValueError, match="no positions"):
        shock_ladder(book, account="nobody")
