"""The risk-review report: figures equal the core's, input text stays text, outputs are never overwritten unasked."""

import fnmatch
import io
import pathlib
import re
import shutil
import tomllib
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xlmargin.report
from xlmargin.review import Book, check_book, sample_book
from xlmargin.files import OutputExistsError
from xlmargin.report import FORMATS, provenance, write_report
from xlmargin.review import evaluate

INJECTED = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)"]
MARKUP = "<b>bold</b>"


@pytest.fixture(scope="module")
def result():
    return evaluate(sample_book())


@pytest.fixture(scope="module")
def reports(result, tmp_path_factory):
    """The sample book's report in every format: {format: path}."""
    folder = tmp_path_factory.mktemp("report")
    return dict(zip(FORMATS, write_report(result, folder, formats=FORMATS)))


@pytest.fixture(scope="module")
def odd_result():
    """A book whose text looks like formulas and markup, with no-liquidation-price positions and a gone equity."""
    a, b, c = INJECTED
    positions = pd.DataFrame(
        [
            [a, b, "linear", "long", 1, 100, 100, "isolated", 200, ""],  # margin above the notional: no liquidation price
            [b, c, "linear", "long", 10, 100, 100, "cross", None, ""],  # wallet above the notional: none either
            [c, a, "linear", "short", 10, 100, 100, "cross", None, ""],
            [MARKUP, MARKUP, "linear", "long", 2, 100, 10, "cross", None, ""],  # equity -80: margin ratio infinite
        ],
        columns=["account", "symbol", "contract", "side", "size", "entry_price", "mark_price", "margin_mode",
                 "isolated_margin", "tier_set"],
    )
    accounts = pd.DataFrame({"account": [a, b, c, MARKUP], "wallet_balance": [1000, 1000, 1000, 100],
                             "settlement_asset": "USDT"})
    return evaluate(Book(*check_book(positions, accounts), source=f"{MARKUP}.csv", sha256="ab" * 32))


@pytest.fixture(scope="module")
def odd_reports(odd_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("odd")
    return dict(zip(("html", "xlsx"), write_report(odd_result, folder, formats=("html", "xlsx"))))


def copy_reports(reports, folder, formats=FORMATS):
    """The sample book's reports (the ``reports`` fixture) of ``formats`` copied into ``folder``; the copies' paths."""
    return [shutil.copy(reports[fmt], folder / reports[fmt].name) for fmt in formats]


def sheet_frame(path, name):
    """A sheet of the XLSX report as a DataFrame (header row first), cells read as stored."""
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def html_table(path, header):
    """The HTML report's first table holding the text ``header`` (plain words: lxml's regex takes no escapes)."""
    return pd.read_html(path, match=header, thousands=",", flavor="lxml")[0]


def assert_same_figures(got, expected):
    """``got`` (read from XLSX) holds ``expected``'s rows in order: text and flags equal, numbers to 16 digits.

    XlsxWriter stores numbers with 16 significant digits (``%.16G``), so a float
    needing 17 comes back within a relative 1e-15; Excel shows 15.
    """
    got = got[list(expected.columns)].astype(expected.dtypes.to_dict()).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_exact=False, rtol=1e-15, atol=0)


def number(text):
    """A figure as the HTML shows it ('1,234.5', '6.33 %') as a float."""
    return float(str(text).replace(",", "").replace("%", ""))


# ---------------------------------------------------------------------------
# provenance and arguments


def test_provenance_names_input_version_time_and_rules(result):
    prov = provenance(result)
    assert prov["input"] == result.book.source
    assert prov["sha256"] == result.book.sha256
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["generated_at"])
    assert prov["xlmargin_version"]
    assert "Binance" in prov["rules"] and "mmr 0.005" in prov["rules"]


def test_unknown_format_is_refused_before_writing(result, tmp_path):
    with pytest.raises(ValueError, match="docx"):
        write_report(result, tmp_path, formats=("html", "docx"))
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------
# the figures equal the core's


def test_html_accounts_equal_the_core(result, reports):
    table = html_table(reports["html"], "Max loss, isolated").set_index("Account")
    expected = result.accounts.set_index("account")
    assert sorted(table.index) == sorted(expected.index)
    for account, row in expected.iterrows():
        assert number(table.loc[account, "Equity"]) == pytest.approx(row["equity"], rel=1e-5)
        assert number(table.loc[account, "Max loss, cross"]) == pytest.approx(row["max_loss_cross"], rel=1e-5)
        if np.isnan(row["margin_ratio"]):
            assert table.loc[account, "Margin ratio"] == "—"
        else:
            assert number(table.loc[account, "Margin ratio"]) == pytest.approx(100 * row["margin_ratio"], abs=0.005)


def test_html_positions_are_sorted_by_distance_and_equal_the_core(result, reports):
    table = html_table(reports["html"], "Bankruptcy price")
    expected = result.positions.sort_values("distance_to_liq_pct", kind="stable")
    assert list(table["Account"]) == list(expected["account"])
    for shown, liq in zip(table["Liq. price"], expected["liq_price"]):
        assert number(shown) == pytest.approx(liq, rel=1e-5)


def test_html_summary_groups_by_settlement_asset(result, reports):
    table = html_table(reports["html"], "Total equity").set_index("Settles in")
    for asset, accounts in result.accounts.groupby("settlement_asset"):
        assert number(table.loc[asset, "Total equity"]) == pytest.approx(accounts["equity"].sum(), rel=1e-5)
        assert table.loc[asset, "Accounts"] == len(accounts)


def test_html_shows_no_answer_as_a_dash_never_zero(odd_result, odd_reports):
    table = html_table(odd_reports["html"], "Bankruptcy price").set_index("Account")
    no_price = odd_result.positions.loc[odd_result.positions["liq_price"].isna(), "account"]
    assert len(no_price) == 2
    assert (table.loc[list(no_price), "Liq. price"] == "—").all()
    accounts = html_table(odd_reports["html"], "Max loss, isolated").set_index("Account")
    assert accounts.loc[MARKUP, "Margin ratio"] == "∞"  # the equity is gone


def test_xlsx_accounts_equal_the_core_exactly(result, reports):
    got = sheet_frame(reports["xlsx"], "Accounts")
    expected = result.accounts.sort_values("margin_ratio", ascending=False, na_position="last", kind="stable")
    assert_same_figures(got, expected)


def test_xlsx_positions_equal_the_core_exactly(result, reports):
    got = sheet_frame(reports["xlsx"], "Positions")
    expected = result.positions.sort_values("distance_to_liq_pct", na_position="last", kind="stable")
    assert_same_figures(got, expected)


def test_xlsx_leaves_no_answer_empty_never_zero(odd_result, odd_reports):
    got = sheet_frame(odd_reports["xlsx"], "Positions")
    no_price = got[got["account"].isin(odd_result.positions.loc[odd_result.positions["liq_price"].isna(), "account"])]
    assert len(no_price) == 2
    assert no_price[["liq_price", "bankruptcy_price", "distance_to_liq_pct"]].isna().all().all()  # empty cells
    accounts = sheet_frame(odd_reports["xlsx"], "Accounts").set_index("account")
    assert accounts.loc[INJECTED[0], "margin_ratio"] is None  # no cross position: no margin ratio
    assert accounts.loc[MARKUP, "margin_ratio"] == "=#NUM!"  # infinite, as the Excel functions show it


def test_xlsx_has_every_row_while_html_is_capped(result, tmp_path):
    html, xlsx = write_report(result, tmp_path, formats=("html", "xlsx"), max_rows=3)
    n = len(result.positions)
    assert f"First 3 of {n:,} positions." in html.read_text(encoding="utf-8")
    assert len(html_table(html, "Bankruptcy price")) == 3
    assert len(sheet_frame(xlsx, "Positions")) == n


def test_pdf_text_has_title_accounts_and_figures(result, reports):
    import pypdf  # a dev dependency
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(reports["pdf"]).pages)
    assert "Risk review" in text
    assert "two-longs" in text
    assert "267,000.00" in text  # the desk's equity
    assert "44,216.08" in text  # the desk's isolated BTC long liquidation price


# ---------------------------------------------------------------------------
# input text stays text


def test_xlsx_writes_formula_like_input_as_text(odd_reports):
    book = openpyxl.load_workbook(odd_reports["xlsx"])  # not data_only: a formula would show as one
    found = [cell for sheet in book for row in sheet.iter_rows() for cell in row
             if any(text.upper() == str(cell.value).upper() for text in INJECTED)]
    sheets = {cell.parent.title for cell in found}
    assert {"Accounts", "Positions", "Stress"} <= sheets
    assert len(found) >= 3 * len(INJECTED)
    assert all(cell.data_type == "s" for cell in found)
    formulas = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == ["=#NUM!"]  # the one infinite margin ratio, and nothing from the input


def test_html_escapes_input_text(odd_reports):
    html = odd_reports["html"].read_text(encoding="utf-8")
    assert MARKUP not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'HYPERLINK("http' not in html and "HYPERLINK(&#34;http://x&#34;" in html


# ---------------------------------------------------------------------------
# outputs


def test_charts_are_present(reports):
    with zipfile.ZipFile(reports["xlsx"]) as archive:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(archive.namelist())
    html = reports["html"].read_text(encoding="utf-8")
    assert html.count("<svg") == 2


def test_existing_outputs_are_never_overwritten_unasked(result, reports, tmp_path):
    paths = copy_reports(reports, tmp_path)  # the earlier outputs
    before = {p: p.read_bytes() for p in paths}
    with pytest.raises(OutputExistsError):
        write_report(result, tmp_path, formats=FORMATS)
    assert {p: p.read_bytes() for p in paths} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary files left


def test_one_existing_target_stops_every_format(result, tmp_path):
    (tmp_path / "risk_report.xlsx").write_bytes(b"mine")
    with pytest.raises(OutputExistsError):
        write_report(result, tmp_path, formats=("html", "xlsx"))
    assert [p.name for p in tmp_path.iterdir()] == ["risk_report.xlsx"]
    assert (tmp_path / "risk_report.xlsx").read_bytes() == b"mine"


def test_force_rewrites(result, reports, tmp_path):
    html, xlsx = copy_reports(reports, tmp_path, ("html", "xlsx"))
    html.write_text("old", encoding="utf-8")
    xlsx.write_bytes(b"old")
    assert write_report(result, tmp_path, formats=("html", "xlsx"), force=True) == [html, xlsx]
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert zipfile.is_zipfile(io.BytesIO(xlsx.read_bytes()))


def test_template_files_ship_as_package_data():
    """Every file the HTML is rendered from is matched by pyproject.toml's package data of xlmargin.report."""
    package = pathlib.Path(xlmargin.report.__file__).parent
    pyproject = tomllib.loads((package.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["xlmargin.report"]
    files = [p.relative_to(package).as_posix() for p in (package / "templates").iterdir()]
    assert {"templates/report.html.j2", "templates/report.css"} <= set(files)
    assert all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files)
