"""A real HTTP server on 127.0.0.1 serving recorded exchange responses, for ccxt to talk to.

Each exchange has a folder ``responses/<exchange>/`` with ``routes.json``: a map from
``"GET /path"`` (optionally ``"GET /path?key=value"``: the request must carry those
query values) to what to answer::

    {"file": "positions.json"}                    a recorded body, status 200
    {"files": ["mark-1.json", "mark-2.json"]}     one after the other (the last repeats)
    {"status": 429, "file": "rate_limit.json"}    an error status with its body

A test may override routes for one scenario (``server.override(...)``). Every request
is recorded (``server.requests``) with its path, query and headers, so a test can check
what ccxt really sent. Nothing here touches any other address.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

RESPONSES = Path(__file__).parent / "responses"


class RecordedExchange:
    """Serve ``responses/<exchange>`` at ``self.url`` (``http://127.0.0.1:<port>``) until :meth:`close`."""

    def __init__(self, exchange: str):
        self.folder = RESPONSES / exchange
        self.routes = json.loads((self.folder / "routes.json").read_text(encoding="utf-8"))
        self.overrides: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.unrouted: list[str] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def override(self, route: str, answer: dict) -> None:
        self.overrides[route] = answer

    def answer(self, method: str, target: str, headers: dict) -> tuple[int, bytes]:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        with self._lock:
            self.requests.append({"method": method, "path": parts.path, "query": query, "headers": headers})
            key, answer = self._route(method, parts.path, query)
            if answer is None:
                self.unrouted.append(f"{method} {target}")
                return 404, b'{"error": "no recorded response for this request"}'
            files = answer.get("files") or [answer["file"]]
            turn = self._counts.get(key, 0)
            self._counts[key] = turn + 1
            body = (self.folder / files[min(turn, len(files) - 1)]).read_bytes()
        return int(answer.get("status", 200)), body

    def _route(self, method: str, path: str, query: dict):
        best = (None, None, -1)
        for table in (self.routes, self.overrides):  # overrides win over the recorded routes
            for key, answer in table.items():
                if key.startswith("#"):
                    continue
                verb, _, rest = key.partition(" ")
                want_path, _, want_query = rest.partition("?")
                wanted = dict(parse_qsl(want_query))
                if verb == method and want_path == path and all(query.get(k) == v for k, v in wanted.items()):
                    score = len(wanted) + (100 if table is self.overrides else 0)
                    if score > best[2]:
                        best = (key, answer, score)
        return best[0], best[1]

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)


def _handler(server: RecordedExchange):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, body = server.answer(self.command, self.path, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = do_PUT = _serve

        def log_message(self, *args):  # quiet: the tests read server.requests instead
            pass

    return Handler
