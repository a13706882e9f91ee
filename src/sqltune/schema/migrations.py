"""One schema from the DDL of many files: the order files are applied in, and statements that must wait.

A lint run (or ``--schema`` plus a run) may spread its DDL over files: ``schema.sql`` and ``pkeys.sql``, or a
migrations folder ``V1__create.sql``, ``V2__keys.sql``, ``V10__rename.sql``. :func:`migration_order` sorts
paths the way migration tools run them (Flyway's ``V<version>__`` numerically, then its repeatable ``R__``
scripts; numeric or timestamp prefixes such as ``20240101120000_add_keys.sql`` or ``0003_indexes.sql``
numerically; anything else by path), and :func:`apply_statements` applies the statements in that order. An
``ALTER TABLE`` or ``CREATE INDEX`` naming a table not created yet (``pkeys.sql`` sorts before ``schema.sql``)
waits, and is applied as soon as a ``CREATE TABLE`` of that name arrives, so that every table is judged on
its final state whatever the files are called.

>>> migration_order(["db/V10__rename.sql", "db/V2__keys.sql", "db/V1__create.sql", "db/R__views.sql"])
['db/V1__create.sql', 'db/V2__keys.sql', 'db/V10__rename.sql', 'db/R__views.sql']
>>> migration_order(["b.sql", "20240102_keys.sql", "20240101_create.sql", "a.sql"])
['20240101_create.sql', '20240102_keys.sql', 'a.sql', 'b.sql']
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from sqltune.core.parsing import Statement
from sqltune.core.sqlglot import exp
from sqltune.schema.catalog import Schema
from sqltune.schema.ddl import apply_ddl
from sqltune.schema.model import Table, fold

__all__ = ["DDL_TYPES", "apply_statements", "is_ddl", "migration_key", "migration_order"]

#: Statement classes that change a schema.
DDL_TYPES = (exp.Create, exp.Alter, exp.Drop)

#: ``V1__x``, ``V1.2__x``, ``V1_2__x`` (Flyway versioned), ``U1__`` (undo: never applied), ``R__x`` (repeatable).
_FLYWAY = re.compile(r"^([VUR])(\d+(?:[._]\d+)*)?__", re.IGNORECASE)
#: ``0003_x``, ``20240101120000_x``, ``1700000000-x``: a leading number (Rails, Alembic-style, golang-migrate).
_NUMBERED = re.compile(r"^(\d+)(?=[_.-])")


def migration_key(path: str) -> tuple[str, int, tuple[int, ...], str]:
    """The sort key of one file: its folder, then versioned scripts by version, repeatable ones, the rest."""
    folder, name = os.path.split(path)
    flyway = _FLYWAY.match(name)
    if flyway and flyway.group(1).upper() == "V" and flyway.group(2):
        return folder, 0, tuple(int(part) for part in re.split(r"[._]", flyway.group(2))), name
    numbered = _NUMBERED.match(name)
    if numbered:
        return folder, 0, (int(numbered.group(1)),), name
    if flyway and flyway.group(1).upper() == "R":
        return folder, 1, (), name
    return folder, 2, (), name


def migration_order(paths: Iterable[str]) -> list[str]:
    """``paths`` in the order their DDL is applied (see the module docstring)."""
    return sorted(paths, key=migration_key)


def is_ddl(statement: Statement) -> bool:
    return isinstance(statement.expression, DDL_TYPES)


def _waits_for(schema: Schema, expression: exp.Expression) -> str | None:
    """The table an ALTER TABLE / CREATE INDEX names when the schema does not have it yet."""
    target: exp.Expression | None = None
    if isinstance(expression, exp.Alter) and str(expression.args.get("kind") or "TABLE").upper() == "TABLE":
        target = expression.this
    elif isinstance(expression, exp.Create) and isinstance(expression.this, exp.Index):
        target = expression.this.args.get("table")
    if isinstance(target, exp.Table) and schema.table(target.name) is None:
        return fold(target.name)
    return None


def apply_statements(schema: Schema, statements: Sequence[Statement], dialect: str | None = None) -> list[Table]:
    """Apply the DDL among ``statements`` to ``schema``, files in :func:`migration_order` (statements of one file
    in their order); returns the tables created, in that order. See the module docstring for statements that
    name a table created later."""
    order = {path: rank for rank, path in enumerate(migration_order({s.source.path for s in statements}))}
    ddl = sorted((s for s in statements if is_ddl(s)), key=lambda s: order[s.source.path])  # stable per file
    waiting: dict[str, list[Statement]] = {}
    created: list[Table] = []

    def apply(statement: Statement) -> None:
        assert statement.expression is not None
        table = _waits_for(schema, statement.expression)
        if table is not None:
            waiting.setdefault(table, []).append(statement)
            return
        made = apply_ddl(schema, statement, dialect)
        if isinstance(made, Table) and isinstance(statement.expression, exp.Create):
            created.append(made)
            for later in waiting.pop(fold(made.name), []):
                apply(later)

    for statement in ddl:
        apply(statement)
    return created
