"""The workload of a BigQuery project: ``INFORMATION_SCHEMA.JOBS``, grouped in BigQuery before it leaves.

- :func:`jobs_sql`: the one statement, grouped by the normalized-literals hash BigQuery computes for every
  query (``query_info.query_hashes.normalized_literals``; a job without one stands alone) and by the hour it
  started, with the tables each template referenced;
- :func:`execution` and :func:`executions`: its rows as workload :class:`~sqltune.workload.model.Execution`
  records (also used on recorded rows);
- :func:`read_workload`: both, through a connection's runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from sqltune.connectors.errors import QueryError, WorkloadUnavailable
from sqltune.connectors.rows import moment, records
from sqltune.core.source import InputProblem
from sqltune.workload.model import Execution

__all__ = [
    "JOBS_HINT",
    "JOB_FILTER",
    "STATEMENT_TYPES",
    "check_jobs_view",
    "denied",
    "execution",
    "executions",
    "job_filter",
    "jobs_sql",
    "read_workload",
]

#: Statement types that make a workload (not scripts, DDL or exports).
STATEMENT_TYPES = ("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE_TABLE_AS_SELECT")
#: What to ask for when JOBS cannot be read.
JOBS_HINT = (
    "reading INFORMATION_SCHEMA.JOBS needs bigquery.jobs.listAll on the project "
    "(roles/bigquery.resourceViewer, or roles/bigquery.admin); INFORMATION_SCHEMA.JOBS_BY_USER needs none"
)
#: Which time a template is weighted by: the job's run time, or the slot time it consumed.
TIMES = {"elapsed": ("total_ms", "max_ms"), "slot": ("total_slot_ms", "max_slot_ms")}
_REGION = re.compile(r"^region-[a-z0-9-]+$")
_VIEWS = ("JOBS", "JOBS_BY_PROJECT", "JOBS_BY_USER", "JOBS_BY_FOLDER", "JOBS_BY_ORGANIZATION")

#: The jobs that make a workload: successful query jobs of the last ``@days`` days, never sqltune's own.
JOB_FILTER = """creation_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
      AND job_type = 'QUERY'
      AND state = 'DONE'
      AND error_result IS NULL
      AND statement_type IN ({types})
      AND NOT EXISTS (SELECT 1 FROM UNNEST(labels) AS label WHERE label.key = @label)"""

_SQL = """WITH jobs AS (
    SELECT COALESCE(query_info.query_hashes.normalized_literals, job_id) AS template_key, *
    FROM `{region}`.INFORMATION_SCHEMA.{view}
    WHERE {where}
),
grouped AS (
    SELECT
        template_key,
        TIMESTAMP_TRUNC(start_time, {bucket}) AS bucket_start,
        ANY_VALUE(query_info.query_hashes.normalized_literals) AS normalized_literals,
        MAX_BY(query, start_time) AS query,
        MAX_BY(job_id, start_time) AS job_id,
        MIN_BY(job_id, start_time) AS first_job_id,
        MAX_BY(statement_type, start_time) AS statement_type,
        MAX_BY(user_email, start_time) AS user_email,
        COUNT(*) AS calls,
        SUM(TIMESTAMP_DIFF(end_time, start_time, MILLISECOND)) AS total_ms,
        MAX(TIMESTAMP_DIFF(end_time, start_time, MILLISECOND)) AS max_ms,
        SUM(total_slot_ms) AS total_slot_ms,
        MAX(total_slot_ms) AS max_slot_ms,
        SUM(total_bytes_processed) AS total_bytes_processed,
        SUM(total_bytes_billed) AS total_bytes_billed,
        MIN(start_time) AS first_run,
        MAX(start_time) AS last_run
    FROM jobs
    GROUP BY template_key, bucket_start
),
referenced AS (
    SELECT j.template_key, ARRAY_AGG(DISTINCT CONCAT(t.project_id, '.', t.dataset_id, '.', t.table_id)) AS tables
    FROM jobs AS j, UNNEST(j.referenced_tables) AS t
    GROUP BY j.template_key
)
SELECT g.*, r.tables AS referenced_tables
FROM grouped AS g
LEFT JOIN referenced AS r ON r.template_key = g.template_key
ORDER BY g.template_key, g.bucket_start
"""


def jobs_sql(region: str = "region-us", view: str = "JOBS", bucket: str = "hour") -> str:
    """The statement :func:`read_workload` sends (query parameters ``@days`` and ``@label``); documented
    verbatim in ``docs/workload.md``. ``region`` and ``view`` are checked names, not parameters (BigQuery
    takes none in a FROM clause)."""
    check_jobs_view(region, view)
    if bucket not in ("hour", "day"):
        raise ValueError(f"bucket must be 'hour' or 'day'; got {bucket!r}")
    return _SQL.format(region=region, view=view.upper(), where=job_filter(), bucket=bucket.upper())


def job_filter() -> str:
    """:data:`JOB_FILTER` with the statement types filled in (query parameters ``@days`` and ``@label``)."""
    return JOB_FILTER.format(types=", ".join(f"'{kind}'" for kind in STATEMENT_TYPES))


def check_jobs_view(region: str, view: str) -> None:
    """``region`` and ``view`` are names put in the statement, not parameters: only known shapes pass."""
    if not _REGION.match(region):
        raise ValueError(f"region must look like 'region-us' or 'region-europe-west2'; got {region!r}")
    if view.upper() not in _VIEWS:
        raise ValueError(f"view must be one of {', '.join(_VIEWS)}; got {view!r}")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def execution(row: Mapping[str, Any], time: str = "elapsed") -> Execution:
    """One row of :func:`jobs_sql` as an execution; ``ValueError`` says what the row lacks."""
    text = row.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"template {row.get('template_key')!r} has no query text")
    total_key, max_key = TIMES[time]
    ids: list[tuple[str, str]] = []
    if row.get("normalized_literals"):
        ids.append(("query_parameterized_hash", str(row["normalized_literals"])))
    for key in ("job_id", "first_job_id"):
        if row.get(key) and ("job_id", str(row[key])) not in ids:
            ids.append(("job_id", str(row[key])))
    ids.extend(("referenced_table", str(name)) for name in row.get("referenced_tables") or () if name)
    processed = row.get("total_bytes_processed")
    return Execution(
        text.strip(),
        duration_ms=_number(row.get(total_key)),
        at=moment(row.get("last_run")),
        first_at=moment(row.get("first_run")),
        calls=int(row["calls"]),
        bytes_scanned=None if processed is None else int(processed),
        max_ms=_number(row.get(max_key)),
        ids=tuple(ids),
        location=f"jobs:{row.get('job_id') or row.get('template_key')}",
        user=str(row["user_email"]) if row.get("user_email") else None,
    )


def executions(
    rows: Iterable[Mapping[str, Any]], where: str, time: str = "elapsed"
) -> Iterator[Execution | InputProblem]:
    """Rows of :func:`jobs_sql` as executions; a row that cannot be read is a problem naming ``where``."""
    return records(rows, lambda row: execution(row, time), where)


Run = Callable[[str, Mapping[str, tuple[str, Any]]], list[dict[str, Any]]]


def denied(error: QueryError) -> bool:
    """BigQuery refused for want of a permission (not a bad statement)."""
    text = str(error).lower()
    return "access denied" in text or "permission" in text or "403" in text


def read_workload(
    run: Run,
    label: str,
    *,
    days: int = 30,
    region: str = "region-us",
    view: str = "JOBS",
    bucket: str = "hour",
    time: str = "elapsed",
) -> Iterator[Execution | InputProblem]:
    """The project's query jobs of the last ``days`` days, grouped in BigQuery (see :func:`jobs_sql`);
    ``run(sql, {name: (type, value)})`` runs one query job. Jobs labelled ``label`` (sqltune's) are left out."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 180:
        raise ValueError(f"days must be a whole number from 1 to 180 (INFORMATION_SCHEMA.JOBS keeps 180); got {days!r}")
    if time not in TIMES:
        raise ValueError(f"time must be one of {', '.join(TIMES)}; got {time!r}")
    sql = jobs_sql(region, view, bucket)
    try:
        rows = run(sql, {"days": ("INT64", days), "label": ("STRING", label)})
    except QueryError as error:
        if denied(error):
            raise WorkloadUnavailable(
                f"cannot read `{region}`.INFORMATION_SCHEMA.{view} ({error}): {JOBS_HINT}"
            ) from None
        raise
    yield from executions(rows, f"`{region}`.INFORMATION_SCHEMA.{view}", time)
