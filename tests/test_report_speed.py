"""What makes big books fast keeps the report's content: the PDF beside the XLSX, its row cap, progress, the Dask workers' malloc."""

from __future__ import annotations

import os

import pytest

from xlmargin.report import PDF_MAX_ROWS, content, provenance, write_report
from xlmargin.report.html import render_html
from xlmargin.report.pdf import pdf_page
from xlmargin.review import evaluate, synthetic_book


@pytest.fixture(scope="module")
def result():
    return evaluate(synthetic_book(3_000, 300, seed=4))


def test_the_cascade_order_is_each_accounts_smallest_move_first(result):
    """The order an independent loop gives: per direction, accounts by the smallest |move| of their positions."""
    table = content.cascade_table(result)
    for direction, rows in table.groupby("direction", sort=False):
        smallest = {a: min(abs(m) for m in g["lost_at_move_pct"]) for a, g in rows.groupby("account")}
        firsts = [smallest[a] for a in rows["account"].drop_duplicates()]
        assert firsts == sorted(firsts)
        for _, g in rows.groupby("account"):
            assert list(g["order"]) == sorted(g["order"])


def test_every_pdf_table_shows_at_most_pdf_max_rows_and_says_where_the_rest_is(result):
    page = pdf_page(result, provenance(result), 2000)
    bodies = page.split("<tbody>")[1:]
    rows = [body.split("</tbody>")[0].count("<tr") for body in bodies]
    assert max(rows) == PDF_MAX_ROWS  # the positions, the accounts and the cascade are longer
    assert page.count("(all are in the XLSX report)") >= 4
    html = render_html(result, provenance(result), 2000)
    assert max(b.split("</tbody>")[0].count("<tr") for b in html.split("<tbody>")[1:]) > PDF_MAX_ROWS  # HTML: more


def test_the_pdf_rendered_beside_the_xlsx_is_the_pdf_rendered_alone(result, tmp_path):
    pypdf = pytest.importorskip("pypdf")  # a dev dependency
    labels = []
    both = write_report(result, tmp_path / "both", formats=("pdf", "xlsx", "html"), progress=labels.append)
    alone = write_report(result, tmp_path / "alone", formats=("pdf",))
    assert [p.suffix for p in both] == [".pdf", ".xlsx", ".html"]  # in the order asked, whatever the order written

    def text(path):
        return [page.extract_text() for page in pypdf.PdfReader(path).pages]

    first, second = text(both[0]), text(alone[0])
    assert len(first) == len(second)
    strip_time = [line for page in first for line in page.splitlines() if "UTC" not in line]
    assert strip_time == [line for page in second for line in page.splitlines() if "UTC" not in line]
    assert {"html", "xlsx: Positions USDT", "xlsx: Cascade", "xlsx: compressing the workbook",
            "pdf: waiting for the child process"} <= set(labels)
    assert labels[:2] == ["the report's tables", "pdf: its page, then WeasyPrint in a child process"]  # the PDF first: it runs meanwhile


def test_a_pdf_renderer_that_fails_leaves_no_file(result, tmp_path, monkeypatch):
    import sys

    from xlmargin.errors import FailedError

    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child process exits 1 and writes nothing
    with pytest.raises(FailedError, match="the PDF could not be rendered"):
        write_report(result, tmp_path, formats=("xlsx", "pdf"))
    assert list(tmp_path.iterdir()) == []  # the XLSX, written meanwhile, is not left either


def test_dask_workers_start_with_the_malloc_settings(dask_client):
    from xlmargin.review.distributed import WORKER_ENVIRONMENT

    seen = dask_client.run(lambda: {name: os.environ.get(name) for name in WORKER_ENVIRONMENT})
    assert seen and all(env == WORKER_ENVIRONMENT for env in seen.values())
    assert all(os.environ.get(name) != value for name, value in WORKER_ENVIRONMENT.items())  # this process: restored
