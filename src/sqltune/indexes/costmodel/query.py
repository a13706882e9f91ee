"""Costing a whole query: join order, the inner side of each join, ORDER BY and LIMIT.

- :func:`cost_query`: places the relations, costs each one's access, and returns the total, the evaluated
  indexes the plan uses and one plan row per relation;
- :func:`scan`: the cheapest way to read a relation on its own, with the statement's ORDER BY and LIMIT
  when it is the only relation;
- :func:`joined`: a relation as the inner side of a join, by hash join or by nested loop over an index.

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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqltune.indexes.costmodel.access import AccessPath, index_path, relation_paths
from sqltune.indexes.costmodel.facts import QueryFacts, RelationFacts
from sqltune.indexes.costmodel.selectivity import equality
from sqltune.indexes.costmodel.settings import CostContext
from sqltune.indexes.model import IndexSpec
from sqltune.schema import fold

__all__ = ["cost_query", "joined", "scan"]


def cost_query(
    ctx: CostContext, facts: QueryFacts, indexes: Sequence[IndexSpec]
) -> tuple[float, frozenset[IndexSpec], list[dict[str, Any]]]:
    """The query's total cost, the evaluated indexes its plan uses, and the plan's rows, one per relation."""
    specs = sorted(set(indexes), key=str)
    by_id = {relation.id: relation for relation in facts.relations}
    placed: set[str] = set()
    total = ctx.settings.cpu_tuple_cost  # the result node
    used: set[IndexSpec] = set()
    plan: list[dict[str, Any]] = []
    order = sorted(facts.relations, key=lambda r: (r.out_rows, r.position))
    for relation in order:
        usable = [*relation.existing, *(spec for spec in specs if _same_table(spec.table, relation.key))]
        neighbours = [by_id[n] for n in relation.joins if n in placed]
        if neighbours:
            outer = min(neighbours, key=lambda r: (r.out_rows, r.position))
            path = joined(ctx, relation, outer, usable)
        else:
            path = scan(ctx, relation, usable, facts)
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
    return total, frozenset(used), plan


def scan(ctx: CostContext, relation: RelationFacts, indexes: Sequence[IndexSpec], facts: QueryFacts) -> AccessPath:
    """The cheapest way to read the relation on its own, with ORDER BY / LIMIT when it is alone."""
    paths, ordered = relation_paths(ctx, relation, indexes)
    best = min(paths, key=AccessPath.sort_key)
    if not facts.single:
        return best
    rows = relation.out_rows
    fraction = min(1.0, facts.limit / rows) if facts.limit is not None else 1.0
    if not facts.sorted:
        return min((p.scaled(fraction) for p in paths), key=AccessPath.sort_key)
    sort_rows = min(2 * facts.limit, rows) if facts.limit is not None else rows
    sort = 2 * ctx.settings.cpu_operator_cost * rows * math.log2(max(sort_rows, 2.0))
    options = [AccessPath(best.cost + sort, best.access + " + Sort", best.index, best.existing)]
    options += [p.scaled(fraction, p.access + " (ordered)") for p in ordered]
    return min(options, key=AccessPath.sort_key)


def joined(ctx: CostContext, relation: RelationFacts, outer: RelationFacts, indexes: Sequence[IndexSpec]) -> AccessPath:
    """The relation as the inner side of a join with ``outer``: hash join, or nested loop over an index."""
    s = ctx.settings
    access = min(relation_paths(ctx, relation, indexes)[0], key=AccessPath.sort_key)
    build = (s.cpu_operator_cost + s.cpu_tuple_cost) * relation.out_rows + s.cpu_operator_cost * outer.out_rows
    options = [AccessPath(access.cost + build, f"Hash Join ({access.access})", access.index, access.existing)]
    keys = relation.joins.get(outer.id, [])
    eq = dict(relation.eq)
    for key in keys:
        eq[key] = equality(relation.table, relation.rows, key, None)
    for index in indexes:
        found = index_path(ctx, relation, index, eq, relation.range, loops=outer.out_rows, required=keys)
        if found is not None:
            access_name = f"Nested Loop ({found[0].access})"
            options.append(AccessPath(found[0].cost, access_name, index, index in relation.existing))
    return min(options, key=AccessPath.sort_key)


def _same_table(name: str, key: str) -> bool:
    """``orders`` and ``public.orders`` are the same table when one of them is unqualified."""
    a, b = fold(name), key
    if a == b:
        return True
    if "." not in a or "." not in b:
        return a.rsplit(".", 1)[-1] == b.rsplit(".", 1)[-1]
    return False
