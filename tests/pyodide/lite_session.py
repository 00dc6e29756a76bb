"""What xlwings Lite does with xlmargin, run inside Pyodide by ``run.mjs``: install, then call.

1. micropip installs the requirements.txt of ``xlmargin excel setup lite`` (as wheels from the
   host: xlmargin's own, and its dependencies not in Pyodide) *with* their dependencies, which
   must already be there (Pyodide's numpy and pandas, loaded by run.mjs): micropip may not go
   to the network, so a dependency that Lite could not install fails here.
2. The Excel functions are called through xlwings' Office.js path
   (``xlwings.server.custom_functions_call``, awaited as the add-in awaits it), with the cell
   values the add-in sends, and the results returned as JSON for tests/test_pyodide.py to check.

Only functions at module level: pytest (``--doctest-modules``) imports this file in CPython too.
"""

import json
import os
import sys
import time


async def main(config_json: str) -> str:
    config = json.loads(config_json)
    timings = {}
    started = time.perf_counter()

    # before xlwings is imported: its decorators are chosen then (NOTES.md)
    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

    import micropip

    # a dependency not installed already would be looked up here, and fail at once
    micropip.set_index_urls(["http://127.0.0.1:9/{package_name}/"])
    for wheel in config["install"]:
        try:
            await micropip.install(f"emfs:{wheel}", deps=True)
        except Exception as exc:
            raise RuntimeError(f"micropip could not install {wheel} with what is installed: it looked up "
                               f"a dependency that Pyodide and the wheels given do not hold ({exc!r})") from exc
    installed = sorted(micropip.list())
    timings["micropip_install"] = time.perf_counter() - started

    started = time.perf_counter()
    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta

    import xlmargin
    from xlmargin.core.examples import WORKED_EXAMPLES
    from xlmargin.excel import udfs

    timings["import"] = time.perf_counter() - started

    started = time.perf_counter()
    results = []
    for call in config["calls"]:
        data = {"func_name": call["func"], "args": call["args"], "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4"}
        try:
            results.append({"value": await custom_functions_call(data, udfs)})
        except Exception as exc:  # what the add-in shows as #VALUE! with this message on hover
            results.append({"error": [c.__name__ for c in type(exc).__mro__], "message": str(exc)})
    timings["calls"] = time.perf_counter() - started

    try:
        import xlmargin.report  # noqa: F401  (its extra cannot be installed in Lite)
        report = None
    except ImportError as exc:
        report = {"type": type(exc).__name__, "message": str(exc)}

    return json.dumps({
        "python": sys.version,
        "platform": sys.platform,
        "installed": installed,
        "xlmargin_file": xlmargin.__file__,
        "decorators": xlwings.func.__module__,
        "functions": sorted(f["name"] for f in custom_functions_meta(udfs)["functions"]),
        "core": {key: example.outputs() for key, example in WORKED_EXAMPLES.items()},
        "results": results,
        "report_import": report,
        "timings": timings,
    }, default=float)
