"""A Snowflake connection that answers what fakesnow lacks from recorded payloads (shared by the Snowflake tests).

fakesnow runs what it supports for real; what it lacks (``EXPLAIN USING JSON``, ``GET_QUERY_OPERATOR_STATS``,
``SYSTEM$CLUSTERING_INFORMATION``, clustering keys, declared foreign keys) is answered by :class:`Scripted`, a
connection that returns the fixture rows in ``fixtures/snowflake`` for those statements only, in the shape the
Python connector returns them (VARIANT as JSON text, upper-case column names), and passes every other
statement to fakesnow. The connector's code path is the same either way: it only sees a DB-API connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqltune.connectors.snowflake import SnowflakeConnection, connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "snowflake"
# fakesnow does not implement ALTER SESSION for these parameters; it answers them with a plain success.
NOP = [r"^\s*ALTER SESSION SET (STATEMENT_TIMEOUT_IN_SECONDS|QUERY_TAG)\b"]

Rows = tuple[list[str], list[tuple[Any, ...]]]
Answer = Rows | BaseException | Callable[[Any], Rows]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def one_value(column: str, value: Any) -> Rows:
    return [column], [(value,)]


def table_rows(rows: Sequence[Mapping[str, Any]]) -> Rows:
    columns = list(rows[0])
    return columns, [tuple(row[c] for c in columns) for row in rows]


class ScriptedCursor:
    def __init__(self, owner: Scripted) -> None:
        self._owner = owner
        self._rows: list[tuple[Any, ...]] = []
        self.description: list[tuple[Any, ...]] | None = None

    def execute(self, sql: str, params: Any = None, **kwargs: Any) -> ScriptedCursor:
        self._owner.sent.append((sql, params, kwargs))
        for pattern, answer in self._owner.script.items():
            if re.search(pattern, sql, re.IGNORECASE | re.DOTALL):
                if isinstance(answer, BaseException):
                    raise answer
                columns, rows = answer(self._real(sql, params, kwargs)) if callable(answer) else answer
                self.description = [(name, None, None, None, None, None, True) for name in columns]
                self._rows = list(rows)
                return self
        cursor = self._real(sql, params, kwargs)
        self.description = [tuple(column) for column in cursor.description or ()]
        self._rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        return self

    def _real(self, sql: str, params: Any, kwargs: Mapping[str, Any]) -> Any:
        cursor = self._owner.real.cursor()
        cursor.execute(sql, params, **kwargs)
        return cursor

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def close(self) -> None:
        pass


class Scripted:
    """A snowflake.connector connection answering the statements matching ``script`` (regex -> rows, an
    exception to raise, or a function of fakesnow's cursor for the same statement) and sending the rest to
    the wrapped fakesnow connection. ``sent`` records (sql, params, execute kwargs)."""

    def __init__(self, real: Any, script: Mapping[str, Answer] | None = None) -> None:
        self.real = real
        self.script = dict(script or {})
        self.sent: list[tuple[str, Any, dict[str, Any]]] = []
        self.database = real.database
        self.schema = real.schema

    def cursor(self) -> ScriptedCursor:
        return ScriptedCursor(self)

    def is_closed(self) -> bool:
        return bool(self.real.is_closed())


# A fresh in-memory database per connection; fakesnow reads these session parameters at login.
ISOLATED = {"FAKESNOW_DB_PATH": ":isolated:", "nop_regexes": NOP}


def scripted(raw: Any, script: Mapping[str, Answer] | None = None) -> tuple[Scripted, SnowflakeConnection]:
    wrapper = Scripted(raw, script)
    return wrapper, connect(connection=wrapper)
