"""The template workbooks: built from code, structured as promised, right at every price.

Structure is read with openpyxl; values come from the headless engine (the `formulas`
package with xlmargin's functions registered) and are held to xlmargin.examples, the
same reference the SPEC figures are tested against.
"""

import hashlib
import json
import math
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import re
import xlsxwriter

from template_reference import CASES, W5_TABLE_CASES, chart_lines, close, on_the_line, reference, chart_reference, table_cells
from xlmargin.core.examples import WORKED_EXAMPLES
from xlmargin.workbooks.engine import RecalcBook, RecalcError, template_path
from xlmargin.workbooks.recalc import recalc
from xlmargin.workbooks.risk_review import PRINTED_ROWS as RISK_REVIEW_PRINTED_ROWS
from xlmargin.workbooks.templates import TEMPLATES, build_all

ROOT = Path(__file__).parents[1]
WORKBOOKS = ROOT / "workbooks"  # the repository's template files, as checked in
FILES = {key: WORKBOOKS / f"{TEMPLATES[key]().file}.xlsx" for key in TEMPLATES}
REQUIRED = {  # names the issue and users rely on: inputs -> outputs
    "W1": (["MARK_PRICE", "SIDE"], ["MAX_SIZE", "ISO_LIQ_PRICE", "PNL", "IM_AT_ENTRY", "MM_AT_MARK"]),
    "W2": (["MARK_PRICE", "SIDE"], ["ISO_LIQ_PRICE", "CROSS_LIQ_PRICE", "ISO_MAX_LOSS", "CROSS_MAX_LOSS"]),
    "W3": (["BTC_PRICE", "ETH_PRICE", "ETH_SIDE"], ["ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE", "ISO_ACCOUNT_VALUE", "CROSS_ACCOUNT_VALUE"]),
    "W3LIVE": (["BTC_PRICE", "ETH_PRICE", "EXCHANGE", "BTC_SYMBOL", "ETH_SYMBOL", "REFRESH_SECONDS"],
               ["BTC_LIVE_MARK", "BTC_MARK", "ETH_MARK", "PRICE_SOURCE", "ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE"]),
    "W4": (["MARK_PRICE", "SIDE"], ["ISO_LIQ_PRICE", "CROSS_LIQ_PRICE"]),
    "W5": (["ALT1_PRICE"], ["CROSS_EQUITY", "CROSS_MAINT_MARGIN", "ALT1_CROSS_LIQ_PRICE", "ALT1_ISO_LIQ_PRICE"]),
    "W6": (["ADDED_MARGIN", "FUNDING_INTERVALS", "SIDE"],
           ["ISO_LIQ_PRICE", "TOPUP_LIQ_PRICE", "FUNDING_PER_INTERVAL", "FUNDING", "CROSS_WALLET_NOW", "CROSS_LIQ_PRICE"]),
    "WHATIF": (["TRADE_SIDE", "TRADE_SIZE", "TRADE_PRICE", "MARK_PRICE"],
               ["LIQ_PRICE_BEFORE", "LIQ_PRICE_AFTER", "ENTRY_AFTER", "REALIZED_PNL", "CAN_OPEN", "EQUITY_AFTER", "MAX_SIZE_AFTER"]),
    "LADDER": (["BALANCE", "LEVERAGE", "FILL1_PRICE", "FILL4_SIZE", "MARK_PRICE"],
               ["ENTRY_4", "MARGIN_4", "LIQ_4", "DISTANCE_4", "FITS_4", "FIRST_MISFIT"]),
}
XLMARGIN_FUNCTIONS = {"ISOLATED_LIQ_PRICE", "CROSS_LIQ_PRICE", "MAINT_MARGIN", "UNREALIZED_PNL", "ISOLATED_ACCOUNT_VALUE",
                      "INITIAL_MARGIN", "MAX_POSITION_SIZE", "FUNDING_PAYMENT", "MARGIN_RATIO", "MARGIN_CALL", "MARGIN_FOR_LIQ_PRICE",
                      "CROSS_EQUITY", "BREAK_EVEN_PRICE", "DISTANCE_TO_LIQ"}


def engine_values(book, inputs, table=None):
    """Recalculate a loaded template with named inputs and W5 table changes; every named value."""
    values = book.calculate(inputs)  # compiles what the named cells need, the positions table included
    if not table:
        return values
    cells = {book.key(*book.names[name]): value for name, value in inputs.items()}
    for symbol, fields in table.items():
        for field, value in fields.items():
            cells[book.key(*table_cells("W5", symbol, field))] = value
    book.solution = book.model.calculate(inputs=cells, outputs=[book.key(*where) for where in book.names.values()])
    return {name: book.value(*where) for name, where in book.names.items()}


class _Books(dict):
    """Each template loaded into the engine once, when a test first asks for it (loading is the slow part)."""

    def __missing__(self, key):
        self[key] = RecalcBook(FILES[key])
        return self[key]


@pytest.fixture(scope="module")
def books():
    return _Books()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every template built once into a fresh folder: the files, and the folder."""
    folder = tmp_path_factory.mktemp("built")
    return build_all(folder), folder


# ---------------------------------------------------------------- built from code
def test_checked_in_workbooks_are_what_the_builder_makes(built):
    paths, _ = built
    assert sorted(p.name for p in paths) == sorted(p.name for p in WORKBOOKS.glob("*.xlsx"))
    for path in paths:
        checked_in = WORKBOOKS / path.name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(checked_in.read_bytes()).hexdigest(), (
            f"{path.name} differs from the builder's output: run  xlmargin templates --force"
        )


def test_builder_refuses_to_overwrite_without_force(built):
    paths, folder = built
    before = {p.name: p.read_bytes() for p in paths}
    with pytest.raises(FileExistsError, match="--force"):
        build_all(folder)
    assert {p.name: p.read_bytes() for p in paths} == before


# ---------------------------------------------------------------- shipped as package data
def _setuptools_config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_and_the_template_files_are_in_the_wheel_config():
    config = _setuptools_config()
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "xlmargin").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"xlmargin.workbooks.files"}, "pyproject.toml lists the packages by hand"
    assert config["package-dir"] == {"xlmargin.workbooks.files": "workbooks"}
    shipped = {p.name for pattern in config["package-data"]["xlmargin.workbooks.files"] for p in WORKBOOKS.glob(pattern)}
    assert shipped == {p.name for p in WORKBOOKS.iterdir() if p.suffix == ".xlsx"} and len(shipped) == len(TEMPLATES) + 1


def test_an_installed_package_finds_its_template_files_as_package_data(tmp_path):
    """Lay the package out as setuptools installs it (from pyproject.toml), away from the repository."""
    config, site = _setuptools_config(), tmp_path / "site-packages"
    for package in config["packages"]:
        source = ROOT / config.get("package-dir", {}).get(package, package.replace(".", "/"))
        target = site / package.replace(".", "/")
        target.mkdir(parents=True, exist_ok=True)
        for pattern in ["*.py", *config["package-data"].get(package, [])]:
            for path in source.glob(pattern):
                (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.relative_to(source))
    code = ("import json, xlmargin.workbooks.shipped as s\n"
            "print(json.dumps([s.__file__, str(s.template_folder()), str(s.template_path('w2_isolated_vs_cross'))]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": "", "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"})
    assert result.returncode == 0, result.stderr
    module, folder, w2 = map(Path, json.loads(result.stdout))
    assert module.is_relative_to(site) and folder == site / "xlmargin" / "workbooks" / "files"
    assert w2.read_bytes() == FILES["W2"].read_bytes()


def test_a_source_checkout_finds_the_repository_folder():
    assert template_path("w2_isolated_vs_cross").resolve() == FILES["W2"].resolve()
    assert all(template_path(TEMPLATES[key]().file).is_file() for key in TEMPLATES)


# ---------------------------------------------------------------- structure
@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_structure(key):
    book = openpyxl.load_workbook(FILES[key])
    assert book.sheetnames == [key, "README"]
    sheet = book[key]
    names = {n: list(d.destinations)[0] for n, d in book.defined_names.items()}
    inputs, outputs = REQUIRED[key]
    template = TEMPLATES[key]()
    assert set(inputs + outputs) <= set(names)
    assert {i.name for i in template.inputs + template.outputs} == set(names)
    validated = {str(ref) for dv in sheet.data_validations.dataValidation for ref in dv.sqref.ranges}
    for item in template.inputs:  # every input: a value, data validation, the input style
        cell = sheet[names[item.name][1].replace("$", "")]
        assert not str(cell.value).startswith("=")
        assert cell.coordinate in validated, item.name
        assert cell.fill.fgColor.rgb.endswith("FFF2CC")
    for item in template.outputs:  # every output: a plain formula; the add-in's figure beside it
        cell = sheet[names[item.name][1].replace("$", "")]
        assert str(cell.value).startswith("="), item.name
        assert not set(re.findall(r"([A-Z_]+)\(", cell.value)) & XLMARGIN_FUNCTIONS, (item.name, cell.value)
        beside = sheet.cell(row=cell.row, column=4).value
        if item.check:
            assert "add-in not loaded" in beside and set(re.findall(r"([A-Z_]+)\(", beside)) & XLMARGIN_FUNCTIONS
        labels = [row[0] for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True) if row[0]]
    assert not [label for label in labels if "(for the status)" in label] and len(labels) == len(set(labels))
    assert "ISERROR(MAINT_MARGIN(" in sheet["A4"].value  # which engine computes, in words
    assert sheet.conditional_formatting, "status cells are formatted by state"
    assert str(sheet["A2"].value) == (WORKED_EXAMPLES[key].lesson if key in WORKED_EXAMPLES else template.lesson)
    readme = [row for row in book["README"].iter_rows(values_only=True)]
    lesson = WORKED_EXAMPLES[key].lesson if key in WORKED_EXAMPLES else template.lesson
    assert readme[1][0] == lesson  # the README sheet says what the sheet teaches and what happens on opening
    assert any("recalculated fully when it is opened" in str(row[0]) for row in readme[:9])
    listed = {row[0] for row in readme}
    assert set(names) <= listed
    with zipfile.ZipFile(FILES[key]) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    lines = template.chart.series
    assert chart.count("<c:ser>") == len(lines) + sum(1 for line in lines if line.marker) + 1 and "scatterChart" in chart
    assert "fullCalcOnLoad=\"1\"" in zipfile.ZipFile(FILES[key]).read("xl/workbook.xml").decode()


def test_risk_review_is_typed_with_example_rows_and_prints_each_sheet_on_one_page():
    book = openpyxl.load_workbook(WORKBOOKS / "risk_review.xlsx")
    assert book.sheetnames == ["README", "Accounts", "Positions", "Tiers"]
    positions = book["Positions"]
    header = [c.value for c in positions[1]]
    assert header[:10] == ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode",
                           "isolated_margin", "tier_set"]
    assert [positions.cell(row=2, column=c).value for c in (1, 2, 4)] == ["desk-usdt", "BTCUSDT", "long"]  # an example
    assert positions.cell(row=5, column=1).value is None
    for sheet in book.worksheets[1:]:
        assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out of the file
        assert sheet.page_setup.fitToHeight in (None, 1) and sheet.print_area  # 1 page down (the default, left out)
        assert sheet.print_area.endswith(f"${RISK_REVIEW_PRINTED_ROWS + 1}") and sheet.print_title_rows == "$1:$1"
    lists = {dv.formula1 for dv in positions.data_validations.dataValidation}
    assert {'"long,short"', '"linear,inverse"', '"isolated,cross"'} <= lists
    assert "Positions" in positions.tables


# ---------------------------------------------------------------- values
def test_the_reference_is_the_worked_examples():
    """Where xlmargin.core.examples names a figure, the workbooks' reference is that figure."""
    for key, example in WORKED_EXAMPLES.items():
        for inputs in CASES[key]:
            core_inputs = {k: v for k, v in inputs.items() if k in example.inputs}
            if len(core_inputs) < len(inputs):
                continue
            ours = reference(key, inputs)
            for name, expected in example.outputs(**core_inputs).items():
                assert close(ours[name], expected), (key, inputs, name)


def test_cached_values_match_the_reference():
    for key, path in FILES.items():
        book = openpyxl.load_workbook(path, data_only=True)
        names = {n: list(d.destinations)[0] for n, d in book.defined_names.items()}
        for name, expected in reference(key).items():
            sheet, ref = names[name]
            assert close(book[sheet][ref.replace("$", "")].value, expected), (key, name)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_recalculated_at_several_prices_and_both_sides_matches_the_core(books, key):
    template = TEMPLATES[key]()
    assert {item.name for item in template.outputs} == set(reference(key)), "every output has a reference"
    cases = [(inputs, None) for inputs in CASES[key]] + (W5_TABLE_CASES if key == "W5" else [])
    for inputs, table in cases:
        values = engine_values(books[key], inputs, table)
        for name, expected in reference(key, inputs, table).items():
            assert close(values[name], expected), (key, inputs, table, name, values[name], expected)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_the_add_in_column_agrees_with_the_plain_formulas(books, key):
    """With xlmargin's functions loaded (as in this engine), column D gives the green cells' figures."""
    template = TEMPLATES[key]()
    for inputs in CASES[key][:3] + CASES[key][-2:]:
        books[key].calculate(inputs, all_cells=True)
        cells = books[key].cell_values()
        for item in template.outputs:
            if item.check:
                sheet, ref = books[key].names[item.name]
                plain, beside = cells[(sheet, ref)], cells[(sheet, "D" + ref[1:])]
                if plain == "no equity left":
                    assert beside == "#NUM!", (key, inputs, item.name)
                else:
                    assert close(beside, plain if plain != "#N/A" else float("nan")), (key, inputs, item.name, beside, plain)
        assert "add-in is loaded" in cells[(key, "A4")]


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_chart_lines_are_the_account_at_each_price(books, key):
    """The chart shows, at every price of its data, what the core says the account is worth there."""
    template = TEMPLATES[key]()
    lines = chart_lines(FILES[key], len(template.chart.series))
    for inputs in CASES[key][:2] + CASES[key][-1:]:
        books[key].calculate(inputs, all_cells=True)
        cells = books[key].cell_values()
        xs = [cells[(lines[0][0], x)] for x in lines[0][1]]
        assert xs == sorted(xs) and template.chart.low * 0.99 < min(xs) / xs[0] <= 1
        for n, x in enumerate(xs):
            got = [cells[(sheet, ys[n])] for sheet, _, ys in lines]
            assert on_the_line(got, key, inputs, x), (key, inputs, x, got, chart_reference(key, inputs, x))


def test_w3_spec_figures(books):
    at_2200 = books["W3"].calculate({"ETH_PRICE": 2_200})
    assert at_2200["CROSS_EQUITY"] == pytest.approx(300) and at_2200["CROSS_ACCOUNT_VALUE"] == pytest.approx(300)
    assert at_2200["CROSS_STATUS"] != "LIQUIDATED" and at_2200["ISO_STATUS"] == "ETH LIQUIDATED"  # ETH lost alone
    at_1800 = books["W3"].calculate({"ETH_PRICE": 1_800})
    assert at_1800["CROSS_EQUITY"] == pytest.approx(-20) and at_1800["CROSS_ACCOUNT_VALUE"] == 0
    assert at_1800["ISO_ACCOUNT_VALUE"] == pytest.approx(340) and at_1800["CROSS_STATUS"] == "LIQUIDATED"


def test_w6_spec_figures(books):
    values = books["W6"].calculate({})
    assert round(values["TOPUP_LIQ_PRICE"], 2) == 46_733.67 and values["FUNDING_PER_INTERVAL"] == pytest.approx(-0.5)
    assert values["FUNDING"] == pytest.approx(-45) and round(values["ISO_LIQ_PRICE"], 2) == 47_185.93
    assert values["CROSS_WALLET_NOW"] == pytest.approx(955)  # the same funding, from the shared wallet


def test_statuses_follow_the_price(books):
    assert books["W2"].calculate({"MARK_PRICE": 50_000})["CROSS_STATUS"] == "ok"
    assert books["W2"].calculate({"MARK_PRICE": 40_250})["CROSS_STATUS"] == "MARGIN CALL"
    assert books["W2"].calculate({"MARK_PRICE": 40_000})["CROSS_STATUS"] == "LIQUIDATED"
    assert books["W6"].calculate({"MARK_PRICE": 47_000})["ISO_STATUS"] == "LIQUIDATED"


def test_no_liquidation_price_is_na_in_the_workbook(books):
    assert books["W2"].calculate({"ISO_MARGIN": 5_000})["ISO_LIQ_PRICE"] == "#N/A"


def test_a_side_that_is_neither_long_nor_short_is_an_error_not_a_guess(books):
    assert books["W2"].calculate({"SIDE": "sideways"})["ISO_LIQ_PRICE"] == "#N/A"


# ---------------------------------------------------------------- xlmargin recalc
def test_recalc_cli_json_and_copy_leave_the_input_alone(tmp_path, cli):
    source = FILES["W3"]
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "w3_at_1800.xlsx"
    result = cli("recalc", str(source), "--set", "ETH_PRICE=1800", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)["values"]
    assert values["CROSS_ACCOUNT_VALUE"] == 0 and values["ISO_ACCOUNT_VALUE"] == pytest.approx(340)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    copy = openpyxl.load_workbook(out, data_only=True)
    names = {n: list(d.destinations)[0] for n, d in copy.defined_names.items()}
    cell = lambda name: copy[names[name][0]][names[name][1].replace("$", "")].value  # noqa: E731
    assert cell("ETH_PRICE") == 1800 and cell("CROSS_EQUITY") == pytest.approx(-20) and cell("CROSS_STATUS") == "LIQUIDATED"
    formulas = openpyxl.load_workbook(out)  # formulas survive in the copy
    assert str(formulas["W3"][names["CROSS_EQUITY"][1].replace("$", "")].value).startswith("=")
    with zipfile.ZipFile(out) as archive:
        assert "xl/charts/chart1.xml" in archive.namelist()
    again = cli("recalc", str(source), "--set", "ETH_PRICE=1700", "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_recalc_cli_errors_are_one_line(tmp_path, cli):
    bad_name = cli("recalc", str(FILES["W1"]), "--set", "MARK_PRYCE=1")
    same = cli("recalc", str(FILES["W1"]), "--out", str(FILES["W1"]))
    assert bad_name.returncode == 2 and "has no defined name MARK_PRYCE" in bad_name.stderr
    assert "Traceback" not in bad_name.stderr
    assert same.returncode == 2 and "never modified" in same.stderr


def test_a_formula_the_engine_cannot_evaluate_is_named(tmp_path):
    path = tmp_path / "unknown.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Risk")
    sheet.write_formula("C3", "=NOT_A_FUNCTION(1)")
    book.close()
    with pytest.raises(RecalcError, match=r"Risk!C3: the formula engine cannot evaluate NOT_A_FUNCTION\(\)"):
        recalc(path, {})
