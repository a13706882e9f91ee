"""The ``postgres-log`` reader: executions from a PostgreSQL server log, in any of its three formats.

What the server must log (see ``docs/workload.md``): ``log_min_duration_statement = 0`` (or a threshold: only
the slower statements are then seen), or ``log_statement = 'all'`` with ``log_duration = on``.

- **stderr** (``log_destination = 'stderr'``): one entry per line that starts with ``log_line_prefix``; the
  message's own newlines continue on lines starting with a tab. The prefix comes from the option
  ``log_line_prefix="%m [%p] %q%u@%d "`` (:func:`prefix_pattern` turns its escapes into a regular
  expression), else the best of :data:`COMMON_PREFIXES` on the head of the file, else a generic prefix that
  finds only the time.
- **csvlog** (``.csv``, PostgreSQL 12 to 17: 23 to 26 columns) and **jsonlog** (``.json``, PostgreSQL 15+):
  one record per entry, the ``DETAIL`` in the same record.

Which messages make executions (only ``LOG`` entries; errors, notices and the rest are skipped):

- ``duration: 1.2 ms  statement: SQL`` -- one execution (simple protocol);
- ``duration: 1.2 ms  execute <unnamed>: SQL`` (or ``execute S_1:``, ``execute fetch from S_1/C_2:``) with
  ``DETAIL:  parameters: $1 = '42', $2 = NULL`` -- one execution, the values substituted into the SQL as
  literals so that a template's samples are the values that ran (a NULL leaves its ``$n``: ``= NULL`` would be
  another template). The template is the same with or without the values;
- ``duration: 0.1 ms  parse S_1: SQL`` and ``duration: 0.1 ms  bind S_1: SQL`` are *not* counted: they are
  phases of one extended-protocol execution whose ``execute`` line follows (a prepared statement is parsed
  once and executed many times), and counting them would count one execution two or three times; their time
  (planning, mostly) is not added either, as ``pg_stat_statements`` does not add it to execution time;
- ``statement: SQL`` / ``execute S_1: SQL`` without a duration (``log_statement``) wait for the same backend's
  plain ``duration: 1.2 ms`` line (``log_duration``, or ``log_min_duration_statement`` after a statement
  ``log_statement`` already logged); without one they count as an untimed execution. Backends are told apart
  by ``%p`` (else ``%c``) in the prefix, or the record's pid;
- ``duration: … ms  plan:`` (auto_explain) is skipped: its statement is logged on its own line.

Each execution carries its time (tz-aware ``at``), user, database and ``%Q`` query id (PostgreSQL 14+ with
``compute_query_id``) as ``ids=(("queryid", "-812…"),)``, the same id ``pg_stat_statements`` shows. A line
that cannot be read is an :class:`~sqltune.core.source.InputProblem` naming file and line and saying what
was expected; the rest of the log still loads. An entry cut off at the end of the file (no final newline: a
log still being written) is reported, not counted.

Speed: the stderr reader matches one regular expression per entry line and does everything else with string
methods; timestamps are parsed once per second of log; nothing is kept per entry, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sqltune.core.source import SQL_SUFFIXES, InputProblem
from sqltune.workload.batch import ExecutionBatch
from sqltune.workload.sources.blocks import blocks

__all__ = ["COMMON_PREFIXES", "FIELDS", "prefix_pattern", "read", "sniff"]

Record = ExecutionBatch | InputProblem

#: Prefixes tried on the head of a stderr log when no ``log_line_prefix`` is given, most specific first.
COMMON_PREFIXES = (
    "%m [%p] %q%u@%d %Q ",  # Debian's default with the query id
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",  # pgBadger's recommendation
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%t:%r:%u@%d:[%p]:",  # Amazon RDS
    "%m:%r:%u@%d:[%p]:",
    "%m [%p] %q%u@%d ",  # Debian's default
    "%t [%p] %q%u@%d ",
    "%m [%p-%l] %q%u@%d ",
    "%t [%p-%l] %q%u@%d ",
    "%m [%p] ",  # PostgreSQL's default
    "%t [%p] ",
    "%m [%p]: ",
    "%t [%p]: ",
    "%m ",
    "%t ",
)

_LEVELS = "LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION"
# Digits are ASCII ([0-9]: a class of ten scans faster than \d's Unicode category).
_ZONE = r"(?: (?:[A-Za-z][A-Za-z0-9_/+-]*|[+-][0-9][0-9](?::?[0-9][0-9])?))?"
_STAMP = r"[0-9]{4}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
# What each escape of log_line_prefix prints: (group name or None, pattern). The first %t/%m/%n is the time.
_ESCAPES: dict[str, tuple[str | None, str]] = {
    "a": (None, r"[^\n]*?"),
    "u": ("user", r"\S*?"),  # names with spaces are read exactly from csvlog and jsonlog only
    "d": ("db", r"\S*?"),
    "r": (None, r"\S*"),
    "h": (None, r"\S*"),
    "b": (None, r"[^\n]*?"),
    "p": ("pid", r"[0-9]+"),
    "P": (None, r"[0-9]*"),
    "t": ("t", _STAMP + _ZONE),
    "m": ("t", _STAMP + r"\.[0-9]{3}" + _ZONE),
    "n": ("epoch", r"[0-9]+(?:\.[0-9]+)?"),
    "i": (None, r"[^\n]*?"),
    "e": (None, r"[0-9A-Z]{5}"),
    "c": ("session", r"[0-9a-f]+\.[0-9a-f]+"),
    "l": (None, r"[0-9]+"),
    "s": (None, _STAMP + _ZONE),
    "v": (None, r"(?:[0-9]+/[0-9]+)?"),
    "x": (None, r"[0-9]+"),
    "Q": ("qid", r"-?[0-9]+"),
}
_ESCAPE = re.compile(r"%(-?\d*)(.)")
#: The fields an entry pattern has (those its prefix lacks never match: ``None``), then severity and message.
FIELDS = ("t", "epoch", "pid", "session", "user", "db", "qid", "level", "msg")
_GROUPS = (*FIELDS, "ms")  # "ms": the duration (see _DURATION_STATEMENT)
# After the prefix: the severity, and the message with its continuation lines (each starts with a tab).
_ENTRY = rf"(?P<level>{_LEVELS}):  (?P<msg>[^\n]*(?:\n\t[^\n]*)*)(?:\n|\Z)"


def _entry_pattern(prefix: str, present: set[str]) -> re.Pattern[str]:
    absent = "".join(f"(?P<{name}>){{0}}" for name in FIELDS[:-2] if name not in present)
    return re.compile(f"^{prefix}{absent}{_ENTRY}", re.MULTILINE)


# Only "LOG:  duration: … ms  statement: …" entries, with the groups of the entry pattern in the same order:
# findall() over a block whose entries are all of this kind (see _columns).
_DURATION_STATEMENT = (
    r"(?P<level>LOG):  duration: (?P<ms>[0-9]+\.[0-9]+) ms  statement: (?P<msg>[^\n]*(?:\n\t[^\n]*)*)\n"
)


def _statements_pattern(entry: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern of :func:`_entry_pattern` for duration-and-statement entries only."""
    assert entry.pattern.endswith(_ENTRY)
    return re.compile(entry.pattern[: -len(_ENTRY)] + _DURATION_STATEMENT, re.MULTILINE)


# Used when no prefix fits: a time at the start if there is one, then anything up to the severity.
_GENERIC = _entry_pattern(rf"(?P<t>{_STAMP}(?:\.\d+)?{_ZONE})?[^\n]*?", {"t"})


class PrefixError(ValueError):
    """A ``log_line_prefix`` with an escape PostgreSQL does not have."""


def prefix_pattern(prefix: str) -> re.Pattern[str]:
    """The regular expression of a stderr entry with ``log_line_prefix = prefix`` (multi-line: ``^`` at each
    line): the groups of :data:`FIELDS` (the prefix's fields, ``None`` where it has not got them), then the
    severity and the message, continuation lines included (their tabs kept).

    >>> text = "2024-05-01 10:00:00.123 UTC [42] app@shop 7 LOG:  duration: 0.5 ms  statement: SELECT 1\\n\\t, 2\\n"
    >>> match = prefix_pattern("%m [%p] %q%u@%d %Q ").match(text)
    >>> match.group("t", "pid", "user", "db", "qid", "level")
    ('2024-05-01 10:00:00.123 UTC', '42', 'app', 'shop', '7', 'LOG')
    >>> match["msg"], match["epoch"]
    ('duration: 0.5 ms  statement: SELECT 1\\n\\t, 2', None)
    """
    parts: list[str] = []
    optional_from: int | None = None
    seen: set[str] = set()
    position = 0
    for match in _ESCAPE.finditer(prefix):
        parts.append(re.escape(prefix[position : match.start()]))
        position = match.end()
        padding, letter = match.groups()
        if letter == "%":
            parts.append("%")
            continue
        if letter == "q":
            optional_from = len(parts)
            continue
        if letter not in _ESCAPES:
            raise PrefixError(f"log_line_prefix {prefix!r}: unknown escape %{letter}")
        group, pattern = _ESCAPES[letter]
        if group is not None and group not in seen and not (group == "epoch" and "t" in seen):
            seen.add(group)
            pattern = f"(?P<{group}>{pattern})"
        else:
            pattern = f"(?:{pattern})"
        parts.append(rf" *{pattern} *" if padding else pattern)
    parts.append(re.escape(prefix[position:]))
    if optional_from is not None:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    return _entry_pattern("".join(parts), seen)


# -- sniffing -------------------------------------------------------------------------------------------
_CSV_HEAD = re.compile(rf"{_STAMP}\.\d+{_ZONE},.*?,(?:{_LEVELS}),[0-9A-Z]{{5}},")
_STDERR_HEAD = re.compile(rf"^[^\t\n][^\n]{{0,300}}?\b(?:{_LEVELS}):  ", re.MULTILINE)


def _format_of(head: str) -> str | None:
    """``jsonlog``, ``csvlog``, ``stderr`` or ``None``, from the first kilobytes."""
    first = head.lstrip("\ufeff").lstrip("\n").split("\n", 1)[0]
    if first.startswith('{"timestamp":') and '"error_severity":' in first:
        return "jsonlog"
    if _CSV_HEAD.match(first):
        return "csvlog"
    if _STDERR_HEAD.search(head):
        return "stderr"
    return None


def sniff(name: str, path: Path, head: str) -> bool:
    # A SQL file is never a log, even with "ERROR:  " in a comment.
    return path.is_file() and path.suffix.lower() not in SQL_SUFFIXES and _format_of(head) is not None


# -- times ----------------------------------------------------------------------------------------------
_ZONES = {
    "UTC": 0.0, "GMT": 0.0, "Z": 0.0, "UCT": 0.0, "WET": 0.0, "WEST": 1.0, "BST": 1.0, "CET": 1.0, "CEST": 2.0,
    "MET": 1.0, "MEST": 2.0, "EET": 2.0, "EEST": 3.0, "MSK": 3.0, "IST": 5.5, "HKT": 8.0, "AWST": 8.0,
    "JST": 9.0, "KST": 9.0, "ACST": 9.5, "ACDT": 10.5, "AEST": 10.0, "AEDT": 11.0, "NZST": 12.0, "NZDT": 13.0,
    "HST": -10.0, "AKST": -9.0, "AKDT": -8.0, "PST": -8.0, "PDT": -7.0, "MST": -7.0, "MDT": -6.0, "CST": -6.0,
    "CDT": -5.0, "EST": -5.0, "EDT": -4.0, "AST": -4.0, "ADT": -3.0, "NST": -3.5, "NDT": -2.5, "BRT": -3.0,
}  # fmt: skip
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)?")


class _Clock:
    """Log timestamps as seconds since the epoch and the zone they were written in, parsed once per second of
    log (then only the fraction)."""

    def __init__(self, path: str, default: tzinfo | str | None) -> None:
        self.path = path
        if isinstance(default, str):
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                default = ZoneInfo(default)
            except ZoneInfoNotFoundError:
                raise ValueError(f"unknown time zone {default!r}") from None
        self.default = default
        self._second = self._zone = ""
        self.base = 0.0  # the last second read, in seconds since the epoch
        self.tz: tzinfo = UTC
        self.problems: list[InputProblem] = []
        self._unknown: set[str] = set()

    def zone(self, name: str, line: int) -> tzinfo:
        hours = _ZONES.get(name.upper())
        if hours is not None:
            return UTC if hours == 0 else timezone(timedelta(hours=hours))
        offset = _OFFSET.fullmatch(name)
        if offset:
            sign = -1 if offset.group(1) == "-" else 1
            return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0)))
        if self.default is not None:
            return self.default
        if name not in self._unknown:
            self._unknown.add(name)
            self.problems.append(
                InputProblem(
                    self.path,
                    f"time zone {name!r} is not one sqltune knows; times read as UTC (pass timezone=NAME, "
                    "or log with log_timezone = 'UTC')",
                    line,
                    1,
                )
            )
        return UTC

    def __call__(self, stamp: str, line: int) -> float:
        """``2024-05-01 10:00:00.123 UTC`` (any fraction, an abbreviation or ``+03`` or none) as seconds since
        the epoch; :attr:`tz` is then the zone it was written in."""
        second = stamp[:19]
        if stamp[19:20] == ".":
            space = stamp.find(" ", 20)
            if space < 0:
                space = len(stamp)
            micro = int(stamp[20:space]) * 1000 if space == 23 else int(stamp[20:space][:6].ljust(6, "0"))
            zone = stamp[space + 1 :]
        else:
            micro, zone = 0, stamp[20:]
        if second != self._second or zone != self._zone:
            moment = datetime.fromisoformat(second)  # ValueError for a corrupt stamp
            self.tz = self.zone(zone, line) if zone else self.default or UTC
            self.base = moment.replace(tzinfo=self.tz).timestamp()
            self._second, self._zone = second, zone
        return self.base + micro / 1e6 if micro else self.base


def _epoch(value: str) -> float:
    moment = float(value)
    datetime.fromtimestamp(moment, UTC)  # OverflowError/ValueError for a number no date has
    return moment


# -- from messages to executions ------------------------------------------------------------------------
_PARAMETER = re.compile(r"\$(\d+) = (?:'((?:[^']|'')*)'|NULL)(?:, |$)")
_SUBSTITUTE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\d+)(?!\d)")
_PENDING_LIMIT = 4096  # backends with a logged statement waiting for its duration line
_BATCH_ROWS = 16384  # executions per batch handed over (see sqltune.workload.batch)


def _bind(sql: str, detail: str) -> str | None:
    """``sql`` with ``$n`` replaced by the values of ``DETAIL:  parameters: $1 = '…', …`` as literals (a NULL
    keeps its ``$n``); ``None`` when the detail is not a parameter list PostgreSQL writes.

    >>> _bind("SELECT $1, $2, $10, '$1'", "Parameters: $1 = 'it''s', $2 = NULL, $10 = '7'")
    "SELECT 'it''s', $2, '7', '$1'"
    """
    text = detail[12:]  # after "parameters: " (PostgreSQL 18: "Parameters: ")
    values: dict[str, str] = {}
    position = 0
    for match in _PARAMETER.finditer(text):
        if match.start() != position:
            return None
        position = match.end()
        if match.group(2) is not None:
            values[match.group(1)] = "'" + match.group(2) + "'"
    if position != len(text):
        return None

    def replace(match: re.Match[str]) -> str:
        number = match.group(1)
        return values.get(number, match.group()) if number else match.group()

    return _SUBSTITUTE.sub(replace, sql) if values else sql


class _Assembler:
    """Turns entries into executions, appended to the current :class:`ExecutionBatch` (handed over through
    :attr:`out` with the problems): durations joined to their statements, parameters bound, the time window
    applied."""

    def __init__(self, path: str, since: datetime | None, until: datetime | None) -> None:
        self.path = path
        self.low = since.timestamp() if since is not None else None
        self.high = until.timestamp() if until is not None else None
        self.out: list[Record] = []
        self.batch = ExecutionBatch(path)
        # backend -> a statement waiting for its duration: (sql, at, tz, line, queryid, database, user)
        self.pending: dict[str | None, tuple[str, float | None, tzinfo, int, str | None, str | None, str | None]] = {}

    def emit(
        self,
        sql: str,
        duration: float | None,
        at: float | None,
        tz: tzinfo,
        line: int,
        queryid: str | None,
        database: str | None,
        user: str | None,
    ) -> None:
        if at is not None and ((self.low is not None and at < self.low) or (self.high is not None and at >= self.high)):
            return
        batch = self.batch
        if batch.tz is not tz and at is not None:
            if batch.sql:
                self.take()
                batch = self.batch
            batch.tz = tz
        batch.append(sql, duration, at, line, None, queryid if queryid and queryid != "0" else None, database, user)
        if len(batch.sql) >= _BATCH_ROWS:
            self.take()

    def take(self) -> None:
        """Hand the current batch over (to :attr:`out`) and start a new one."""
        if self.batch.sql:
            self.out.append(self.batch)
            self.batch = ExecutionBatch(self.path, self.batch.tz)

    def problem(self, line: int, message: str) -> None:
        self.out.append(InputProblem(self.path, message, line, 1))

    def _extended(self, text: str, detail: str | None, line: int) -> str | None:
        """The SQL of ``execute <name>: SQL`` (``text`` starts at the name) with its parameters bound."""
        colon = text.find(": ")
        if colon < 0:
            self.problem(line, "expected 'execute <name>: <statement>'")
            return None
        sql = text[colon + 2 :]
        if detail is None or not detail.startswith(("parameters: ", "Parameters: ")):  # 18 capitalises it
            return sql
        bound = _bind(sql, detail)
        if bound is None:
            self.problem(
                line, "DETAIL is not a parameter list (expected \"parameters: $1 = '…', $2 = NULL\"); values left out"
            )
            return sql
        return bound

    def feed(
        self,
        message: str,
        detail: str | None,
        key: str | None,
        at: float | None,
        tz: tzinfo,
        user: str | None,
        database: str | None,
        queryid: str | None,
        line: int,
    ) -> None:
        """One ``LOG`` entry (see the module documentation for which messages count)."""
        duration: float | None = None
        if message.startswith("duration: "):
            end = message.find(" ms", 10)
            with contextlib.suppress(ValueError):
                duration = float(message[10:end]) if end > 0 else None
            if duration is None:
                self.problem(line, "expected 'duration: <milliseconds> ms' (a corrupt or cut entry)")
                return
            if message.startswith("  statement: ", end + 3):
                sql: str | None = message[end + 16 :]
            elif message.startswith("  execute ", end + 3):
                sql = self._extended(message[end + 13 :], detail, line)
            elif end + 3 == len(message):  # a plain duration: the statement was logged before it
                waiting = self.pending.pop(key, None)
                if waiting is not None:
                    self.emit(waiting[0], duration, *waiting[1:])
                return
            else:  # parse / bind phases, auto_explain plans: see the module documentation
                return
        elif message.startswith("statement: "):
            sql = message[11:]
        elif message.startswith("execute "):
            sql = self._extended(message[8:], detail, line)
        else:
            return
        if sql is None:
            return
        pending = self.pending
        if pending:
            waiting = pending.pop(key, None)
            if waiting is not None:
                self.emit(waiting[0], None, *waiting[1:])
        if duration is not None:
            self.emit(sql, duration, at, tz, line, queryid, database or None, user or None)
            return
        if len(pending) >= _PENDING_LIMIT:  # the oldest backend's statement never got a duration
            oldest = pending.pop(next(iter(pending)))
            self.emit(oldest[0], None, *oldest[1:])
        pending[key] = (sql, at, tz, line, queryid, database or None, user or None)

    def finish(self) -> None:
        for waiting in self.pending.values():
            self.emit(waiting[0], None, *waiting[1:])
        self.pending.clear()
        self.take()


# -- the readers ----------------------------------------------------------------------------------------
_PROBLEMS_LISTED = 1000  # per file; more unreadable lines are counted in one last problem
_PROGRESS_LINES = 4096  # progress is reported after about this many lines


def read(path: Path, name: str = "postgres-log", **options: Any) -> Iterator[Record]:
    """The executions of one log (see the module documentation). Options: ``log_format`` (``stderr``,
    ``csvlog``, ``jsonlog``; sniffed by default), ``log_line_prefix``, ``timezone`` (a tzinfo or zone name
    for abbreviations sqltune does not know), ``since``/``until``, ``progress``."""
    with open(path, "rb") as handle:
        head = handle.read(65536).decode("utf-8", errors="replace")
    if not head.strip():  # a log just rotated: nothing ran yet
        return
    kind = options.get("log_format") or _format_of(head)
    if kind not in ("stderr", "csvlog", "jsonlog"):
        if kind is None:
            message = "not a PostgreSQL log: expected stderr lines with a log_line_prefix, csvlog or jsonlog"
        else:
            message = f"unknown log_format {kind!r}; expected stderr, csvlog or jsonlog"
        yield InputProblem(str(path), message, 1, 1)
        return
    where = str(path)
    assembler = _Assembler(where, options.get("since"), options.get("until"))
    try:
        clock = _Clock(where, options.get("timezone"))
    except (ValueError, OSError):
        yield InputProblem(where, f"unknown time zone {options.get('timezone')!r}; expected a name such as UTC", 1, 1)
        return
    progress: Callable[[int], None] | None = options.get("progress")
    if kind == "stderr":
        records = _stderr(path, head, options.get("log_line_prefix"), assembler, clock, progress)
    else:
        records = (_csvlog if kind == "csvlog" else _jsonlog)(path, assembler, clock, progress)
    listed = unlisted = 0
    for record in records:
        if type(record) is InputProblem:
            if listed >= _PROBLEMS_LISTED:
                unlisted += 1
                continue
            listed += 1
        yield record
    if unlisted:
        yield InputProblem(where, f"{unlisted} more unreadable entries (only the first {listed} are listed)", 0, 0)


def _detect_prefix(head: str) -> re.Pattern[str]:
    """The pattern of the :data:`COMMON_PREFIXES` entry that reads most of the head's entry lines."""
    lines = [line for line in head.split("\n")[:-1] if line and line[0] != "\t"][:200]
    best, best_count = _GENERIC, 0
    for prefix in COMMON_PREFIXES:
        pattern = prefix_pattern(prefix)
        count = sum(1 for line in lines if pattern.match(line))
        if count > best_count:
            best, best_count = pattern, count
    return best


_CHUNK = 1 << 22  # bytes read at a time: the stderr reader matches entries in blocks of about 4 MiB
_TAB = 9


def _last_end(data: bytes) -> int:
    """Where the last whole entry of ``data`` ends: a newline followed by a line that is not a continuation
    (a tab); -1 when there is none."""
    cut = data.rfind(b"\n", 0, len(data) - 1)
    while cut >= 0 and data[cut + 1] == _TAB:
        cut = data.rfind(b"\n", 0, cut)
    return cut


def _columns(
    block: bytes,
    text: str,
    line: int,
    statements: re.Pattern[str],
    where: list[int],
    assembler: _Assembler,
    clock: _Clock,
) -> bool:
    """The fast path for a block of entries that are all ``LOG:  duration: … ms  statement: …`` (what a server
    with ``log_min_duration_statement`` and the simple protocol writes): one ``findall`` gives every entry's
    groups, ``zip`` turns them into columns, the timestamps are parsed once per second of log, line numbers
    come from numpy over the bytes -- no Python step per entry but a few list comprehensions. False (nothing
    done) when the block holds anything else, or its entries change zone: then the entry-by-entry path reads
    it, with the same result."""
    raw = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    if not len(newlines) or newlines[-1] != len(block) - 1:
        return False
    starts = np.concatenate(([0], newlines[:-1] + 1))
    entry_lines = np.flatnonzero(raw[starts] != 9)  # lines starting an entry (not a tab continuation)
    count = len(entry_lines)
    if text.count(" ms  statement: ") < count:
        return False
    rows = statements.findall(text)
    if len(rows) != count:
        return False
    t_, epoch_, _, _, user_, db_, qid_, _, msg_, ms_ = where
    columns = list(zip(*rows, strict=True))
    stamps: tuple[str, ...] = columns[t_]
    if columns[epoch_][0] or not all(stamps):
        return False
    fraction = stamps[0][19:20] == "."
    rest = stamps[0][23:] if fraction else stamps[0][19:]
    if len({stamp[23:] if fraction else stamp[19:] for stamp in stamps}) != 1:
        return False
    if fraction and (rest[:1] not in ("", " ") or any(stamp[19:20] != "." for stamp in stamps)):
        return False
    seconds: dict[str, float] = {}
    try:
        for second in {stamp[:19] for stamp in stamps}:
            seconds[second] = clock(second + rest, line)
    except ValueError:
        clock.problems.clear()
        return False
    if clock.problems:
        assembler.out.extend(clock.problems)
        clock.problems.clear()
    if clock.tz is not assembler.batch.tz:
        assembler.take()
        assembler.batch.tz = clock.tz
    batch = assembler.batch
    if fraction:
        batch.at.extend([seconds[stamp[:19]] + int(stamp[20:23]) / 1000 for stamp in stamps])
    else:
        batch.at.extend([seconds[stamp[:19]] for stamp in stamps])
    sqls = columns[msg_]
    joined = "\0".join(sqls)  # continuation lines lose their tab in one pass over the block's statements
    if "\n\t" in joined and joined.count("\0") == count - 1:
        batch.sql.extend(joined.replace("\n\t", "\n").split("\0"))
    else:
        batch.sql.extend([sql.replace("\n\t", "\n") if "\n\t" in sql else sql for sql in sqls])
    batch.duration_ms.extend(map(float, columns[ms_]))
    batch.line.extend((entry_lines + line).tolist())
    batch.rows.extend([None] * count)
    batch.queryid.extend([None if not queryid or queryid == "0" else queryid for queryid in columns[qid_]])
    batch.database.extend([name or None for name in columns[db_]])
    batch.user.extend([name or None for name in columns[user_]])
    return True


def _stderr(
    path: Path,
    head: str,
    prefix: str | None,
    assembler: _Assembler,
    clock: _Clock,
    progress: Callable[[int], None] | None,
) -> Iterator[Record]:
    """Entries matched by one regular expression over blocks of text (``finditer``: no Python loop over
    lines); what lies between two matches is unreadable and reported line by line."""
    pattern = prefix_pattern(prefix) if prefix else _detect_prefix(head)
    expected = f"log_line_prefix {prefix!r}" if prefix else "the log_line_prefix found at the head of the log"
    unreadable = f"expected a line starting with {expected} and a severity (LOG:  …)"
    feed, problem, out = assembler.feed, assembler.problem, assembler.out
    current: tuple[str | None, ...] | None = None  # the LOG entry read last: its FIELDS
    current_line = 0
    detail: str | None = None

    def finish(entry: tuple[str | None, ...], line: int, detail: str | None) -> None:
        stamp, epoch, pid, session, user, database, queryid, _, message = entry
        at: float | None
        tz: tzinfo
        try:
            if epoch:
                at, tz = _epoch(epoch), UTC
            else:
                at = clock(stamp, line) if stamp else None
                tz = clock.tz
        except (ValueError, OverflowError, OSError):
            problem(line, "expected a timestamp at the start of the line")
            return
        if clock.problems:
            out.extend(clock.problems)
            clock.problems.clear()
        assert message is not None
        if "\n\t" in message:
            message = message.replace("\n\t", "\n")
        if detail is not None and "\n\t" in detail:
            detail = detail.replace("\n\t", "\n")
        feed(message, detail, pid or session, at, tz, user, database, queryid, line)

    # A block of "duration: … ms  statement: …" entries only is read in columns (_columns) when no statement
    # waits for its duration and no time window is set; any other block entry by entry, with the same result.
    columnar = assembler.low is None and assembler.high is None
    statements = _statements_pattern(pattern)
    where = [statements.groupindex[name] - 1 for name in _GROUPS]
    line = 1  # the line number at ``counted`` in the current block
    with open(path, "rb") as handle:
        for block, _ in blocks(handle, _CHUNK, _last_end):
            if block[-1:] != b"\n":  # the last entry of a log still being written: cut off
                start = block.rfind(b"\n", 0, len(block) - 1)
                while start >= 0 and block[start + 1] == _TAB:
                    start = block.rfind(b"\n", 0, start)
                cut_line = line + block.count(b"\n", 0, start + 1)
                problem(cut_line, "entry cut off at the end of the file (no final newline); skipped")
                cut_problem = out.pop()
                block = block[: start + 1]
            else:
                cut_problem = None
            text = block.decode("utf-8", errors="replace")
            read = False
            if columnar and not assembler.pending and cut_problem is None:
                if current is not None:
                    finish(current, current_line, detail)
                    current = None
                read = _columns(block, text, line, statements, where, assembler, clock)
            if read:
                line += text.count("\n")
            else:
                counted = end = 0
                for match in pattern.finditer(text):
                    start = match.start()
                    if start != end:  # lines no entry pattern reads
                        gap_line = line + text.count("\n", counted, end)
                        for offset, content in enumerate(text[end:start].split("\n")):
                            if content.strip():
                                problem(gap_line + offset, unreadable)
                    line += text.count("\n", counted, start)
                    counted, end = start, match.end()
                    fields = match.group(*FIELDS)
                    level = fields[7]
                    if level == "DETAIL" and current is not None and detail is None:
                        detail = fields[8]
                        continue
                    if current is not None:
                        finish(current, current_line, detail)
                        current = None
                    if level == "LOG":
                        current, current_line, detail = fields, line, None
                if end != len(text):
                    gap_line = line + text.count("\n", counted, end)
                    for offset, content in enumerate(text[end:].split("\n")):
                        if content.strip():
                            problem(gap_line + offset, unreadable)
                line += text.count("\n", counted)
            if cut_problem is not None:
                if current is not None:
                    finish(current, current_line, detail)
                    current = None
                out.append(cut_problem)
            assembler.take()
            if out:
                yield from out
                out.clear()
            if progress is not None:
                progress(handle.tell())
        if current is not None:
            finish(current, current_line, detail)
        assembler.finish()
        yield from out
        out.clear()


# csvlog columns (PostgreSQL 12: 23; 13 adds backend_type; 14 leader_pid and query_id).
_CSV_TIME, _CSV_USER, _CSV_DB, _CSV_PID, _CSV_SESSION = 0, 1, 2, 3, 5
_CSV_LEVEL, _CSV_MESSAGE, _CSV_DETAIL, _CSV_QUERY_ID = 11, 13, 14, 25
_CSV_MIN_COLUMNS = 23


def _csvlog(path: Path, assembler: _Assembler, clock: _Clock, progress: Any) -> Iterator[Record]:
    out, problem = assembler.out, assembler.problem
    with open(path, encoding="utf-8", errors="replace", newline="") as text:
        handle = _Counting(text)
        reader = csv.reader(handle)
        end = 0
        report_at = _PROGRESS_LINES
        width: int | None = None
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                end = reader.line_num
                problem(start, f"expected a csvlog row: {error}")
                row = []
            end = reader.line_num
            columns = len(row)
            if width is None and columns >= _CSV_MIN_COLUMNS:
                width = columns
            if not row:
                pass
            elif columns < _CSV_MIN_COLUMNS or (width is not None and columns != width):
                problem(
                    start,
                    f"expected a csvlog row of {width or '23 to 26'} columns (log_time, user_name, … message, …); "
                    f"got {columns}: a corrupt or cut entry",
                )
            elif row[_CSV_LEVEL] == "LOG":
                try:
                    at = clock(row[_CSV_TIME], start)
                except ValueError:
                    problem(start, f"expected a timestamp in the first column, got {row[_CSV_TIME]!r}")
                else:
                    if clock.problems:
                        out.extend(clock.problems)
                        clock.problems.clear()
                    assembler.feed(
                        row[_CSV_MESSAGE],
                        row[_CSV_DETAIL] or None,
                        row[_CSV_PID] or row[_CSV_SESSION],
                        at,
                        clock.tz,
                        row[_CSV_USER],
                        row[_CSV_DB],
                        row[_CSV_QUERY_ID] if columns > _CSV_QUERY_ID else None,
                        start,
                    )
            if out:
                yield from out
                out.clear()
            if progress is not None and end >= report_at:
                progress(handle.position)
                report_at = end + _PROGRESS_LINES
        assembler.finish()
        yield from out
        out.clear()
        if progress is not None:
            progress(handle.position)


class _Counting:
    """A text file's lines, counting the bytes handed out (``tell`` is unavailable while iterating)."""

    def __init__(self, handle: TextIO) -> None:
        self._lines = iter(handle)
        self.position = 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.position += len(line.encode()) if not line.isascii() else len(line)
        return line


def _jsonlog(path: Path, assembler: _Assembler, clock: _Clock, progress: Any) -> Iterator[Record]:
    out, problem = assembler.out, assembler.problem
    report_at = _PROGRESS_LINES
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            # Only LOG entries make executions: the others are skipped without decoding their JSON.
            if b'"error_severity":"LOG"' not in raw:
                if raw.strip() and not raw.rstrip().endswith(b"}"):
                    problem(number, "expected a JSON object on one line (a corrupt or cut entry)")
            else:
                _json_entry(raw, number, assembler, clock)
            if out:
                yield from out
                out.clear()
            if progress is not None and number >= report_at:
                progress(handle.tell())
                report_at = number + _PROGRESS_LINES
        assembler.finish()
        yield from out
        out.clear()
        if progress is not None:
            progress(handle.tell())


def _json_entry(raw: bytes, number: int, assembler: _Assembler, clock: _Clock) -> None:
    try:
        record = json.loads(raw)
        message = record["message"]
        stamp = record["timestamp"]
    except (ValueError, KeyError, TypeError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else f"no {error} field"
        assembler.problem(number, f"expected a jsonlog object with timestamp and message: {reason}")
        return
    try:
        at = clock(stamp, number)
    except (ValueError, TypeError):
        assembler.problem(number, f"expected a timestamp, got {stamp!r}")
        return
    if clock.problems:
        assembler.out.extend(clock.problems)
        clock.problems.clear()
    queryid, pid = record.get("query_id"), record.get("pid")
    assembler.feed(
        str(message),
        record.get("detail"),
        str(pid) if pid is not None else record.get("session_id"),
        at,
        clock.tz,
        record.get("user"),
        record.get("dbname"),
        str(queryid) if queryid is not None else None,
        number,
    )
