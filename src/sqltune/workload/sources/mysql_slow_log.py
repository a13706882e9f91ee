"""The ``mysql-slow-log`` reader: MySQL 5.7/8.x and MariaDB 10.x slow query logs, streamed line by line.

An entry is a block of ``#`` header lines, then ``use db;`` / ``SET timestamp=N;`` lines, then the statement
(one or many lines, ending with ``;``)::

    # Time: 2024-03-01T10:15:02.123456Z                 MySQL 5.7+ (ISO); MariaDB: "# Time: 240301 10:15:02",
    # User@Host: app[app] @ web1 [10.0.0.5]  Id: 12     written only when the second changes
    # Thread_id: 12  Schema: shop  QC_hit: No           MariaDB only
    # Query_time: 0.001234  Lock_time: 0.000010  Rows_sent: 1  Rows_examined: 40
    # Rows_affected: 0  Bytes_sent: 99                  MariaDB; log_slow_verbosity adds more "#" lines
    use shop;                                           when the default database changed
    SET timestamp=1709288102;
    SELECT * FROM orders
    WHERE id = 42;

What each :class:`~sqltune.workload.model.Execution` gets: ``duration_ms`` from ``Query_time``, ``rows`` from
``Rows_sent``, ``user`` from ``User@Host``, ``database`` from ``Schema:`` (MariaDB) or the last ``use`` line
(MySQL writes one whenever the database differs from the last one it wrote, so it carries over entries),
``at`` from ``SET timestamp=`` (seconds since the epoch, so exact in UTC) or else ``# Time:`` (ISO with its
zone; MariaDB's ``YYMMDD H:MM:SS`` has none and is taken as UTC), ``location`` the file and line of the
statement.

Skipped without a problem, because they are not queries: the server's banner (``/usr/sbin/mariadbd, Version:
... started with:``, ``Tcp port: ...``, ``Time Id Command Argument``), which recurs at every restart and log
flush, and administrator commands (``# administrator command: Quit;``).

Reported as an :class:`~sqltune.core.source.InputProblem` naming the file and line, the rest still loading: a
``Query_time`` line that does not read, an entry without a statement, a statement cut off before its ``;``
(a truncated last entry), and text outside any entry.

Fast on purpose: bytes are read line by line and classified by their first bytes; only ``Query_time`` lines
meet a regular expression, and only statement lines are decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqltune.core.source import InputProblem
from sqltune.workload.model import Execution

__all__ = ["read", "sniff"]

_QUERY_TIME = re.compile(rb"# Query_time: *([\d.]+) +Lock_time: *[\d.]+ +Rows_sent: *(\d+)")
_SCHEMA = re.compile(rb"Schema: +(\S*)")
_SNIFF = re.compile(r"^# (?:Query_time: [\d.]+ |User@Host: )|^\S*(?:mysqld|mariadbd), Version: .*started with:", re.M)
# Entry boundaries: a statement ends with ";" and the next entry starts with one of these.
_ENTRY_START = (b"# Time:", b"# User@Host:")
# Lines of the server's banner (at start, restart and log flush).
_BANNER = (b"Tcp port:", b"TCP Port:", b"Time")
_BANNER_FIRST = frozenset(b"T/m")  # first bytes of banner lines (Tcp, Time, /usr/sbin/..., mysqld)
_SET_LINES = (b"SET timestamp=", b"SET last_insert_id=", b"SET insert_id=")
_PROGRESS_EVERY = 4096


def sniff(name: str, path: Path, head: str) -> bool:
    return path.is_file() and _SNIFF.search(head) is not None


def read(path: Path, name: str, **options: Any) -> Iterator[Execution | InputProblem]:
    return _read(path, options.get("progress"), options.get("since"), options.get("until"))


def _is_banner(line: bytes) -> bool:
    if line.startswith(_BANNER):
        return line.startswith((b"Tcp", b"TCP")) or b"Id Command" in line
    return b", Version: " in line and (b"started with:" in line or b"embedded library" in line)


def _entry_time(header: bytes) -> datetime | None:
    """``# Time:`` as MySQL 5.7+ (ISO 8601 with ``Z`` or an offset) or MariaDB/MySQL 5.6 (``YYMMDD H:MM:SS``)
    write it; None when it does not read (the time is optional: ``SET timestamp`` usually follows)."""
    text = header[7:].strip().decode("ascii", "replace")
    try:
        if "-" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            moment = datetime.strptime(text, "%y%m%d %H:%M:%S")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_timestamp(line: bytes) -> int | None:
    """The ``timestamp=`` of ``SET [last_insert_id=N,][insert_id=N,]timestamp=N;``."""
    start = line.find(b"timestamp=")
    if start < 0:
        return None
    digits = line[start + 10 :].split(b";", 1)[0].split(b",", 1)[0].split(b".", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


def _ends(statement: list[bytes]) -> bool:
    """Whether the statement read so far is complete (its last line ends with ``;``)."""
    last = statement[-1]
    return last.endswith(b";\n") or last.rstrip().endswith(b";")


def _read(
    path: Path,
    progress: Callable[[int], None] | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[Execution | InputProblem]:
    # One function with the entry's fields in local variables: this loop runs for every line of logs of
    # millions of entries, and locals are what CPython reads fastest.
    name = str(path)
    in_entry = False  # between an entry's first header line and its statement's end
    entry_line = 0
    duration: float | None = None
    rows: int | None = None
    user: str | None = None
    schema: str | None = None  # MariaDB's "Schema:" ("" when none); None when the entry has no such line
    time_line: bytes | None = None
    epoch: int | None = None
    skip = False  # an administrator command, or a header that did not read: the entry yields nothing
    statement: list[bytes] = []
    statement_line = 0
    use_db: str | None = None  # the last "use" line: MySQL writes one only when the database changes
    stray = False  # inside a run of text outside any entry (reported once per run)
    entries = 0
    last_epoch, last_at = -1, None  # consecutive entries mostly share the second
    low = since.timestamp() if since is not None else None
    high = until.timestamp() if until is not None else None
    problems: list[InputProblem] = []

    def finish() -> Execution | None:
        """The entry read so far as an execution; None when it yields nothing (a problem is queued)."""
        nonlocal last_epoch, last_at
        if skip:
            return None
        if not statement:
            problems.append(InputProblem(name, "entry has no statement after its header; entry skipped", entry_line, 1))
            return None
        if duration is None:
            message = "entry has no '# Query_time:' line; expected one in its header; entry skipped"
            problems.append(InputProblem(name, message, entry_line, 1))
            return None
        if epoch is not None:
            if epoch != last_epoch:
                last_epoch, last_at = epoch, datetime.fromtimestamp(epoch, UTC)
            at = last_at
        else:
            at = _entry_time(time_line) if time_line is not None else None
        if at is not None and (low is not None or high is not None):
            moment = at.timestamp()
            if (low is not None and moment < low) or (high is not None and moment >= high):
                return None
        text = (statement[0] if len(statement) == 1 else b"".join(statement)).decode("utf-8", "replace").strip()
        if text.endswith(";"):
            text = text[:-1].rstrip()
        return Execution(
            text,
            duration_ms=duration,
            at=at,
            rows=rows,
            location=f"{name}:{statement_line}",
            database=(schema if schema is not None else use_db) or None,
            user=user,
        )

    with open(path, "rb") as handle:
        number = 0
        for number, line in enumerate(handle, 1):
            first = line[0]
            if first == 35:  # "#"
                new_entry = not in_entry
                if statement:
                    if _ends(statement):
                        record = finish()
                        if record is not None:
                            yield record
                    elif not line.startswith(_ENTRY_START):
                        statement.append(line)  # a "#" comment inside a multi-line statement
                        continue
                    else:
                        problems.append(
                            InputProblem(
                                name,
                                f"statement starting at line {statement_line} ends without ';' before the next "
                                "entry (truncated?); entry skipped",
                                number - 1,
                                1,
                            )
                        )
                    statement = []
                    new_entry = True
                    entries += 1
                    if progress is not None and entries % _PROGRESS_EVERY == 0:
                        progress(handle.tell())
                elif (
                    in_entry
                    and line.startswith(_ENTRY_START)
                    and (duration is not None or skip or user is not None or (line[2] == 84 and time_line))
                ):
                    # MariaDB writes "# Time:" and then "# User@Host:" for one entry; any other order, or a
                    # second one, starts the next entry (the last one had no statement: an administrator
                    # command, or a problem).
                    finish()
                    new_entry = True
                if new_entry:
                    in_entry, stray, entry_line, skip = True, False, number, False
                    duration = rows = epoch = None
                    user = schema = None
                    time_line = None
                third = line[2] if len(line) > 2 else 0
                if third == 85 and line.startswith(b"# User@Host:"):  # "U"
                    bracket = line.find(b"[", 12)
                    user = line[12 : bracket if bracket > 0 else None].strip().decode("utf-8", "replace")
                elif third == 81 and line.startswith(b"# Query_time:"):  # "Q"
                    match = _QUERY_TIME.match(line)
                    if match is None:
                        message = (
                            "expected '# Query_time: SECONDS  Lock_time: SECONDS  Rows_sent: N  Rows_examined: N'; "
                            "entry skipped"
                        )
                        problems.append(InputProblem(name, message, number, 1))
                        skip = True  # read the rest of the entry, yield nothing for it
                    else:
                        duration = round(float(match.group(1)) * 1000.0, 6)
                        rows = int(match.group(2))
                elif third == 84:  # "T"
                    if line.startswith(b"# Thread_id:"):
                        found = _SCHEMA.search(line)
                        value = found.group(1) if found else b""
                        # "Schema:   QC_hit: No" is no database (not the last "use" one)
                        schema = "" if value.endswith(b":") else value.decode("utf-8", "replace")
                    elif line.startswith(b"# Time:"):
                        time_line = line
                elif third == 97 and line.startswith(b"# administrator command:"):  # "a"
                    skip = True
                if problems:
                    yield from problems
                    problems.clear()
                continue
            if statement:
                if (first in _BANNER_FIRST or b", Version: " in line) and _is_banner(line) and _ends(statement):
                    continue  # the banner between two entries (log flushed, server restarted)
                statement.append(line)
                continue
            if not in_entry:
                if not stray and line.strip() and not _is_banner(line):
                    stray = True
                    yield InputProblem(
                        name,
                        "expected a slow log entry ('# Time:' or '# User@Host:' header line); text skipped",
                        number,
                        1,
                    )
                continue
            if first == 83 and line.startswith(_SET_LINES):  # "S"
                if line.startswith(b"SET timestamp="):
                    end = line.find(b";")
                    digits = line[14:end] if end > 0 else b""
                    epoch = int(digits) if digits.isdigit() else _set_timestamp(line)
                else:
                    epoch = _set_timestamp(line)
                continue
            if first == 117 and epoch is None and line.startswith(b"use "):  # "u"
                use_db = line[4:].strip().rstrip(b";").strip(b"`").decode("utf-8", "replace")
                continue
            if (first in _BANNER_FIRST and _is_banner(line)) or not line.strip():
                continue
            statement.append(line)
            statement_line = number
        if statement:
            if _ends(statement):
                record = finish()
                if record is not None:
                    yield record
            else:
                problems.append(
                    InputProblem(
                        name,
                        f"the last entry's statement (line {statement_line}) ends without ';': the log is "
                        "truncated; entry skipped",
                        number,
                        1,
                    )
                )
        elif in_entry and not skip:
            message = "the last entry has no statement: the log is truncated; entry skipped"
            problems.append(InputProblem(name, message, number, 1))
        yield from problems
        if progress is not None:
            progress(handle.tell())
