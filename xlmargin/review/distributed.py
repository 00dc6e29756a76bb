"""The risk review of books larger than one machine: the same evaluation on Dask.

Positions come from partitioned Parquet. Every account must lie in one group (a
cross account's positions are evaluated together), so the accounts are split
into as many groups as the cluster has worker threads by a hash of their name;
each task reads the files, keeps its group's rows, and reviews them with
:func:`xlmargin.review.evaluate`; the pieces are put back together: position,
account and cascade rows side by side, stress and value-curve figures (sums over
accounts) added up. The numbers are those of the single-machine path. Reading
the files once per group costs less than Dask's shuffle of the whole book
between the workers (about a third of the Dask run for a million positions on
two workers, and a second copy of the book in their memory).

Speed: a worker that Dask starts gets ``MALLOC_TRIM_THRESHOLD_=65536`` in its
environment by default (``distributed.nanny.pre-spawn-environ``); setting it
turns off glibc's adaptive mmap threshold, so that every numpy temporary over
128 KB is a fresh ``mmap`` (zeroed pages, page faults) and the review ran ~5x
slower per row than in the parent. :func:`local_cluster` starts workers with
:data:`WORKER_ENVIRONMENT` instead. Each partition sends back only its result
tables (not its copy of the book), and the accounts table goes to the workers
once, not with every task.

Needs the ``dask`` extra: ``pip install "xlmargin[dask]"``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.tiers import TierTable
from ..errors import require_extra
from .book import Book
from .checking import check_book, text_isin
from .evaluate import RiskResult, evaluate
from .reading import check_parquet_folder

require_extra("the review on Dask", "dask", ("dask", "distributed", "pyarrow"))  # imported where used

WORKER_ENVIRONMENT = {  # glibc malloc of each worker: large temporaries reused from the heap, memory kept for the next
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),  # glibc's largest adaptive value on 64-bit
    "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20),
}

_SUMS = {
    "stress": (["settlement_asset", "scope", "shock_pct"], ["positions_liquidated", "accounts_liquidated", "loss_actual",
                                                           "loss_all_isolated", "loss_all_cross", "deficit"]),
    "curve": (["settlement_asset", "shock_pct"], ["value_actual", "value_all_isolated", "value_all_cross", "accounts_liquidated"]),
}


def local_cluster(**options):
    """A ``dask.distributed.LocalCluster`` (worker processes, no dashboard, quiet) whose workers get :data:`WORKER_ENVIRONMENT`.

    The variables must be in the environment when a worker process starts
    (glibc reads them once); Dask's nanny takes them from its
    ``pre-spawn-environ`` setting, where a variable of this process's
    environment wins, so both are set while the workers start, then restored.
    """
    import dask
    from dask.distributed import LocalCluster

    saved = {name: os.environ.get(name) for name in WORKER_ENVIRONMENT}
    os.environ.update(WORKER_ENVIRONMENT)
    settings = {f"distributed.nanny.pre-spawn-environ.{name}": value for name, value in WORKER_ENVIRONMENT.items()}
    try:
        with dask.config.set(settings):
            return LocalCluster(**{"processes": True, "dashboard_address": None, "silence_logs": logging.CRITICAL, **options})
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _review_partition(part: pd.DataFrame, accounts: pd.DataFrame, tiers: dict[str, TierTable]) -> RiskResult | None:
    """One partition's review, without its copy of the book (the caller keeps the book)."""
    if part.empty:
        return None
    checked, accs, _ = check_book(part, accounts[text_isin(accounts["account"], part["account"])], None)
    result = evaluate(Book(checked, accs, tiers))
    result.book = None  # not sent back: the positions come back in result.positions already
    return result


def account_group(accounts: pd.Series, groups: int) -> np.ndarray:
    """The group (0 to ``groups - 1``) of each account name: a hash of the name, the same in every process.

    Parameters
    ----------
    accounts : Series
        Account names (one per position; compared as text).
    groups : int
        How many groups (>= 1).

    Returns
    -------
    ndarray of int
        Per name, its group; every row of an account gets the same one, whatever
        the file or row it is in (pandas' fixed-key hash of the text).
    """
    return (pd.util.hash_pandas_object(accounts.astype(str), index=False).to_numpy() % np.uint64(groups)).astype(np.intp)


def _review_group(files: list[str], group: int, groups: int, accounts: pd.DataFrame,
                  tiers: dict[str, TierTable]) -> RiskResult | None:
    """The review of the accounts of one group (:func:`account_group`), their rows read from every file."""
    mine = []
    for file in files:
        rows = pd.read_parquet(file)
        mine.append(rows[account_group(rows["account"], groups) == group])
        del rows
    return _review_partition(pd.concat(mine, ignore_index=True), accounts, tiers)


def combine(parts: list[RiskResult], book: Book) -> RiskResult:
    """One result from the results of disjoint sets of accounts."""
    parts = [p for p in parts if p is not None]
    tables = {}
    for name in ("positions", "accounts", "cascade"):
        tables[name] = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
    for name, (keys, values) in _SUMS.items():
        frame = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        tables[name] = frame.groupby(keys, sort=False, as_index=False)[values].sum()
    return RiskResult(tables["positions"], tables["accounts"], tables["stress"], tables["cascade"], tables["curve"], book)


def evaluate_parquet(
    positions: str | Path, accounts: pd.DataFrame, tiers: dict[str, TierTable] | None = None, client=None
) -> RiskResult:
    """Review a partitioned Parquet book of positions on Dask.

    Parameters
    ----------
    positions : path
        A Parquet file or folder of Parquet files with the positions columns.
    accounts : DataFrame
        The accounts table (account, wallet_balance, settlement_asset).
    tiers : dict, optional
        Tier tables by tier-set name (shipped tables are found by name).
    client : dask.distributed.Client, optional
        Where to compute; the current client (or Dask's default scheduler) if None.
    """
    import dask
    import pyarrow.parquet as pq

    files = [str(f) for f in (check_parquet_folder(Path(positions)) if Path(positions).is_dir() else [Path(positions)])]
    sample = pd.read_parquet(files[0]).head(1)
    checked_positions, checked_accounts, found_tiers = check_book(sample, accounts, None)  # columns, accounts, tier names
    tiers = {**found_tiers, **(tiers or {})}
    if "tier_set" in sample.columns:
        used = set().union(*(pq.read_table(f, columns=["tier_set"]).column(0).unique().to_pylist() for f in files))
        for name in sorted(n for n in used if n):
            if name not in tiers:
                tiers[name] = TierTable.load(name)
    groups = max(1, sum(client.nthreads().values())) if client is not None else max(1, os.cpu_count() or 1)
    shared = dask.delayed(accounts, pure=True), dask.delayed(tiers, pure=True)  # one copy for all tasks
    tasks = [dask.delayed(_review_group)(files, g, groups, *shared) for g in range(groups)]
    parts = client.gather(client.compute(tasks)) if client is not None else dask.compute(*tasks)
    book = Book(pd.DataFrame(), checked_accounts, tiers, source=str(positions))
    return combine(list(parts), book)
