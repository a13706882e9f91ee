"""The parts of a schema: tables, columns, keys, indexes and optional statistics, which
:class:`~sqltune.schema.catalog.Schema` holds by name.

Names are compared folded to lower case (:func:`fold`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.source import Span

__all__ = ["Column", "ColumnStats", "ForeignKey", "Index", "Table", "TableStats", "fold"]


def fold(name: str) -> str:
    """Identifier key: unquoted, lower case."""
    return name.strip().strip('"`[]').lower()


_CLOSING = {'"': '"', "`": "`", "[": "]"}


def fold_path(name: str) -> str:
    """A dotted name as a key: each part unquoted and lower case, so that a part quoted for its hyphen names the
    same table (``"acme-analytics".shop.Orders`` and `` `acme-analytics.shop.orders` `` alike).

    >>> fold_path('"acme-analytics".shop.Orders'), fold_path("`acme-analytics.shop.orders`")
    ('acme-analytics.shop.orders', 'acme-analytics.shop.orders')
    """
    parts, current, closing = [], "", ""
    for char in name.strip():
        if closing:
            if char == closing:
                closing = ""
            else:
                current += char
        elif char in _CLOSING:
            closing = _CLOSING[char]
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return ".".join(part.strip().lower() for part in parts)


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
    #: DEFERRABLE (Django declares every foreign key so): a transaction may break it until COMMIT, so it
    #: proves nothing about what that transaction reads meanwhile.
    deferrable: bool = False


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
    # Named PRIMARY KEY / UNIQUE constraints (folded name -> key columns), so that DROP CONSTRAINT finds them.
    key_names: dict[str, tuple[str, ...]] = field(default_factory=dict)

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
