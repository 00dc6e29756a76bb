"""Cross accounts: equity, maintenance margin, liquidation prices (hedge legs included), margin ratio and call."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .equations import cancelled
from .formulas import DEFAULT_MMR
from .hedge import _symbol_liq_price
from .position import maint_margin


class _Accounts:
    """Rows grouped into cross accounts (all rows one account when ``account`` is None)."""

    def __init__(self, account: Any, wallet_balance: Any, n_rows: int, contract: np.ndarray):
        if account is None:
            self.codes = np.zeros(n_rows, dtype=np.intp)
            self.labels = None
        else:
            labels = account.to_numpy() if isinstance(account, pd.Series) else np.asarray(account)
            if labels.ndim == 0:  # one label: every position in that account (as a scalar broadcasts)
                labels = np.full(n_rows, labels.item(), dtype=object)
            if labels.shape != (n_rows,):
                raise InputError("account", f"must have one label per position ({n_rows}), not shape {labels.shape}")
            self.codes, self.labels = pd.factorize(labels)
            if (self.codes < 0).any():
                raise InputError("account", "is empty", int(np.argmax(self.codes < 0)) + 1)
        self.count = int(self.codes.max()) + 1 if n_rows else 0
        wallet = np.broadcast_to(inp.finite("wallet_balance", wallet_balance), (n_rows,))
        self.wallet = self._one_value_per_account("wallet_balance", wallet)
        if contract.ndim:
            self._one_value_per_account("contract", contract.astype(np.float64))

    def _one_value_per_account(self, name: str, values: np.ndarray) -> np.ndarray:
        first = np.full(self.count, np.nan)
        first[self.codes[::-1]] = values[::-1]  # the first row of each account wins
        differs = values != first[self.codes]
        if differs.any():
            raise InputError(name, "must be the same for every position of an account (cross margin shares it)", int(np.argmax(differs)) + 1)
        return first

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.count)

    def per_account(self, values: np.ndarray) -> Any:
        if self.labels is None:
            return float(values[0]) if self.count else np.nan
        return pd.Series(values, index=pd.Index(self.labels, name="account"))


def _cross_rows(wallet_balance, side, size, entry_price, mark_price, contract, account, extra=None):
    args = dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, contract=contract, **(extra or {}))
    shape, wrap = inp.shape_and_wrapper(args)
    if len(shape) > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
    n_rows = shape[0] if shape else 1
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    p = inp.positive("mark_price", mark_price)
    s, q, e, p = (np.broadcast_to(a, (n_rows,)) for a in (s, q, e, p))
    inv = np.broadcast_to(inv, (n_rows,)) if inv.ndim else inv
    accounts = _Accounts(account, wallet_balance, n_rows, inv)
    return s, q, e, p, inv, accounts, wrap


def cross_equity(
    wallet_balance: Any, side: Any, size: Any, entry_price: Any, mark_price: Any, contract: Any = "linear", account: Any = None
) -> Any:
    """Cross-margin equity (margin balance): wallet_balance + sum(uPnL) [settlement asset].

    Parameters
    ----------
    wallet_balance : float, array or Series
        A cross account's balance after realized PnL, fees and funding, before
        unrealized PnL [settlement asset]; any finite number (an account under
        water is negative). One value per account: with ``account``, a column
        repeating each account's balance on its rows.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account(s).
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0.
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
        One contract type per account (an account has one settlement asset).
    account : label, array or Series of labels, optional
        Label grouping positions into cross accounts, one per position (a single label: one account); no unit.
        Default None: all positions form one account.

    Returns
    -------
    equity : float or Series
        Equity of each account [settlement asset]; may be negative.
        A float for one account (``account`` None), otherwise a Series indexed by
        account label, in order of first appearance.
        Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if the arguments are not single values or one column, ``account``
        has not one label per position, or ``wallet_balance`` or ``contract``
        differ between the positions of one account.

    Notes
    -----
    ``equity = wallet_balance + sum_i uPnL_i``, each position's uPnL at its mark
    price with its sign (a profit is positive): a profitable position holds the
    others up, a losing one drags them down.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (WB and UPNL in its cross example).
    .. [2] docs/formulas.md, "Equity".

    Examples
    --------
    W3: 500 USDT backing a BTC long (0.04 from 50,000, now 51,000) and an ETH
    long (0.8 from 2,500, now 2,200): 500 + 40 - 240 = 300 USDT.

    >>> round(cross_equity(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200]), 9)
    300.0
    """
    s, q, e, p, inv, accounts, _ = _cross_rows(wallet_balance, side, size, entry_price, mark_price, contract, account)
    return accounts.per_account(accounts.wallet + accounts.total(fm.pnl(s, q, e, p, inv)))


def cross_maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    account: Any = None,
) -> Any:
    """Total maintenance margin of a cross account: the sum of :func:`maint_margin` [settlement asset].

    Parameters
    ----------
    size : float, array or Series
        Position size: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; > 0.
        One row per position.
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
    account : label, array or Series of labels, optional
        Label grouping positions into cross accounts, one per position (a single label: one account); no unit.
        Default None: all positions form one account.

    Returns
    -------
    maint_margin : float or Series
        Total maintenance margin of each account [settlement asset].
        A float for one account (``account`` None), otherwise a Series indexed by
        account label, in order of first appearance.
        Never NaN: every input is checked to be finite.

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if ``mmr`` names no shipped table, or ``maint_amount`` is not 0
        with a tier table.
        Also if the arguments are not single values or one column, or
        ``account`` has not one label per position.

    Notes
    -----
    ``MM_total = sum_i MM_i`` with ``MM_i = notional_i(mark_price) * (mmr_i +
    close_fee_rate_i) - maint_amount_i``, each at its own mark price and tier.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (TMM1 in its cross example).
    .. [2] docs/formulas.md, "Total maintenance margin".

    Examples
    --------
    W5 after ALT1 pumps 30 %: 39 + 10 + 10 + 10 = 69 USDT.

    >>> round(cross_maint_margin([30, 10_000, 2_000, 0.04], [130, 0.1, 0.5, 50_000], [0.01, 0.01, 0.01, 0.005]), 9)
    69.0
    """
    mm = np.atleast_1d(maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate))
    if mm.ndim > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {mm.shape}")
    accounts = _Accounts(account, 0.0, mm.shape[0], np.asarray(False))
    return accounts.per_account(accounts.total(np.asarray(mm, dtype=np.float64)))


def cross_liq_price(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    account: Any = None,
    rules: Any = "binance",
    symbol: Any = None,
    collateral: Any = 0.0,
) -> Any:
    """Cross-margin liquidation price of each position, the others held at their mark prices [quote per base].

    Parameters
    ----------
    wallet_balance : float, array or Series
        A cross account's balance after realized PnL, fees and funding, before
        unrealized PnL [settlement asset]; any finite number (an account under
        water is negative). One value per account: with ``account``, a column
        repeating each account's balance on its rows.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit.
        One row per position of the account(s).
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
        Tiers are those of the notional at the mark price for the other
        positions, at the liquidation price for the position itself.
    maint_amount : float, array or Series
        Maintenance amount ("cum"), deducted from notional x mmr so that
        maintenance margin is continuous across tiers [settlement asset]; >= 0.
        Default 0; leave it at 0 with a tier table (the table has its own).
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (USDT-margined, the default) or ``"inverse"``
        (coin-margined), in any case; no unit.
        One contract type per account.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    account : label, array or Series of labels, optional
        Label grouping positions into cross accounts, one per position (a single label: one account); no unit.
        Default None: all positions form one account.
    rules : str, or an array or Series of str
        An exchange's rule set: ``"binance"`` (the default), ``"bybit"``,
        ``"bybit_uta"``, ``"bitmex"``, ``"okx"``, ``"gate"`` or
        ``"hyperliquid"``, in any case, one for all rows or one per row
        (docs/exchanges.md); no unit.
        Under rules that value maintenance margin at entry (``"bybit"``,
        ``"bitmex"``) every position's is valued at its entry notional.
    symbol : array or Series of labels, optional
        The contract each position trades; in cross mode the legs of one symbol
        move together (hedge mode); no unit. Default None: each position moves
        alone.
    collateral : float, array or Series
        Collateral in the position's own base asset, after its haircut
        (``amount * (1 - haircut)``), whose value moves with the price
        [base asset]; >= 0, linear contracts only. Not part of
        ``wallet_balance``. Default 0.

    Returns
    -------
    liq_price : float, ndarray or Series
        Liquidation price of each position [quote per base].
        A float if every argument is a scalar, an ndarray of the broadcast
        shape if any is an array, a Series on the shared index if any is a
        Series.
        NaN where no positive, finite price liquidates the account through that
        position (never 0).

    Raises
    ------
    InputError
        If an argument is outside the values given above, a choice is unknown,
        or the arguments do not broadcast; the message names the argument and,
        for arrays, the first bad row counting from 1.
        Also if the arguments are not single values or one column, ``account``
        has not one label per position, or ``wallet_balance`` or ``contract``
        differ between the positions of one account.
        Also if ``mmr`` names no shipped table, ``maint_amount`` is not 0 with a
        tier table, or ``collateral`` is given for an inverse contract.

    Notes
    -----
    The account is liquidated when ``equity <= sum(MM)``. Holding every other
    position ``j`` of the account at its mark price, position ``i``'s price is
    the isolated liquidation price (:func:`isolated_liq_price`) with the margin::

        margin_i = wallet_balance + sum over j != i of (uPnL_j - MM_j)

    which is Binance's cross formula (``WB - TMM1 + UPNL1``). The other
    positions' PnL keeps its sign: a profitable hedge holds the position up, a
    losing one drags it down.

    With ``symbol``, the positions of one symbol in an account share one price
    ``P``, solving ``others + sum_i s_i*q_i*(P - E_i) = sum_i MM_i(P)``, each leg
    on the tier of its own notional at ``P`` (Binance's formula with its BOTH,
    LONG and SHORT legs). With ``collateral`` ``k``, the equity gains ``k * P``:
    a BTC-collateralised BTC long loses through its PnL and its collateral at
    once; other positions' collateral counts at their mark prices.

    References
    ----------
    .. [1] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts". (its cross example: 1,153.26 and 26,316.89).
    .. [2] Binance FAQ 25edcd7fe0e544839d0847b8cbb2e400 (a single cross long: 25,100.40).
    .. [3] Binance developer forum, "Coin-Margined Futures Liquidation Price
       Calculation Help - CM variable" (dev.binance.vision, thread 6292): 33,599.40.
    .. [4] Bybit help centre, "How to calculate Liquidation Price (Inverse
       Contract)" (article 360039261334).
    .. [5] BitMEX, "Isolated and Cross Margin Examples".
    .. [6] docs/formulas.md, "Cross liquidation price", "Hedge mode" and
       "Collateral with haircuts".

    Examples
    --------
    W3: with BTC held at 51,000, the ETH long is liquidated at about 1,846.98.

    >>> lp = cross_liq_price(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500])
    >>> round(float(lp[1]), 2)
    1846.98
    """
    s, q, e, p, inv, accounts, wrap = _cross_rows(
        wallet_balance, side, size, entry_price, mark_price, contract, account,
        dict(close_fee_rate=close_fee_rate, rules=rules, collateral=collateral, **fm.rate_args(mmr, maint_amount)),
    )
    moving = np.broadcast_to(inp.non_negative("collateral", collateral), s.shape)
    if moving.any() and symbol is None:
        symbol = np.arange(s.shape[0])  # each position is its own group
    fee = np.broadcast_to(inp.rate("close_fee_rate", close_fee_rate), s.shape)
    flags = exchange_rules.flags(rules)
    mm = fm.maint_margin_at(q, p, inv, mmr, maint_amount, fee)
    if flags.mm_at_entry.any():  # where the rules value it at the entry notional
        mm = np.where(flags.mm_at_entry, fm.maint_margin_at(q, e, inv, mmr, maint_amount, fee), mm)
    # what each position (and its collateral, worth collateral * u: base at P, or quote at 1/P in coin) adds
    spare = fm.pnl(s, q, e, p, inv) - mm + moving * np.where(inv, 1 / p, p)
    if symbol is not None:
        return wrap(_symbol_liq_price(s, q, e, p, inv, fee, flags, accounts, spare, mmr, maint_amount, symbol, moving))
    others = accounts.wallet[accounts.codes] + (accounts.total(spare)[accounts.codes] - spare)
    scale = np.abs(accounts.wallet)[accounts.codes] + accounts.total(np.abs(spare))[accounts.codes]
    return wrap(fm.liq_price(s, q, e, _no_room_snapped(others, scale, s, q, e, inv), mmr, maint_amount, inv, fee, flags))


def _no_room_snapped(others, scale, s, q, e, inv) -> np.ndarray:
    """The margin behind each position, set to exactly its entry value where it is that up to rounding.

    Adding every position into the account's total and taking the position out
    again leaves an error of a few ulps of the account's largest amounts; where
    the margin left is the position's whole value at entry (a 1x position, with
    no liquidation price), that error alone would make a price of 1e-12 or 1e20.
    """
    s_u, e_u = np.where(inv, -s, s), np.where(inv, 1 / e, e)
    at_entry = s_u * (q * e_u)  # the margin the root measures against: its numerator is 0 there
    return np.where(cancelled(others - at_entry, scale + np.abs(at_entry)) == 0, at_entry, others)


