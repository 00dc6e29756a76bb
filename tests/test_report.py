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
from xlmargin.files import OutputExistsError
from xlmargin.report import FORMATS, provenance, write_report
from xlmargin.report.columns import columns_of
from xlmargin.report.content import ACCOUNT_COLUMNS, POSITION_COLUMNS
from xlmargin.review import Book, check_book, evaluate, sample_book

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


def sheet_frame(path, name, frame=None):
    """A sheet of the XLSX report as a DataFrame (header row first), cells read as stored; with ``frame`` (the
    table it shows), its readable headers turned back into ``frame``'s column names."""
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    got = pd.DataFrame(rows[1:], columns=rows[0])
    if frame is not None:
        asset = name.split()[-1]
        columns = columns_of(frame, asset)
        got = got.rename(columns={c.label: c.name for c in columns})
        for c in columns:  # flags are the words of the HTML and PDF; anything else becomes NaN and fails
            if c.kind == "flag" and c.name in got:
                got[c.name] = got[c.name].map({"yes": True, "no": False})
    return got


def html_table(path, header):
    """The HTML report's first table holding the text ``header`` (plain words: lxml's regex takes no escapes)."""
    return pd.read_html(path, match=header, thousands=",", flavor="lxml")[0]


def html_tables(path, header):
    """Every HTML table holding ``header``, stacked, with the units taken off the headers ("Equity kept [USDT]")."""
    tables = pd.read_html(path, match=header, thousands=",", flavor="lxml")
    return pd.concat([t.rename(columns=lambda c: re.sub(r" \[[^]]*\]$", "", c)) for t in tables], ignore_index=True)


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


def test_provenance_names_input_version_time_rules_tiers_and_marks(result):
    prov = provenance(result)
    assert prov["input"] == result.book.source
    assert prov["sha256"] == result.book.sha256
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["generated_at"])
    assert prov["xlmargin_version"]
    assert "Binance" in prov["rules"] and "mmr 0.005" in prov["rules"]
    assert "binance_usdm_btcusdt (Binance USDⓈ-M futures, figures of 2024-05-30" in prov["tiers"]
    assert "Binance COIN-M mark price at 2025-01-15T08:00:30Z (2 positions)" in prov["marks"]
    assert "alt-shorts ALT1USDT" in prov["assumptions"] and "100x" in prov["assumptions"]


def test_provenance_counts_rule_sets_from_a_rules_column(result):
    positions = result.positions.assign(rules=["bybit"] * 2 + ["binance"] * (len(result.positions) - 2))
    from xlmargin.review.evaluate import RiskResult
    prov = provenance(RiskResult(positions, result.accounts, result.stress, result.cascade, result.curve, result.book))
    assert "bybit for 2 positions" in prov["rules"] and "Binance's formulas" not in prov["rules"].split(" — ")[0]


def test_unknown_format_is_refused_before_writing(result, tmp_path):
    with pytest.raises(ValueError, match="docx"):
        write_report(result, tmp_path, formats=("html", "docx"))
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------
# the figures equal the core's


def test_the_report_opens_with_the_committee_summary(reports):
    html = reports["html"].read_text(encoding="utf-8")
    order = ["Summary by settlement asset", "Settled in BTC", "Worst loss under the stress scenarios",
             "Positions past or within 10 % of liquidation", "Cross accounts a joint move of 10 % or less liquidates",
             "Accounts in margin call", "Exposure per underlying", "Settled in USDT", "Charts", "Accounts settled in",
             "Positions settled in", "Margin that can come out", "Stress tests", "Cascade", "Provenance"]
    places = [re.search(r"<h\d>" + re.escape(text), html).start() for text in order]  # the headings
    assert places == sorted(places)
    sheets = openpyxl.load_workbook(reports["xlsx"], read_only=True).sheetnames
    assert sheets == ["Summary", "Charts", "Accounts BTC", "Accounts USDT", "Positions BTC", "Positions USDT", "Headroom", "Stress",
                      "Cascade", "Provenance"]
    summary = [r[0] for r in openpyxl.load_workbook(reports["xlsx"])["Summary"].iter_rows(values_only=True) if r[0]]
    xlsx_order = [t for t in order if t not in ("Charts",) and not t.startswith(("Accounts settled", "Positions settled",
                                                                                   "Margin that", "Stress", "Cascade", "Provenance"))]
    found = [next(i for i, text in enumerate(summary) if str(text).startswith(t)) for t in xlsx_order]
    assert found == sorted(found)


def test_summary_lists_the_worst_loss_and_the_nearest_positions(result, reports):
    from xlmargin.report.content import near_positions, worst_losses
    worst = worst_losses(result, "USDT").set_index("mode")
    stress = result.stress[result.stress["settlement_asset"] == "USDT"]
    assert worst.loc["actual modes", "worst_loss"] == stress["loss_actual"].max()
    row = stress.loc[stress["loss_actual"].idxmax()]
    assert worst.loc["actual modes", "worst_scenario"] == f"{row['scope']} {row['shock_pct']:+g} %"
    near = near_positions(result, "USDT")
    assert list(near["account"]) == ["small-iso"]  # its BTC long is 6.39 % from liquidation
    table = html_table(reports["html"], "Price move to liq")
    assert "coin-m" in set(table["Account"])


def test_html_accounts_equal_the_core(result, reports):
    table = html_tables(reports["html"], "Max loss, isolated").set_index("Account")
    expected = result.accounts.set_index("account")
    assert sorted(table.index) == sorted(expected.index)
    for account, row in expected.iterrows():
        assert number(table.loc[account, "Equity kept"]) == pytest.approx(row["equity"], rel=1e-5, abs=1e-6)
        assert number(table.loc[account, "Max loss, cross"]) == pytest.approx(row["max_loss_cross"], rel=1e-5)
        if np.isnan(row["margin_ratio"]):
            assert table.loc[account, "Margin ratio"] == "—"
        else:
            assert number(table.loc[account, "Margin ratio"]) == pytest.approx(100 * row["margin_ratio"], abs=0.005)


def test_html_positions_are_sorted_by_signed_distance_and_equal_the_core(result, reports):
    table = html_tables(reports["html"], "Bankruptcy price")
    settles = result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])
    expected = result.positions.assign(_a=settles).sort_values(["_a", "distance_to_liq_pct"], kind="stable")
    assert list(table["Account"]) == list(expected["account"])
    for shown, liq in zip(table["Liq. price"], expected["liq_price"]):
        assert number(shown) == pytest.approx(liq, rel=1e-4)
    for shown, move in zip(table["Price move to liq."], expected["move_to_liq_pct"]):
        assert number(shown) == pytest.approx(move, abs=0.005)  # signed: negative a fall


PRICES = ["Entry price [quote]", "Mark price [quote]", "Liq. price [quote]", "Bankruptcy price [quote]"]


def test_one_precision_and_unit_per_column_and_prices_to_their_instruments_decimals(reports):
    table = html_table(reports["html"], "Bankruptcy price")  # positions settled in BTC first
    assert "Liq. price [quote]" in table.columns and "Notional [BTC]" in table.columns
    text = {c: str for c in ("Notional [USDT]", "Size [base asset]", "Symbol", *PRICES)}
    usdt = pd.read_html(reports["html"], match="Bankruptcy price", flavor="lxml", converters=text)[1]
    for column in ("Notional [USDT]", "Size [base asset]"):
        decimals = {len(str(v).partition(".")[2]) for v in usdt[column].astype(str) if v != "—"}
        assert len(decimals) == 1, column
    assert {len(v.partition(".")[2]) for v in usdt["Notional [USDT]"].astype(str)} == {2}
    # every price of an instrument to 5 significant digits of its typical mark: BTC ~51,000 and ALT1 ~120 to the
    # least, 2 decimals; ALT2 at 0.1 and ALT3 at 0.5 to 5 (0.13998, not 0.14 or 47,738.69347 beside it)
    hand = {"BTCUSDT": 2, "ETHUSDT": 2, "ALT1USDT": 2, "ALT2USDT": 5, "ALT3USDT": 5}
    for _, row in usdt.iterrows():
        shown = {len(str(row[c]).partition(".")[2]) for c in PRICES if str(row[c]) != "—"}
        assert shown == {hand[row["Symbol"]]}, (row["Symbol"], shown)


def test_html_summary_groups_by_settlement_asset(result, reports):
    table = html_table(reports["html"], "Accounts in margin call").set_index("Settles in")
    for asset, accounts in result.accounts.groupby("settlement_asset"):
        assert table.loc[asset, "Accounts"] == len(accounts)
    glance = html_table(reports["html"], "Deficits, apart")
    assert number(glance.iloc[0, 2]) == pytest.approx(result.accounts.query("settlement_asset == 'BTC'")["equity"].sum(),
                                                      rel=1e-6)


def test_html_shows_no_answer_as_a_dash_never_zero(odd_result, odd_reports):
    table = html_table(odd_reports["html"], "Bankruptcy price").set_index("Account")
    no_price = odd_result.positions.loc[odd_result.positions["liq_price"].isna(), "account"]
    assert len(no_price) == 2
    assert (table.loc[list(no_price), "Liq. price [quote]"] == "—").all()
    accounts = html_table(odd_reports["html"], "Max loss, isolated").set_index("Account")
    assert accounts.loc[MARKUP, "Margin ratio [%]"] == "∞"  # the equity is gone


def test_xlsx_accounts_equal_the_core_exactly(result, reports):
    for asset in ("BTC", "USDT"):
        expected = result.accounts[result.accounts["settlement_asset"] == asset].sort_values(
            "margin_ratio", ascending=False, na_position="last", kind="stable")
        got = sheet_frame(reports["xlsx"], f"Accounts {asset}", expected)
        assert_same_figures(got, expected[[c for c in ACCOUNT_COLUMNS]])


def test_xlsx_positions_equal_the_core_exactly(result, reports):
    settles = result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])
    for asset in ("BTC", "USDT"):
        expected = result.positions[settles == asset].sort_values("distance_to_liq_pct", na_position="last", kind="stable")
        got = sheet_frame(reports["xlsx"], f"Positions {asset}", expected)
        assert_same_figures(got, expected[[c for c in POSITION_COLUMNS]])


def test_xlsx_is_readable_frozen_and_printable(reports):
    book = openpyxl.load_workbook(reports["xlsx"])
    sheet = book["Positions USDT"]
    headers = [c.value for c in sheet[1]]
    assert "Distance to liq. [%]" in headers and "distance_to_liq_pct" not in headers
    assert sheet.freeze_panes == "B2"
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToHeight == 0  # fit to the width, as many pages down as needed
    assert sheet.print_title_rows == "$1:$1"
    liq, symbol = headers.index("Liq. price [quote]") + 1, headers.index("Symbol") + 1
    formats: dict[str, set] = {}  # per instrument, the formats of all its price cells
    for r in range(2, sheet.max_row + 1):
        formats.setdefault(sheet.cell(r, symbol).value, set()).update(
            sheet.cell(r, c).number_format for c in range(1, len(headers) + 1) if "price [quote]" in headers[c - 1])
    assert formats["ALT2USDT"] == {"#,##0.00000_)"} and formats["BTCUSDT"] == {"#,##0.00_)"}  # each instrument's, as HTML
    letter = openpyxl.utils.get_column_letter(liq)
    assert sheet.column_dimensions[letter].width >= len("148,196.51741") + 1  # no ###


def test_xlsx_splits_a_table_beyond_the_row_limit(result, tmp_path, monkeypatch):
    import xlmargin.report.xlsx as xl
    monkeypatch.setattr(xl, "EXCEL_ROWS", 6)  # 5 rows a sheet
    (xlsx,) = write_report(result, tmp_path, formats=("xlsx",))
    book = openpyxl.load_workbook(xlsx, read_only=True)
    names = [n for n in book.sheetnames if n.startswith("Positions USDT")]
    assert names == ["Positions USDT", "Positions USDT (2)", "Positions USDT (3)"]
    n = sum(len(list(book[name].iter_rows(min_row=2))) for name in names)
    settles = result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])
    assert n == int((settles == "USDT").sum())


def test_xlsx_leaves_no_answer_empty_never_zero(odd_result, odd_reports):
    from xlmargin.report.content import positions_table
    got = sheet_frame(odd_reports["xlsx"], "Positions USDT", positions_table(odd_result))
    no_price = got[got["account"].isin(odd_result.positions.loc[odd_result.positions["liq_price"].isna(), "account"])]
    assert len(no_price) == 2
    assert no_price[["liq_price", "bankruptcy_price", "distance_to_liq_pct"]].isna().all().all()  # empty cells
    accounts = sheet_frame(odd_reports["xlsx"], "Accounts USDT", odd_result.accounts).set_index("account")
    assert accounts.loc[INJECTED[0], "margin_ratio"] is None  # no cross position: no margin ratio
    assert accounts.loc[MARKUP, "margin_ratio"] == "=#NUM!"  # infinite, as the Excel functions show it


def test_xlsx_has_every_row_while_html_is_capped(result, tmp_path):
    html, xlsx = write_report(result, tmp_path, formats=("html", "xlsx"), max_rows=3)
    settles = result.positions["account"].map(result.accounts.set_index("account")["settlement_asset"])
    n = int((settles == "USDT").sum())
    assert f"First 3 of {n:,} positions (all are in the XLSX report)." in html.read_text(encoding="utf-8")
    assert len(pd.read_html(html, match="Bankruptcy price", flavor="lxml")[1]) == 3
    assert len(sheet_frame(xlsx, "Positions USDT")) == n


def test_pdf_text_has_title_accounts_and_figures(result, reports):
    import pypdf  # a dev dependency
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(reports["pdf"]).pages)
    text = "".join(text.replace("\x00", "").split())  # pypdf spaces out the characters of table cells
    assert "Riskreview" in text
    assert "two-longs" in text
    assert "267,000.00" in text  # the desk's equity
    assert "44,216.08" in text  # the desk's isolated BTC long liquidation price
    assert text.index("Worstlossunderthestressscenarios") < text.index("Accountssettledin")


# ---------------------------------------------------------------------------
# input text stays text


def test_xlsx_writes_formula_like_input_as_text(odd_reports):
    book = openpyxl.load_workbook(odd_reports["xlsx"])  # not data_only: a formula would show as one
    found = [cell for sheet in book for row in sheet.iter_rows() for cell in row
             if any(text.upper() == str(cell.value).upper() for text in INJECTED)]
    sheets = {cell.parent.title for cell in found}
    assert {"Accounts USDT", "Positions USDT", "Stress"} <= sheets
    assert len(found) >= 3 * len(INJECTED)
    assert all(cell.data_type == "s" for cell in found)
    formulas = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas and set(formulas) == {"=#NUM!"}  # the infinite margin ratio (Accounts, Summary), nothing from the input


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


def test_a_price_shows_its_instruments_decimals_whatever_the_type_of_the_symbol():
    """HTML and XLSX look an instrument's decimals up by its symbol as text (a table built outside check_book)."""
    from xlmargin.report.columns import columns_of, format_value

    frame = pd.DataFrame({"symbol": [1, 1, 2], "mark_price": [0.12345, 0.12345, 50_000.0]})
    mark = columns_of(frame, "USDT")[1]
    assert format_value(50_000.0, mark, 2) == "50,000.00" and format_value(0.12345, mark, 1) == "0.12345"
    assert mark.decimals_of("2") == mark.decimals_of(2) == 2
