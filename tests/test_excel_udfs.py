"""The Excel functions, called the way Excel calls them: through xlwings' own Office.js call path.

Arguments are 2-D lists of cell values with empty cells as None, every parameter sent, an omitted
one as null: exactly what the add-in sends (tests/excel_hosts.py); ``custom_functions_call``
converts them, calls the function and converts the result back. The COM add-in's path is there too.
"""

import inspect
import math
import pathlib
import subprocess
import sys
import textwrap

import pytest
import xlwings
from excel_hosts import HOSTS, ErrorCell
from xlwings.server import custom_functions_meta

import xlmargin as xm
from xlmargin.core.examples import WORKED_EXAMPLES
from xlmargin.errors import XlmarginError
from xlmargin.excel import udfs
from xlmargin.excel.ladder import shock_ladder
from xlmargin.excel.runtimes import reference_markdown

DOCS = pathlib.Path(__file__).parents[1] / "docs"
NA = {"type": "Error", "errorType": "NotAvailable"}
NUM = {"type": "Error", "errorType": "Num"}


def call(name, *args):
    """Through xlwings' Office.js call path, the request as Excel sends it: every parameter, omitted ones null."""
    return HOSTS["office.js"].call(name, *args)


def value(name, *args):
    result = call(name, *args)
    assert len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


def test_the_office_js_decorators_are_the_ones_in_use():
    assert xlwings.func.__module__.startswith("xlwings.pro")


# ---------------------------------------------------------------- metadata
META = {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}


def test_every_core_function_has_an_excel_function_of_the_same_name_and_arguments():
    functions = [*xm.core.FORMULAS, "price_on_screen"]
    above_the_core = {"shock_ladder": shock_ladder}  # the review's ladder, over columns (xlmargin.excel.ladder)
    assert sorted(META) == sorted(name.upper() for name in [*functions, *above_the_core]) == sorted(udfs.__all__)
    for name in [*functions, *above_the_core]:
        function = above_the_core.get(name) or getattr(xm, name)
        core, udf = inspect.signature(function), inspect.signature(getattr(udfs, name.upper()))
        assert [(p.name, p.default) for p in core.parameters.values()] == [(p.name, p.default) for p in udf.parameters.values()]


@pytest.mark.parametrize("name", sorted(META))
def test_metadata_excel_receives(name):
    meta, udf = META[name], getattr(udfs, name)
    assert meta["id"] == name and meta["description"] == udf.__doc__ and len(udf.__doc__) < 200
    assert meta["result"]["dimensionality"] == "matrix"
    params = inspect.signature(udf).parameters
    assert [p["name"] for p in meta["parameters"]] == list(params)
    for p in meta["parameters"]:
        assert p["description"] == udfs.ARG_HELP[p["name"]] and not p["description"].startswith("Positional")
        assert p["dimensionality"] == "matrix"  # a cell or a range
        assert p.get("optional", False) == (params[p["name"]].default is not inspect.Parameter.empty)


def test_docs_reference_is_generated_from_the_metadata():
    text = (DOCS / "excel.md").read_text()
    generated = text.split("<!-- reference:start -->\n")[1].split("<!-- reference:end -->")[0]
    assert generated == reference_markdown(), "regenerate with: xlmargin excel reference"


def test_argument_help_uses_the_glossary_words():
    glossary = (DOCS / "glossary.md").read_text()
    assert [name for name in udfs.ARG_HELP if f"`{name}`" not in glossary] == []


# ---------------------------------------------------------------- values, ranges, spills
def test_single_cells():
    assert value("ISOLATED_LIQ_PRICE", "long", 0.1, 50_000, 100) == pytest.approx(49_246.231155778894)
    assert value("MARGIN_CALL", 25, 20.125) is True


def test_a_column_spills_a_column_and_a_row_spills_a_row():
    column = call("ISOLATED_LIQ_PRICE", ["long", "short"], [0.1, 0.2], 50_000, 100)
    assert [len(r) for r in column] == [1, 1]
    assert column[1][0] == pytest.approx(xm.isolated_liq_price("short", 0.2, 50_000, 100))
    row = call("NOTIONAL", [[0.1, 0.2, 0.3]], 50_000)
    assert row == [[5_000.0, 10_000.0, 15_000.0]]


def test_side_in_any_case_and_as_numbers():
    assert call("UNREALIZED_PNL", ["LONG", "Short", 1, -1], 1, 100, 110) == [[10.0], [-10.0], [10.0], [-10.0]]


def test_empty_rows_give_empty_cells_and_omitted_arguments_their_defaults():
    result = call("ISOLATED_LIQ_PRICE", ["long", None, "short", None], [0.1, None, 0.2, None], 50_000, 100, None, None, None)
    assert result[1] == [""] and result[3] == [""]
    assert result[0][0] == pytest.approx(xm.isolated_liq_price("long", 0.1, 50_000, 100))


def test_cross_functions_take_columns_and_skip_empty_rows():
    args = (500, ["long", "long", None], [0.04, 0.8, None], [50_000, 2_500, None], [51_000, 2_200, None])
    assert value("CROSS_EQUITY", *args) == pytest.approx(300)
    lp = call("CROSS_LIQ_PRICE", 500, ["long", "long", None], [0.04, 0.8, None], [50_000, 2_500, None], [51_000, 2_500, None])
    assert lp[1][0] == pytest.approx(1_846.98, abs=0.005) and lp[2] == [""]


def test_accounts_spill_a_table_of_labels_and_values():
    result = call("CROSS_EQUITY", [500, 1_000, 500], "long", [0.04, 0.1, 0.8], [50_000, 50_000, 2_500], [51_000, 50_000, 2_500],
                  None, ["a", "b", "a"])
    assert result == [["a", pytest.approx(540.0)], ["b", pytest.approx(1_000.0)]]


def test_comparison_spills_a_table_with_a_header():
    table = call("COMPARE_MARGIN_MODES", 1_000, "long", 0.1, 50_000, 50_000, 100)
    assert table[0] == ["isolated_liq_price", "isolated_max_loss", "cross_liq_price", "cross_max_loss"]
    assert [round(v, 2) for v in table[1]] == [49_246.23, 100.0, 40_201.01, 1_000.0]


def test_tier_table_as_a_range_with_a_header_and_as_a_name():
    header = ["notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"]
    table = [header, [0, 50_000, 125, 0.004, 0], [50_000, 600_000, 100, 0.005, 50], [600_000, 3_000_000, 75, 0.0065, 950]]
    by_range = value("ISOLATED_LIQ_PRICE", "long", 10, 50_000, 50_000, table)
    by_name = value("ISOLATED_LIQ_PRICE", "long", 10, 50_000, 50_000, "binance_usdm_btcusdt")
    assert by_range == by_name == pytest.approx((50_000 + 50 - 500_000) / (10 * 0.005 - 10))
    no_amounts = [row[:4] + [None] for row in table]  # amounts left empty: rebuilt
    assert value("MAINT_MARGIN", 1, 1_000_000, no_amounts) == pytest.approx(1_000_000 * 0.0065 - 950)
    assert value("MAX_POSITION_SIZE", 1e6, 100, 50_000, table) == pytest.approx(600_000 / 50_000)


def test_rates_per_position_as_a_column():
    result = call("MAINT_MARGIN", [30, 10_000], [130, 0.1], [0.01, 0.02])
    assert result == [[pytest.approx(39.0)], [pytest.approx(20.0)]]


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "name, args, message",
    [
        ("ISOLATED_LIQ_PRICE", (["long"] * 3, [0.1, 0.2, -1], 50_000, 100), r"^size must be a finite number > 0 \(row 3\)$"),
        ("ISOLATED_LIQ_PRICE", (["long", None], [0.1, 0.2], 50_000, 100), r"^side is empty \(row 2\)$"),
        ("ISOLATED_LIQ_PRICE", (["long", "up"], [0.1, 0.2], 50_000, 100), r"^side must be long/short or 1/-1 \(row 2\)$"),
        ("ISOLATED_LIQ_PRICE", ("long", 0.1, "abc", 100), r"^entry_price must be a number$"),
        ("ISOLATED_LIQ_PRICE", ("long", 0.1, 50_000, 100, 0.005, 0, "perp"), r"^contract must be 'linear' or 'inverse'$"),
        ("ISOLATED_LIQ_PRICE", ("long", [0.1, 0.2], [1, 2, 3], 100), r"^ranges do not fit together: size 2x1, entry_price 3x1$"),
        ("ISOLATED_LIQ_PRICE", ("long", 0.1, 50_000, 100, [[0, 10, 5, 0.01, 0], [20, 30, 5, 0.02, 0]]), r"not contiguous"),
        ("ISOLATED_LIQ_PRICE", ("long", 0.1, 50_000, 100, "nope"), r"'nope' is not a shipped table"),
        ("INITIAL_MARGIN", (0.1, 50_000, 0), r"^leverage must be a finite number > 0$"),
        ("CROSS_EQUITY", ([100, 200], "long", [0.1, 0.2], 50_000, 50_000), r"wallet_balance must be the same for every position"),
    ],
)
def test_bad_input_is_value_error_with_the_reason(name, args, message):
    with pytest.raises(XlmarginError, match=message):
        call(name, *args)


def test_no_liquidation_price_is_na_and_infinite_ratio_is_num():
    assert value("ISOLATED_LIQ_PRICE", "long", 0.1, 50_000, 5_000) == NA
    assert call("ISOLATED_LIQ_PRICE", ["long", "short"], 0.1, 50_000, 5_000) == [[NA], [pytest.approx(xm.isolated_liq_price("short", 0.1, 50_000, 5_000))]]
    assert value("MARGIN_RATIO", -5, 10) == NUM
    assert value("MAX_POSITION_SIZE", 1_000, 200, 50_000, "binance_usdm_btcusdt") == NA


def test_through_the_windows_add_in_errors_are_text_with_the_reason():
    com = HOSTS["com"]  # the COM add-in path (tests/excel_hosts.py): an exception would show a traceback
    assert com.call("ISOLATED_LIQ_PRICE", "long", -1, 50_000, 100) == [["#VALUE! size must be a finite number > 0"]]
    assert com.call("ISOLATED_LIQ_PRICE", "long", 0.1, 50_000, 5_000) == [
        ["#N/A no liquidation price: no positive price liquidates the position"]
    ]


# ---------------------------------------------------------------- W1-W6 through the UDFs
def udf_outputs(key):
    """Each worked example's key outputs computed by chaining Excel function calls, as a sheet would."""
    i = WORKED_EXAMPLES[key].inputs
    if key == "W1":
        size = value("MAX_POSITION_SIZE", i["BALANCE"], i["LEVERAGE"], i["ENTRY_PRICE"])
        return {
            "MAX_SIZE": size,
            "IM_AT_ENTRY": value("INITIAL_MARGIN", size, i["ENTRY_PRICE"], i["LEVERAGE"]),
            "MM_AT_ENTRY": value("MAINT_MARGIN", size, i["ENTRY_PRICE"], i["MMR"]),
            "ISO_LIQ_PRICE": value("ISOLATED_LIQ_PRICE", "long", size, i["ENTRY_PRICE"], i["BALANCE"], i["MMR"]),
            "PNL": value("UNREALIZED_PNL", "long", size, i["ENTRY_PRICE"], i["MARK_PRICE"]),
        }
    if key == "W2":
        pos = ("long", i["SIZE"], i["ENTRY_PRICE"])
        return {
            "ISO_LIQ_PRICE": value("ISOLATED_LIQ_PRICE", *pos, i["ISO_MARGIN"], i["MMR"]),
            "CROSS_LIQ_PRICE": value("CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"], i["MMR"]),
            "CROSS_MAX_LOSS": value("CROSS_EQUITY", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"]),
        }
    if key == "W3":
        pos = (["long", "long"], [i["BTC_SIZE"], i["ETH_SIZE"]], [i["BTC_ENTRY"], i["ETH_ENTRY"]])
        marks = [i["BTC_PRICE"], i["ETH_PRICE"]]
        margins = [i["BTC_MARGIN"], i["ETH_MARGIN"]]
        iso = call("ISOLATED_LIQ_PRICE", *pos, margins, i["MMR"])
        free = i["WALLET_BALANCE"] - sum(margins)
        return {
            "ISO_BTC_LIQ_PRICE": iso[0][0],
            "ISO_ETH_LIQ_PRICE": iso[1][0],
            "CROSS_ETH_LIQ_PRICE": call("CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, marks, i["MMR"])[1][0],
            "CROSS_EQUITY": value("CROSS_EQUITY", i["WALLET_BALANCE"], *pos, marks),
            "CROSS_MAINT_MARGIN": value("CROSS_MAINT_MARGIN", pos[1], marks, i["MMR"]),
            "ISO_ACCOUNT_VALUE": value("ISOLATED_ACCOUNT_VALUE", free, *pos, marks, margins, i["MMR"]),
            "CROSS_ACCOUNT_VALUE": value("CROSS_ACCOUNT_VALUE", i["WALLET_BALANCE"], *pos, marks, i["MMR"]),
        }
    if key == "W4":
        pos = ("long", i["SIZE"], i["ENTRY_PRICE"])
        return {
            "ISO_LIQ_PRICE": value("ISOLATED_LIQ_PRICE", *pos, i["ISO_MARGIN"], i["MMR"], 0, "inverse"),
            "CROSS_LIQ_PRICE": value("CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"], i["MMR"], 0, "inverse"),
        }
    if key == "W5":
        from xlmargin.core.examples import W5_POSITIONS

        sides, sizes, entries, rates = (list(c) for c in zip(*W5_POSITIONS.values()))
        marks = [i["ALT1_PRICE"], *entries[1:]]
        return {
            "CROSS_EQUITY": value("CROSS_EQUITY", i["WALLET_BALANCE"], sides, sizes, entries, marks),
            "CROSS_MAINT_MARGIN": value("CROSS_MAINT_MARGIN", sizes, marks, rates),
            "ALT1_CROSS_LIQ_PRICE": call("CROSS_LIQ_PRICE", i["WALLET_BALANCE"], sides, sizes, entries, marks, rates)[0][0],
            "ALT1_ISO_LIQ_PRICE": value("ISOLATED_LIQ_PRICE", "short", sizes[0], entries[0], i["ALT1_ISO_MARGIN"], rates[0]),
        }
    if key == "W6":
        margin = value("INITIAL_MARGIN", i["SIZE"], i["ENTRY_PRICE"], i["LEVERAGE"])
        funding = value("FUNDING_PAYMENT", "long", i["SIZE"], i["MARK_PRICE"], i["FUNDING_RATE"], i["FUNDING_INTERVALS"])
        return {
            "FUNDING": funding,
            "ISO_LIQ_PRICE": value("ISOLATED_LIQ_PRICE", "long", i["SIZE"], i["ENTRY_PRICE"], margin + i["ADDED_MARGIN"] + funding, i["MMR"]),
        }


@pytest.mark.parametrize("key", sorted(WORKED_EXAMPLES))
def test_worked_examples_through_excel_calls(key):
    expected = WORKED_EXAMPLES[key].outputs()
    for name, got in udf_outputs(key).items():
        assert got == pytest.approx(expected[name], rel=1e-12), name
        assert math.isfinite(got)


# ---------------------------------------------------------------- the Windows add-in's declarations
COM_SCRIPT = textwrap.dedent(
    """
    import io, os, sys, types
    os.environ.pop("XLWINGS_ON_SERVER", None)
    class Stub(types.ModuleType):   # pywin32, absent off Windows: any attribute is a no-op
        def __getattr__(self, name):
            return lambda *args, **kwargs: None
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = Stub(name)
    sys.modules["pywintypes"].com_error = type("com_error", (Exception,), {})
    sys.modules["win32com.client"].Dispatch = lambda *a, **k: None
    import xlwings, xlwings.udfs as com
    xlwings.func, xlwings.arg, xlwings.ret = com.xlfunc, com.xlarg, com.xlret   # what xlwings picks on Windows
    from xlmargin.excel import udfs
    out = io.StringIO()
    com.generate_vba_wrapper("xlmargin.excel.udfs", udfs, out, types.SimpleNamespace(Name="risk.xlsm"))
    print(out.getvalue())
    print("DOC", udfs.ISOLATED_LIQ_PRICE.__xlfunc__["args"][0]["doc"])
    """
)


def test_windows_add_in_declarations():
    result = subprocess.run([sys.executable, "-c", COM_SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    vba = result.stdout
    assert ("Function ISOLATED_LIQ_PRICE(side, size, entry_price, margin, Optional mmr, Optional maint_amount, "
            "Optional contract, Optional close_fee_rate, Optional rules)") in vba
    assert ('ISOLATED_LIQ_PRICE = XLPy.CallUDF("xlmargin.excel.udfs", "ISOLATED_LIQ_PRICE", Array(side, size, entry_price, '
            "margin, mmr, maint_amount, contract, close_fee_rate, rules), ThisWorkbook, Application.Caller)") in vba
    for name in udfs.__all__:
        assert f"Function {name}(" in vba
    assert f"DOC {udfs.ARG_HELP['side']}" in vba


def test_review_cases_at_the_excel_boundary():
    # a column of rates against single cells
    assert len(call("ISOLATED_LIQ_PRICE", "long", 0.1, 50_000, 100, [0.005, 0.01])) == 2
    # tier-table errors give the row of the range as the user sees it, header included
    header = ["notional_floor", "notional_cap", "max_leverage", "mmr", "maint_amount"]
    bad = [header, [0, 50_000, 125, 0.004, 0], [50_000, 600_000, 100, 0.005, 50], [600_000, 100, 75, 0.0065, 950]]
    with pytest.raises(XlmarginError, match=r"^mmr \(tier table\) has a bad tier: notional_cap must be greater .* \(row 4\)$"):
        call("ISOLATED_LIQ_PRICE", "long", 10, 50_000, 50_000, bad)
    # an inconsistent table is an error with the reason, not a silent number
    jumpy = [header, [0, 50_000, 125, 0.004, 0], [50_000, None, 100, 0.005, 0]]
    with pytest.raises(XlmarginError, match=r"maintenance margin jumps by 50 at notional 50000 \(tier 2\)"):
        call("ISOLATED_LIQ_PRICE", "long", 10, 50_000, 50_000, jumpy)
    # an error value in an input cell is named, not read as empty or as a number
    with pytest.raises(XlmarginError, match=r"^size holds the error #N/A \(row 2\)$"):
        call("ISOLATED_LIQ_PRICE", "long", [0.1, {"type": "Error", "basicValue": "#N/A"}], 50_000, 100)


def test_comparison_keeps_empty_rows_in_line():
    table = call("COMPARE_MARGIN_MODES", 1_000, "long", [0.1, None, 0.2], 50_000, 50_000, [100, None, 200])
    assert len(table) == 4 and table[2] == ["", "", "", ""]
    assert table[3][1] == 200.0


def test_com_error_cells_arrive_as_codes():
    assert HOSTS["com"].call("NOTIONAL", [0.1, ErrorCell("#N/A")], 50_000) == [["#VALUE! size holds the error #N/A (row 2)"]]


def test_explanation_spills_a_table():
    table = call("EXPLAIN_LIQ_PRICE", "long", 0.1, 50_000, 100)
    assert table[0] == ["item", "value", "unit"]
    rows = {row[0]: row[1] for row in table[1:]}
    assert rows["liq_price"] == pytest.approx(49_246.231155778894) and rows["side"] == "long (s = +1)"
