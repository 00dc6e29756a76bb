"""The ``xlmargin`` command line.

Every command turns xlmargin's errors into a one-line message on stderr and
a non-zero exit status; it never shows a traceback for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from . import __version__
from .errors import XlmarginError
from .examples import WORKED_EXAMPLES
from .tiers import TierTable


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
def demo() -> None:
    """Run the worked examples W1-W6 on built-in data and print their figures."""
    for example in WORKED_EXAMPLES.values():
        click.echo(f"\n{example.key}  {example.title}")
        click.echo(f"    {example.lesson}")
        inputs = ", ".join(f"{k}={v:g}" for k, v in example.inputs.items())
        click.echo(f"    inputs: {inputs}")
        for name, value in example.outputs().items():
            click.echo(f"    {name:<24} {_fmt(value)}")


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

    from .workbooks.recalc import parse_assignment, recalc as run

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


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value != value:
        return "none (no liquidation price)"
    return f"{value:,.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
