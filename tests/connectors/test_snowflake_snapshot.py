"""Snapshots of a Snowflake database and the clustering depth that grew between two of them.

The connector's own code runs, statement for statement, what it would send to an account (through the real
``snowflake.connector`` to fakesnow); what fakesnow lacks (``EXPLAIN USING JSON``, clustering keys in
``INFORMATION_SCHEMA.TABLES``, ``SYSTEM$CLUSTERING_INFORMATION``) is answered from the payloads in
``fixtures/snowflake`` by the scripted connection of ``snowflake_support``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snowflake.connector import errors as sf_errors
from snowflake_support import fixture_text, one_value, scripted, table_rows

import sqltune
from sqltune.connectors.snowflake.safety import check_read_only
from sqltune.regressions import Snapshot
from sqltune.workload import Execution, Workload

# fakesnow 0.12 warns on every DB-API result it builds from Arrow; not about sqltune.
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

TABLES = table_rows(
    [
        {
            "TABLE_CATALOG": "ANALYTICS",
            "TABLE_SCHEMA": "PUBLIC",
            "TABLE_NAME": name,
            "ROW_COUNT": rows,
            "BYTES": size,
            "CLUSTERING_KEY": key,
        }
        for name, rows, size, key in (
            ("CUSTOMER", 150_000, 10_485_760, None),
            ("EVENTS", 98_000_000, 52_613_349_376, "LINEAR(EVENT_DATE, USER_ID)"),
            ("ORDERS", 1_500_000, 175_112_192, None),
        )
    ]
)


def workload() -> Workload:
    """The dashboard query, as the query history groups it: three runs of 14 s."""
    sql = fixture_text("revenue_by_segment.sql")
    return Workload("snowflake").extend([Execution(sql, duration_ms=42_000.0, calls=3)])


def take(raw: Any, clustering: Any) -> tuple[Any, Snapshot]:
    wrapper, connection = scripted(
        raw,
        {
            r"^EXPLAIN USING JSON ": one_value("content", fixture_text("explain_revenue_by_segment.json")),
            r"INFORMATION_SCHEMA\.TABLES": TABLES,
            r"CLUSTERING_INFORMATION\(%s\)": clustering,
        },
    )
    return wrapper, sqltune.take_snapshot(connection, workload(), top=5)


def test_snapshots_record_plans_and_clustering_and_the_comparison_finds_the_depth_that_grew(
    raw: Any, tmp_path: Path
) -> None:
    column = "SYSTEM$CLUSTERING_INFORMATION('ANALYTICS.PUBLIC.EVENTS')"
    wrapper, before = take(raw, one_value(column, fixture_text("clustering_information_events.json")))
    assert before.engine == "snowflake" and before.database.endswith("/ANALYTICS.PUBLIC")
    [template] = before.templates
    assert template.plan_format == "snowflake-json" and template.error is None and template.shape
    assert (template.cost, template.cost_unit) == (411_631_616, "bytes")  # GlobalStats.bytesAssigned
    assert template.mean_ms == 14_000.0 and {"CUSTOMER", "ORDERS"} <= {r.upper() for r in template.relations}
    assert [(t.name, t.live_rows) for t in before.tables][1] == ("EVENTS", 98_000_000)
    [events] = before.clustering
    assert (events.table, events.average_depth, events.total_partition_count) == (
        "ANALYTICS.PUBLIC.EVENTS",
        64.0701,
        1156,
    )
    # What an account would be sent: read-only statements only, the table as a bound parameter.
    for sql, _, _ in wrapper.sent:
        check_read_only(sql)
    assert ("SELECT SYSTEM$CLUSTERING_INFORMATION(%s)", ["ANALYTICS.PUBLIC.EVENTS"]) in [
        (sql, params) for sql, params, _ in wrapper.sent
    ]
    before.save(tmp_path / "day1")
    assert Snapshot.load(tmp_path / "day1") == before

    _, after = take(raw, one_value(column, fixture_text("clustering_information_events_degraded.json")))
    report = sqltune.compare_snapshots(tmp_path / "day1", after)
    assert report.codes() == ["RG005"] and report.failed
    [grew] = report.findings
    assert grew.subject == "ANALYTICS.PUBLIC.EVENTS" and grew.details["new_average_depth"] == 151.3097
    assert "average depth 64.07 -> 151.31 (2.4x)" in grew.message
    assert not sqltune.compare_snapshots(before, after, depth_factor=3.0).failed


def test_a_table_whose_clustering_cannot_be_read_is_recorded_with_the_error(raw: Any) -> None:
    disabled = sf_errors.ProgrammingError(msg="Insufficient privileges to operate on table EVENTS", errno=3001)
    _, snapshot = take(raw, disabled)
    [events] = snapshot.clustering
    assert events.average_depth is None and "Insufficient privileges" in (events.error or "")
    assert events.cluster_by_keys == "LINEAR(EVENT_DATE, USER_ID)"
