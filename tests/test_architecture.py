"""The package's shape: layers, public surface, docs that match the code."""

import ast
import pathlib
import subprocess
import sys

import xlmargin

PACKAGE = pathlib.Path(xlmargin.__file__).parent
CORE = ["__init__.py", "errors.py", "_inputs.py", "_solver.py", "tiers.py", "margin.py", "examples.py", "book.py", "risk.py", "rules.py"]
EXCEL_AND_FILES = {"xlwings", "openpyxl", "xlsxwriter", "formulas", "click", "matplotlib"}


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_core_imports_nothing_of_excel_files_or_the_cli():
    for name in CORE:
        assert not set(imported_modules(PACKAGE / name)) & EXCEL_AND_FILES, name


def test_core_never_imports_the_layers_above_it():
    for name in CORE:
        tree = ast.parse((PACKAGE / name).read_text())
        relative = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
        assert not [m for m in relative if m.split(".")[0] in ("excel", "cli", "files")], name


def test_importing_the_core_loads_no_excel_library():
    code = "import sys, xlmargin; print(sorted(m for m in %r if m in sys.modules))" % sorted(EXCEL_AND_FILES)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_surface_is_exactly_all():
    assert sorted(xlmargin.__all__) == sorted(
        [
            "__version__",
            "XlmarginError",
            "InputError",
            "TierTableError",
            "TierTableWarning",
            "TierTable",
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
        ]
    )
    for name in xlmargin.__all__:
        assert hasattr(xlmargin, name)


def test_every_public_function_documents_units_and_an_example():
    for name in xlmargin.margin.__all__:
        doc = getattr(xlmargin, name).__doc__
        assert "[" in doc and "Examples" in doc and ">>>" in doc, name


def test_formulas_doc_covers_every_public_function():
    text = (PACKAGE.parent / "docs" / "formulas.md").read_text()
    missing = [name for name in xlmargin.margin.__all__ if f"`{name}`" not in text]
    assert not missing
