"""Rows for an application schema, generated from its keys: for the corpus of application SQL (fixtures/appsql).

:func:`generate` reads a :class:`~sqltune.schema.Schema` (primary keys, NOT NULL, unique keys and unique
indexes, foreign keys) and makes rows that satisfy every constraint: ids 1..n, foreign keys drawn with skew
(a few parents own most children) and NULL now and then where the column allows it, strings from a small
vocabulary (``acme``, ``open``, ``paid``...) or ``<column>-<id>`` when the column is unique, and the integer
column of a composite unique key numbered within its group (``tickets.number`` is 1, 2, ... per workspace).
Tables that others reference get a tenth of the rows (at least 20), the others ``rows``. :func:`load_postgres` and
:func:`load_mysql` copy them into a database whose tables exist already.

>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl('''CREATE TABLE w (id int PRIMARY KEY, slug text NOT NULL UNIQUE);
...     CREATE TABLE t (id int PRIMARY KEY, w_id int NOT NULL REFERENCES w (id), number int NOT NULL,
...                     UNIQUE (w_id, number))''', dialect="postgres")
>>> w, t = generate(schema, rows=50)
>>> w.name, len(w.rows), w.rows[0], len(t.rows)
('w', 20, (1, 'slug-1'), 50)
>>> len({(row[1], row[2]) for row in t.rows}) == len(t.rows)
True
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqltune.schema import Schema
from sqltune.schema.model import Table

__all__ = ["TableRows", "generate", "load_mysql", "load_postgres"]

WORDS = ["acme", "open", "paid", "pro", "core", "free", "draft", "void", "closed", "globex"]
START = dt.datetime(2024, 1, 1)
MIN_PARENTS = 20


@dataclass
class TableRows:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _order(tables: list[Table]) -> list[Table]:
    """Parents before children (self references aside)."""
    done: list[Table] = []
    names: set[str] = set()
    pending = list(tables)
    while pending:
        ready = [
            t for t in pending
            if all(_base(fk.ref_table) in names or _base(fk.ref_table) == t.name for fk in t.foreign_keys)
        ]  # fmt: skip
        if not ready:  # a cycle: take the rest as they are (their foreign keys get NULL or a known id)
            ready = pending
        for table in ready:
            done.append(table)
            names.add(table.name)
        pending = [t for t in pending if t.name not in names]
    return done


def _base(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def _unique_keys(table: Table) -> list[tuple[str, ...]]:
    keys = [tuple(key) for key in table.unique_keys]
    keys += [tuple(index.columns) for index in table.indexes if index.unique and not index.primary]
    return [key for key in keys if key and key != tuple(table.primary_key)]


def _value(table: Table, column: str, kind: str, row_id: int, r: random.Random, unique: bool) -> Any:
    kind = kind.upper()
    if kind.startswith(("BOOL", "TINYINT(1)")):
        return r.random() < 0.7
    if "INT" in kind:
        return r.randint(1, 5)
    if kind.startswith(("DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL")):
        return Decimal(r.randint(100, 100_000)) / 100
    if kind == "DATE":
        return (START + dt.timedelta(days=r.randint(0, 365))).date()
    if kind.startswith(("TIMESTAMP", "DATETIME")):
        return START + dt.timedelta(seconds=r.randint(0, 365 * 86400))
    if unique:
        return f"{column}-{row_id}"
    return WORDS[min(int(len(WORDS) * r.random() ** 2), len(WORDS) - 1)]


def generate(schema: Schema, rows: int, seed: int = 0) -> list[TableRows]:
    """Rows for every table whose primary key is ``id``, parents first (see the module documentation); the
    framework's own tables (``schema_migrations``, ``django_migrations``...) have other keys or none."""
    r = random.Random(seed)
    tables = [t for t in schema if t.primary_key == ("id",)]
    referenced = {_base(fk.ref_table) for t in tables for fk in t.foreign_keys if _base(fk.ref_table) != t.name}
    ids: dict[str, list[Any]] = {}
    out = []
    for table in _order(tables):
        count = max(rows // 10, MIN_PARENTS) if table.name in referenced else rows
        keys = _unique_keys(table)
        single = {key[0] for key in keys if len(key) == 1}
        fks = {fk.columns[0]: _base(fk.ref_table) for fk in table.foreign_keys if len(fk.columns) == 1}
        numbered = {  # the non-key integer column of a composite unique key: numbered within its group
            column: tuple(c for c in key if c != column)
            for key in keys if len(key) > 1
            for column in key if column not in fks and "INT" in table.columns[column].type.upper()
        }  # fmt: skip
        groups: dict[tuple[Any, ...], int] = {}
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {key: set() for key in keys}
        columns = list(table.columns)
        made: list[tuple[Any, ...]] = []
        made_ids: list[Any] = []
        for row_id in range(1, count + 1):
            for _attempt in range(20):
                row = _row(table, row_id, r, fks, single, ids, made_ids)
                for column, group in numbered.items():
                    at = tuple(row[c] for c in group)
                    groups[at] = groups.get(at, 0) + 1
                    row[column] = groups[at]
                values = {key: tuple(row[c] for c in key) for key in keys}
                if all(None in value or value not in seen[key] for key, value in values.items()):
                    break
            else:
                continue  # no free key combination: fewer rows
            for key, value in values.items():
                seen[key].add(value)
            made.append(tuple(row[c] for c in columns))
            made_ids.append(row[table.primary_key[0]])
        ids[table.name] = made_ids
        out.append(TableRows(table.name, [table.columns[c].name for c in columns], made))
    return out


def _row(
    table: Table,
    row_id: int,
    r: random.Random,
    fks: dict[str, str],
    single: set[str],
    ids: dict[str, list[Any]],
    made_ids: list[Any],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, column in table.columns.items():
        if name == table.primary_key[0]:
            row[name] = row_id
        elif name in fks:
            parents = made_ids if fks[name] == table.name else ids.get(fks[name], [])
            if not parents or (column.nullable and r.random() < 0.2):
                row[name] = None
            else:
                row[name] = parents[min(int(len(parents) * r.random() ** 2), len(parents) - 1)]
        elif column.nullable and r.random() < 0.3:
            row[name] = None
        else:
            row[name] = _value(table, name, column.type, row_id, r, name in single)
    return row


def load_postgres(connection: Any, tables: list[TableRows]) -> None:
    """COPY the rows into existing tables of the connection's search path (a psycopg connection)."""
    for table in tables:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        with connection.cursor().copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in table.rows:
                copy.write_row(row)


def load_mysql(connection: Any, tables: list[TableRows], batch: int = 5000) -> None:
    """INSERT the rows into existing tables of the connection's database (a PyMySQL connection)."""
    with connection.cursor() as cursor:
        for table in tables:
            columns = ", ".join(f"`{c}`" for c in table.columns)
            marks = ", ".join(["%s"] * len(table.columns))
            for start in range(0, len(table.rows), batch):
                cursor.executemany(
                    f"INSERT INTO `{table.name}` ({columns}) VALUES ({marks})", table.rows[start : start + batch]
                )
    connection.commit()
