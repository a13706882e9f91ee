"""RW019 redundant-group-by: drop a GROUP BY whose every group is a single row.

``GROUP BY t.id, t.name`` (Rails' ``.group(:id)``, Django's ``.values(...).annotate(...)`` on the key)
sorts or hashes the rows only to find groups of one when the GROUP BY holds a NOT NULL unique key of the
first table and every joined table is joined to-one or has its own key in the GROUP BY (the proof RW010
uses for DISTINCT, :func:`sqltune.rewrites._keys.unique_on`). A UNIQUE key over a nullable column does not
count: all its NULL rows fall into one group.

Without the GROUP BY the query must read the same: so it is dropped only when no aggregate remains --
``MIN(x)`` and ``MAX(x)`` of one row are ``x`` and are replaced (in the SELECT list only when aliased, as
the output name would change), while ``COUNT``, ``SUM``, ``AVG`` and the rest are left alone (their types
and values over one row differ from the bare column). HAVING becomes a WHERE condition. Not with ROLLUP,
CUBE or GROUPING SETS.

This is a rewrite of its own rather than part of RW010: it removes a different clause and has to rewrite
the aggregates and HAVING that read the groups.

>>> from sqltune.rewrites.base import show
>>> ddl = '''CREATE TABLE c (id int PRIMARY KEY, name text, email text UNIQUE);
...          CREATE TABLE o (id int PRIMARY KEY, c_id int NOT NULL REFERENCES c (id), total int)'''
>>> show(redundant_group_by, "SELECT o.id, c.name FROM o JOIN c ON c.id = o.c_id GROUP BY o.id, c.name", ddl)
APPLIED: SELECT o.id, c.name FROM o JOIN c ON c.id = o.c_id
>>> show(redundant_group_by, "SELECT id, MAX(total) AS top FROM o GROUP BY id HAVING MAX(total) > 10", ddl)
APPLIED: SELECT id, total AS top FROM o WHERE total > 10
>>> show(redundant_group_by, "SELECT id, COUNT(*) FROM o GROUP BY id", ddl)
unchanged
>>> show(redundant_group_by, "SELECT email FROM c GROUP BY email", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import (
    AGGREGATE_WRAPPERS,
    conjuncts,
    is_aggregate_function,
    is_grouping_aggregate,
    own_nodes,
    strip_parens,
)
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import Scope, conjoin, set_where
from sqltune.rewrites._keys import grouping_sets, unique_on
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "redundant_group_by"]

RATIONALE = (
    "the GROUP BY holds a NOT NULL unique key and every join is to-one, so every group is a single row: the "
    "grouping only adds a sort or hash"
)


def _group_columns(select: exp.Select, group: exp.Group) -> list[exp.Expression]:
    """The GROUP BY expressions, positions (``GROUP BY 1``) read as the SELECT list items they name."""
    found: list[exp.Expression] = []
    for expression in group.expressions:
        node = strip_parens(expression)
        if isinstance(node, exp.Literal) and node.is_int and 1 <= int(node.this) <= len(select.expressions):
            node = strip_parens(select.expressions[int(node.this) - 1].unalias())
        found.append(node)
    return found


def _replaceable(select: exp.Select) -> list[exp.Expression] | None:
    """The MIN/MAX calls to replace by their argument; ``None`` when another aggregate reads the groups."""
    calls: list[exp.Expression] = []
    unaliased = {id(p) for p in select.expressions if not isinstance(p, exp.Alias)}
    for node in own_nodes(select):
        if not is_aggregate_function(node) or not is_grouping_aggregate(node):
            continue  # a window function sees the same rows either way
        if not isinstance(node, exp.Min | exp.Max) or isinstance(node.parent, AGGREGATE_WRAPPERS):
            return None
        ancestor: exp.Expression = node
        while ancestor.parent is not None and ancestor.parent is not select:
            ancestor = ancestor.parent
        if id(ancestor) in unaliased:
            return None  # an unaliased SELECT list item: its output name would change
        calls.append(node)
    return calls


def _having_movable(select: exp.Select, scope: Scope) -> bool:
    """HAVING reads no SELECT list alias (MySQL allows that; WHERE cannot see them)."""
    having = select.args.get("having")
    if not isinstance(having, exp.Having):
        return True
    aliases = {fold(p.alias) for p in select.expressions if isinstance(p, exp.Alias)}
    return not any(
        isinstance(column, exp.Column)
        and not column.table
        and (fold(column.name) in aliases or scope.resolve(column) is None)
        for column in own_nodes(having)
    )


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for select in tree.find_all(exp.Select):
        group = select.args.get("group")
        if not isinstance(group, exp.Group) or not group.expressions or grouping_sets(select):
            continue
        scope = Scope(select, schema)
        if not scope.complete or not unique_on(scope, _group_columns(select, group)):
            continue
        calls = _replaceable(select)
        if calls is not None and _having_movable(select, scope):
            sites.append(Site(_ungroup(select, calls), RATIONALE))
    return sites


def _ungroup(select: exp.Select, calls: list[exp.Expression]) -> Callable[[], None]:
    def apply() -> None:
        for call in calls:
            argument = call.this.expressions[0] if isinstance(call.this, exp.Distinct) else call.this
            alias = call.parent
            call.replace(argument)
            if (
                isinstance(alias, exp.Alias)
                and isinstance(argument, exp.Column)
                and alias.args.get("alias") == argument.this
            ):
                alias.replace(argument)  # MAX(total) AS total: the column itself has that name
        select.set("group", None)
        having = select.args.get("having")
        if isinstance(having, exp.Having):
            where = select.args.get("where")
            existing = conjuncts(where.this) if isinstance(where, exp.Where) else []
            set_where(select, conjoin([*existing, *conjuncts(having.this)]))
            select.set("having", None)

    return apply


def redundant_group_by(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Remove one GROUP BY whose groups are single rows by key."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW019", "redundant-group-by", "GROUP BY on a unique key, whose groups are single rows", redundant_group_by
)
