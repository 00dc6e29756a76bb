"""The PDF report fits its pages: every glyph inside the A4-landscape content box, measured in the PDF itself.

Each text run's start comes from its text matrix and page transforms, its end from the advance widths
of the embedded font (the CID widths WeasyPrint writes), so a column cut off at the page edge is seen
exactly; pypdf reads the file. The checker itself is checked on a table too wide for any page.
"""

import re
import string
import subprocess

import pypdf
import pytest
import weasyprint
from pypdf.generic import ContentStream

from xlmargin.report import write_report
from xlmargin.report.columns import columns_of
from xlmargin.report.content import ACCOUNT_COLUMNS, POSITION_COLUMNS
from xlmargin.review import evaluate, sample_book, synthetic_book

MARGIN = 10 / 25.4 * 72  # the stylesheet's left and right page margins, 10 mm [pt]
TOLERANCE = 0.5  # [pt]


def _times(m, n):
    """The PDF matrix product ``m x n`` (``m`` applied first)."""
    return (m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5])


def _widths(font):
    """CID -> advance width [1/1000 em] of an embedded Type0 (Identity-H) font, and its default width."""
    descendant = font.get_object()["/DescendantFonts"][0].get_object()
    table, w, i = {}, list(descendant.get("/W", [])), 0
    while i < len(w):
        first, second = int(w[i]), w[i + 1].get_object()
        if isinstance(second, list):  # c [w1 w2 ...]
            table.update({first + k: float(width) for k, width in enumerate(second)})
            i += 2
        else:  # c_first c_last w
            table.update({cid: float(w[i + 2]) for cid in range(first, int(second) + 1)})
            i += 3
    return table, float(descendant.get("/DW", 1000))


def text_runs(page):
    """``(x_start, x_end)`` of every text run drawn on ``page`` [pt from the page's left edge]."""
    fonts = {name: _widths(font) for name, font in page["/Resources"]["/Font"].items()}
    ctm, stack, runs = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), [], []
    font, size, tm = None, 0.0, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    for args, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = _times([float(v) for v in args], ctm)
        elif op == b"Tf":
            font, size = fonts[args[0]], float(args[1])
        elif op == b"Tm":
            tm = [float(v) for v in args]
        elif op in (b"TJ", b"Tj"):
            widths, default = font
            advance = 0.0
            for item in (args[0] if op == b"TJ" else args):
                if isinstance(item, (int, float)) or type(item).__name__ in ("FloatObject", "NumberObject"):
                    advance -= float(item)  # a kerning adjustment [1/1000 em]
                else:
                    raw = item.original_bytes if hasattr(item, "original_bytes") else bytes(item)
                    advance += sum(widths.get(raw[k] << 8 | raw[k + 1], default) for k in range(0, len(raw) - 1, 2))
            matrix = _times(tm, ctm)
            runs.append((matrix[4], matrix[4] + advance / 1000 * size * matrix[0]))
    return runs


def overflow(pdf):
    """The text runs outside the content box, per page: {page number: [(x_start, x_end), ...]}."""
    found = {}
    for number, page in enumerate(pypdf.PdfReader(pdf).pages, 1):
        right = float(page.mediabox.width) - MARGIN + TOLERANCE
        outside = [(round(a, 1), round(b, 1)) for a, b in text_runs(page) if a < MARGIN - TOLERANCE or b > right]
        if outside:
            found[number] = outside
    return found


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return write_report(evaluate(sample_book()), tmp_path_factory.mktemp("layout"), formats=("pdf",))[0]


def test_the_checker_sees_a_table_past_the_page_edge(tmp_path):
    cells = "".join(f"<td>{i:,}.00</td>" for i in range(1_000_000, 1_000_040))
    html = ("<style>@page { size: A4 landscape; margin: 12mm 10mm; } body { margin: 0; font: 9pt 'DejaVu Sans'; }"
            "td { white-space: nowrap; }</style>" f"<p>inside</p><table><tr>{cells}</tr></table>")
    weasyprint.HTML(string=html).write_pdf(tmp_path / "wide.pdf")
    found = overflow(tmp_path / "wide.pdf")
    assert list(found) == [1] and max(b for _, b in found[1]) > 2 * 842  # 40 cells of ~60 pt: far past 842 pt
    first = text_runs(pypdf.PdfReader(tmp_path / "wide.pdf").pages[0])[0]  # "inside" at the left margin
    assert first[0] == pytest.approx(MARGIN, abs=0.1) and 20 < first[1] - first[0] < 40  # 6 glyphs of 9 pt


def test_every_page_of_the_sample_report_fits(sample_pdf):
    """The accounts (16 columns) and positions (20 columns) tables and the stress grids within 277 mm."""
    assert overflow(sample_pdf) == {}


def test_a_bigger_book_fits_too(tmp_path):
    pdf = write_report(evaluate(synthetic_book(120, 15)), tmp_path, formats=("pdf",))[0]
    assert overflow(pdf) == {}


def test_every_header_of_the_accounts_and_positions_tables_is_printed(sample_pdf):
    result = evaluate(sample_book())
    text = "".join(page.extract_text() for page in pypdf.PdfReader(sample_pdf).pages)
    text = re.sub(r"\s+", "", text.replace("\x00", ""))
    for frame, names in ((result.accounts, ACCOUNT_COLUMNS), (result.positions, POSITION_COLUMNS)):
        for column in columns_of(frame, "USDT", [n for n in names if n in frame.columns]):
            assert re.sub(r"\s+", "", column.label) in text, column.label


def without_a_font(text: str) -> set[str]:
    """The characters of ``text`` no installed font draws (fontconfig, which pango asks for a fallback font)."""
    found = set()
    for char in sorted(set(text) - set(string.printable)):
        fonts = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], check=True, capture_output=True, text=True)
        if not fonts.stdout.strip():
            found.add(char)
    return found


def test_the_font_check_sees_a_character_no_font_draws():
    assert without_a_font("USD\ue000") == {"\ue000"}  # a private-use character: in no font


def test_every_character_of_the_report_has_a_font(sample_pdf):
    """Binance's "USDⓈ-M" needs a font with U+24C8 (neither DejaVu nor Carlito has it; CI installs fonts-symbola)."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(sample_pdf).pages)
    assert "USDⓈ-M" in text
    assert without_a_font(text) == set()
