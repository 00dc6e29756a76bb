"""The ``xlmargin`` command line.

Every command turns xlmargin's errors into a one-line message on stderr and
a non-zero exit status; it never shows a traceback. Exit status: 0 success,
1 the work failed ("xlmargin: failed: ..."), 2 bad input ("xlmargin: bad
input: ...", and click's own usage errors), 130/143 interrupted (Ctrl-C/SIGTERM).
A command whose extra is not installed says which one (``pip install 'xlmargin[report]'``);
without the ``cli`` extra itself, the ``xlmargin`` command (:mod:`xlmargin.__main__`) says so.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .core.examples import WORKED_EXAMPLES
from .core.tiers import TierTable
from .errors import FailedError, Interrupted, XlmarginError, require_extra
from .files import OutputExistsError

require_extra("the command line", "cli", ("click", "tqdm"))

import click  # noqa: E402  (after the check of the extra)
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2
EPILOG = """Exit status: 0 success; 1 the work failed ("xlmargin: failed: ...", e.g. a
read-only output folder or no pango for a PDF); 2 bad input ("xlmargin: bad input: ...",
e.g. a book with a bad cell, an unknown --set name, an output that exists without --force,
or a usage error); 130 or 143 interrupted by Ctrl-C or SIGTERM (no partial outputs are left)."""


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except FailedError as exc:
            _fail(EXIT_FAILED, f"failed: {exc}")
        except XlmarginError as exc:
            problems = getattr(exc, "problems", None)  # a book with one problem: that problem, on one line
            _fail(EXIT_BAD_INPUT, f"bad input: {problems[0] if problems and len(problems) == 1 else exc}")
        except Interrupted as exc:
            _fail(128 + exc.signal_number, "interrupted; no partial outputs were left")
        except KeyboardInterrupt:
            _fail(130, "interrupted; no partial outputs were left")
        except Exception as exc:  # a bug: still one line, and the kind of error to report
            _fail(EXIT_FAILED, f"failed: internal error {type(exc).__name__}: {exc} (please report it)")


def _fail(code: int, message: str) -> None:
    lines = str(message).splitlines() or [""]
    click.echo(f"xlmargin: {lines[0]}", err=True)
    for line in lines[1:]:  # a book's list of problems: one per line under the first
        click.echo(line, err=True)
    sys.exit(code)


@contextlib.contextmanager
def _step(label: str):
    """Show ``label`` and its time on a terminal (stderr) when the step takes more than a second."""
    if not _stderr_is_terminal():
        yield
        return
    start, shown = time.monotonic(), threading.Event()
    timer = threading.Timer(1.0, lambda: (shown.set(), click.echo(f"{label} ...", err=True, nl=False)))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            click.echo(f" {time.monotonic() - start:.1f} s", err=True)


class _Stages:
    """A :func:`_step` per stage of a longer piece of work: each label given ends the step of the one before."""

    def __init__(self, prefix: str):
        self.prefix, self._step = prefix, None

    def __call__(self, label: str) -> None:
        self.close()
        self._step = _step(f"{self.prefix}{label}")
        self._step.__enter__()

    def close(self) -> None:
        if self._step is not None:
            self._step.__exit__(None, None, None)
            self._step = None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()  # (click.get_text_stream is deprecated from click 8.5)
    except (AttributeError, ValueError):
        return False


@click.group(cls=_Group, epilog=EPILOG)
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
        if key not in WORKED_EXAMPLES:  # the what-if and entry-ladder workbooks are tested, not a worked example
            continue
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


def _file_stem(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``--name``: a plain file name without extension, so that outputs stay in ``--out``."""
    if not value.strip() or value in (".", "..") or any(sep in value for sep in ("/", "\\", "\0")) or value != value.strip():
        raise click.BadParameter(f"{value!r} is not a plain file name (no folders, not empty, not '.' or '..')")
    return value


@main.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--accounts", type=click.Path(exists=True, dir_okay=False), help="Accounts CSV/Parquet (for a CSV/Parquet book).")
@click.option("--tiers", type=click.Path(exists=True, dir_okay=False), help="Tier tables CSV/Parquet (tier_set column).")
@click.option("--format", "formats", type=click.Choice(["html", "pdf", "xlsx"]), multiple=True, default=("html",),
              show_default=True, help="Output format (repeatable); several are written all or nothing.")
@click.option("--out", "folder", type=click.Path(file_okay=False), default=".", show_default=True, help="Output folder.")
@click.option("--name", default="risk_report", show_default=True, callback=_file_stem,
              help="Output file name without extension (no folders).")
@click.option("--force", is_flag=True, help="Overwrite existing outputs (never an input file).")
def report(source: str, accounts: str | None, tiers: str | None, formats: tuple[str, ...], folder: str, name: str, force: bool) -> None:
    """Risk-review report of SOURCE: a filled risk_review.xlsx, a CSV/Parquet positions file, or a folder
    of Parquet files (reviewed on Dask). The input is never modified."""
    from .report import check_pdf_available, write_report
    from .review.evaluate import evaluate
    from .review import read_book

    source_path = Path(source)
    targets = [Path(folder) / f"{name}.{ext}" for ext in formats]
    _refuse_inputs_as_outputs(targets, [source, accounts, tiers])
    if not force and any(t.exists() for t in targets):
        raise OutputExistsError(f"{', '.join(str(t) for t in targets if t.exists())} exists already; pass --force to overwrite")
    if "pdf" in formats:
        check_pdf_available()  # before the review: a missing pango library fails in a second, not after it
    with tqdm(total=3, desc="review", leave=False, disable=None) as bar:
        if source_path.is_dir():
            result = _review_on_dask(source_path, accounts, tiers)
            bar.update(3)
        else:
            result = evaluate(read_book(source_path, accounts, tiers), progress=lambda label: (bar.set_postfix_str(label), bar.update(1)))
    stages = _Stages("writing ")  # each stage of the writing (a format, an XLSX sheet) shown with its time when slow
    try:
        paths = write_report(result, Path(folder), formats=formats, force=force, name=name, progress=stages)
    finally:
        stages.close()
    for path in paths:
        click.echo(f"wrote {path}")


def _refuse_inputs_as_outputs(targets: list[Path], inputs: list[str | None]) -> None:
    """No output may be an input file, whatever --force says (paths compared resolved)."""
    given = {Path(i).resolve(): i for i in inputs if i}
    for target in targets:
        if target.resolve() in given:
            raise XlmarginError(f"the output {target} is the input {given[target.resolve()]}; an input is never "
                                "overwritten, even with --force (choose another --name or --out)")


def _review_on_dask(folder: Path, accounts: str | None, tiers: str | None):
    from .review.distributed import evaluate_parquet, local_cluster  # first: it says which extra is missing

    from dask.distributed import Client

    from .core.tiers import TierTable
    from .review.reading import check_parquet_folder, read_table

    if not accounts:
        raise XlmarginError("a Parquet folder needs --accounts")
    check_parquet_folder(folder)
    table = read_table(Path(accounts))
    tier_sets = {}
    if tiers:
        rows = read_table(Path(tiers))
        tier_sets = {n: TierTable.from_frame(r.reset_index(drop=True), meta={"name": n}) for n, r in rows.groupby("tier_set")}
    # quiet: a successful run prints nothing of distributed's own (its start-up and shut-down WARNINGs)
    with local_cluster() as cluster, Client(cluster) as client:
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
    frame = table.to_frame()
    click.echo(frame.to_string(index=False, formatters={c: _full for c in frame.columns if frame[c].dtype.kind == "f"}))


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
    from .files import write_all_atomically

    click.echo(setup_text(runtime), nl=False)
    if folder:  # all the runtime's files or none
        files = {Path(folder) / filename: _text_writer(content) for filename, content in RUNTIMES[runtime].files.items()}
        for path in write_all_atomically(files, force=force):
            click.echo(f"wrote {path}")


def _text_writer(text: str):
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


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
    values = run(workbook, inputs, out=out, force=force, step=_step)
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


def _full(value: float) -> str:
    """A number at full precision: 14481450 as 14,481,450, 0.004 as 0.004 (the shortest exact form)."""
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else repr(value)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value != value:
        return "none (no liquidation price)"
    return f"{value:,.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


@main.command()
@click.option("--exchange", required=True, help="ccxt's exchange id: binanceusdm, binancecoinm, bybit, okx, gate, ...")
@click.option("--out", "folder", type=click.Path(file_okay=False), default="book", show_default=True,
              help="Folder for positions.csv, accounts.csv and tiers.csv (written all or none).")
@click.option("--account", help="The account's name in the book (default: the exchange id).")
@click.option("--symbol", "symbols", multiple=True, help="Only this ccxt symbol, e.g. BTC/USDT:USDT (repeatable).")
@click.option("--api-url", envvar="XLMARGIN_EXCHANGE_URL", help="Send the requests to this address instead (a proxy; "
              "the tests' local server). Also the XLMARGIN_EXCHANGE_URL environment variable.")
@click.option("--force", is_flag=True, help="Overwrite the files of an earlier fetch.")
def fetch(exchange: str, folder: str, account: str | None, symbols: tuple[str, ...], api_url: str | None, force: bool) -> None:
    """Read an account's book from an exchange (needs xlmargin[live]) and reconcile its liquidation prices.

    API keys come from XLMARGIN_<EXCHANGE>_API_KEY / _SECRET / _PASSWORD or a keyring (docs/live.md).
    """
    from .live import fetch_book
    from .live.reconcile import reconcile, summary_lines

    live = fetch_book(exchange, account=account, symbols=list(symbols) or None, api_url=api_url)
    written = live.write(folder, force=force)
    for line in [*live.notes, *summary_lines(reconcile(live))]:
        click.echo(line)
    click.echo(f"wrote {', '.join(str(p) for p in written)}")
    click.echo(f"review it: xlmargin report {written[0]} --accounts {written[1]} --tiers {written[2]}")
