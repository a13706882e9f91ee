"""Spark local mode gives the workload the single-machine path gives (sqltune.integrations.spark.aggregate).

One SparkSession (``local[2]``) serves the whole test session: starting one costs many seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import SparkSession  # noqa: E402

from sqltune.integrations.spark import aggregate  # noqa: E402
from sqltune.testing.workloads import generate  # noqa: E402
from sqltune.workload.model import Execution  # noqa: E402
from sqltune.workload.workload import Workload  # noqa: E402

SCHEMA = (
    "query string, duration_ms double, ts timestamp, calls long, max_ms double, rows long, queryid string,"
    " location string"
)


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("sqltune-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def generated_rows(count: int, exact: bool) -> list[dict[str, Any]]:
    """A generated log as rows: some aggregated (calls > 1, max_ms), some untimed, some without a time."""
    rows = []
    for index, run in enumerate(generate(count, templates=400, seed=11)):
        calls = 4 if index % 9 == 0 else 1
        duration = round(run.duration_ms * 1024) / 1024 if exact else run.duration_ms  # exact: sums are exact
        rows.append(
            {
                "query": run.sql,
                "duration_ms": None if index % 23 == 0 else duration * calls,
                "ts": None if index % 31 == 0 else run.at,
                "calls": calls,
                "max_ms": duration if calls > 1 else None,
                "rows": run.rows if index % 3 else None,
                "queryid": str(run.template * 10 + index % 4) if index % 7 else None,
                "location": f"postgresql.log:{index + 1}",
            }
        )
    return rows


BUCKET_SECONDS = 300  # the generated log spans about 40 minutes: several buckets per template


def single_machine(rows: list[dict[str, Any]]) -> Workload:
    workload = Workload("postgres", bucket_seconds=BUCKET_SECONDS)
    for row in rows:
        workload.add(
            Execution(
                row["query"],
                row["duration_ms"],
                row["ts"],
                row["calls"],
                rows=row["rows"],
                max_ms=row["max_ms"],
                ids=(("queryid", row["queryid"]),) if row["queryid"] is not None else (),
                location=row["location"],
            )
        )
    return workload


def on_spark(spark: SparkSession, rows: list[dict[str, Any]], partitions: int) -> Workload:
    ordered = spark.sparkContext.parallelize([tuple(row.values()) for row in rows], partitions)
    frame = spark.createDataFrame(ordered, SCHEMA)  # slices keep the input order, partition by partition
    return aggregate(
        frame,
        sql="query",
        duration_ms="duration_ms",
        ts="ts",
        calls="calls",
        max_ms="max_ms",
        rows="rows",
        ids={"queryid": "queryid"},
        location="location",
        dialect="postgres",
        bucket_seconds=BUCKET_SECONDS,
    )


def test_spark_workload_is_identical_to_the_single_machine_one(spark: SparkSession) -> None:
    rows = generated_rows(30_000, exact=True)
    expected = single_machine(rows)
    result = on_spark(spark, rows, partitions=7)
    assert len(result) == len(expected) > 300
    assert result.calls == expected.calls
    # Everything: texts, fingerprints, calls, totals, maxima, first/last seen, time buckets, histogram,
    # samples, ids, examples and locations, and the order by total time.
    assert [t.to_dict() for t in result.templates] == [t.to_dict() for t in expected.templates]
    assert result.dialect == "postgres"
    assert sum(len(t.buckets) for t in result) > 2 * len(result)  # buckets really merge


def test_float_sums_agree_to_rounding_and_rows_without_sql_are_counted(spark: SparkSession) -> None:
    rows = generated_rows(5_000, exact=False)
    expected = single_machine(rows)
    rows.append({**rows[0], "query": None})
    result = on_spark(spark, rows, partitions=3)
    assert result.notes == ["1 rows without SQL were left out"]
    want = {t.text: t.to_dict() for t in expected}
    for template in result:
        got = template.to_dict()
        other = want.pop(template.text)
        for field in ("total_ms", "mean_ms"):
            mine, theirs = got.pop(field), other.pop(field)
            assert mine == theirs or math.isclose(mine, theirs, rel_tol=1e-12)
        for start, (calls, total, slowest) in got.pop("buckets").items():
            calls_, total_, slowest_ = other["buckets"].pop(start)
            assert (calls, slowest) == (calls_, slowest_) and math.isclose(total, total_, rel_tol=1e-12)
        assert not other.pop("buckets")
        assert got == other
    assert not want
    assert result.templates[0].first_seen is not None and result.templates[0].first_seen.tzinfo is not None
    assert result.templates[0].first_seen >= datetime(2024, 5, 1, tzinfo=UTC)
