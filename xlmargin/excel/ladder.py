"""SHOCK_LADDER's function: columns of positions made into a book, laddered by the review.

The ladder is computed once, by the review (what each account keeps at each
price, SPEC W2-W4): :func:`xlmargin.review.ladder.columns_ladder` is
:func:`xlmargin.review.shock_ladder` of the book that the columns a sheet holds
make.
"""

from __future__ import annotations

from typing import Any

from ..core.formulas import DEFAULT_MMR
from ..core.tables import Table, returns_frame
from ..review import ladder


@returns_frame
def shock_ladder(
    wallet_balance: Any,
    side: Any,
    size: Any,
    entry_price: Any,
    mark_price: Any,
    margin_mode: Any = "cross",
    margin: Any = 0.0,
    mmr: Any = DEFAULT_MMR,
    maint_amount: Any = 0.0,
    contract: Any = "linear",
    account: Any = None,
    rules: Any = "binance",
    step: Any = 0.05,
    up_to: Any = 2.0,
    position: Any = None,
) -> Table:
    """What the positions' accounts keep at each step of a joint price move, down to zero and up to a multiple.

    Parameters
    ----------
    wallet_balance : float, array or Series
        Each account's balance before unrealized PnL, its isolated margins
        included [settlement asset]; the same on every position of an account.
    side : str or int, array or Series
        ``"long"``/``"short"`` in any case, or 1/-1; no unit. One row per position.
    size : float, array or Series
        Position size: base asset (linear) [base asset], or position value in
        quote (inverse) [quote]; > 0.
    entry_price, mark_price : float, array or Series
        Average entry price and the exchange's fair price [quote per base]; > 0.
    margin_mode : {"cross", "isolated"}, array or Series
        Each position's margin mode (default cross); no unit.
    margin : float, array or Series
        Margin of an isolated position, with funding [settlement asset]; >= 0;
        ignored in cross. Default 0.
    mmr : float, array, Series, TierTable or str
        Maintenance margin rate of each position [decimal: 0.005 is 0.5 %], or a
        tier table, or a shipped table's name. Default 0.005.
    maint_amount : float, array or Series
        Maintenance amount with a flat ``mmr`` [settlement asset]; default 0.
    contract : {"linear", "inverse"}, array or Series
        Default linear; one kind per account; no unit.
    account : str, array or Series, optional
        Each position's account label; none: one account; no unit.
    rules : str, array or Series
        Exchange rule set of each position (default binance); no unit.
    step : float
        The step of the move [decimal: 0.05 is 5 %], in (0, 1]; default 0.05.
    up_to : float
        The highest price as a multiple of the mark price [x], >= 1; default 2.
    position : int, optional
        Only this position's price moves (counting from 1), the rest of its
        account held at the marks; the figures are its account's. Default: every
        price moves together.

    Returns
    -------
    DataFrame
        :func:`xlmargin.review.shock_ladder`'s table: one row per move and
        settlement asset, ``move_pct`` [%] (-100 is a price of zero), equity,
        margin left and maintenance margin [settlement asset], margin ratio
        [decimal; NaN with nothing open], deficit [settlement asset],
        positions liquidated [count] and what is lost at that step.

    Raises
    ------
    InputError
        Naming the argument and row of a value outside its domain.

    Examples
    --------
    W3 in cross (BTC at 51,000, ETH at 2,200, 500 USDT): the account is lost
    between -5 % and -10 % (the exact move is -7.43 %).

    >>> ladder = shock_ladder(500, "long", [0.04, 0.8], [50_000, 2_500], [51_000, 2_200], up_to=1.1)
    >>> ladder.set_index("move_pct").loc[[-10.0, -5.0], ["equity", "positions_liquidated"]].round(2).values.tolist()
    [[0.0, 2.0], [110.0, 0.0]]
    """
    return ladder.columns_ladder(wallet_balance, side, size, entry_price, mark_price, margin_mode, margin, mmr, maint_amount,
                                 contract, account, rules, position, step, up_to)
