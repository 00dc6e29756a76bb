"""The ``xlmargin`` command line.

Every command turns xlmargin's errors into a one-line message on stderr and
a non-zero exit status; it never shows a traceback for bad input. A command
whose extra is not installed says which one (``pip install 'xlmargin[report]'``);
without the ``cli`` extra itself, the ``xlmargin`` command (:mod:`xlmargin.__main__`)
says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import __version__
from .core.examples import WORKED_EXAMPLES
from .core.tiers import TierTable
from .errors import XlmarginError, require_extra
from .files import OutputExistsError

require_extra("the command line", "cli", ("click", "tqdm"))

import click  # noqa: E402  (after the check of the extra)
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlmarginError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="xlmargin")
def main() -> None:
    """Futures margin, liquidation and isolated-vs-cross calculations."""


@main.command()
@click.option("--out", "folder", type=click.Path(file_okay=False), default="xlmargin-demo", show_default=True,
              help="Folder for the demo's outputs.")
@click.option("--force", is_flag=True, help="Overwrite outputs of an earlier demo.")
def demo(folder: str, force: bool) -> None:
    """The main job on built-in data: recalculate W1-W6, review a sample book, print a summary."""
    from .report import write_report
    from .review.evaluate import evaluate
    from .review import sample_book
    from .workbooks.engine import RecalcBook, template_path
    from .workbooks.templates import TEMPLATES, build_template

    out = Path(folder)
    targets = [out / f"sample_risk_report.{ext}" for ext in ("html", "xlsx", "pdf")]
    if not force and any(t.exists() for t in targets):
        raise OutputExistsError(f"{out} holds an earlier demo's outputs; pass --force to overwrite them")
    click.echo("Worked examples, recalculated in their template workbooks (headless engine):")
    for key, make in tqdm(TEMPLATES.items(), desc="templates", unit="book", leave=False, disable=None):
        template = make()
        path = template_path(template.file)
        if not path.exists():  # an installed package without the repository's workbooks/
            path = build_template(key, out / "workbooks", force=True)
        values = RecalcBook(path).calculate()
        expected = WORKED_EXAMPLES[key].outputs()
        agree = all(_same(values[name], value) for name, value in expected.items())
        shown = ", ".join(f"{name} {_fmt(values[name])}" for name in WORKED_EXAMPLES[key].key_outputs)
        click.echo(f"  {key} {'ok ' if agree else 'MISMATCH'} {template.title[5:]}: {shown}")
        if not agree:
            raise XlmarginError(f"{key}: the workbook disagrees with the core")
    with tqdm(total=3, desc="sample book review", leave=False, disable=None) as bar:
        result = evaluate(sample_book(), progress=lambda label: (bar.set_postfix_str(label), bar.update(1)))
    formats = ["html", "xlsx"]
    if _pdf_available():
        formats.append("pdf")
    else:
        click.echo("(no PDF: the system's pango library is missing; see README)", err=True)
    paths = write_report(result, out, formats=formats, force=force, name="sample_risk_report")
    click.echo("\nSample book review (built-in data):")
    table = result.accounts[["account", "settlement_asset", "equity", "maint_margin", "margin_ratio", "margin_call",
                             "max_loss_isolated", "max_loss_cross"]]
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 120):
        click.echo(table.to_string(index=False))
    for path in paths:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--accounts", type=click.Path(exists=True, dir_okay=False), help="Accounts CSV/Parquet (for a CSV/Parquet book).")
@click.option("--tiers", type=click.Path(exists=True, dir_okay=False), help="Tier tables CSV/Parquet (tier_set column).")
@click.option("--format", "formats", type=click.Choice(["html", "pdf", "xlsx"]), multiple=True, default=("html",),
              show_default=True, help="Output format (repeatable).")
@click.option("--out", "folder", type=click.Path(file_okay=False), default=".", show_default=True, help="Output folder.")
@click.option("--name", default="risk_report", show_default=True, help="Output file name without extension.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
def report(source: str, accounts: str | None, tiers: str | None, formats: tuple[str, ...], folder: str, name: str, force: bool) -> None:
    """Risk-review report of SOURCE: a filled risk_review.xlsx, a CSV/Parquet positions file, or a folder
    of Parquet files (reviewed on Dask). The input is never modified."""
    from .report import write_report
    from .review.evaluate import evaluate
    from .review import read_book

    source_path = Path(source)
    targets = [Path(folder) / f"{name}.{ext}" for ext in formats]
    if not force and any(t.exists() for t in targets):
        raise OutputExistsError(f"{', '.join(str(t) for t in targets if t.exists())} exists already; pass --force to overwrite")
    with tqdm(total=3, desc="review", leave=False, disable=None) as bar:
        if source_path.is_dir():
            result = _review_on_dask(source_path, accounts, tiers)
            bar.update(3)
        else:
            result = evaluate(read_book(source_path, accounts, tiers), progress=lambda label: (bar.set_postfix_str(label), bar.update(1)))
    for path in write_report(result, Path(folder), formats=formats, force=force, name=name):
        click.echo(f"wrote {path}")


def _review_on_dask(folder: Path, accounts: str | None, tiers: str | None):
    from .review.distributed import evaluate_parquet  # first: it says which extra is missing

    from dask.distributed import Client, LocalCluster

    from .core.tiers import TierTable
    from .review.reading import read_table

    if not accounts:
        raise XlmarginError("a Parquet folder needs --accounts")
    table = read_table(Path(accounts))
    tier_sets = {}
    if tiers:
        rows = read_table(Path(tiers))
        tier_sets = {n: TierTable.from_frame(r.reset_index(drop=True), meta={"name": n}) for n, r in rows.groupby("tier_set")}
    with LocalCluster(processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        return evaluate_parquet(folder, table, tier_sets, client=client)


@main.command()
@click.argument("name", required=False)
def tiers(name: str | None) -> None:
    """List the shipped tier tables, or show the one called NAME."""
    if name is None:
        for available in TierTable.available():
            table = TierTable.load(available)
            click.echo(f"{available:<32} {table.meta.get('contract', '')}, figures of {table.meta.get('figures_date', '?')}")
        return
    table = TierTable.load(name)
    for key, value in table.meta.items():
        click.echo(f"# {key}: {value}")
    with pd.option_context("display.float_format", "{:,.6g}".format):
        click.echo(table.to_frame().to_string(index=False))


@main.group()
def excel() -> None:
    """Set up the Excel functions in an xlwings runtime."""


@excel.command()
@click.argument("runtime", type=click.Choice(["com", "lite", "server"]))
@click.option("--write", "folder", type=click.Path(file_okay=False), help="Also write the runtime's files into FOLDER.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist in FOLDER.")
def setup(runtime: str, folder: str | None, force: bool) -> None:
    """Print the setup of RUNTIME: com (Windows add-in), lite (xlwings Lite) or server (xlwings Server)."""
    from .excel.runtimes import RUNTIMES, setup_text
    from .files import write_text_atomically

    click.echo(setup_text(runtime), nl=False)
    if folder:
        for filename, content in RUNTIMES[runtime].files.items():
            path = write_text_atomically(Path(folder) / filename, content, force=force)
            click.echo(f"wrote {path}")


@excel.command()
def reference() -> None:
    """Print the function reference (Markdown) that docs/excel.md contains."""
    from .excel.runtimes import reference_markdown

    click.echo(reference_markdown(), nl=False)


@main.command()
@click.option("--out", "folder", type=click.Path(file_okay=False), default="workbooks", show_default=True,
              help="Folder to write the templates into.")
@click.option("--force", is_flag=True, help="Overwrite templates that exist already.")
def templates(folder: str, force: bool) -> None:
    """Build the template workbooks (W1-W6 and the blank risk review) from code."""
    from .workbooks.templates import build_all

    for path in build_all(Path(folder), force=force):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Set a named input (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the recalculated copy here.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the named values as JSON.")
def recalc(workbook: str, assignments: tuple[str, ...], out: str | None, force: bool, as_json: bool) -> None:
    """Recalculate WORKBOOK headlessly with xlmargin's functions and print its named values.

    The input file is never modified.
    """
    import json

    from .workbooks.recalc import parse_assignment
    from .workbooks.recalc import recalc as run

    inputs = dict(parse_assignment(a) for a in assignments)
    values = run(workbook, inputs, out=out, force=force)
    if as_json:
        click.echo(json.dumps({"workbook": workbook, "inputs": inputs, "values": values, "out": out}, indent=2))
        return
    width = max(map(len, values), default=0)
    for name, value in values.items():
        click.echo(f"{name:<{width}}  {_fmt(value) if value is not None else ''}")
    if out:
        click.echo(f"wrote {out}")


def _pdf_available() -> bool:
    """True when weasyprint and the system libraries it loads are there."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _same(a: object, b: object) -> bool:
    if isinstance(b, float) and b != b:
        return a == "#N/A"
    if isinstance(b, bool) or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value != value:
        return "none (no liquidation price)"
    return f"{value:,.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
