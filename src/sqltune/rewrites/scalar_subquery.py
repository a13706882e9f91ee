"""RW003 scalar-subquery-to-join: a correlated aggregate subquery becomes a LEFT JOIN to a grouped table.

``(SELECT sum(l.x) FROM l WHERE l.o_id = o.id)`` runs once per outer row (a SubPlan in PostgreSQL). Grouping
the inner table once by the correlation key and LEFT JOINing it reads it once. The outer row with no match
gets NULL from the join -- which is what SUM, MIN, MAX, AVG return over no rows -- but COUNT over no rows
is 0, not NULL (the classic "COUNT bug" of decorrelation), so a COUNT is wrapped in ``COALESCE(..., 0)``.
This covers the SELECT list and WHERE positions other than an operand of a top-level comparison (``IS
NULL``, under OR), where the LEFT JOIN stands in for the subquery's value; a top-level WHERE comparison is
RW018's (decorrelate-aggregate-comparison), which can join inner. The analysis and the grouped table are
shared with it (:mod:`sqltune.rewrites._decorrelate`): correlation only by equalities whose sides the schema
proves of one type, else advised.

>>> from sqltune.rewrites.base import show
>>> show(scalar_subquery_to_join,
...      "SELECT o.id, (SELECT count(*) FROM l WHERE l.o_id = o.id) AS n FROM o",
...      "CREATE TABLE l (o_id int, x int); CREATE TABLE o (id int)")
APPLIED: SELECT o.id, COALESCE(l_agg.agg, 0) AS n FROM o LEFT JOIN (SELECT l.o_id AS key1, COUNT(*)
    AS agg FROM l GROUP BY l.o_id) AS l_agg ON l_agg.key1 = o.id
"""

from __future__ import annotations

from sqltune.core.predicates import aggregates_rows
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import enclosing_select
from sqltune.rewrites._decorrelate import attach, correlated_aggregate, grouped_join, join_style, where_comparison
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "scalar_subquery_to_join"]

RATIONALE = (
    "the correlated subquery runs once per outer row; aggregating the inner table once, grouped by the "
    "correlation key, and LEFT JOINing the result reads it once (COUNT keeps its 0 for rows without a match)"
)


def _clause(node: exp.Expression, outer: exp.Select) -> str:
    """The argument of ``outer`` that holds ``node`` (``expressions``, ``where``...)."""
    while node.parent is not outer and node.parent is not None:
        node = node.parent
    return str(node.arg_key)


def _site(subquery: exp.Subquery, schema: Schema) -> Site | None:
    if isinstance(subquery.parent, exp.In | exp.Exists | exp.From | exp.Join) or subquery.alias:
        return None
    if where_comparison(subquery) is not None:
        return None  # RW018's
    outer = enclosing_select(subquery)
    if outer is None or _clause(subquery, outer) not in {"expressions", "where"}:
        return None
    if outer.args.get("group") or any(aggregates_rows(p) for p in outer.expressions):
        return None  # the joined value would be neither grouped nor aggregated
    style = join_style(outer, outer_join=True)
    found = correlated_aggregate(subquery, outer, schema) if style is not None else None
    if style is None or found is None:
        return None

    def apply() -> None:
        joined = grouped_join(found, outer_join=True)
        subquery.replace(joined.value)
        attach(outer, joined, style, outer_join=True)

    return Site(apply, RATIONALE, found.conditions)


def scalar_subquery_to_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Decorrelate one scalar aggregate subquery correlated by equalities into a LEFT JOIN of a grouped table."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    return [site for subquery in tree.find_all(exp.Subquery) if (site := _site(subquery, schema)) is not None]


REWRITE = Rewrite(
    "RW003",
    "scalar-subquery-to-join",
    "a correlated aggregate subquery becomes a LEFT JOIN to the table grouped once",
    scalar_subquery_to_join,
)
