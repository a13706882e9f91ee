"""The schema sqltune reasons with: :class:`Schema`, tables by name, built from DDL, a live database through
SQLAlchemy, a mapping or a JSON snapshot.

Names are matched case-insensitively (folded to lower case); ``orders`` finds ``public.orders`` when only
one table of that name exists. A schema round-trips through JSON so that offline analysis can ship a
statistics snapshot taken from production.

>>> schema = Schema.from_ddl('''
...     CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
...     CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
...     CREATE INDEX orders_customer ON orders (customer_id);
... ''', dialect="postgres")
>>> orders = schema.table("orders")
>>> orders.foreign_keys[0].ref_table, orders.indexes[0].columns
('customers', ('customer_id',))
>>> schema.table("customers").is_unique(["email"])
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from typing import Any

from sqltune.core.display import Displayable
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source, read_json
from sqltune.schema.ddl import SchemaError, apply_ddl
from sqltune.schema.model import Column, ColumnStats, ForeignKey, Index, Table, TableStats, fold, fold_path
from sqltune.schema.reflect import reflect_tables
from sqltune.schema.types import normalise_type

__all__ = ["Schema", "schema_from_ddl"]

SCHEMA_FORMAT_VERSION = 1


class Schema(Displayable):
    """Tables by name. Build it from DDL (:meth:`from_ddl`), a live database (:meth:`from_sqlalchemy`),
    a mapping (:meth:`from_mapping`) or a JSON snapshot (:meth:`load`).

    >>> schema = Schema.from_mapping({"orders": {"id": "bigint", "status": "text"}})
    >>> schema.table("ORDERS").column("status").type
    'TEXT'
    """

    def __init__(self, tables: Iterable[Table] = ()) -> None:
        self._tables: dict[str, Table] = {}
        self._by_name: dict[str, list[str]] = {}
        # Where each table's CREATE was read -> the table now (renames keep it, DROP TABLE records a tombstone).
        self._origins: dict[tuple[str, int], Table | None] = {}
        for table in tables:
            self.add(table)

    # -- lookup ---------------------------------------------------------------------------------------
    def add(self, table: Table) -> None:
        key = fold(table.qualified_name)
        if key not in self._tables:
            self._by_name.setdefault(fold(table.name), []).append(key)
        self._tables[key] = table
        if table.origin is not None:
            self._origins[(table.origin.path, table.origin.start)] = table

    def remove(self, name: str, dropped: bool = True) -> Table | None:
        """Take the table called ``name`` out; ``dropped`` (DROP TABLE, not a rename) also forgets its CREATE."""
        table = self.table(name)
        if table is not None:
            key = fold(table.qualified_name)
            del self._tables[key]
            self._by_name[fold(table.name)].remove(key)
            if dropped and table.origin is not None:
                self._origins[(table.origin.path, table.origin.start)] = None
        return table

    def rename(self, table: Table, name: str, namespace: str | None) -> None:
        """``ALTER TABLE ... RENAME TO``: the table keeps its keys, indexes and origin under the new name, and
        the foreign keys and indexes that named it follow."""
        old = fold(table.qualified_name)
        self.remove(table.qualified_name, dropped=False)
        table.name, table.namespace = name, namespace
        for other in [*self, table]:
            for fk in other.foreign_keys:
                if fold(fk.ref_table) in {old, old.rsplit(".", 1)[-1]}:
                    fk.ref_table = table.qualified_name
        for index in table.indexes:
            index.table = table.qualified_name
        self.add(table)

    def defined_at(self, path: str, start: int) -> tuple[bool, Table | None]:
        """The table the CREATE read at ``path``/``start`` became, as the final state after every DDL statement
        applied to this schema: ``(True, table)``, ``(True, None)`` when it was dropped since, or
        ``(False, None)`` when this schema never saw that CREATE (or a later CREATE replaced it)."""
        if (path, start) not in self._origins:
            return False, None
        table = self._origins[(path, start)]
        if table is not None and self._tables.get(fold(table.qualified_name)) is not table:
            return False, None  # replaced by a later CREATE of the same name
        return True, table

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (``orders``, ``public.orders`` or ``db.public.orders``; parts may be quoted)."""
        key = fold_path(name)
        found = self._tables.get(key)
        if found is not None:
            return found
        short = key.rsplit(".", 1)[-1]
        candidates = self._by_name.get(short, [])
        if len(candidates) == 1 and (short == key or candidates[0].endswith(key)):
            return self._tables[candidates[0]]
        matching = [c for c in candidates if c.endswith("." + key) or c == key]
        return self._tables[matching[0]] if len(matching) == 1 else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.table(name) is not None

    def __iter__(self) -> Iterator[Table]:
        return iter(self._tables.values())

    def __len__(self) -> int:
        return len(self._tables)

    def __bool__(self) -> bool:
        return bool(self._tables)

    def merge(self, other: Schema) -> Schema:
        """A new schema with ``other``'s tables added to (and replacing) these."""
        merged = Schema(self)
        for table in other:
            merged.add(table)
        return merged

    # -- building -------------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Schema:
        """From ``{"table": {"column": "type", ...}}`` (sqlglot's shape) or a :meth:`to_dict` document."""
        if "tables" in mapping and isinstance(mapping["tables"], list):
            return cls.from_dict(mapping)
        schema = cls()
        for qualified, columns in mapping.items():
            namespace, _, name = qualified.rpartition(".")
            table = Table(name=name, namespace=namespace or None)
            for column, type_ in columns.items():
                table.add_column(Column(column, normalise_type(type_) if type_ else ""))
            schema.add(table)
        return schema

    @classmethod
    def from_ddl(cls, sql: str, dialect: str | None = None, path: str = "<ddl>") -> Schema:
        """Tables, keys and indexes from CREATE TABLE / CREATE INDEX / ALTER TABLE statements.

        Statements of other kinds are ignored; a statement that does not parse raises
        :class:`sqltune.schema.ddl.SchemaError` naming its line and column.
        """
        schema = cls()
        for statement in parse_source(Source(path, sql), dialect):
            if statement.error is not None:
                raise SchemaError(f"{statement.error.span}: {statement.error.message}")
            apply_ddl(schema, statement, dialect)
        return schema

    @classmethod
    def from_sqlalchemy(cls, bind: Any, schemas: Iterable[str | None] = (None,)) -> Schema:
        """Reflect tables, keys and indexes through a SQLAlchemy ``Engine`` or ``Connection``."""
        return cls(reflect_tables(bind, schemas))

    # -- JSON -----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def table_dict(table: Table) -> dict[str, Any]:
            data = asdict(table)
            data.pop("origin")
            data["columns"] = [asdict(c) for c in table.columns.values()]
            for index in data["indexes"]:
                index.pop("origin")
            return data

        return {"format": SCHEMA_FORMAT_VERSION, "tables": [table_dict(t) for t in self]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        def build(kind: type[Any], values: Mapping[str, Any] | None) -> Any:
            if values is None:
                return None
            names = {f.name for f in fields(kind)}
            unknown = set(values) - names
            if unknown:
                raise ValueError(f"unknown {kind.__name__} field(s): {', '.join(sorted(unknown))}")
            return kind(**values)

        schema = cls()
        for raw in data.get("tables", []):
            raw = dict(raw)
            columns = raw.pop("columns", [])
            table = build(Table, {k: v for k, v in raw.items() if k not in {"indexes", "foreign_keys"}})
            table.columns = {}
            table.primary_key = tuple(table.primary_key)
            table.unique_keys = [tuple(key) for key in table.unique_keys]
            table.key_names = {name: tuple(key) for name, key in table.key_names.items()}
            table.stats = build(TableStats, raw.get("stats"))
            for column in columns:
                column = dict(column)
                column["stats"] = build(ColumnStats, column.get("stats"))
                table.add_column(build(Column, column))
            for index in raw.get("indexes", []):
                index = dict(index, columns=tuple(index["columns"]), include=tuple(index.get("include", ())))
                table.indexes.append(build(Index, index))
            for fk in raw.get("foreign_keys", []):
                fk = dict(fk, columns=tuple(fk["columns"]), ref_columns=tuple(fk.get("ref_columns", ())))
                table.foreign_keys.append(build(ForeignKey, fk))
            schema.add(table)
        return schema

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2, sort_keys=False)
            handle.write("\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str], dialect: str | None = None) -> Schema:
        """From a JSON snapshot (``.json``) or a DDL file (anything else).

        A missing or unreadable file raises :class:`SchemaError` with one line: ``schema file not found: PATH``
        or ``cannot read schema file PATH: reason``; invalid JSON names the file, line and column.
        """
        name = os.fspath(path)
        if not os.path.exists(name):
            raise SchemaError(f"schema file not found: {name}")
        if name.endswith(".json"):
            expected = "a schema snapshot (JSON) or a DDL file"
            return cls.from_dict(read_json(name, "schema file", expected, SchemaError))
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise SchemaError(f"cannot read schema file {name}: {reason}") from None
        return cls.from_ddl(text, dialect=dialect, path=name)


def schema_from_ddl(sql: str, dialect: str | None = None, path: str = "<ddl>") -> Schema:
    """The same as :meth:`Schema.from_ddl`."""
    return Schema.from_ddl(sql, dialect=dialect, path=path)
