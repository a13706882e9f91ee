"""The :class:`Workload`: query templates of one or more sources, keyed by fingerprint.

Sources yield :class:`~sqltune.workload.model.Execution` records and :meth:`Workload.add` folds each into its
:class:`~sqltune.workload.model.Template` in constant time (a dictionary look-up on the normalised text).
Workloads merge, filter (a time window, exact to the time bucket; a minimum of calls; the top N by time),
save to and load from JSON, and give :class:`~sqltune.workload.usage.UsageStats`. The constructors read
every source: files by format (:mod:`sqltune.workload.sources`), live databases through a connection.

>>> workload = Workload()
>>> for aid in (1, 2, 3):
...     _ = workload.add(Execution(f"SELECT * FROM accounts WHERE aid = {aid}", duration_ms=2.0 * aid))
>>> [(t.text, t.calls, t.total_ms, t.max_ms) for t in workload]
[('select * from accounts where aid = ?', 3, 12.0, 6.0)]
>>> workload.templates[0].samples
[('1',), ('2',), ('3',)]
"""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqltune.core.display import Displayable
from sqltune.core.source import InputProblem, read_json
from sqltune.workload.batch import ExecutionBatch, fold
from sqltune.workload.fingerprint import (
    backslash_escapes,
    fingerprint_normalized,
    mysql_quotes,
    normalize,
    normalize_many,
)
from sqltune.workload.model import (
    BUCKET_SECONDS,
    MAX_BUCKETS,
    SAMPLES,
    WORKLOAD_FORMAT,
    Execution,
    Template,
    kind_of,
)
from sqltune.workload.sources import read, sniff

if TYPE_CHECKING:
    from sqltune.schema import Schema
    from sqltune.workload.ports import WorkloadConnection
    from sqltune.workload.usage import UsageStats

__all__ = ["ORDERS", "Workload"]

#: Orders of :meth:`Workload.top`.
ORDERS: dict[str, Callable[[Template], float]] = {
    "total_ms": lambda t: t.total_ms,
    "calls": lambda t: float(t.calls),
    "mean_ms": lambda t: t.mean_ms or 0.0,
    "max_ms": lambda t: t.max_ms or 0.0,
    "bytes_scanned": lambda t: float(t.bytes_scanned or 0),
}


class Workload(Displayable):
    """Query templates from one or more sources, keyed by fingerprint; see the module documentation."""

    FORMAT = WORKLOAD_FORMAT
    VERSION = 1

    def __init__(
        self,
        dialect: str | None = None,
        *,
        sample_limit: int = SAMPLES,
        bucket_seconds: int = BUCKET_SECONDS,
        max_buckets: int | None = MAX_BUCKETS,
    ) -> None:
        self.dialect = dialect
        # how the dialect quotes: backslash escapes in strings; "…" strings and `names` (MySQL)
        self._quoting = (backslash_escapes(dialect), mysql_quotes(dialect))
        self.sample_limit = sample_limit
        self.bucket_seconds = bucket_seconds
        #: At most this many time buckets in all (None: no limit); see :data:`~sqltune.workload.model.MAX_BUCKETS`.
        self.max_buckets = max_buckets
        self._bucket_count = 0
        self._by_text: dict[str, Template] = {}
        self.sources: list[str] = []
        self.problems: list[InputProblem] = []  # entries that could not be read, each with file:line
        self.notes: list[str] = []  # what a filter or source left out, said once
        self._usage: dict[int, UsageStats] = {}

    # -- building ------------------------------------------------------------------------------------
    def add(self, execution: Execution, normalized: str | None = None) -> Template:
        """Fold one execution into its template (made on first sight); ``normalized`` skips normalising
        when the caller already has the key (a batch path, a source that stores it)."""
        key = normalize(execution.sql, *self._quoting) if normalized is None else normalized
        template = self._by_text.get(key)
        if template is None:
            template = Template(
                fingerprint_normalized(key), key, execution.sql, kind_of(key), location=execution.location
            )
            self._by_text[key] = template
            self._usage.clear()
        held = len(template.buckets)
        template._observe(execution, self.bucket_seconds, self.sample_limit)
        if len(template.buckets) != held:
            self._bucket_count += 1
            if self.max_buckets is not None and self._bucket_count > self.max_buckets:
                self.bound_buckets()
        return template

    def add_batch(self, batch: ExecutionBatch) -> None:
        """Fold a batch of executions (the large log readers' records; see :mod:`sqltune.workload.batch`):
        normalised in bulk, aggregated per template with numpy; the same result as :meth:`add` one by one."""
        if not len(batch):
            return
        keys = normalize_many(batch.sql, *self._quoting)
        slots = {key: slot for slot, key in enumerate(dict.fromkeys(keys))}  # in order of first sight
        groups = [slots[key] for key in keys]
        templates: list[Template] = []
        by_text = self._by_text
        firsts: dict[int, int] | None = None
        for key, slot in slots.items():
            template = by_text.get(key)
            if template is None:
                if firsts is None:
                    firsts = {}
                    for position, group in enumerate(groups):
                        firsts.setdefault(group, position)
                first = firsts[slot]
                template = Template(
                    fingerprint_normalized(key), key, batch.sql[first], kind_of(key), location=batch.location(first)
                )
                by_text[key] = template
                self._usage.clear()
            templates.append(template)
        held = sum(len(template.buckets) for template in templates)
        fold(batch, groups, templates, self.bucket_seconds, self.sample_limit)
        self._bucket_count += sum(len(template.buckets) for template in templates) - held
        if self.max_buckets is not None and self._bucket_count > self.max_buckets:
            self.bound_buckets()

    def bound_buckets(self) -> None:
        """Widen the time buckets (doubling their width) until there are at most :attr:`max_buckets`."""
        self._bucket_count = sum(len(template.buckets) for template in self._by_text.values())
        while self.max_buckets is not None and self._bucket_count > self.max_buckets:
            self.bucket_seconds *= 2
            for template in self._by_text.values():
                template.rebucket(self.bucket_seconds)
            self._bucket_count = sum(len(template.buckets) for template in self._by_text.values())

    def extend(self, records: Iterable[Execution | ExecutionBatch | InputProblem]) -> Workload:
        """Add every execution and batch; an :class:`InputProblem` (a corrupt entry) is kept in
        :attr:`problems`."""
        add, problems = self.add, self.problems
        for item in records:
            if isinstance(item, Execution):
                add(item)
            elif isinstance(item, ExecutionBatch):
                self.add_batch(item)
            else:
                problems.append(item)
        return self

    def merge(self, other: Workload) -> Workload:
        """A new workload holding the templates of both (the same fingerprint is one template)."""
        merged = Workload(self.dialect or other.dialect, sample_limit=self.sample_limit, max_buckets=self.max_buckets)
        # Widths are the default times powers of two (see bound_buckets): the wider one holds both.
        merged.bucket_seconds = width = max(self.bucket_seconds, other.bucket_seconds)
        for workload in (self, other):
            merged.sources.extend(workload.sources)
            merged.problems.extend(workload.problems)
            merged.notes.extend(workload.notes)
            for key, template in workload._by_text.items():
                copy = Template.from_dict(template.to_dict())
                if workload.bucket_seconds != width:
                    copy.rebucket(width)
                mine = merged._by_text.get(key)
                if mine is None:
                    merged._by_text[key] = copy
                else:
                    mine.merge(copy, self.sample_limit)
        merged.bound_buckets()
        return merged

    # -- reading -------------------------------------------------------------------------------------
    @property
    def templates(self) -> list[Template]:
        """The templates, most total time first (then most calls, then by text, for a stable order)."""
        return sorted(self._by_text.values(), key=lambda t: (-t.total_ms, -t.calls, t.text))

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates)

    def __len__(self) -> int:
        return len(self._by_text)

    def __getitem__(self, fingerprint: str) -> Template:
        for template in self._by_text.values():
            if template.fingerprint == fingerprint:
                return template
        raise KeyError(fingerprint)

    def template_of(self, sql: str) -> Template | None:
        """The template ``sql`` is an execution of, if this workload has it."""
        return self._by_text.get(normalize(sql, *self._quoting))

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self._by_text.values())

    @property
    def total_ms(self) -> float:
        return sum(t.total_ms for t in self._by_text.values())

    def top(self, n: int | None = None, by: str = "total_ms") -> list[Template]:
        """The ``n`` templates first by ``by`` (one of :data:`ORDERS`)."""
        if by not in ORDERS:
            raise ValueError(f"unknown order {by!r}; expected one of: {', '.join(ORDERS)}")
        ranked = sorted(self._by_text.values(), key=lambda t: (-ORDERS[by](t), -t.calls, t.text))
        return ranked if n is None else ranked[:n]

    def filter(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        min_calls: int = 1,
        top: int | None = None,
        by: str = "total_ms",
        where: Callable[[Template], bool] | None = None,
    ) -> Workload:
        """A new workload: only the calls in ``[since, until)`` (exact to :attr:`bucket_seconds`), only
        templates with at least ``min_calls`` calls there, only the ``top`` first by ``by``."""
        result = Workload(
            self.dialect,
            sample_limit=self.sample_limit,
            bucket_seconds=self.bucket_seconds,
            max_buckets=self.max_buckets,
        )
        result.sources, result.problems, result.notes = list(self.sources), list(self.problems), list(self.notes)
        windowed = since is not None or until is not None
        untimed = 0
        for key, template in self._by_text.items():
            if where is not None and not where(template):
                continue
            copy = Template.from_dict(template.to_dict())
            if windowed:
                if not copy.buckets:
                    untimed += 1
                    continue
                if not _window(copy, since, until):
                    continue
            if copy.calls >= min_calls:
                result._by_text[key] = copy
        if untimed:
            result.notes.append(f"{untimed} templates without timestamps were left out of the time window")
        if top is not None:
            keep = {id(t) for t in result.top(top, by)}
            result._by_text = {k: t for k, t in result._by_text.items() if id(t) in keep}
        return result

    def usage(self, schema: Schema | None = None) -> UsageStats:
        """Usage statistics over the templates (each template parsed once; cached per schema)."""
        from sqltune.workload.usage import UsageStats

        key = id(schema)
        if key not in self._usage:
            self._usage[key] = UsageStats.from_workload(self, schema)
        return self._usage[key]

    # -- sources -------------------------------------------------------------------------------------
    @classmethod
    def read(
        cls,
        *sources: str | os.PathLike[str],
        format: str | None = None,
        dialect: str | None = None,
        progress: Callable[[int], None] | None = None,
        **options: Any,
    ) -> Workload:
        """A workload from files and folders of any known format (sniffed unless ``format`` is given; see
        :mod:`sqltune.workload.sources`). Saved workloads are merged in whole."""
        workload = cls(dialect)
        done = 0  # bytes of the sources already read, so that progress runs over all of them
        for source in sources:
            name = format or sniff(source)
            workload.sources.append(f"{name}:{source}")
            if name == "workload-json":
                workload = workload.merge(cls.load(source))
                continue
            step = None if progress is None else (lambda position, base=done: progress(base + position))
            with _collector_paused():
                workload.extend(read(source, name, progress=step, dialect=dialect, **options))
            done += _size(Path(source))
        return workload

    @classmethod
    def from_postgres_log(cls, path: str | os.PathLike[str], **options: Any) -> Workload:
        """A PostgreSQL server log (stderr with ``log_line_prefix``, csvlog or jsonlog; sniffed)."""
        return cls.read(path, format="postgres-log", dialect=options.pop("dialect", "postgres"), **options)

    @classmethod
    def from_mysql_slow_log(cls, path: str | os.PathLike[str], **options: Any) -> Workload:
        """A MySQL or MariaDB slow query log."""
        return cls.read(path, format="mysql-slow-log", dialect=options.pop("dialect", "mysql"), **options)

    @classmethod
    def from_dbt(cls, target: str | os.PathLike[str], **options: Any) -> Workload:
        """A dbt ``target/`` folder: each model's compiled SQL timed by ``run_results.json``."""
        return cls.read(target, format="dbt", **options)

    @classmethod
    def from_sql(cls, *paths: str | os.PathLike[str], dialect: str | None = None) -> Workload:
        """SQL files or folders: every statement one call, no timings."""
        return cls.read(*paths, format="sql", dialect=dialect)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], **options: Any) -> Workload:
        return cls.read(path, format="csv", **options)

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike[str], **options: Any) -> Workload:
        return cls.read(path, format="jsonl", **options)

    @classmethod
    def from_connection(cls, connection: WorkloadConnection, dialect: str | None = None, **options: Any) -> Workload:
        """What a live database reports (see :class:`~sqltune.workload.ports.WorkloadConnection`)."""
        workload = cls(dialect or connection.dialect)
        workload.sources.append(connection.describe_workload(**options))
        return workload.extend(connection.read_workload(**options))

    @classmethod
    def from_pg_stat_statements(cls, connection: WorkloadConnection, **options: Any) -> Workload:
        """PostgreSQL's ``pg_stat_statements`` (12 to 17), sqltune's own statements left out."""
        return cls.from_connection(connection, source="pg_stat_statements", **options)

    @classmethod
    def from_mysql_digest(cls, connection: WorkloadConnection, **options: Any) -> Workload:
        """MySQL/MariaDB ``performance_schema.events_statements_summary_by_digest``."""
        return cls.from_connection(connection, source="digest", **options)

    @classmethod
    def from_snowflake(cls, connection: WorkloadConnection, days: int = 30, **options: Any) -> Workload:
        """Snowflake ``ACCOUNT_USAGE.QUERY_HISTORY`` with ``ACCESS_HISTORY``, grouped in the warehouse."""
        return cls.from_connection(connection, source="query_history", days=days, **options)

    @classmethod
    def from_bigquery(cls, connection: WorkloadConnection, days: int = 30, **options: Any) -> Workload:
        """BigQuery ``INFORMATION_SCHEMA.JOBS``, grouped in the warehouse."""
        return cls.from_connection(connection, source="jobs", days=days, **options)

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Workload:
        data = read_json(path, "the workload", f'a workload saved by sqltune ("format": "{WORKLOAD_FORMAT}")')
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT,
            "version": self.VERSION,
            "dialect": self.dialect,
            "bucket_seconds": self.bucket_seconds,
            "sources": self.sources,
            "summary": {"templates": len(self), "calls": self.calls, "total_ms": self.total_ms},
            "notes": self.notes,
            "problems": [
                {"path": p.path, "line": p.line, "column": p.column, "message": p.message} for p in self.problems
            ],
            "templates": [template.to_dict() for template in self.templates],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str = "<workload>") -> Workload:
        if data.get("format") != cls.FORMAT:
            raise ValueError(f'{path}: not a sqltune workload file (expected "format": "{cls.FORMAT}")')
        if int(data.get("version", 0)) > cls.VERSION:
            raise ValueError(f"{path}: workload format version {data['version']} is newer than this sqltune reads")
        workload = cls(data.get("dialect"), bucket_seconds=int(data.get("bucket_seconds") or BUCKET_SECONDS))
        workload.sources = [str(s) for s in data.get("sources") or []]
        workload.notes = [str(n) for n in data.get("notes") or []]
        workload.problems = [
            InputProblem(str(p["path"]), str(p["message"]), int(p.get("line") or 0), int(p.get("column") or 0))
            for p in data.get("problems") or []
        ]
        for item in data.get("templates") or []:
            template = Template.from_dict(item)
            workload._by_text[template.text] = template
        workload.bound_buckets()
        return workload


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a source is read: reading allocates millions of
    short-lived strings and tuples, freed by reference counting (none is part of a cycle), and every
    collection the allocations trigger scans the templates for nothing (10-20 % of a large log's time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _window(template: Template, since: datetime | None, until: datetime | None) -> bool:
    """Restrict ``template``'s totals to its buckets inside the window; False when none is."""
    low = since.timestamp() if since else -math.inf
    high = until.timestamp() if until else math.inf
    kept = {start: values for start, values in template.buckets.items() if low <= start < high}
    if not kept:
        return False
    dropped_calls = template.calls - sum(int(v[0]) for v in kept.values())
    template.buckets = kept
    template.calls = sum(int(v[0]) for v in kept.values())
    template.total_ms = sum(v[1] for v in kept.values())
    template.timed_calls = max(0, template.timed_calls - dropped_calls)
    template.max_ms = max(v[2] for v in kept.values())
    # The histogram is not bucketed by time: it keeps describing the whole load.
    if since is not None and template.first_seen is not None:
        template.first_seen = max(template.first_seen, since)
    if until is not None and template.last_seen is not None:
        template.last_seen = min(template.last_seen, until)
    return True
