"""A cross liquidation price laid open: the other positions' part, then the isolated steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import cross_liq_price
from .explain import liq_price_steps, table
from .formulas import DEFAULT_MMR
from .position import maint_margin, unrealized_pnl


def explain_cross_liq_price(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    position: Any = 1,
    rules: Any = "binance",
) -> pd.DataFrame:
    """A cross liquidation price laid open: the other positions, then the steps [table of item, value, unit].

    Parameters
    ----------
    wallet_balance : float, array or Series
        A cross account's balance after realized PnL, fees and funding, before
        unrealized PnL [settlement asset]; any finite number (an account under
        water is negative). One account: a single value.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account.
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name (:meth:`TierTable.available`), whose
        tier of the notional gives the rate and amount. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    position : int
        Which position of the account the table explains, counting from 1; no
        unit. Default 1.
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.

    Returns
    -------
    table : DataFrame
        Columns ``item``, ``value`` and ``unit``: one row per step, each value
        with its unit in words ("quote per base", "decimal", "quote" or "coin"
        for the settlement asset; no unit for labels).
        First the position, the wallet balance, the other positions' uPnL and
        maintenance margin at their marks (Binance's UPNL1 and TMM1) and the
        margin they leave behind the position; then the rows of
        :func:`explain_liq_price` with that margin. ``liq_price`` is NaN where
        no positive, finite price liquidates; if the others' losses already
        exceed the wallet, the table ends with that ``liq_price``.

    Raises
    ------
    InputError
        If an argument is outside the values given above, the arguments are
        not single values or one column, or ``position`` is not between 1 and
        the number of positions; also if ``mmr`` names no shipped table, or
        ``maint_amount`` is not 0 with a tier table.

    Notes
    -----
    The margin behind position ``i`` is
    ``wallet_balance + UPNL1 - TMM1 = wallet_balance + sum over j != i of
    (uPnL_j - MM_j)``, the others at their mark prices (at entry where the rules
    value maintenance margin at entry); the liquidation price is then the
    isolated one with that margin, as in :func:`cross_liq_price`.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (UPNL1 and TMM1 printed in its cross example).
    .. [2] docs/formulas.md, "Explaining a liquidation price".

    Examples
    --------
    W3: the ETH long, BTC held at 51,000.

    >>> table = explain_cross_liq_price(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200], position=2)
    >>> table.set_index("item").loc[["other positions' uPnL (UPNL1)", "other positions' MM (TMM1)"], "value"].round(2).tolist()
    [40.0, 10.2]
    >>> round(table.set_index("item").loc["liq_price", "value"], 2)
    1846.98
    """
    lp = np.atleast_1d(cross_liq_price(wallet_balance, side, size, entry_price, mark_price, mmr, maint_amount, contract,
                                       close_fee_rate, None, rules))
    n = lp.shape[0]
    k = int(inp.positive("position", position))
    if not 1 <= k <= n:
        raise InputError("position", f"must be between 1 and the number of positions ({n})")
    one = lambda a: np.broadcast_to(np.asarray(a, dtype=object), (n,))[k - 1]  # noqa: E731  the explained position's value
    at_entry = np.broadcast_to(exchange_rules.flags(rules).mm_at_entry, (n,))
    pnl = np.atleast_1d(unrealized_pnl(side, size, entry_price, mark_price, contract))
    mm = np.atleast_1d(maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate))
    if at_entry.any():  # some rules value maintenance margin at entry
        mm = np.where(at_entry, np.atleast_1d(maint_margin(size, entry_price, mmr, maint_amount, contract, close_fee_rate)), mm)
    others = np.arange(n) != k - 1
    upnl1, tmm1 = float(np.broadcast_to(pnl, (n,))[others].sum()), float(np.broadcast_to(mm, (n,))[others].sum())
    behind = float(inp.finite("wallet_balance", wallet_balance)) + upnl1 - tmm1
    head = [
        ("position", k, f"of {n} in the account"),
        ("wallet_balance", float(wallet_balance), "settlement asset"),
        ("other positions' uPnL (UPNL1)", upnl1, "at their mark prices"),
        ("other positions' MM (TMM1)", tmm1, "at their mark prices" + (" (entry where the rules say)" if at_entry.any() else "")),
        ("margin behind the position", behind, "wallet + UPNL1 - TMM1"),
    ]
    if behind < 0:  # the others' losses exceed the wallet: no isolated steps to show
        return table(head + [("liq_price", float(lp[k - 1]), "the others' losses already exceed the wallet")])
    tiers = fm.tier_table("mmr", mmr)
    steps = liq_price_steps(one(side), one(size), one(entry_price), behind, tiers if tiers is not None else float(one(mmr)),
                            0.0 if tiers is not None else float(one(maint_amount)), one(contract), float(one(close_fee_rate)),
                            one(rules))
    return table(head + [row for row in steps if row[0] != "margin"])
