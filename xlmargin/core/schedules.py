"""Margin rates that grow with the position's size (Deribit), instead of notional tiers.

Deribit's futures and perpetuals ask a margin rate that rises linearly with
the size of the position in coin::

    rate = base + slope * N          N = size in coin: BTC, ETH, SOL
    margin = N * rate                 [coin]; times the price for linear (USDC) contracts

for the maintenance margin (base 1 % for BTC and ETH) and the initial margin
(base 2 %), with one slope for both. ``N`` is the quantity for a linear
contract and ``size / price`` for an inverse one (whose size is in USD), so an
inverse position's rate changes with the price: its liquidation price solves a
quadratic (:func:`xlmargin.core.solver.solve_size_scaled`). A schedule is
passed where a maintenance margin rate or tier table is expected:
``mmr="deribit_btc"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["SizeScaledRate", "SCHEDULES"]


@dataclass(frozen=True)
class SizeScaledRate:
    """A margin schedule whose rate grows with the size in coin: ``rate = base + slope * N`` [decimal].

    Attributes
    ----------
    name : str
        The schedule's name (``"deribit_btc"``).
    mmr : float
        Maintenance margin rate at size 0 [decimal].
    imr : float
        Initial margin rate at size 0 [decimal].
    slope : float
        Added to both rates per coin of size [decimal per coin].
    coin : str
        The coin the size is counted in.
    source : str
        Where the numbers are published.
    """

    name: str
    mmr: float
    imr: float
    slope: float
    coin: str
    source: str

    def rate(self, size_in_coin: Any, kind: str = "maintenance") -> Any:
        """The margin rate of a position of ``size_in_coin`` [decimal]: ``base + slope * N``.

        Parameters
        ----------
        size_in_coin : float or array
            The position's size in coin [base asset]: the quantity of a
            linear contract, ``size / price`` of an inverse one; >= 0.
        kind : {"maintenance", "initial"}
            Which rate; no unit.

        Returns
        -------
        rate : float or ndarray
            The rate [decimal]; a float for a scalar size. NaN where the size is NaN.

        Raises
        ------
        InputError
            If ``kind`` is neither "maintenance" nor "initial".

        Notes
        -----
        ``rate = base + slope * N``, the same slope for both kinds; no cap is published.

        References
        ----------
        .. [1] Deribit, "Change of leverage levels, position sizes and liquidation fees as of
           11 January 2022" (support.deribit.com, article 25944826427293).

        Examples
        --------
        Deribit's example: a 25 BTC position needs 2% + 25 x 0.005% = 2.125% initial margin.

        >>> SCHEDULES["deribit_btc"].rate(25, "initial")
        0.02125
        """
        base = {"maintenance": self.mmr, "initial": self.imr}.get(kind)
        if base is None:
            raise InputError("kind", f"must be 'maintenance' or 'initial', not {kind!r}")
        rate = base + self.slope * np.asarray(size_in_coin, dtype=float)
        return float(rate) if rate.ndim == 0 else rate

    def margin(self, size: Any, price: Any, contract: str = "inverse", kind: str = "maintenance") -> Any:
        """The margin a position needs under the schedule [settlement asset: coin for inverse, quote for linear].

        Parameters
        ----------
        size : float or array
            Position value [quote] (inverse, USD) or quantity [base asset]
            (linear); > 0.
        price : float or array
            Mark price [quote per base]; > 0.
        contract : {"linear", "inverse"}
            ``"inverse"`` (the default: Deribit's coin-margined futures) or
            ``"linear"`` (USDC-margined); no unit.
        kind : {"maintenance", "initial"}
            Which margin; no unit.

        Returns
        -------
        margin : float or ndarray
            ``N * rate(N)`` [coin] for an inverse contract, times ``price``
            [quote] for a linear one, with ``N`` the size in coin. NaN where an
            input is NaN.

        Raises
        ------
        InputError
            If ``kind`` is neither "maintenance" nor "initial".

        Notes
        -----
        ``N = size / price`` (inverse) or ``N = size`` (linear); the rate
        applies to the whole position, with no maintenance amount.

        References
        ----------
        .. [1] Deribit, "Linear Perpetual" (support.deribit.com, article 25944738177565):
           BTC_USDC at 100,000 and SOL_USDC at 200.
        .. [2] Deribit, "Futures" (deribit.com/pages/docs/futures): 25 BTC needs 0.53125 BTC.

        Examples
        --------
        Deribit's published examples: 25 BTC of BTC_USDC at 100,000 needs
        53,125 USDC initial and 28,125 USDC maintenance margin; the same 25 BTC
        as 2,500,000 USD of the inverse perpetual, 0.53125 BTC initial margin.

        >>> btc = SCHEDULES["deribit_btc"]
        >>> round(btc.margin(25, 100_000, "linear", "initial"), 6), round(btc.margin(25, 100_000, "linear"), 6)
        (53125.0, 28125.0)
        >>> round(btc.margin(2_500_000, 100_000, "inverse", "initial"), 12)
        0.53125
        """
        q, p = np.asarray(size, dtype=float), np.asarray(price, dtype=float)
        coins = q / p if contract == "inverse" else q
        value = coins * self.rate(coins, kind)
        value = value if contract == "inverse" else value * p
        return float(value) if np.ndim(value) == 0 else value

    def __str__(self) -> str:
        return f"{self.name}: {self.mmr:.4%} + {self.slope:.6%} per {self.coin} (initial {self.imr:.4%} + the same)"


_DERIBIT_2022 = ("Deribit, 'Change of leverage levels, position sizes and liquidation fees as of 11 January 2022' "
                 "and 'Linear Perpetual' (support.deribit.com)")

SCHEDULES: dict[str, SizeScaledRate] = {
    s.name: s
    for s in (
        SizeScaledRate("deribit_btc", 0.01, 0.02, 0.00005, "BTC", _DERIBIT_2022),
        SizeScaledRate("deribit_eth", 0.01, 0.02, 0.000004, "ETH", _DERIBIT_2022),
        SizeScaledRate("deribit_sol_usdc", 0.02, 0.04, 0.000005, "SOL", _DERIBIT_2022),
    )
}
