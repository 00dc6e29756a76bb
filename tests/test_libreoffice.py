"""The templates in a real spreadsheet engine: LibreOffice, headless, recalculating everything.

Each case is a copy of a shipped template with its input cells changed
(:func:`xlmargin.workbooks.recalc.write_copy`, which keeps everything else byte for
byte). One ``soffice`` call recalculates every copy with a profile that forces a
full recalculation (``OOXMLRecalcMode`` 0) and saves it; openpyxl reads the values
back. They must be the core's (:mod:`template_reference`), no output may be an
error other than #N/A where no price liquidates, the chart lines must be the
account at their prices, and the `formulas` engine must agree on every named output.
"""

import os

import openpyxl
import pytest

from template_reference import CASES, W5_TABLE_CASES, chart_lines, chart_reference, close, on_the_line, reference, table_cells
from xlmargin.workbooks.engine import RecalcBook
from xlmargin.workbooks.libreoffice import convert, soffice
from xlmargin.workbooks.recalc import write_copy
from xlmargin.workbooks.templates import TEMPLATES
from xlmargin.workbooks.shipped import template_path

if soffice() is None:
    pytestmark = pytest.mark.skipif(not os.environ.get("CI"), reason="LibreOffice is not installed (CI installs it)")

ERRORS = {"#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "Err:502", "Err:504"}


def _cases():
    for key in TEMPLATES:
        for n, inputs in enumerate(CASES[key]):
            yield f"{key.lower()}_{n}", key, inputs, None
    for n, (inputs, table) in enumerate(W5_TABLE_CASES):
        yield f"w5_table_{n}", "W5", inputs, table


CASE_LIST = list(_cases())


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Every case recalculated by LibreOffice in one run: case id -> (openpyxl book of values, defined names)."""
    folder = tmp_path_factory.mktemp("lo")
    copies = []
    for case, key, inputs, table in CASE_LIST:
        source = template_path(TEMPLATES[key]().file)
        names = {n: (s, c.replace("$", "")) for n, d in openpyxl.load_workbook(source).defined_names.items()
                 for s, c in d.destinations}
        cells = {names[name]: value for name, value in inputs.items()}
        for symbol, fields in (table or {}).items():
            cells |= {table_cells(key, symbol, field): value for field, value in fields.items()}
        write_copy(source, folder / f"{case}.xlsx", cells)
        copies.append(folder / f"{case}.xlsx")
    out = convert(copies, folder / "out", profile=None)
    books = {}
    for (case, *_), path in zip(CASE_LIST, out):
        book = openpyxl.load_workbook(path, data_only=True)
        books[case] = (book, {n: list(d.destinations)[0] for n, d in book.defined_names.items()})
    return books


def _named(book, names):
    return {name: book[sheet][ref.replace("$", "")].value for name, (sheet, ref) in names.items()}


@pytest.mark.parametrize("case,key,inputs,table", CASE_LIST, ids=[c[0] for c in CASE_LIST])
def test_libreoffice_gives_the_core_figures(recalculated, case, key, inputs, table):
    book, names = recalculated[case]
    values = _named(book, names)
    for name, value in inputs.items():
        assert values[name] == value, "the input was set"
    for name, expected in reference(key, inputs, table).items():
        assert close(values[name], expected), (case, name, values[name], expected)
    template = TEMPLATES[key]()
    for item in template.outputs:
        assert values[item.name] not in ERRORS and values[item.name] is not None, (case, item.name, values[item.name])
        if item.check:  # no add-in in LibreOffice: said in words
            sheet, ref = names[item.name]
            assert book[sheet]["D" + ref.replace("$", "")[1:]].value == "add-in not loaded"
    assert "add-in: not loaded" in book[key]["A4"].value


def test_the_status_flips_beyond_each_liquidation(recalculated):
    status = lambda case, name: _named(*recalculated[case])[name]  # noqa: E731
    assert status("w1_0", "POSITION_STATUS") == "ok" and status("w1_3", "POSITION_STATUS") == "LIQUIDATED"
    assert status("w1_4", "POSITION_STATUS") != "LIQUIDATED" and status("w1_5", "POSITION_STATUS") == "LIQUIDATED"
    assert status("w2_0", "ISO_STATUS") == "ok" and status("w2_1", "ISO_STATUS") == "LIQUIDATED"
    assert status("w2_4", "CROSS_STATUS") == "LIQUIDATED" and status("w2_6", "ISO_STATUS") == "LIQUIDATED"
    assert status("w2_5", "ISO_STATUS") == "ok" and status("w2_7", "CROSS_STATUS") == "LIQUIDATED"
    assert status("w3_0", "ISO_STATUS") == "ETH LIQUIDATED" and status("w3_1", "CROSS_STATUS") == "LIQUIDATED"
    assert status("w4_2", "ISO_STATUS") == "LIQUIDATED" and status("w4_6", "CROSS_STATUS") == "LIQUIDATED"
    assert status("w5_1", "ISO_STATUS") == "ok" and status("w5_4", "CROSS_STATUS") == "LIQUIDATED"
    assert status("w6_4", "ISO_STATUS") == "ok" and status("w6_5", "ISO_STATUS") == "LIQUIDATED"
    assert status("w6_6", "ISO_STATUS") == "ok" and status("w6_7", "ISO_STATUS") == "LIQUIDATED"


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_libreoffice_chart_lines_are_the_account_at_each_price(recalculated, key):
    template = TEMPLATES[key]()
    lines = chart_lines(template_path(template.file), len(template.chart.series))
    for n, inputs in enumerate(CASES[key][:2]):
        book, _ = recalculated[f"{key.lower()}_{n}"]
        xs = [book[lines[0][0]][x].value for x in lines[0][1]]
        assert xs == sorted(xs)
        for k, x in enumerate(xs):
            got = [book[sheet][ys[k]].value for sheet, _, ys in lines]
            assert on_the_line(got, key, inputs, x), (key, inputs, x, got)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_both_engines_agree_on_every_named_output(recalculated, key):
    engine = RecalcBook(template_path(TEMPLATES[key]().file))
    for n, inputs in enumerate(CASES[key]):
        ours = engine.calculate(inputs)
        theirs = _named(*recalculated[f"{key.lower()}_{n}"])
        for name, value in ours.items():
            same = value == theirs[name] or (isinstance(value, float) and close(theirs[name], value))
            assert same, (key, inputs, name, value, theirs[name])
