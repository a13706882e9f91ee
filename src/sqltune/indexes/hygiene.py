"""Index hygiene: the indexes a live database should drop, and the foreign keys it should index.

Every index costs a write on each INSERT, on each DELETE's cleanup and on each UPDATE of its columns (and
stops PostgreSQL's HOT updates), plus its disk and cache space. :func:`index_hygiene` reads a
:class:`~sqltune.schema.Schema` loaded from a live catalog (:meth:`PostgresConnection.schema()
<sqltune.connectors.postgres.PostgresConnection.schema>` fills ``Index.valid``, ``Index.scans``,
``Index.size_bytes`` and ``Table.stats``) and advises, one :class:`HygieneAdvice` per finding:

- ``invalid``: an index PostgreSQL marked INVALID, left by a failed ``CREATE INDEX CONCURRENTLY`` (or
  ``REINDEX CONCURRENTLY``). Queries never use it, yet it may still be maintained on every write;
- ``duplicate``: the same key, method, predicate and INCLUDE columns as another index. The one kept is the
  primary key, else a unique index, else the most scanned, else the first by name;
- ``redundant``: a B-tree index whose key is a left prefix of a longer index's key (same method and
  predicate, its INCLUDE columns available in the other), or whose INCLUDE columns another index on the same
  key has. A unique index is never redundant to a non-unique one, nor to a longer one: it enforces something;
- ``unused``: no scan (``idx_scan = 0``) since the statistics were reset. Never for primary-key or unique
  indexes (they enforce constraints even when no query reads them), nor for the only index serving a foreign
  key (the referenced table's DELETEs and key UPDATEs need it: see the next kind);
- ``unindexed-foreign-key``: a foreign key whose columns no valid index leads with (in any order; a partial
  index counts only with ``WHERE <column> IS NOT NULL``), so every DELETE or key UPDATE on the referenced
  table scans this one. The advice is a ``CREATE INDEX CONCURRENTLY`` with the cost model's size estimate.

An index gets at most one advice, the first kind that applies in the order above. The DROP statements use
``CONCURRENTLY`` so that they do not block writes (they cannot run inside a transaction block).

>>> from sqltune.schema import Index, Schema
>>> schema = Schema.from_ddl("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, note text)")
>>> orders = schema.table("orders")
>>> orders.indexes += [Index("orders_pkey", "orders", ("id",), unique=True, primary=True, scans=0),
...                    Index("orders_customer", "orders", ("customer_id",), scans=0, size_bytes=8192)]
>>> [(a.kind, a.index_name, a.statement) for a in index_hygiene(schema)]
[('unused', 'orders_customer', 'DROP INDEX CONCURRENTLY orders_customer')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqltune.indexes.costmodel import CostModelBackend
from sqltune.indexes.model import IndexSpec
from sqltune.schema import ForeignKey, Index, Schema, Table, fold

__all__ = [
    "DUPLICATE",
    "INVALID",
    "REDUNDANT",
    "UNINDEXED_FOREIGN_KEY",
    "UNUSED",
    "HygieneAdvice",
    "index_hygiene",
]

INVALID = "invalid"
DUPLICATE = "duplicate"
REDUNDANT = "redundant"
UNUSED = "unused"
UNINDEXED_FOREIGN_KEY = "unindexed-foreign-key"

#: Index methods whose leading columns serve an equality lookup by those columns.
_LOOKUP_METHODS = frozenset({"btree", "hash"})
_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")


@dataclass(frozen=True, slots=True)
class HygieneAdvice:
    """One piece of advice: what to run, and why."""

    kind: str  # INVALID, DUPLICATE, REDUNDANT, UNUSED or UNINDEXED_FOREIGN_KEY
    table: str  # qualified name
    index_name: str | None  # the index to drop, or the name the CREATE statement gives the new one
    statement: str  # "DROP INDEX CONCURRENTLY ..." or "CREATE INDEX CONCURRENTLY ..."
    evidence: str
    size_bytes: float | None = None  # the index's size (for a CREATE: the cost model's estimate)

    def __str__(self) -> str:
        return f"{self.kind}: {self.statement}; -- {self.evidence}"


def index_hygiene(schema: Schema, stats_reset: datetime | None = None) -> list[HygieneAdvice]:
    """Advice for every table of ``schema``, by table name, then index name within each kind.

    ``stats_reset`` is when the usage counters started (:meth:`PostgresConnection.stats_reset()
    <sqltune.connectors.postgres.PostgresConnection.stats_reset>`): "unused" means unused since then.
    """
    advice: list[HygieneAdvice] = []
    sizes = CostModelBackend(schema)
    for table in sorted(schema, key=lambda t: fold(t.qualified_name)):
        advice.extend(_table_advice(table, stats_reset, sizes))
    return advice


def _table_advice(table: Table, stats_reset: datetime | None, sizes: CostModelBackend) -> Iterator[HygieneAdvice]:
    indexes = sorted(table.indexes, key=lambda i: i.name)
    valid = [index for index in indexes if index.valid]
    reported: set[str] = set()

    def advise(kind: str, index: Index, evidence: str) -> HygieneAdvice:
        reported.add(index.name)
        drop = f"DROP INDEX CONCURRENTLY {_qualified(table, index.name)}"
        return HygieneAdvice(kind, table.qualified_name, index.name, drop, evidence, index.size_bytes)

    for index in indexes:
        if not index.valid:
            yield advise(
                INVALID,
                index,
                f"{_describe(index)} is INVALID, left by a failed CREATE INDEX CONCURRENTLY or REINDEX "
                f"CONCURRENTLY: queries never use it, yet writes may still maintain it{_size(index)}; drop it, "
                "then build it again (CONCURRENTLY) if it is needed",
            )
    for index in valid:
        cover = _served_by(index, valid)
        if cover is not None:
            same_include = {fold(c) for c in cover.include} == {fold(c) for c in index.include}
            kind = DUPLICATE if cover.key == index.key and same_include else REDUNDANT
            how = "duplicates" if kind == DUPLICATE else "is served by"
            yield advise(
                kind,
                index,
                f"{_describe(index)} {how} {_describe(cover)}, which answers the same lookups: every row change "
                f"writes both{_size(index)}{_usage(index, stats_reset)}",
            )
    for index in valid:
        if index.name in reported or index.scans != 0 or index.primary or index.unique:
            continue
        if any(_serves(index, fk) and not _others_serve(index, fk, valid) for fk in table.foreign_keys):
            continue
        yield advise(
            UNUSED,
            index,
            f"{_describe(index)} has not been scanned {_since(stats_reset)}, yet every row change writes it"
            f"{_size(index)}; usage counters are per server, so check the standbys that serve reads (and rare "
            "jobs such as month-end reports) before dropping it",
        )
    for fk in table.foreign_keys:
        if not fk.columns or any(_serves(index, fk) for index in valid):
            continue
        spec = IndexSpec(table.qualified_name, tuple(fk.columns))
        size = sizes.size(spec)
        names = ", ".join(fk.columns)
        rows = table.stats.rows if table.stats is not None else None
        scanned = f"{table.qualified_name} ({rows:,.0f} rows)" if rows is not None else table.qualified_name
        label = f"foreign key {fk.name} ({names})" if fk.name else f"foreign key ({names})"
        yield HygieneAdvice(
            UNINDEXED_FOREIGN_KEY,
            table.qualified_name,
            spec.name(),
            spec.ddl(_quoted(spec.name())),
            f"{label} -> {fk.ref_table} has no index leading with ({names}): every "
            f"DELETE or key UPDATE on {fk.ref_table} scans {scanned} while holding its locks, and joins from "
            f"{fk.ref_table} cannot use an index; the new index is about {_bytes(size)} (estimated)",
            size,
        )


def _served_by(index: Index, indexes: Sequence[Index]) -> Index | None:
    """The index that makes ``index`` unnecessary (see the module documentation), if any."""
    if index.primary:
        return None
    for other in indexes:
        if other is index or other.method != index.method or _normal(other.where) != _normal(index.where):
            continue
        other_columns = {*other.key, *(fold(c) for c in other.include)}
        if not {fold(c) for c in index.include} <= other_columns:
            continue
        if other.key == index.key:
            if index.unique and not other.unique:
                continue  # the unique one enforces something
            mutual = {fold(c) for c in other.include} <= {*index.key, *(fold(c) for c in index.include)}
            if mutual and _keep_rank(other) > _keep_rank(index):
                continue  # of two equal indexes, the better one to keep is not reported
            return other
        is_prefix = len(other.key) > len(index.key) and other.key[: len(index.key)] == index.key
        if is_prefix and not index.unique and index.method == "btree":
            return other
    return None


def _keep_rank(index: Index) -> tuple[int, int, float, str]:
    """Which of two equal indexes to keep: lower is better."""
    return (not index.primary, not index.unique, -(index.scans or 0.0), index.name)


def _serves(index: Index, fk: ForeignKey) -> bool:
    """Can a lookup by all the foreign key's columns search ``index``? Its leading columns must be exactly
    those columns, in any order; a partial index only counts with ``WHERE <fk column> IS NOT NULL``."""
    wanted = {fold(c) for c in fk.columns}
    method = index.method.lower()
    if method not in _LOOKUP_METHODS or len(index.key) < len(wanted) or (method == "hash" and len(index.key) != 1):
        return False
    if set(index.key[: len(wanted)]) != wanted:
        return False
    return index.where is None or _normal(index.where) in {f"{column} is not null" for column in wanted}


def _others_serve(index: Index, fk: ForeignKey, indexes: Sequence[Index]) -> bool:
    return any(other is not index and _serves(other, fk) for other in indexes)


def _normal(sql: str | None) -> str:
    """A predicate for comparison: lower case, single spaces, without the outer parentheses the catalog adds."""
    text = re.sub(r"\s+", " ", sql or "").strip().lower()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _describe(index: Index) -> str:
    kind = "primary key" if index.primary else "unique index" if index.unique else "index"
    where = f" WHERE {index.where}" if index.where else ""
    include = f" INCLUDE ({', '.join(index.include)})" if index.include else ""
    using = f" USING {index.method}" if index.method.lower() != "btree" else ""
    return f"{kind} {index.name}{using} ({', '.join(index.columns)}){include}{where}"


def _since(stats_reset: datetime | None) -> str:
    if stats_reset is None:
        return "since statistics collection began (the counters were never reset)"
    return f"since the statistics were reset on {stats_reset:%Y-%m-%d %H:%M}"


def _usage(index: Index, stats_reset: datetime | None) -> str:
    if index.scans is None:
        return ""
    return f"; it was scanned {index.scans:,.0f} times {_since(stats_reset)}"


def _size(index: Index) -> str:
    return f" ({_bytes(index.size_bytes)} on disk)" if index.size_bytes is not None else ""


def _bytes(size: float) -> str:
    """``1536`` -> ``1.5 kB``: sizes as people read them."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _quoted(name: str) -> str:
    return name if _PLAIN_IDENTIFIER.match(name) else '"' + name.replace('"', '""') + '"'


def _qualified(table: Table, name: str) -> str:
    """The index's name qualified by its table's schema (indexes live in their table's schema)."""
    parts = [*(table.namespace.split(".")[-1:] if table.namespace else []), name]
    return ".".join(_quoted(part) for part in parts)
