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

import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sqltune.core.source import InputProblem
from sqltune.workload.batch import ExecutionBatch
from sqltune.workload.sources.blocks import blocks

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


def sniff(name: str, path: Path, head: str) -> bool:
    return path.is_file() and _SNIFF.search(head) is not None


def read(path: Path, name: str, **options: Any) -> Iterator[ExecutionBatch | InputProblem]:
    """The executions of one slow log, block by block: a block whose entries all have the regular shape
    (:data:`_ENTRY`) is read by one ``findall`` into an :class:`ExecutionBatch` (:func:`_columns`); any other
    block line by line (:func:`_lines`), with the same result."""
    since, until = options.get("since"), options.get("until")
    progress: Callable[[int], None] | None = options.get("progress")
    low = since.timestamp() if since is not None else None
    high = until.timestamp() if until is not None else None
    where = str(path)
    number, use_db = 1, None  # the line a block starts at; the last "use" line's database
    with open(path, "rb") as handle:
        for block, final in blocks(handle, _CHUNK, _last_end):
            read = _columns(block, where, number, use_db, low, high)
            if read is not None:
                batch, use_db = read
                if len(batch):
                    yield batch
            else:
                batch = ExecutionBatch(where)
                use_db = yield from _lines(io.BytesIO(block), where, number, use_db, low, high, final, batch)
                if len(batch):
                    yield batch
            number += block.count(b"\n")
            if progress is not None:
                progress(handle.tell())


_CHUNK = 1 << 22  # bytes read at a time


def _last_end(data: bytes) -> int:
    """Where the last whole entry of ``data`` ends: the newline before the next entry's ``# Time:`` or
    ``# User@Host:`` line; -1 when no entry starts in it after the first."""
    cut = data.rfind(b"\n# User@Host:")
    if cut > 0:
        previous = data.rfind(b"\n", 0, cut)
        if data.startswith(b"# Time:", previous + 1):
            cut = previous
    return cut if cut > 0 else -1


# A regular entry, whole: MySQL 5.7/8 and MariaDB headers ("# Time:" only when MariaDB's second changed;
# "# Thread_id: … Schema:" and further "#" lines from MariaDB or log_slow_verbosity), an optional "use" line,
# "SET timestamp=", and the statement: lines not starting with "#", up to one ending with ";" that is followed
# by the next entry or the end. Anything else is a line of "junk" (a banner, an administrator command, ...):
# then the block is read line by line.
_ENTRY = re.compile(
    rb"(?:# Time: [^\n]*\n)?"
    rb"# User@Host:(?P<user>[^\[\n]*)\[[^\n]*\n"
    rb"(?P<thread># Thread_id: [^\n]*\n)?"
    rb"# Query_time: *(?P<seconds>[0-9]+)\.(?P<micro>[0-9]{6}) +Lock_time: *[0-9.]+"
    rb" +Rows_sent: *(?P<rows>[0-9]+)[^\n]*\n"
    rb"(?:# (?!Time:|User@Host:|Query_time:|administrator command:)[^\n]*\n)*"
    rb"(?:use (?P<use>[^\n]*)\n)?"
    rb"SET timestamp=(?P<epoch>[0-9]+);\n"
    rb"(?P<sql>(?:[^#\n][^\n]*\n)*?[^#\n][^\n]*);\n(?=# Time: |# User@Host:|\Z)"
    rb"|(?P<junk>[^\n]*\n)",
)


def _columns(
    block: bytes, where: str, number: int, use_db: str | None, low: float | None, high: float | None
) -> tuple[ExecutionBatch, str | None] | None:
    """A block whose entries are all regular (:data:`_ENTRY`) as one batch, and the last "use" database; None
    when it holds anything else but the server's banner. One ``findall``, ``zip`` into columns, line numbers
    from numpy: no Python step per line."""
    rows = _ENTRY.findall(block)
    if not rows:
        return None
    columns: list[Sequence[bytes]] = list(zip(*rows, strict=True))
    junk = columns.pop()
    if any(junk):
        if any(line and not _is_banner(line) for line in junk):
            return None
        kept = [index for index, line in enumerate(junk) if not line]
        columns = [[column[index] for index in kept] for column in columns]
    users, threads, seconds, micro, sent, uses, epochs, sqls = columns
    count = len(sqls)
    # The statement starts on the line after "SET timestamp=": its line number, as the line-by-line reader
    # gives it. Lines are told by four of their bytes ("S", "t", "t", "=" at 0, 4, 9, 13); every entry has one
    # such line (the pattern says so), so as many of them as entries means no other line looked like one.
    raw = np.frombuffer(block, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(raw[:-1] == 10) + 1))
    starts = starts[starts + 14 <= len(raw)]
    marked = (raw[starts] == 83) & (raw[starts + 4] == 116) & (raw[starts + 9] == 116) & (raw[starts + 13] == 61)
    statement_lines = np.flatnonzero(marked) + number + 1
    if len(statement_lines) != count:
        return None
    batch = ExecutionBatch(where)
    if not count:
        return batch, use_db
    databases: list[str | None]
    if any(threads) or any(uses):
        databases = []
        for thread, use in zip(threads, uses, strict=True):
            if use:
                use_db = use.strip().rstrip(b";").strip(b"`").decode("utf-8", "replace")
            if thread:
                found = _SCHEMA.search(thread)
                value = found.group(1) if found else b""
                schema = "" if value.endswith(b":") else value.decode("utf-8", "replace")
                databases.append(schema or None)
            else:
                databases.append(use_db or None)
    else:
        databases = [use_db or None] * count
    at: list[float | None] = list(map(float, epochs))
    texts = b"\0".join(sqls).decode("utf-8", "replace").split("\0")
    if len(texts) != count:
        texts = [sql.decode("utf-8", "replace") for sql in sqls]
    named = {user: user.strip().decode("utf-8", "replace") for user in set(users)}  # a few users write a log
    names: list[str | None] = [named[user] for user in users]
    batch.sql = list(map(str.strip, texts))  # the pattern left out the final ";", as the line reader does
    # Microseconds as an integer, over 1,000, as _milliseconds() reads them (exact below 2**53 microseconds).
    microseconds = np.array(seconds).astype(np.int64) * 1_000_000 + np.array(micro).astype(np.int64)
    batch.duration_ms = (microseconds / 1000).tolist()
    batch.at = at
    batch.line = statement_lines.tolist()
    batch.rows = list(map(int, sent))
    batch.queryid = [None] * count
    batch.database = databases
    batch.user = names
    if low is not None or high is not None:
        keep = [
            index
            for index, moment in enumerate(at)
            if moment is not None and (low is None or moment >= low) and (high is None or moment < high)
        ]
        for column in ("sql", "duration_ms", "at", "line", "rows", "queryid", "database", "user"):
            values = getattr(batch, column)
            setattr(batch, column, [values[index] for index in keep])
    return batch, use_db


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


def _milliseconds(seconds: bytes) -> float:
    """``Query_time`` (seconds, MySQL and MariaDB write six decimals) in milliseconds, exactly: the
    microseconds as an integer, over 1,000 (float arithmetic on the seconds would be off in the last digit for
    long statements)."""
    whole, dot, fraction = seconds.partition(b".")
    if dot and len(fraction) == 6 and whole.isdigit() and fraction.isdigit():
        return int(whole + fraction) / 1000
    return round(float(seconds) * 1000.0, 6)


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


def _lines(
    handle: Iterable[bytes],
    name: str,
    first_number: int,
    use_db: str | None,
    low: float | None,
    high: float | None,
    final: bool,
    batch: ExecutionBatch,
) -> Generator[InputProblem, None, str | None]:
    """Line by line: the entries of ``handle`` (a block of whole entries starting at line ``first_number``;
    ``final``: the file's last) appended to ``batch``, the problems yielded; returns the last "use" database
    for the next block."""
    # One function with the entry's fields in local variables: this loop runs for every line of logs of
    # millions of entries, and locals are what CPython reads fastest.
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
    # use_db: the last "use" line's database (MySQL writes one only when the database changes)
    stray = False  # inside a run of text outside any entry (reported once per run)
    problems: list[InputProblem] = []

    def finish() -> None:
        """The entry read so far appended to ``batch``, or a problem queued when it has none to give."""
        if skip:
            return
        if not statement:
            problems.append(InputProblem(name, "entry has no statement after its header; entry skipped", entry_line, 1))
            return
        if duration is None:
            message = "entry has no '# Query_time:' line; expected one in its header; entry skipped"
            problems.append(InputProblem(name, message, entry_line, 1))
            return
        if epoch is not None:
            at: float | None = float(epoch)
        else:
            moment = _entry_time(time_line) if time_line is not None else None
            at = moment.timestamp() if moment is not None else None
        if at is not None and ((low is not None and at < low) or (high is not None and at >= high)):
            return
        text = (statement[0] if len(statement) == 1 else b"".join(statement)).decode("utf-8", "replace").strip()
        if text.endswith(";"):
            text = text[:-1].rstrip()
        database = (schema if schema is not None else use_db) or None
        batch.append(text, duration, at, statement_line, rows, None, database, user)

    number = first_number - 1
    for number, line in enumerate(handle, first_number):
        first = line[0]
        if first == 35:  # "#"
            new_entry = not in_entry
            if statement:
                if _ends(statement):
                    finish()
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
            finish()
        elif final:
            problems.append(
                InputProblem(
                    name,
                    f"the last entry's statement (line {statement_line}) ends without ';': the log is "
                    "truncated; entry skipped",
                    number,
                    1,
                )
            )
        else:  # the next block starts with the next entry
            problems.append(
                InputProblem(
                    name,
                    f"statement starting at line {statement_line} ends without ';' before the next "
                    "entry (truncated?); entry skipped",
                    number,
                    1,
                )
            )
    elif in_entry and not skip:
        if final:
            message = "the last entry has no statement: the log is truncated; entry skipped"
            problems.append(InputProblem(name, message, number, 1))
        else:
            finish()
    yield from problems
    return use_db
