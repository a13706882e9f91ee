"""A tiny HTTP server on 127.0.0.1 that answers recorded REST responses, for client libraries under test.

The real client (``google-cloud-bigquery``'s, pointed at it with ``client_options={"api_endpoint": ...}``) runs
unchanged: its requests, retries, paging and row decoding are the code a real project runs; only the server
is a recording. :class:`ReplayServer` answers each request with the first :class:`Route` whose method and
regular expression (searched in the path with its query string) match, and keeps every request it saw.

A route's body may be a function of the request, for answers that depend on what was sent:
:class:`QueryJobs` answers BigQuery query jobs with the recorded results of the statement each job runs
(the client names its jobs itself, so only the statement tells which recording is meant).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["QueryJobs", "ReplayServer", "Request", "Route"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    body: Any  # the JSON sent, the text of anything else, or None


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # searched in "path?query"
    body: Any  # the JSON answered, or a function of the Request returning (status, JSON)
    status: int = 200


@dataclass
class QueryJobs:
    """BigQuery query jobs (``jobs.insert``, then ``jobs.getQueryResults`` and ``jobs.get`` of the job): each
    job is answered with the recorded ``getQueryResults`` pages of the first ``results`` pattern found in its
    query configuration (the statement and its parameters, as the JSON the client sent), or with a recorded
    error ``(status, body)``. ``job`` is the recorded ``jobs.insert`` response; its job reference and statement
    become the request's. Pages follow each other by their ``pageToken``; the client's first request, which
    waits for the job (``maxResults=0``), gets the first page without its rows. A job matching nothing is a 404
    naming its statement.
    """

    job: Mapping[str, Any]
    results: Mapping[str, Any]  # regex -> a getQueryResults page, a list of pages, or (status, error JSON)
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)  # job id -> (statement, query configuration)

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/projects/[^/]+/jobs\?", self._insert),
            Route("GET", r"/projects/[^/]+/queries/[^/?]+", self._results),
            Route("GET", r"/projects/[^/]+/jobs/[^/?]+", self._get),
        ]

    def _answer(self, job_id: str) -> Any:
        configuration = self.sent.get(job_id, ("", ""))[1]
        return next(
            (answer for pattern, answer in self.results.items() if re.search(pattern, configuration, re.DOTALL)),
            None,
        )

    def _resource(self, job_id: str, reference: Mapping[str, Any] | None = None) -> dict[str, Any]:
        resource = copy.deepcopy(dict(self.job))
        resource["jobReference"] = {**resource.get("jobReference", {}), **(reference or {}), "jobId": job_id}
        resource.setdefault("configuration", {}).setdefault("query", {})["query"] = self.sent[job_id][0]
        return resource

    def _insert(self, request: Request) -> tuple[int, Any]:
        reference = (request.body or {}).get("jobReference", {})
        query = (request.body or {}).get("configuration", {}).get("query", {})
        job_id = str(reference.get("jobId", ""))
        self.sent[job_id] = (str(query.get("query", "")), json.dumps(query, sort_keys=True))
        answer = self._answer(job_id)
        if answer is None:
            message = f"no recording for the statement {str(query.get('query', ''))[:300]!r}"
            return 404, {"error": {"code": 404, "message": message}}
        if isinstance(answer, tuple):
            return answer[0], answer[1]
        return 200, self._resource(job_id, reference)

    def _job_id(self, request: Request) -> str:
        return request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]

    def _get(self, request: Request) -> tuple[int, Any]:
        job_id = self._job_id(request)
        if job_id not in self.sent:
            return 404, {"error": {"code": 404, "message": f"Not found: Job {job_id}"}}
        return 200, self._resource(job_id)

    def _results(self, request: Request) -> tuple[int, Any]:
        job_id = self._job_id(request)
        answer = self._answer(job_id)
        if answer is None:
            return 404, {"error": {"code": 404, "message": f"Not found: Job {job_id}"}}
        if isinstance(answer, tuple):
            return answer[0], answer[1]
        pages = list(answer) if isinstance(answer, list) else [answer]
        token = re.search(r"[?&]pageToken=([^&]+)", request.path)
        index = 0
        if token:
            wanted = urllib.parse.unquote(token[1])
            index = next((i + 1 for i, page in enumerate(pages) if page.get("pageToken") == wanted), len(pages))
        if index >= len(pages):
            return 400, {"error": {"code": 400, "message": "Invalid page token"}}
        body = copy.deepcopy(pages[index])
        body["jobReference"] = {**body.get("jobReference", {}), "jobId": job_id}
        if "maxResults=0" in request.path:  # the client waiting for the job: no rows yet
            body.pop("rows", None)
            body.pop("pageToken", None)
        return 200, body


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
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:  # a form (an OAuth token request), not JSON
                    body = raw.decode("utf-8", "replace")
                request = Request(self.command, self.path, body)
                owner.requests.append(request)
                route = next(
                    (r for r in owner.routes if r.method == self.command and re.search(r.pattern, self.path)), None
                )
                if route is None:
                    status, body = (
                        404,
                        {"error": {"code": 404, "message": f"no recording for {self.command} {self.path}"}},
                    )
                elif callable(route.body):
                    status, body = route.body(request)
                else:
                    status, body = route.status, route.body
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
