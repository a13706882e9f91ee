"""RW001 not-in-to-not-exists: ``x NOT IN (SELECT y ...)`` becomes ``NOT EXISTS (... WHERE y = x)``.

``NOT IN`` over a subquery is NULL-aware: one NULL ``y`` makes it NULL for every row without a match, and a
NULL ``x`` is NULL whenever the subquery returns a row. Planners therefore cannot turn it into an anti-join
(PostgreSQL runs a SubPlan, re-scanned or hashed in memory), while ``NOT EXISTS`` is a plain anti-join. The
two agree exactly when neither side can be NULL, so the change is APPLIED only when the schema (NOT NULL
columns of tables not on the nullable side of an outer join, through derived tables and CTEs) or a filter
(``IS NOT NULL``, a comparison, ``LIKE``, ``IN``, ``BETWEEN``) proves it: the predicate toolkit's NOT-NULL proof
(:func:`sqltune.graph.predicates.can_be_null`), the one SQ004 uses, so SQ004 is silent exactly when the
subquery's side is proven here.

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE t (id int PRIMARY KEY, x int); CREATE TABLE u (t_id int NOT NULL, y int)"
>>> show(not_in_to_not_exists, "SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u)", ddl)
APPLIED: SELECT id FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.t_id = t.id)
>>> show(not_in_to_not_exists, "SELECT id FROM t WHERE x NOT IN (SELECT y FROM u)", ddl)
ADVISED: SELECT id FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.y = t.x)
  if: t.x is never NULL (NOT IN is NULL for a NULL x when the subquery returns rows; NOT EXISTS
      keeps the row)
  if: u.y is never NULL in the subquery's rows (one NULL makes NOT IN NULL for every row without a
      match)
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph
from sqltune.graph.predicates import proven_not_null, query_can_be_null
from sqltune.rewrites._analysis import (
    Scope,
    conjoin,
    enclosing_select,
    is_deterministic,
    movable_outer,
    plain_subquery,
    qualify,
    set_where,
)
from sqltune.rewrites._subquery_join import positional
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.rewrites.conditions import Condition, column_not_null
from sqltune.schema import Schema

__all__ = ["REWRITE", "not_in_to_not_exists"]

RATIONALE = (
    "NOT IN over a subquery is NULL-aware, so planners cannot run it as an anti-join (PostgreSQL re-scans or "
    "hashes the subquery per row); NOT EXISTS with the correlated equality is a plain anti-join that can use "
    "an index on the subquery's column"
)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    graph: QueryGraph | None = None  # built once, for the first NOT IN found
    for negation in tree.find_all(exp.Not, exp.NEQ):
        found = _not_in(negation)
        if found is not None:
            graph = graph or QueryGraph.build(tree, schema)
            site = _site(negation, *found, schema, graph)
            if site is not None:
                sites.append(site)
    return sites


def _not_in(node: exp.Expression) -> tuple[exp.Expression, exp.Subquery] | None:
    """(x, subquery) of ``x NOT IN (subquery)`` or of ``x <> ALL (subquery)`` (its synonym, which sqlglot
    produces for some dialects), else ``None``."""
    if isinstance(node, exp.Not):
        in_ = strip_parens(node.this)
        if isinstance(in_, exp.In) and isinstance(in_.args.get("query"), exp.Subquery):
            return in_.this, in_.args["query"]
        return None
    quantified = node.expression
    if isinstance(quantified, exp.All) and isinstance(quantified.this, exp.Query | exp.Subquery):
        query = quantified.this
        return node.this, query if isinstance(query, exp.Subquery) else exp.Subquery(this=query)
    return None


def _site(
    negation: exp.Expression, value: exp.Expression, subquery: exp.Subquery, schema: Schema, graph: QueryGraph
) -> Site | None:
    outer = enclosing_select(negation)
    sub = plain_subquery(subquery)
    if outer is None or sub is None or len(sub.expressions) != 1 or isinstance(value, exp.Tuple):
        return None
    projected = sub.expressions[0].unalias()
    if aggregates_rows(projected) or has_window(projected) or not is_deterministic(projected):
        return None
    outer_scope, sub_scope = Scope(outer, schema), Scope(sub, schema)
    moved = movable_outer(value, outer_scope, sub_scope)
    if moved is None or (positional(moved) and positional(sub)):
        return None  # x would follow the subquery's own ? parameters, which bind by position
    where = outer.args.get("where")
    top_level = isinstance(where, exp.Where) and any(c is negation for c in conjuncts(where.this))
    inner = projected.copy()
    for item in sub_scope.items:
        qualify(inner, item)
    conditions: list[str] = []
    checks: list[Condition] = []
    # The outer SELECT's filters guard x only when the NOT IN is one of its WHERE conjuncts.
    if not proven_not_null(graph, value, filtered=top_level):
        conditions.append(
            f"{shown(moved)} is never NULL (NOT IN is NULL for a NULL x when the subquery returns rows; "
            "NOT EXISTS keeps the row)"
        )
        checks += column_not_null(conditions[-1], value, outer_scope)
    if query_can_be_null(graph, subquery) is not False:
        conditions.append(
            f"{shown(inner)} is never NULL in the subquery's rows (one NULL makes NOT IN NULL for every row "
            "without a match)"
        )
        checks += column_not_null(conditions[-1], projected, sub_scope)
    return Site(_replace(negation, sub, inner, moved), RATIONALE, tuple(conditions), checks=tuple(checks))


def _replace(
    negation: exp.Expression, sub: exp.Select, inner: exp.Expression, moved: exp.Expression
) -> Callable[[], None]:
    def apply() -> None:
        body = sub.copy()
        body.set("distinct", None)
        body.set("expressions", [exp.Literal.number(1)])
        where = body.args.get("where")
        existing = conjuncts(where.this) if isinstance(where, exp.Where) else []
        set_where(body, conjoin([*existing, exp.EQ(this=inner, expression=moved)]))
        negation.replace(exp.Not(this=exp.Exists(this=body)))

    return apply


def not_in_to_not_exists(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one ``x NOT IN (SELECT y ...)`` into ``NOT EXISTS``; APPLIED when x and y are proven NOT NULL."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW001", "not-in-to-not-exists", "NOT IN (subquery) becomes an anti-join NOT EXISTS", not_in_to_not_exists
)
