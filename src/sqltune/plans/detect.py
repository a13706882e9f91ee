"""Which EXPLAIN format a plan is in, and :func:`parse_plan`, the one entry point for all of them.

Sniffing looks at the shape, never at file names: JSON with a ``Plan`` key is PostgreSQL, ``query_block``
MySQL/MariaDB, ``GlobalStats``/``Operations`` or operator-statistics rows Snowflake, ``operator`` lists
or ``operator_name`` nodes DuckDB; text whose first line is an operator with a ``(cost=`` block, an
``(actual`` block or ``->`` children is PostgreSQL's text format.

>>> detect_format('[{"Plan": {"Node Type": "Result"}}]')
'postgres-json'
>>> detect_format("Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)")
'postgres-text'
>>> parse_plan("Result  (cost=0.00..0.01 rows=1 width=4)").root.operator
'Result'
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqltune.plans._input import clean_lines, load_json
from sqltune.plans.duckdb import parse_duckdb
from sqltune.plans.errors import PlanError
from sqltune.plans.model import PlanGraph
from sqltune.plans.mysql import parse_mysql_json
from sqltune.plans.postgres_json import build as build_postgres
from sqltune.plans.postgres_text import parse_postgres_text
from sqltune.plans.snowflake import parse_snowflake

__all__ = ["FORMATS", "detect_format", "load_plan", "parse_plan"]

#: Format names accepted by :func:`parse_plan`, and what they read.
FORMATS = {
    "postgres-json": "PostgreSQL EXPLAIN (FORMAT JSON)",
    "postgres-text": "PostgreSQL EXPLAIN text as psql prints it",
    "mysql-json": "MySQL / MariaDB EXPLAIN FORMAT=JSON and MariaDB ANALYZE FORMAT=JSON",
    "snowflake-json": "Snowflake EXPLAIN USING JSON, or GET_QUERY_OPERATOR_STATS rows",
    "duckdb-json": "DuckDB JSON profile or EXPLAIN (FORMAT json)",
}
_ALIASES = {
    "postgres": None,  # JSON or text: sniffed
    "postgresql": None,
    "pg": None,
    "json": None,
    "text": "postgres-text",
    "mysql": "mysql-json",
    "mariadb": "mysql-json",
    "mariadb-analyze-json": "mysql-json",
    "snowflake": "snowflake-json",
    "snowflake-explain-json": "snowflake-json",
    "snowflake-operator-stats": "snowflake-json",
    "duckdb": "duckdb-json",
    "duckdb-profile": "duckdb-json",
    "duckdb-explain-json": "duckdb-json",
}
_TEXT_MARKERS = ("(cost=", "(actual ", "(actual rows", "(never executed)", "->  ")


def _keys(value: Any) -> set[str]:
    return {str(k).lower() for k in value} if isinstance(value, dict) else set()


def _sniff_object(data: Any, path: str | None) -> str:
    item = data
    while isinstance(item, list) and item and isinstance(item[0], list):
        item = item[0]
    first = item[0] if isinstance(item, list) and item else item
    keys = _keys(first)
    if isinstance(data, dict):
        keys = _keys(data)
        if "plan" in keys or "node type" in keys:
            return "postgres-json"
        if "query_block" in keys or "explain" in keys:
            return "mysql-json"
        if "globalstats" in keys or "operations" in keys:
            return "snowflake-json"
        if "operator" in keys or "children" in keys or keys & {"operator_name", "operator_type", "name"}:
            return "duckdb-json"
        if "json_schema_version" in keys or "inputs" in keys:
            raise PlanError(
                "MySQL's EXPLAIN FORMAT=JSON version 2 is not supported; run SET explain_json_format_version = 1"
                " and EXPLAIN again",
                path=path,
            )
    elif isinstance(item, list):
        if "plan" in keys:
            return "postgres-json"
        if "query_block" in keys:
            return "mysql-json"
        if "operator_type" in keys or "operation" in keys:
            return "snowflake-json"
        if "name" in keys or "operator_name" in keys:
            return "duckdb-json"
    found = ", ".join(sorted(keys)[:6]) or type(first).__name__
    raise PlanError(
        f"not a recognised EXPLAIN plan (found {found}); expected PostgreSQL, MySQL/MariaDB, Snowflake or DuckDB "
        "JSON, or PostgreSQL text",
        path=path,
    )


def _looks_like_text_plan(text: str) -> bool:
    head = text[:4000]
    lines = [line.strip() for line in clean_lines(head) if line.strip()]
    if not lines:
        return False
    return any(marker in head for marker in _TEXT_MARKERS) or lines[0][:1].isalpha()


def detect_format(data: Any, *, path: str | None = None) -> str:
    """The canonical format name (see :data:`FORMATS`, plus ``postgres-text``) of ``data``."""
    if isinstance(data, bytes):
        data = _decode(data, path)
    if isinstance(data, str):
        if _is_json_text(data):
            return _sniff_object(load_json(data, path), path)
        if _looks_like_text_plan(data):
            return "postgres-text"
        raise PlanError("not a recognised EXPLAIN plan: expected JSON or PostgreSQL's text format", path=path)
    return _sniff_object(data, path)


def _decode(data: bytes, path: str | None) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PlanError(f"invalid UTF-8 byte 0x{data[error.start]:02x}; expected UTF-8 text", path=path) from None


_OBJECT_PARSERS: dict[str, Callable[..., PlanGraph]] = {
    "postgres-json": lambda data, path: build_postgres(data, path=path),
    "mysql-json": lambda data, path: parse_mysql_json(data, path=path),
    "snowflake-json": lambda data, path: parse_snowflake(data, path=path),
    "duckdb-json": lambda data, path: parse_duckdb(data, path=path),
}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing allocates a few objects per plan line while the whole document is alive; the cyclic garbage
    collector would walk that growing heap again and again (a third of the time on a 10,000-node plan).
    Nothing built here forms a cycle that needs collecting, so it is paused for the duration."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_plan(data: Any, format: str | None = None, *, path: str | None = None) -> PlanGraph:
    """A :class:`PlanGraph` from plan text (str/bytes) or a loaded JSON value; ``format`` sniffed when omitted.

    Raises :class:`PlanError` (one line naming the place and what was expected) for anything that is not
    a plan of the format, or is cut short.
    """
    with _collector_paused():
        return _parse(data, format, path)


def _parse(data: Any, format: str | None, path: str | None) -> PlanGraph:
    if format is not None:
        key = format.strip().lower()
        if key not in FORMATS and key not in _ALIASES:
            known = ", ".join([*FORMATS, *_ALIASES])
            raise PlanError(f"unknown plan format {format!r}; expected one of: {known}", path=path)
        format = _ALIASES.get(key, key)
    if isinstance(data, bytes):
        data = _decode(data, path)
    if isinstance(data, str) and not data.strip():
        raise PlanError("empty input: expected an EXPLAIN plan", path=path)
    if isinstance(data, str):
        if format == "postgres-text" or (format is None and not _is_json_text(data)):
            if format is None and not _looks_like_text_plan(data):
                raise PlanError("not a recognised EXPLAIN plan: expected JSON or PostgreSQL's text format", path=path)
            return parse_postgres_text(data, path=path)
        data = load_json(data, path)
    elif format == "postgres-text":
        raise PlanError("a text plan must be given as a string", path=path)
    chosen = format or _sniff_object(data, path)
    return _OBJECT_PARSERS[chosen](data, path)


def _is_json_text(text: str) -> bool:
    """Whether the text is JSON, judged from its start (psql's header and rule lines skipped)."""
    return "\n".join(clean_lines(text[:2000])).lstrip().startswith(("{", "["))


def load_plan(file: str | os.PathLike[str], format: str | None = None) -> PlanGraph:
    """Read and parse a plan file; errors name the file."""
    name = os.fspath(file)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise PlanError(f"cannot read the plan file: {error.strerror or error}", path=name) from None
    return parse_plan(data, format, path=name)
