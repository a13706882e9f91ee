"""Plain workload files: CSV and JSON lines with one row per statement, and SQL files with equal weights.

CSV and JSON lines name their fields (case-insensitive, the first of each group that is present):

- the statement: ``sql``, ``query``, ``query_text``, ``statement``, ``text``;
- calls (default 1): ``calls``, ``count``, ``executions``;
- total time of those calls in milliseconds: ``total_ms``, ``total_time_ms``, ``duration_ms``, ``elapsed_ms``,
  ``total_time``, ``time_ms``;
- when it ran: ``ts``, ``time``, ``timestamp``, ``start_time``, ``end_time`` (ISO 8601, or seconds since the
  epoch);
- optional: ``rows``, ``bytes_scanned``, ``max_ms``.

A row without a statement, or with a number that is not one, is a problem naming the file and line; the rest
of the file still loads. SQL files (and folders of them) give each statement one call and no time: a workload
of what *could* run, weighted equally.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqltune.core.parsing import parse_source
from sqltune.core.source import SQL_SUFFIXES, InputProblem, read_sources
from sqltune.workload.model import Execution

__all__ = ["read", "sniff"]

_SQL = ("sql", "query", "query_text", "statement", "text")
_CALLS = ("calls", "count", "executions")
_TOTAL = ("total_ms", "total_time_ms", "duration_ms", "elapsed_ms", "total_time", "time_ms")
_TS = ("ts", "time", "timestamp", "start_time", "end_time")


def sniff(name: str, path: Path, head: str) -> bool:
    suffix = path.suffix.lower()
    if name == "sql":
        return path.is_dir() or suffix in SQL_SUFFIXES
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip()
    if name == "jsonl":
        if suffix in (".jsonl", ".ndjson"):
            return True
        try:
            row = json.loads(first)
        except ValueError:
            return False
        return isinstance(row, dict) and any(key.lower() in _SQL for key in row)
    if name == "csv":
        columns = {c.strip().strip('"').lower() for c in first.split(",")}
        return suffix == ".csv" or (len(columns) > 1 and bool(columns & set(_SQL)))
    return False


def read(path: Path, name: str, **options: Any) -> Iterator[Execution | InputProblem]:
    if name == "sql":
        return _sql(path)
    if name == "csv":
        return _csv(path, options.get("progress"))
    return _jsonl(path, options.get("progress"))


def _sql(path: Path) -> Iterator[Execution | InputProblem]:
    for source in read_sources([path]):
        if isinstance(source, InputProblem):
            yield source
            continue
        for statement in parse_source(source):
            where = f"{source.path}:{statement.span.line}"
            yield Execution(statement.text.strip(), location=where)


def _pick(row: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in row and row[name] not in (None, ""):
            return row[name]
    return None


def _time(value: Any) -> datetime:
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        return datetime.fromtimestamp(float(value), UTC)
    moment = datetime.fromisoformat(str(value).strip().replace(" UTC", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _execution(row: Mapping[str, Any], where: str) -> Execution:
    """One row as an execution; ValueError says which field is wrong."""
    row = {str(k).strip().lower(): v for k, v in row.items()}
    sql = _pick(row, _SQL)
    if not isinstance(sql, str) or not sql.strip():
        raise ValueError(f"no statement (expected a field {', '.join(_SQL)})")
    fields: dict[str, Any] = {}
    for key, names, kind in (
        ("calls", _CALLS, int),
        ("duration_ms", _TOTAL, float),
        ("rows", ("rows",), int),
        ("bytes_scanned", ("bytes_scanned",), int),
        ("max_ms", ("max_ms",), float),
    ):
        value = _pick(row, names)
        if value is not None:
            try:
                fields[key] = kind(float(value)) if kind is int else kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{names[0]} is {value!r}; expected a number") from None
    stamp = _pick(row, _TS)
    if stamp is not None:
        try:
            fields["at"] = _time(stamp)
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError(f"time {stamp!r} is not ISO 8601 or seconds since the epoch") from None
    return Execution(sql.strip(), location=where, **fields)


def _csv(path: Path, progress: Any) -> Iterator[Execution | InputProblem]:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            where = f"{path}:{reader.line_num}"
            try:
                yield _execution(row, where)
            except ValueError as error:
                yield InputProblem(str(path), f"{error}; row skipped", reader.line_num, 1)
            if progress is not None and reader.line_num % 4096 == 0:
                progress(handle.tell() if handle.seekable() else 0)


def _jsonl(path: Path, progress: Any) -> Iterator[Execution | InputProblem]:
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("expected a JSON object")
                yield _execution(row, f"{path}:{number}")
            except ValueError as error:
                message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
                yield InputProblem(str(path), f"{message}; line skipped", number, 1)
            if progress is not None and number % 4096 == 0:
                progress(handle.tell())


def size_of(path: str | os.PathLike[str]) -> int:
    """Bytes a reader will go through (for progress bars)."""
    target = Path(path)
    if target.is_dir():
        return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return target.stat().st_size
