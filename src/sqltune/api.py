"""The Python API: :func:`lint` and :func:`analyze` over SQL text, files, directories or globs.

>>> report = lint("SELECT * FROM orders WHERE lower(email) = 'a@b.c'", dialect="postgres")
>>> sorted(report.codes())
['SQ001', 'SQ002']
>>> [graph.base_tables()[0].name for graph in analyze("SELECT id FROM orders")]
['orders']
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqltune.core.config import Config
from sqltune.core.findings import Report
from sqltune.core.source import InputProblem, Source, read_sources
from sqltune.graph import QueryGraph
from sqltune.linter.engine import Linter
from sqltune.schema import Schema, apply_ddl

__all__ = ["analyze", "lint"]

SqlOrPaths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
SchemaLike = Schema | str | os.PathLike[str] | Mapping[str, Any] | None


def _looks_like_path(text: str) -> bool:
    if "\n" in text or ";" in text:
        return False
    return os.path.exists(text) or (glob.has_magic(text) and " " not in text) or text.endswith(".sql")


def _sources(sql_or_paths: SqlOrPaths) -> list[Source | InputProblem]:
    if isinstance(sql_or_paths, str) and not _looks_like_path(sql_or_paths):
        return [Source.from_string(sql_or_paths)]
    if isinstance(sql_or_paths, str | os.PathLike):
        return list(read_sources([sql_or_paths]))
    return list(read_sources(sql_or_paths))


def _schema(schema: SchemaLike, dialect: str | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    if isinstance(schema, str | os.PathLike):
        return Schema.load(Path(schema), dialect)
    return Schema.from_mapping(schema)


def lint(
    sql_or_paths: SqlOrPaths,
    *,
    dialect: str | None = None,
    schema: SchemaLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    config: Config | None = None,
) -> Report:
    """Lint SQL text, or files/directories/globs, and return the :class:`~sqltune.core.findings.Report`.

    A string is read as SQL unless it names an existing path, a glob or a ``.sql`` file. ``schema`` is a
    :class:`~sqltune.schema.Schema`, a path (DDL or JSON snapshot) or a ``{"table": {"column": "type"}}`` mapping.
    """
    base = config or Config()
    config = base.with_overrides(
        dialect=dialect,
        select=tuple(select) if select is not None else None,
        ignore=tuple(ignore) if ignore is not None else None,
    )
    return Linter(config, _schema(schema, config.dialect)).lint_sources(_sources(sql_or_paths))


def analyze(sql_or_paths: SqlOrPaths, *, dialect: str | None = None, schema: SchemaLike = None) -> list[QueryGraph]:
    """A :class:`~sqltune.graph.QueryGraph` for every statement that parses, in file and statement order.

    DDL among the statements informs the graphs of the queries after and before it.
    """
    linter = Linter(Config(dialect=dialect, select=("SQ000",)), _schema(schema, dialect))
    parsed = [linter.parse(s) for s in _sources(sql_or_paths) if isinstance(s, Source)]
    full = Schema(linter.schema or ())
    for item in parsed:
        for statement in item.statements:
            apply_ddl(full, statement, dialect)
    return [
        QueryGraph.build(statement.expression, full)
        for item in parsed
        for statement in item.statements
        if statement.expression is not None
    ]
