"""RW017 redundant-order-by: drop an ORDER BY whose order nothing can observe.

A query's rows have an order only where its *outermost* ORDER BY gives one. An ORDER BY without LIMIT or
OFFSET inside an ``IN`` or ``EXISTS`` subquery or a scalar subquery is never observable; the engine may
still sort. In a derived table or CTE it is unobservable in SQL's semantics, but clients sometimes rely on
an engine passing the order through, so the removal is APPLIED only when the consuming query orders its own
result, or groups or aggregates it without an order-sensitive aggregate (``array_agg``, ``string_agg``...)
or window function; otherwise it is advice.

Nor is the order of a query that returns at most one row observable, LIMIT or not: an aggregate without
GROUP BY, or every table pinned to one row by a unique key equal to constants or parameters (``WHERE
workspace_id = $1 AND number = $2 ORDER BY id DESC LIMIT 1`` with ``UNIQUE (workspace_id, number)``; see
:func:`sqltune.rewrites._keys.at_most_one_row`). Under ``EXISTS`` a LIMIT without OFFSET keeps a row
whenever there is one, whichever rows the order would have picked, so that ORDER BY goes too.

>>> from sqltune.rewrites.base import show
>>> show(redundant_order_by, "SELECT id FROM t WHERE id IN (SELECT t_id FROM u ORDER BY t_id)")
APPLIED: SELECT id FROM t WHERE id IN (SELECT t_id FROM u)
>>> ddl = "CREATE TABLE t (id int PRIMARY KEY, w int NOT NULL, n int NOT NULL, k int, UNIQUE (w, n))"
>>> show(redundant_order_by, "SELECT * FROM t WHERE w = 1 AND n = $1 ORDER BY id DESC LIMIT 1", ddl)
APPLIED: SELECT * FROM t WHERE w = 1 AND n = $1 LIMIT 1
>>> show(redundant_order_by, "SELECT * FROM t WHERE w = 1 ORDER BY id DESC LIMIT 1", ddl)
unchanged
>>> show(redundant_order_by, "SELECT k, count(*) FROM (SELECT k FROM t ORDER BY k) AS s GROUP BY k")
APPLIED: SELECT k, COUNT(*) FROM (SELECT k FROM t) AS s GROUP BY k
>>> show(redundant_order_by, "SELECT * FROM (SELECT k FROM t ORDER BY k) AS s")
ADVISED: SELECT * FROM (SELECT k FROM t) AS s
  if: nothing relies on the rows leaving the subquery in its order (SQL guarantees no order without
      an ORDER BY in the outer query)
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, has_window
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import Scope, cte_bodies, function_name, own_nodes
from sqltune.rewrites._keys import at_most_one_row, keeps_a_row
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "redundant_order_by"]

#: Aggregates whose result depends on the order of their input rows when they have no ORDER BY of their own.
ORDER_SENSITIVE = frozenset(
    {
        "array_agg",
        "string_agg",
        "json_agg",
        "jsonb_agg",
        "group_concat",
        "listagg",
        "xmlagg",
        "arrayagg",
        "first",
        "last",
        "first_value",
        "last_value",
        "any_value",
        "json_object_agg",
        "jsonb_object_agg",
        "groupconcat",
        "stringagg",
        "jsonagg",
        "arrayconcatagg",
        "list",
    }
)

RATIONALE = "the ORDER BY has no LIMIT and its order cannot reach the result, but the engine may still sort"
ONE_ROW = (
    "the query returns at most one row (a unique key is pinned to constants, or it aggregates without GROUP BY), "
    "so there is nothing to sort"
)
EXISTS_LIMIT = "EXISTS only asks whether a row exists: a LIMIT without OFFSET keeps one in any order"
CONDITION = (
    "nothing relies on the rows leaving the subquery in its order (SQL guarantees no order without an ORDER BY "
    "in the outer query)"
)


def _limited(query: exp.Expression) -> bool:
    return any(query.args.get(key) for key in ("limit", "offset", "fetch"))


def _order_insensitive(consumer: exp.Select) -> bool:
    """The consumer's result does not depend on the order its input rows arrive in."""
    if _limited(consumer) or any(has_window(p) for p in consumer.expressions):
        return False
    for node in own_nodes(consumer, exp.Func):
        if function_name(node).replace("_", "") in {n.replace("_", "") for n in ORDER_SENSITIVE}:
            return False
        if isinstance(node, exp.ArrayAgg | exp.GroupConcat):
            return False
    if consumer.args.get("order"):
        return True
    return bool(consumer.args.get("group")) or any(aggregates_rows(p) for p in consumer.expressions)


def _consumers(query: exp.Expression) -> list[exp.Select] | None:
    """The SELECTs reading ``query`` as a derived table or CTE; ``None`` when it stands elsewhere."""
    parent = query.parent
    if isinstance(parent, exp.Subquery) and isinstance(parent.parent, exp.From | exp.Join):
        select = parent.parent.parent
        return [select] if isinstance(select, exp.Select) else None
    if isinstance(parent, exp.CTE):
        name = fold(parent.alias)
        found: list[exp.Select] = []
        for table in query.root().find_all(exp.Table):
            if not table.args.get("db") and fold(table.name) == name and cte_bodies(table).get(name) is parent:
                select = table.parent.parent if isinstance(table.parent, exp.From | exp.Join) else None
                if not isinstance(select, exp.Select):
                    return None
                found.append(select)
        return found
    return None


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for query in tree.find_all(exp.Select, exp.Union):
        if not query.args.get("order"):
            continue
        if isinstance(query, exp.Select) and at_most_one_row(query, Scope(query, schema)):
            sites.append(Site(_drop(query), ONE_ROW))
            continue
        if isinstance(query.parent, exp.Exists) and query.args.get("limit") and keeps_a_row(query):
            sites.append(Site(_drop(query), EXISTS_LIMIT))
            continue
        if _limited(query) or query.parent is None:
            continue
        parent = query.parent
        if isinstance(parent, exp.Exists) or (
            isinstance(parent, exp.Subquery)
            and not parent.alias
            and not isinstance(parent.parent, exp.From | exp.Join | exp.Union)
        ):
            sites.append(Site(_drop(query), RATIONALE))  # IN, EXISTS and scalar subqueries
            continue
        consumers = _consumers(query)
        if consumers is None:
            continue
        conditions = () if consumers and all(_order_insensitive(c) for c in consumers) else (CONDITION,)
        sites.append(Site(_drop(query), RATIONALE, conditions))
    return sites


def _drop(query: exp.Expression) -> Callable[[], None]:
    def apply() -> None:
        query.set("order", None)

    return apply


def redundant_order_by(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one ORDER BY whose order is not observable: in a subquery, derived table or CTE without LIMIT,
    under EXISTS, or over at most one row."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW017",
    "redundant-order-by",
    "ORDER BY that cannot be observed (in subqueries, under EXISTS, over at most one row) is dropped",
    redundant_order_by,
)
