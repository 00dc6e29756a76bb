// Runs tests/pyodide/lite_session.py in a real Pyodide under Node.js, the way xlwings Lite does in the
// browser: Pyodide's own numpy/pandas wheels loaded from local files, the rest installed by micropip,
// the session's coroutine awaited on Pyodide's event loop (no asyncio.run, so no JSPI flag needed).
//
//   node run.mjs CONFIG.json      (written by tests/test_pyodide.py)
//
// CONFIG: {"indexURL": core folder, "load": [wheel paths], "mount": host folder, "session": .py path, ...}
// The host folder is mounted at the same path inside Pyodide (NODEFS), so paths mean the same there.
// Prints "RESULT <json>" (lite_session.main's answer, as Python wrote it: NaN stays NaN) and
// "TIMINGS <json>" (seconds per stage).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { loadPyodide } = await import(pathToFileURL(path.join(config.indexURL, "pyodide.mjs")).href);

const timings = {};
let t = Date.now();
const lap = (name) => { timings[name] = (Date.now() - t) / 1000; t = Date.now(); };

const pyodide = await loadPyodide({ indexURL: config.indexURL + path.sep, stdout: (s) => console.error(s), stderr: (s) => console.error(s) });
lap("start_pyodide");
await pyodide.loadPackage(config.load, { messageCallback: (m) => console.error(m), errorCallback: (m) => console.error(m) });
lap("load_pyodide_wheels");

pyodide.FS.mkdirTree(config.mount);
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: config.mount }, config.mount);

const session = pyodide.pyimport("runpy").run_path(config.session);
const result = await session.get("main")(JSON.stringify(config));
lap("session");
console.log("RESULT " + result);
console.log("TIMINGS " + JSON.stringify(timings));
