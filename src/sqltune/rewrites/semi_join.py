"""RW002 semi-join-to-join: ``x IN (SELECT k FROM u ...)`` / ``EXISTS (... u.k = x ...)`` become a JOIN.

A semi-join returns each outer row once however many rows match; a join returns it once per match. The two
are the same when at most one row can match -- the subquery's matched columns, with the columns its filter
pins to one value (``team_id = 8``, a parameter, an outer column), include a unique key -- or when a repeated
outer row cannot be seen: the outer SELECT is itself the body of an IN or EXISTS (so a chain ``x IN (SELECT
a FROM t WHERE b IN (SELECT c FROM u ...))`` is flattened into one semi-join level). Then the
subquery joins the outer query, which frees the planner to start from the smaller side and use the key's
index, and engines that run subqueries per row stop doing so. Otherwise the advice joins the derived table
``(SELECT DISTINCT k FROM u ...)``, which returns the same rows; a subquery correlated otherwise than by
equalities is advised as a plain join, under the condition that the matched columns are unique. ``SELECT *``
becomes ``SELECT t.*`` of the outer tables, so that the joined table adds no columns.

>>> from sqltune.rewrites.base import show
>>> ddl = ("CREATE TABLE members (id int PRIMARY KEY, active boolean NOT NULL); CREATE TABLE team_members "
...        "(team_id int NOT NULL, member_id int NOT NULL, UNIQUE (team_id, member_id))")
>>> show(semi_join_to_join, "SELECT * FROM members WHERE active AND members.id IN "
...      "(SELECT member_id FROM team_members WHERE team_id = 8)", ddl)
APPLIED: SELECT members.* FROM members JOIN team_members ON team_members.member_id = members.id AND
    team_members.team_id = 8 WHERE active
>>> ddl = "CREATE TABLE o (id int PRIMARY KEY, c_id int); CREATE TABLE c (id int PRIMARY KEY, vip boolean)"
>>> show(semi_join_to_join, "SELECT o.id FROM o WHERE o.c_id IN (SELECT id FROM c WHERE vip)", ddl)
APPLIED: SELECT o.id FROM o JOIN c ON c.id = o.c_id AND c.vip
>>> show(semi_join_to_join, "SELECT id FROM o WHERE EXISTS (SELECT 1 FROM c WHERE c.id = o.c_id)", ddl)
APPLIED: SELECT o.id FROM o JOIN c ON c.id = o.c_id
>>> show(semi_join_to_join, "SELECT id FROM c WHERE id IN (SELECT c_id FROM o)", ddl)
ADVISED: SELECT id FROM c JOIN (SELECT DISTINCT c_id FROM o) AS o ON o.c_id = c.id
  if: de-duplicating the subquery's rows once costs less than the IN test per outer row (the rows
      are the same; a plain JOIN without DISTINCT needs (c_id) unique in o)
>>> show(semi_join_to_join, "SELECT id FROM o WHERE c_id IN (SELECT id FROM c WHERE id IN (SELECT c_id FROM o))", ddl)
APPLIED: SELECT id FROM o WHERE c_id IN (SELECT c.id FROM c JOIN o AS o_2 ON o_2.c_id = c.id)
"""

from __future__ import annotations

from sqltune.core.sqlglot import exp
from sqltune.rewrites._subquery_join import (
    Filter,
    join_site,
    joinable_from,
    membership_only,
    subquery_sites,
    top_level_conjunct,
)
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.conditions import benefit
from sqltune.schema import Schema

__all__ = ["REWRITE", "joinable_outer", "semi_join_to_join"]

RATIONALE = (
    "the subquery matches at most one row per outer row (its columns form a unique key), so a plain JOIN "
    "returns the same rows and leaves the planner free to choose join order and method"
)
REPEATS_IGNORED = (
    "the subquery is the body of an IN or EXISTS, which does not see how often a row repeats, so a plain JOIN "
    "returns the same result: the chain of semi-joins becomes one level"
)
DISTINCT_RATIONALE = (
    "joining the subquery's distinct values returns each outer row once, as the semi-join does, and lets the "
    "planner choose join order and method (engines that run the subquery per outer row stop doing so)"
)


def joinable_outer(outer: exp.Select) -> bool:
    """The outer SELECT can take one more JOIN at the end of its FROM clause without changing its meaning
    (and has no unqualified ``*``, which would take in the joined table's columns)."""
    return joinable_from(outer) and not any(isinstance(p, exp.Star) for p in outer.expressions)


def _site(found: Filter, dialect: str | None) -> Site | None:
    """A plain join where no outer row can be repeated, else the DISTINCT derived table, else (correlated
    otherwise than by equalities) a plain join under the uniqueness condition."""
    if membership_only(found.outer):
        return join_site(found, REPEATS_IGNORED)
    if found.unique(dialect):
        return join_site(found, RATIONALE)
    if found.distinct_form(dialect):
        condition = found.distinct_condition()  # the same rows either way: only the measured speed decides
        return join_site(found, DISTINCT_RATIONALE, (condition,), distinct=True, checks=(benefit(condition),))
    conditions = found.unique_conditions(dialect)
    return join_site(found, RATIONALE, conditions, checks=found.unique_checks(dialect))


def semi_join_to_join(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one IN / EXISTS subquery over a unique key into a JOIN (advice when the key is not unique)."""
    return best_site(
        REWRITE.id,
        expression,
        lambda tree: subquery_sites(tree, schema, top_level_conjunct, lambda found: _site(found, dialect)),
    )


REWRITE = Rewrite(
    "RW002",
    "semi-join-to-join",
    "IN / EXISTS over a unique key becomes a JOIN",
    semi_join_to_join,
    data_dependent=True,  # planners often run the semi-join as well as the join: only the data can tell
)
