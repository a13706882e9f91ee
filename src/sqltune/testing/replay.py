"""A tiny HTTP server on 127.0.0.1 that answers recorded REST responses, for client libraries under test.

The real client (``google-cloud-bigquery``'s, pointed at it with ``client_options={"api_endpoint": ...}``) runs
unchanged: its requests, retries, paging and row decoding are the code a real project runs; only the server
is a recording. :class:`ReplayServer` answers each request with the first :class:`Route` whose method and
regular expression (searched in the path with its query string) match, and keeps every request it saw.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["ReplayServer", "Request", "Route"]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # searched in "path?query"
    body: Any  # the JSON answered
    status: int = 200


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    body: Any  # the JSON sent, or None


@dataclass
class ReplayServer:
    """Serve ``routes`` until :meth:`close` (or the end of a ``with`` block); :attr:`url` is its address."""

    routes: list[Route]
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads owner.requests
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                owner.requests.append(Request(self.command, self.path, json.loads(raw) if raw else None))
                route = next(
                    (r for r in owner.routes if r.method == self.command and re.search(r.pattern, self.path)), None
                )
                status, body = (
                    (route.status, route.body)
                    if route
                    else (404, {"error": {"code": 404, "message": f"no recording for {self.command} {self.path}"}})
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
