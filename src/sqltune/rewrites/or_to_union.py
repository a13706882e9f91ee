"""RW004 or-to-union-all: ``WHERE a = 1 OR b = 2`` becomes one UNION ALL branch per disjunct.

An OR across different columns defeats a single index scan: the planner reads the table once (or combines
bitmap scans, in PostgreSQL). One branch per disjunct lets each use its own column's index. To return each
row exactly once without a duplicate-removing UNION, every later branch excludes the rows an earlier one
returned with a *disjointness guard*::

    SELECT ... WHERE a = 1
    UNION ALL
    SELECT ... WHERE b = 2 AND (a = 1) IS NOT TRUE

``IS NOT TRUE`` (not ``NOT``) also keeps the rows where ``a = 1`` is NULL, which the OR returned via
``b = 2``. A row passes the OR exactly when some disjunct is TRUE, and then it passes exactly one branch:
the first one whose disjunct is TRUE. So the multiset of rows is the same whether or not the SELECT has a
unique key, and no unique key is needed; the rewrite is APPLIED for plain SELECTs (no aggregate, window,
GROUP BY, ORDER BY, LIMIT or volatile function, which the split would change) and ``SELECT DISTINCT``
becomes a plain UNION of the branches, which needs no guards.

>>> from sqltune.rewrites.base import show
>>> show(or_to_union_all, "SELECT id FROM t WHERE region = 'eu' AND (a = 1 OR b = 2)")
APPLIED: SELECT id FROM t WHERE region = 'eu' AND a = 1 UNION ALL SELECT id FROM t WHERE region =
    'eu' AND b = 2 AND (a = 1) IS NOT TRUE
>>> show(or_to_union_all, "SELECT id FROM t WHERE a = 1 OR a = 2")
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, conjuncts, disjuncts, has_window
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import NO_BOOLEANS, conjoin, is_deterministic, is_not_true, own_columns, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "or_to_union_all"]

RATIONALE = (
    "an OR across different columns keeps each column's index from serving the filter alone; one UNION ALL "
    "branch per disjunct can use each index, and the IS NOT TRUE guards return every row exactly once"
)

#: Splitting into more branches than this costs more in repeated joins than it saves.
MAX_BRANCHES = 4


def _columns(node: exp.Expression) -> frozenset[str]:
    return frozenset(fold(column.sql()) for column in own_columns(node) if not isinstance(column.parent, exp.Dot))


def _splittable(select: exp.Select) -> bool:
    if any(select.args.get(key) for key in ("group", "having", "order", "limit", "offset", "qualify", "with_", "into")):
        return False
    distinct = select.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and distinct.args.get("on"):
        return False
    if any(aggregates_rows(p) or has_window(p) for p in select.expressions) or not is_deterministic(select):
        return False
    parent = select.parent
    # The SELECT must stand where a UNION may: the statement itself or the body of a (subquery) or CTE.
    return parent is None or (isinstance(parent, exp.Subquery | exp.CTE | exp.Paren) and select.arg_key == "this")


def _reads_null_extended(branches: list[exp.Expression], select: exp.Select) -> bool:
    """Some branch reads a relation an outer join may fill with NULLs: a filter over a join's result, which
    no index of that relation can serve (and splitting would read the join twice)."""
    outer: set[str] = set()
    for join in select.args.get("joins") or ():
        side = (join.side or "").upper()
        if side in ("LEFT", "FULL"):
            outer.add(fold(join.this.alias_or_name))
        if side in ("RIGHT", "FULL"):
            return True  # the FROM side and earlier joins are null-extended: too much to follow
    return bool(outer) and any(
        fold(column.table) in outer for branch in branches for column in branch.find_all(exp.Column) if column.table
    )


def _sites(tree: exp.Expression, dialect: str | None) -> list[Site]:
    sites: list[Site] = []
    if (dialect or "").lower() in NO_BOOLEANS:
        return sites
    for select in tree.find_all(exp.Select):
        where = select.args.get("where")
        if not isinstance(where, exp.Where) or not _splittable(select):
            continue
        parts = conjuncts(where.this)
        for index, part in enumerate(parts):
            branches = disjuncts(part)
            if not 2 <= len(branches) <= MAX_BRANCHES or part.find(exp.Query, exp.Subquery) is not None:
                continue
            column_sets = {_columns(branch) for branch in branches}
            if len(column_sets) < 2 or frozenset() in column_sets:
                continue  # all on the same column: an index handles `a = 1 OR a = 2` (an IN list) already
            if _reads_null_extended(branches, select):
                continue  # `fk IS NULL OR j.id IS NOT NULL` over a LEFT JOIN (RW022's): no index serves a branch
            rest = parts[:index] + parts[index + 1 :]
            sites.append(Site(_split(select, rest, branches, dialect), RATIONALE))
            break
    return sites


def _split(
    select: exp.Select, rest: list[exp.Expression], branches: list[exp.Expression], dialect: str | None
) -> Callable[[], None]:
    def apply() -> None:
        distinct = isinstance(select.args.get("distinct"), exp.Distinct)
        queries: list[exp.Select] = []
        for position, branch in enumerate(branches):
            query = select.copy()
            query.set("distinct", None)
            guards: list[exp.Expression] = []
            if not distinct:
                guards = [is_not_true(earlier.copy(), dialect) for earlier in branches[:position]]
            set_where(query, conjoin([*(c.copy() for c in rest), _wrap(branch.copy()), *guards]))
            queries.append(query)
        union: exp.Expression = queries[0]
        for query in queries[1:]:
            union = exp.Union(this=union, expression=query, distinct=distinct)
        select.replace(union)

    return apply


def _wrap(node: exp.Expression) -> exp.Expression:
    return exp.Paren(this=node) if isinstance(node, exp.Or) else node


def or_to_union_all(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Split one SELECT on an OR across columns into UNION ALL branches with disjointness guards."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, dialect))


REWRITE = Rewrite(
    "RW004",
    "or-to-union-all",
    "an OR across columns becomes UNION ALL branches with guards",
    or_to_union_all,
    data_dependent=True,  # each branch reads the table again: faster only when each disjunct is selective
)
