"""What every named cell and every chart line of the templates W1-W6 should hold, from the core.

:mod:`xlmargin.core.examples` computes the figures the SPEC names, for longs; this
module computes every named output of the workbooks (statuses, ratios, the W6
top-up and cross case) for any inputs, short sides included, with the core's
public functions only. A test checks that the two agree wherever both name a
figure, so the examples stay the source of the SPEC's numbers.
"""

from __future__ import annotations

import math

import xlmargin.core as mg
from xlmargin.core.examples import W5_POSITIONS, WORKED_EXAMPLES
from xlmargin.workbooks.model import NO_EQUITY
from xlmargin.workbooks.specs_trades import FILLS, LADDER_INPUTS, WHATIF_INPUTS

DEFAULTS = {key: dict(example.inputs) for key, example in WORKED_EXAMPLES.items()}
for key in ("W1", "W2", "W4", "W6"):
    DEFAULTS[key]["SIDE"] = "long"
DEFAULTS["W3"].update(BTC_SIDE="long", ETH_SIDE="long")
DEFAULTS["W6"]["WALLET_BALANCE"] = 1_000.0
DEFAULTS["WHATIF"] = dict(WHATIF_INPUTS)  # the what-if template (issue #16): its own inputs, no worked example
DEFAULTS["LADDER"] = dict(LADDER_INPUTS)  # the entry-ladder template (issue #16)
# W3 at live marks (issue #15): without a live price (every test: no network) it is W3 at its typed prices
DEFAULTS["W3LIVE"] = DEFAULTS["W3"] | {"EXCHANGE": "binanceusdm", "BTC_SYMBOL": "BTC/USDT:USDT", "ETH_SYMBOL": "ETH/USDT:USDT",
                                       "REFRESH_SECONDS": 5}


def ratio(equity, mm):
    value = float(mg.margin_ratio(equity, mm))
    return NO_EQUITY if math.isinf(value) else value


def cross_status(equity, mm):
    if not equity > mm:
        return "LIQUIDATED"
    return "MARGIN CALL" if bool(mg.margin_call(equity, mm)) else "ok"


def _alive(side, size, entry, mark, margin, mmr, contract="linear"):
    return margin + float(mg.unrealized_pnl(side, size, entry, mark, contract)) > float(mg.maint_margin(size, mark, mmr, 0.0, contract))


def _iso_status(parts):
    dead = [label for label, alive in parts if not alive]
    if not dead:
        return "ok"
    return " ".join(dead + ["LIQUIDATED"]).strip()


def _cross(equity, mm, prefix="CROSS"):
    return {f"{prefix}_EQUITY": equity, f"{prefix}_MAINT_MARGIN": mm, f"{prefix}_MARGIN_RATIO": ratio(equity, mm),
            f"{prefix}_ACCOUNT_VALUE": equity if equity > mm else 0.0, f"{prefix}_STATUS": cross_status(equity, mm)}


def w5_positions(ALT1_PRICE, ALT1_ISO_MARGIN, table=None):
    """The W5 table rows: symbol -> (side, size, entry, mark, mmr); ``table`` overrides (symbol -> dict)."""
    rows = {s: {"side": side, "size": q, "entry": e, "mark": ALT1_PRICE if s == "ALT1" else e, "mmr": r}
            for s, (side, q, e, r) in W5_POSITIONS.items()}
    for symbol, fields in (table or {}).items():
        rows[symbol].update(fields)
    return rows


def reference(key, inputs=None, table=None):
    """Every named output of template ``key`` at the default inputs with ``inputs`` changed."""
    i = DEFAULTS[key] | (inputs or {})
    return globals()[f"_{key.lower()}"](i, table)


def chart_reference(key, inputs, x, table=None):
    """Each chart line's value at price ``x`` (a list in the chart's order)."""
    i = DEFAULTS[key] | (inputs or {})
    return globals()[f"_{key.lower()}_chart"](i, x, table)


# ---------------------------------------------------------------- per template
def _w1(i, table):
    s, b, e, p, r = i["SIDE"], i["BALANCE"], i["ENTRY_PRICE"], i["MARK_PRICE"], i["MMR"]
    size = float(mg.max_position_size(b, i["LEVERAGE"], e))
    pnl, mm = float(mg.unrealized_pnl(s, size, e, p)), float(mg.maint_margin(size, p, r))
    return {
        "MAX_SIZE": size, "IM_AT_ENTRY": float(mg.initial_margin(size, e, i["LEVERAGE"])),
        "MM_AT_ENTRY": float(mg.maint_margin(size, e, r)), "MM_AT_MARK": mm,
        "ISO_LIQ_PRICE": float(mg.isolated_liq_price(s, size, e, b, r)), "PNL": pnl, "MARGIN_BALANCE": b + pnl,
        "POSITION_MARGIN_RATIO": ratio(b + pnl, mm), "POSITION_STATUS": cross_status(b + pnl, mm),
    }


def _w1_chart(i, x, table):
    s, b, e, r = i["SIDE"], i["BALANCE"], i["ENTRY_PRICE"], i["MMR"]
    size = float(mg.max_position_size(b, i["LEVERAGE"], e))
    return [mg.cross_account_value(b, s, size, e, x, r), float(mg.initial_margin(size, x, i["LEVERAGE"])), float(mg.maint_margin(size, x, r))]


def _one(i, contract):
    w, s, q, e, m, p, r = (i[n] for n in ("WALLET_BALANCE", "SIDE", "SIZE", "ENTRY_PRICE", "ISO_MARGIN", "MARK_PRICE", "MMR"))
    equity = float(mg.cross_equity(w, s, q, e, p, contract))
    mm = float(mg.maint_margin(q, p, r, 0.0, contract))
    return {
        "ISO_LIQ_PRICE": float(mg.isolated_liq_price(s, q, e, m, r, 0.0, contract)),
        "CROSS_LIQ_PRICE": float(mg.cross_liq_price(w, s, q, e, p, r, 0.0, contract)),
        "ISO_MAX_LOSS": m, "CROSS_MAX_LOSS": max(equity, 0.0),
        "ISO_ACCOUNT_VALUE": mg.isolated_account_value(w - m, s, q, e, p, m, r, 0.0, contract),
        "ISO_STATUS": _iso_status([("", _alive(s, q, e, p, m, r, contract))]),
        **_cross(equity, mm), "CROSS_MARGIN_CALL": bool(mg.margin_call(equity, mm)),
    }


def _one_chart(i, x, contract):
    w, s, q, e, m, r = (i[n] for n in ("WALLET_BALANCE", "SIDE", "SIZE", "ENTRY_PRICE", "ISO_MARGIN", "MMR"))
    return [mg.isolated_account_value(w - m, s, q, e, x, m, r, 0.0, contract), mg.cross_account_value(w, s, q, e, x, r, 0.0, contract)]


def _w2(i, table):
    return _one(i, "linear")


def _w2_chart(i, x, table):
    return _one_chart(i, x, "linear")


def _w4(i, table):
    return _one(i, "inverse")


def _w4_chart(i, x, table):
    return _one_chart(i, x, "inverse")


def _w3_rows(i, eth_price=None):
    sides = [i["BTC_SIDE"], i["ETH_SIDE"]]
    sizes, entries = [i["BTC_SIZE"], i["ETH_SIZE"]], [i["BTC_ENTRY"], i["ETH_ENTRY"]]
    marks, margins = [i["BTC_PRICE"], i["ETH_PRICE"] if eth_price is None else eth_price], [i["BTC_MARGIN"], i["ETH_MARGIN"]]
    return sides, sizes, entries, marks, margins


def _w3(i, table):
    sides, sizes, entries, marks, margins = _w3_rows(i)
    w, r = i["WALLET_BALANCE"], i["MMR"]
    iso = mg.isolated_liq_price(sides, sizes, entries, margins, r)
    cross = mg.cross_liq_price(w, sides, sizes, entries, marks, r)
    alive = [_alive(sides[k], sizes[k], entries[k], marks[k], margins[k], r) for k in (0, 1)]
    return {
        "ISO_BTC_LIQ_PRICE": float(iso[0]), "ISO_ETH_LIQ_PRICE": float(iso[1]),
        "CROSS_BTC_LIQ_PRICE": float(cross[0]), "CROSS_ETH_LIQ_PRICE": float(cross[1]),
        "ISO_ACCOUNT_VALUE": mg.isolated_account_value(w - sum(margins), sides, sizes, entries, marks, margins, r),
        "ISO_STATUS": _iso_status(list(zip(("BTC", "ETH"), alive))),
        **_cross(float(mg.cross_equity(w, sides, sizes, entries, marks)), float(mg.cross_maint_margin(sizes, marks, r))),
    }


def _w3live(i, table):
    """W3's figures, the marks used being the typed ones, and the cells that say so."""
    return _w3(i, table) | {"BTC_LIVE_MARK": "none", "ETH_LIVE_MARK": "none", "BTC_MARK": i["BTC_PRICE"],
                            "ETH_MARK": i["ETH_PRICE"],
                            "PRICE_SOURCE": "the typed prices: no live price (MARK_PRICE needs xlmargin[live] and the network)"}


def _w3live_chart(i, x, table):
    return _w3_chart(i, x, table)


def _w3_chart(i, x, table):
    sides, sizes, entries, marks, margins = _w3_rows(i, x)
    w, r = i["WALLET_BALANCE"], i["MMR"]
    return [mg.isolated_account_value(w - sum(margins), sides, sizes, entries, marks, margins, r),
            mg.cross_account_value(w, sides, sizes, entries, marks, r)]


def _w5_columns(i, table, alt1_price=None):
    rows = w5_positions(i["ALT1_PRICE"] if alt1_price is None else alt1_price, i["ALT1_ISO_MARGIN"], table)
    return {f: [row[f] for row in rows.values()] for f in ("side", "size", "entry", "mark", "mmr")}


def _w5_iso_account(i, c):
    m, w = i["ALT1_ISO_MARGIN"], i["WALLET_BALANCE"]
    alt1 = mg.isolated_account_value(0.0, c["side"][0], c["size"][0], c["entry"][0], c["mark"][0], m, c["mmr"][0])
    rest = mg.cross_account_value(w - m, c["side"][1:], c["size"][1:], c["entry"][1:], c["mark"][1:], c["mmr"][1:])
    return alt1, rest


def _w5(i, table):
    c, w, m = _w5_columns(i, table), i["WALLET_BALANCE"], i["ALT1_ISO_MARGIN"]
    equity = float(mg.cross_equity(w, c["side"], c["size"], c["entry"], c["mark"]))
    mm = float(mg.cross_maint_margin(c["size"], c["mark"], c["mmr"]))
    alt1, rest = _w5_iso_account(i, c)
    rest_equity = float(mg.cross_equity(w - m, c["side"][1:], c["size"][1:], c["entry"][1:], c["mark"][1:]))
    rest_mm = float(mg.cross_maint_margin(c["size"][1:], c["mark"][1:], c["mmr"][1:]))
    return {
        **_cross(equity, mm),
        "ALT1_CROSS_LIQ_PRICE": float(mg.cross_liq_price(w, c["side"], c["size"], c["entry"], c["mark"], c["mmr"])[0]),
        "ALT1_ISO_LIQ_PRICE": float(mg.isolated_liq_price(c["side"][0], c["size"][0], c["entry"][0], m, c["mmr"][0])),
        "ISO_ACCOUNT_VALUE": alt1 + rest,
        "ISO_STATUS": _iso_status([("ALT1", _alive(c["side"][0], c["size"][0], c["entry"][0], c["mark"][0], m, c["mmr"][0])),
                                   ("the rest", rest_equity > rest_mm)]),
    }


def _w5_chart(i, x, table):
    c, w = _w5_columns(i, table, x), i["WALLET_BALANCE"]
    return [sum(_w5_iso_account(i, c)), mg.cross_account_value(w, c["side"], c["size"], c["entry"], c["mark"], c["mmr"])]


def _w6_margins(i):
    opening = float(mg.initial_margin(i["SIZE"], i["ENTRY_PRICE"], i["LEVERAGE"]))
    funding = float(mg.funding_payment(i["SIDE"], i["SIZE"], i["MARK_PRICE"], i["FUNDING_RATE"], i["FUNDING_INTERVALS"]))
    return opening, opening + i["ADDED_MARGIN"], opening + i["ADDED_MARGIN"] + funding, funding


def _w6(i, table):
    s, q, e, p, r, w = (i[n] for n in ("SIDE", "SIZE", "ENTRY_PRICE", "MARK_PRICE", "MMR", "WALLET_BALANCE"))
    opening, topup, now, funding = _w6_margins(i)
    lp = lambda m: float(mg.isolated_liq_price(s, q, e, m, r)) if m >= 0 else math.nan  # noqa: E731
    as_opened = lp(opening)
    return {
        "OPENING_MARGIN": opening, "LIQ_PRICE_AS_OPENED": as_opened, "TOPUP_MARGIN": topup, "TOPUP_LIQ_PRICE": lp(topup),
        "FUNDING_PER_INTERVAL": float(mg.funding_payment(s, q, p, i["FUNDING_RATE"], 1)), "FUNDING": funding,
        "ISO_MARGIN": now, "ISO_LIQ_PRICE": lp(now),
        "MARGIN_TO_ADD_BACK": float(mg.margin_for_liq_price(s, q, e, as_opened, r)) - now if not math.isnan(as_opened) else math.nan,
        "ISO_STATUS": _iso_status([("", _alive(s, q, e, p, now, r))]),
        "CROSS_LIQ_PRICE_BEFORE_FUNDING": float(mg.cross_liq_price(w, s, q, e, p, r)),
        "CROSS_WALLET_NOW": w + funding, "CROSS_LIQ_PRICE": float(mg.cross_liq_price(w + funding, s, q, e, p, r)),
    }


def _w6_chart(i, x, table):
    s, q, e, r = (i[n] for n in ("SIDE", "SIZE", "ENTRY_PRICE", "MMR"))
    pnl, mm = float(mg.unrealized_pnl(s, q, e, x)), float(mg.maint_margin(q, x, r))
    return [m + pnl if m + pnl > mm else 0.0 for m in _w6_margins(i)[:3]]


def _whatif_table(i, mark=None):
    """The core's what-if of the template's one position and trade (cross, the whole wallet behind it)."""
    return mg.what_if(i["WALLET_BALANCE"], i["SIDE"], i["SIZE"], i["ENTRY_PRICE"], mark or i["MARK_PRICE"], i["TRADE_SIDE"],
                      i["TRADE_SIZE"], i["TRADE_PRICE"], i["LEVERAGE"], mmr=i["MMR"], trade_fee_rate=i["TRADE_FEE_RATE"]).iloc[0]


def _whatif(i, table):
    t = _whatif_table(i)
    size, flat = float(t["size_after"]), float(t["size_after"]) == 0
    side = t["side_after"] or i["SIDE"]
    entry = math.nan if flat else float(t["entry_price_after"])
    fee = i["TRADE_FEE_RATE"]
    return {
        "CLOSED_SIZE": i["TRADE_SIZE"] - float(t["initial_margin"]) * i["LEVERAGE"] / i["TRADE_PRICE"],
        "OPENED_SIZE": float(t["initial_margin"]) * i["LEVERAGE"] / i["TRADE_PRICE"],
        "SIZE_AFTER": size, "SIDE_AFTER": t["side_after"] or "flat", "ENTRY_AFTER": entry,
        "REALIZED_PNL": float(t["realized_pnl"]), "TRADE_FEE": float(t["fee"]), "TRADE_IM": float(t["initial_margin"]),
        "AVAILABLE_BEFORE": float(t["available_before"]), "CAN_OPEN": "yes" if t["can_open"] else "no",
        "WALLET_AFTER": float(t["wallet_balance_after"]),
        "EQUITY_BEFORE": float(t["equity_before"]), "EQUITY_AFTER": float(t["equity_after"]),
        "MM_BEFORE": float(t["maint_margin_before"]), "MM_AFTER": float(t["maint_margin_after"]),
        "RATIO_BEFORE": ratio(float(t["equity_before"]), float(t["maint_margin_before"])),
        "RATIO_AFTER": ratio(float(t["equity_after"]), float(t["maint_margin_after"])),
        "LIQ_PRICE_BEFORE": float(t["liq_price_before"]), "LIQ_PRICE_AFTER": float(t["liq_price_after"]),
        "AVAILABLE_AFTER": float(t["available_after"]), "MAX_SIZE_AFTER": float(t["max_size_after"]),
        "BREAK_EVEN_AFTER": math.nan if flat else float(mg.break_even_price(side, size, entry, fee, fee)),
        "WITHDRAWABLE_AFTER": float(t["wallet_balance_after"]) if flat else mg.withdrawable_balance(
            float(t["wallet_balance_after"]), side, size, entry, i["MARK_PRICE"], i["LEVERAGE"], i["MMR"]),
        "ACCOUNT_AFTER_STATUS": cross_status(float(t["equity_after"]), float(t["maint_margin_after"])),
    }


def _whatif_chart(i, x, table):
    t = _whatif_table(i, x)
    value = lambda equity, mm: equity if equity > mm else 0.0  # noqa: E731
    return [value(float(t["equity_before"]), float(t["maint_margin_before"])),
            value(float(t["equity_after"]), float(t["maint_margin_after"]))]


def _ladder_table(i):
    sizes = [i[f"FILL{k}_SIZE"] for k in range(1, FILLS + 1)]
    prices = [i[f"FILL{k}_PRICE"] for k in range(1, FILLS + 1)]
    return mg.entry_ladder(i["BALANCE"], i["SIDE"], sizes, prices, i["LEVERAGE"], i["MMR"], open_fee_rate=i["OPEN_FEE_RATE"])


def _ladder(i, table):
    ladder, out = _ladder_table(i), {}
    for k, row in enumerate(ladder.itertuples(), start=1):
        out |= {f"SIZE_{k}": row.size, f"ENTRY_{k}": row.entry_price, f"MARGIN_{k}": row.margin_used,
                f"LIQ_{k}": row.liq_price, f"DISTANCE_{k}": row.distance_to_liq, f"FITS_{k}": "yes" if row.fits else "no"}
    misfits = [k for k, fits in enumerate(ladder["fits"], start=1) if not fits]
    last = ladder.iloc[-1]
    margin = float(mg.initial_margin(last["size"], last["entry_price"], i["LEVERAGE"]))
    alive = _alive(i["SIDE"], last["size"], last["entry_price"], i["MARK_PRICE"], margin, i["MMR"])
    value = margin + float(mg.unrealized_pnl(i["SIDE"], last["size"], last["entry_price"], i["MARK_PRICE"]))
    mm = float(mg.maint_margin(last["size"], i["MARK_PRICE"], i["MMR"]))
    return out | {"FIRST_MISFIT": float(misfits[0]) if misfits else "none", "VALUE_AT_MARK": value if alive else 0.0,
                  "POSITION_STATUS": cross_status(value, mm)}


def _ladder_chart(i, x, table):
    values = []
    for row in _ladder_table(i).itertuples():
        margin = float(mg.initial_margin(row.size, row.entry_price, i["LEVERAGE"]))
        alive = _alive(i["SIDE"], row.size, row.entry_price, x, margin, i["MMR"])
        values.append(margin + float(mg.unrealized_pnl(i["SIDE"], row.size, row.entry_price, x)) if alive else 0.0)
    return values


# ---------------------------------------------------------------- reading a workbook back
def close(a, b):
    """A workbook value against the reference: NaN (no answer) is #N/A in a spreadsheet."""
    if isinstance(b, float) and math.isnan(b):
        return a == "#N/A"
    if isinstance(b, float) and math.isinf(b):  # a margin ratio where the equity is gone
        return a in (NO_EQUITY, "#NUM!")
    if isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    if a is None or isinstance(a, str):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def chart_lines(path, count):
    """The first ``count`` series of the workbook's chart: [(sheet, x cells, y cells)], cells as A1 strings."""
    import re
    import zipfile

    from openpyxl.utils.cell import range_boundaries
    from xlsxwriter.utility import xl_rowcol_to_cell

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/charts/chart1.xml").decode()
    refs = re.findall(r"<c:xVal>.*?<c:f>(.*?)</c:f>.*?<c:yVal>.*?<c:f>(.*?)</c:f>", xml, flags=re.S)
    lines = []
    for xref, yref in refs[:count]:
        def cells(ref):
            sheet, area = ref.split("!")
            sheet = sheet.strip("'")
            c1, r1, c2, r2 = range_boundaries(area.replace("$", ""))
            return sheet, [xl_rowcol_to_cell(r - 1, c - 1) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        sheet, xs = cells(xref)
        lines.append((sheet, xs, cells(yref)[1]))
    return lines


def table_cells(key, symbol, field):
    """(sheet, A1 cell) of one field of one position in a template's positions table."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    from xlmargin.workbooks.model import POSITION_COLUMNS, POSITION_ROW

    symbols = list(W5_POSITIONS) if key == "W5" else []
    return key, xl_rowcol_to_cell(POSITION_ROW + 1 + symbols.index(symbol), POSITION_COLUMNS[field])


# the cases both engines are held to: inputs (by defined name) and W5 table changes, both sides
CASES = {
    "W1": [{}, {"MARK_PRICE": 45_500}, {"MARK_PRICE": 45_000}, {"MARK_PRICE": 40_000},
           {"SIDE": "short", "MARK_PRICE": 54_000}, {"SIDE": "short", "MARK_PRICE": 55_000}],
    "W2": [{}, {"MARK_PRICE": 49_000}, {"MARK_PRICE": 45_000}, {"MARK_PRICE": 40_250}, {"MARK_PRICE": 40_000},
           {"SIDE": "short", "MARK_PRICE": 50_500}, {"SIDE": "short", "MARK_PRICE": 51_000}, {"SIDE": "short", "MARK_PRICE": 60_000}],
    "W3": [{}, {"ETH_PRICE": 1_800}, {"ETH_PRICE": 2_400, "BTC_PRICE": 45_000}, {"BTC_PRICE": 44_000},
           {"ETH_SIDE": "short", "ETH_PRICE": 2_700}, {"ETH_SIDE": "short", "ETH_PRICE": 2_800}, {"BTC_SIDE": "short", "ETH_PRICE": 2_500}],
    "W3LIVE": [{}, {"ETH_PRICE": 1_800}, {"BTC_PRICE": 44_000}, {"ETH_SIDE": "short", "ETH_PRICE": 2_800}],
    "W4": [{}, {"MARK_PRICE": 55_000}, {"MARK_PRICE": 54_000}, {"MARK_PRICE": 50_000},
           {"SIDE": "short", "MARK_PRICE": 65_000}, {"SIDE": "short", "MARK_PRICE": 67_000}, {"SIDE": "short", "MARK_PRICE": 75_000}],
    "W5": [{}, {"ALT1_PRICE": 100}, {"ALT1_PRICE": 108}, {"ALT1_PRICE": 110}, {"ALT1_PRICE": 131.5}],
    # the what-if: add (default), reduce, close, flip, a short adding, a trade too big for the balance, price moves
    "WHATIF": [{}, {"TRADE_SIDE": "short", "TRADE_SIZE": 0.04, "TRADE_PRICE": 52_000}, {"TRADE_SIDE": "short", "TRADE_PRICE": 48_000},
               {"TRADE_SIDE": "short", "TRADE_SIZE": 0.3, "TRADE_PRICE": 51_000}, {"SIDE": "short", "TRADE_SIDE": "short", "MARK_PRICE": 52_000},
               {"TRADE_SIZE": 2.0, "TRADE_PRICE": 49_000}, {"MARK_PRICE": 46_000}, {"MARK_PRICE": 44_000, "TRADE_SIZE": 0.05}],
    # the ladder: the plan (its 4th fill does not fit), a falling mark, more balance, a short selling a rise, 1x (no liquidation)
    "LADDER": [{}, {"MARK_PRICE": 42_000}, {"MARK_PRICE": 41_000}, {"BALANCE": 2_000}, {"LEVERAGE": 1, "BALANCE": 20_000},
               {"SIDE": "short", "FILL1_PRICE": 50_000, "FILL2_PRICE": 52_000, "FILL3_PRICE": 54_000, "FILL4_PRICE": 56_000,
                "MARK_PRICE": 55_000},
               {"SIDE": "short", "FILL2_PRICE": 52_000, "FILL3_PRICE": 54_000, "FILL4_PRICE": 56_000, "MARK_PRICE": 60_000}],
    "W6": [{}, {"ADDED_MARGIN": 0, "FUNDING_INTERVALS": 0}, {"ADDED_MARGIN": 100, "FUNDING_INTERVALS": 0},
           {"ADDED_MARGIN": 0, "FUNDING_INTERVALS": 300}, {"MARK_PRICE": 47_500}, {"MARK_PRICE": 47_000},
           {"SIDE": "short", "MARK_PRICE": 52_000}, {"SIDE": "short", "MARK_PRICE": 54_000}, {"WALLET_BALANCE": 400}],
}
# W5's yellow table cells drive the outputs too: (inputs, table changes)
W5_TABLE_CASES = [({"ALT1_PRICE": 120}, {"ALT2": {"side": "long", "mark": 0.08}}),
                  ({}, {"BTC": {"side": "short", "mark": 45_000}, "ALT3": {"size": 4_000}})]


def on_the_line(got, key, inputs, x, table=None):
    """Chart values at ``x`` are the core's there; at a liquidation price itself (where a saved x is
    rounded to 15 digits) they may be those of either side of it."""
    for at in (x, x * (1 - 1e-12), x * (1 + 1e-12)):
        if all(close(g, e) for g, e in zip(got, chart_reference(key, inputs, at, table))):
            return True
    return False
