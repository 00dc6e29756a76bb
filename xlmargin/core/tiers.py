"""Tier tables: the maintenance-margin brackets ("risk limits", "leverage brackets").

A tier table says which maintenance margin rate (``mmr``) and maintenance
amount (``maint_amount``, Binance's "cum") apply to a position, by the
position's notional. Each row is one tier::

    notional_floor  notional_cap  max_leverage  mmr    maint_amount
    0               50_000        125           0.004  0
    50_000          600_000       100           0.005  50
    ...

Notional is in the settlement asset: quote currency (USDT) for linear
contracts, coin (BTC) for inverse ones. A notional ``n`` falls in the tier with
``notional_floor < n <= notional_cap`` (Binance's convention: a notional
exactly at a boundary belongs to the lower tier; a zero notional to the first
tier); the last tier also takes any notional beyond its cap. Maintenance margin is ``n * mmr - maint_amount``.

The maintenance amounts are *consistent* when maintenance margin is continuous
at each boundary::

    maint_amount[i] = maint_amount[i-1] + notional_floor[i] * (mmr[i] - mmr[i-1])

A table whose amounts break this is usable but raises
:class:`~xlmargin.errors.TierTableWarning`; a table with missing amounts gets
the consistent ones rebuilt.
"""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TierTableError, TierTableWarning
from .equations import tier_of

__all__ = ["TierTable"]

COLUMNS = ("notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount")
_DATA = "data/tiers"


@dataclass(frozen=True, eq=False)
class TierTable:
    """A validated tier table; build it with one of the ``from_*`` loaders.

    Attributes
    ----------
    notional_floor, notional_cap : ndarray
        Notional range of each tier [settlement asset]; contiguous, from 0.
    max_leverage : ndarray
        Highest leverage allowed in each tier [x].
    mmr : ndarray
        Maintenance margin rate of each tier [decimal, 0.005 is 0.5 %].
    maint_amount : ndarray
        Maintenance amount of each tier [settlement asset].
    meta : mapping (read-only)
        Free-form provenance (exchange, contract, date of the figures, source).
    continuous : bool
        True when the maintenance amounts make maintenance margin continuous
        at every boundary (set by validation).

    Examples
    --------
    >>> tiers = TierTable.from_rows([
    ...     [0, 50_000, 125, 0.004, 0],
    ...     [50_000, 250_000, 100, 0.005, 50],
    ... ])
    >>> tiers.tier_index([10_000, 50_000, 1e9]).tolist()
    [0, 0, 1]
    """

    notional_floor: np.ndarray
    notional_cap: np.ndarray
    max_leverage: np.ndarray
    mmr: np.ndarray
    maint_amount: np.ndarray
    meta: Mapping[str, str] = field(default_factory=dict)
    continuous: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        arrays = {}
        for name in COLUMNS:
            try:
                arr = np.array(getattr(self, name), dtype=np.float64, ndmin=1)
            except (TypeError, ValueError):
                raise TierTableError("tiers", f"column {name} must hold numbers") from None
            arr.setflags(write=False)
            arrays[name] = arr
        n = len(arrays["mmr"])
        if n == 0 or any(len(a) != n for a in arrays.values()):
            raise TierTableError("tiers", "must have at least one row and the same number of values in every column")
        meta = dict(self.meta)
        if np.isnan(arrays["maint_amount"]).all():
            arrays["maint_amount"] = consistent_maint_amounts(arrays["notional_floor"], arrays["mmr"])
            meta.setdefault("maint_amount", "rebuilt from the floors and rates (none given), so that MM is continuous")
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "meta", types.MappingProxyType(meta))
        self._validate()

    # -- validation ---------------------------------------------------------
    def _validate(self) -> None:
        floor, cap = self.notional_floor, self.notional_cap
        checks = [
            (~np.isfinite(floor) | (floor < 0), "notional_floor must be a finite number >= 0"),
            (~(cap > floor), "notional_cap must be greater than notional_floor"),
            (~np.isfinite(cap[:-1]), "notional_cap must be finite except in the last tier"),
            (~((self.mmr >= 0) & (self.mmr < 1)), "mmr must be a rate in [0, 1)"),
            (~((self.max_leverage > 0) & np.isfinite(self.max_leverage)), "max_leverage must be a finite number > 0"),
            (~np.isfinite(self.maint_amount), "maint_amount must be a finite number (leave the whole column empty to rebuild it)"),
        ]
        for bad, message in checks:
            if bad.any():
                raise TierTableError("tiers", f"has a bad tier: {message}", int(np.argmax(bad)) + 1)
        if floor[0] != 0:
            raise TierTableError("tiers", "must start at notional_floor 0", 1)
        gap = ~np.isclose(cap[:-1], floor[1:], rtol=1e-12, atol=0)
        if gap.any():
            i = int(np.argmax(gap))
            raise TierTableError(
                "tiers",
                f"is not contiguous: tier {i + 1} ends at {cap[i]:g} but tier {i + 2} starts at {floor[i + 1]:g}",
                i + 2,
            )
        expected = consistent_maint_amounts(floor, self.mmr, self.maint_amount[0])
        jump = self.maint_amount - expected
        tolerance = 1e-9 * np.maximum(1.0, floor * self.mmr)
        object.__setattr__(self, "continuous", not (np.abs(jump) > tolerance).any())
        if not self.continuous:
            i = int(np.argmax(np.abs(jump) > tolerance))
            warnings.warn(
                f"tier table{self._label()}: maintenance margin jumps by {-jump[i]:g} at notional "
                f"{floor[i]:g} (tier {i + 1}); a consistent maint_amount there is {expected[i]:g}",
                TierTableWarning,
                stacklevel=4,
            )

    def _label(self) -> str:
        name = self.meta.get("name")
        return f" {name!r}" if name else ""

    # -- lookups ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.mmr)

    def tier_index(self, notional: Any) -> np.ndarray:
        """0-based tier of each notional [tier number from 0; no unit].

        Parameters
        ----------
        notional : float or array
            Position value: size x price (linear) or size / price (inverse)
            [settlement asset]; >= 0.

        Returns
        -------
        index : ndarray of int
            The tier of each notional, 0 for the first (a 0-d array for a
            scalar); no unit.
            Never NaN; a NaN notional gets the last tier and a negative one the
            first (the input is not checked: the formulas check it before).

        Raises
        ------
        ValueError
            If ``notional`` cannot be read as numbers (numpy's conversion; not an
            ``InputError``).

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
        >>> tiers = TierTable.from_rows([[0, 50_000, 125, 0.004, 0], [50_000, 250_000, 100, 0.005, 50]])
        >>> tiers.tier_index([10_000, 50_000, 1e9]).tolist()
        [0, 0, 1]
        """
        return tier_of(self.notional_floor, np.asarray(notional, dtype=np.float64))

    def max_notional(self, leverage: Any) -> np.ndarray:
        """Largest notional a position may have at ``leverage`` [settlement asset].

        Parameters
        ----------
        leverage : float or array
            Leverage, notional / initial margin [x]; > 0.

        Returns
        -------
        max_notional : ndarray
            The cap of the highest tier whose ``max_leverage`` allows ``leverage``
            [settlement asset], in the shape of ``leverage`` (0-d for a scalar);
            ``inf`` where the last tier (with no cap) allows it. NaN where no tier
            allows the leverage.

        Raises
        ------
        ValueError
            If ``leverage`` cannot be read as numbers (numpy's conversion; not an
            ``InputError``).

        Notes
        -----
        ``max_notional = max(notional_cap[k] for tiers k with max_leverage[k] >= leverage)``.
        :func:`max_position_size` caps its notional with it.

        References
        ----------
        .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
           Liquidation Price of USDⓈ-M Futures Contracts". (maintenance amount 250,000 x (1 % - 0.5 %) + 50 = 1,300).
        .. [2] docs/formulas.md, "Tiers".

        Examples
        --------
        >>> tiers = TierTable.from_rows([[0, 50_000, 125, 0.004, 0], [50_000, 250_000, 100, 0.005, 50]])
        >>> tiers.max_notional([100, 125, 150]).tolist()
        [250000.0, 50000.0, nan]
        """
        lev = np.asarray(leverage, dtype=np.float64)
        allowed = self.max_leverage[None, :] >= lev.reshape(-1, 1)
        caps = np.where(allowed, self.notional_cap[None, :], -np.inf).max(axis=1)
        return np.where(caps > 0, caps, np.nan).reshape(lev.shape)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame, one row per tier [settlement asset, x, decimal].

        Returns
        -------
        frame : DataFrame
            Columns ``notional_floor``, ``notional_cap``, ``maint_amount``
            [settlement asset], ``max_leverage`` [x] and ``mmr`` [decimal], in the
            order of :data:`COLUMNS`. Never NaN (a last tier without a cap has
            ``inf``).

        Raises
        ------
        Nothing
            The table was validated when it was built (``InputError`` and
            ``TierTableError`` come from the loaders).

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
        >>> TierTable.from_rows([[0, 50_000, 125, 0.004, 0], [50_000, None, 100, 0.005, 50]]).to_frame().shape
        (2, 5)
        """
        return pd.DataFrame({name: getattr(self, name) for name in COLUMNS})

    def __repr__(self) -> str:
        return f"TierTable{self._label()} with {len(self)} tiers\n{self.to_frame().to_string(index=False)}"

    # -- loaders ------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, meta: dict[str, str] | None = None) -> TierTable:
        """Build a tier table from a DataFrame with the columns of :data:`COLUMNS` [TierTable].

        Parameters
        ----------
        frame : DataFrame
            One row per tier with the columns ``notional_floor``, ``notional_cap``,
            ``maint_amount`` [settlement asset], ``max_leverage`` [x] and ``mmr``
            [decimal]. ``maint_amount`` may be missing or all empty: it is then
            rebuilt so that maintenance margin is continuous. An empty cap in the
            last tier means no cap.
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
        >>> frame = pd.DataFrame({"notional_floor": [0, 50_000], "notional_cap": [50_000, None],
        ...                       "max_leverage": [125, 100], "mmr": [0.004, 0.005]})
        >>> TierTable.from_frame(frame).maint_amount.tolist()
        [0.0, 50.0]
        """
        missing = [c for c in COLUMNS[:4] if c not in frame.columns]
        if missing:
            raise TierTableError("tiers", f"is missing the column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        amounts = frame["maint_amount"] if "maint_amount" in frame.columns else np.nan
        columns = {c: frame[c].to_numpy(copy=True) for c in COLUMNS[:4]}
        caps = columns["notional_cap"]
        if len(caps) and (caps[-1] is None or (isinstance(caps[-1], float) and np.isnan(caps[-1]))):
            caps = caps.astype(object)
            caps[-1] = np.inf  # an empty cap in the last tier: no cap
            columns["notional_cap"] = caps
        return cls(**columns, maint_amount=np.broadcast_to(amounts, len(frame)), meta=dict(meta or {}))

    @classmethod
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

    @classmethod
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

    @classmethod
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
        >>> shipped = resources.files("xlmargin.core") / "data/tiers/binance_usdm_btcusdt.csv"
        >>> TierTable.from_csv(shipped).meta["exchange"]
        'Binance USDⓈ-M futures'
        """
        with open(path, encoding="utf-8") as handle:
            return cls._read_csv(handle, {})

    @classmethod
    def _read_csv(cls, handle: Any, meta: dict[str, str]) -> TierTable:
        lines = handle.read().splitlines()
        for line in lines:
            if line.startswith("#") and ":" in line:
                key, _, value = line[1:].partition(":")
                meta.setdefault(key.strip(), value.strip())
        body = "\n".join(line for line in lines if not line.startswith("#"))
        frame = pd.read_csv(pd.io.common.StringIO(body))
        return cls.from_frame(frame, meta=meta)

    @classmethod
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
        >>> sorted(TierTable.available())[:1]
        ['binance_coinm_btcusd_perp']
        >>> len(TierTable.load("binance_usdm_btcusdt"))
        12
        """
        if name not in cls.available():
            raise TierTableError("tiers", f"{name!r} is not a shipped table; choose one of {', '.join(cls.available())}")
        return _load_shipped(name)

    @staticmethod
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
def _load_shipped(name: str) -> TierTable:
    """Shipped tables are read once: a TierTable cannot be changed once built."""
    with resources.files("xlmargin.core").joinpath(f"{_DATA}/{name}.csv").open(encoding="utf-8") as handle:
        return TierTable._read_csv(handle, {"name": name})


def consistent_maint_amounts(notional_floor: Any, mmr: Any, first: float = 0.0) -> np.ndarray:
    """Maintenance amounts that make maintenance margin continuous [settlement asset].

    ``maint_amount[i] = maint_amount[i-1] + notional_floor[i] * (mmr[i] - mmr[i-1])``,
    starting from ``first`` (0 for a table whose first tier starts at 0).

    >>> consistent_maint_amounts([0, 50_000, 250_000], [0.004, 0.005, 0.01]).tolist()
    [0.0, 50.0, 1300.0]
    """
    floor = np.asarray(notional_floor, dtype=np.float64)
    rates = np.asarray(mmr, dtype=np.float64)
    steps = np.concatenate([[first], floor[1:] * np.diff(rates)])
    return np.cumsum(steps)
