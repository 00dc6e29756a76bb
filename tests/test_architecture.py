"""The package's shape: layers, public surface, docs that match the code."""

import ast
import pathlib
import subprocess
import sys

import pytest

import xlmargin

PACKAGE = pathlib.Path(xlmargin.__file__).parent

# Each layer and the layers it may import (besides itself). A module's layer is its first
# folder under xlmargin/ (or its own name for a top-level module).
MAY_IMPORT = {
    "errors": set(),
    "files": {"errors"},
    "core": {"errors"},
    "review": {"__init__", "core", "errors", "files"},
    "excel": {"__init__", "core", "review", "errors", "files", "live"},
    "workbooks": {"__init__", "core", "excel", "errors", "files"},
    "report": {"__init__", "review", "core", "errors", "files", "live"},
    "cli": {"__init__", "core", "review", "excel", "workbooks", "report", "errors", "files", "live"},
    "live": {"__init__", "core", "review", "errors", "files"},
    "__main__": {"cli"},
    "__init__": {"core", "errors"},
}
# third-party libraries of the layers above the core: importing the core (or the review, which
# reads files only when asked) must load none of them
# (pyarrow is not among them: pandas itself imports it where it is installed); the compiled kernel
# (numba, and the scipy it pulls in) loads on the first call that uses it, not on import
ABOVE_THE_CORE = ["xlwings", "openpyxl", "xlsxwriter", "formulas", "lxml", "click", "matplotlib", "jinja2",
                  "weasyprint", "dask", "distributed", "tqdm", "numba", "scipy", "ccxt"]


def layer_of(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def package_imports(path: pathlib.Path):
    """Every xlmargin layer a module imports, at the top or inside a function, absolute or relative."""
    tree = ast.parse(path.read_text())
    here = path.relative_to(PACKAGE).parent.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == "xlmargin"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module] if node.module.split(".")[0] == "xlmargin" else []
        elif isinstance(node, ast.ImportFrom):
            base = list(here[: len(here) - (node.level - 1)]) if node.level > 1 else list(here)
            if node.module:
                base += node.module.split(".")
            targets = [base] if node.module else [base + [a.name] for a in node.names]
            names = [".".join(["xlmargin", *t]) for t in targets]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 1:
                is_module = (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()
                yield parts[1] if is_module else "__init__"  # a name of the package face (__version__)


def test_every_module_imports_only_downward():
    wrong = []
    for path in modules():
        layer = layer_of(path)
        assert layer in MAY_IMPORT, f"{path} is in no known layer: add it to MAY_IMPORT"
        for target in set(package_imports(path)) - {layer} - MAY_IMPORT[layer]:
            wrong.append(f"{path.relative_to(PACKAGE)} ({layer}) imports {target}")
    assert not wrong


def test_the_layer_check_sees_relative_and_late_imports():
    """The checker itself: a function-level relative import of a higher layer is caught."""
    path = PACKAGE / "core" / "inputs.py"  # from ..errors import InputError
    assert "errors" in set(package_imports(path))
    cli = set(package_imports(PACKAGE / "cli.py"))
    assert {"core", "review", "workbooks", "report", "excel"} <= cli


@pytest.mark.parametrize("layer", ["xlmargin", "xlmargin.core", "xlmargin.review"])
def test_importing_the_core_loads_no_library_of_the_layers_above(layer):
    """In a fresh interpreter, every module of the layer imported: nothing above the core is loaded.

    Nor is the compiled kernel for a one-row call (it loads numba, and scipy with it, for large calls only).
    """
    code = (
        "import importlib, pkgutil, sys\n"
        f"package = importlib.import_module({layer!r})\n"
        f"for info in pkgutil.walk_packages(package.__path__ if {layer!r} != 'xlmargin' else [], package.__name__ + '.'):\n"
        "    if info.name != 'xlmargin.core.compiled':  # the optional kernel: numba by design, loaded late\n"
        "        importlib.import_module(info.name)\n"
        "import xlmargin as xm\n"
        "xm.isolated_liq_price('long', 10, 50_000, 50_000, mmr='binance_usdm_btcusdt')  # one tiered cell\n"
        f"print(sorted(m for m in {ABOVE_THE_CORE!r} if m in sys.modules))\n"
    )
    if layer == "xlmargin":  # the package face alone: no layer above is imported either
        code += "print(sorted(m for m in sys.modules if m.startswith('xlmargin.') and m.split('.')[1] not in ('core', 'errors')))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    if layer == "xlmargin":
        assert out[1] == "[]"


def test_public_surface_is_exactly_all():
    assert sorted(xlmargin.__all__) == sorted(
        [
            "__version__",
            "XlmarginError",
            "InputError",
            "TierTableError",
            "TierTableWarning",
            "ConvergenceWarning",
            "TierTable",
            "SizeScaledRate",
            "SCHEDULES",
            "RULES",
            "hyperliquid_mmr",
            "price_on_screen",
            "notional",
            "unrealized_pnl",
            "initial_margin",
            "maint_margin",
            "isolated_liq_price",
            "bankruptcy_price",
            "margin_for_liq_price",
            "funding_payment",
            "cross_equity",
            "cross_maint_margin",
            "cross_liq_price",
            "margin_ratio",
            "margin_call",
            "isolated_account_value",
            "cross_account_value",
            "max_position_size",
            "compare_margin_modes",
            "collateral_value",
            "explain_liq_price",
            "explain_cross_liq_price",
            "explain_maint_margin",
            "distance_to_liq",
            "margin_buffer",
            "return_on_equity",
            "exit_price_for_roe",
            "exit_price_for_pnl",
            "average_entry_price",
            "what_if",
            "break_even_price",
            "entry_ladder",
            "ladder_entries",
            "funding_drift",
            "funding_liq_interval",
            "removable_margin",
            "withdrawable_balance",
            "liq_price_after_removal",
        ]
    )
    for name in xlmargin.__all__:
        assert hasattr(xlmargin, name)


def test_every_public_function_documents_units_and_an_example():
    for name in xlmargin.core.FORMULAS:
        doc = getattr(xlmargin, name).__doc__
        assert "[" in doc and "Examples" in doc and ">>>" in doc, name


def test_formulas_doc_covers_every_public_function():
    text = (PACKAGE.parent / "docs" / "formulas.md").read_text()
    missing = [name for name in xlmargin.core.FORMULAS if f"`{name}`" not in text]
    assert not missing
