"""The read-only BigQuery connection: how statements are sent, how one is opened.

BigQuery has no read-only session; as for Snowflake, read-only is this module's discipline:

- every statement is composed by sqltune and is a ``SELECT`` (with or without ``WITH``), checked before it is
  sent (:func:`check_read_only`); values travel as query parameters;
- every job is capped: ``maximum_bytes_billed`` (BigQuery fails the job rather than bill more), a server-side
  ``job_timeout_ms`` and the client's ``timeout`` on each call; :meth:`BigQueryConnection.dry_run` says what
  a statement would process without running it;
- every job is labelled ``sqltune`` (:data:`LABEL`), so that the workload leaves sqltune's own jobs out;
- errors are :class:`~sqltune.connectors.errors.DatabaseError` subclasses with one-line messages, not chained
  (a transport error can carry request details); ``repr()`` shows the project and location only, never the
  credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import google.auth as google_auth
from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors
from google.cloud import bigquery

from sqltune.connectors.bigquery.jobs import JOBS_HINT, denied, read_workload
from sqltune.connectors.bigquery.layout import load_schema, sample_sql, table_jobs_sql
from sqltune.connectors.errors import ConnectionError, QueryError, QueryTimeout, WorkloadUnavailable
from sqltune.connectors.lifecycle import Closing
from sqltune.core.source import InputProblem
from sqltune.layout.model import Measured
from sqltune.schema import Schema
from sqltune.workload.model import Execution

__all__ = ["LABEL", "BigQueryConnection", "check_read_only", "connect", "connect_url"]

#: Label on every job sqltune runs: ``sqltune: sqltune``.
LABEL = "sqltune"
#: Bytes a job may bill before BigQuery fails it (10 GiB, about 0.06 USD on demand).
MAXIMUM_BYTES_BILLED = 10 * 2**30
_READ_ONLY = re.compile(r"^\s*(?:SELECT|WITH)\b", re.IGNORECASE)


def check_read_only(sql: str) -> None:
    """Refuse to send anything but a query (a programming error: every statement is composed here)."""
    if not _READ_ONLY.match(sql):
        raise AssertionError(f"sqltune's BigQuery connector only reads; refusing to send: {sql[:60]!r}")


class BigQueryConnection(Closing):
    """A connection opened by :func:`connect`; use it as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        client: Any,
        *,
        timeout_s: float,
        maximum_bytes_billed: int,
        location: str | None,
        owned: bool,
        dataset: str | None = None,
    ) -> None:
        self._client = client
        #: The dataset a URL named (``bigquery://project/dataset``): the layout advisor's default.
        self.dataset = dataset
        self._timeout_s = timeout_s
        self._maximum_bytes_billed = maximum_bytes_billed
        self._location = location
        self._owned = owned
        # The client retries transient errors for up to 10 minutes by default: no longer than the timeout here.
        self._retry = bigquery.DEFAULT_RETRY.with_deadline(timeout_s).with_timeout(timeout_s)
        self._rows_of: dict[str, float] = {}  # table -> rows, from the last schema(): the sample's percent

    def close(self) -> None:
        if self._owned:
            self._client.close()

    @property
    def project(self) -> str:
        return str(self._client.project)

    def __repr__(self) -> str:
        return f"<BigQueryConnection project={self.project}" + (
            f" location={self._location}>" if self._location else ">"
        )

    # -- the workload ---------------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        return "bigquery"

    def read_workload(self, source: str = "jobs", **options: Any) -> Iterator[Execution | InputProblem]:
        """The workload for :class:`sqltune.Workload`: one execution per normalized-literals hash and hour,
        counted and summed in BigQuery (the SQL is in ``docs/workload.md``).

        Options (see :func:`~sqltune.connectors.bigquery.jobs.read_workload`): ``days=30``,
        ``region="region-us"``, ``view="JOBS"`` (``JOBS_BY_USER`` needs no project-wide grant),
        ``bucket="hour"`` (or ``"day"``), ``time="elapsed"`` (or ``"slot"``: the slot time consumed). Each
        execution carries calls, total and slowest time, bytes processed, the first and last run, and ids
        ``query_parameterized_hash`` (the normalized-literals hash), ``job_id`` (the first and latest job of
        the hour) and ``referenced_table`` (``project.dataset.table``). Only successful query jobs count, and
        never sqltune's own (labelled ``sqltune``).
        """
        if source != "jobs":
            raise ValueError(f"unknown BigQuery workload source {source!r}; expected 'jobs'")
        return read_workload(self._rows, LABEL, **options)

    def describe_workload(self, source: str = "jobs", days: int = 30, **options: Any) -> str:
        region = options.get("region", "region-us")
        return f"bigquery:{self.project} `{region}`.INFORMATION_SCHEMA.{options.get('view', 'JOBS')} last {days} days"

    # -- the layout advisor's port (sqltune.layout.ports.JobUsageConnection; dialect is above) -----------
    @property
    def region(self) -> str:
        """The INFORMATION_SCHEMA region of the connection's location (``US`` -> ``region-us``)."""
        return f"region-{self._location.lower()}" if self._location else "region-us"

    def schema(self, schemas: Iterable[str] | None = None) -> Schema:
        """The base tables of the datasets ``schemas`` (of the connection's project) with their columns and
        types, rows and logical bytes (``TABLE_STORAGE`` of :attr:`region`), partitioning expression and
        clustering columns (as indexes of method ``partition`` and ``clustering``); see
        :mod:`~sqltune.connectors.bigquery.layout`."""
        found = load_schema(self._rows, self.project, schemas or (), self.region)
        self._rows_of.update({t.qualified_name: t.stats.rows for t in found if t.stats and t.stats.rows})
        return found

    def layout_sample(self, table: str, columns: Sequence[str], rows: int) -> dict[str, list[Any]]:
        """About ``rows`` rows of ``table`` (``project.dataset.table``): ``TABLESAMPLE SYSTEM`` reads, and bills,
        only the sampled blocks; rows come in no particular order."""
        total = self._rows_of.get(table)
        percent = 100.0 if not total else min(100.0, 100.0 * rows / total * 1.1)
        fetched = self._rows(sample_sql(table, columns, percent, max(1, 2 * rows)), {})
        return {column: [row.get(column.lower()) for row in fetched] for column in columns}

    def layout_facts(self, table: str) -> dict[str, Any]:
        """Nothing beyond the schema: partitioning and clustering are read with it."""
        return {}

    def measure_layout(
        self,
        table: str,
        queries: Sequence[tuple[str, str]],
        ddl: Sequence[str],
        order_by: Sequence[str] = (),
        *,
        timeout_s: float = 300,
    ) -> list[Measured]:
        """Not on BigQuery: this connector never writes (a partitioned copy is billed storage and a full scan)."""
        return []

    def table_jobs(self, table: str, days: int = 30, view: str = "JOBS") -> list[dict[str, Any]]:
        """Per template (the normalized-literals hash, or the job id of a job without one): calls, bytes
        processed and billed, and slot time of the jobs of the last ``days`` days that read ``table``
        (``project.dataset.table``), from ``INFORMATION_SCHEMA.JOBS`` of :attr:`region`. Never sqltune's jobs.
        A role without ``bigquery.jobs.listAll`` gets :class:`~sqltune.connectors.WorkloadUnavailable`."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 180:
            raise ValueError(f"days must be a whole number from 1 to 180; got {days!r}")
        project, dataset, name = _parts(table)
        parameters = {
            "days": ("INT64", days),
            "label": ("STRING", LABEL),
            "project": ("STRING", project),
            "dataset": ("STRING", dataset),
            "table": ("STRING", name),
        }
        try:
            return self._rows(table_jobs_sql(self.region, view), parameters)
        except QueryError as error:
            if denied(error):
                raise WorkloadUnavailable(
                    f"cannot read `{self.region}`.INFORMATION_SCHEMA.{view} ({error}): {JOBS_HINT}"
                ) from None
            raise

    # -- running statements ---------------------------------------------------------------------------
    def _config(self, parameters: Mapping[str, tuple[str, Any]], dry_run: bool = False) -> Any:
        return bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ArrayQueryParameter(name, kind, list(value))
                if isinstance(value, list | tuple)
                else bigquery.ScalarQueryParameter(name, kind, value)
                for name, (kind, value) in parameters.items()
            ],
            maximum_bytes_billed=self._maximum_bytes_billed,
            job_timeout_ms=int(self._timeout_s * 1000),
            labels={LABEL: LABEL},
            use_legacy_sql=False,
            dry_run=dry_run,
            use_query_cache=not dry_run,
        )

    def dry_run(self, sql: str, parameters: Mapping[str, tuple[str, Any]] | None = None) -> int:
        """Bytes ``sql`` would process (and bill, on demand), from a dry run: nothing runs, nothing is billed."""
        check_read_only(sql)
        with self._errors():
            job = self._client.query(
                sql,
                job_config=self._config(parameters or {}, dry_run=True),
                timeout=self._timeout_s,
                location=self._location,
            )
        return int(job.total_bytes_processed or 0)

    def _rows(self, sql: str, parameters: Mapping[str, tuple[str, Any]]) -> list[dict[str, Any]]:
        """Run one read-only query job; rows as dicts keyed by lower-case column name."""
        check_read_only(sql)
        with self._errors():
            job = self._client.query(
                sql,
                job_config=self._config(parameters),
                timeout=self._timeout_s,
                location=self._location,
                job_id_prefix="sqltune_",
                retry=self._retry,
                job_retry=None,  # a failed job is not run again: its error is the answer
            )
            rows = job.result(timeout=self._timeout_s, retry=self._retry, job_retry=None)
            return [{str(k).lower(): v for k, v in row.items()} for row in rows]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except google_errors.GoogleAPICallError as error:
            message = getattr(error, "message", None) or str(error)
            first = str(message).strip().splitlines()[0] if str(message).strip() else type(error).__name__
            if isinstance(error, google_errors.Unauthorized):
                raise ConnectionError(f"BigQuery refused the credentials: {first}") from None
            raise QueryError(f"BigQuery: {first}") from None
        except google_errors.RetryError as error:
            if isinstance(error.cause, OSError):  # retried until the deadline: refused, unreachable
                raise ConnectionError(f"cannot reach BigQuery: {error.cause}") from None
            raise QueryTimeout(
                f"BigQuery job ran out of time ({error.cause or error}): pass a larger timeout_s= if it is expected to"
            ) from None
        except TimeoutError as error:
            raise QueryTimeout(
                f"BigQuery job ran out of time ({type(error).__name__}): pass a larger timeout_s= if it is expected to"
            ) from None
        except OSError as error:  # the transport: refused, unreachable
            raise ConnectionError(f"cannot reach BigQuery: {error.strerror or error}") from None


def _parts(table: str) -> tuple[str, str, str]:
    """``project.dataset.table`` split (a domain-scoped project ``example.com:p`` keeps its dot)."""
    head, _, name = table.rpartition(".")
    project, _, dataset = head.rpartition(".")
    if not (project and dataset and name):
        raise ValueError(f"expected a table as project.dataset.table; got {table!r}")
    return project, dataset, name


_URL_OPTIONS = ("location", "credentials_path", "maximum_bytes_billed", "timeout_s", "api_endpoint")


def connect_url(url: str) -> BigQueryConnection:
    """Open a connection from a URL as ``sqlalchemy-bigquery`` writes them:
    ``bigquery://project[/dataset][?location=US&credentials_path=key.json&maximum_bytes_billed=...&timeout_s=...]``
    (``api_endpoint=`` for a private or regional endpoint). Without ``credentials_path``, Application Default
    Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth application-default login``, the metadata
    server). The dataset becomes :attr:`BigQueryConnection.dataset`.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "bigquery" or not parts.netloc:
        raise ValueError(f"expected bigquery://project[/dataset][?location=...]; got {url!r}")
    options = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    for key in options:
        if key not in _URL_OPTIONS:
            raise ValueError(f"unknown option {key!r} in the BigQuery URL; expected {', '.join(_URL_OPTIONS)}")
    credentials = None
    if options.get("credentials_path"):
        try:
            credentials, _ = google_auth.load_credentials_from_file(  # type: ignore[no-untyped-call]
                options["credentials_path"], scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
        except (auth_errors.GoogleAuthError, OSError, ValueError) as error:
            raise ConnectionError(f"cannot read the BigQuery credentials file: {error}") from None
    try:
        timeout_s = float(options.get("timeout_s") or 120)
        maximum = int(options.get("maximum_bytes_billed") or MAXIMUM_BYTES_BILLED)
    except ValueError:
        raise ValueError("timeout_s and maximum_bytes_billed in a BigQuery URL are numbers") from None
    endpoint = options.get("api_endpoint")
    connection = connect(
        unquote(parts.netloc),
        credentials=credentials,
        location=options.get("location") or None,
        timeout_s=timeout_s,
        maximum_bytes_billed=maximum,
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    connection.dataset = unquote(parts.path.strip("/")) or None
    return connection


def connect(
    project: str | None = None,
    *,
    credentials: Any = None,
    location: str | None = None,
    client: Any = None,
    timeout_s: float = 120,
    maximum_bytes_billed: int = MAXIMUM_BYTES_BILLED,
    client_options: Mapping[str, Any] | None = None,
) -> BigQueryConnection:
    """Open a read-only BigQuery connection, or wrap a ``bigquery.Client`` (then the caller's to close).

    ``credentials`` default to Application Default Credentials; ``location`` is where jobs run (``"US"``, the
    region of the INFORMATION_SCHEMA read); ``client_options`` go to the client (``api_endpoint``...).
    """
    if not isinstance(timeout_s, int | float) or isinstance(timeout_s, bool) or not timeout_s > 0:
        raise ValueError(f"invalid timeout_s {timeout_s!r}: expected a positive number of seconds")
    if not isinstance(maximum_bytes_billed, int) or isinstance(maximum_bytes_billed, bool) or maximum_bytes_billed < 1:
        raise ValueError(f"invalid maximum_bytes_billed {maximum_bytes_billed!r}: expected a whole number of bytes")
    if client is not None:
        if project is not None or credentials is not None or client_options is not None:
            raise ValueError("pass either client= or project/credentials/client_options, not both")
        return BigQueryConnection(
            client, timeout_s=timeout_s, maximum_bytes_billed=maximum_bytes_billed, location=location, owned=False
        )
    try:
        opened = bigquery.Client(
            project=project,
            credentials=credentials,
            location=location,
            client_options=dict(client_options or {}) or None,
        )
    except (google_errors.GoogleAPIError, auth_errors.GoogleAuthError, OSError) as error:
        raise ConnectionError(f"cannot open a BigQuery client for project {project or '(default)'}: {error}") from None
    return BigQueryConnection(
        opened, timeout_s=timeout_s, maximum_bytes_billed=maximum_bytes_billed, location=location, owned=True
    )
