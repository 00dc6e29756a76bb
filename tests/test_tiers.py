"""Tier tables: loaders, validation, warnings, shipped tables, tier-consistent solving."""

import warnings

import numpy as np
import pandas as pd
import pytest

import xlmargin as xm
from xlmargin.core.tiers import COLUMNS

ROWS = [
    [0, 50_000, 125, 0.004, 0],
    [50_000, 250_000, 100, 0.005, 50],
    [250_000, 1_000_000, 50, 0.01, 1_300],
]


def test_loaders_agree(tmp_path):
    from_rows = xm.TierTable.from_rows(ROWS)
    from_frame = xm.TierTable.from_frame(pd.DataFrame(ROWS, columns=COLUMNS))
    path = tmp_path / "t.csv"
    path.write_text("# exchange: test\n" + pd.DataFrame(ROWS, columns=COLUMNS).to_csv(index=False))
    from_csv = xm.TierTable.from_csv(path)
    for table in (from_frame, from_csv):
        for name in COLUMNS:
            np.testing.assert_array_equal(getattr(table, name), getattr(from_rows, name))
    assert from_csv.meta == {"exchange": "test"}


def test_rows_as_excel_passes_them_header_and_empty_rows():
    rows = [list(COLUMNS), *ROWS, [None, None, None, None, None]]
    table = xm.TierTable.from_rows(rows)
    assert len(table) == 3


def test_missing_maint_amounts_are_rebuilt():
    table = xm.TierTable.from_rows([r[:4] for r in ROWS])
    assert table.maint_amount.tolist() == [0.0, 50.0, 1300.0]
    frame = pd.DataFrame([r[:4] for r in ROWS], columns=COLUMNS[:4])
    assert xm.TierTable.from_frame(frame).maint_amount.tolist() == [0.0, 50.0, 1300.0]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([[10, 50, 10, 0.01, 0]], r"must start at notional_floor 0 \(row 1\)"),
        ([[0, 50, 10, 0.01, 0], [60, 100, 5, 0.02, 0.5]], r"not contiguous: tier 1 ends at 50 but tier 2 starts at 60 \(row 2\)"),
        ([[0, 50, 10, 0.01, 0], [40, 100, 5, 0.02, 0.5]], r"not contiguous"),
        ([[0, 50, 10, 1.2, 0]], r"mmr must be a rate in \[0, 1\) \(row 1\)"),
        ([[0, 50, 10, 0.01, 0], [50, 40, 5, 0.02, 0.5]], r"notional_cap must be greater than notional_floor \(row 2\)"),
        ([[0, 50, 0, 0.01, 0]], r"max_leverage must be a finite number > 0 \(row 1\)"),
        ([[0, 50, 10, 0.01, 0], [50, 100, 5, 0.02, None]], r"maint_amount must be a finite number"),
        ([[0, 50, 10]], r"must have 4 or 5 columns"),
        ([[0, "x", 10, 0.01, 0]], r"column notional_cap must hold numbers"),
        ([], r"must have 4 or 5 columns"),
    ],
)
def test_invalid_tables_are_refused_with_the_tier(rows, message):
    with pytest.raises(xm.TierTableError, match=message):
        xm.TierTable.from_rows(rows)


def test_inconsistent_amounts_warn_and_name_the_jump():
    rows = [list(r) for r in ROWS]
    rows[2][4] = 1_000  # consistent is 1,300: MM jumps up by 300 at 250,000
    with pytest.warns(xm.TierTableWarning, match=r"jumps by 300 at notional 250000 \(tier 3\); a consistent maint_amount there is 1300"):
        table = xm.TierTable.from_rows(rows)
    assert not table.continuous


def test_shipped_tables_are_valid_dated_and_continuous():
    assert len(xm.TierTable.available()) >= 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in xm.TierTable.available():
            table = xm.TierTable.load(name)
            assert table.continuous
            for key in ("exchange", "contract", "notional_unit", "figures_date", "source"):
                assert table.meta.get(key), (name, key)


def test_boundary_belongs_to_the_lower_tier():
    table = xm.TierTable.from_rows(ROWS)
    assert table.tier_index([0, 50_000, 50_000.01, 1e12]).tolist() == [0, 0, 1, 2]


def test_liq_price_uses_the_tier_at_the_liq_price_not_at_entry():
    table = xm.TierTable.from_rows(ROWS)
    # 6 BTC at 50,000 = 300,000 (tier 3 at entry); at the liquidation price the notional falls into tier 2
    lp = xm.isolated_liq_price("long", 6, 50_000, 60_000, table)
    assert 50_000 < 6 * lp <= 250_000
    assert lp == pytest.approx((60_000 + 50 - 6 * 50_000) / (6 * 0.005 - 6))  # tier 2's closed form
    # a short's notional rises into a higher tier
    lp = xm.isolated_liq_price("short", 4, 50_000, 60_000, table)
    assert 6 * 0 + 4 * lp > 250_000
    assert lp == pytest.approx((60_000 + 1_300 + 4 * 50_000) / (4 * 0.01 + 4))


def test_jump_in_maint_margin_liquidates_at_the_boundary():
    # MM jumps from 0 to 300 at notional 100: a long sliding down from notional 150 is fine in tier 2
    # above 100 only if its balance covers the jump; here it does not, so it goes at the boundary.
    rows = [[0, 100, 10, 0.0, 0], [100, 1000, 5, 0.0, -300]]
    with pytest.warns(xm.TierTableWarning):
        table = xm.TierTable.from_rows(rows)
    # short 1 unit from 50 with margin 100: balance 100 - (P - 50); MM 0 below notional 100, 300 above
    lp = xm.isolated_liq_price("short", 1, 50, 100, table)
    assert lp == pytest.approx(100)  # the first price where margin + uPnL <= MM is the jump at 100


def test_names_of_shipped_tables_work_wherever_mmr_is_expected():
    by_name = xm.isolated_liq_price("long", 10, 50_000, 50_000, "binance_usdm_btcusdt")
    by_table = xm.isolated_liq_price("long", 10, 50_000, 50_000, xm.TierTable.load("binance_usdm_btcusdt"))
    assert by_name == by_table == pytest.approx((50_000 + 50 - 500_000) / (10 * 0.005 - 10))


def test_max_notional_for_a_leverage():
    table = xm.TierTable.from_rows(ROWS)
    assert table.max_notional([125, 100, 60, 50, 20]).tolist() == [50_000, 250_000, 250_000, 1_000_000, 1_000_000]
    assert np.isnan(table.max_notional(126))


def test_errors_give_the_row_of_the_range_and_an_empty_last_cap_is_no_cap():
    header = list(COLUMNS)
    with pytest.raises(xm.TierTableError, match=r"\(row 4\)"):
        xm.TierTable.from_rows([header, ROWS[0], ROWS[1], [250_000, 100, 50, 0.01, 1_300]])
    table = xm.TierTable.from_rows([header, ROWS[0], ROWS[1], [250_000, None, 50, 0.01, 1_300]])
    assert table.notional_cap[-1] == np.inf


# ccxt's unified structure as fetch_leverage_tiers returns it (shape from ccxt's manual; figures of
# Binance's BTCUSDT tiers of 2024-05, the shipped binance_usdm_btcusdt table), recorded, not fetched.
CCXT_TIERS = {
    "BTC/USDT:USDT": [
        {"tier": t + 1, "currency": "USDT", "minNotional": lo, "maxNotional": hi, "maintenanceMarginRate": r,
         "maxLeverage": lev, "info": {"bracket": str(t + 1), "cum": str(c)}}
        for t, (lo, hi, lev, r, c) in enumerate([
            (0, 50_000, 125, 0.004, 0), (50_000, 600_000, 100, 0.005, 50), (600_000, 3_000_000, 75, 0.0065, 950),
            (3_000_000, 12_000_000, 50, 0.01, 11_450),
        ])
    ]
}


def test_from_ccxt_structure():
    table = xm.TierTable.from_ccxt(CCXT_TIERS, "BTC/USDT:USDT")
    shipped = xm.TierTable.load("binance_usdm_btcusdt")
    np.testing.assert_array_equal(table.maint_amount, shipped.maint_amount[:4])
    assert table.meta["notional_unit"] == "USDT"
    without_info = [{k: v for k, v in tier.items() if k != "info"} for tier in CCXT_TIERS["BTC/USDT:USDT"]]
    rebuilt = xm.TierTable.from_ccxt(list(reversed(without_info)))  # order does not matter either
    np.testing.assert_allclose(rebuilt.maint_amount, shipped.maint_amount[:4])
    with pytest.raises(xm.TierTableError, match="has no market 'ETH/USDT:USDT'"):
        xm.TierTable.from_ccxt(CCXT_TIERS, "ETH/USDT:USDT")
