"""The XLSX files as printed by a real spreadsheet: LibreOffice renders them to PDF, poppler reads back every word's box.

The report's workbook (the sample book's) must print with no word drawn over another (wrapped rows too
short for their lines overlap the next row; a header wider than its column runs into the next one), and
the risk-review template must print each sheet on pages that hold data, never a page with the header row
alone. LibreOffice draws Calibri with Carlito, its metric twin (Debian: fonts-crosextra-carlito); without
it, it falls back to a wider font and the pictures are not what Excel shows, so the check insists on it.
"""

import os
import re
import shutil
import subprocess

import pytest

from xlmargin.report import write_report
from xlmargin.review import evaluate, sample_book
from xlmargin.workbooks.libreoffice import convert, soffice
from xlmargin.workbooks.risk_review import EXAMPLE_ROWS, RISK_REVIEW
from xlmargin.workbooks.shipped import template_path

if soffice() is None or shutil.which("pdftotext") is None:
    pytestmark = pytest.mark.skipif(not os.environ.get("CI"), reason="LibreOffice or poppler is not installed (CI installs them)")

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r"<page .*?</page>", re.DOTALL)
OVERLAP_PT = 0.5  # words sharing less than this across only touch
OVERLAP_SHARE = 0.4  # nor do lines sharing less than this share of a word's height (a box holds ascent and descent)


def pages(pdf):
    """Per page, the words drawn on it: [(x0, y0, x1, y1, text), ...]."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [[(*map(float, m.groups()[:4]), m.group(5)) for m in WORD.finditer(page)] for page in PAGE.findall(xml)]


def overlaps(words):
    """Pairs of words drawn over each other."""
    found = []
    words = sorted(words, key=lambda w: w[1])
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b[1] >= a[3]:
                break
            shared = min(a[3], b[3]) - max(a[1], b[1])
            if min(a[2], b[2]) - max(a[0], b[0]) > OVERLAP_PT and shared > OVERLAP_SHARE * min(a[3] - a[1], b[3] - b[1]):
                found.append((a[4], b[4]))
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    fonts = subprocess.run(["fc-match", "Calibri"], check=True, capture_output=True, text=True).stdout
    assert "Carlito" in fonts, f"Calibri is drawn with {fonts.strip()!r}: install fonts-crosextra-carlito"
    folder = tmp_path_factory.mktemp("render")
    report = write_report(evaluate(sample_book()), folder / "report", formats=("xlsx",))[0]
    shutil.copy(template_path("risk_review"), folder / "risk_review.xlsx")
    pdfs = convert([report, folder / "risk_review.xlsx"], folder / "pdf", to="pdf")
    return {pdf.stem: pages(pdf) for pdf in pdfs}


def test_the_checker_sees_words_drawn_over_each_other():
    assert overlaps([(0, 0, 50, 10, "Binance's"), (10, 5, 60, 15, "binance_coinm")]) == [("Binance's", "binance_coinm")]
    assert overlaps([(0, 0, 50, 10, "Leverage"), (50.2, 0, 80, 10, "[x]"), (0, 8, 50, 18, "next line")]) == []


def test_no_word_of_the_report_is_drawn_over_another(rendered):
    report = rendered["risk_report"]
    assert len(report) >= 8 and sum(map(len, report)) > 1_000  # every sheet printed
    assert {n: overlaps(words) for n, words in enumerate(report, 1) if overlaps(words)} == {}


def test_each_sheet_of_the_template_prints_on_one_page_with_its_rows(rendered):
    template = rendered["risk_review"]
    assert len(template) == 1 + len(RISK_REVIEW)  # README, then one page a data sheet
    for page, (sheet, columns) in zip(template[1:], RISK_REVIEW.items()):
        texts = [w[4] for w in sorted(page, key=lambda w: (round(w[1]), w[0]))]  # in reading order
        assert texts[:len(columns)] == [c[0] for c in columns], sheet  # the header row
        assert EXAMPLE_ROWS[sheet][0][0] in texts[len(columns):], sheet  # and the example rows under it


def test_percentages_print_as_in_the_html_and_pdf(rendered):
    """A ratio (margin ratio, fee rates) prints ``6.33 %`` as HTML and PDF write it, never ``6.33%``."""
    words = [w[4] for page in rendered["risk_report"] for w in page]
    assert "%" in words  # the ratios and shifts are there, each number followed by its sign
    assert [w for w in words if re.fullmatch(r"[-+]?[\d,.]+%", w)] == []


def test_every_printed_page_of_a_value_curve_shows_its_header(rendered):
    """Each curve (-50 % to +50 %, 51 rows) with its header and chart on one printed page: none runs on headless."""
    curve_pages = [[w[4] for w in page] for page in rendered["risk_report"] if any(w[4] == "-48.00" for w in page)]
    assert len(curve_pages) >= 2  # the sample settles in BTC and USDT: a curve each
    for words in curve_pages:
        assert "isolated" in words and "-50.00" in words and "50.00" in words  # "Value, all isolated", first and last row


def test_the_charts_sheet_prints_landscape_at_the_scale_its_value_curve_needs(tmp_path):
    """Landscape as every sheet, but scaled (not fitted to the width) so that a 51-row curve fills one page's height."""
    openpyxl = pytest.importorskip("openpyxl")
    report = write_report(evaluate(sample_book()), tmp_path, formats=("xlsx",))[0]
    setup = openpyxl.load_workbook(report)["Charts"].page_setup
    assert setup.orientation == "landscape" and 40 <= setup.scale < 100


def test_libreoffice_reads_every_number_text_of_the_fast_rows_as_its_number(tmp_path):
    """Arrow's texts (``1e+20``, ``1e-7``, ``-0``, 17 digits) are numbers to a real spreadsheet, not text.

    LibreOffice loads the sheet and saves it again; it saves 15 significant digits (as Excel keeps them), so each
    value read back is the written float to 15 digits (a text read wrongly, or as text, would not be).
    """
    openpyxl = pytest.importorskip("openpyxl")
    import numpy as np
    import xlsxwriter

    from xlmargin.report.xlsx_rows import write_rows

    values = np.array([0.1, 1 / 3, 1e20, 1e21, 1e-7, 1e-5, -0.0, 123456789.12345679, 1.7976931348623157e308,
                       2.0 ** 53 + 2, 47738.69346733668, 1e-300, -2.5e-10, 3.0])
    book = xlsxwriter.Workbook(str(tmp_path / "numbers.xlsx"), {"constant_memory": True})
    write_rows(book.add_worksheet("T"), 0, [("number", values, None)])
    book.close()
    saved = convert([tmp_path / "numbers.xlsx"], tmp_path / "saved")[0]
    sheet = openpyxl.load_workbook(saved).active
    got = [sheet.cell(i + 1, 1).value for i in range(len(values))]
    assert all(isinstance(v, (int, float)) for v in got), got  # numbers, none read as text
    assert got == pytest.approx(list(values), rel=1e-14, abs=0)  # each the written float, to LibreOffice's 15 digits
