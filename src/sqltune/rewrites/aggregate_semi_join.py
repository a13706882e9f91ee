"""RW024 semi-join-to-distinct-aggregate: an IN / EXISTS under aggregates that ignore repeated rows becomes
a JOIN, ``COUNT(t.id)`` becoming ``COUNT(DISTINCT t.id)``.

``SELECT COUNT(threads.id) FROM threads WHERE id IN (SELECT thread_id FROM replies WHERE ...)``: RW002 cannot
join ``replies`` (a thread has many replies, so a join repeats threads), but the repeats change no aggregate
that ignores them. A JOIN is then exact when every aggregate of the query is, or is made, insensitive to
repeated rows: ``MIN``, ``MAX`` and ``COUNT(DISTINCT ...)`` as they are; ``COUNT(col)`` as ``COUNT(DISTINCT
col)`` when ``col`` is unique in the query's only table (then the original rows never repeat a value);
``COUNT(*)`` as ``COUNT(DISTINCT key)`` for a single-column NOT NULL unique key. A GROUP BY without
aggregates needs nothing. ``SUM``, ``AVG`` and the other aggregates count every repeat, so a query with one
is left alone, as is one with a window function. The join lets the planner start from the subquery's table
(few replies by one author) and reach the outer rows by their key.

>>> from sqltune.rewrites.base import show
>>> ddl = ("CREATE TABLE threads (id int PRIMARY KEY, forum_id int); "
...        "CREATE TABLE replies (id int PRIMARY KEY, thread_id int NOT NULL, author_id int)")
>>> show(semi_join_to_distinct_aggregate, "SELECT COUNT(threads.id) FROM threads WHERE id IN "
...      "(SELECT thread_id FROM replies WHERE author_id = 7)", ddl)
APPLIED: SELECT COUNT(DISTINCT threads.id) FROM threads JOIN replies ON replies.thread_id =
    threads.id AND replies.author_id = 7
>>> show(semi_join_to_distinct_aggregate, "SELECT forum_id, COUNT(*), MAX(threads.id) FROM threads WHERE "
...      "EXISTS (SELECT 1 FROM replies WHERE replies.thread_id = threads.id) GROUP BY forum_id", ddl)
APPLIED: SELECT forum_id, COUNT(DISTINCT threads.id), MAX(threads.id) FROM threads JOIN replies ON
    replies.thread_id = threads.id GROUP BY forum_id
>>> show(semi_join_to_distinct_aggregate, "SELECT SUM(forum_id) FROM threads WHERE id IN "
...      "(SELECT thread_id FROM replies)", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, has_window, is_aggregate_function, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph.predicates import unique_not_null_keys
from sqltune.rewrites._analysis import own_nodes
from sqltune.rewrites._subquery_join import Filter, join_site, membership_only, subquery_sites, top_level_conjunct
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema

__all__ = ["REWRITE", "semi_join_to_distinct_aggregate"]

RATIONALE = (
    "every aggregate of the query ignores repeated rows (MIN, MAX, COUNT(DISTINCT) of a unique column), so a "
    "JOIN that repeats an outer row per matching row gives the same result as the semi-join, and lets the "
    "planner start from the subquery's table"
)


def _site(found: Filter, dialect: str | None) -> Site | None:
    if found.unique(dialect) or membership_only(found.outer):
        return None  # RW002 joins these without touching the aggregates
    edit = _insensitive_aggregates(found)
    return join_site(found, RATIONALE, also=edit) if edit is not None else None


def _aggregate_filter(predicate: exp.Expression, outer: exp.Select) -> bool:
    return top_level_conjunct(predicate, outer) and _aggregated(outer)


def _aggregated(select: exp.Select) -> bool:
    return bool(select.args.get("group")) or any(aggregates_rows(p) for p in select.expressions)


def _insensitive_aggregates(found: Filter) -> Callable[[], None] | None:
    """The edit that makes every aggregate of the outer query ignore repeated rows, ``None`` if one cannot."""
    outer = found.outer
    nodes = list(own_nodes(outer, exp.Expression))
    if any(isinstance(node, exp.Window) for node in nodes) or any(has_window(p) for p in outer.expressions):
        return None
    edits: list[tuple[exp.Count, exp.Expression]] = []
    for node in nodes:
        if not is_aggregate_function(node) or isinstance(node, exp.Min | exp.Max):
            continue
        if not isinstance(node, exp.Count):
            return None  # SUM, AVG, string_agg... count every repeated row
        argument = node.this
        if isinstance(argument, exp.Distinct):
            continue
        counted = _distinct_key(found, argument)
        if counted is None:
            return None
        edits.append((node, counted))

    def apply() -> None:
        for count, counted in edits:
            count.set("this", exp.Distinct(expressions=[counted]))

    return apply


def _distinct_key(found: Filter, argument: exp.Expression | None) -> exp.Expression | None:
    """What ``COUNT(argument)`` counts distinctly with the same result: the argument itself when it is a
    column unique in the query's only table; for ``*``, a NOT NULL single-column key of that table."""
    items = found.outer_scope.items
    if len(items) != 1 or items[0].table is None:
        return None  # another table of the query could repeat the key's values already
    item = items[0]
    assert item.table is not None
    if isinstance(argument, exp.Star):
        keys = [key for key in unique_not_null_keys(item.table) if len(key) == 1]
        if not keys:
            return None
        column = item.table.column(keys[0][0])
        name = column.name if column is not None else keys[0][0]
        quoted = bool(item.identifier.quoted) or name != name.lower()  # as the query writes its names
        return exp.Column(this=exp.to_identifier(name, quoted=quoted), table=item.identifier)
    column = strip_parens(argument) if argument is not None else None
    if isinstance(column, exp.Column) and found.outer_scope.resolve(column) is item:
        return argument if item.table.is_unique([column.name]) else None
    return None


def semi_join_to_distinct_aggregate(
    expression: exp.Expression, schema: Schema, dialect: str | None
) -> RewriteOutcome | None:
    """Join one IN / EXISTS subquery of an aggregate query whose aggregates ignore repeated rows."""
    return best_site(
        REWRITE.id,
        expression,
        lambda tree: subquery_sites(tree, schema, _aggregate_filter, lambda found: _site(found, dialect)),
    )


REWRITE = Rewrite(
    "RW024",
    "semi-join-to-distinct-aggregate",
    "IN / EXISTS under MIN, MAX, COUNT(DISTINCT) becomes a JOIN (COUNT(key) becomes COUNT(DISTINCT key))",
    semi_join_to_distinct_aggregate,
    # the join can start from the few matching rows, or multiply them before COUNT(DISTINCT) sorts them away
    # (0.82x on PostgreSQL at 100k rows, benchmarks/rewrite_appsql.py): --verify decides.
    data_dependent=True,
)
