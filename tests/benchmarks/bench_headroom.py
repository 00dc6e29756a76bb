"""Benchmark: the headroom figures of a large book, each against the way it was computed before.

* ``removable_margin`` over N positions (default 100,000) naming one of five rule sets each:
  the rule sets looked up row by row (``np.vectorize``, as before) against each distinct name
  looked up once.
* The review's withdrawable balance of every account: the core's private per-position parts
  summed with ``np.bincount`` (as before) against one call of the public
  ``withdrawable_balance(..., account=)``.

CPU time (``time.process_time``), baseline and subject interleaved, best and worst of
``--repeat`` runs, so that a busy machine slows both alike.

Run:  python tests/benchmarks/bench_headroom.py [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import xlmargin as xm
from xlmargin.core import withdrawal
from xlmargin.core.withdrawal import OUT_RULES
from xlmargin.review import Book, check_book, headroom, synthetic_book
from xlmargin.review.state import _rows


def _flags_row_by_row(rules, shape):
    """The look-up as it was: every row's rule set found by a Python call (np.vectorize)."""
    names = np.broadcast_to(np.asarray(rules, dtype=object), shape)
    pick = np.vectorize(lambda name, field: getattr(OUT_RULES[str(name).strip().lower()], field), otypes=[float])
    return {f: pick(names, f) for f in ("im_at_entry", "mm_floor", "wallet_cap", "notional_share")}


def interleaved(repeat, baseline, subject):
    """CPU seconds of each, run alternately ``repeat`` times: (best, worst) of each."""
    times = ([], [])
    for _ in range(repeat):
        for i, fn in enumerate((baseline, subject)):
            start = time.process_time()
            fn()
            times[i].append(time.process_time() - start)
    return [(min(t), max(t)) for t in times]


def report(title, baseline, subject):
    (b0, b1), (s0, s1) = baseline, subject
    print(f"{title}\n  before  {b0 * 1e3:9.1f} ms (worst {b1 * 1e3:.1f})\n  now     {s0 * 1e3:9.1f} ms (worst {s1 * 1e3:.1f})"
          f"\n  ratio before/now {b0 / s0:.1f}x (range {b0 / s1:.1f}x to {b1 / s0:.1f}x)")


def removable(n, repeat, rng):
    side = np.where(rng.random(n) < 0.5, "long", "short")
    size, entry, mark = rng.uniform(0.01, 2, n), rng.uniform(40_000, 60_000, n), rng.uniform(40_000, 60_000, n)
    margin = rng.uniform(1_000, 5_000, n)
    names = rng.choice(["binance", "bybit", "bitmex", "hyperliquid", "okx"], n)
    call = lambda: xm.removable_margin(side, size, entry, mark, margin, 20, rules=names)  # noqa: E731
    now = call()
    real = withdrawal._out_flags

    def before():
        withdrawal._out_flags = _flags_row_by_row
        try:
            return call()
        finally:
            withdrawal._out_flags = real

    assert np.array_equal(before(), now), "the two look-ups must give the same margins"
    report(f"removable_margin, {n:,} positions, five rule sets", *interleaved(repeat, before, call))


def _withdrawable_from_parts(rows, names):
    """The review's withdrawable balance as it was: the core's private per-position parts, summed per account."""
    cross = ~rows.isolated
    parts = np.zeros((5, len(rows.q)))
    for index, table in rows.groups:
        index = index[cross[index]]
        if index.size:
            parts[:, index] = withdrawal._parts(rows.s[index], rows.q[index], rows.entry[index], rows.mark[index],
                                                rows.inverse[index], rows.leverage[index], 0.005 if table is None else table,
                                                0.0, 0.0, names[index])
    sums = [rows.total(np.where(cross, part, 0.0)) for part in parts]
    rule = pd.DataFrame({"account": rows.codes[cross], "rules": names[cross]}).groupby("account")["rules"]
    one_rule = rule.nunique().reindex(range(rows.n_accounts)) == 1
    first = rule.first().reindex(range(rows.n_accounts)).where(one_rule, "binance")
    codes, uniques = pd.factorize(first)
    flags = {f: v[codes] for f, v in withdrawal._out_flags(np.asarray(uniques, dtype=object), (len(uniques),)).items()}
    return np.where(one_rule.to_numpy(), withdrawal._out(rows.cross_wallet, *sums, flags), np.nan)


def withdrawable(n, repeat, rng):
    book = synthetic_book(n, max(n // 10, 1), seed=3)
    per_account = dict(zip(book.accounts["account"], rng.choice(["binance", "bybit", "bitmex", "okx"], len(book.accounts))))
    book = Book(*check_book(book.positions.assign(rules=book.positions["account"].map(per_account)), book.accounts))
    rows, names = _rows(book), book.positions["rules"].to_numpy(dtype=object)
    contract = np.where(rows.inverse, "inverse", "linear")
    before, now = _withdrawable_from_parts(rows, names), headroom._withdrawable(rows, names, contract)
    assert np.allclose(before, now, rtol=1e-12, atol=1e-9, equal_nan=True), "both ways must give the same balances"
    report(f"withdrawable balance of {rows.n_accounts:,} accounts ({n:,} positions)",
           *interleaved(repeat, lambda: _withdrawable_from_parts(rows, names), lambda: headroom._withdrawable(rows, names, contract)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    removable(args.rows, args.repeat, rng)
    withdrawable(args.rows, args.repeat, rng)


if __name__ == "__main__":
    main()
