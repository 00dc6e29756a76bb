"""What-if: hypothetical trades applied to one account, its positions and margins before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from . import rules as exchange_rules
from .accounts import margin_ratio
from .calculator import average_entry_price
from .cross import cross_liq_price
from .formulas import DEFAULT_MMR
from .liquidation import isolated_liq_price
from .sizing import max_position_size
from .tiers import TierTable

MODES = ("cross", "isolated")


@dataclass(frozen=True)
class Book:
    """One account's positions as signed arrays: ``s`` +1/-1, ``q`` >= 0 (0: no position), ``m`` isolated margins."""

    balance: float  # cross: the wallet balance; isolated: the free balance
    s: np.ndarray
    q: np.ndarray
    e: np.ndarray
    m: np.ndarray


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


def one_value(name: str, checked: np.ndarray) -> float:
    """A checked argument that must be one value (a single cell), as a float."""
    if checked.size != 1:
        raise InputError(name, "must be one value, not a range")
    return float(checked.reshape(-1)[0])


def _rows(n: int, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.broadcast_to(v, (n,)).astype(np.float64) for k, v in arrays.items()}


def apply_trades(book: Book, t_s, t_q, t_p, inv, lev, fee, cross: bool) -> tuple[Book, dict[str, np.ndarray]]:
    """The account after trades ``t_s * t_q`` at ``t_p``, one per position (0 for none), and what each trade did.

    A trade in the position's direction (or on no position) opens or adds: the
    entry becomes the average of the position and the fill; an isolated
    position's margin grows by the fill's initial margin. One against it
    reduces or closes, realizing ``uPnL(t_p)`` of the part closed into the
    balance and (isolated) releasing that share of the margin; what exceeds
    the position opens the other side. The fee ``fee * notional(t_q, t_p)``
    comes from the balance.
    """
    s, q, e, m = book.s, book.q, book.e, book.m
    same = (q == 0) | (t_s == s)
    closed = np.where(same, 0.0, np.minimum(t_q, q))
    opened = t_q - closed
    realized = fm.pnl(s, closed, e, t_p, inv)
    fees = fee * fm.notional(t_q, t_p, inv)
    im_open = fm.notional(opened, t_p, inv) / lev
    q_after = np.where(same, q + t_q, np.abs(q - t_q))
    s_after = np.where(same, np.where(q > 0, s, t_s), np.where(t_q <= q, s, t_s))
    e_after = np.where((same & (q == 0)) | (~same & (t_q > q)), t_p, e)
    adds = same & (q > 0) & (t_q > 0)
    if adds.any():  # the average of the position and the fill, by the one formula
        rows = np.flatnonzero(adds)
        average = average_entry_price(np.concatenate([q[rows], t_q[rows]]), np.concatenate([e[rows], t_p[rows]]),
                                      "inverse" if np.any(inv) else "linear", np.concatenate([rows, rows]))
        e_after[rows] = average.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.where(q > 0, 1.0 - closed / np.where(q > 0, q, 1.0), 0.0)
    released = m * (1.0 - kept)
    m_after = m * kept + (0.0 if cross else im_open)
    balance_after = book.balance + realized.sum() - fees.sum() + (0.0 if cross else released.sum() - im_open.sum())
    after = Book(float(balance_after), s_after, q_after, e_after, np.where(q_after > 0, m_after, 0.0))
    return after, {"realized_pnl": realized, "fee": fees, "initial_margin": im_open, "opened": opened}


@dataclass(frozen=True)
class Market:
    """What the state of an account is valued with: mark prices, rates and rules."""

    p: np.ndarray
    inv: np.ndarray
    lev: np.ndarray
    mmr: Any
    maint_amount: Any
    close_fee: np.ndarray
    rules: Any
    cross: bool


def account_state(book: Book, mk: Market) -> dict[str, Any]:
    """Liquidation prices, equity, maintenance margin, margin ratio and available balance of an account."""
    open_ = book.q > 0
    liq = np.full(book.q.shape, np.nan)
    mm = np.zeros(book.q.shape)
    upnl = np.zeros(book.q.shape)
    if open_.any():
        i = np.flatnonzero(open_)
        s, q, e, p, m = book.s[i], book.q[i], book.e[i], mk.p[i], book.m[i]
        contract = np.where(mk.inv[i], "inverse", "linear")
        rules = np.broadcast_to(np.asarray(mk.rules, dtype=object), book.q.shape)[i]
        rates = {} if fm.tier_table("mmr", mk.mmr) is not None else {
            "mmr": np.broadcast_to(mk.mmr, book.q.shape)[i], "maint_amount": np.broadcast_to(mk.maint_amount, book.q.shape)[i]}
        mmr, amount = rates.get("mmr", mk.mmr), rates.get("maint_amount", 0.0)
        if mk.cross:
            liq[i] = cross_liq_price(book.balance, s, q, e, p, mmr, amount, contract, mk.close_fee[i], rules=rules)
        else:
            liq[i] = isolated_liq_price(s, q, e, m, mmr, amount, contract, mk.close_fee[i], rules)
        at_entry = exchange_rules.flags(rules).mm_at_entry
        mm[i] = np.where(at_entry, fm.maint_margin_at(q, e, mk.inv[i], mmr, amount, mk.close_fee[i]),
                         fm.maint_margin_at(q, p, mk.inv[i], mmr, amount, mk.close_fee[i]))
        upnl[i] = fm.pnl(s, q, e, p, mk.inv[i])
    im = np.where(open_, fm.notional(book.q, mk.p, mk.inv) / mk.lev, 0.0)
    if mk.cross:
        equity = book.balance + upnl.sum()
        available = equity - im.sum()
    else:
        equity = book.balance + (book.m + upnl)[open_].sum()
        available = book.balance
    first_rules = np.broadcast_to(np.asarray(mk.rules, dtype=object), book.q.shape).ravel()
    ratio = margin_ratio(equity, max(mm.sum(), 0.0), first_rules[0] if first_rules.size else "binance")
    return {"liq_price": liq, "wallet_balance": book.balance, "equity": equity, "maint_margin": mm.sum(), "margin_ratio": ratio, "available": available}


def _room(available: float, book: Book, mk: Market, fee: np.ndarray, table: TierTable | None) -> np.ndarray:
    """Largest further size each position can add at its leverage: by the available balance, then the tier cap."""
    contract = np.where(mk.inv, "inverse", "linear")
    size = np.asarray(max_position_size(max(available, 0.0), mk.lev, mk.p, None, contract, fee), dtype=float)
    if table is not None:
        left = np.maximum(table.max_notional(mk.lev) - fm.notional(book.q, mk.p, mk.inv), 0.0)
        size = np.minimum(size, np.where(mk.inv, left * mk.p, left / mk.p))
    return size


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
) -> pd.DataFrame:
    """Hypothetical trades on an account: each position and the account before and after [table of prices and amounts].

    Parameters
    ----------
    wallet_balance : float
        Cross: the account's balance after realized PnL, fees and funding,
        before unrealized PnL; isolated: the free balance, held by no position
        [settlement asset]; any finite number.
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
        Isolated mode only. Default 0.
    margin_mode : {"cross", "isolated"}
        How the account's positions are margined; no unit. Default ``"cross"``.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate [decimal: 0.005 is 0.5 %], in [0, 1); or a tier
        table, or a shipped table's name, whose tier of the notional gives the
        rate and amount, and whose max leverage caps each position. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount ("cum") [settlement asset]; >= 0. Default 0; leave it
        at 0 with a tier table.
    contract : {"linear", "inverse"}
        ``"linear"`` (the default) or ``"inverse"`` for the whole account; no unit.
    trade_fee_rate : float, array or Series
        The fee each trade pays, as a rate of its notional at ``trade_price``
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0.
    close_fee_rate : float, array or Series
        A fee to close counted inside maintenance margin, as a rate of notional
        [decimal: 0.0005 is 0.05 %], in [0, 1). Default 0 (Binance counts none).
    rules : str, or an array or Series of str
        An exchange's rule set (``"binance"``, the default, ``"bybit"``, ...);
        no unit.

    Returns
    -------
    table : DataFrame
        One row per position, with ``side_after`` (``"long"``, ``"short"`` or
        ``""`` when flat; no unit), ``size_after``, ``entry_price_after`` [quote
        per base], ``realized_pnl`` and ``fee`` [settlement asset] of the trade,
        ``margin_after`` (the isolated margin after the trade, 0 in cross)
        [settlement asset], ``initial_margin`` the trade needs for what it opens [settlement asset],
        ``can_open`` (True when that initial margin and the fee fit in the
        available balance before the trades, and the position after stays
        within the cap of a tier allowing its leverage; no unit),
        ``liq_price_before`` and ``liq_price_after`` [quote per base],
        ``max_size_after`` (the largest size still addable at the position's
        leverage, by the available balance and the tier cap) and the account's
        ``wallet_balance`` (cross; the free balance when isolated), ``equity``, ``maint_margin``, ``margin_ratio`` and ``available`` balance,
        ``_before`` and ``_after`` [settlement asset; ratio decimal], repeated
        on every row. A liquidation price is NaN where there is no position or
        no positive, finite price liquidates it.

    Raises
    ------
    InputError
        If an argument is outside the values given above, the arguments do not
        broadcast to one column, ``margin_mode`` is not cross or isolated, or
        the contract differs between positions.

    Notes
    -----
    Each trade changes its own row's position (one-way mode). Adding moves the
    entry to :func:`average_entry_price` of position and fill; reducing realizes
    ``uPnL(trade_price)`` of the part closed into the balance, keeps the entry
    and (isolated) releases the same share of the margin; a trade larger than
    the position closes it and opens the rest on the other side. Isolated
    trades take their initial margin ``notional / leverage`` from the free
    balance into the position. Available balance: cross ``equity - sum(notional
    at mark / leverage)`` (Binance), isolated the free balance. Each trade's
    ``can_open`` is judged against the account before all trades. The account's
    margin ratio is that of the first row's rule set (one exchange per account).

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
    """
    args = dict(side=side, size=size, entry_price=entry_price, mark_price=mark_price, trade_side=trade_side,
                trade_size=trade_size, trade_price=trade_price, leverage=leverage, margin=margin, contract=contract,
                trade_fee_rate=trade_fee_rate, close_fee_rate=close_fee_rate, rules=rules, **fm.rate_args(mmr, maint_amount))
    shape, _ = inp.shape_and_wrapper(args)
    if len(shape) > 1:
        raise InputError("arguments", f"must be single values or one column of positions, not shape {shape}")
    n = shape[0] if shape else 1
    cross = parse_margin_mode(margin_mode) == "cross"
    inv = np.broadcast_to(inp.is_inverse(contract), (n,))
    if inv.any() and not inv.all():
        raise InputError("contract", "must be the same for every position of an account")
    exchange_rules.flags(rules)  # unknown names are an error
    a = _rows(n, s=inp.side(side), q=inp.non_negative("size", size), e=inp.positive("entry_price", entry_price),
              p=inp.positive("mark_price", mark_price), t_s=inp.side(trade_side), t_q=inp.non_negative("trade_size", trade_size),
              t_p=inp.positive("trade_price", trade_price), lev=inp.positive("leverage", leverage),
              m=inp.non_negative("margin", margin), fee=inp.rate("trade_fee_rate", trade_fee_rate),
              close_fee=inp.rate("close_fee_rate", close_fee_rate))
    balance = one_value("wallet_balance", inp.finite("wallet_balance", wallet_balance))
    book = Book(balance, a["s"], a["q"], a["e"], a["m"] if not cross else np.zeros(n))
    mk = Market(a["p"], inv, a["lev"], mmr, maint_amount, a["close_fee"], rules, cross)
    after, trade = apply_trades(book, a["t_s"], a["t_q"], a["t_p"], inv, a["lev"], a["fee"], cross)
    return _table(book, after, trade, mk, a, fm.tier_table("mmr", mmr))


def _table(book: Book, after: Book, trade: dict, mk: Market, a: dict, table: Any) -> pd.DataFrame:
    before_state, after_state = account_state(book, mk), account_state(after, mk)
    table = table if isinstance(table, TierTable) else None
    fits = trade["initial_margin"] + trade["fee"] <= before_state["available"] + 1e-12 * abs(before_state["available"])
    if table is not None:
        cap = table.max_notional(mk.lev)
        fits &= (trade["opened"] == 0) | (fm.notional(after.q, a["t_p"], mk.inv) <= cap)
    fits |= trade["opened"] == 0  # a trade that only reduces needs no margin
    side_after = np.where(after.q > 0, np.where(after.s > 0, "long", "short"), "")
    columns = {
        "side_after": side_after, "size_after": after.q, "entry_price_after": np.where(after.q > 0, after.e, np.nan),
        "margin_after": after.m,
        "realized_pnl": trade["realized_pnl"], "fee": trade["fee"], "initial_margin": trade["initial_margin"],
        "can_open": fits, "liq_price_before": before_state["liq_price"], "liq_price_after": after_state["liq_price"],
        "max_size_after": _room(after_state["available"], after, mk, a["fee"], table),
    }
    for key in ("wallet_balance", "equity", "maint_margin", "margin_ratio", "available"):
        columns[f"{key}_before"] = np.full(after.q.shape, before_state[key], dtype=float)
        columns[f"{key}_after"] = np.full(after.q.shape, after_state[key], dtype=float)
    return pd.DataFrame(columns)


__all__ = ["what_if", "Book", "Market", "apply_trades", "account_state", "parse_margin_mode", "one_value", "one_word"]
