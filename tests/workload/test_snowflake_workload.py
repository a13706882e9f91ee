"""Snowflake's workload: ``ACCOUNT_USAGE.QUERY_HISTORY`` joined with ``ACCESS_HISTORY``, grouped in the warehouse.

The real ``snowflake.connector`` talks to the run's fakesnow server (Snowflake's HTTP API on DuckDB), where the
two views are seeded from ``fixtures/snowflake/query_history.json`` and ``fixtures/workloads/snowflake/
access_history.json``; the grouping, the hourly buckets and the LATERAL FLATTEN over the JSON columns run
there, in SQL. ``fixtures/workloads/snowflake/grouped_rows.json`` holds rows in the shape that statement
returns, for the row mapping alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector

from sqltune.connectors import WorkloadUnavailable
from sqltune.connectors.snowflake import SnowflakeConnection, connect
from sqltune.connectors.snowflake.history import executions, history_sql
from sqltune.core.source import InputProblem
from sqltune.workload import Execution, Workload

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

ROOT = Path(__file__).resolve().parents[2]
QUERY_HISTORY = json.loads((ROOT / "fixtures" / "snowflake" / "query_history.json").read_text())["rows"]
ACCESS_HISTORY = json.loads((ROOT / "fixtures" / "workloads" / "snowflake" / "access_history.json").read_text())["rows"]
GROUPED = json.loads((ROOT / "fixtures" / "workloads" / "snowflake" / "grouped_rows.json").read_text())["rows"]
DOCS = ROOT / "docs" / "workload.md"
DASHBOARD, LOOKUP, MERGE = (
    "9f2d4c1b7e0a5d3f8c6b2a1e4d7f0c93",
    "3b7e1f9a0c4d2e6b8a5f7c1d3e9b0a24",
    "c41e8a2f6b0d9c3e7a1f5b2d8e4c6a07",
)
# fakesnow answers these session parameters with a plain success.
ISOLATED = {
    "FAKESNOW_DB_PATH": ":isolated:",
    "nop_regexes": [r"^\s*ALTER SESSION SET (STATEMENT_TIMEOUT_IN_SECONDS|QUERY_TAG)\b"],
}


def column_type(value: Any) -> str:
    return "NUMBER(38,0)" if isinstance(value, int) else "FLOAT" if isinstance(value, float) else "VARCHAR"


@pytest.fixture
def raw(fakesnow_server: dict[str, Any]) -> Iterator[Any]:
    connection = snowflake.connector.connect(
        account="fakesnow",
        user="fake",
        password="fake",
        database="ANALYTICS",
        schema="PUBLIC",
        session_parameters=ISOLATED,
        **fakesnow_server,
    )
    yield connection
    connection.close()


def seed(raw: Any, access: bool = True) -> SnowflakeConnection:
    """QUERY_HISTORY (and ACCESS_HISTORY) seeded; times relative to the server's clock."""
    cursor = raw.cursor()
    cursor.execute("CREATE DATABASE SNOWFLAKE")
    cursor.execute("CREATE SCHEMA SNOWFLAKE.ACCOUNT_USAGE")
    names = [name for name in QUERY_HISTORY[0] if name != "minutes_ago"]
    columns = ", ".join(f"{name} {column_type(QUERY_HISTORY[0][name])}" for name in names)
    cursor.execute(f"CREATE TABLE SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({columns}, start_time TIMESTAMP_LTZ)")
    insert = (
        f"INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY ({', '.join(names)}, start_time)"
        f" SELECT {', '.join(['%s'] * len(names))}, DATEADD('minute', -%s, CURRENT_TIMESTAMP())"
    )
    for row in QUERY_HISTORY:
        cursor.execute(insert, [row[name] for name in names] + [row["minutes_ago"]])
    if access:
        cursor.execute(
            "CREATE TABLE SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY (query_id VARCHAR, query_start_time TIMESTAMP_LTZ,"
            " user_name VARCHAR, direct_objects_accessed ARRAY, base_objects_accessed ARRAY, objects_modified ARRAY)"
        )
        for row in ACCESS_HISTORY:
            cursor.execute(
                "INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY SELECT %s,"
                " DATEADD('minute', -%s, CURRENT_TIMESTAMP()), %s, PARSE_JSON(%s), PARSE_JSON(%s), PARSE_JSON(%s)",
                [
                    row["query_id"],
                    row["minutes_ago"],
                    row["user_name"],
                    json.dumps(row["direct_objects_accessed"]),
                    json.dumps(row["base_objects_accessed"]),
                    json.dumps(row["objects_modified"]),
                ],
            )
    return connect(connection=raw)


def by_hash(workload: Workload) -> dict[str, Any]:
    return {t.ids.get("query_parameterized_hash", t.ids["query_id"])[0]: t for t in workload}


def test_the_workload_is_grouped_by_hash_in_the_warehouse_with_base_objects(raw: Any) -> None:
    sf = seed(raw)
    workload = Workload.from_snowflake(sf, days=7)
    assert workload.dialect == "snowflake"
    (source,) = workload.sources  # the account and the session's database and schema, no credentials
    assert source.startswith("snowflake:fakesnow/") and source.endswith(
        " SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY last 7 days"
    )
    templates = by_hash(workload)
    # Left out: a run 10 days ago, a failed run, sqltune's own statement, a SHOW. The two unhashed runs of the
    # report have different literals: one template here (sqltune's fingerprint), two rows in the warehouse.
    assert {h: (t.calls, t.total_ms) for h, t in templates.items()} == {
        DASHBOARD: (3, 125100.0),
        MERGE: (1, 95400.0),
        "01b8e0aa-0306-9c4a-0002-b1f6000ba0b5": (2, 35470.0),
        LOOKUP: (4, 4800.0),
    }
    dashboard = templates[DASHBOARD]
    assert dashboard.max_ms == 45100.0 and dashboard.rows == 15
    assert (dashboard.partitions_scanned, dashboard.partitions_total) == (141, 402)
    assert dashboard.bytes_scanned == sum(r["bytes_scanned"] for r in QUERY_HISTORY[:3])
    assert sorted(dashboard.ids["base_object"]) == ["ANALYTICS.PUBLIC.CUSTOMER", "ANALYTICS.PUBLIC.ORDERS"]
    assert sorted(dashboard.ids["base_column"]) == [
        "ANALYTICS.PUBLIC.CUSTOMER.C_CUSTKEY",
        "ANALYTICS.PUBLIC.CUSTOMER.C_MKTSEGMENT",
        "ANALYTICS.PUBLIC.ORDERS.O_CUSTKEY",
        "ANALYTICS.PUBLIC.ORDERS.O_ORDERDATE",
        "ANALYTICS.PUBLIC.ORDERS.O_TOTALPRICE",
    ]  # the run through a view names the tables behind it, not the view
    assert set(dashboard.ids["query_id"]) == {r["query_id"] for r in QUERY_HISTORY[:3]}  # one per hour
    assert len(dashboard.buckets) == 3 and sorted(dashboard.samples) == [
        ("1996-01-01",),
        ("1997-01-01",),
        ("1997-06-01",),
    ]
    span = dashboard.last_seen - dashboard.first_seen
    assert timedelta(minutes=4320 - 95 - 2) < span < timedelta(minutes=4320 - 95 + 2)
    merge = templates[MERGE]
    # The warehouse aggregates the objects in no particular order.
    assert merge.kind == "merge" and sorted(merge.ids["base_object"]) == [
        "ANALYTICS.PUBLIC.ORDERS",
        "ANALYTICS.STAGING.ORDERS_DELTA",
    ]
    # One run of the unhashed report has an ACCESS_HISTORY row, the other none yet (a row per run in the warehouse).
    assert templates["01b8e0aa-0306-9c4a-0002-b1f6000ba0b5"].ids["base_object"] == ["ANALYTICS.PUBLIC.LINEITEM"]


def test_hourly_rows_keep_the_time_window_exact(raw: Any) -> None:
    sf = seed(raw)
    rows = [r for r in sf.read_workload(days=7) if isinstance(r, Execution)]
    lookup = [r for r in rows if ("query_parameterized_hash", LOOKUP) in r.ids]
    assert sorted(r.calls for r in lookup) == [1, 1, 1, 1]  # four runs in four different hours
    assert all(r.first_at and r.at and r.first_at.replace(minute=0, second=0, microsecond=0) ==
               r.at.replace(minute=0, second=0, microsecond=0) for r in rows)  # fmt: skip
    workload = Workload.from_connection(sf, days=7)
    now = datetime.now(UTC)
    recent = workload.filter(since=now - timedelta(hours=3))
    assert {h: t.calls for h, t in by_hash(recent).items()} == {DASHBOARD: 1, LOOKUP: 2}
    assert by_hash(recent)[DASHBOARD].max_ms == 45100.0  # the slowest call of the hours kept
    daily = [r for r in sf.read_workload(days=7, bucket="day", access_history=False) if isinstance(r, Execution)]
    whole = [r for r in sf.read_workload(days=7, bucket=None, access_history=False) if isinstance(r, Execution)]
    assert sum(r.calls for r in daily) == sum(r.calls for r in whole) == sum(r.calls for r in rows) == 10
    assert len(whole) == 5 and len(daily) < len(rows)
    fortnight = by_hash(Workload.from_snowflake(sf, days=14))[DASHBOARD]
    assert (fortnight.calls, fortnight.total_ms) == (4, 637100.0)


def test_execution_time_instead_of_elapsed(raw: Any) -> None:
    sf = seed(raw)
    workload = Workload.from_snowflake(sf, days=7, time="execution")
    assert by_hash(workload)[DASHBOARD].total_ms == sum(r["execution_time"] for r in QUERY_HISTORY[:3])


def test_without_access_history_the_workload_loads_with_a_notice(raw: Any) -> None:
    sf = seed(raw, access=False)
    workload = Workload.from_snowflake(sf, days=7)
    assert workload.calls == 10 and not any("base_object" in t.ids for t in workload)
    (notice,) = workload.problems
    assert not notice.fatal and notice.path == "SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY"
    assert "templates carry no base objects" in notice.message


def test_without_account_usage_it_says_which_grant_is_missing(raw: Any) -> None:
    sf = connect(connection=raw)
    with pytest.raises(WorkloadUnavailable, match="GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE TO ROLE"):
        Workload.from_snowflake(sf)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"days": 0}, ValueError, "days must be a whole number from 1 to 365"),
        ({"bucket": "minute"}, ValueError, "bucket must be one of hour, day or None"),
        ({"time": "cpu"}, ValueError, "time must be one of elapsed, execution"),
        ({"source": "jobs"}, ValueError, "unknown Snowflake workload source 'jobs'"),
        ({"region": "us"}, TypeError, "unexpected keyword argument .region."),
    ],
)
def test_bad_options_are_one_clear_error(raw: Any, kwargs: dict[str, Any], error: type, message: str) -> None:
    sf = connect(connection=raw)
    with pytest.raises(error, match=message):
        list(sf.read_workload(**kwargs))


def test_recorded_rows_go_through_the_same_mapping() -> None:
    records = list(executions(GROUPED))
    problems = [r for r in records if isinstance(r, InputProblem)]
    assert [(p.line, p.message) for p in problems] == [(4, "row 4: template 'ffe0' has no query text; row skipped")]
    workload = Workload("snowflake").extend(records)
    (events,) = [t for t in workload if t.ids.get("query_parameterized_hash") == ["5e1f0c2a9b7d3e6f8a4c1b0d2e9f7a35"]]
    assert (events.calls, events.total_ms, events.max_ms) == (1190, 873400.0, 9100.0)
    assert events.bytes_scanned == 2 * 31457280000 and events.partitions_total == 1190 * 5120
    assert events.first_seen == datetime(2024, 11, 4, 9, 0, 2, 113000, tzinfo=UTC)
    assert events.ids["base_column"][:1] == ["RAW.EVENTS.PAGE_VIEWS.EVENT_DATE"]
    assert len(events.buckets) == 2


def test_the_generated_sql_is_documented_verbatim() -> None:
    assert history_sql() in DOCS.read_text(encoding="utf-8")
