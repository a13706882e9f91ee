"""Access paths: every way to read one base relation, and what each costs.

- :class:`AccessPath`: a cost, the access's name for the plan, and the index it uses (None for a
  sequential scan); :meth:`AccessPath.sort_key` breaks ties deterministically;
- :func:`relation_paths`: the sequential scan and every usable index path, and those that return rows in
  the relation's ORDER BY order;
- :func:`index_path`: one B-tree, hash or BRIN index's path (GIN, GiST... serve operators the model does not
  read), alone or probed ``loops`` times as the inner side of a nested loop;
- ``_btree_cost``, ``_brin_path``, ``_partial``, ``_provides_order``, ``_pages_fetched``: the formulas below.

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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqltune.indexes.costmodel.facts import RelationFacts
from sqltune.indexes.costmodel.selectivity import (
    PARTIAL_EQUALITY,
    PARTIAL_NOT_NULL,
    constant_text,
    key,
    predicate_fraction,
)
from sqltune.indexes.costmodel.settings import CostContext
from sqltune.indexes.costmodel.stats import correlation
from sqltune.indexes.model import IndexSpec

__all__ = ["AccessPath", "index_path", "relation_paths"]


@dataclass(frozen=True, slots=True)
class AccessPath:
    cost: float
    access: str
    index: IndexSpec | None = None
    existing: bool = False  # the index exists in the schema (it is not one of those being evaluated)

    def sort_key(self) -> tuple[float, int, str]:
        """Cheapest first; on a tie no index, then an existing index, then the evaluated one sorting first."""
        rank = 0 if self.index is None else 1 if self.existing else 2
        return (self.cost, rank, str(self.index or ""))

    def scaled(self, factor: float, access: str | None = None) -> AccessPath:
        return AccessPath(self.cost * factor, access or self.access, self.index, self.existing)


def relation_paths(
    ctx: CostContext, relation: RelationFacts, indexes: Sequence[IndexSpec]
) -> tuple[list[AccessPath], list[AccessPath]]:
    """Every way to read the relation on its own (sequential scan first), and those that return rows in
    its ORDER BY order."""
    s = ctx.settings
    per_row = s.cpu_tuple_cost + relation.filters * s.cpu_operator_cost
    paths = [AccessPath(relation.pages * s.seq_page_cost + relation.rows * per_row, "Seq Scan")]
    ordered: list[AccessPath] = []
    for index in indexes:
        found = index_path(ctx, relation, index, relation.eq, relation.range)
        if found is not None:
            path, in_order = found
            if index in relation.existing:
                path = AccessPath(path.cost, path.access, index, existing=True)
            paths.append(path)
            if in_order:
                ordered.append(path)
    return paths, ordered


def index_path(
    ctx: CostContext,
    relation: RelationFacts,
    index: IndexSpec,
    eq: Mapping[str, float],
    ranges: Mapping[str, float],
    *,
    loops: float = 1.0,
    required: Sequence[str] = (),
) -> tuple[AccessPath, bool] | None:
    """The index's path and whether it returns rows in ORDER BY order; None when it cannot help."""
    method = index.method.lower()
    if method == "brin":
        return None if loops > 1 or required else _brin_path(ctx, relation, index, eq, ranges)
    if method not in ("btree", "hash"):
        return None  # GIN, GiST, ... serve operators this model does not read
    predicate = _partial(relation, index.where, eq, ranges)
    if predicate is None:
        return None
    predicate_column, predicate_share = predicate
    columns = [key(c) for c in index.columns]
    matched, fraction = 0, 1.0
    for column in columns:
        if column == predicate_column and column not in ranges:
            matched += 1  # implied by the partial predicate, already counted in predicate_share
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
        method == "btree" and not relation.reads_all and relation.read <= set(columns) | {key(c) for c in index.include}
    )
    in_order = method == "btree" and bool(relation.order) and _provides_order(columns, eq, relation.order)
    if not (matched or predicate_column or covering or in_order):
        return None
    return _btree_cost(ctx, relation, index, matched, fraction, predicate_share, covering, loops), in_order


def _btree_cost(
    ctx: CostContext,
    relation: RelationFacts,
    index: IndexSpec,
    matched: int,
    fraction: float,
    predicate_share: float,
    covering: bool,
    loops: float,
) -> AccessPath:
    s = ctx.settings
    entries = max(1.0, relation.rows * predicate_share)
    index_pages = ctx.size(index) / s.page_size
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
        correlated_pages = math.ceil(predicate_share * fraction * relation.pages)
        min_io = s.random_page_cost + max(0, correlated_pages - 1) * s.seq_page_cost
        corr = correlation(relation.table, index.columns[0])
        heap_io = max_io + corr**2 * (min_io - max_io)
    access = "Index Only Scan" if covering else "Index Scan"
    return AccessPath(cpu + index_io + heap_io, access, index)


def _brin_path(
    ctx: CostContext, relation: RelationFacts, index: IndexSpec, eq: Mapping[str, float], ranges: Mapping[str, float]
) -> tuple[AccessPath, bool] | None:
    s = ctx.settings
    leading = key(index.columns[0])
    fraction = eq.get(leading, ranges.get(leading))
    if fraction is None or index.where:
        return None
    corr = abs(correlation(relation.table, index.columns[0]))
    total_ranges = max(1, math.ceil(relation.pages / s.brin_pages_per_range))
    minimal = math.ceil(total_ranges * fraction)
    estimated = total_ranges if corr <= 0 else min(total_ranges, minimal / corr)
    heap_pages = min(relation.pages, estimated * s.brin_pages_per_range)
    per_page = s.random_page_cost - (s.random_page_cost - s.seq_page_cost) * math.sqrt(heap_pages / relation.pages)
    index_cost = ctx.size(index) / s.page_size * s.seq_page_cost + total_ranges * s.cpu_operator_cost
    rechecked = relation.rows * heap_pages / relation.pages
    cpu = rechecked * (s.cpu_tuple_cost + relation.filters * s.cpu_operator_cost)
    return AccessPath(index_cost + heap_pages * per_page + cpu, "Bitmap Heap Scan (BRIN)", index), False


def _partial(
    relation: RelationFacts, where: str | None, eq: Mapping[str, float], ranges: Mapping[str, float]
) -> tuple[str, float] | None:
    """For a partial index: the predicate's column and the fraction of rows it keeps, when the query
    implies the predicate; ``("", 1.0)`` for a full index; None when the query cannot use it."""
    if not where:
        return "", 1.0
    equality = PARTIAL_EQUALITY.match(where.strip())
    if equality is not None:
        column = key(equality.group("column"))
        wanted = constant_text(equality.group("value"))
        given = relation.constants.get(column)
        if given is None or constant_text(given) != wanted:
            return None
        return column, eq.get(column, 1.0)
    not_null = PARTIAL_NOT_NULL.match(where.strip())
    if not_null is not None:
        column = key(not_null.group("column"))
        if column not in eq and column not in ranges:
            return None
        return "", predicate_fraction(relation.table, relation.rows, where)
    return None


def _provides_order(columns: Sequence[str], eq: Mapping[str, float], order: Sequence[str]) -> bool:
    """True when the index key, after leading columns fixed by equality, starts with the ORDER BY columns."""
    rest = list(columns)
    while rest and rest[0] in eq and rest[0] not in order:
        rest.pop(0)
    return tuple(rest[: len(order)]) == tuple(order)


def _pages_fetched(pages: float, tuples: float) -> float:
    """Distinct pages touched when fetching ``tuples`` random tuples from ``pages`` (Mackert and Lohman)."""
    if pages <= 0 or tuples <= 0:
        return 0.0
    return float(math.ceil(min(pages, 2 * pages * tuples / (2 * pages + tuples))))
