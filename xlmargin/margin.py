"""The margin formulas: PnL, margins, liquidation and bankruptcy prices, cross accounts.

Every function here is a small formula over arrays: scalars, sequences, numpy
arrays or pandas Series that broadcast (the rule is in :mod:`xlmargin._inputs`
and docs/formulas.md). Names and argument order are those of the Excel
functions: ``isolated_liq_price`` is ``ISOLATED_LIQ_PRICE`` in a sheet.

Conventions (docs/glossary.md has the full list):

* ``side``: ``"long"``/``"short"`` or ``1``/``-1``.
* ``size`` [base asset] for linear contracts (0.2 BTC); [quote currency] for
  inverse ones: the position value in USD, contracts x contract size.
* prices [quote per base], e.g. USDT per BTC.
* margin amounts [settlement asset]: quote (USDT) for linear, coin (BTC) for
  inverse contracts.
* rates are decimals: ``0.005`` is 0.5 %.
* ``mmr``: a maintenance margin rate, or a :class:`~xlmargin.tiers.TierTable`
  (or the name of a shipped one), in which case ``maint_amount`` comes from the
  table.
* A profit is positive, a loss negative; a funding payment received is
  positive, one paid negative.
* NaN means "no answer", for example no positive finite price liquidates the
  position. It is never replaced by 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _inputs as inp
from . import rules as exchange_rules
from ._solver import fee_at_bankruptcy, no_answer_to_nan, root, solve_tiered
from .errors import InputError
from .tiers import TierTable

__all__ = [
    "notional",
    "unrealized_pnl",
    "initial_margin",
    "maint_margin",
    "isolated_liq_price",
    "bankruptcy_price",
    "margin_for_liq_price",
    "funding_payment",
    "cross_equity",
    "cross_maint_margin",
    "cross_liq_price",
    "margin_ratio",
    "margin_call",
    "isolated_account_value",
    "cross_account_value",
    "max_position_size",
    "compare_margin_modes",
    "collateral_value",
    "explain_liq_price",
    "explain_cross_liq_price",
    "explain_maint_margin",
    "distance_to_liq",
    "margin_buffer",
    "return_on_equity",
    "exit_price_for_roe",
    "exit_price_for_pnl",
    "average_entry_price",
]

DEFAULT_MMR = 0.005
DEFAULT_MARGIN_CALL = 0.8

# ---------------------------------------------------------------------------
# shared pieces (private)


def _contract(contract: Any) -> np.ndarray:
    return inp.is_inverse(contract)


def _notional(q: np.ndarray, price: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Position value [settlement asset]: q*P (linear) or q/P (inverse)."""
    if inverse.ndim == 0:
        return q / price if inverse else q * price
    return np.where(inverse, q / price, q * price)


def _pnl(s, q, entry, mark, inverse) -> np.ndarray:
    if inverse.ndim == 0:
        return s * q * (1 / entry - 1 / mark) if inverse else s * q * (mark - entry)
    return np.where(inverse, s * q * (1 / entry - 1 / mark), s * q * (mark - entry))


def _table(argument: str, value: Any) -> TierTable | None:
    """A TierTable given as itself or as a shipped table's name; None for anything else."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            try:
                return TierTable.load(value)
            except InputError as exc:
                raise InputError(argument, exc.reason) from None
        return None  # a number written as text: a rate
    return value if isinstance(value, TierTable) else None


def _rate_args(mmr: Any, maint_amount: Any) -> dict[str, Any]:
    """The rate arguments that take part in broadcasting (not a tier table)."""
    return {} if _table("mmr", mmr) is not None else {"mmr": mmr, "maint_amount": maint_amount}


def _tiers(mmr: Any, maint_amount: Any) -> TierTable | None:
    """The tier table passed as ``mmr``, if any."""
    mmr = _table("mmr", mmr)
    if mmr is not None:
        if np.any(np.asarray(maint_amount, dtype=object) != 0):
            raise InputError("maint_amount", "must be left at 0 when mmr is a tier table (the table has its own)")
        return mmr
    return None


def _rate_and_amount(mmr: Any, maint_amount: Any, notional: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maintenance rate and amount of each row: flat, or the tier of ``notional``."""
    tiers = _tiers(mmr, maint_amount)
    if tiers is None:
        return inp.rate("mmr", mmr), inp.non_negative("maint_amount", maint_amount)
    t = tiers.tier_index(notional)
    return tiers.mmr[t], tiers.maint_amount[t]


def _liq_price(s, q, entry, margin, mmr, maint_amount, inverse, fee, rules=None) -> np.ndarray:
    """Price where margin + uPnL = MM, tier-consistently; NaN where there is none.

    Works in u = P (linear) or u = 1/P (inverse); see :mod:`xlmargin._solver`.
    ``rules`` (per-row flags of :mod:`xlmargin.rules`) switch rows to maintenance
    margin valued at the entry notional.
    """
    if inverse.ndim == 0:
        s_u, e_u = (-s, 1 / entry) if inverse else (s, entry)
    else:
        s_u, e_u = np.where(inverse, -s, s), np.where(inverse, 1 / entry, entry)
    tiers = _tiers(mmr, maint_amount)
    if tiers is not None:
        table = (tiers.notional_floor, tiers.notional_cap, tiers.mmr, tiers.maint_amount)
        mode = 0.0 if rules is None else _solver_mode(rules)
        return _to_price(solve_tiered(s_u, q, e_u, margin, fee, *table, continuous=tiers.continuous, mode=mode), inverse)
    if rules is not None and rules.fee_at_bankruptcy.any():
        # MM at the price plus a fee to close charged at the bankruptcy price (Bybit's unified account):
        # that fee is a fixed amount, the same as taking it from the margin
        at_bankruptcy = rules.fee_at_bankruptcy & ~rules.mm_at_entry
        if at_bankruptcy.any():
            shape = np.broadcast_shapes(np.shape(s_u), np.shape(q), np.shape(e_u), np.shape(margin), np.shape(fee),
                                        at_bankruptcy.shape)
            rows = np.flatnonzero(np.broadcast_to(at_bankruptcy, shape).ravel())
            pick = lambda a: np.broadcast_to(a, shape).ravel()[rows]  # noqa: E731
            margin = np.array(np.broadcast_to(margin, shape), dtype=float)
            fee = np.array(np.broadcast_to(fee, shape), dtype=float)
            f = pick(fee)
            margin.ravel()[rows] -= fee_at_bankruptcy(pick(s_u), pick(q), pick(e_u), pick(margin), f)
            fee.ravel()[rows] = 0.0
    rate = inp.rate("mmr", mmr) + fee
    u = no_answer_to_nan(root(s_u, q, e_u, margin, rate, inp.non_negative("maint_amount", maint_amount)))
    if rules is not None and rules.mm_at_entry.any():
        if rules.mm_at_entry.ndim == 0:
            mm = _maint_at_entry(s_u, q, e_u, margin, mmr, maint_amount, fee, rules.fee_at_bankruptcy)
            u = no_answer_to_nan(e_u + (mm - margin) / (s_u * q))
        else:  # only the rows whose rules value MM at entry
            shape = np.broadcast_shapes(np.shape(u), rules.mm_at_entry.shape)
            rows = np.flatnonzero(np.broadcast_to(rules.mm_at_entry, shape).ravel())
            pick = lambda a: np.broadcast_to(a, shape).ravel()[rows]  # noqa: E731
            rates = _rate_args(mmr, maint_amount)
            sub = [pick(a) for a in (s_u, q, e_u, margin, fee, rules.fee_at_bankruptcy)]
            flat = {k: pick(np.asarray(v, dtype=float)) for k, v in rates.items()}
            mm = _maint_at_entry(*sub[:4], flat.get("mmr", mmr), flat.get("maint_amount", maint_amount), sub[4], sub[5])
            u = np.array(np.broadcast_to(u, shape), copy=True)
            u.ravel()[rows] = no_answer_to_nan(sub[2] + (mm - sub[3]) / (sub[0] * sub[1]))
    return _to_price(u, inverse)


def _solver_mode(rules) -> Any:
    """Per-row mode of the tiered solver (see xlmargin._solver): where MM is valued and the fee charged."""
    bankruptcy = rules.fee_at_bankruptcy.astype(float)
    return np.where(rules.mm_at_entry, 1.0 + bankruptcy, 3.0 * bankruptcy)


def _to_price(u: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """P from u: u itself (linear) or 1/u (inverse)."""
    if inverse.ndim == 0:
        return 1 / u if inverse else u
    return np.where(inverse, 1 / u, u)


def _maint_at_entry(s_u, q, e_u, margin, mmr, maint_amount, fee, charged_at_bankruptcy) -> np.ndarray:
    """Maintenance margin valued at the entry notional (tier of that notional) plus the fee to close.

    The fee is charged on the notional at the bankruptcy price (Bybit) or at entry (BitMEX).
    """
    n_entry = q * e_u
    rate, amount = _rate_and_amount(mmr, maint_amount, n_entry)
    fee_amount = np.where(charged_at_bankruptcy, fee_at_bankruptcy(s_u, q, e_u, margin, fee), fee * n_entry)
    return n_entry * rate - amount + fee_amount


def _position_args(side, size, entry_price, contract):
    return inp.side(side), inp.positive("size", size), inp.positive("entry_price", entry_price), _contract(contract)


# ---------------------------------------------------------------------------
# one position


def notional(size: Any, price: Any, contract: Any = "linear") -> Any:
    """Position value in the settlement asset.

    Parameters
    ----------
    size : float or array
        Position size [base asset] (linear) or position value [quote] (inverse).
    price : float or array
        Price at which the position is valued [quote per base].
    contract : {"linear", "inverse"}
        Contract type; default ``"linear"``.

    Returns
    -------
    float or array
        ``size * price`` [quote] (linear) or ``size / price`` [coin] (inverse).

    Examples
    --------
    W1: 0.2 BTC at 50,000 USDT is 10,000 USDT; W4: 3,000,000 USD of an inverse
    BTCUSD perpetual at 60,000 is 50 BTC.

    >>> notional(0.2, 50_000)
    10000.0
    >>> notional(3_000_000, 60_000, "inverse")
    50.0
    """
    _, wrap = inp.shape_and_wrapper(dict(size=size, price=price, contract=contract))
    q, p, inv = inp.positive("size", size), inp.positive("price", price), _contract(contract)
    return wrap(_notional(q, p, inv))


def unrealized_pnl(side: Any, size: Any, entry_price: Any, mark_price: Any, contract: Any = "linear") -> Any:
    """Unrealized profit (+) or loss (-) at the mark price [settlement asset].

    Linear: ``s * size * (mark - entry)`` [quote]. Inverse:
    ``s * size * (1/entry - 1/mark)`` [coin]. ``s`` is +1 long, -1 short. The
    margin mode does not enter: PnL is the same in isolated and cross mode.

    Examples
    --------
    W1: a 0.2 BTC long from 50,000 at 48,000 loses 400 USDT; a short of
    3,000,000 USD of BTCUSD from 60,000 gains 10 BTC when the price falls to 50,000.

    >>> unrealized_pnl("long", 0.2, 50_000, 48_000)
    -400.0
    >>> round(unrealized_pnl("short", 3_000_000, 60_000, 50_000, "inverse"), 6)
    10.0
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, contract=contract))
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    return wrap(_pnl(s, q, e, inp.positive("mark_price", mark_price), inv))


def initial_margin(size: Any, price: Any, leverage: Any, contract: Any = "linear") -> Any:
    """Initial margin for a leverage: ``notional(size, price) / leverage`` [settlement asset].

    ``price`` is usually the entry price [quote per base]; ``leverage`` [x] > 0.

    Examples
    --------
    W1: 0.2 BTC at 50,000 and 10x needs 1,000 USDT.

    >>> initial_margin(0.2, 50_000, 10)
    1000.0
    """
    _, wrap = inp.shape_and_wrapper(dict(size=size, price=price, leverage=leverage, contract=contract))
    n = _notional(inp.positive("size", size), inp.positive("price", price), _contract(contract))
    return wrap(n / inp.positive("leverage", leverage))


def maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> Any:
    """Maintenance margin at the mark price [settlement asset].

    ``MM = notional(mark) * (mmr + close_fee_rate) - maint_amount``. With a
    tier table as ``mmr``, the rate and amount are those of the tier that holds
    the notional at the mark price.

    Parameters
    ----------
    size : float or array
        [base asset] (linear) or [quote] (inverse).
    mark_price : float or array
        [quote per base].
    mmr : float, array, TierTable or str
        Maintenance margin rate [decimal], or a tier table (or the name of a
        shipped one, see :meth:`TierTable.available`). Default 0.005.
    maint_amount : float or array
        Maintenance amount ("cum") [settlement asset]; 0 with a tier table.
    contract : {"linear", "inverse"}
    close_fee_rate : float or array
        Fee to close counted inside maintenance margin, as a rate of the
        notional [decimal]; 0 under Binance's rules (the default).

    Examples
    --------
    W1: 0.2 BTC at 50,000 with a 0.5 % rate needs 50 USDT; Binance's COIN-M
    example: 100 BTCUSD contracts of 100 USD at 25,000 with 0.4 % need 0.0016 BTC.

    >>> maint_margin(0.2, 50_000)
    50.0
    >>> round(maint_margin(10_000, 25_000, 0.004, 0, "inverse"), 10)
    0.0016
    """
    _, wrap = inp.shape_and_wrapper(
        dict(size=size, mark_price=mark_price, **_rate_args(mmr, maint_amount), contract=contract, close_fee_rate=close_fee_rate)
    )
    n = _notional(inp.positive("size", size), inp.positive("mark_price", mark_price), _contract(contract))
    rate, amount = _rate_and_amount(mmr, maint_amount, n)
    return wrap(n * (rate + inp.rate("close_fee_rate", close_fee_rate)) - amount)


def isolated_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> Any:
    """Isolated-margin liquidation price [quote per base]; NaN where there is none.

    The price ``P`` at which ``margin + uPnL(P) = MM(P)``::

        linear:  P = (margin + cum - s*size*entry) / (size*mmr - s*size)
        inverse: P = size*(mmr + s) / (margin + cum + s*size/entry)

    with ``s`` +1 long, -1 short (``mmr`` includes ``close_fee_rate``). With a
    tier table, ``mmr`` and ``cum`` are those of the tier of the notional *at
    the liquidation price*. A long lies below the entry, a short above, as long
    as the margin exceeds the maintenance margin at entry.

    Parameters
    ----------
    side : str or int
        ``"long"``/``"short"`` or 1/-1.
    size : float or array
        [base asset] (linear) or [quote] (inverse), > 0.
    entry_price : float or array
        [quote per base], > 0.
    margin : float or array
        Margin assigned to the position [settlement asset], >= 0. Include any
        margin added by hand and funding received (or subtract funding paid).
    mmr, maint_amount, contract, close_fee_rate
        As in :func:`maint_margin`.
    rules : str or array of str
        Exchange rule set, or one per row (see :mod:`xlmargin.rules`); default
        ``"binance"``. With ``"bybit"`` or ``"bitmex"`` maintenance margin is
        valued at the entry notional: ``P = E + (MM(E) - margin) / (s*size)``
        (linear), and the same in ``1/P`` for inverse contracts.

    Returns
    -------
    float or array
        NaN where no positive finite price liquidates the position, e.g. a
        linear long whose margin covers its whole notional.

    Examples
    --------
    W2: a 0.1 BTC long at 50,000 with 100 USDT isolated margin; W4: an inverse
    long of 3,000,000 USD at 60,000 with 5 BTC.

    >>> round(isolated_liq_price("long", 0.1, 50_000, 100), 2)
    49246.23
    >>> round(isolated_liq_price("long", 3_000_000, 60_000, 5, 0.005, 0, "inverse"), 2)
    54818.18
    >>> isolated_liq_price("long", 0.1, 50_000, 5_000)  # fully covered: no liquidation
    nan
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, margin=margin, **_rate_args(mmr, maint_amount),
             contract=contract, close_fee_rate=close_fee_rate, rules=rules)
    )
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    m = inp.non_negative("margin", margin)
    fee = inp.rate("close_fee_rate", close_fee_rate)
    return wrap(_liq_price(s, q, e, m, mmr, maint_amount, inv, fee, exchange_rules.flags(rules)))


def bankruptcy_price(
    side: Any, size: Any, entry_price: Any, margin: Any, contract: Any = "linear", close_fee_rate: Any = 0.0
) -> Any:
    """Price at which the position's margin is used up [quote per base].

    Where ``margin + uPnL(P) = close fee at P``: the liquidation formula with a
    zero maintenance rate. NaN where there is none.

    Examples
    --------
    W2: the 0.1 BTC long with 100 USDT goes bankrupt at 49,000.

    >>> bankruptcy_price("long", 0.1, 50_000, 100)
    49000.0
    """
    return isolated_liq_price(side, size, entry_price, margin, 0.0, 0.0, contract, close_fee_rate)


def margin_for_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    liq_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> Any:
    """Isolated margin that puts the liquidation price at ``liq_price`` [settlement asset].

    The inverse of :func:`isolated_liq_price`: ``margin = MM(L) - uPnL(L)``.
    Subtract the current margin to get the amount to add (positive) or that
    could be removed (negative). With a tier table the tier is that of the
    notional at ``liq_price``. A negative result means no margin achieves it.

    Examples
    --------
    W6: moving the 0.1 BTC long's liquidation price to 46,733.67 takes
    about 350 USDT of margin, 100 more than the 250 posted.

    >>> round(margin_for_liq_price("long", 0.1, 50_000, 46_733.668341708544), 6)
    350.0
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, liq_price=liq_price, **_rate_args(mmr, maint_amount),
             contract=contract, close_fee_rate=close_fee_rate)
    )
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    lp = inp.positive("liq_price", liq_price)
    n = _notional(q, lp, inv)
    rate, amount = _rate_and_amount(mmr, maint_amount, n)
    mm = n * (rate + inp.rate("close_fee_rate", close_fee_rate)) - amount
    return wrap(mm - _pnl(s, q, e, lp, inv))


def funding_payment(
    side: Any, size: Any, mark_price: Any, funding_rate: Any, intervals: Any = 1, contract: Any = "linear"
) -> Any:
    """Funding received (+) or paid (-) over ``intervals`` funding periods [settlement asset].

    ``-s * notional(mark) * funding_rate * intervals``: with a positive rate,
    longs pay and shorts receive. In isolated mode it is added to the
    position's margin; in cross mode to the wallet balance.

    Examples
    --------
    W6: 0.01 % every 8 h on a 0.1 BTC long at 50,000 costs 0.5 USDT an interval,
    45 USDT over 90 intervals (30 days).

    >>> round(funding_payment("long", 0.1, 50_000, 0.0001, 90), 9)
    -45.0
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, mark_price=mark_price, funding_rate=funding_rate, intervals=intervals, contract=contract)
    )
    s, q = inp.side(side), inp.positive("size", size)
    n = _notional(q, inp.positive("mark_price", mark_price), _contract(contract))
    return wrap(-s * n * inp.finite("funding_rate", funding_rate) * inp.non_negative("intervals", intervals))


# ---------------------------------------------------------------------------
# cross accounts


class _Accounts:
    """Rows grouped into cross accounts (all rows one account when ``account`` is None)."""

    def __init__(self, account: Any, wallet_balance: Any, n_rows: int, contract: np.ndarray):
        if account is None:
            self.codes = np.zeros(n_rows, dtype=np.intp)
            self.labels = None
        else:
            labels = account.to_numpy() if isinstance(account, pd.Series) else np.asarray(account)
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
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    p = inp.positive("mark_price", mark_price)
    s, q, e, p = (np.broadcast_to(a, (n_rows,)) for a in (s, q, e, p))
    inv = np.broadcast_to(inv, (n_rows,)) if inv.ndim else inv
    accounts = _Accounts(account, wallet_balance, n_rows, inv)
    return s, q, e, p, inv, accounts, wrap


def cross_equity(
    wallet_balance: Any, side: Any, size: Any, entry_price: Any, mark_price: Any, contract: Any = "linear", account: Any = None
) -> Any:
    """Cross-margin equity (margin balance): ``wallet_balance + sum(uPnL)`` [settlement asset].

    Parameters
    ----------
    wallet_balance : float or array
        The account's wallet balance [settlement asset], after realized PnL,
        fees and funding. One value per account; with ``account`` given, a
        column repeating each account's balance on its rows.
    side, size, entry_price, mark_price, contract
        One row per position of the account(s).
    account : array, optional
        Account label of each position. Without it all positions form one
        account and the result is a float; with it, a Series by account.

    Examples
    --------
    W3: 500 USDT backing a BTC long (0.04 from 50,000, now 51,000) and an ETH
    long (0.8 from 2,500, now 2,200): 500 + 40 - 240 = 300 USDT.

    >>> round(cross_equity(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200]), 9)
    300.0
    """
    s, q, e, p, inv, accounts, _ = _cross_rows(wallet_balance, side, size, entry_price, mark_price, contract, account)
    return accounts.per_account(accounts.wallet + accounts.total(_pnl(s, q, e, p, inv)))


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
    """Cross-margin liquidation price of each position, the others held at their mark prices.

    The account is liquidated when ``equity <= sum(MM)``. Holding every other
    position of the account at its mark price, the price of position ``i``
    that reaches it is the isolated liquidation price with the margin::

        wallet_balance + sum over j != i of (uPnL_j - MM_j)

    which is Binance's cross formula (``WB - TMM1 + UPNL1``). Tiers are those
    of the notional at the mark price for the others, at the liquidation price
    for position ``i``. NaN where no positive finite price liquidates. Under
    ``rules`` that value maintenance margin at entry (Bybit, BitMEX), every
    position's is valued at its entry notional.

    With ``symbol`` (a label per position), the positions of one symbol in an
    account move together, as the legs of a hedge (a long and a short of the
    same contract) do: their common price ``P`` solves
    ``others + sum_i s_i*q_i*(P - E_i) = sum_i MM_i(P)``, each leg with the
    tier of its own notional at ``P``. That is Binance's published cross
    formula with its BOTH, LONG and SHORT legs.

    ``collateral`` (linear contracts) is collateral in the position's own base
    asset, after its haircut: ``amount * (1 - haircut)`` [base asset]. It is
    not in ``wallet_balance``: its value moves with the price, so a
    BTC-collateralised BTC long loses through its PnL and its collateral at
    once (the equity gains ``collateral * P`` in the equation above; other
    positions' collateral counts at their mark prices).

    Examples
    --------
    W3: with BTC held at 51,000, the ETH long is liquidated at about 1,846.98.

    >>> lp = cross_liq_price(500, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_500])
    >>> round(float(lp[1]), 2)
    1846.98
    """
    s, q, e, p, inv, accounts, wrap = _cross_rows(
        wallet_balance, side, size, entry_price, mark_price, contract, account,
        dict(close_fee_rate=close_fee_rate, rules=rules, collateral=collateral, **_rate_args(mmr, maint_amount)),
    )
    moving = np.broadcast_to(inp.non_negative("collateral", collateral), s.shape)
    if moving.any():
        if np.any(np.broadcast_to(inv, s.shape) & (moving > 0)):
            raise InputError("collateral", "applies to linear contracts (an inverse contract's margin is the coin already)")
        if symbol is None:
            symbol = np.arange(s.shape[0])  # each position is its own group
    fee = np.broadcast_to(inp.rate("close_fee_rate", close_fee_rate), s.shape)
    flags = exchange_rules.flags(rules)
    n = _notional(q, p, inv)
    rate, amount = _rate_and_amount(mmr, maint_amount, n)
    mm = n * (rate + fee) - amount
    if flags.mm_at_entry.any():
        s_u, e_u = np.where(inv, -s, s), np.where(inv, 1 / e, e)
        own = _maint_at_entry(s_u, q, e_u, 0.0, mmr, maint_amount, fee, np.zeros_like(fee, dtype=bool))
        mm = np.where(flags.mm_at_entry, own, mm)
    spare = _pnl(s, q, e, p, inv) - mm + moving * p  # what each position (and its collateral) adds to the account
    if symbol is not None:
        return wrap(_symbol_liq_price(s, q, e, p, inv, fee, flags, accounts, spare, mmr, maint_amount, symbol, moving))
    others = accounts.wallet[accounts.codes] + (accounts.total(spare)[accounts.codes] - spare)
    return wrap(_liq_price(s, q, e, others, mmr, maint_amount, inv, fee, flags))


def _symbol_liq_price(s, q, e, p, inv, fee, flags, accounts, spare, mmr, maint_amount, symbol, collateral) -> np.ndarray:
    """The common cross liquidation price of the positions of each (account, symbol).

    In u (P or 1/P) every leg's balance is linear: ``s_u*q*(u - e_u)`` against
    ``q*u*rate - cum`` (or a fixed amount where the rules value MM at entry), so
    the group's price is one division; tiers are re-read at that price until
    they no longer change. Collateral in the group's own asset adds its value
    ``collateral * u`` (linear) to the balance.
    """
    labels = symbol.to_numpy() if isinstance(symbol, pd.Series) else np.asarray(symbol)
    labels = np.broadcast_to(labels, s.shape)
    groups, _ = pd.factorize(pd.MultiIndex.from_arrays([accounts.codes, labels]))
    count = int(groups.max()) + 1

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=np.broadcast_to(values, s.shape), minlength=count)

    others = (accounts.wallet + accounts.total(spare))[accounts.codes] - total(spare)[groups]
    s_u, e_u = np.where(inv, -s, s), np.where(inv, 1 / e, e)
    entry_valued = np.broadcast_to(flags.mm_at_entry, s.shape)
    fixed = _maint_at_entry(s_u, q, e_u, 0.0, mmr, maint_amount, fee, np.zeros(s.shape, dtype=bool)) if entry_valued.any() else 0.0
    n = _notional(q, p, inv)  # start from the tiers at the mark price
    tiers = _tiers(mmr, maint_amount)
    for _ in range(2 + (len(tiers) if tiers is not None else 0)):
        rate, amount = _rate_and_amount(mmr, maint_amount, n)
        slope = np.where(entry_valued, 0.0, q * (rate + fee)) - s_u * q - collateral
        level = np.where(entry_valued, -fixed, amount) - s_u * q * e_u
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (others + total(level)[groups]) / total(slope)[groups]
        moved = _notional(q, np.where(inv, 1 / u, u), inv) if tiers is not None else n
        if tiers is None or np.array_equal(tiers.tier_index(moved), tiers.tier_index(n)):
            break
        n = np.where(np.isfinite(moved) & (moved > 0), moved, n)
    u = no_answer_to_nan(u)
    return np.where(inv, 1 / u, u)


def margin_ratio(equity: Any, maint_margin: Any, rules: Any = "binance") -> Any:
    """The margin ratio as the exchange defines it [decimal].

    Binance and most others: ``maint_margin / equity``, rising to 1 (100 %) at
    liquidation; ``inf`` where the equity is zero or negative while maintenance
    margin is owed. OKX (``rules="okx"``): ``equity / maint_margin``, falling to
    1 at liquidation (pass maintenance margin with the fee to close in it);
    ``inf`` where no maintenance margin is owed.

    Examples
    --------
    W5 after the 30 % pump: 69 / 100.

    >>> margin_ratio(100, 69), round(margin_ratio(100, 69, "okx"), 6)
    (0.69, 1.449275)
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin, rules=rules))
    eq = inp.finite("equity", equity)
    mm = inp.non_negative("maint_margin", maint_margin)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(eq > 0, mm / np.where(eq > 0, eq, 1.0), np.where(mm > 0, np.inf, 0.0))
        inverted = np.where(mm > 0, eq / np.where(mm > 0, mm, 1.0), np.inf)
    return wrap(np.where(exchange_rules.flags(rules).ratio_equity_over_mm, inverted, ratio))


def margin_call(equity: Any, maint_margin: Any, threshold: Any = DEFAULT_MARGIN_CALL) -> Any:
    """True where the margin ratio has reached ``threshold`` [decimal, default 0.8].

    A margin call warns before liquidation (ratio 1).

    Examples
    --------
    W2 in cross mode: 1,000 USDT behind 0.1 BTC from 50,000. At 40,300 the
    equity is 30 against 20.15 of maintenance margin (ratio 0.67); at 40,250,
    25 against 20.125 (ratio 0.805): the call, before liquidation at 40,201.

    >>> margin_call(30, 20.15), margin_call(25, 20.125)
    (False, True)
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin, threshold=threshold))
    ratio = np.asarray(margin_ratio(equity, maint_margin), dtype=float)
    return wrap(ratio >= inp.positive("threshold", threshold))


def isolated_account_value(
    free_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> float:
    """What an account of isolated positions is worth at the mark prices [settlement asset].

    ``free_balance`` (what no position holds) plus, for each position,
    ``margin + uPnL`` while it is alive, 0 once ``margin + uPnL <= MM`` (a
    liquidated isolated position loses its margin and nothing more).

    Examples
    --------
    W3 at BTC 51,000 and ETH 2,200: the ETH long is liquidated (-200), the
    account keeps 100 + 200 + 40 = 340 USDT.

    >>> round(isolated_account_value(100, ["long", "long"], [0.04, 0.8], [50_000, 2_500], [51_000, 2_200], [200, 200]), 9)
    340.0
    """
    s, q, e, p, inv, _, _ = _cross_rows(
        0.0, side, size, entry_price, mark_price, contract, None, dict(margin=margin, **_rate_args(mmr, maint_amount))
    )
    m = np.broadcast_to(inp.non_negative("margin", margin), s.shape)
    n = _notional(q, p, inv)
    rate, amount = _rate_and_amount(mmr, maint_amount, n)
    value = m + _pnl(s, q, e, p, inv)
    alive = value > n * rate - amount
    free = inp.finite("free_balance", free_balance)
    if free.size != 1:
        raise InputError("free_balance", "must be a single value (the account's balance no position holds)")
    return float(free.item() + np.where(alive, value, 0.0).sum())


def cross_account_value(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> float:
    """What a cross account is worth at the mark prices [settlement asset].

    Its equity while ``equity > sum(MM)``; 0 once it is liquidated, when every
    position goes and the whole balance with them.

    Examples
    --------
    W3 in cross: alive at ETH 2,200 with 300 USDT; at 1,800 equity would be
    -20 and the whole 500 is gone.

    >>> args = (500, ["long", "long"], [0.04, 0.8], [50_000, 2_500])
    >>> round(cross_account_value(*args, [51_000, 2_200]), 9), cross_account_value(*args, [51_000, 1_800])
    (300.0, 0.0)
    """
    equity = cross_equity(wallet_balance, side, size, entry_price, mark_price, contract)
    mm = cross_maint_margin(size, mark_price, mmr, maint_amount, contract)
    return float(equity) if equity > mm else 0.0


# ---------------------------------------------------------------------------
# sizing and comparing modes


def max_position_size(
    balance: Any, leverage: Any, price: Any, tiers: Any = None, contract: Any = "linear", open_fee_rate: Any = 0.0
) -> Any:
    """Largest position a balance can open at a leverage [base asset, or quote for inverse].

    The initial margin plus the fee to open must fit in the balance:
    ``notional * (1/leverage + open_fee_rate) <= balance``; with a tier table
    the notional is also capped by the highest tier whose ``max_leverage``
    allows ``leverage``. NaN where no tier allows the leverage.

    Examples
    --------
    W1: 1,000 USDT at 10x and 50,000 opens at most 0.2 BTC.

    >>> round(max_position_size(1_000, 10, 50_000), 12)
    0.2
    """
    _, wrap = inp.shape_and_wrapper(dict(balance=balance, leverage=leverage, price=price, contract=contract, open_fee_rate=open_fee_rate))
    bal = inp.non_negative("balance", balance)
    lev = inp.positive("leverage", leverage)
    p = inp.positive("price", price)
    inv = _contract(contract)
    n = bal / (1 / lev + inp.rate("open_fee_rate", open_fee_rate))
    table = _table("tiers", tiers)
    if table is None and tiers is not None:
        raise InputError("tiers", "must be a tier table (a range of tiers, or a shipped table's name), or left empty")
    if table is not None:
        n = np.minimum(n, table.max_notional(lev))
    size = np.where(inv, n * p, n / p) if inv.ndim else (n * p if inv else n / p)
    return wrap(size)


def compare_margin_modes(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
) -> pd.DataFrame:
    """The same positions under isolated and under cross margin, side by side.

    One account: ``wallet_balance`` is all it holds [settlement asset];
    ``margin`` is what each position would have in isolated mode. Columns:

    * ``isolated_liq_price``: each position on its own margin;
    * ``isolated_max_loss``: its margin, the most it can lose;
    * ``cross_liq_price``: the others held at their mark prices;
    * ``cross_max_loss``: the account's current equity, all of which a cross
      liquidation takes.

    Examples
    --------
    W2: 100 USDT isolated vs the whole 1,000 USDT in cross.

    >>> compare_margin_modes(1_000, "long", 0.1, 50_000, 50_000, 100).round(2).to_dict("records")
    [{'isolated_liq_price': 49246.23, 'isolated_max_loss': 100.0, 'cross_liq_price': 40201.01, 'cross_max_loss': 1000.0}]
    """
    iso = np.atleast_1d(isolated_liq_price(side, size, entry_price, margin, mmr, maint_amount, contract))
    cross = np.atleast_1d(cross_liq_price(wallet_balance, side, size, entry_price, mark_price, mmr, maint_amount, contract))
    equity = cross_equity(wallet_balance, side, size, entry_price, mark_price, contract)
    n_rows = cross.shape[0]
    index = next((a.index for a in (side, size, entry_price, mark_price, margin) if isinstance(a, pd.Series)), None)
    return pd.DataFrame(
        {
            "isolated_liq_price": np.broadcast_to(iso, (n_rows,)),
            "isolated_max_loss": np.broadcast_to(inp.non_negative("margin", margin), (n_rows,)),
            "cross_liq_price": cross,
            "cross_max_loss": np.full(n_rows, max(equity, 0.0)),
        },
        index=index,
    )


def collateral_value(amount: Any, price: Any, haircut: Any = 0.0) -> Any:
    """What collateral counts for in a cross account: ``amount * price * (1 - haircut)`` [settlement asset].

    ``haircut`` is one minus the exchange's collateral value ratio [decimal]:
    0.05 counts 95 % of the collateral's value. Add the values of several coins
    to the settlement-asset balance to get the wallet balance that backs the
    positions; collateral in a position's own asset can instead move with its
    price (:func:`cross_liq_price`'s ``collateral``).

    Examples
    --------
    1 BTC at 50,000 with a 5 % haircut backs 47,500 USDT of positions.

    >>> collateral_value(1, 50_000, 0.05)
    47500.0
    """
    _, wrap = inp.shape_and_wrapper(dict(amount=amount, price=price, haircut=haircut))
    value = inp.non_negative("amount", amount) * inp.positive("price", price)
    return wrap(value * (1.0 - inp.rate("haircut", haircut)))


def _tier_used(mmr: Any, maint_amount: Any, notional: float) -> tuple[float, float, str]:
    """The rate, amount and a description of the tier that applies at ``notional``."""
    table = _tiers(mmr, maint_amount)
    if table is None:
        return float(mmr), float(maint_amount), "flat rate"
    t = int(table.tier_index(notional))
    where = f"{t + 1} of {len(table)}: notional {table.notional_floor[t]:,.10g} to {table.notional_cap[t]:,.10g}"
    return float(table.mmr[t]), float(table.maint_amount[t]), where


def explain_liq_price(
    side: Any,
    size: Any,
    entry_price: Any,
    margin: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
) -> pd.DataFrame:
    """An isolated liquidation price laid open for audit: one row per step [a table of item, value, unit].

    The rule set, every input, the tier used (that of the notional at the
    liquidation price, or at entry where the rules value MM at entry), the
    formula with the numbers put in, and the check that margin + uPnL equals
    maintenance margin there. For a cross position, pass as ``margin`` the
    wallet balance plus the other positions' uPnL less their maintenance margin.

    Examples
    --------
    >>> table = explain_liq_price("long", 0.1, 50_000, 100)
    >>> table.set_index("item").loc["formula", "value"]
    'P = (margin + cum - s*q*E) / (q*(mmr + fee) - s*q) = (100 + 0 - 1*0.1*50000) / (0.1*(0.005 + 0) - 1*0.1)'
    >>> round(table.set_index("item").loc["liq_price", "value"], 2)
    49246.23
    """
    lp = isolated_liq_price(side, size, entry_price, margin, mmr, maint_amount, contract, close_fee_rate, rules)
    if not isinstance(lp, float):
        raise InputError("arguments", "must be single values: one position is explained at a time")
    s, q, e = float(inp.side(side)), float(size), float(entry_price)
    m, fee, inverse = float(margin), float(close_fee_rate), bool(_contract(contract))
    rule = exchange_rules.RULES[str(rules).strip().lower()]
    at_entry = rule.mm_at_entry
    unit = "coin" if inverse else "quote"
    where = e if at_entry or lp != lp else lp
    n = float(_notional(q, where, np.asarray(inverse)))
    rate, cum, tier = _tier_used(mmr, maint_amount, n)
    g = lambda x: f"{x:.10g}"  # noqa: E731
    if at_entry:
        text = ("P = E + (MM(E) - margin) / (s*q)" if not inverse else "1/P = 1/E + (margin - MM(E)) / (s*q)") + (
            f", MM(E) = {g(n)}*{g(rate)} - {g(cum)} + fee to close")
    elif inverse:
        text = (f"P = q*(mmr + fee + s) / (margin + cum + s*q/E) = {g(q)}*({g(rate)} + {g(fee)} + {g(s)}) / "
                f"({g(m)} + {g(cum)} + {g(s)}*{g(q)}/{g(e)})")
    else:
        text = (f"P = (margin + cum - s*q*E) / (q*(mmr + fee) - s*q) = ({g(m)} + {g(cum)} - {g(s)}*{g(q)}*{g(e)}) / "
                f"({g(q)}*({g(rate)} + {g(fee)}) - {g(s)}*{g(q)})")
    rows = [
        ("rules", rule.title, ""),
        ("contract", "inverse" if inverse else "linear", ""),
        ("side", f"{'long' if s > 0 else 'short'} (s = {s:+g})", ""),
        ("size", q, "USD" if inverse else "base asset"),
        ("entry_price", e, "quote per base"),
        ("margin", m, unit),
        ("tier", tier + (" (at entry)" if at_entry else " (at the liquidation price)") if tier != "flat rate" else tier, ""),
        ("mmr", rate, "decimal"),
        ("maint_amount", cum, unit),
        ("close_fee_rate", fee, "decimal"),
        ("formula", text, ""),
    ]
    if lp == lp:
        pnl = float(_pnl(s, q, e, lp, np.asarray(inverse)))
        mm = float(maint_margin(q, where, rate, cum, contract, fee))
        rows += [
            ("notional at liq_price", float(_notional(q, lp, np.asarray(inverse))), unit),
            ("unrealized_pnl at liq_price", pnl, unit),
            ("maint_margin" + (" (at entry)" if at_entry else " at liq_price"), mm, unit),
            ("margin + uPnL - MM", m + pnl - mm, unit + " (0 without a fee at the bankruptcy price)"),
        ]
    rows.append(("liq_price", lp, "quote per base; NaN: no liquidation price"))
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


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
    """A cross liquidation price laid open: the other positions' part, then the isolated steps.

    For position number ``position`` (counting from 1) of one account: the
    wallet balance, the other positions' uPnL and maintenance margin at their
    marks (Binance's UPNL1 and TMM1), the margin they leave behind the
    position, and then :func:`explain_liq_price` with that margin.

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
    mm = np.where(at_entry, np.atleast_1d(maint_margin(size, entry_price, mmr, maint_amount, contract, close_fee_rate)),
                  np.atleast_1d(maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate)))
    others = np.arange(n) != k - 1
    upnl1, tmm1 = float(np.broadcast_to(pnl, (n,))[others].sum()), float(np.broadcast_to(mm, (n,))[others].sum())
    behind = float(inp.finite("wallet_balance", wallet_balance)) + upnl1 - tmm1
    head = pd.DataFrame(
        [
            ("position", k, f"of {n} in the account"),
            ("wallet_balance", float(wallet_balance), "settlement asset"),
            ("other positions' uPnL (UPNL1)", upnl1, "at their mark prices"),
            ("other positions' MM (TMM1)", tmm1, "at their mark prices" + (" (entry where the rules say)" if at_entry.any() else "")),
            ("margin behind the position", behind, "wallet + UPNL1 - TMM1"),
        ],
        columns=["item", "value", "unit"],
    )
    if behind < 0:  # the others' losses exceed the wallet: no isolated steps to show
        tail = pd.DataFrame([("liq_price", float(lp[k - 1]), "the others' losses already exceed the wallet")], columns=head.columns)
    else:
        table = _table("mmr", mmr)
        steps = explain_liq_price(one(side), one(size), one(entry_price), behind, table if table is not None else float(one(mmr)),
                                  0.0 if table is not None else float(one(maint_amount)), one(contract), float(one(close_fee_rate)),
                                  one(rules))
        tail = steps[steps["item"] != "margin"]
    return pd.concat([head, tail], ignore_index=True)


def explain_maint_margin(
    size: Any,
    mark_price: Any,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    close_fee_rate: Any = 0.0,
) -> pd.DataFrame:
    """A maintenance margin laid open: notional, tier, rate, amount, fee and the formula with numbers.

    Examples
    --------
    >>> table = explain_maint_margin(10, 51_000, "binance_usdm_btcusdt").set_index("item")["value"]
    >>> table["formula"], table["maint_margin"]
    ('MM = notional*(mmr + fee) - maint_amount = 510000*(0.005 + 0) - 50', 2500.0)
    """
    mm = maint_margin(size, mark_price, mmr, maint_amount, contract, close_fee_rate)
    if not isinstance(mm, float):
        raise InputError("arguments", "must be single values: one position is explained at a time")
    inverse = bool(_contract(contract))
    n = float(_notional(float(size), float(mark_price), np.asarray(inverse)))
    rate, cum, tier = _tier_used(mmr, maint_amount, n)
    unit = "coin" if inverse else "quote"
    fee = float(close_fee_rate)
    rows = [
        ("contract", "inverse" if inverse else "linear", ""),
        ("size", float(size), "USD" if inverse else "base asset"),
        ("mark_price", float(mark_price), "quote per base"),
        ("notional", n, unit + (" (size / price)" if inverse else " (size x price)")),
        ("tier", tier, ""),
        ("mmr", rate, "decimal"),
        ("maint_amount", cum, unit),
        ("close_fee_rate", fee, "decimal"),
        ("formula", f"MM = notional*(mmr + fee) - maint_amount = {n:.10g}*({rate:.10g} + {fee:.10g}) - {cum:.10g}", ""),
        ("maint_margin", mm, unit),
    ]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def distance_to_liq(mark_price: Any, liq_price: Any) -> Any:
    """How far the mark price must move to reach the liquidation price [decimal, -0.1 is a 10 % fall].

    ``liq_price / mark_price - 1``: negative for a long (the price must fall),
    positive for a short. Exchange-independent, unlike margin ratios. NaN where
    there is no liquidation price.

    Examples
    --------
    W2: from 50,000 the isolated long is liquidated after a 1.5 % fall, the cross one after 19.6 %.

    >>> round(distance_to_liq(50_000, 49_246.231155778894), 6), round(distance_to_liq(50_000, 40_201.005025125625), 6)
    (-0.015075, -0.19598)
    """
    _, wrap = inp.shape_and_wrapper(dict(mark_price=mark_price, liq_price=liq_price))
    p = inp.positive("mark_price", mark_price)
    lp = inp.as_float("liq_price", liq_price)
    if (lp <= 0).any():
        raise InputError("liq_price", "must be a price > 0, or NaN for none")
    return wrap(lp / p - 1.0)


def margin_buffer(equity: Any, maint_margin: Any) -> Any:
    """What can still be lost before liquidation: ``equity - maint_margin`` [settlement asset].

    Exchange-independent: the same amount whichever way round an exchange
    writes its margin ratio. Negative once the position or account is past
    liquidation.

    Examples
    --------
    W5 after the 30 % pump: 100 of equity against 69 of maintenance margin leaves 31 USDT.

    >>> margin_buffer(100, 69)
    31.0
    """
    _, wrap = inp.shape_and_wrapper(dict(equity=equity, maint_margin=maint_margin))
    return wrap(inp.finite("equity", equity) - inp.finite("maint_margin", maint_margin))


# ---------------------------------------------------------------------------
# the trader's calculator


def return_on_equity(
    side: Any, size: Any, entry_price: Any, exit_price: Any, leverage: Any, contract: Any = "linear"
) -> Any:
    """Return on equity of a trade: PnL over the initial margin [decimal, 0.5 is 50 %].

    ``uPnL(exit) / (notional(entry) / leverage)``; for a linear contract that is
    ``s * (exit/entry - 1) * leverage``, for an inverse one ``s * (1 - entry/exit) * leverage``.

    Examples
    --------
    A 10x long from 50,000 sold at 55,000 returns 100 % on its margin; an
    inverse one 90.9 % (its PnL is in coin, worth less per coin at the higher price).

    >>> round(return_on_equity("long", 0.2, 50_000, 55_000, 10), 12)
    1.0
    >>> round(return_on_equity("long", 10_000, 50_000, 55_000, 10, "inverse"), 6)
    0.909091
    """
    _, wrap = inp.shape_and_wrapper(
        dict(side=side, size=size, entry_price=entry_price, exit_price=exit_price, leverage=leverage, contract=contract)
    )
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    pnl = _pnl(s, q, e, inp.positive("exit_price", exit_price), inv)
    return wrap(pnl / (_notional(q, e, inv) / inp.positive("leverage", leverage)))


def exit_price_for_roe(side: Any, entry_price: Any, leverage: Any, roe: Any, contract: Any = "linear") -> Any:
    """Exit price that gives a wanted return on equity [quote per base]; NaN where none can.

    Linear: ``entry * (1 + s * roe / leverage)``; inverse:
    ``entry / (1 - s * roe / leverage)``. ``roe`` is a decimal (-0.5 is a 50 % loss).

    Examples
    --------
    A 10x long from 50,000 doubles its margin at 55,000; an inverse one needs
    55,555.56. A 10x inverse long cannot make 1,000 %.

    >>> round(exit_price_for_roe("long", 50_000, 10, 1.0), 6)
    55000.0
    >>> round(exit_price_for_roe("long", 50_000, 10, 1.0, "inverse"), 2)
    55555.56
    >>> exit_price_for_roe("long", 50_000, 10, 10.0, "inverse")
    nan
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, entry_price=entry_price, leverage=leverage, roe=roe, contract=contract))
    s, e, inv = inp.side(side), inp.positive("entry_price", entry_price), _contract(contract)
    move = s * inp.finite("roe", roe) / inp.positive("leverage", leverage)
    with np.errstate(divide="ignore"):
        price = np.where(inv, e / (1 - move), e * (1 + move))
    return wrap(no_answer_to_nan(price))


def exit_price_for_pnl(side: Any, size: Any, entry_price: Any, pnl: Any, contract: Any = "linear") -> Any:
    """Exit price that realizes a wanted PnL [quote per base]; NaN where none can.

    Linear: ``entry + pnl / (s * size)``; inverse: ``1 / (1/entry - pnl / (s * size))``
    (``pnl`` in coin). A loss is a negative ``pnl``.

    Examples
    --------
    W1's 0.2 BTC long makes 1,000 USDT at 55,000 and loses 400 at 48,000.

    >>> exit_price_for_pnl("long", 0.2, 50_000, 1_000), exit_price_for_pnl("long", 0.2, 50_000, -400)
    (55000.0, 48000.0)
    """
    _, wrap = inp.shape_and_wrapper(dict(side=side, size=size, entry_price=entry_price, pnl=pnl, contract=contract))
    s, q, e, inv = _position_args(side, size, entry_price, contract)
    target = inp.finite("pnl", pnl)
    with np.errstate(divide="ignore"):
        price = np.where(inv, 1 / (1 / e - target / (s * q)), e + target / (s * q))
    return wrap(no_answer_to_nan(price))


def average_entry_price(size: Any, price: Any, contract: Any = "linear") -> float:
    """Average entry price of several fills of one position [quote per base].

    Linear: size-weighted, ``sum(size * price) / sum(size)``. Inverse (sizes in
    USD): harmonic, ``sum(size) / sum(size / price)``, so that the position's PnL
    is that of the fills together.

    Examples
    --------
    0.1 BTC at 50,000 and 0.1 at 40,000 average 45,000 on a linear contract;
    5,000 USD at each price average 44,444.44 on an inverse one.

    >>> average_entry_price([0.1, 0.1], [50_000, 40_000])
    45000.0
    >>> round(average_entry_price([5_000, 5_000], [50_000, 40_000], "inverse"), 2)
    44444.44
    """
    inp.shape_and_wrapper(dict(size=size, price=price, contract=contract))
    q, p = inp.positive("size", size), inp.positive("price", price)
    q, p = np.broadcast_arrays(q, p)
    inv = _contract(contract)
    if inv.ndim and len(set(np.broadcast_to(inv, q.shape).ravel().tolist())) > 1:
        raise InputError("contract", "must be the same for every fill of a position")
    inverse = bool(np.ravel(inv)[0])
    return float(q.sum() / (q / p).sum()) if inverse else float((q * p).sum() / q.sum())
