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

import types
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TierTableError, TierTableWarning
from . import tier_sources
from .equations import tier_of
from .tier_sources import COLUMNS

__all__ = ["TierTable"]



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

    # -- loaders: xlmargin.core.tier_sources ------------------------------------
    from_rows = classmethod(tier_sources.from_rows)
    from_ccxt = classmethod(tier_sources.from_ccxt)
    from_csv = classmethod(tier_sources.from_csv)
    load = classmethod(tier_sources.load)
    available = staticmethod(tier_sources.available)


def consistent_maint_amounts(notional_floor: Any, mmr: Any, first: float = 0.0) -> np.ndarray:
    """Maintenance amounts that make maintenance margin continuous [settlement asset].

    ``maint_amount[i] = maint_amount[i-1] + notional_floor[i] * (mmr[i] - mmr[i-1])``,
    starting from ``first`` (0 for a table whose first tier starts at 0).

    >>> consistent_maint_amounts([0, 50_000, 250_000], [0.004, 0.005, 0.01]).tolist()
    [0.0, 50.0, 1300.0]
    """
    floor = np.asarray(notional_floor, dtype=np.float64)
    rates = np.asarray(mmr, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # an infinite floor (a bad table, refused by the validation) gives NaN
        steps = np.concatenate([[first], floor[1:] * np.diff(rates)])
    return np.cumsum(steps)
