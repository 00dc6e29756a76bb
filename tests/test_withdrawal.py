"""Margin that can come out, over many rows at once: rule sets per row, withdrawable balance per account (#16)."""

import numpy as np
import pandas as pd
import pytest

import xlmargin as xm
from xlmargin.errors import InputError

RULE_SETS = ["binance", "bybit", "bitmex", "hyperliquid", "okx", "gate", "deribit", "bybit_uta"]


def _positions(n, seed):
    rng = np.random.default_rng(seed)
    return dict(side=rng.choice(["long", "short"], n), size=rng.uniform(0.01, 3, n), entry_price=rng.uniform(20_000, 60_000, n),
                mark_price=rng.uniform(20_000, 60_000, n), leverage=rng.uniform(2, 50, n)), rng


def test_removable_margin_with_a_rule_set_per_row_equals_each_row_alone():
    p, rng = _positions(300, 1)
    margin = rng.uniform(0, 10_000, 300)
    names = rng.choice(RULE_SETS, 300)
    names[:3] = [" Bybit", "BITMEX ", "hyperLiquid"]  # any case, spaces around: as everywhere
    got = xm.removable_margin(p["side"], p["size"], p["entry_price"], p["mark_price"], margin, p["leverage"], rules=names)
    for i in range(300):
        alone = xm.removable_margin(p["side"][i], p["size"][i], p["entry_price"][i], p["mark_price"][i], margin[i],
                                    p["leverage"][i], rules=names[i].strip().lower())
        assert got[i] == alone, i


def test_withdrawable_by_account_equals_one_call_per_account():
    p, rng = _positions(400, 2)
    account = rng.integers(0, 37, 400).astype(str)
    wallet_of = {a: rng.uniform(-500, 20_000) for a in np.unique(account)}
    rules_of = {a: rng.choice(RULE_SETS) for a in np.unique(account)}
    wallet = np.array([wallet_of[a] for a in account])
    rules = np.array([rules_of[a] for a in account])
    tiers = xm.TierTable.load("binance_usdm_btcusdt")
    got = xm.withdrawable_balance(wallet, p["side"], p["size"], p["entry_price"], p["mark_price"], p["leverage"], tiers,
                                  rules=rules, account=account)
    assert list(got.index) == list(pd.unique(account))  # order of first appearance, as the other cross functions
    for a in got.index:
        mine = account == a
        alone = xm.withdrawable_balance(wallet_of[a], *(v[mine] for v in p.values()), tiers, rules=rules_of[a])
        assert got[a] == pytest.approx(alone, rel=1e-12, abs=1e-9), a


def test_withdrawable_by_account_by_hand():
    # W3 at BTC 51,000 and ETH 2,500 (10x) beside the same positions under BitMEX's rule in a second account.
    # Binance: equity 540, IM at the mark 204 + 200 = 404, MM 0.5 % of 4,040 = 20.2: min(500 - 20.2, 540 - 404) = 136.
    # BitMEX: IM at entry 200 + 200 = 400, no unrealized profit: min(500, 540 - 400) = 140.
    got = xm.withdrawable_balance(500, ["long"] * 4, [0.04, 0.8] * 2, [50_000, 2_500] * 2, [51_000, 2_500] * 2, 10,
                                  rules=["binance", "binance", "bitmex", "bitmex"], account=["a", "a", "m", "m"])
    assert got["a"] == pytest.approx(136.0, abs=1e-9) and got["m"] == pytest.approx(140.0, abs=1e-9)


def test_one_rule_set_per_account():
    with pytest.raises(InputError, match=r"rules.*same for every position of an account.*row 2"):
        xm.withdrawable_balance(500, ["long", "long"], 0.1, 50_000, 50_000, 10, rules=["binance", "okx"], account="a")
    with pytest.raises(InputError, match="rules"):
        xm.withdrawable_balance(500, ["long", "long"], 0.1, 50_000, 50_000, 10, rules=["binance", "nowhere"],
                                account=["a", "b"])
    with pytest.raises(InputError, match="wallet_balance"):
        xm.withdrawable_balance([500, 400], ["long", "long"], 0.1, 50_000, 50_000, 10, account="a")


def test_hyperliquid_cross_keeps_a_tenth_of_the_whole_accounts_notional():
    """Hyperliquid's transfer margin requirement over a cross account, worked by hand.

    Its docs ("Margining"): unrealized PnL can come out of a cross account only while what stays is
    at least ``max(initial margin, 10 % of the total notional of all open positions)``.
    Wallet 10,000; long 1 at 50,000 marked 55,000 (uPnL +5,000); short 10 at 3,000 marked 2,900
    (uPnL +1,000); both at 20x. Notional at the marks 55,000 + 29,000 = 84,000: initial margin
    4,200, a tenth 8,400, so 10,000 + 6,000 - 8,400 = 7,600 can come out (not 11,800, the
    initial-margin floor alone).
    """
    out = xm.withdrawable_balance(10_000, ["long", "short"], [1, 10], [50_000, 3_000], [55_000, 2_900], [20, 20],
                                  rules="hyperliquid")
    assert out == pytest.approx(7_600)
