"""Where the Excel functions run: setup for each xlwings runtime, and the function reference.

The reference in docs/excel.md is :func:`reference_markdown`'s output (a test
keeps them equal), built from the same descriptions and argument help xlwings
sends to Excel.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from . import udfs

MODULE = "xlmargin.excel.udfs"

LITE_REQUIREMENTS = ("xlmargin",)
"""The lines of xlwings Lite's requirements.txt. micropip installs them with their dependencies
(numpy and pandas as Pyodide's own builds, xlwings from PyPI); tests/test_pyodide.py installs
exactly these in a real Pyodide and runs the functions there. Only ``pip install xlmargin``'s
base dependencies can go to Lite: its extras (the report's weasyprint above all) have no
Pyodide wheels."""


@dataclass(frozen=True)
class Runtime:
    key: str
    title: str
    licence: str
    names: str
    errors: str
    steps: tuple[str, ...]
    files: dict[str, str]


RUNTIMES = {
    r.key: r
    for r in [
        Runtime(
            key="com",
            title="Desktop Excel on Windows, through the xlwings add-in (COM)",
            licence="open source (BSD); no key needed",
            names="bare: =ISOLATED_LIQ_PRICE(...)",
            errors="bad input shows the text '#VALUE! <reason>' in the cell; no answer shows '#N/A <reason>'",
            steps=(
                'pip install xlmargin            (into the Python that Excel uses)',
                "xlwings addin install",
                f"In Excel: xlwings ribbon > UDF Modules: {MODULE}  "
                f"(or the line below in %USERPROFILE%\\.xlwings\\xlwings.conf)",
                "Save the workbook as .xlsm, then xlwings ribbon > Import Python UDFs",
            ),
            files={"xlwings.conf": f'"UDF Modules","{MODULE}"\n'},
        ),
        Runtime(
            key="lite",
            title="xlwings Lite (Excel on Windows, Mac and the web; Python runs in the browser)",
            licence="the xlwings Lite add-in is free, also for commercial use; no key needed",
            names="bare by default: =ISOLATED_LIQ_PRICE(...)",
            errors="bad input is #VALUE! with the reason on hover; no answer is a real #N/A",
            steps=(
                "Install the xlwings Lite add-in from the Office add-in store",
                "In its editor, put the requirements.txt and main.py below",
                "Click Restart; the functions appear in the workbook",
                "xlmargin brings numpy, pandas and xlwings; list no extra (xlmargin[...]): they cannot install in Lite",
                "numba is not available in Lite: xlmargin uses its numpy engine there (same numbers)",
            ),
            files={
                "requirements.txt": "".join(f"{line}\n" for line in LITE_REQUIREMENTS),
                "main.py": f"from {MODULE} import *  # noqa: F401,F403\n",
            },
        ),
        Runtime(
            key="server",
            title="xlwings Server (your own server behind the Office.js add-in)",
            licence=(
                "xlwings PRO: a commercial licence key, or XLWINGS_LICENSE_KEY=noncommercial "
                "for noncommercial use only"
            ),
            names="with the namespace configured in the add-in manifest, by default =XLWINGS.ISOLATED_LIQ_PRICE(...)",
            errors="bad input is #VALUE! with the reason on hover; no answer is a real #N/A",
            steps=(
                "pip install xlmargin   (in the server's environment)",
                "Set XLWINGS_LICENSE_KEY (your key, or 'noncommercial' for noncommercial use)",
                "Add the line below to the server's custom functions module",
                "Reload the add-in",
            ),
            files={"custom_functions.py": f"from {MODULE} import *  # noqa: F401,F403\n"},
        ),
    ]
}


def setup_text(key: str) -> str:
    """How to set up ``key`` ("com", "lite" or "server"), as plain text."""
    runtime = RUNTIMES[key]
    lines = [runtime.title, "", f"licence: {runtime.licence}", f"names:   {runtime.names}", f"errors:  {runtime.errors}", ""]
    lines += [f"{i}. {step}" for i, step in enumerate(runtime.steps, 1)]
    for filename, content in runtime.files.items():
        lines += ["", f"--- {filename}", content.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _syntax(udf) -> str:
    parts = [
        name if p.default is inspect.Parameter.empty else f"[{name}]"
        for name, p in inspect.signature(udf).parameters.items()
    ]
    return f"={udf.__name__}({', '.join(parts)})"


def reference_markdown() -> str:
    """The function reference of docs/excel.md, from the functions' own metadata."""
    out = []
    for name in udfs.__all__:
        udf = getattr(udfs, name)
        out += [f"### {name}", "", udf.__doc__, "", f"`{_syntax(udf)}`", "", "| argument | help | default |", "|---|---|---|"]
        for arg, p in inspect.signature(udf).parameters.items():
            default = "required" if p.default is inspect.Parameter.empty else ("empty" if p.default is None else f"`{p.default}`")
            out.append(f"| `{arg}` | {udfs.ARG_HELP[arg]} | {default} |")
        out.append("")
    return "\n".join(out)
