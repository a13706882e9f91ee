"""What the cost model knows about a query, as :mod:`~sqltune.indexes.costmodel.reading` gathers it.

- :class:`RelationFacts`: one base relation: its table's size, its filters folded into index-usable
  equality and range conditions on column (or expression) keys, the columns it reads, its join columns per
  neighbour, its ORDER BY when it alone orders the result, and the valid indexes the schema already has;
- :class:`QueryFacts`: the relations of one statement, and for a single-relation SELECT whether it is sorted
  and how many rows a LIMIT needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqltune.indexes.model import IndexSpec
from sqltune.schema import Table

__all__ = ["QueryFacts", "RelationFacts"]


@dataclass(slots=True)
class RelationFacts:
    """What the model knows about one base relation of a query."""

    id: str
    position: int
    key: str  # folded table name, as ``table_usages`` keys it
    alias: str
    table: Table | None
    rows: float
    pages: float
    eq: dict[str, float] = field(default_factory=dict)  # column/expression key -> selectivity (index-usable)
    range: dict[str, float] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)  # column key -> constant of an equality, as SQL
    filters: int = 0  # predicates evaluated per row
    selectivity: float = 1.0
    read: set[str] = field(default_factory=set)
    reads_all: bool = False  # SELECT *, or a DML target: only the heap has every column
    order: tuple[str, ...] = ()  # ORDER BY columns when this relation alone orders the result
    joins: dict[str, list[str]] = field(default_factory=dict)  # neighbour relation id -> my join column keys
    existing: list[IndexSpec] = field(default_factory=list)  # valid indexes the schema already has

    @property
    def out_rows(self) -> float:
        return max(1.0, self.rows * self.selectivity)


@dataclass(slots=True)
class QueryFacts:
    relations: list[RelationFacts]
    single: bool  # one base relation in the whole statement: ORDER BY / LIMIT apply to its scan
    limit: float | None = None  # LIMIT k of a query that streams rows (no aggregate, GROUP BY, DISTINCT, window)
    sorted: bool = False  # the statement has an ORDER BY
