"""A workload from a Spark DataFrame of executions: the same fingerprints and aggregation as one machine,
run where the data is (``pip install 'sqltune[spark]'``; Spark needs a Java runtime).

:func:`aggregate` is :meth:`Workload.add` run on the executors, then merged in Spark:

1. each partition folds its rows into templates with sqltune's own :func:`~sqltune.workload.fingerprint.normalize`
   and :meth:`~sqltune.workload.Workload.add` (``mapInArrow``: one Python pass per partition, memory bounded by
   the templates, not the rows) and writes one row per template (:mod:`sqltune.workload.partial`);
2. Spark groups those rows by the normalised text: sums of calls, time and counters, maxima, first and last
   seen, the histogram summed per bucket, time buckets summed per bucket start, and the first distinct
   samples and ids in input order (the lowest partition and position first);
3. the driver collects one row per template and builds the :class:`~sqltune.workload.Workload`.

The result is the workload :meth:`Workload.add` gives over the same rows in partition order (the order Spark
reads a file in): the same templates, calls, totals, maxima, first and last seen, buckets, histogram, samples,
ids, examples and locations. Sums of durations are added in another order, so they may differ from the
one-machine sums in the last bits. First and last seen are in UTC.

This lives in :mod:`sqltune.integrations` because the workload layer never imports Spark (an import-linter
contract); the Spark-free half, the partial rows and their assembly, is :mod:`sqltune.workload.partial`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqltune.workload.model import BUCKET_SECONDS, IDS_PER_KIND, SAMPLES, Execution
from sqltune.workload.partial import COUNTERS, SAMPLE, assemble, rows_of
from sqltune.workload.workload import Workload

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["PARTIAL_SCHEMA", "aggregate"]

_EMPTY: dict[str, list[Any]] = {"histogram": [], "buckets": [], "firsts": []}

#: The Spark schema of the partial rows (see :data:`sqltune.workload.partial.ROW_FIELDS`).
PARTIAL_SCHEMA = (
    "key string, piece long, example string, location string, calls long, total_ms double, timed_calls long,"
    " max_ms double, rows long, bytes_scanned long, partitions_scanned long, partitions_total long,"
    " first_us long, last_us long, histogram array<long>,"
    " buckets array<struct<start:long,calls:double,total_ms:double,max_ms:double>>,"
    " firsts array<struct<kind:string,value:string,position:long>>"
)


@dataclass(frozen=True, slots=True)
class _Columns:
    """Which DataFrame column holds each field of an execution (None: the data has none)."""

    sql: str
    duration_ms: str | None
    ts: str | None
    calls: str | None
    max_ms: str | None
    counters: tuple[tuple[str, str], ...]  # (Execution field, column)
    ids: tuple[tuple[str, str], ...]  # (id kind, column)
    location: str | None

    def names(self) -> list[str]:
        named = [self.sql, self.duration_ms, self.ts, self.calls, self.max_ms, self.location]
        named += [column for _, column in self.counters] + [column for _, column in self.ids]
        return list(dict.fromkeys(name for name in named if name is not None))


def _moment(value: Any) -> datetime | None:
    """A timestamp column's value as a tz-aware datetime: Spark timestamps arrive in UTC, TIMESTAMP_NTZ
    naive (taken as UTC), numbers as epoch seconds, strings as ISO 8601."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _executions(batch: pa.RecordBatch, columns: _Columns, skipped: list[int]) -> Iterator[Execution]:
    data = {name: batch.column(name).to_pylist() for name in columns.names()}
    size = batch.num_rows
    nothing = [None] * size

    def column(name: str | None) -> list[Any]:
        return nothing if name is None else data[name]

    durations, moments, calls = column(columns.duration_ms), column(columns.ts), column(columns.calls)
    slowest, locations = column(columns.max_ms), column(columns.location)
    counters = [(field, data[name]) for field, name in columns.counters]
    ids = [(kind, data[name]) for kind, name in columns.ids]
    for index, sql in enumerate(data[columns.sql]):
        if sql is None:
            skipped[0] += 1
            continue
        duration = durations[index]
        execution = Execution(
            sql,
            None if duration is None else float(duration),
            _moment(moments[index]),
            1 if calls[index] is None else int(calls[index]),
            max_ms=None if slowest[index] is None else float(slowest[index]),
            ids=tuple((kind, str(values[index])) for kind, values in ids if values[index] is not None),
            location="" if locations[index] is None else str(locations[index]),
        )
        for field, values in counters:
            if values[index] is not None:
                setattr(execution, field, int(values[index]))
        yield execution


def _fold(columns: _Columns, dialect: str | None, sample_limit: int, bucket_seconds: int, schema: pa.Schema) -> Any:
    """The function each partition runs (``mapInArrow``): its rows folded into partial rows."""

    def fold(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        from pyspark import TaskContext

        context = TaskContext.get()
        piece = context.partitionId() if context is not None else 0
        # its escapes; every partition keeps the same bucket width (the assembled workload is bounded once)
        workload = Workload(dialect, sample_limit=sample_limit, bucket_seconds=bucket_seconds, max_buckets=None)
        skipped = [0]
        for batch in batches:
            workload.extend(_executions(batch, columns, skipped))
        rows = list(rows_of(workload, piece))
        if skipped[0]:  # rows without SQL: counted under the null key
            rows.append({"key": None, "piece": piece, "calls": skipped[0]} | _EMPTY)
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return fold


def _arrow_schema() -> pa.Schema:
    """:data:`PARTIAL_SCHEMA` in Arrow's terms (made on the driver: parsing a schema needs the session)."""
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import StructType, _parse_datatype_string

    schema = _parse_datatype_string(PARTIAL_SCHEMA)
    assert isinstance(schema, StructType)
    return to_arrow_schema(schema)


def aggregate(
    dataframe: DataFrame,
    sql: str = "query",
    duration_ms: str | None = "duration_ms",
    ts: str | None = "ts",
    calls: str | None = None,
    *,
    max_ms: str | None = None,
    rows: str | None = None,
    bytes_scanned: str | None = None,
    partitions_scanned: str | None = None,
    partitions_total: str | None = None,
    ids: Mapping[str, str] | None = None,
    location: str | None = None,
    dialect: str | None = None,
    sample_limit: int = SAMPLES,
    bucket_seconds: int = BUCKET_SECONDS,
) -> Workload:
    """The workload of ``dataframe``, one row per execution (or per aggregate of ``calls`` executions).

    Arguments name columns: ``sql`` the statement text; ``duration_ms`` its time in milliseconds (the total
    over ``calls``); ``ts`` when it ran (a timestamp, epoch seconds or ISO 8601 text); ``calls`` how many
    executions the row stands for (1 when None); ``max_ms`` the slowest of them; ``rows``, ``bytes_scanned``,
    ``partitions_scanned``, ``partitions_total`` counters; ``ids`` the source's own ids as {kind: column}
    (``{"queryid": "queryid"}``); ``location`` where the row came from ("file:line"). A column named None is
    absent. Rows without SQL are counted in the workload's notes."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    counters = {"rows": rows, "bytes_scanned": bytes_scanned}
    counters |= {"partitions_scanned": partitions_scanned, "partitions_total": partitions_total}
    columns = _Columns(
        sql,
        duration_ms,
        ts,
        calls,
        max_ms,
        tuple((field, name) for field, name in counters.items() if name is not None),
        tuple((ids or {}).items()),
        location,
    )
    partials = (
        dataframe.select(*columns.names())
        .mapInArrow(_fold(columns, dialect, sample_limit, bucket_seconds, _arrow_schema()), PARTIAL_SCHEMA)
        .persist()
    )
    try:
        main = partials.groupBy("key").agg(
            F.sum("calls").alias("calls"),
            F.sum("total_ms").alias("total_ms"),
            F.sum("timed_calls").alias("timed_calls"),
            F.max("max_ms").alias("max_ms"),
            *(F.sum(name).alias(name) for name in COUNTERS),
            F.min("first_us").alias("first_us"),
            F.max("last_us").alias("last_us"),
            F.min_by("example", "piece").alias("example"),
            F.min_by("location", "piece").alias("location"),
        )
        histogram = (
            partials.select("key", F.posexplode("histogram").alias("index", "count"))
            .where("count > 0")
            .groupBy("key", "index")
            .agg(F.sum("count").alias("count"))
            .groupBy("key")
            .agg(F.collect_list(F.struct("index", "count")).alias("histogram"))
        )
        buckets = (
            partials.select("key", F.explode("buckets").alias("b"))
            .groupBy("key", F.col("b.start").alias("start"))
            .agg(
                F.sum("b.calls").alias("calls"),
                F.sum("b.total_ms").alias("total_ms"),
                F.max("b.max_ms").alias("max_ms"),
            )
            .groupBy("key")
            .agg(F.collect_list(F.struct("start", "calls", "total_ms", "max_ms")).alias("buckets"))
        )
        # The first distinct values in input order: each value's first (piece, position), the lowest kept.
        limit = F.when(F.col("kind") == SAMPLE, sample_limit).otherwise(IDS_PER_KIND)
        firsts = (
            partials.select("key", "piece", F.explode("firsts").alias("f"))
            .groupBy("key", F.col("f.kind").alias("kind"), F.col("f.value").alias("value"))
            .agg(F.min(F.struct("piece", F.col("f.position").alias("position"))).alias("at"))
            .withColumn("rank", F.row_number().over(Window.partitionBy("key", "kind").orderBy("at")))
            .where(F.col("rank") <= limit)
            .groupBy("key")
            .agg(F.collect_list(F.struct("kind", "value", "at.piece", "at.position")).alias("firsts"))
        )
        parts: dict[str, dict[str, Any]] = {}
        skipped = 0
        for row in main.collect():
            if row["key"] is None:
                skipped = int(row["calls"])
            else:
                parts[row["key"]] = {**row.asDict(), "histogram": [], "buckets": [], "firsts": []}
        for frame, name in ((histogram, "histogram"), (buckets, "buckets"), (firsts, "firsts")):
            for row in frame.collect():
                parts[row["key"]][name] = [item.asDict() for item in row[name]]
    finally:
        partials.unpersist()
    notes = [f"{skipped} rows without SQL were left out"] if skipped else []
    described = json.dumps({"sql": sql, "duration_ms": duration_ms, "ts": ts, "calls": calls})
    return assemble(
        parts.values(),
        dialect=dialect,
        sample_limit=sample_limit,
        bucket_seconds=bucket_seconds,
        sources=[f"spark:{described}"],
        notes=notes,
    )
