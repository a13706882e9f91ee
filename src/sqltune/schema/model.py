"""The schema sqltune reasons with: tables, columns, keys, indexes and optional statistics.

Names are matched case-insensitively (folded to lower case); ``orders`` finds ``public.orders`` when only
one table of that name exists. A schema round-trips through JSON so that offline analysis can ship a
statistics snapshot taken from production.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqltune.core.source import Span

__all__ = ["Column", "ColumnStats", "ForeignKey", "Index", "Schema", "Table", "TableStats", "fold"]

SCHEMA_FORMAT_VERSION = 1


def fold(name: str) -> str:
    """Identifier key: unquoted, lower case."""
    return name.strip().strip('"`[]').lower()


@dataclass(slots=True)
class ColumnStats:
    """Per-column statistics, in PostgreSQL's sense (``pg_stats``) but engine-neutral.

    ``distinct`` is an absolute count of distinct values; ``correlation`` is between physical and logical
    order (-1..1), which tells whether BRIN indexes or range scans will be cheap.
    """

    distinct: float | None = None
    null_fraction: float | None = None
    avg_width: float | None = None
    correlation: float | None = None
    most_common: list[Any] = field(default_factory=list)
    most_common_freqs: list[float] = field(default_factory=list)


@dataclass(slots=True)
class TableStats:
    rows: float | None = None
    pages: float | None = None
    size_bytes: float | None = None
    # Write traffic (pg_stat_user_tables), which the index advisor charges for.
    inserts: float | None = None
    updates: float | None = None
    deletes: float | None = None
    seq_scans: float | None = None
    index_scans: float | None = None


@dataclass(slots=True)
class Column:
    name: str
    type: str = ""  # SQL type as written, normalised by sqlglot ("BIGINT", "VARCHAR(10)"); "" when unknown
    nullable: bool = True
    default: str | None = None
    identity: bool = False
    stats: ColumnStats | None = None


@dataclass(slots=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]  # column names, or expressions as SQL text
    unique: bool = False
    primary: bool = False
    method: str = "btree"
    include: tuple[str, ...] = ()
    where: str | None = None
    valid: bool = True
    size_bytes: float | None = None
    scans: float | None = None  # idx_scan since the statistics were reset
    origin: Span | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(fold(c) for c in self.columns)


@dataclass(slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] = ()
    name: str | None = None


@dataclass(slots=True)
class Table:
    name: str
    namespace: str | None = None  # the schema ("public") or database.schema, when known
    columns: dict[str, Column] = field(default_factory=dict)  # keyed by folded name, in definition order
    primary_key: tuple[str, ...] = ()
    unique_keys: list[tuple[str, ...]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    stats: TableStats | None = None
    origin: Span | None = None  # where the CREATE TABLE was read, when from DDL

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    def column(self, name: str) -> Column | None:
        return self.columns.get(fold(name))

    def add_column(self, column: Column) -> None:
        self.columns[fold(column.name)] = column

    def is_unique(self, columns: Iterable[str]) -> bool:
        """True when the columns include a primary or unique key (so each row is distinct on them)."""
        wanted = {fold(c) for c in columns}
        keys = [self.primary_key, *self.unique_keys]
        keys += [index.columns for index in self.indexes if index.unique and index.where is None]
        return any(key and {fold(c) for c in key} <= wanted for key in keys)

    def effective_indexes(self) -> list[Index]:
        """Declared indexes plus those that keys create implicitly (primary key, UNIQUE constraints)."""
        indexes = list(self.indexes)
        # Only a declared *unique* index makes a constraint's own index redundant: a plain index on the same
        # columns does not carry the uniqueness.
        declared = {index.key for index in indexes if index.unique}
        implicit = [(self.primary_key, True)] + [(key, False) for key in self.unique_keys]
        for key, primary in implicit:
            if key and tuple(fold(c) for c in key) not in declared:
                suffix = "pkey" if primary else "_".join(fold(c) for c in key) + "_key"
                indexes.append(Index(f"{self.name}_{suffix}", self.qualified_name, key, True, primary))
                declared.add(tuple(fold(c) for c in key))
        return indexes

    def is_not_null(self, column: str) -> bool:
        col = self.column(column)
        if col is None:
            return False
        return not col.nullable or fold(column) in {fold(c) for c in self.primary_key}


class Schema:
    """Tables by name. Build it from DDL (:meth:`from_ddl`), a live database (:meth:`from_sqlalchemy`),
    a mapping (:meth:`from_mapping`) or a JSON snapshot (:meth:`load`).

    >>> schema = Schema.from_mapping({"orders": {"id": "bigint", "status": "text"}})
    >>> schema.table("ORDERS").column("status").type
    'TEXT'
    """

    def __init__(self, tables: Iterable[Table] = ()) -> None:
        self._tables: dict[str, Table] = {}
        self._by_name: dict[str, list[str]] = {}
        for table in tables:
            self.add(table)

    # -- lookup ---------------------------------------------------------------------------------------
    def add(self, table: Table) -> None:
        key = fold(table.qualified_name)
        if key not in self._tables:
            self._by_name.setdefault(fold(table.name), []).append(key)
        self._tables[key] = table

    def remove(self, name: str) -> None:
        table = self.table(name)
        if table is not None:
            key = fold(table.qualified_name)
            del self._tables[key]
            self._by_name[fold(table.name)].remove(key)

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (``orders``, ``public.orders`` or ``db.public.orders``)."""
        key = fold(name)
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
        from sqltune.schema.ddl import normalise_type

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
        from sqltune.schema.ddl import schema_from_ddl

        return schema_from_ddl(sql, dialect=dialect, path=path)

    @classmethod
    def from_sqlalchemy(cls, bind: Any, schemas: Iterable[str | None] = (None,)) -> Schema:
        """Reflect tables, keys and indexes through a SQLAlchemy ``Engine`` or ``Connection``."""
        from sqltune.schema.reflect import reflect_schema

        return reflect_schema(bind, schemas)

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
        """From a JSON snapshot (``.json``) or a DDL file (anything else)."""
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if os.fspath(path).endswith(".json"):
            return cls.from_dict(json.loads(text))
        return cls.from_ddl(text, dialect=dialect, path=os.fspath(path))
