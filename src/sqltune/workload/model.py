"""The records of a workload: :class:`Execution` (what a source reads) and :class:`Template` (the executions
of one fingerprint, aggregated); :class:`~sqltune.workload.workload.Workload` holds the templates.

Every source -- a server log, ``pg_stat_statements``, a slow log, warehouse history, dbt runs, a folder of
SQL files -- yields :class:`Execution` records; :meth:`Workload.add` folds each into its template in constant
time. An execution may stand for many calls (``pg_stat_statements`` rows and warehouse rows grouped by the
warehouse are already aggregated): ``calls`` and ``duration_ms`` are then totals and ``max_ms`` the largest.

What a template keeps is what its consumers need: calls and time (total, mean, max, and a latency histogram
for percentiles), rows, bytes and partitions scanned where the source has them, first and last seen, a few
literal samples (real shapes, for the layout advisor's pruning simulation and for explaining), the source's
own ids (``queryid``, ``query_parameterized_hash``, job ids), and calls and time per time bucket, so that a
workload filters to a time window exactly (to the bucket) after it was loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqltune.workload.fingerprint import display, literals

__all__ = ["BUCKET_SECONDS", "MAX_BUCKETS", "SAMPLES", "WORKLOAD_FORMAT", "Execution", "Template", "kind_of"]

#: Distinct literal sets kept per template.
SAMPLES = 5
#: Ids of one kind kept per template (a template may map to several queryids, e.g. IN lists of many lengths).
IDS_PER_KIND = 20
#: Latency histogram: bucket k holds executions with duration in [2^(k-1) * BASE, 2^k * BASE) ms.
HISTOGRAM_BUCKETS = 40
HISTOGRAM_BASE_MS = 2.0**-10  # about 1 microsecond; bucket 39 starts near 3 days
_TRIED = 16  # texts remembered per template while its samples fill (see Template._sample)
#: The "format" of a saved workload file.
WORKLOAD_FORMAT = "sqltune-workload"
#: Default width of the time buckets that make time-window filters exact, in seconds.
BUCKET_SECONDS = 3600
#: Time buckets a workload keeps at most, all templates together (a few MB): a workload whose templates times
#: hours would need more widens its buckets (1 h, 2 h, 4 h, ...), so memory does not grow with the log.
MAX_BUCKETS = 32768


@dataclass(slots=True)
class Execution:
    """One execution of a statement (or, with ``calls`` > 1, an aggregate of many) as a source read it."""

    sql: str
    duration_ms: float | None = None  # total over ``calls``
    at: datetime | None = None  # when it ran (ended, as logs say)
    calls: int = 1
    rows: int | None = None
    bytes_scanned: int | None = None
    partitions_scanned: int | None = None
    partitions_total: int | None = None
    max_ms: float | None = None  # for aggregates: the slowest call; otherwise the duration itself
    ids: tuple[tuple[str, str], ...] = ()  # the source's own ids: (("queryid", "-812..."),)
    location: str = ""  # where the source holds it, as the user names it: "postgresql.log:1042"
    database: str | None = None
    user: str | None = None
    first_at: datetime | None = None  # for aggregates: the earliest call (``at``, the latest, picks the bucket)


def _bucket_of(duration_ms: float) -> int:
    if duration_ms <= HISTOGRAM_BASE_MS:
        return 0
    # frexp's exponent e puts x in [2^(e-1), 2^e) exactly (log2 may round up just below a power of two).
    return min(HISTOGRAM_BUCKETS - 1, math.frexp(duration_ms / HISTOGRAM_BASE_MS)[1])


def _add_optional(current: int | None, value: int | None) -> int | None:
    if value is None:
        return current
    return value if current is None else current + value


@dataclass(slots=True)
class Template:
    """The executions of one fingerprint, aggregated."""

    fingerprint: str
    text: str  # the normalised key (see sqltune.workload.fingerprint.normalize)
    example: str  # one real execution's SQL, as the source had it
    kind: str = ""  # "select", "insert", "update", "delete", ... (its first keyword)
    calls: int = 0
    total_ms: float = 0.0
    max_ms: float | None = None
    timed_calls: int = 0  # calls whose duration the source reported
    rows: int | None = None
    bytes_scanned: int | None = None
    partitions_scanned: int | None = None
    partitions_total: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    samples: list[tuple[str, ...]] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=dict)
    location: str = ""  # where it was first seen
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BUCKETS)
    # bucket start (epoch seconds) -> [calls, total_ms, max_ms]
    buckets: dict[int, list[float]] = field(default_factory=dict)
    # Texts whose literals were already looked at while the samples are not full (not saved; bounded).
    _tried: set[str] = field(default_factory=set, repr=False, compare=False)

    @property
    def mean_ms(self) -> float | None:
        return self.total_ms / self.timed_calls if self.timed_calls else None

    @property
    def readable(self) -> str:
        """The template spaced out for people (``in (...)``, ``f(a, b)``)."""
        return display(self.text)

    def percentile(self, fraction: float) -> float | None:
        """An upper bound of the ``fraction`` percentile of single-call latency (within a factor of 2), from
        the histogram of executions that were timed one by one."""
        total = sum(self.histogram)
        if not total:
            return None
        wanted, seen = fraction * total, 0
        for index, count in enumerate(self.histogram):
            seen += count
            if seen >= wanted and count:
                return HISTOGRAM_BASE_MS * 2.0**index
        return None

    def _observe(self, execution: Execution, bucket_seconds: int, sample_limit: int) -> None:
        # The hot path of every load (once per execution): attribute look-ups and branches only, no calls
        # but the bucket's timestamp and, until the samples are full, the literals.
        calls = execution.calls
        self.calls += calls
        duration = execution.duration_ms
        slowest = 0.0
        if duration is not None:
            self.total_ms += duration
            self.timed_calls += calls
            slowest = execution.max_ms if execution.max_ms is not None else duration / calls if calls else duration
            if self.max_ms is None or slowest > self.max_ms:
                self.max_ms = slowest
            if calls == 1:
                self.histogram[_bucket_of(duration)] += 1
        if execution.rows is not None:
            self.rows = _add_optional(self.rows, execution.rows)
        if execution.bytes_scanned is not None:
            self.bytes_scanned = _add_optional(self.bytes_scanned, execution.bytes_scanned)
        if execution.partitions_scanned is not None:
            self.partitions_scanned = _add_optional(self.partitions_scanned, execution.partitions_scanned)
        if execution.partitions_total is not None:
            self.partitions_total = _add_optional(self.partitions_total, execution.partitions_total)
        at = execution.at
        if at is not None:
            first = execution.first_at or at  # an aggregate row's first call
            if self.first_seen is None or self.last_seen is None:
                self.first_seen, self.last_seen = first, at
            else:
                if at > self.last_seen:  # the common case: sources read in time order
                    self.last_seen = at
                if first < self.first_seen:
                    self.first_seen = first
            start = int(at.timestamp()) // bucket_seconds * bucket_seconds
            bucket = self.buckets.get(start)
            if bucket is None:
                self.buckets[start] = [calls, duration or 0.0, slowest]
            else:
                bucket[0] += calls
                if duration is not None:
                    bucket[1] += duration
                    if slowest > bucket[2]:
                        bucket[2] = slowest
        if len(self.samples) < sample_limit:
            self._sample(execution.sql, sample_limit)
        if execution.ids:
            for kind, value in execution.ids:
                values = self.ids.setdefault(kind, [])
                if value not in values and len(values) < IDS_PER_KIND:
                    values.append(value)

    def _sample(self, sql: str, sample_limit: int) -> None:
        """Keep the literals of ``sql`` when they are new; a text already looked at is skipped (a template
        with a few literal sets only, ``status = 'open'``, would otherwise be scanned at every execution)."""
        tried = self._tried
        if sql in tried:
            return
        if len(tried) < _TRIED:
            tried.add(sql)
        sample = literals(sql)
        if sample and sample not in self.samples:
            self.samples.append(sample)
            if len(self.samples) >= sample_limit:
                tried.clear()  # never asked again: free it

    def merge(self, other: Template, sample_limit: int = SAMPLES) -> None:
        """Fold ``other`` (the same fingerprint, from another workload) into this template."""
        self.calls += other.calls
        self.total_ms += other.total_ms
        self.timed_calls += other.timed_calls
        if other.max_ms is not None and (self.max_ms is None or other.max_ms > self.max_ms):
            self.max_ms = other.max_ms
        self.rows = _add_optional(self.rows, other.rows)
        self.bytes_scanned = _add_optional(self.bytes_scanned, other.bytes_scanned)
        self.partitions_scanned = _add_optional(self.partitions_scanned, other.partitions_scanned)
        self.partitions_total = _add_optional(self.partitions_total, other.partitions_total)
        seen = [t for t in (self.first_seen, other.first_seen) if t is not None]
        self.first_seen = min(seen) if seen else None
        seen = [t for t in (self.last_seen, other.last_seen) if t is not None]
        self.last_seen = max(seen) if seen else None
        for sample in other.samples:
            if len(self.samples) < sample_limit and sample not in self.samples:
                self.samples.append(sample)
        for kind, values in other.ids.items():
            mine = self.ids.setdefault(kind, [])
            mine.extend(v for v in values if v not in mine)
            del mine[IDS_PER_KIND:]
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        for start, (calls, total, slowest) in other.buckets.items():
            bucket = self.buckets.setdefault(start, [0, 0.0, 0.0])
            bucket[0] += calls
            bucket[1] += total
            bucket[2] = max(bucket[2], slowest)

    def rebucket(self, seconds: int) -> None:
        """Merge the time buckets into buckets ``seconds`` wide (a multiple of the current width)."""
        wider: dict[int, list[float]] = {}
        for start, (calls, total, slowest) in self.buckets.items():
            bucket = wider.get(start // seconds * seconds)
            if bucket is None:
                wider[start // seconds * seconds] = [calls, total, slowest]
            else:
                bucket[0] += calls
                bucket[1] += total
                bucket[2] = max(bucket[2], slowest)
        self.buckets = wider

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "text": self.text,
            "example": self.example,
            "kind": self.kind,
            "calls": self.calls,
            "total_ms": self.total_ms,
            "mean_ms": self.mean_ms,
            "max_ms": self.max_ms,
            "timed_calls": self.timed_calls,
            "rows": self.rows,
            "bytes_scanned": self.bytes_scanned,
            "partitions_scanned": self.partitions_scanned,
            "partitions_total": self.partitions_total,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "samples": [list(sample) for sample in self.samples],
            "ids": self.ids,
            "location": self.location,
            "histogram": {str(i): n for i, n in enumerate(self.histogram) if n},
            "buckets": {str(start): values for start, values in sorted(self.buckets.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Template:
        histogram = [0] * HISTOGRAM_BUCKETS
        for index, count in (data.get("histogram") or {}).items():
            histogram[int(index)] = int(count)
        return cls(
            fingerprint=str(data["fingerprint"]),
            text=str(data["text"]),
            example=str(data["example"]),
            kind=str(data.get("kind") or ""),
            calls=int(data["calls"]),
            total_ms=float(data["total_ms"]),
            max_ms=_float_or_none(data.get("max_ms")),
            timed_calls=int(data.get("timed_calls", 0)),
            rows=_int_or_none(data.get("rows")),
            bytes_scanned=_int_or_none(data.get("bytes_scanned")),
            partitions_scanned=_int_or_none(data.get("partitions_scanned")),
            partitions_total=_int_or_none(data.get("partitions_total")),
            first_seen=_time_or_none(data.get("first_seen")),
            last_seen=_time_or_none(data.get("last_seen")),
            samples=[tuple(str(v) for v in sample) for sample in data.get("samples") or []],
            ids={str(k): [str(v) for v in values] for k, values in (data.get("ids") or {}).items()},
            location=str(data.get("location") or ""),
            histogram=histogram,
            buckets={int(start): [float(v) for v in values] for start, values in (data.get("buckets") or {}).items()},
        )


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _time_or_none(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kind_of(sql: str) -> str:
    """The first keyword of a statement (``select``, ``insert``, ...)."""
    words = sql.split(None, 1)
    return words[0].lower().strip("(;") if words else ""
