"""An account's book from an exchange: positions, balances, leverage, dated tier tables, mark prices.

:func:`fetch_book` reads, through ccxt's unified calls (``fetch_positions``,
``fetch_balance``, ``fetch_leverage_tiers``, ``fetch_mark_price``), the three tables
that :func:`xlmargin.review.read_book` and ``xlmargin report`` take, with these extra
position columns:

* ``rules``: the exchange's rule set (:mod:`xlmargin.core.rules`) chosen from ccxt's
  exchange id (:data:`RULES_BY_EXCHANGE`; an exchange without its own set is reviewed
  under Binance's and ``rules_note`` says so);
* ``exchange_liq_price`` and ``exchange_mark_price``: what the exchange reported with
  the position (empty where it reported none, or 0), for :mod:`xlmargin.live.reconcile`;
* ``price_tick`` [quote] and ``taker_fee`` [decimal] of the market, the last
  ``funding_rate`` [decimal per interval] where the mark price carries it; ``hedged``.

One account per settlement asset (``<account>:<asset>``, a book's account has one):
its ``wallet_balance`` is the balance before unrealized PnL (:func:`wallet_balances`).
Tier tables are named ``<exchange>_<market id>_<date>`` (the date they were read, UTC).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.tiers import consistent_maint_amounts
from ..files import write_all_atomically
from .exchange import ContractNotModelled, ExchangeError, calling, connect, require_calls
from .keys import Keys, find_keys

RULES_BY_EXCHANGE = {
    "binance": "binance", "binanceusdm": "binance", "binancecoinm": "binance", "bybit": "bybit_uta", "okx": "okx",
    "gate": "gate", "gateio": "gate", "bitmex": "bitmex", "hyperliquid": "hyperliquid", "deribit": "deribit",
}
"""ccxt exchange id -> xlmargin rule set; others are reviewed under ``binance`` (said in ``rules_note``)."""


@dataclass
class LiveBook:
    """A book read from an exchange: the tables of ``xlmargin report``, and when and where from."""

    positions: pd.DataFrame
    accounts: pd.DataFrame
    tiers: pd.DataFrame
    exchange: str
    fetched_at: str
    notes: list[str] = field(default_factory=list)

    def book(self):
        """The checked :class:`xlmargin.review.Book` (the review and the report take it)."""
        from ..review import Book, check_book

        tiers = self.tiers if not self.tiers.empty else None
        names = (f"{self.exchange} positions", f"{self.exchange} accounts", f"{self.exchange} tiers")
        positions, accounts, tables = check_book(self.positions, self.accounts, tiers, names)
        return Book(positions, accounts, tables, source=f"{self.exchange} at {self.fetched_at}")

    def write(self, folder: str | Path, force: bool = False) -> list[Path]:
        """``positions.csv``, ``accounts.csv`` and ``tiers.csv`` in ``folder``, all or none (atomically)."""
        folder = Path(folder)
        tables = {"positions.csv": self.positions, "accounts.csv": self.accounts, "tiers.csv": self.tiers}
        return write_all_atomically({folder / name: (lambda path, t=t: t.to_csv(path, index=False)) for name, t in tables.items()},
                                    force=force)


def fetch_book(exchange: str, account: str | None = None, symbols: list[str] | None = None, api_url: str | None = None,
               keys: Keys | None = None, now: dt.datetime | None = None) -> LiveBook:
    """Read an account's book from ``exchange`` (ccxt's id: ``binanceusdm``, ``binancecoinm``, ``bybit``, ``okx``, ...).

    Parameters
    ----------
    exchange : str
        ccxt's exchange id; it chooses the rule set (:data:`RULES_BY_EXCHANGE`).
    account : str, optional
        The account's name in the book (default: the exchange id).
    symbols : list of str, optional
        Only these ccxt symbols (``"BTC/USDT:USDT"``); default every open position.
    api_url : str, optional
        Send the requests to this address instead (a proxy, or a test server).
    keys : Keys, optional
        Default :func:`xlmargin.live.keys.find_keys` (environment, then keyring).
    now : datetime, optional
        The date of the tier tables (default: now, UTC).

    Raises
    ------
    ExchangeError
        No network, keys refused, a rate limit, a unified call the exchange lacks (one line, keys redacted).
    ContractNotModelled
        A position in an option, spot or unknown contract.
    """
    keys = find_keys(exchange) if keys is None else keys
    ex = connect(exchange, keys, api_url)
    require_calls(ex, ("fetchPositions", "fetchBalance"))
    now = now or dt.datetime.now(dt.timezone.utc)
    with calling(ex, "the markets", keys):
        ex.load_markets()
    with calling(ex, "the positions", keys):
        raw = [p for p in ex.fetch_positions(symbols) if abs(p.get("contracts") or 0) > 0]
    with calling(ex, "the balance", keys):
        balance = ex.fetch_balance()
    markets = {p["symbol"]: _modelled(ex, p) for p in raw}
    tiers, notes = _tiers(ex, markets, keys, now)
    marks = _marks(ex, markets, keys)
    name = account or exchange
    rules = rule_set(exchange, balance)
    positions = pd.DataFrame([_position(ex, p, markets[p["symbol"]], name, marks, tiers, rules) for p in raw],
                             columns=POSITION_ORDER)
    accounts = wallet_balances(ex, balance, positions, raw)
    if exchange not in RULES_BY_EXCHANGE:
        notes.append(f"{exchange} has no rule set of its own in xlmargin: its positions are reviewed under Binance's")
    frame = pd.concat(tiers.values(), ignore_index=True)[TIER_ORDER] if tiers else pd.DataFrame(columns=TIER_ORDER)
    return LiveBook(positions, accounts, frame, exchange, now.strftime("%Y-%m-%dT%H:%M:%SZ"), notes)


POSITION_ORDER = ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode", "isolated_margin",
                  "tier_set", "leverage", "rules", "mark_time", "mark_source", "exchange_liq_price", "exchange_mark_price",
                  "price_tick", "taker_fee", "funding_rate", "hedged"]
TIER_ORDER = ["tier_set", "notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"]


def _modelled(ex: Any, position: dict) -> dict:
    """The position's market; :class:`ContractNotModelled` unless it is a linear or inverse future or swap."""
    symbol = position.get("symbol")
    market = ex.markets.get(symbol) if symbol else None
    if market is None:
        raise ContractNotModelled(f"{ex.id} reported a position in '{symbol}', a market it does not list; "
                                  "xlmargin cannot tell what contract it is")
    kind = "option" if market.get("option") else "spot" if market.get("spot") else market.get("type")
    if kind not in ("swap", "future") or not (market.get("linear") or market.get("inverse")):
        raise ContractNotModelled(f"{ex.id} position in {symbol} is a{'n' * (str(kind)[:1] in 'aeiou')} {kind} contract; xlmargin "
                                  "models linear and inverse futures and perpetual swaps only (remove it, or review it elsewhere)")
    return market


def _tiers(ex: Any, markets: dict, keys: Keys, now: dt.datetime) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """One tier table per market, named ``<exchange>_<market id>_<YYYY-MM-DD>``."""
    if not markets or not (ex.has.get("fetchLeverageTiers") or ex.has.get("fetchMarketLeverageTiers")):
        return {}, ([] if not markets else [f"{ex.id} offers no tier tables through ccxt: flat maintenance rates are used"])
    with calling(ex, "the leverage tiers", keys):
        if ex.has.get("fetchLeverageTiers"):
            answer = ex.fetch_leverage_tiers(list(markets))
        else:  # one market at a time (OKX)
            answer = {symbol: ex.fetch_market_leverage_tiers(symbol) for symbol in markets}
    tables = {}
    for symbol, market in markets.items():
        rows = answer.get(symbol) or []
        if not rows:
            continue
        floor = [float(r["minNotional"] or 0) for r in rows]
        mmr = [float(r["maintenanceMarginRate"]) for r in rows]
        if ex.id in TIERS_BY_SIZE:
            tables[symbol] = _size_tiers(tier_set_name(ex.id, market, now), rows, floor, mmr)
            continue
        cum = [(r.get("info") or {}).get("cum") for r in rows]
        amounts = [float(c) for c in cum] if all(c is not None for c in cum) else list(consistent_maint_amounts(floor, mmr))
        tables[symbol] = pd.DataFrame({
            "tier_set": tier_set_name(ex.id, market, now), "notional_floor": floor,
            "notional_cap": [float(r["maxNotional"]) if r.get("maxNotional") else math.inf for r in rows],
            "max_leverage": [float(r["maxLeverage"]) for r in rows], "mmr": mmr, "maint_amount": amounts})
    return tables, []


# exchanges whose tiers are by position size in contracts, not by notional: ccxt hands OKX's minSz/maxSz
# over as minNotional/maxNotional. The tier of such a position does not move with the price, so each
# tier is a table of one rate (no maintenance amount), and a position takes the one its size falls in.
TIERS_BY_SIZE = {"okx"}


def _size_tiers(name: str, rows: list[dict], floor: list[float], mmr: list[float]) -> pd.DataFrame:
    """One single-rate table per size tier (``<name>_size_tier_<k>``), with its bounds in contracts."""
    return pd.DataFrame({
        "tier_set": [f"{name}_size_tier_{k + 1}" for k in range(len(rows))], "notional_floor": 0.0, "notional_cap": math.inf,
        "max_leverage": [float(r["maxLeverage"]) for r in rows], "mmr": mmr, "maint_amount": 0.0,
        "contracts_floor": floor, "contracts_cap": [float(r["maxNotional"]) if r.get("maxNotional") else math.inf for r in rows]})


def _tier_set_of(table: pd.DataFrame, contracts: float) -> str:
    """The tier set of a position: the table's, or for tiers by size the one its size in contracts falls in."""
    if "contracts_cap" not in table:
        return table["tier_set"].iloc[0]
    fits = (table["contracts_cap"] >= contracts).to_numpy()
    return table["tier_set"].iloc[int(fits.argmax()) if fits.any() else len(table) - 1]


def tier_set_name(exchange_id: str, market: dict, now: dt.datetime) -> str:
    """``binanceusdm_btcusdt_2026-12-01``: exchange, market id and the date the table was read."""
    return re.sub(r"[^a-z0-9]+", "_", f"{exchange_id}_{market['id']}".lower()) + f"_{now:%Y-%m-%d}"


def _marks(ex: Any, markets: dict, keys: Keys) -> dict[str, tuple[float, str, float]]:
    """Each market's mark price now, its time (ISO 8601) and last funding rate: ``fetch_mark_price``, else the ticker."""
    import ccxt

    out = {}
    for symbol in markets:
        ticker = None
        if ex.has.get("fetchMarkPrice"):
            try:
                with calling(ex, f"the mark price of {symbol}", keys):
                    ticker = ex.fetch_mark_price(symbol)
            except ExchangeError as exc:
                if not isinstance(exc.__context__, ccxt.NotSupported):
                    raise
        if ticker is None and ex.has.get("fetchTicker"):
            with calling(ex, f"the ticker of {symbol}", keys):
                ticker = ex.fetch_ticker(symbol)
        info = (ticker or {}).get("info") or {}
        price = (ticker or {}).get("markPrice") or info.get("markPrice")
        if price:
            rate = info.get("lastFundingRate", info.get("fundingRate"))
            stamp = ticker.get("datetime") or ex.iso8601(ex.milliseconds())
            out[symbol] = (float(price), stamp, float(rate) if rate not in (None, "") else math.nan)
    return out


def rule_set(exchange_id: str, balance: dict) -> str:
    """The rule set of the account's positions: by exchange, and for Bybit by account type (unified or classic)."""
    if exchange_id == "bybit":
        listed = (((balance.get("info") or {}).get("result") or {}).get("list") or [{}])[0]
        return "bybit_uta" if listed.get("accountType") == "UNIFIED" else "bybit"
    return RULES_BY_EXCHANGE.get(exchange_id, "binance")


def _position(ex: Any, p: dict, market: dict, account: str, marks: dict, tiers: dict, rules: str) -> dict:
    size = abs(float(p["contracts"])) * float(market.get("contractSize") or 1)
    reported = p.get("liquidationPrice")
    mark, mark_time, funding_rate = marks.get(p["symbol"], (p.get("markPrice"), p.get("datetime") or "", math.nan))
    tick = market.get("precision", {}).get("price")
    return {
        "account": f"{account}:{market['settle']}", "symbol": p["symbol"], "contract": "linear" if market.get("linear") else "inverse",
        "side": p["side"], "size": size, "entry_price": p["entryPrice"], "mark_price": mark,
        "margin_mode": p.get("marginMode") or "cross", "isolated_margin": isolated_margin(ex.id, p),
        "tier_set": _tier_set_of(tiers[p["symbol"]], abs(float(p["contracts"]))) if p["symbol"] in tiers else "",
        "leverage": p.get("leverage"), "rules": rules, "mark_time": mark_time,
        "mark_source": f"{ex.id} mark price" + ("" if p["symbol"] in marks else " (with the position)"),
        "exchange_liq_price": float(reported) if reported and float(reported) > 0 else math.nan,
        "exchange_mark_price": p.get("markPrice"), "price_tick": _tick(ex, tick),
        "taker_fee": taker_fee(ex.id, market), "funding_rate": funding_rate, "hedged": bool(p.get("hedged")),
    }


def _tick(ex: Any, precision: Any) -> float:
    """The price step [quote]: ccxt gives it as a step (TICK_SIZE) or as decimal places."""
    import ccxt

    if precision is None:
        return math.nan
    return float(precision) if ex.precisionMode == ccxt.TICK_SIZE else 10.0 ** -float(precision)


def isolated_margin(exchange_id: str, p: dict) -> float:
    """The margin of an isolated position before its uPnL [settlement asset]; 0 in cross.

    Binance's ``isolatedWallet``, OKX's and Gate's ``margin`` (ccxt's ``collateral`` adds
    the uPnL there); elsewhere ccxt's ``collateral`` (the margin assigned to the position), else its
    initial margin.
    """
    if (p.get("marginMode") or "cross") != "isolated":
        return 0.0
    info = p.get("info") or {}
    own = next((field for prefix, field in ISOLATED_FIELDS.items() if exchange_id.startswith(prefix)), None)
    if own and info.get(own) not in (None, ""):
        return float(info[own])
    value = p.get("collateral") if p.get("collateral") is not None else p.get("initialMargin")
    if value is None:
        raise ExchangeError(f"{exchange_id} reported no margin for the isolated position in {p['symbol']}")
    return float(value)


def wallet_balances(ex: Any, balance: dict, positions: pd.DataFrame, raw: list[dict]) -> pd.DataFrame:
    """One row per settlement asset: ``wallet_balance`` = the balance before unrealized PnL [that asset].

    Binance USDⓈ-M: ``totalWalletBalance`` (USDT, or every margin asset in USD in
    multi-assets mode, as Binance computes cross liquidation); Binance COIN-M: the
    asset's ``walletBalance``; Bybit: the coin's ``walletBalance``; OKX: the currency's
    ``cashBal``; Gate: ``total`` (which excludes uPnL). Elsewhere ccxt's ``total`` less the
    positions' uPnL.
    """
    rows = []
    for account, group in positions.groupby("account", sort=False):
        asset = account.rsplit(":", 1)[1]
        info = balance.get("info") or {}
        if ex.id in ("binanceusdm", "binance") and asset == "USDT" and "totalWalletBalance" in info:
            wallet = float(info["totalWalletBalance"])
        elif ex.id.startswith("binance") and isinstance(info.get("assets"), list):
            wallet = next(float(a["walletBalance"]) for a in info["assets"] if a.get("asset") == asset)
        elif ex.id in WALLET_FIELDS and _coin_entry(ex.id, info, asset) is not None:
            wallet = float(_coin_entry(ex.id, info, asset)[WALLET_FIELDS[ex.id][1]])
        elif ex.id in TOTAL_IS_WALLET and (balance.get("total") or {}).get(asset) is not None:
            wallet = float(balance["total"][asset])
        else:
            upnl = sum(float(p.get("unrealizedPnl") or 0) for p in raw if p["symbol"] in set(group["symbol"]))
            total = (balance.get("total") or {}).get(asset)
            if total is None:
                raise ExchangeError(f"{ex.id} reported no {asset} balance for the account's {asset}-settled positions")
            wallet = float(total) - upnl
        rows.append({"account": account, "wallet_balance": wallet, "settlement_asset": asset})
    return pd.DataFrame(rows, columns=["account", "wallet_balance", "settlement_asset"])


TOTAL_IS_WALLET = {"gate"}
"""Exchanges whose account ``total`` is already the balance before unrealized PnL."""
ISOLATED_FIELDS = {"binance": "isolatedWallet", "okx": "margin", "gate": "margin"}
"""The field of the exchange's position that holds an isolated position's margin before uPnL."""
WALLET_FIELDS = {"bybit": ("coin", "walletBalance"), "okx": ("details", "cashBal")}
"""Where the wallet (balance before uPnL) of each coin sits in the exchange's balance answer."""


def _coin_entry(exchange_id: str, info: dict, asset: str) -> dict | None:
    rows = (info.get("result") or {}).get("list") if exchange_id == "bybit" else info.get("data")
    key, _ = WALLET_FIELDS[exchange_id]
    for row in rows or []:
        for entry in row.get(key) or []:
            if (entry.get("coin") or entry.get("ccy")) == asset:
                return entry
    return None


TAKER_FIELDS = {"gate": "taker_fee_rate"}
"""Where the exchange's market answer carries its own taker rate (ccxt's ``taker`` is a generic default there)."""


def taker_fee(exchange_id: str, market: dict) -> float:
    """The market's taker fee rate [decimal]: the exchange's own where its market answer has it, else ccxt's."""
    own = (market.get("info") or {}).get(TAKER_FIELDS.get(exchange_id, ""))
    return float(own) if own not in (None, "") else float(market.get("taker") or math.nan)
