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
import xlsxwriter

from xlmargin.core.examples import WORKED_EXAMPLES
from xlmargin.workbooks.engine import RecalcBook, RecalcError, template_path
from xlmargin.workbooks.recalc import recalc
from xlmargin.workbooks.templates import TEMPLATES, build_all

ROOT = Path(__file__).parents[1]
WORKBOOKS = ROOT / "workbooks"  # the repository's template files, as checked in
FILES = {key: WORKBOOKS / f"{TEMPLATES[key]().file}.xlsx" for key in TEMPLATES}
REQUIRED = {  # names the issue and users rely on: inputs -> outputs
    "W1": (["MARK_PRICE"], ["MAX_SIZE", "ISO_LIQ_PRICE", "PNL"]),
    "W2": (["MARK_PRICE"], ["ISO_LIQ_PRICE", "CROSS_LIQ_PRICE", "ISO_MAX_LOSS", "CROSS_MAX_LOSS"]),
    "W3": (["BTC_PRICE", "ETH_PRICE"], ["ISO_ETH_LIQ_PRICE", "CROSS_ETH_LIQ_PRICE", "ISO_ACCOUNT_VALUE", "CROSS_ACCOUNT_VALUE"]),
    "W4": (["MARK_PRICE"], ["ISO_LIQ_PRICE", "CROSS_LIQ_PRICE"]),
    "W5": (["ALT1_PRICE"], ["CROSS_EQUITY", "CROSS_MAINT_MARGIN", "ALT1_CROSS_LIQ_PRICE", "ALT1_ISO_LIQ_PRICE"]),
    "W6": (["ADDED_MARGIN", "FUNDING_INTERVALS"], ["ISO_LIQ_PRICE"]),
}
# three or more points per template, on both sides of the liquidation prices
POINTS = {
    "W1": [{"MARK_PRICE": p} for p in (48_000, 45_500, 45_000, 40_000)],
    "W2": [{"MARK_PRICE": p} for p in (50_000, 49_000, 45_000, 40_300, 40_000)],
    "W3": [{"ETH_PRICE": 2_200}, {"ETH_PRICE": 1_800}, {"ETH_PRICE": 2_400, "BTC_PRICE": 45_000}, {"BTC_PRICE": 44_000}],
    "W4": [{"MARK_PRICE": p} for p in (60_000, 55_000, 54_000, 50_000)],
    "W5": [{"ALT1_PRICE": p} for p in (100, 108, 110, 130, 131.5)],
    "W6": [{"ADDED_MARGIN": a, "FUNDING_INTERVALS": n} for a, n in ((0, 0), (100, 0), (100, 90), (0, 300))]
    + [{"MARK_PRICE": 47_500}],
}


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


def close(a, b):
    """A workbook value against the core's: Excel shows inf as #NUM! and NaN (no answer) as #N/A."""
    if isinstance(b, float) and math.isinf(b):
        return a == "#NUM!"
    if isinstance(b, float) and math.isnan(b):
        return a == "#N/A"
    if isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


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
    assert shipped == {p.name for p in WORKBOOKS.iterdir() if p.suffix == ".xlsx"} and len(shipped) == 7


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
    functions = set()
    for item in template.outputs:  # every output: a formula
        cell = sheet[names[item.name][1].replace("$", "")]
        assert str(cell.value).startswith("="), item.name
        functions |= {f for f in __import__("re").findall(r"([A-Z_]+)\(", cell.value)}
    assert functions & {"ISOLATED_LIQ_PRICE", "CROSS_LIQ_PRICE", "MAINT_MARGIN", "UNREALIZED_PNL"}
    assert sheet.conditional_formatting, "status cells are formatted by state"
    assert str(sheet["A2"].value) == WORKED_EXAMPLES[key].lesson
    readme = [row for row in book["README"].iter_rows(values_only=True)]
    listed = {row[0] for row in readme}
    assert set(names) <= listed
    with zipfile.ZipFile(FILES[key]) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert chart.count("<c:ser>") == 4 and "scatterChart" in chart  # two modes, two liquidation points


def test_risk_review_is_blank_and_typed():
    book = openpyxl.load_workbook(WORKBOOKS / "risk_review.xlsx")
    assert book.sheetnames == ["README", "Accounts", "Positions", "Tiers"]
    positions = book["Positions"]
    header = [c.value for c in positions[1]]
    assert header[:10] == ["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode",
                           "isolated_margin", "tier_set"]
    assert all(positions.cell(row=2, column=c).value is None for c in range(1, 11))
    lists = {dv.formula1 for dv in positions.data_validations.dataValidation}
    assert {'"long,short"', '"linear,inverse"', '"isolated,cross"'} <= lists
    assert "Positions" in positions.tables


# ---------------------------------------------------------------- values
def test_cached_values_match_the_reference():
    for key, path in FILES.items():
        book = openpyxl.load_workbook(path, data_only=True)
        names = {n: list(d.destinations)[0] for n, d in book.defined_names.items()}
        for name, expected in WORKED_EXAMPLES[key].outputs().items():
            sheet, ref = names[name]
            assert close(book[sheet][ref.replace("$", "")].value, expected), (key, name)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_recalculated_at_several_prices_matches_the_core(books, key):
    assert len(POINTS[key]) >= 3
    for inputs in POINTS[key]:
        values = books[key].calculate(inputs)
        for name, expected in WORKED_EXAMPLES[key].outputs(**inputs).items():
            assert close(values[name], expected), (key, inputs, name, values[name], expected)


def test_w3_spec_figures(books):
    at_2200 = books["W3"].calculate({"ETH_PRICE": 2_200})
    assert at_2200["CROSS_EQUITY"] == pytest.approx(300) and at_2200["CROSS_ACCOUNT_VALUE"] == pytest.approx(300)
    assert at_2200["CROSS_STATUS"] != "LIQUIDATED" and at_2200["ISO_STATUS"] == "LIQUIDATED"  # ETH lost alone
    at_1800 = books["W3"].calculate({"ETH_PRICE": 1_800})
    assert at_1800["CROSS_EQUITY"] == pytest.approx(-20) and at_1800["CROSS_ACCOUNT_VALUE"] == 0
    assert at_1800["ISO_ACCOUNT_VALUE"] == pytest.approx(340) and at_1800["CROSS_STATUS"] == "LIQUIDATED"


def test_statuses_follow_the_price(books):
    assert books["W2"].calculate({"MARK_PRICE": 50_000})["CROSS_STATUS"] == "ok"
    assert books["W2"].calculate({"MARK_PRICE": 40_250})["CROSS_STATUS"] == "MARGIN CALL"
    assert books["W2"].calculate({"MARK_PRICE": 40_000})["CROSS_STATUS"] == "LIQUIDATED"
    assert books["W6"].calculate({"MARK_PRICE": 47_000})["ISO_STATUS"] == "LIQUIDATED"


def test_no_liquidation_price_is_na_in_the_workbook(books):
    assert books["W2"].calculate({"ISO_MARGIN": 5_000})["ISO_LIQ_PRICE"] == "#N/A"


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
