"""Where tier tables come from: ccxt's leverage tiers (any exchange, OKX's contract counts converted), CSV files, the shipped tables.

The functions here are :class:`~xlmargin.core.tiers.TierTable`'s loaders
(``TierTable.from_ccxt``, ``from_csv``, ``load``, ``available``), kept apart from
the table itself so that each module is about one thing.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import TierTableError, TierTableWarning

if TYPE_CHECKING:
    from .tiers import TierTable

COLUMNS = ("notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount")
_DATA = "data/tiers"


def from_rows(cls, rows: Sequence[Sequence[Any]], meta: dict[str, str] | None = None) -> TierTable:
    """Build a tier table from a 2-D list, as Excel passes a range [TierTable].

    Parameters
    ----------
    rows : list of lists
        One row per tier, columns in the order of :data:`COLUMNS`:
        notional_floor, notional_cap [settlement asset], max_leverage [x], mmr
        [decimal], maint_amount [settlement asset]. The fifth may be left out or
        left empty to have it rebuilt. A first row of text is a header and is
        skipped; wholly empty rows are dropped; an empty cap in the last tier
        means no cap.
    meta : dict of str, optional
        Free-form provenance (exchange, contract, notional_unit, figures_date,
        source); no unit.

    Returns
    -------
    tiers : TierTable
        The validated table [notional_floor, notional_cap and maint_amount in
        settlement asset, max_leverage in x, mmr decimal]. Never NaN: a table
        with NaN (other than an empty last cap or an all-empty maint_amount
        column, which are filled in) is refused.

    Raises
    ------
    TierTableError
        If the table cannot be used: a column missing or not numeric, no rows,
        a floor not >= 0 or not starting at 0, a cap not above its floor, tiers
        not contiguous, an infinite cap before the last tier, an mmr outside
        [0, 1), a max_leverage not finite > 0, or a non-finite maint_amount
        (the message names the row).
        Also if a row has not 4 or 5 columns. The row is that of the range as
        passed, header included.

    Warns
    -----
    TierTableWarning
        If the maintenance amounts make maintenance margin jump at a tier
        boundary (the table is usable; the warning gives the consistent amount).

    Notes
    -----
    A notional ``n`` [settlement asset] falls in the tier with
    ``notional_floor < n <= notional_cap`` (a zero notional in the first tier,
    beyond the last cap in the last tier); maintenance margin is
    ``n * mmr - maint_amount``. The amounts are consistent (MM continuous) when
    ``maint_amount[i] = maint_amount[i-1] + notional_floor[i] * (mmr[i] - mmr[i-1])``,
    which is how a missing amount column is rebuilt.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (maintenance amount 250,000 x (1 % - 0.5 %) + 50 = 1,300).
    .. [2] docs/formulas.md, "Tiers".

    Examples
    --------
    >>> from xlmargin import TierTable
    >>> TierTable.from_rows([["notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"],
    ...                      [0, 50_000, 125, 0.004, None], [50_000, None, 100, 0.005, None]]).maint_amount.tolist()
    [0.0, 50.0]
    """
    empty = (None, "")
    numbered = [(n, list(r)) for n, r in enumerate(rows, start=1) if any(v not in empty for v in r)]
    if numbered and all(isinstance(v, str) for v in numbered[0][1] if v not in empty):
        numbered = numbered[1:]
    if not numbered or any(len(r) not in (4, 5) for _, r in numbered):
        raise TierTableError("tiers", f"must have 4 or 5 columns: {', '.join(COLUMNS)}")
    if numbered[-1][1][1] in empty:
        numbered[-1][1][1] = np.inf
    cleaned = [[np.nan if v in empty else v for v in r] + [np.nan] * (5 - len(r)) for _, r in numbered]
    try:
        return cls(*zip(*cleaned), meta=dict(meta or {}))
    except TierTableError as exc:
        row = numbered[exc.row - 1][0] if exc.row else None
        raise TierTableError(exc.argument, exc.reason, row) from None


def from_ccxt(cls, tiers: Any, symbol: str | None = None, contract_size: float | None = None,
              price: float | None = None, contract: str = "linear") -> TierTable:
    """Build a tier table from ccxt's unified leverage-tier structure [TierTable].

    Parameters
    ----------
    tiers : list of dict, or dict of str to list
        The tiers of one market, or the dict by symbol that
        ``fetch_leverage_tiers`` returns (then ``symbol`` picks the market);
        no unit. Each tier has ``minNotional``, ``maxNotional``,
        ``maxLeverage`` and ``maintenanceMarginRate``.
    symbol : str, optional
        The market to take from a dict by symbol (ccxt's symbol, e.g.
        ``"BTC/USDT:USDT"``); no unit. Also the table's ``meta["name"]``.
    contract_size : float, optional
        The market's ``contractSize`` [base asset per contract for linear,
        quote per contract for inverse], for exchanges whose tiers ccxt
        passes on in contracts (OKX's ``minSz``/``maxSz``).
    price : float, optional
        The price [quote per base] at which tiers in contracts are turned
        into notional (the mark price): such a table is exact at that price.
    contract : {"linear", "inverse"}
        ``"linear"`` (the default: notional in quote, ``contracts *
        contract_size * price``) or ``"inverse"`` (in coin, ``contracts *
        contract_size / price``); no unit.

    Returns
    -------
    tiers : TierTable
        The validated table [notional_floor, notional_cap and maint_amount in
        settlement asset, max_leverage in x, mmr decimal], with ``meta`` saying
        where it came from and what was converted. Never NaN.

    Raises
    ------
    TierTableError
        If the market is missing, if tiers in contracts come without
        ``contract_size`` and ``price``, or if the table is malformed.

    Warns
    -----
    TierTableWarning
        If the maintenance amounts make maintenance margin jump at a tier
        boundary, or if ccxt gave some tiers' amounts but not all (all are rebuilt).

    Notes
    -----
    The unified structure has no maintenance amount: it is taken from the
    raw ``info["cum"]`` where every tier has one (Binance), and otherwise
    rebuilt from the floors and rates (said in ``meta``, with a
    :class:`~xlmargin.errors.TierTableWarning` when some tiers had one).
    Tiers counted in whole contracts (OKX: 0-6500, 6501-12000, ...) start
    where the previous one ends. Nothing here touches the network.

    References
    ----------
    .. [1] ccxt's manual, the leverage tier structure of
       ``fetch_leverage_tiers`` (as recorded in tests/test_tiers.py).
    .. [2] OKX API, ``GET /api/v5/public/position-tiers``: ``minSz``/``maxSz``
       are numbers of contracts.
    .. [3] docs/formulas.md, "Tiers".

    Examples
    --------
    >>> from xlmargin import TierTable
    >>> TierTable.from_ccxt([
    ...     {"tier": 1, "minNotional": 0, "maxNotional": 50_000, "maxLeverage": 125, "maintenanceMarginRate": 0.004},
    ...     {"tier": 2, "minNotional": 50_000, "maxNotional": None, "maxLeverage": 100, "maintenanceMarginRate": 0.005},
    ... ]).maint_amount.tolist()
    [0.0, 50.0]
    """
    if isinstance(tiers, Mapping):
        if symbol not in tiers:
            raise TierTableError("tiers", f"has no market {symbol!r}; markets: {', '.join(map(str, list(tiers)[:10]))}")
        tiers = tiers[symbol]
    rows = sorted(tiers, key=lambda t: float(t.get("minNotional") or 0))
    if not rows:
        raise TierTableError("tiers", "is empty: ccxt gave no tiers for this market")
    meta = {"source": "ccxt fetch_leverage_tiers"} | ({"name": symbol} if symbol else {})
    floors = np.array([float(t.get("minNotional") or 0) for t in rows])
    caps = np.array([np.inf if t.get("maxNotional") is None else float(t["maxNotional"]) for t in rows])
    if _in_contracts(rows):
        floors, caps = _contracts_to_notional(floors, caps, contract_size, price, contract, meta)
    elif rows[0].get("currency"):
        meta["notional_unit"] = str(rows[0]["currency"])
    frame = pd.DataFrame({"notional_floor": floors, "notional_cap": caps, "max_leverage": [t.get("maxLeverage") for t in rows],
                          "mmr": [t.get("maintenanceMarginRate") for t in rows], "maint_amount": _ccxt_cum(rows, meta)})
    return cls.from_frame(frame, meta=meta)

def from_csv(cls, path: str | PathLike[str]) -> TierTable:
    """Read a tier table from a CSV file with a header of :data:`COLUMNS` [TierTable].

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8), no unit: columns notional_floor, notional_cap
        [settlement asset], max_leverage [x], mmr [decimal] and optionally
        maint_amount [settlement asset]. Lines starting with ``#`` before the
        header are provenance, written as ``# key: value``; they become
        :attr:`meta`.

    Returns
    -------
    tiers : TierTable
        The validated table [notional_floor, notional_cap and maint_amount in
        settlement asset, max_leverage in x, mmr decimal]. Never NaN: a table
        with NaN (other than an empty last cap or an all-empty maint_amount
        column, which are filled in) is refused.

    Raises
    ------
    TierTableError
        If the table cannot be used: a column missing or not numeric, no rows,
        a floor not >= 0 or not starting at 0, a cap not above its floor, tiers
        not contiguous, an infinite cap before the last tier, an mmr outside
        [0, 1), a max_leverage not finite > 0, or a non-finite maint_amount
        (the message names the row).
    OSError
        If the file cannot be read.

    Warns
    -----
    TierTableWarning
        If the maintenance amounts make maintenance margin jump at a tier
        boundary (the table is usable; the warning gives the consistent amount).

    Notes
    -----
    A notional ``n`` [settlement asset] falls in the tier with
    ``notional_floor < n <= notional_cap`` (a zero notional in the first tier,
    beyond the last cap in the last tier); maintenance margin is
    ``n * mmr - maint_amount``. The amounts are consistent (MM continuous) when
    ``maint_amount[i] = maint_amount[i-1] + notional_floor[i] * (mmr[i] - mmr[i-1])``,
    which is how a missing amount column is rebuilt.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (maintenance amount 250,000 x (1 % - 0.5 %) + 50 = 1,300).
    .. [2] docs/formulas.md, "Tiers".

    Examples
    --------
    >>> from xlmargin import TierTable
    >>> shipped = resources.files("xlmargin.core") / "data/tiers/binance_usdm_btcusdt.csv"
    >>> TierTable.from_csv(shipped).meta["exchange"]
    'Binance USDⓈ-M futures'
    """
    with open(path, encoding="utf-8") as handle:
        return read_csv(cls, handle, {})

def read_csv(cls, handle: Any, meta: dict[str, str]) -> TierTable:
    lines = handle.read().splitlines()
    for line in lines:
        if line.startswith("#") and ":" in line:
            key, _, value = line[1:].partition(":")
            meta.setdefault(key.strip(), value.strip())
    body = "\n".join(line for line in lines if not line.startswith("#"))
    frame = pd.read_csv(pd.io.common.StringIO(body))
    return cls.from_frame(frame, meta=meta)

def load(cls, name: str) -> TierTable:
    """One of the tier tables shipped with xlmargin, by name [TierTable].

    Parameters
    ----------
    name : str
        The shipped table's name, one of :meth:`available`; no unit.

    Returns
    -------
    tiers : TierTable
        The validated table [notional_floor, notional_cap and maint_amount in
        settlement asset, max_leverage in x, mmr decimal]. Never NaN: a table
        with NaN (other than an empty last cap or an all-empty maint_amount
        column, which are filled in) is refused.
        Each shipped table's ``meta`` gives its exchange, contract,
        notional_unit, figures_date and source. It is read once and shared (a
        TierTable cannot be changed).

    Raises
    ------
    TierTableError
        If ``name`` is not a shipped table (the message lists them).

    Notes
    -----
    Exchanges change their tiers often: load your exchange's current table
    (:meth:`from_ccxt`) for live figures. A shipped table's name works wherever
    an ``mmr`` or ``tiers`` argument is expected.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (maintenance amount 250,000 x (1 % - 0.5 %) + 50 = 1,300).
    .. [2] docs/formulas.md, "Tiers".

    Examples
    --------
    >>> from xlmargin import TierTable
    >>> sorted(TierTable.available())[:1]
    ['binance_coinm_btcusd_perp']
    >>> len(TierTable.load("binance_usdm_btcusdt"))
    12
    """
    if name not in available():
        raise TierTableError("tiers", f"{name!r} is not a shipped table; choose one of {', '.join(available())}")
    return _load_shipped(cls, name)

def available() -> list[str]:
    """Names of the shipped tier tables [list of str; no unit].

    Returns
    -------
    names : list of str
        The names :meth:`load` accepts, sorted; no unit. Never NaN.

    Raises
    ------
    Nothing
        The names are those of the files shipped in the package.

    Notes
    -----
    The tables live in ``xlmargin/core/data/tiers/*.csv``, each with its
    provenance in ``#`` lines; ``xlmargin tiers`` lists them.

    References
    ----------
    .. [1] docs/formulas.md, "Tiers" (shipped tables).

    Examples
    --------
    >>> from xlmargin import TierTable
    >>> "binance_usdm_btcusdt" in TierTable.available()
    True
    """
    return list(_shipped_names())


def _in_contracts(rows: list) -> bool:
    """True where ccxt passed the exchange's bounds on as contract counts (OKX's ``minSz``/``maxSz``)."""
    try:
        return all(float(t["info"]["minSz"]) == float(t.get("minNotional") or 0) for t in rows)
    except (KeyError, TypeError, ValueError):
        return False


def _contracts_to_notional(floors, caps, contract_size, price, contract, meta) -> tuple[np.ndarray, np.ndarray]:
    """Tier bounds in whole contracts as notional [settlement asset] at one price; each tier starts where the last ends."""
    if contract_size is None or price is None or not (contract_size > 0 and price > 0):
        raise TierTableError("tiers", "are in contracts (OKX's minSz/maxSz): give contract_size (the market's "
                             "contractSize) and price (the mark price) to turn them into notional")
    stitched = floors.copy()
    stitched[1:] = np.where(floors[1:] == caps[:-1] + 1, caps[:-1], floors[1:])  # 0-6500, 6501-12000: one contract apart
    per_contract = contract_size * price if contract == "linear" else contract_size / price
    meta["notional_unit"] = "quote" if contract == "linear" else "coin"
    meta["converted"] = (f"tier bounds from contracts at contract size {contract_size:g} and price {price:g} "
                         f"({per_contract:g} per contract); exact at that price only")
    return stitched * per_contract, caps * per_contract


def _ccxt_cum(rows: list, meta: dict) -> list[float]:
    """Each tier's maintenance amount from ``info["cum"]``; all NaN (to be rebuilt) unless every tier has one."""
    given = []
    for t in rows:
        try:
            given.append(float(t["info"]["cum"]))
        except (KeyError, TypeError, ValueError):
            given.append(np.nan)
    if np.isnan(given).all() or not np.isnan(given).any():
        return given
    warnings.warn(f"ccxt gave a maintenance amount for {int((~np.isnan(given)).sum())} of {len(given)} tiers: "
                  "all are rebuilt from the floors and rates", TierTableWarning, stacklevel=3)
    meta["maint_amount"] = "rebuilt from the floors and rates (ccxt gave only some tiers' amounts)"
    return [np.nan] * len(given)


@functools.cache
def _shipped_names() -> tuple[str, ...]:
    folder = resources.files("xlmargin.core").joinpath(_DATA)
    return tuple(sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".csv")))


@functools.cache
def _load_shipped(cls, name: str):
    """Shipped tables are read once: a TierTable cannot be changed once built."""
    with resources.files("xlmargin.core").joinpath(f"{_DATA}/{name}.csv").open(encoding="utf-8") as handle:
        return read_csv(cls, handle, {"name": name})
