"""RW018 decorrelate-aggregate-comparison: ``x < (SELECT agg(...) FROM t WHERE t.k = o.k)`` joins t grouped by k.

The shape of TPC-H Q17 and TPC-DS Q1, Q30, Q81, Q32 and Q92. PostgreSQL and MySQL run such a subquery once
per outer row that reaches the filter (a SubPlan), each run reading the inner table again: TPC-H Q17 takes
minutes at scale factor 1. ``(SELECT t.k AS key1, agg(...) AS agg FROM t WHERE ... GROUP BY t.k)`` computes
the aggregate for every key in one pass, and the comparison reads its column instead. The grouped table is
unique per key, so joining it never repeats an outer row (nor multiplies duplicates), and it is correct for
every aggregate:

- AVG, SUM, MIN and MAX over no rows are NULL, and ``x <op> NULL`` drops the row -- as an inner join drops
  the row that finds no group. So the grouped table is joined inner: ``JOIN ... ON key1 = o.k``, or, when
  the outer FROM lists tables with commas (a JOIN there would bind to the last of them only), one more
  comma item with ``key1 = o.k`` in WHERE. Arithmetic around the aggregate (``0.2 * avg(x)``) or around the
  subquery (``2 * (SELECT ...)``) keeps the NULL.
- COUNT over no rows is 0, which the comparison may keep: the table is LEFT JOINed and the count read as
  ``COALESCE(agg, 0)`` (other expressions that are not NULL over no rows as ``CASE WHEN key1 IS NULL THEN
  <value over no rows> ELSE agg END``); comma-listed tables become CROSS JOINs first, when every join of
  the FROM is inner.
- A NULL key, outer or inner, matches no row in the subquery (``t.k = NULL``) and none in the join.

The subquery may have several correlation equalities ``inner column = outer expression`` (grouped by all
of them), read a CTE that the outer query reads too (``ctr2.k = ctr1.k``), join tables of its own (they stay
inside the grouped table with its other, uncorrelated conditions), use unqualified columns (the schema says
whose they are: in Q17 the inner ``lineitem`` shadows the outer one, and ``p_partkey`` is the outer
``part``'s), and stand on either side of ``=``, ``<>``, ``<``, ``<=``, ``>`` or ``>=``.

APPLIED when the schema proves each key's two sides of one type (grouping must put together exactly the
rows ``t.k = o.k`` matches; a CTE column is followed to what it projects) and the subquery calls no volatile
function; otherwise ADVISED with that condition. Left alone: correlation other than by equality (or through
a query further out), an outer column in the aggregate or a join's ON, GROUP BY, HAVING, DISTINCT, LIMIT, a
WITH or a nested query inside the subquery, an aggregate other than COUNT/SUM/AVG/MIN/MAX or a window, a
comparison that is not a top-level conjunct of WHERE (under OR or NOT the dropped row is not the same;
RW003 joins those with LEFT JOIN), ``SELECT *`` in the outer query (it would grow a column), and a COUNT
over a FROM with outer joins mixed with commas.

>>> from sqltune.rewrites.base import show
>>> ddl = ("CREATE TABLE part (p_partkey bigint PRIMARY KEY, p_brand text); "
...        "CREATE TABLE lineitem (l_partkey bigint, l_quantity numeric, l_extendedprice numeric)")
>>> show(decorrelate_aggregate_comparison, "SELECT sum(l_extendedprice) FROM lineitem, part WHERE p_partkey = "
...      "l_partkey AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)", ddl)
APPLIED: SELECT SUM(l_extendedprice) FROM lineitem, part, (SELECT lineitem.l_partkey AS key1, 0.2 *
    AVG(l_quantity) AS agg FROM lineitem GROUP BY lineitem.l_partkey) AS lineitem_agg WHERE
    p_partkey = l_partkey AND lineitem_agg.key1 = part.p_partkey AND l_quantity < lineitem_agg.agg
>>> show(decorrelate_aggregate_comparison, "SELECT p.p_partkey FROM part AS p WHERE "
...      "(SELECT count(*) FROM lineitem AS l WHERE l.l_partkey = p.p_partkey) < 3", ddl)
APPLIED: SELECT p.p_partkey FROM part AS p LEFT JOIN (SELECT l.l_partkey AS key1, COUNT(*) AS agg
    FROM lineitem AS l GROUP BY l.l_partkey) AS lineitem_agg ON lineitem_agg.key1 = p.p_partkey
    WHERE COALESCE(lineitem_agg.agg, 0) < 3
>>> show(decorrelate_aggregate_comparison, "SELECT a.id FROM archive AS a WHERE a.qty > "
...      "(SELECT max(l.l_quantity) FROM lineitem AS l WHERE l.l_partkey = a.partkey)", ddl)
ADVISED: SELECT a.id FROM archive AS a JOIN (SELECT l.l_partkey AS key1, MAX(l.l_quantity) AS agg
    FROM lineitem AS l GROUP BY l.l_partkey) AS lineitem_agg ON lineitem_agg.key1 = a.partkey WHERE
    a.qty > lineitem_agg.agg
  if: l.l_partkey and a.partkey are of one type (grouping by l.l_partkey must put together exactly
      the rows l.l_partkey = a.partkey matches)
"""

from __future__ import annotations

from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import conjoin, enclosing_select
from sqltune.rewrites._decorrelate import attach, correlated_aggregate, grouped_join, join_style, where_comparison
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "decorrelate_aggregate_comparison"]

RATIONALE = (
    "the correlated subquery runs once per outer row that reaches the comparison; the table grouped by the "
    "correlation key computes the aggregate for every key in one pass, and joining it (one row per key) "
    "compares each outer row with its key's value"
)


def _site(subquery: exp.Subquery, schema: Schema) -> Site | None:
    comparison = where_comparison(subquery)
    outer = enclosing_select(comparison) if comparison is not None else None
    if comparison is None or outer is None:
        return None
    found = correlated_aggregate(subquery, outer, schema)
    if found is None:
        return None
    outer_join = not found.null_when_empty  # COUNT's 0 must survive a missing group
    style = join_style(outer, outer_join)
    if style is None:
        return None

    def apply() -> None:
        joined = grouped_join(found, outer_join)
        subquery.replace(joined.value)
        in_where = attach(outer, joined, style, outer_join)
        if in_where is not None:
            comparison.replace(conjoin([in_where, comparison.copy()]))

    return Site(apply, RATIONALE, found.conditions)


def decorrelate_aggregate_comparison(
    expression: exp.Expression, schema: Schema, dialect: str | None
) -> RewriteOutcome | None:
    """Join one WHERE comparison's correlated aggregate subquery as a table grouped by its correlation keys."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    return [site for subquery in tree.find_all(exp.Subquery) if (site := _site(subquery, schema)) is not None]


REWRITE = Rewrite(
    "RW018",
    "decorrelate-aggregate-comparison",
    "a WHERE comparison with a correlated aggregate subquery joins the table grouped once by the key",
    decorrelate_aggregate_comparison,
)
