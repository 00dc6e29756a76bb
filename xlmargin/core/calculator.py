"""The trader's calculator: sizing, comparing margin modes, collateral, distance to liquidation, ROE and exits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import formulas as fm
from . import inputs as inp
from .cross import cross_equity, cross_liq_price
from .formulas import DEFAULT_MMR
from .position import isolated_liq_price
from .solver import no_answer_to_nan


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
    inv = inp.is_inverse(contract)
    n = bal / (1 / lev + inp.rate("open_fee_rate", open_fee_rate))
    table = fm.tier_table("tiers", tiers)
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
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    pnl = fm.pnl(s, q, e, inp.positive("exit_price", exit_price), inv)
    return wrap(pnl / (fm.notional(q, e, inv) / inp.positive("leverage", leverage)))


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
    s, e, inv = inp.side(side), inp.positive("entry_price", entry_price), inp.is_inverse(contract)
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
    s, q, e, inv = fm.position_args(side, size, entry_price, contract)
    target = inp.finite("pnl", pnl)
    with np.errstate(divide="ignore"):
        price = np.where(inv, 1 / (1 / e - target / (s * q)), e + target / (s * q))
    return wrap(no_answer_to_nan(price))


def average_entry_price(size: Any, price: Any, contract: Any = "linear", position: Any = None) -> Any:
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

    With ``position`` (a label per fill), one average per position, as a Series by label:

    >>> average_entry_price([0.1, 0.1, 1.0], [50_000, 40_000, 2_000], position=["BTC", "BTC", "ETH"]).to_dict()
    {'BTC': 45000.0, 'ETH': 2000.0}
    """
    inp.shape_and_wrapper(dict(size=size, price=price, contract=contract))
    q, p = inp.positive("size", size), inp.positive("price", price)
    q, p = np.broadcast_arrays(q, p)
    if q.ndim > 1:
        raise InputError("size", f"must be one column of fills, not shape {q.shape}")
    inv = inp.is_inverse(contract)
    q, p = q.reshape(-1), p.reshape(-1)
    codes, labels = (np.zeros(q.shape[0], dtype=np.intp), None) if position is None else _fill_groups(position, q.shape[0])
    inverse = np.broadcast_to(inv, q.shape)
    mixed = np.bincount(codes, weights=inverse.astype(float)) % np.bincount(codes) != 0
    if mixed.any():
        raise InputError("contract", "must be the same for every fill of a position")
    per_fill_value = np.where(inverse, q / p, q * p)  # linear: size-weighted; inverse (USD sizes): harmonic
    weights, values = np.bincount(codes, weights=q), np.bincount(codes, weights=per_fill_value)
    first_inverse = np.bincount(codes, weights=inverse.astype(float)) > 0
    average = np.where(first_inverse, weights / values, values / weights)
    if labels is None:
        return float(average[0])
    return pd.Series(average, index=pd.Index(labels, name="position"))


def _fill_groups(position: Any, n_rows: int) -> tuple[np.ndarray, Any]:
    """Codes and labels of the position each fill belongs to."""
    labels = position.to_numpy() if isinstance(position, pd.Series) else np.asarray(position)
    if labels.shape != (n_rows,):
        raise InputError("position", f"must have one label per fill ({n_rows}), not shape {labels.shape}")
    codes, unique = pd.factorize(labels)
    if (codes < 0).any():
        raise InputError("position", "is empty", int(np.argmax(codes < 0)) + 1)
    return codes, unique
