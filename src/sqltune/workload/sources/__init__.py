"""Where workloads come from: one reader per file format, and the sniffing that picks it.

A reader is a generator ``read(path, **options)`` of :class:`~sqltune.workload.model.Execution` records (the large
log readers yield :class:`~sqltune.workload.batch.ExecutionBatch` records, many executions column by column;
:func:`one_by_one` turns them into executions) and, for entries it cannot read,
:class:`~sqltune.core.source.InputProblem` records naming the file and line (the rest of the file still loads).
Readers stream: memory stays flat however long the log is. A reader reports progress in bytes through
``options["progress"]`` when given (the CLI draws a bar from it).

Sources that need a live database (``pg_stat_statements``, MariaDB's digest table, Snowflake and BigQuery
history) are read by the connection objects in :mod:`sqltune.connectors`, which produce the same records (see
:mod:`sqltune.workload.ports`).

Formats (:data:`FORMATS`), in the order they are sniffed:
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from sqltune.core.source import InputProblem
from sqltune.workload.batch import ExecutionBatch
from sqltune.workload.model import Execution

__all__ = ["FORMATS", "Reader", "UnknownFormat", "one_by_one", "read", "sniff"]

Record = Execution | ExecutionBatch | InputProblem
Reader = Callable[..., Iterator[Record]]


class UnknownFormat(ValueError):
    """A file no reader recognises; the message names the formats known."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    module: str  # sqltune.workload.sources.<module>, imported on first use
    description: str

    def load(self) -> Any:
        return import_module(f"sqltune.workload.sources.{self.module}")


#: Every file format, in sniffing order (the more specific first).
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("workload-json", "saved", "a workload saved by sqltune (sqltune workload --out FILE.json)"),
        Format("dbt", "dbt", "a dbt target/ folder (manifest.json with compiled SQL, run_results.json timings)"),
        Format("postgres-log", "postgres_log", "a PostgreSQL server log: stderr (log_line_prefix), csvlog or jsonlog"),
        Format("mysql-slow-log", "mysql_slow_log", "a MySQL/MariaDB slow query log"),
        Format("csv", "plain", "CSV with columns sql[, calls, total_ms, ts]"),
        Format("jsonl", "plain", "JSON lines with keys sql[, calls, total_ms, ts]"),
        Format("sql", "plain", "SQL files or folders of them, every statement one call"),
    )
}
__doc__ = (__doc__ or "") + "".join(f"\n- ``{f.name}``: {f.description}" for f in FORMATS.values()) + "\n"


def _head(path: Path, size: int = 8192) -> str:
    with open(path, "rb") as handle:
        return handle.read(size).decode("utf-8", errors="replace")


def sniff(path: str | os.PathLike[str]) -> str:
    """The format of ``path``: asked of each reader's ``sniff(path, head)`` in :data:`FORMATS` order."""
    target = Path(path)
    if not target.exists():
        raise FileNotFoundError(f"workload source not found: {path}")
    head = "" if target.is_dir() else _head(target)
    for name, fmt in FORMATS.items():
        if fmt.load().sniff(name, target, head):
            return name
    known = "; ".join(f"{f.name} ({f.description})" for f in FORMATS.values())
    raise UnknownFormat(f"{path}: not a workload format sqltune knows; expected one of: {known}")


def read(path: str | os.PathLike[str], format: str | None = None, **options: Any) -> Iterator[Record]:
    """The records of one source file or folder, streamed (see the module documentation)."""
    name = format or sniff(path)
    fmt = FORMATS.get(name)
    if fmt is None:
        raise UnknownFormat(f"unknown workload format {name!r}; expected one of: {', '.join(FORMATS)}")
    reader: Reader = fmt.load().read
    return reader(Path(path), name, **options)


def one_by_one(records: Iterable[Record]) -> Iterator[Execution | InputProblem]:
    """``records`` with every batch given as its executions, one by one, in order."""
    for record in records:
        if isinstance(record, ExecutionBatch):
            yield from record.executions()
        else:
            yield record
