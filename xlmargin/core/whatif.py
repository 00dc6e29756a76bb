"""What-if: hypothetical trades applied to a book of accounts, its positions and margins before and after."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .cross import _Accounts
from .formulas import DEFAULT_MMR
from .tables import Table, returns_frame
from .tiers import TierTable
from .whatif_book import Book, Market, account_states, apply_trades, can_open, room

MODES = ("cross", "isolated")


def one_word(name: str, value: Any) -> Any:
    """A choice argument that must be one value (a single cell), as that value."""
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value, dtype=object)
    if arr.size != 1:
        raise InputError(name, "must be one value, not a range")
    return arr.reshape(-1)[0]


def parse_margin_mode(value: Any) -> str:
    """``"cross"`` or ``"isolated"``, in any case; anything else is an :class:`InputError`."""
    word = str(one_word("margin_mode", value)).strip().lower()
    if word not in MODES:
        raise InputError("margin_mode", "must be cross or isolated")
    return word


def isolated_rows(value: Any, n: int) -> np.ndarray:
    """Per row, True where ``margin_mode`` (one word, or one per row) says isolated; a bad word names its row."""
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value, dtype=object)
    if arr.ndim == 0:
        return np.full(n, parse_margin_mode(arr.item()) == "isolated")
    words = [str(v).strip().lower() for v in np.broadcast_to(arr, (n,))]
    bad = [w not in MODES for w in words]
    if any(bad):
        raise InputError("margin_mode", "must be cross or isolated", bad.index(True) + 1)
    return np.array([w == "isolated" for w in words])


def one_value(name: str, checked: np.ndarray) -> float:
    """A checked argument that must be one value (a single cell), as a float."""
    if checked.size != 1:
        raise InputError(name, "must be one value, not a range")
    return float(checked.reshape(-1)[0])


def _column(value: np.ndarray, n: int) -> np.ndarray:
    """A checked argument as one value per row (read only: the caller's own array where it is one already)."""
    return value if value.shape == (n,) else np.full(n, value, dtype=value.dtype)


def _rows(n: int, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    return {k: _column(v, n) for k, v in arrays.items()}


@returns_frame
def what_if(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    trade_side: Any,
    trade_size: Any,
    trade_price: Any,
    leverage: Any,
    margin: Any = 0.0,
    margin_mode: Any = "cross",
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    trade_fee_rate: Any = 0.0,
    close_fee_rate: Any = 0.0,
    rules: Any = "binance",
    account: Any = None,
) -> Table:
    """Hypothetical trades on a book of accounts: each position and its account before and after [table of prices and amounts].

    Parameters
    ----------
    wallet_balance : float, array or Series
        The balance of the position's account that no isolated position holds
        [settlement asset]; any finite number: a cross account's balance after
        realized PnL, fees and funding, before unrealized PnL; an isolated
        account's free balance; for an account with both, the cross wallet
        (the wallet less the isolated positions' margins). One value per
        account: with ``account``, a column repeating it on the account's rows.
    side : str or int, array or Series
        Long (profits when the price rises) or short: ``"long"``/``"short"``
        in any case, or 1/-1; no unit. Any of them on a row with no position.
    size : float, array or Series
        Position size now: quantity of the base asset (linear) [base asset], or
        position value in quote currency, contracts x contract size (inverse)
        [quote]; >= 0 (0: no position yet, a trade opens one).
    entry_price : float, array or Series
        Average price at which the position was opened [quote per base]; > 0
        (any price on a row with no position).
    mark_price : float, array or Series
        The exchange's fair price, used for PnL, maintenance margin and
        liquidation [quote per base]; > 0.
    trade_side : str or int, array or Series
        The trade's direction: ``"long"`` buys, ``"short"`` sells (or 1/-1); no unit.
    trade_size : float, array or Series
        The trade's size, in the units of ``size`` [base asset] (linear) or
        [quote] (inverse); >= 0 (0: no trade on that position).
    trade_price : float, array or Series
        The price the trade fills at [quote per base]; > 0.
    leverage : float, array or Series
        Leverage of each position, notional / initial margin [x]; > 0.
    margin : float, array or Series
        Margin assigned to the isolated position, including margin added by
        hand and funding received (less funding paid) [settlement asset]; >= 0.
        Isolated rows with a position only. Default 0.
    margin_mode : {"cross", "isolated"}, or an array or Series of them
        How each position is margined, in any case: one word for every row, or
        one per row (isolated and cross positions side by side); no unit.
        Default ``"cross"``.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name, whose tier of the notional gives the
        rate and amount, and whose max leverage caps each position. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0; leave it
        at 0 with a tier table.
    contract : {"linear", "inverse"}, or an array or Series of them
        ``"linear"`` (the default) or ``"inverse"``, the same for every
        position of an account; no unit.
    trade_fee_rate : float, array or Series
        The fee each trade pays, as a rate of its notional at ``trade_price``
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set (``"binance"``, the default, ``"bybit"``, ...),
        one for all rows or one per row; no unit.
    account : label, array or Series of labels, optional
        The account of each position (a single label: one account); no unit.
        Default None: all rows are one account.

    Returns
    -------
    table : DataFrame
        One row per position: ``account`` (with ``account`` given; no unit),
        ``side_after`` (``"long"``, ``"short"`` or ``""`` when flat; no unit),
        ``size_after``, ``entry_price_after`` [quote per base],
        ``margin_after`` (the isolated margin after the trade, 0 in cross)
        [settlement asset], ``realized_pnl`` and ``fee`` of the trade,
        ``initial_margin`` the trade needs for what it opens [settlement asset],
        ``can_open`` (True when that initial margin and the fee fit in the
        account's available balance before the trades, and the position after
        stays within the cap of a tier allowing its leverage; no unit),
        ``liq_price_before`` and ``liq_price_after`` [quote per base],
        ``max_size_after`` (the largest size still addable at the position's
        leverage, by its account's available balance and the tier cap), then
        its account's ``wallet_balance`` (what no isolated position holds),
        ``equity``, ``maint_margin``, ``margin_ratio`` and ``available``
        balance, ``_before`` and ``_after`` [settlement asset; ratio decimal],
        repeated on the account's rows. A liquidation price is NaN where there
        is no position or no positive, finite price liquidates it.

    Raises
    ------
    InputError
        If an argument is outside the values given above, or the arguments do
        not broadcast to one column; the message names the argument and, for
        arrays, the first bad row counting from 1. Also if ``margin_mode`` is
        not cross or isolated, ``account`` has not one label per position, or
        ``wallet_balance`` or ``contract`` differ between the rows of one
        account.

    Notes
    -----
    Each trade changes its own row's position (one-way mode); a row with
    ``size`` 0 opens a new position in its account and mode. Adding moves the
    entry to :func:`average_entry_price` of position and fill; reducing
    realizes ``uPnL(trade_price)`` of the part closed into the account's
    balance, keeps the entry and (isolated) releases the same share of the
    margin; a trade larger than the position closes it and opens the rest on
    the other side. An isolated trade takes its initial margin ``notional /
    leverage`` from its account's balance into the position: in an account
    with cross positions too, that balance is the cross positions' wallet.

    An isolated position's liquidation price is :func:`isolated_liq_price` on
    its margin; a cross position's is :func:`cross_liq_price` on its account's
    balance with the account's other cross positions at their marks. Account
    equity: balance + cross uPnL + the isolated positions' margin and uPnL;
    maintenance margin: the sum over its positions; margin ratio
    (:func:`margin_ratio`) of the two under the rule set of the account's first
    row; available: balance + cross uPnL - the cross positions' ``notional at
    mark / leverage`` (Binance), for an isolated account its free balance.
    Each trade's ``can_open`` is judged alone against its account before all
    trades; the trades of an account fit together where ``available_after >=
    0``. Accounts are independent: a trade changes its own account only.

    References
    ----------
    .. [1] Bybit help centre, "Increase / decrease position margin" (adding a
       fill averages the entry; a partial close releases margin in proportion).
    .. [2] Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "How to Calculate
       Liquidation Price of USDⓈ-M Futures Contracts".
    .. [3] docs/formulas.md, "What-if".

    Examples
    --------
    W2 in cross mode: adding 0.1 BTC at 50,000 to the long moves its liquidation
    price from 40,201.01 up to 45,226.13 (the 1,000 USDT now back 0.2 BTC).

    >>> t = what_if(1_000, "long", 0.1, 50_000, 50_000, "long", 0.1, 50_000, 50)
    >>> t[["liq_price_before", "liq_price_after", "size_after"]].round(2).to_dict("records")
    [{'liq_price_before': 40201.01, 'liq_price_after': 45226.13, 'size_after': 0.2}]

    A book: account ``a`` holds W2's long isolated (100 USDT margin, 900
    free); account ``b`` is W3 in cross at BTC 51,000 and ETH 2,200. Closing
    the ETH long realizes -240 into ``b``'s wallet and moves its BTC long's
    liquidation price from 43,939.70 to 43,718.59; ``a`` is untouched.

    >>> t = what_if([900, 500, 500], "long", [0.1, 0.04, 0.8], [50_000, 50_000, 2_500], [50_000, 51_000, 2_200],
    ...             ["long", "long", "short"], [0, 0, 0.8], [50_000, 51_000, 2_200], [50, 10, 10], [100, 0, 0],
    ...             ["isolated", "cross", "cross"], account=["a", "b", "b"])
    >>> t[["account", "liq_price_before", "liq_price_after"]].round(2).to_dict("list")
    {'account': ['a', 'b', 'b'], 'liq_price_before': [49246.23, 43939.7, 1846.98], 'liq_price_after': [49246.23, 43718.59, nan]}
    >>> t["wallet_balance_after"].tolist()
    [900.0, 260.0, 260.0]
    """
    tiers = fm.tiers_of(mmr, maint_amount)  # a tier table (its amounts are its own) or a size-scaled schedule, or None
    args = dict(wallet_balance=wallet_balance, side=side, size=size, entry_price=entry_price, mark_price=mark_price,
                trade_side=trade_side, trade_size=trade_size, trade_price=trade_price, leverage=leverage, margin=margin,
                margin_mode=margin_mode, contract=contract, trade_fee_rate=trade_fee_rate, close_fee_rate=close_fee_rate,
                rules=rules, **({} if tiers is not None else {"mmr": mmr, "maint_amount": maint_amount}),
                **({} if account is None else {"account": account}))
    shape, _ = inp.shape_and_wrapper(args)
    if len(shape) > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
    n = shape[0] if shape else 1
    isolated = isolated_rows(margin_mode, n)
    inv = _column(inp.is_inverse(contract), n)
    accounts = _Accounts(account, wallet_balance, n, inv)  # one balance and one contract per account
    a = _rows(n, s=inp.side(side), q=inp.non_negative("size", size), e=inp.positive("entry_price", entry_price),
              p=inp.positive("mark_price", mark_price), t_s=inp.side(trade_side), t_q=inp.non_negative("trade_size", trade_size),
              t_p=inp.positive("trade_price", trade_price), lev=inp.positive("leverage", leverage),
              m=inp.non_negative("margin", margin), fee=inp.rate("trade_fee_rate", trade_fee_rate),
              close_fee=inp.rate("close_fee_rate", close_fee_rate))
    mk = _market(a, inv, isolated, accounts, tiers, mmr, maint_amount, rules)
    book = Book(accounts.wallet, a["s"], a["q"], a["e"], np.where(isolated & (a["q"] > 0), a["m"], 0.0))
    after, trade = apply_trades(book, a["t_s"], a["t_q"], a["t_p"], a["lev"], a["fee"], mk)
    return _table(book, after, trade, mk, a, tiers if isinstance(tiers, TierTable) else None, accounts.labels)


def _market(a: dict, inv: np.ndarray, isolated: np.ndarray, accounts: _Accounts, table: Any, mmr: Any, maint_amount: Any,
            rules: Any) -> Market:
    """The checked rates, rules and accounts of every row (``table``: the tier table or schedule ``mmr`` names, or None)."""
    n = inv.shape[0]
    if table is None:
        mmr, maint_amount = _column(inp.rate("mmr", mmr), n), _column(inp.non_negative("maint_amount", maint_amount), n)
    else:
        mmr, maint_amount = table, 0.0
    flags = exchange_rules.flags(rules)  # unknown names are an error
    names = rules.to_numpy() if isinstance(rules, pd.Series) else rules
    if np.ndim(names):
        names = np.broadcast_to(np.asarray(names, dtype=object), (n,))
    first = np.empty(accounts.count, dtype=np.intp)
    first[accounts.codes[::-1]] = np.arange(n)[::-1]  # the first row of each account wins
    return Market(a["p"], inv, a["lev"], mmr, maint_amount, a["close_fee"], names, _column(flags.mm_at_entry, n),
                  isolated, accounts.codes, accounts.count, first)


def _table(book: Book, after: Book, trade: dict, mk: Market, a: dict, table: TierTable | None, labels: Any) -> Table:
    before_state, after_state = account_states(book, after, mk)
    columns = {} if labels is None else {"account": np.asarray(labels, dtype=object)[mk.codes]}
    columns.update({
        "side_after": np.where(after.q > 0, np.where(after.s > 0, "long", "short"), ""), "size_after": after.q,
        "entry_price_after": np.where(after.q > 0, after.e, np.nan), "margin_after": after.m,
        "realized_pnl": trade["realized_pnl"], "fee": trade["fee"], "initial_margin": trade["initial_margin"],
        "can_open": can_open(trade, after, before_state["available"], mk, a["t_p"], table),
        "liq_price_before": before_state["liq_price"], "liq_price_after": after_state["liq_price"],
        "max_size_after": room(after_state["available"], after, mk, a["fee"], table),
    })
    for key in ("wallet_balance", "equity", "maint_margin", "margin_ratio", "available"):
        columns[f"{key}_before"] = before_state[key][mk.codes]
        columns[f"{key}_after"] = after_state[key][mk.codes]
    return Table(columns)


__all__ = ["what_if", "isolated_rows", "parse_margin_mode", "one_value", "one_word"]
