"""Executions column by column: how the large log readers hand executions over, and how they are folded.

A log of millions of executions would cost one :class:`~sqltune.workload.model.Execution` object and one
:meth:`Template._observe <sqltune.workload.model.Template._observe>` call each. The PostgreSQL and MySQL log
readers instead fill an :class:`ExecutionBatch` (a list per field, a few appends per execution) and
:meth:`Workload.add_batch <sqltune.workload.Workload.add_batch>` folds a whole batch at once: the texts are
normalised in bulk (:func:`~sqltune.workload.fingerprint.normalize_many`), and :func:`fold` aggregates per
template with numpy -- sums, maxima, first and last seen, the latency histogram and the time buckets each in a
few vectorised passes, then one small Python step per template, not per execution.

The result is exactly what adding the same executions one by one gives (tests/workload/test_batch.py holds the
two equal); :meth:`ExecutionBatch.executions` gives them one by one for any other consumer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import numpy as np

from sqltune.workload.model import HISTOGRAM_BASE_MS, HISTOGRAM_BUCKETS, IDS_PER_KIND, Execution, Template

__all__ = ["ExecutionBatch", "fold"]


@dataclass(slots=True)
class ExecutionBatch:
    """Executions of one source file, one list per field (``None`` where the source lacks a value). Each
    stands for one call. ``at`` holds seconds since the epoch; ``tz`` is the zone the log wrote them in (one
    per batch: a reader starts a new batch when it changes), so that first and last seen keep it."""

    path: str
    tz: tzinfo = UTC
    sql: list[str] = field(default_factory=list)
    duration_ms: list[float | None] = field(default_factory=list)
    at: list[float | None] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    rows: list[int | None] = field(default_factory=list)
    queryid: list[str | None] = field(default_factory=list)
    database: list[str | None] = field(default_factory=list)
    user: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def append(
        self,
        sql: str,
        duration_ms: float | None,
        at: float | None,
        line: int,
        rows: int | None = None,
        queryid: str | None = None,
        database: str | None = None,
        user: str | None = None,
    ) -> None:
        self.sql.append(sql)
        self.duration_ms.append(duration_ms)
        self.at.append(at)
        self.line.append(line)
        self.rows.append(rows)
        self.queryid.append(queryid)
        self.database.append(database)
        self.user.append(user)

    def location(self, index: int) -> str:
        return f"{self.path}:{self.line[index]}"

    def executions(self) -> Iterator[Execution]:
        """The same executions as :class:`Execution` records."""
        tz = self.tz
        for index, sql in enumerate(self.sql):
            at, queryid = self.at[index], self.queryid[index]
            yield Execution(
                sql,
                duration_ms=self.duration_ms[index],
                at=None if at is None else datetime.fromtimestamp(at, tz),
                rows=self.rows[index],
                ids=(("queryid", queryid),) if queryid else (),
                location=self.location(index),
                database=self.database[index],
                user=self.user[index],
            )


def fold(
    batch: ExecutionBatch,
    groups: Sequence[int],
    templates: Sequence[Template],
    bucket_seconds: int,
    sample_limit: int,
) -> None:
    """Fold ``batch`` into ``templates``: execution ``i`` belongs to ``templates[groups[i]]``. The same
    totals, maxima, first and last seen, histogram, time buckets, samples and ids as ``Template._observe``
    over the executions in order."""
    count = len(templates)
    group = np.asarray(groups, dtype=np.intp)
    calls = np.bincount(group, minlength=count)
    duration = np.array(batch.duration_ms, dtype=np.float64)  # None -> nan
    timed = ~np.isnan(duration)
    all_timed = bool(timed.all())
    timed_group = group if all_timed else group[timed]
    timed_duration = duration if all_timed else duration[timed]
    total = np.bincount(timed_group, weights=timed_duration, minlength=count)
    timed_calls = np.bincount(timed_group, minlength=count)
    slowest = np.full(count, -np.inf)
    np.maximum.at(slowest, timed_group, timed_duration)
    histogram = _histogram_pairs(timed_group, timed_duration)
    rows = np.array(batch.rows, dtype=np.float64)
    has_rows = ~np.isnan(rows)
    row_sums = np.bincount(group[has_rows], weights=rows[has_rows], minlength=count) if has_rows.any() else None
    row_seen = np.bincount(group[has_rows], minlength=count) if row_sums is not None else None
    at = np.array(batch.at, dtype=np.float64)
    has_at = ~np.isnan(at)
    first = last = None
    buckets: list[tuple[int, int, int, float, float]] = []
    if has_at.any():
        at_group, at_values = group[has_at], at[has_at]
        first, last = np.full(count, np.inf), np.full(count, -np.inf)
        np.minimum.at(first, at_group, at_values)
        np.maximum.at(last, at_group, at_values)
        buckets = _bucket_rows(
            at_group, at_values, np.where(np.isnan(duration), 0.0, duration)[has_at], timed[has_at], bucket_seconds
        )
    tz = batch.tz
    calls_list, total_list, timed_list, slowest_list = (
        calls.tolist(),
        total.tolist(),
        timed_calls.tolist(),
        slowest.tolist(),
    )
    first_list = first.tolist() if first is not None else None
    last_list = last.tolist() if last is not None else None
    for index, template in enumerate(templates):
        template.calls += calls_list[index]
        if timed_list[index]:
            template.total_ms += total_list[index]
            template.timed_calls += timed_list[index]
            if template.max_ms is None or slowest_list[index] > template.max_ms:
                template.max_ms = slowest_list[index]
        if row_sums is not None and row_seen is not None and row_seen[index]:
            template.rows = (template.rows or 0) + int(row_sums[index])
        if first_list is not None and last_list is not None and first_list[index] != np.inf:
            low, high = first_list[index], last_list[index]
            if template.first_seen is None or low < template.first_seen.timestamp():
                template.first_seen = datetime.fromtimestamp(low, tz)
            if template.last_seen is None or high > template.last_seen.timestamp():
                template.last_seen = datetime.fromtimestamp(high, tz)
    for index, bucket, number in histogram:
        templates[index].histogram[bucket] += number
    for index, start, number, summed, peak in buckets:
        held = templates[index].buckets.get(start)
        if held is None:
            templates[index].buckets[start] = [number, summed, peak]
        else:
            held[0] += number
            held[1] += summed
            if peak > held[2]:
                held[2] = peak
    _samples_and_ids(batch, groups, templates, sample_limit)


def _histogram_pairs(group: np.ndarray, duration: np.ndarray) -> list[tuple[int, int, int]]:
    """(template, histogram bucket, executions) for each pair that occurs; buckets as ``_bucket_of``."""
    if not len(group):
        return []
    exponent = np.frexp(duration / HISTOGRAM_BASE_MS)[1]
    bucket = np.where(duration <= HISTOGRAM_BASE_MS, 0, np.minimum(exponent, HISTOGRAM_BUCKETS - 1))
    pairs, numbers = np.unique(group * HISTOGRAM_BUCKETS + bucket, return_counts=True)
    templates, buckets = (pairs // HISTOGRAM_BUCKETS).tolist(), (pairs % HISTOGRAM_BUCKETS).tolist()
    return list(zip(templates, buckets, numbers.tolist(), strict=True))


def _bucket_rows(
    group: np.ndarray, at: np.ndarray, duration: np.ndarray, timed: np.ndarray, bucket_seconds: int
) -> list[tuple[int, int, int, float, float]]:
    """(template, bucket start, calls, total ms, max ms) per template and time bucket of the batch."""
    start = (at.astype(np.int64) // bucket_seconds) * bucket_seconds
    low = int(start.min())
    span = int(start.max()) - low + 1
    pairs, inverse = np.unique(group.astype(np.int64) * span + (start - low), return_inverse=True)
    calls = np.bincount(inverse)
    total = np.bincount(inverse, weights=duration)
    peak = np.zeros(len(pairs))
    np.maximum.at(peak, inverse[timed], duration[timed])
    return list(
        zip(
            (pairs // span).tolist(),
            (pairs % span + low).tolist(),
            calls.tolist(),
            total.tolist(),
            peak.tolist(),
            strict=True,
        )
    )


def _samples_and_ids(
    batch: ExecutionBatch, groups: Sequence[int], templates: Sequence[Template], sample_limit: int
) -> None:
    """Literal samples of the templates whose samples are not full, and the source's ids, in input order."""
    wanting = {index for index, template in enumerate(templates) if len(template.samples) < sample_limit}
    if wanting:
        sqls = batch.sql
        for position, index in enumerate(groups):
            if index in wanting:
                template = templates[index]
                template._sample(sqls[position], sample_limit)
                if len(template.samples) >= sample_limit:
                    wanting.discard(index)
                    if not wanting:
                        break
    if any(batch.queryid):
        seen: set[tuple[int, str]] = set()
        for index, queryid in zip(groups, batch.queryid, strict=True):
            if queryid and (index, queryid) not in seen:
                seen.add((index, queryid))
                values = templates[index].ids.setdefault("queryid", [])
                if queryid not in values and len(values) < IDS_PER_KIND:
                    values.append(queryid)
