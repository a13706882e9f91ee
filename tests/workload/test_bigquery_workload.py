"""BigQuery's workload: ``INFORMATION_SCHEMA.JOBS`` grouped in BigQuery, read through the real client.

``google-cloud-bigquery``'s ``Client`` (anonymous credentials) talks to a local HTTP server that answers the
recorded REST responses in ``fixtures/workloads/bigquery`` (see its README): the client's requests, paging and
row decoding are the code a real project runs. The tests check what it sent (the statement, the cost cap,
the label, the parameters) and what sqltune made of the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from sqltune.connectors import ConnectionError, WorkloadUnavailable
from sqltune.connectors.bigquery import BigQueryConnection, connect, jobs_sql
from sqltune.testing.replay import ReplayServer, Route
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ROOT / "fixtures" / "workloads" / "bigquery"
PROJECT = "acme-analytics"
DASHBOARD = "Ujc0X1k2dE1ZcXNmR2pQbzN0Mm5GdmhOcTh3PQ=="


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


JOB_ROUTES = [
    Route("GET", r"/queries/[^/?]+\?.*maxResults=0", payload("get_query_results_wait.json")),
    Route("GET", r"/queries/[^/?]+\?.*pageToken=", payload("get_query_results_page2.json")),
    Route("GET", r"/queries/[^/?]+\?", payload("get_query_results_page1.json")),
    Route("GET", r"/jobs/[^/?]+\?", payload("jobs_insert.json")),
]


def served(*routes: Route) -> ReplayServer:
    return ReplayServer([*routes, *JOB_ROUTES])


def connection(server: ReplayServer, **kwargs: Any) -> BigQueryConnection:
    return connect(
        PROJECT,
        credentials=AnonymousCredentials(),
        location="US",
        client_options={"api_endpoint": server.url},
        **kwargs,
    )


@pytest.fixture
def jobs() -> Iterator[ReplayServer]:
    with served(Route("POST", rf"/projects/{PROJECT}/jobs\?", payload("jobs_insert.json"))) as server:
        yield server


def test_the_workload_is_grouped_in_bigquery_and_read_through_the_client(jobs: ReplayServer) -> None:
    with connection(jobs, maximum_bytes_billed=2**30, timeout_s=30) as bq:
        workload = Workload.from_bigquery(bq, days=7)
    # What the client sent: one query job, the statement composed by sqltune, capped, labelled, parameterised.
    insert = jobs.requests[0]
    assert (insert.method, insert.path.split("?")[0]) == ("POST", f"/bigquery/v2/projects/{PROJECT}/jobs")
    query = insert.body["configuration"]["query"]
    assert query["query"] == jobs_sql("region-us")
    assert query["useLegacySql"] is False and query["maximumBytesBilled"] == str(2**30)
    assert {p["name"]: p["parameterValue"]["value"] for p in query["queryParameters"]} == {
        "days": "7",
        "label": "sqltune",
    }
    assert insert.body["configuration"]["labels"] == {"sqltune": "sqltune"}
    assert insert.body["configuration"]["jobTimeoutMs"] == "30000"
    assert (
        insert.body["jobReference"]["jobId"].startswith("sqltune_") and insert.body["jobReference"]["location"] == "US"
    )
    paths = [r.path for r in jobs.requests[1:]]
    assert len(paths) == 3 and "maxResults=0" in paths[0] and "pageToken=" in paths[2]  # waited, then two pages
    # What sqltune made of it.
    assert workload.dialect == "bigquery"
    assert workload.sources == [f"bigquery:{PROJECT} `region-us`.INFORMATION_SCHEMA.JOBS last 7 days"]
    templates = {t.ids.get("query_parameterized_hash", t.ids["job_id"])[0]: t for t in workload}
    dashboard = templates[DASHBOARD]
    assert (dashboard.calls, dashboard.total_ms, dashboard.max_ms) == (215, 336100.0, 4100.0)
    assert dashboard.bytes_scanned == 125829120000 + 99614720000
    assert dashboard.first_seen == datetime(2024, 11, 4, 9, 0, 3, 250000, tzinfo=UTC)
    assert dashboard.last_seen == datetime(2024, 11, 4, 10, 58, 12, 400000, tzinfo=UTC)
    assert dashboard.ids["referenced_table"] == ["acme-analytics.shop.orders"]
    assert dashboard.ids["job_id"] == [
        "job_Ffq3tW8m1xkH2xXx",
        "job_Aa01tW8m1xkH2x01",
        "job_Kq2mZ0b7rT9a1cYy",
        "job_Bb02tW8m1xkH2x02",
    ]
    assert sorted(dashboard.samples) == [
        ("2024-10-05", "2024-11-04", "completed"),
        ("2024-10-06", "2024-11-04", "completed"),
    ]
    assert len(dashboard.buckets) == 2
    merge = next(t for t in workload if t.kind == "merge")
    assert merge.ids["referenced_table"] == ["acme-analytics.shop.daily_revenue", "acme-analytics.shop.orders"]
    adhoc = templates["job_adhoc_77e1"]  # no normalized-literals hash: the job stands alone
    assert "query_parameterized_hash" not in adhoc.ids and adhoc.calls == 1
    (problem,) = workload.problems
    assert problem.path == "`region-us`.INFORMATION_SCHEMA.JOBS"
    assert problem.message == "row 5: template 'job_noquery_01' has no query text; row skipped"
    hour = workload.filter(since=datetime(2024, 11, 4, 10, tzinfo=UTC), until=datetime(2024, 11, 4, 11, tzinfo=UTC))
    assert [(t.calls, t.max_ms) for t in hour] == [(95, 3800.0)]  # exact to the hour


def test_slot_time_instead_of_elapsed(jobs: ReplayServer) -> None:
    with connection(jobs) as bq:
        workload = Workload.from_bigquery(bq, time="slot", region="region-us")
    assert next(t for t in workload if t.ids.get("query_parameterized_hash") == [DASHBOARD]).total_ms == 16340000.0


def test_a_dry_run_says_what_a_statement_would_process() -> None:
    with served(Route("POST", r"/jobs\?", payload("jobs_insert_dry_run.json"))) as server, connection(server) as bq:
        assert bq.dry_run(jobs_sql(), {"days": ("INT64", 30), "label": ("STRING", "sqltune")}) == 1287651328
    (request,) = server.requests
    assert request.body["configuration"]["dryRun"] is True


def test_without_the_grant_it_says_which_is_missing() -> None:
    denied = Route("POST", r"/jobs\?", payload("jobs_insert_access_denied.json"), status=403)
    with (
        served(denied) as server,
        connection(server) as bq,
        pytest.raises(WorkloadUnavailable, match=r"bigquery\.jobs\.listAll") as raised,
    ):
        Workload.from_bigquery(bq)
    assert raised.value.__cause__ is None and "\n" not in str(raised.value)


def test_statements_are_read_only_and_connections_show_no_credentials() -> None:
    with served() as server, connection(server) as bq:
        with pytest.raises(AssertionError, match="only reads"):
            bq._rows("DELETE FROM `acme-analytics.shop.orders` WHERE true", {})
        assert repr(bq) == f"<BigQueryConnection project={PROJECT} location=US>"
        assert server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"region": "us; DROP"}, ValueError, "region must look like 'region-us'"),
        ({"view": "TABLES"}, ValueError, "view must be one of JOBS"),
        ({"days": 181}, ValueError, "days must be a whole number from 1 to 180"),
        ({"time": "cpu"}, ValueError, "time must be one of elapsed, slot"),
        ({"source": "query_history"}, ValueError, "unknown BigQuery workload source"),
    ],
)
def test_bad_options_are_one_clear_error(kwargs: dict[str, Any], error: type, message: str) -> None:
    with served() as server, connection(server) as bq:
        with pytest.raises(error, match=message):
            list(bq.read_workload(**kwargs))
        assert server.requests == []


def test_an_unreachable_endpoint_is_a_connection_error() -> None:
    server = served()
    url = server.url
    server.close()
    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": url})
    bq = connect(client=client, timeout_s=2)
    with pytest.raises(ConnectionError, match="cannot reach BigQuery"):
        list(bq.read_workload())


def test_the_generated_sql_is_documented_verbatim() -> None:
    assert jobs_sql() in (ROOT / "docs" / "workload.md").read_text(encoding="utf-8")
