"""An offline what-if backend: PostgreSQL-style cost estimates from schema statistics, with no database.

When no database is at hand (a schema snapshot in JSON, DDL plus hand-written statistics, CI), the index advisor
still needs to ask "what would this query cost with these indexes?". :class:`CostModelBackend` answers from
:class:`~sqltune.schema.TableStats` and :class:`~sqltune.schema.ColumnStats` alone, with the formulas of
PostgreSQL's planner (``costsize.c``, ``selfuncs.c``) cut down to what those statistics can feed. Its answers
are labelled estimates (``estimated = True``): they rank index configurations sensibly, they are not the
numbers ``EXPLAIN`` would print.

**Units and settings** (:class:`CostSettings`, PostgreSQL's defaults): ``seq_page_cost`` 1,
``random_page_cost`` 4, ``cpu_tuple_cost`` 0.01, ``cpu_index_tuple_cost`` 0.005, ``cpu_operator_cost``
0.0025, 8 kB pages, B-tree fill factor 0.9, 128 heap pages per BRIN range.

**Table size.** ``N`` rows = ``TableStats.rows``; ``T`` heap pages = ``TableStats.pages``, else
``size_bytes / 8192``, else ``N / tuples_per_page`` with ``tuples_per_page = floor(8168 / (width + 28))``
(28 bytes of tuple header and line pointer). A table without statistics is taken to have 10 pages, as
PostgreSQL's planner assumes for a table never vacuumed or analysed. ``width`` is the sum of the columns'
``avg_width``, else a width from the type (``INT`` 4, ``BIGINT`` 8, ``VARCHAR(n)`` ``min(n, 32)``, other
variable-width types 32, PostgreSQL's default), else 100 bytes for a table the schema does not know.

**Selectivity** of one predicate (the fraction of rows it keeps):

- ``col = const``: the constant's frequency when it is one of ``most_common``; else
  ``(1 - sum(most_common_freqs) - null_fraction) / (distinct - len(most_common))``; without MCVs
  ``(1 - null_fraction) / distinct``; ``1 / N`` on a unique column; 0.005 without statistics;
- ``col IN (v1, ..., vk)``: ``k`` times the equality selectivity (an ``IN (subquery)`` counts as ten values);
- ``col IS NULL``: ``null_fraction`` (0 for a NOT NULL column, 0.005 unknown);
- a one-sided range (``<``, ``>=``...): 1/3; both bounds on one column (``BETWEEN``, or ``>`` and ``<``): 0.005;
  ``LIKE 'abc%'``: 0.05; a leading-wildcard ``LIKE`` or a regex: 0.005; any other filter: 1/3 (0.005 for an
  equality between two expressions);
- ``NOT p``: ``1 - sel(p)``; ``p1 OR p2 ...``: ``min(1, sum(sel(pi)))``; conjunctions multiply
  (independence).

A relation's output rows are ``R = max(1, N * product of its predicates' selectivities)``.

**Access paths** for one base relation (the cheapest is taken, so adding an index never raises a cost). The
schema's own valid indexes (declared ones and those PRIMARY KEY and UNIQUE build) are always available, as
they are to the real planner; ``Evaluation.used`` lists only the evaluated indexes the plan picks:

- sequential scan: ``T * seq_page_cost + N * (cpu_tuple_cost + q * cpu_operator_cost)`` with ``q`` the
  relation's filter count;
- B-tree index (hash: a single equality column): the key matches while its columns have equality filters,
  then at most one range (or ``LIKE`` prefix) column; ``s`` = product of the matched columns' selectivities.
  An index on an expression (``lower(email)``) matches a filter on that same expression. A partial index is
  usable only when the query has the same constant predicate (``WHERE status = 'open'``), or, for
  ``WHERE col IS NOT NULL``, any indexable filter on ``col``; it holds ``N * sel(predicate)`` entries.
  With ``E`` entries and ``P_i`` index pages, for one scan returning ``t = max(1, E * s)`` tuples::

      index  = random_page_cost * max(1, ceil(s * P_i))
             + cpu_operator_cost * ceil(log2(E))                        (descent)
             + t * (cpu_index_tuple_cost + m * cpu_operator_cost)       (m matched columns)
      heap   = 0 for an index-only scan (the index holds every column the query reads from the relation;
               the visibility map is assumed all-visible), else PostgreSQL's interpolation
               max_io + c^2 * (min_io - max_io) with
               max_io = random_page_cost * pages_fetched(T, t),
               min_io = random_page_cost + (ceil(s_total * T) - 1) * seq_page_cost,
               c = correlation of the leading column (0 when unknown)
             + t * (cpu_tuple_cost + (q - m) * cpu_operator_cost)        (residual filters)

  ``pages_fetched(T, t) = min(T, 2*T*t / (2*T + t))`` (Mackert and Lohman, as in ``index_pages_fetched``).
- BRIN (correlated ranges): with ``G = ceil(T / 128)`` ranges, ``G_min = ceil(G * s)`` and
  ``G_est = min(G, G_min / |c|)``, the heap pages read are ``H = min(T, 128 * G_est)``, each at
  ``random_page_cost - (random_page_cost - seq_page_cost) * sqrt(H / T)`` (a bitmap heap scan), plus the
  whole (tiny) index sequentially, ``G * cpu_operator_cost`` and every tuple on those pages rechecked.

**Joins** (kept simple): relations are placed in increasing order of ``R`` (ties by their place in the
query), which does not depend on the indexes. The first relation of each equi-join component is scanned with
its cheapest path. Every later one, reached through an already placed neighbour with ``R_o`` rows, costs the
cheaper of a hash join, ``access + (cpu_operator_cost + cpu_tuple_cost) * R + cpu_operator_cost * R_o``, and a
nested loop with index lookups: an index whose matched key includes the join columns (plus equality filters)
is probed ``R_o`` times, each probe finding ``N * s`` rows with ``s`` including ``1 / distinct`` per join
column; over all probes ``pages_fetched`` is applied to the total rows (pages cached across probes).

**ORDER BY and LIMIT**, for a query reading one relation: an index whose key, after leading equality
columns, is the ORDER BY columns (all ascending or all descending) returns rows in order; other paths pay a
sort of ``2 * cpu_operator_cost * R * log2(R)`` (top-N: ``log2(2 * k)`` with ``LIMIT k``). With ``LIMIT k``
(``k`` includes any OFFSET) a path that streams rows costs ``min(1, k / R)`` of its total; a query with an
aggregate, GROUP BY, DISTINCT or window function does not stream. ORDER BY across joins, GROUP BY and aggregates
are not costed: no index changes them in this model.

Everything is a minimum over options that only grow as indexes are added, so a query's cost is monotone
(never higher with more indexes) and deterministic (ties go to the path without an index, then to the index
that sorts first).

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> from sqltune.schema import ColumnStats, TableStats
>>> schema = Schema.from_ddl("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric)")
>>> schema.table("orders").stats = TableStats(rows=1_000_000, pages=10_000)
>>> schema.table("orders").column("customer_id").stats = ColumnStats(distinct=50_000)
>>> query = WorkloadQuery("q", "", QueryGraph.build(parse_one("SELECT total FROM orders WHERE customer_id = 7")))
>>> backend = CostModelBackend(schema)
>>> round(backend.evaluate(query, []).cost)  # 10 000 pages + 1M rows * (0.01 + 0.0025)
22500
>>> index = IndexSpec("orders", ("customer_id",))
>>> with_index = backend.evaluate(query, [index])
>>> round(with_index.cost, 1), [str(i) for i in with_index.used]  # 20 rows, 20 random heap pages
(84.4, ['orders(customer_id)'])
>>> covering = IndexSpec("orders", ("customer_id",), include=("total",))
>>> backend.evaluate(query, [index, covering]).plan["relations"][0]["access"]
'Index Only Scan'
>>> round(backend.size(index) / 2**20, 1)  # MB: 1M entries of (8 + 16) bytes at fill factor 0.9
25.4
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse, QueryGraph, Relation
from sqltune.indexes.candidates import expression_of
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.whatif import Evaluation
from sqltune.schema import Schema, Table, fold

__all__ = ["CostModelBackend", "CostSettings"]

#: Selectivity defaults of PostgreSQL's planner (``selfuncs.h``) and the ones this model adds.
DEFAULT_EQ_SEL = 0.005
DEFAULT_INEQ_SEL = 1 / 3
DEFAULT_RANGE_INEQ_SEL = 0.005
DEFAULT_MATCH_SEL = 0.005
LIKE_PREFIX_SEL = 0.05
#: An ``IN (subquery)`` is costed as a list of this many values.
IN_SUBQUERY_VALUES = 10
#: Heap pages of a table without statistics (PostgreSQL's guess for a never-analysed table).
DEFAULT_PAGES = 10
#: Tuple width when the schema knows no column of the table.
DEFAULT_TUPLE_WIDTH = 100
#: Width of a variable-width value of unknown size (PostgreSQL's ``get_typavgwidth`` default).
DEFAULT_VALUE_WIDTH = 32
HEAP_TUPLE_OVERHEAD = 28  # tuple header (23, aligned to 24) + line pointer (4)
INDEX_TUPLE_OVERHEAD = 16  # index tuple header (8) + line pointer (4), aligned
PAGE_HEADER = 24

_TYPE_WIDTHS = {
    "BOOLEAN": 1,
    "SMALLINT": 2,
    "INT": 4,
    "INTEGER": 4,
    "BIGINT": 8,
    "FLOAT": 4,
    "REAL": 4,
    "DOUBLE": 8,
    "DATE": 4,
    "TIME": 8,
    "TIMESTAMP": 8,
    "TIMESTAMPTZ": 8,
    "UUID": 16,
    "DECIMAL": 8,
    "NUMERIC": 8,
    "MONEY": 8,
}
_SIZED_TYPES = {"CHAR", "VARCHAR", "NCHAR", "NVARCHAR"}
_PARTIAL_EQUALITY = re.compile(r"^\(*\s*\"?(?P<column>[\w$]+)\"?\s*=\s*(?P<value>.+?)\s*\)*$", re.DOTALL)
_PARTIAL_NOT_NULL = re.compile(r"^\(*\s*\"?(?P<column>[\w$]+)\"?\s+is\s+not\s+null\s*\)*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CostSettings:
    """Planner cost constants, PostgreSQL's defaults unless told otherwise."""

    seq_page_cost: float = 1.0
    random_page_cost: float = 4.0
    cpu_tuple_cost: float = 0.01
    cpu_index_tuple_cost: float = 0.005
    cpu_operator_cost: float = 0.0025
    page_size: int = 8192
    fill_factor: float = 0.9
    brin_pages_per_range: int = 128


def _key(text: str) -> str:
    """Match key of a column name or an index expression: folded, without quotes or white space."""
    return re.sub(r"\s+|\"", "", fold(text)).lower()


def _pages_fetched(pages: float, tuples: float) -> float:
    """Distinct pages touched when fetching ``tuples`` random tuples from ``pages`` (Mackert and Lohman)."""
    if pages <= 0 or tuples <= 0:
        return 0.0
    return float(math.ceil(min(pages, 2 * pages * tuples / (2 * pages + tuples))))


def _same_table(name: str, key: str) -> bool:
    """``orders`` and ``public.orders`` are the same table when one of them is unqualified."""
    a, b = fold(name), key
    if a == b:
        return True
    if "." not in a or "." not in b:
        return a.rsplit(".", 1)[-1] == b.rsplit(".", 1)[-1]
    return False


@dataclass(slots=True)
class _Relation:
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
class _Query:
    relations: list[_Relation]
    single: bool  # one base relation in the whole statement: ORDER BY / LIMIT apply to its scan
    limit: float | None = None  # LIMIT k of a query that streams rows (no aggregate, GROUP BY, DISTINCT, window)
    sorted: bool = False  # the statement has an ORDER BY


@dataclass(frozen=True, slots=True)
class _Path:
    cost: float
    access: str
    index: IndexSpec | None = None
    existing: bool = False  # the index exists in the schema (it is not one of those being evaluated)

    def sort_key(self) -> tuple[float, int, str]:
        """Cheapest first; on a tie no index, then an existing index, then the evaluated one sorting first."""
        rank = 0 if self.index is None else 1 if self.existing else 2
        return (self.cost, rank, str(self.index or ""))

    def scaled(self, factor: float, access: str | None = None) -> _Path:
        return _Path(self.cost * factor, access or self.access, self.index, self.existing)


@dataclass(slots=True)
class _Predicate:
    column: str
    kind: str  # "eq", "range", "other"
    selectivity: float
    group: int | None  # id of the OR it sits under


class CostModelBackend:
    """:class:`~sqltune.indexes.whatif.WhatIfBackend` from schema statistics (see the module documentation)."""

    label = "cost-model"
    estimated = True

    def __init__(self, schema: Schema | None = None, settings: CostSettings | None = None) -> None:
        self.schema = schema or Schema()
        self.settings = settings or CostSettings()
        self._queries: dict[str, tuple[QueryGraph, _Query]] = {}
        self._sizes: dict[IndexSpec, float] = {}

    # -- the protocol ---------------------------------------------------------------------------------
    def evaluate(self, query: WorkloadQuery, indexes: Sequence[IndexSpec]) -> Evaluation:
        facts = self._facts(query)
        specs = sorted(set(indexes), key=str)
        by_id = {relation.id: relation for relation in facts.relations}
        placed: set[str] = set()
        total = self.settings.cpu_tuple_cost  # the result node
        used: set[IndexSpec] = set()
        plan: list[dict[str, Any]] = []
        order = sorted(facts.relations, key=lambda r: (r.out_rows, r.position))
        for relation in order:
            usable = [*relation.existing, *(spec for spec in specs if _same_table(spec.table, relation.key))]
            neighbours = [by_id[n] for n in relation.joins if n in placed]
            if neighbours:
                outer = min(neighbours, key=lambda r: (r.out_rows, r.position))
                path = self._joined(relation, outer, usable)
            else:
                path = self._scan(relation, usable, facts)
            placed.add(relation.id)
            total += path.cost
            if path.index is not None and not path.existing:
                used.add(path.index)
            plan.append(
                {
                    "relation": relation.alias,
                    "table": relation.key,
                    "access": path.access,
                    "index": str(path.index) if path.index else None,
                    "existing_index": path.existing,
                    "cost": path.cost,
                    "rows": relation.out_rows,
                }
            )
        return Evaluation(total, frozenset(used), {"estimated": True, "backend": self.label, "relations": plan})

    def size(self, index: IndexSpec) -> float:
        """Bytes: B-tree ``entries * (key and INCLUDE widths + 16) / 0.9``; BRIN a few pages."""
        size = self._sizes.get(index)
        if size is None:
            size = self._sizes[index] = self._estimate_size(index)
        return size

    def _estimate_size(self, index: IndexSpec) -> float:
        s = self.settings
        table = self.schema.table(index.table)
        rows, pages = self._table_size(table)
        if index.method.lower() == "brin":
            ranges = math.ceil(pages / s.brin_pages_per_range)
            entry = 2 * sum(self._width(table, c) for c in index.columns) + INDEX_TUPLE_OVERHEAD
            per_page = max(1, (s.page_size - PAGE_HEADER) // entry)
            return float((2 + math.ceil(ranges / per_page)) * s.page_size)
        entries = rows * self._predicate_fraction(table, rows, index.where)
        width = sum(self._width(table, c) for c in (*index.columns, *index.include)) + INDEX_TUPLE_OVERHEAD
        size = entries * width / s.fill_factor
        return float(max(2, math.ceil(size / s.page_size)) * s.page_size)

    # -- paths ----------------------------------------------------------------------------------------
    def _paths(self, relation: _Relation, indexes: Sequence[IndexSpec]) -> tuple[list[_Path], list[_Path]]:
        """Every way to read the relation on its own (sequential scan first), and those that return rows in
        its ORDER BY order."""
        s = self.settings
        per_row = s.cpu_tuple_cost + relation.filters * s.cpu_operator_cost
        paths = [_Path(relation.pages * s.seq_page_cost + relation.rows * per_row, "Seq Scan")]
        ordered: list[_Path] = []
        for index in indexes:
            found = self._index_path(relation, index, relation.eq, relation.range)
            if found is not None:
                path, in_order = found
                if index in relation.existing:
                    path = _Path(path.cost, path.access, index, existing=True)
                paths.append(path)
                if in_order:
                    ordered.append(path)
        return paths, ordered

    def _scan(self, relation: _Relation, indexes: Sequence[IndexSpec], facts: _Query) -> _Path:
        """The cheapest way to read the relation on its own, with ORDER BY / LIMIT when it is alone."""
        paths, ordered = self._paths(relation, indexes)
        best = min(paths, key=_Path.sort_key)
        if not facts.single:
            return best
        rows = relation.out_rows
        fraction = min(1.0, facts.limit / rows) if facts.limit is not None else 1.0
        if not facts.sorted:
            return min((p.scaled(fraction) for p in paths), key=_Path.sort_key)
        sort_rows = min(2 * facts.limit, rows) if facts.limit is not None else rows
        sort = 2 * self.settings.cpu_operator_cost * rows * math.log2(max(sort_rows, 2.0))
        options = [_Path(best.cost + sort, best.access + " + Sort", best.index, best.existing)]
        options += [p.scaled(fraction, p.access + " (ordered)") for p in ordered]
        return min(options, key=_Path.sort_key)

    def _joined(self, relation: _Relation, outer: _Relation, indexes: Sequence[IndexSpec]) -> _Path:
        """The relation as the inner side of a join with ``outer``: hash join, or nested loop over an index."""
        s = self.settings
        access = min(self._paths(relation, indexes)[0], key=_Path.sort_key)
        build = (s.cpu_operator_cost + s.cpu_tuple_cost) * relation.out_rows + s.cpu_operator_cost * outer.out_rows
        options = [_Path(access.cost + build, f"Hash Join ({access.access})", access.index, access.existing)]
        keys = relation.joins.get(outer.id, [])
        eq = dict(relation.eq)
        for key in keys:
            eq[key] = self._equality(relation.table, relation.rows, key, None)
        for index in indexes:
            found = self._index_path(relation, index, eq, relation.range, loops=outer.out_rows, required=keys)
            if found is not None:
                access_name = f"Nested Loop ({found[0].access})"
                options.append(_Path(found[0].cost, access_name, index, index in relation.existing))
        return min(options, key=_Path.sort_key)

    def _index_path(
        self,
        relation: _Relation,
        index: IndexSpec,
        eq: Mapping[str, float],
        ranges: Mapping[str, float],
        *,
        loops: float = 1.0,
        required: Sequence[str] = (),
    ) -> tuple[_Path, bool] | None:
        """The index's path and whether it returns rows in ORDER BY order; None when it cannot help."""
        method = index.method.lower()
        if method == "brin":
            return None if loops > 1 or required else self._brin_path(relation, index, eq, ranges)
        if method not in ("btree", "hash"):
            return None  # GIN, GiST, ... serve operators this model does not read
        predicate = self._partial(relation, index.where, eq, ranges)
        if predicate is None:
            return None
        predicate_column, predicate_fraction = predicate
        columns = [_key(c) for c in index.columns]
        matched, fraction = 0, 1.0
        for column in columns:
            if column == predicate_column and column not in ranges:
                matched += 1  # implied by the partial predicate, already counted in predicate_fraction
                continue
            if column in eq:
                fraction *= eq[column]
                matched += 1
                continue
            if column in ranges:
                fraction *= ranges[column]
                matched += 1
            break
        if method == "hash" and (len(columns) != 1 or columns[0] not in eq):
            return None
        if required and not set(required) & set(columns[:matched]):
            return None  # a nested loop needs the index to search by a join column
        covering = (
            method == "btree"
            and not relation.reads_all
            and relation.read <= set(columns) | {_key(c) for c in index.include}
        )
        in_order = method == "btree" and bool(relation.order) and _provides_order(columns, eq, relation.order)
        if not (matched or predicate_column or covering or in_order):
            return None
        return self._btree_cost(relation, index, matched, fraction, predicate_fraction, covering, loops), in_order

    def _btree_cost(
        self,
        relation: _Relation,
        index: IndexSpec,
        matched: int,
        fraction: float,
        predicate_fraction: float,
        covering: bool,
        loops: float,
    ) -> _Path:
        s = self.settings
        entries = max(1.0, relation.rows * predicate_fraction)
        index_pages = self.size(index) / s.page_size
        tuples = max(1.0, entries * fraction)  # per probe
        leaf_pages = max(1.0, math.ceil(fraction * index_pages))
        descent = s.cpu_operator_cost * math.ceil(math.log2(max(entries, 2.0)))
        cpu = loops * (descent + tuples * (s.cpu_index_tuple_cost + matched * s.cpu_operator_cost))
        residual = max(0, relation.filters - matched)
        cpu += loops * tuples * (s.cpu_tuple_cost + residual * s.cpu_operator_cost)
        if loops > 1:
            index_io = s.random_page_cost * _pages_fetched(index_pages, loops * leaf_pages)
        else:
            index_io = s.random_page_cost * leaf_pages
        if covering:
            heap_io = 0.0
        elif loops > 1:
            heap_io = s.random_page_cost * _pages_fetched(relation.pages, loops * tuples)
        else:
            max_io = s.random_page_cost * _pages_fetched(relation.pages, tuples)
            correlated_pages = math.ceil(predicate_fraction * fraction * relation.pages)
            min_io = s.random_page_cost + max(0, correlated_pages - 1) * s.seq_page_cost
            correlation = self._correlation(relation.table, index.columns[0])
            heap_io = max_io + correlation**2 * (min_io - max_io)
        access = "Index Only Scan" if covering else "Index Scan"
        return _Path(cpu + index_io + heap_io, access, index)

    def _brin_path(
        self, relation: _Relation, index: IndexSpec, eq: Mapping[str, float], ranges: Mapping[str, float]
    ) -> tuple[_Path, bool] | None:
        s = self.settings
        leading = _key(index.columns[0])
        fraction = eq.get(leading, ranges.get(leading))
        if fraction is None or index.where:
            return None
        correlation = abs(self._correlation(relation.table, index.columns[0]))
        total_ranges = max(1, math.ceil(relation.pages / s.brin_pages_per_range))
        minimal = math.ceil(total_ranges * fraction)
        estimated = total_ranges if correlation <= 0 else min(total_ranges, minimal / correlation)
        heap_pages = min(relation.pages, estimated * s.brin_pages_per_range)
        per_page = s.random_page_cost - (s.random_page_cost - s.seq_page_cost) * math.sqrt(heap_pages / relation.pages)
        index_cost = self.size(index) / s.page_size * s.seq_page_cost + total_ranges * s.cpu_operator_cost
        rechecked = relation.rows * heap_pages / relation.pages
        cpu = rechecked * (s.cpu_tuple_cost + relation.filters * s.cpu_operator_cost)
        return _Path(index_cost + heap_pages * per_page + cpu, "Bitmap Heap Scan (BRIN)", index), False

    def _partial(
        self, relation: _Relation, where: str | None, eq: Mapping[str, float], ranges: Mapping[str, float]
    ) -> tuple[str, float] | None:
        """For a partial index: the predicate's column and the fraction of rows it keeps, when the query
        implies the predicate; ``("", 1.0)`` for a full index; None when the query cannot use it."""
        if not where:
            return "", 1.0
        equality = _PARTIAL_EQUALITY.match(where.strip())
        if equality is not None:
            column = _key(equality.group("column"))
            wanted = _constant_text(equality.group("value"))
            given = relation.constants.get(column)
            if given is None or _constant_text(given) != wanted:
                return None
            return column, eq.get(column, 1.0)
        not_null = _PARTIAL_NOT_NULL.match(where.strip())
        if not_null is not None:
            column = _key(not_null.group("column"))
            if column not in eq and column not in ranges:
                return None
            return "", self._predicate_fraction(relation.table, relation.rows, where)
        return None

    # -- statistics -----------------------------------------------------------------------------------
    def _table_size(self, table: Table | None) -> tuple[float, float]:
        """Rows and heap pages (see the module documentation)."""
        s = self.settings
        width = sum(self._width(table, c) for c in table.columns) if table and table.columns else DEFAULT_TUPLE_WIDTH
        per_page = max(1, (s.page_size - PAGE_HEADER) // int(width + HEAP_TUPLE_OVERHEAD))
        stats = table.stats if table is not None else None
        rows = stats.rows if stats is not None else None
        pages = stats.pages if stats is not None else None
        if not pages and stats is not None and stats.size_bytes:
            pages = stats.size_bytes / s.page_size
        if rows is None:
            pages = pages or DEFAULT_PAGES
            rows = pages * per_page
        if not pages:
            pages = math.ceil(rows / per_page)
        return max(1.0, float(rows)), max(1.0, float(pages))

    def _width(self, table: Table | None, column: str) -> float:
        col = table.column(column) if table is not None else None
        if col is None and table is not None:
            # An expression: the width of the first column it mentions.
            for name in re.findall(r"[A-Za-z_][\w$]*", column):
                col = table.column(name)
                if col is not None:
                    break
        if col is None:
            return DEFAULT_VALUE_WIDTH
        if col.stats is not None and col.stats.avg_width:
            return col.stats.avg_width
        base, _, size = col.type.partition("(")
        base = base.strip().upper()
        if base in _TYPE_WIDTHS:
            return _TYPE_WIDTHS[base]
        if base in _SIZED_TYPES and size.rstrip(")").strip().isdigit():
            return min(int(size.rstrip(")").strip()), DEFAULT_VALUE_WIDTH)
        return DEFAULT_VALUE_WIDTH

    @staticmethod
    def _correlation(table: Table | None, column: str) -> float:
        col = table.column(column) if table is not None else None
        if col is None or col.stats is None or col.stats.correlation is None:
            return 0.0
        return max(-1.0, min(1.0, col.stats.correlation))

    @staticmethod
    def _equality(table: Table | None, rows: float, column: str, constant: str | None) -> float:
        """Selectivity of ``column = constant`` (``constant`` None: a parameter or another column)."""
        if table is not None and table.is_unique([column]):
            return 1.0 / rows
        col = table.column(column) if table is not None else None
        stats = col.stats if col is not None else None
        if stats is None or not stats.distinct:
            return DEFAULT_EQ_SEL
        null = stats.null_fraction or 0.0
        if stats.most_common and stats.most_common_freqs:
            if constant is not None:
                for value, frequency in zip(stats.most_common, stats.most_common_freqs, strict=False):
                    if str(value) == constant:
                        return frequency
            others = stats.distinct - len(stats.most_common)
            if others >= 1:
                return max(0.0, 1.0 - sum(stats.most_common_freqs) - null) / others
        return max(0.0, 1.0 - null) / stats.distinct

    def _null_fraction(self, table: Table | None, column: str) -> float:
        col = table.column(column) if table is not None else None
        if col is not None and table is not None and table.is_not_null(column):
            return 0.0
        if col is None or col.stats is None or col.stats.null_fraction is None:
            return DEFAULT_EQ_SEL
        return col.stats.null_fraction

    def _predicate_fraction(self, table: Table | None, rows: float, where: str | None) -> float:
        """Fraction of the rows a partial index's predicate keeps (1 when it cannot be read)."""
        if not where:
            return 1.0
        equality = _PARTIAL_EQUALITY.match(where.strip())
        if equality is not None:
            return self._equality(table, rows, equality.group("column"), _constant_text(equality.group("value")))
        not_null = _PARTIAL_NOT_NULL.match(where.strip())
        if not_null is not None:
            return 1.0 - self._null_fraction(table, not_null.group("column"))
        return 1.0

    # -- reading the query ----------------------------------------------------------------------------
    def _facts(self, query: WorkloadQuery) -> _Query:
        cached = self._queries.get(query.id)
        if cached is not None and cached[0] is query.graph:
            return cached[1]
        facts = self._read(query.graph)
        self._queries[query.id] = (query.graph, facts)
        return facts

    def _read(self, graph: QueryGraph) -> _Query:
        relations: dict[str, _Relation] = {}
        for position, relation in enumerate(graph.relations.values()):
            if relation.kind != "table" or relation.join_kind == "target":
                continue  # an INSERT's target is written, not read
            key = fold(relation.table.qualified_name if relation.table else relation.name)
            table = self.schema.table(key) or relation.table
            rows, pages = self._table_size(table)
            found = _Relation(relation.id, position, key, relation.alias or relation.name, table, rows, pages)
            found.reads_all = relation is graph.target or _selects_star(graph, relation)
            found.existing = _existing(table, key)
            relations[relation.id] = found
        by_node = {id(use.node): use for use in graph.uses}
        predicates: dict[str, list[_Predicate]] = {}
        for use in graph.uses:
            reader = relations.get(use.column.relation or "")
            if reader is None:
                continue
            column = _key(use.column.column)
            reader.read.add(column)
            if use.role is ColumnRole.JOIN_KEY:
                other = by_node.get(id(use.value)) if use.value is not None else None
                if other is not None and other.column.relation not in (None, reader.id):
                    keys = reader.joins.setdefault(str(other.column.relation), [])
                    if column not in keys:
                        keys.append(column)
                continue
            if use.role.is_filter and use.clause in ("where", "on"):
                predicates.setdefault(reader.id, []).append(self._predicate(reader, use, column))
        for relation_id, filters in predicates.items():
            _combine(relations[relation_id], filters)
        facts = _Query(list(relations.values()), single=len(relations) == 1)
        statement = graph.statement
        if facts.single and isinstance(statement, exp.Select):
            only = facts.relations[0]
            only.order = _order_by(graph, only.id)
            facts.sorted = bool(statement.args.get("order"))
            facts.limit = _limit(statement) if _streams(statement) else None
        return facts

    def _predicate(self, relation: _Relation, use: ColumnUse, column: str) -> _Predicate:
        """One filter on the relation: what it keeps, and whether (and how) an index can search it."""
        group, negated = _context(use.node)
        predicate = use.predicate
        if not use.sargable:
            expression = _expression(use)
            if isinstance(predicate, exp.EQ):
                found = _Predicate(expression or column, "eq" if expression else "other", DEFAULT_EQ_SEL, group)
            elif isinstance(predicate, exp.GT | exp.GTE | exp.LT | exp.LTE) and expression:
                found = _Predicate(expression, "range", DEFAULT_INEQ_SEL, group)
            else:
                found = _Predicate(column, "other", DEFAULT_INEQ_SEL, group)
        else:
            found = self._sargable(relation, use, column, group)
        if negated:
            found = _Predicate(found.column, "other", 1.0 - found.selectivity, group)
        if use.role is ColumnRole.EQUALITY and isinstance(use.value, exp.Literal) and not negated and group is None:
            relation.constants[column] = use.value.sql(dialect="postgres")
        return found

    def _sargable(self, relation: _Relation, use: ColumnUse, column: str, group: int | None) -> _Predicate:
        table, rows = relation.table, relation.rows
        role = use.role
        if role is ColumnRole.EQUALITY:
            constant = use.value.name if isinstance(use.value, exp.Literal) else None
            return _Predicate(column, "eq", self._equality(table, rows, column, constant), group)
        if role is ColumnRole.IN_LIST:
            predicate = use.predicate
            values = len(predicate.expressions) if isinstance(predicate, exp.In) and predicate.expressions else 0
            count = values or IN_SUBQUERY_VALUES
            return _Predicate(column, "eq", min(1.0, count * self._equality(table, rows, column, None)), group)
        if role is ColumnRole.IS_NULL:
            return _Predicate(column, "eq", self._null_fraction(table, column), group)
        if role is ColumnRole.RANGE:
            between = isinstance(use.predicate, exp.Between)
            return _Predicate(column, "range", DEFAULT_RANGE_INEQ_SEL if between else DEFAULT_INEQ_SEL, group)
        if role is ColumnRole.LIKE_PREFIX:
            return _Predicate(column, "range", LIKE_PREFIX_SEL, group)
        if role is ColumnRole.LIKE_WILDCARD:
            return _Predicate(column, "other", DEFAULT_MATCH_SEL, group)
        if isinstance(use.predicate, exp.EQ):
            return _Predicate(column, "other", DEFAULT_EQ_SEL, group)
        if isinstance(use.predicate, exp.NEQ):
            return _Predicate(column, "other", 1.0 - self._equality(table, rows, column, None), group)
        return _Predicate(column, "other", DEFAULT_INEQ_SEL, group)


def _combine(relation: _Relation, predicates: Iterable[_Predicate]) -> None:
    """Fold a relation's predicates into per-column index conditions and its overall selectivity."""
    equalities: dict[str, list[float]] = {}
    ranges: dict[str, list[float]] = {}
    groups: dict[int, float] = {}
    others = 1.0
    count = 0
    for predicate in predicates:
        count += 1
        if predicate.group is not None:
            groups[predicate.group] = groups.get(predicate.group, 0.0) + predicate.selectivity
        elif predicate.kind == "eq":
            equalities.setdefault(predicate.column, []).append(predicate.selectivity)
        elif predicate.kind == "range":
            ranges.setdefault(predicate.column, []).append(predicate.selectivity)
        else:
            others *= predicate.selectivity
    selectivity = others
    for group in groups.values():
        selectivity *= min(1.0, group)
    for column in sorted({*equalities, *ranges}):
        bounds = ranges.get(column, [])
        bounded = math.prod(bounds)
        if len(bounds) > 1:
            bounded = min(bounded, DEFAULT_RANGE_INEQ_SEL)  # both ends of a range: PostgreSQL's default
        combined = math.prod(equalities.get(column, [])) * bounded
        selectivity *= combined
        if column in equalities:
            relation.eq[column] = combined
        else:
            relation.range[column] = combined
    relation.filters = count
    relation.selectivity = max(0.0, min(1.0, selectivity))


def _context(node: exp.Expression) -> tuple[int | None, bool]:
    """The outermost OR the predicate sits under (by identity) and whether a NOT negates it."""
    group: int | None = None
    negated = False
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Where | exp.Join | exp.Query | exp.Having):
        if isinstance(parent, exp.Or):
            group = id(parent)
        elif isinstance(parent, exp.Not):
            negated = not negated
        parent = parent.parent
    return group, negated


def _expression(use: ColumnUse) -> str | None:
    """The key of the one-column function a non-sargable comparison applies (``lower(email)``), which an
    expression index on the same function can search."""
    expression = expression_of(use)
    return _key(expression) if expression is not None else None


def _constant_text(sql: str) -> str:
    """``'open'::text`` -> ``open``: a constant as its bare text, for comparing predicates and MCVs."""
    text = re.sub(r"::[\w\s]+$", "", sql.strip())
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return text


def _selects_star(graph: QueryGraph, relation: Relation) -> bool:
    node = graph.scopes[relation.scope].node if relation.scope in graph.scopes else None
    if not isinstance(node, exp.Select):
        return False
    for projection in node.expressions:
        if isinstance(projection, exp.Star):
            return True
        star = isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        if star and fold(projection.table) in (fold(relation.alias), fold(relation.name)):
            return True
    return False


def _existing(table: Table | None, key: str) -> list[IndexSpec]:
    """The schema's valid indexes (declared, and those keys build) as specs the paths can use."""
    if table is None:
        return []
    return [
        IndexSpec(
            key, tuple(index.columns), tuple(index.include), index.where or None, (index.method or "btree").lower()
        )
        for index in table.effective_indexes()
        if index.valid and index.columns
    ]


def _streams(select: exp.Select) -> bool:
    """True when the SELECT can stop after LIMIT rows: no aggregate, GROUP BY, DISTINCT or window to finish."""
    if select.args.get("group") or select.args.get("distinct") or select.args.get("having"):
        return False
    return not any(node.find(exp.AggFunc, exp.Window) for node in select.expressions)


def _limit(statement: exp.Expression) -> float | None:
    """Rows the query needs from its scan: ``LIMIT k`` plus any ``OFFSET``; None without a constant LIMIT."""
    limit = _count(statement.args.get("limit"))
    if limit is None:
        return None
    return limit + (_count(statement.args.get("offset")) or 0.0)


def _count(clause: exp.Expression | None) -> float | None:
    value = clause.expression if isinstance(clause, exp.Limit | exp.Offset) else None
    if isinstance(value, exp.Literal) and not value.is_string and value.name.isdigit():
        return float(value.name)
    return None


def _order_by(graph: QueryGraph, relation_id: str) -> tuple[str, ...]:
    """The ORDER BY columns, when they are plain columns of the relation sorted in one direction."""
    order = graph.statement.args.get("order")
    if not isinstance(order, exp.Order) or not order.expressions:
        return ()
    uses = {id(use.node): use for use in graph.uses if use.role is ColumnRole.ORDER_BY}
    columns: list[str] = []
    directions = set()
    for item in order.expressions:
        node = item.this if isinstance(item, exp.Ordered) else item
        use = uses.get(id(node))
        if use is None or use.column.relation != relation_id:
            return ()
        directions.add(bool(item.args.get("desc")) if isinstance(item, exp.Ordered) else False)
        columns.append(_key(use.column.column))
    return tuple(columns) if len(directions) == 1 else ()


def _provides_order(columns: Sequence[str], eq: Mapping[str, float], order: Sequence[str]) -> bool:
    """True when the index key, after leading columns fixed by equality, starts with the ORDER BY columns."""
    rest = list(columns)
    while rest and rest[0] in eq and rest[0] not in order:
        rest.pop(0)
    return tuple(rest[: len(order)]) == tuple(order)
