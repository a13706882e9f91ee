"""What the index advisor works with: index specifications and the queries of a workload.

>>> spec = IndexSpec("orders", ("customer_id", "created_at"), include=("total",))
>>> spec.ddl()
'CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at) INCLUDE (total)'
>>> spec.extended("status").columns
('customer_id', 'created_at', 'status')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqltune.graph import QueryGraph
from sqltune.schema import Index, fold

__all__ = ["IndexSpec", "WorkloadQuery"]


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A (possibly hypothetical) index: table, key columns or expressions, INCLUDE, partial WHERE, method."""

    table: str
    columns: tuple[str, ...]
    include: tuple[str, ...] = ()
    where: str | None = None
    method: str = "btree"

    @property
    def leading(self) -> str:
        return fold(self.columns[0])

    @property
    def width(self) -> int:
        return len(self.columns)

    def extended(self, column: str) -> IndexSpec:
        return replace(self, columns=(*self.columns, column), include=tuple(c for c in self.include if c != column))

    def covers_prefix(self, other: IndexSpec) -> bool:
        """True when ``other``'s key is a left prefix of this key on the same table, method and predicate."""
        return (
            self.table == other.table
            and self.method == other.method
            and self.where == other.where
            and tuple(map(fold, self.columns[: other.width])) == tuple(map(fold, other.columns))
        )

    def name(self) -> str:
        base = self.table.rsplit(".", 1)[-1]
        parts = [re.sub(r"\W+", "_", fold(c)).strip("_") for c in self.columns]
        suffix = "brin" if self.method == "brin" else "idx"
        name = f"{base}_{'_'.join(parts)}_{'part_' if self.where else ''}{suffix}"
        return name[:63]

    def ddl(self, name: str | None = None, concurrently: bool = True) -> str:
        using = f" USING {self.method}" if self.method != "btree" else ""
        include = f" INCLUDE ({', '.join(self.include)})" if self.include else ""
        where = f" WHERE {self.where}" if self.where else ""
        keyword = "CREATE INDEX CONCURRENTLY" if concurrently else "CREATE INDEX"
        return f"{keyword} {name or self.name()} ON {self.table}{using} ({', '.join(self.columns)}){include}{where}"

    def matches(self, index: Index) -> bool:
        """True when an existing index has this key (and method and predicate)."""
        return (
            tuple(map(fold, index.columns)) == tuple(map(fold, self.columns))
            and index.method.lower() == self.method
            and (index.where or None) == self.where
        )

    def __str__(self) -> str:
        include = f" INCLUDE ({', '.join(self.include)})" if self.include else ""
        where = f" WHERE {self.where}" if self.where else ""
        using = f" USING {self.method}" if self.method != "btree" else ""
        return f"{self.table}{using}({', '.join(self.columns)}){include}{where}"


@dataclass(slots=True)
class WorkloadQuery:
    """One query of a workload with how much it matters (calls, or total time from pg_stat_statements)."""

    id: str
    sql: str
    graph: QueryGraph
    weight: float = 1.0
    # Tables the statement writes (INSERT/UPDATE/DELETE) and roughly how many rows per execution.
    writes: dict[str, float] = field(default_factory=dict)

    def tables(self) -> set[str]:
        return {fold(r.table.qualified_name if r.table else r.name) for r in self.graph.base_tables()}
