"""A book of positions for a risk review: its tables, and the error that lists its problems.

A book is three tables (the layout of ``workbooks/risk_review.xlsx``):

* **positions**: account, symbol, contract, side, size, entry_price, mark_price,
  margin_mode, isolated_margin, tier_set; optionally ``leverage`` [x] (for initial
  margin; where empty the review says what it assumed), ``rules`` (the exchange
  rule set of each position, binance by default), ``funding`` (funding since the
  wallet balance was taken, received + / paid - [settlement asset]), ``mark_time``
  and ``mark_source`` (where each mark price comes from), ``open_fee_rate`` and
  ``close_fee_rate`` [decimal] (for the break-even price; 0 where empty, and the
  review says so), ``funding_rate`` per funding interval [decimal; positive:
  longs pay] and ``funding_interval_hours`` [h; 8 where empty] (for the funding
  interval at which a position, or its cross account, is liquidated);
* **accounts**: account, wallet_balance, settlement_asset; optionally
  ``collateral`` [coin] of ``collateral_asset`` (default: the settlement asset)
  with a ``collateral_haircut`` [decimal] and, for a coin the account does not
  trade, a ``collateral_price`` [settlement asset];
* **tiers**: tier_set, notional_floor, notional_cap, max_leverage, mmr, maint_amount.

It is read from a filled ``risk_review.xlsx``, or from a CSV or Parquet positions
file with an accounts file or a ``wallet_balance`` column. Every problem in the
input is collected and reported at once (:class:`BookError`), naming the sheet or
file, the column and the rows, before anything is computed or written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..core.tiers import TierTable
from ..errors import XlmarginError

POSITION_COLUMNS = (
    "account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin", "tier_set",
)
OPTIONAL_POSITION_COLUMNS = ("leverage", "rules", "funding", "mark_time", "mark_source",
                             "open_fee_rate", "close_fee_rate", "funding_rate", "funding_interval_hours")
ACCOUNT_COLUMNS = ("account", "wallet_balance", "settlement_asset")
OPTIONAL_ACCOUNT_COLUMNS = ("collateral", "collateral_asset", "collateral_haircut", "collateral_price")
TIER_COLUMNS = ("tier_set", "notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount")


class BookError(XlmarginError, ValueError):
    """The book cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("the book has {} problem{}:\n  - {}".format(len(problems), "s" * (len(problems) > 1), "\n  - ".join(problems)))

    def __reduce__(self):  # rebuilt from its problems (a Dask worker's error comes back whole)
        return (type(self), (self.problems,))


@dataclass
class Book:
    """A checked book: clean column types, one wallet per account, tier tables by name."""

    positions: pd.DataFrame
    accounts: pd.DataFrame
    tiers: dict[str, TierTable] = field(default_factory=dict)
    source: str = "built-in sample"
    sha256: str = ""

    @property
    def settlement_assets(self) -> list[str]:
        return sorted(self.accounts["settlement_asset"].unique())
