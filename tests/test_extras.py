"""What ``pip install xlmargin`` gives without extras, and what each missing extra says.

The base install is numpy, pandas and xlwings: the core and the Excel functions, and all that
xlwings Lite can install (tests/test_pyodide.py runs them there). Every other layer is an extra;
used without it, it raises :class:`~xlmargin.errors.MissingExtraError` naming the extra, and the
command line prints that as one line. "Without it" is a fresh interpreter whose path finder
refuses the extras' libraries, as if they were not installed.
"""

import ast
import pathlib
import subprocess
import sys
import textwrap
import tomllib

import pytest
from packaging.requirements import Requirement

import xlmargin

ROOT = pathlib.Path(__file__).parents[1]
PACKAGE = pathlib.Path(xlmargin.__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# every library of an extra (and what they bring that xlmargin imports itself)
EXTRA_LIBRARIES = ["weasyprint", "matplotlib", "numba", "formulas", "schedula", "xlsxwriter", "openpyxl", "lxml",
                   "dask", "distributed", "pyarrow", "isal", "jinja2", "markupsafe", "click", "tqdm", "scipy", "ccxt"]


def blocking(libraries) -> str:
    """Python source that makes ``libraries`` (top-level names) impossible to find, as if not installed."""
    return textwrap.dedent(f"""
        import importlib.machinery, os, sys
        os.environ["XLWINGS_ON_SERVER"] = "true"
        os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
        BLOCKED = {sorted(libraries)!r}

        class NotInstalled(importlib.machinery.PathFinder):
            @classmethod
            def find_spec(cls, name, path=None, target=None):
                if name.partition(".")[0] in BLOCKED:
                    return None
                return importlib.machinery.PathFinder.find_spec(name, path, target)

        sys.meta_path = [NotInstalled if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
    """)


def run_python(code: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


BASE_ONLY = blocking(EXTRA_LIBRARIES) + textwrap.dedent("""
    import asyncio, importlib, json, tempfile, pathlib
    import xlmargin as xm
    import xlwings
    from xlwings.server import custom_functions_call
    from xlmargin.excel import udfs
    from xlmargin.errors import MissingExtraError

    out = {"liq": xm.isolated_liq_price("long", 10, 50_000, 50_000, mmr="binance_usdm_btcusdt")}
    data = {"func_name": "ISOLATED_LIQ_PRICE", "args": [[["long"]], [[0.1]], [[50_000]], [[100]]],
            "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}
    out["udf"] = asyncio.run(custom_functions_call(data, udfs))
    out["decorators"] = xlwings.func.__module__

    def failure(action):
        try:
            action()
        except MissingExtraError as exc:
            return str(exc)
        return None

    for module in ["xlmargin.report", "xlmargin.workbooks.engine", "xlmargin.workbooks.templates",
                   "xlmargin.workbooks.recalc", "xlmargin.review.distributed", "xlmargin.core.compiled", "xlmargin.cli"]:
        out[module] = failure(lambda: importlib.import_module(module))
    out["numba engine"] = failure(lambda: xm.core.solver.use_engine("numba").__enter__())
    from xlmargin.review import read_book, sample_book, evaluate
    folder = pathlib.Path(tempfile.mkdtemp())
    for suffix in ("xlsx", "parquet"):
        (folder / f"book.{suffix}").write_bytes(b"")
        out[f"read {suffix}"] = failure(lambda: read_book(folder / f"book.{suffix}"))
    out["review"] = len(evaluate(sample_book()).accounts)  # the review itself is base: numpy and pandas
    out["loaded"] = sorted(m for m in __import__("sys").modules if m.partition(".")[0] in BLOCKED)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def base_only():
    import json

    result = run_python(BASE_ONLY)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_base_dependencies_are_the_core_and_the_excel_functions_only():
    assert sorted(Requirement(r).name for r in PYPROJECT["dependencies"]) == ["numpy", "pandas", "xlwings"]


def test_dev_installs_every_extra():
    extras = PYPROJECT["optional-dependencies"]
    assert Requirement(extras["all"][0]).extras == set(extras) - {"all", "dev"}
    assert "xlmargin[all]" in extras["dev"]


def test_without_extras_the_core_and_the_excel_functions_compute(base_only):
    import xlmargin as xm

    assert base_only["liq"] == pytest.approx(xm.isolated_liq_price("long", 10, 50_000, 50_000, mmr="binance_usdm_btcusdt"))
    assert base_only["udf"] == [[pytest.approx(xm.isolated_liq_price("long", 0.1, 50_000, 100))]]
    assert base_only["decorators"].startswith("xlwings.pro")  # the Office.js path, as in Lite and Server
    assert base_only["review"] > 0
    assert base_only["loaded"] == []


@pytest.mark.parametrize(
    "what, part, extra",
    [
        ("xlmargin.report", "the report", "report"),
        ("xlmargin.workbooks.engine", "the template workbooks", "templates"),
        ("xlmargin.workbooks.templates", "the template workbooks", "templates"),
        ("xlmargin.workbooks.recalc", "the template workbooks", "templates"),
        ("xlmargin.review.distributed", "the review on Dask", "dask"),
        ("xlmargin.core.compiled", "the compiled kernel", "fast"),
        ("numba engine", "the compiled kernel", "fast"),
        ("xlmargin.cli", "the command line", "cli"),
        ("read xlsx", "reading a risk_review.xlsx", "report"),
        ("read parquet", "reading Parquet", "parquet"),
    ],
)
def test_each_optional_layer_without_its_extra_names_the_extra(base_only, what, part, extra):
    message = base_only[what]
    assert message is not None, f"{what} did not raise MissingExtraError"
    assert message.startswith(f"{part} needs xlmargin[{extra}] (")
    assert message.endswith(f"is not installed): pip install 'xlmargin[{extra}]'")


LAUNCH = "import runpy, sys; sys.argv = ['xlmargin', *sys.argv[1:]]; runpy.run_module('xlmargin', run_name='__main__')"


def test_the_command_without_the_cli_extra_says_so_in_one_line():
    result = run_python(blocking(["click", "tqdm"]) + LAUNCH, "--version")
    assert result.returncode == 1
    assert result.stderr == "xlmargin: failed: the command line needs xlmargin[cli] (click is not installed): pip install 'xlmargin[cli]'\n"


def test_a_command_without_its_extra_says_which_in_one_line(tmp_path):
    report = ["jinja2", "matplotlib", "weasyprint", "xlsxwriter", "openpyxl"]
    result = run_python(blocking(report) + LAUNCH, "demo", "--out", str(tmp_path / "demo"))
    assert result.returncode == 1
    assert result.stderr == "xlmargin: failed: the report needs xlmargin[report] (jinja2 is not installed): pip install 'xlmargin[report]'\n"
    # and a command needing no extra but cli still works
    result = run_python(blocking(report) + LAUNCH, "excel", "setup", "lite")
    assert result.returncode == 0 and "requirements.txt" in result.stdout


def declared_extras():
    """(file, extra, library) of every require_extra(...) and MissingExtraError(...) in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("require_extra", "MissingExtraError"):
                if path.name == "errors.py":  # where they are defined, with variables
                    continue
                args = [ast.literal_eval(a) for a in node.args]
                libraries = args[2] if isinstance(args[2], tuple) else (args[2],)
                for library in libraries:
                    yield path.relative_to(PACKAGE).as_posix(), args[1], library


def test_every_library_a_layer_checks_is_in_the_extra_it_names():
    extras = {name: {Requirement(r).name for r in reqs} for name, reqs in PYPROJECT["optional-dependencies"].items()}
    found = list(declared_extras())
    assert {extra for _, extra, _ in found} >= {"cli", "templates", "report", "parquet", "dask", "fast"}
    wrong = [f"{file}: {library} is not in xlmargin[{extra}]" for file, extra, library in found
             if library not in extras.get(extra, ())]
    assert not wrong
