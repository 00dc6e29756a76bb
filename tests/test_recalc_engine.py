"""The headless engine starts fast without changing a number.

``xlmargin recalc`` of a template imports neither xlwings (the Excel layer loads only when a
cell calling one of xlmargin's functions is evaluated) nor scipy (formulas' statistical
functions import it when they load; here only a formula that needs it does), reads the file
once and compiles only what the named outputs need. Each test runs the real thing: the
command in a fresh interpreter, the engine on real workbooks; figures are SPEC W3's or
computed independently in the test.
"""

import json
import math
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree
from template_reference import CASES, close

from xlmargin.workbooks.engine import ADD_IN_FUNCTIONS, RecalcBook
from xlmargin.workbooks.templates import TEMPLATES

ROOT = Path(__file__).parents[1]
W3 = ROOT / "workbooks" / "w3_two_longs.xlsx"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _imported(tmp_path, *argv):
    """Run the command ``xlmargin ARGV`` in a fresh interpreter: (exit status, stdout, the modules it had imported at exit)."""
    listing = tmp_path / "modules.json"
    script = (f"import atexit, json, sys; atexit.register(lambda: open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules))));"
              f"sys.argv = ['xlmargin', *{[str(a) for a in argv]!r}]; from xlmargin.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    return result.returncode, result.stdout, set(json.loads(listing.read_text()))


def test_recalc_of_the_named_outputs_imports_neither_xlwings_nor_scipy(tmp_path):
    status, out, modules = _imported(tmp_path, "recalc", W3, "--set", "ETH_PRICE=1800", "--json")
    assert status == 0
    values = json.loads(out)["values"]
    assert values["CROSS_EQUITY"] == pytest.approx(-20) and values["ISO_ACCOUNT_VALUE"] == pytest.approx(340)  # SPEC W3
    assert "formulas.functions.stat" in modules  # MIN, MAX, SMALL: formulas' statistical functions are loaded ...
    assert not {"xlwings", "xlmargin.excel.udfs", "scipy.stats", "scipy.interpolate", "scipy.linalg"} & modules  # ... not these


def test_recalc_with_a_copy_loads_the_add_in_for_the_cells_that_call_it(tmp_path):
    """The copy holds every formula cell, the add-in's column D too: then xlmargin's functions must run for real."""
    status, out, modules = _imported(tmp_path, "recalc", W3, "--set", "ETH_PRICE=1800", "--out", tmp_path / "copy.xlsx", "--json")
    assert status == 0 and {"xlmargin.excel.udfs", "xlwings"} <= modules
    assert json.loads(out)["values"]["CROSS_ACCOUNT_VALUE"] == 0


def _excel_kurt(xs):
    """Excel's KURT (sample excess kurtosis), as its documentation writes it."""
    n, mean, s = len(xs), statistics.fmean(xs), statistics.stdev(xs)
    return n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * sum(((x - mean) / s) ** 4 for x in xs) - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


def test_formulas_that_need_scipy_still_compute_when_they_run(tmp_path):
    path = tmp_path / "stats.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    data = [1.0, 2.0, 3.0, 4.0, 10.0]
    sheet.write_column("A1", data)
    for row, (name, formula) in enumerate([("TOP", "=MAX(A1:A5)"), ("KURTOSIS", "=KURT(A1:A5)"),
                                           ("NORMAL_975", "=_xlfn.NORM.S.INV(0.975)")]):
        sheet.write_formula(row, 1, formula)
        book.define_name(name, f"=S!$B${row + 1}")
    book.close()
    script = f"""
import json, sys
from xlmargin.workbooks.engine import RecalcBook
book = RecalcBook({str(path)!r})
import formulas.functions.stat as stat  # loaded by the engine by now
loaded_before = "scipy.stats" in sys.modules
values = book.calculate()
print(json.dumps({{"before": loaded_before, "after": "scipy.stats" in sys.modules, "values": values,
                  "interp": float(stat.interp1d([0.0, 2.0], [0.0, 4.0])(0.5))}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert not got["before"] and got["after"]  # imported when KURT ran, not before
    assert got["values"]["TOP"] == 10
    assert got["values"]["KURTOSIS"] == pytest.approx(_excel_kurt(data), rel=1e-12)
    assert got["values"]["NORMAL_975"] == pytest.approx(statistics.NormalDist().inv_cdf(0.975), rel=1e-12)
    assert got["interp"] == pytest.approx(1.0)  # formulas' interp1d, bound while scipy was not loaded, is scipy's


def test_the_engine_knows_the_add_in_functions_by_the_names_the_add_in_gives_them():
    from xlmargin.excel import udfs

    assert ADD_IN_FUNCTIONS == tuple(udfs.__all__)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_compiling_only_the_named_outputs_changes_no_named_value(key):
    path = ROOT / "workbooks" / f"{TEMPLATES[key]().file}.xlsx"
    named, whole = RecalcBook(path), RecalcBook(path)
    for inputs in CASES[key][:2] + CASES[key][-2:]:
        only = named.calculate(inputs)
        every = whole.calculate(inputs, all_cells=True)
        assert only.keys() == every.keys()
        for name, value in only.items():
            assert value == every[name] or close(value, every[name]), (key, inputs, name, value, every[name])
    assert len(named.model.cells) < len(whole.model.cells)  # the chart's data and the add-in's column were left out


def _cells(data):
    return {c.get("r"): etree.tostring(c) for c in etree.fromstring(data).iterfind("m:sheetData/m:row/m:c", NS)}


def test_the_copy_rewrites_only_formula_cells_and_the_inputs_set(tmp_path):
    from xlmargin.workbooks.recalc import recalc

    recalc(W3, {"ETH_PRICE": "1800"}, out=tmp_path / "copy.xlsx")
    book = RecalcBook(W3)
    inputs = {book.names["ETH_PRICE"]}
    with zipfile.ZipFile(W3) as original, zipfile.ZipFile(tmp_path / "copy.xlsx") as copy:
        assert original.namelist() == copy.namelist()
        for sheet, part in (("W3", "xl/worksheets/sheet1.xml"), ("README", "xl/worksheets/sheet2.xml")):
            before, after = _cells(original.read(part)), _cells(copy.read(part))
            assert before.keys() == after.keys()
            changed = {ref for ref in before if before[ref] != after[ref]}
            assert changed <= {ref for s, ref in book.formula_cells | inputs if s == sheet}, sheet
            assert changed or sheet == "README"


def test_excel_kurt_reference_is_right():
    """The test's own KURT against a hand calculation: 1, 2, 3, 4, 10 (mean 4, deviations -3 -2 -1 0 6)."""
    s2 = (9 + 4 + 1 + 0 + 36) / 4  # 12.5
    m4 = (81 + 16 + 1 + 0 + 1296) / s2**2  # sum of (x - mean)^4 / s^4
    assert math.isclose(_excel_kurt([1, 2, 3, 4, 10]), 5 * 6 / (4 * 3 * 2) * m4 - 3 * 16 / (3 * 2))


def test_the_garbage_collector_is_paused_only_while_a_workbook_is_recalculated():
    import gc

    from xlmargin.workbooks.recalc import RecalcError, recalc

    assert gc.isenabled()
    assert recalc(W3, {"ETH_PRICE": "1800"})["CROSS_EQUITY"] == pytest.approx(-20) and gc.isenabled()
    with pytest.raises(RecalcError):
        recalc(W3, {"NO_SUCH_INPUT": "1"})
    assert gc.isenabled()  # after a failure too
    gc.disable()  # a caller's own choice is kept
    try:
        recalc(W3, {})
        assert not gc.isenabled()
    finally:
        gc.enable()
