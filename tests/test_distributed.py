"""The Dask path over partitioned Parquet gives the single-machine numbers, on a real local cluster."""

import numpy as np
import pandas as pd

from xlmargin.review import synthetic_book
from xlmargin.review.distributed import evaluate_parquet
from xlmargin.review import evaluate


def test_dask_matches_the_single_machine_review(tmp_path, dask_client):  # dask_client: conftest.py, one per run
    book = synthetic_book(6_000, 600, seed=5)
    folder = tmp_path / "positions"
    folder.mkdir()
    rows = book.positions.sample(frac=1, random_state=2).reset_index(drop=True)  # accounts spread over files
    for i in range(4):
        rows.iloc[i::4].to_parquet(folder / f"part-{i}.parquet", index=False)
    single = evaluate(book)
    spread = evaluate_parquet(folder, book.accounts, client=dask_client)

    def by(frame, keys):
        return frame.sort_values(keys).reset_index(drop=True)

    accounts = ["account"]
    pd.testing.assert_frame_equal(by(spread.accounts, accounts), by(single.accounts, accounts), check_dtype=False)
    keys = ["account", "symbol", "side", "size", "entry_price"]
    a, b = by(spread.positions, keys), by(single.positions, keys)
    np.testing.assert_allclose(a["liq_price"], b["liq_price"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(a["maint_margin"], b["maint_margin"], rtol=1e-12)
    stress_keys = ["settlement_asset", "scope", "shock_pct"]
    pd.testing.assert_frame_equal(by(spread.stress, stress_keys), by(single.stress, stress_keys), check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(
        by(spread.curve, ["settlement_asset", "shock_pct"]), by(single.curve, ["settlement_asset", "shock_pct"]),
        check_dtype=False, rtol=1e-9,
    )
    assert len(spread.cascade) == len(single.cascade)


def test_accounts_are_grouped_by_name_alone_and_one_parquet_file_is_a_book(tmp_path, dask_client):
    from xlmargin.review.distributed import account_group

    names = pd.Series([f"acc{i}" for i in range(1_000)] * 3)
    groups = account_group(names, 3)
    assert set(groups) == {0, 1, 2}  # every group has accounts
    assert (pd.Series(groups).groupby(names).nunique() == 1).all()  # an account's rows in one group
    assert (account_group(names[::-1].reset_index(drop=True), 3) == groups[::-1]).all()  # by name, not by row

    book = synthetic_book(800, 80, seed=8)
    book.positions.to_parquet(tmp_path / "book.parquet", index=False)
    spread = evaluate_parquet(tmp_path / "book.parquet", book.accounts, client=dask_client)
    single = evaluate(book)
    assert sorted(spread.accounts["account"]) == sorted(single.accounts["account"])
    assert len(spread.positions) == len(single.positions) and len(spread.cascade) == len(single.cascade)
