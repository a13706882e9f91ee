"""The predicate toolkit, scope-aware half: NOT-NULL proofs over a QueryGraph and unique NOT NULL keys.

The syntax half (conjuncts, disjuncts, null rejection, aggregates) is :mod:`sqltune.core.predicates`; this
module answers the questions that need to know which relation a column reads. SQ004 (NOT IN over a nullable
subquery) and RW001 (NOT IN to NOT EXISTS) both ask :func:`can_be_null`, so the rule is silent exactly when
the rewrite is proven.

An expression is **proven NOT NULL** (:func:`can_be_null` returns False) when it is

- a literal other than NULL, a boolean, or a ``count(...)``;
- ``coalesce(...)`` with an argument proven NOT NULL;
- a column that a conjunct of its SELECT's WHERE rejects NULL in (:func:`sqltune.core.predicates.null_rejected`:
  ``IS NOT NULL``, a comparison, ``LIKE``, ``IN``, ``BETWEEN``, also through AND/OR), or the ON of an inner
  join that no later RIGHT or FULL join can undo;
- otherwise a column of a relation that no outer join null-extends (never the nullable side of a LEFT, RIGHT
  or FULL join) and that is either a base table column declared NOT NULL or in the primary key, or an output
  of a derived table or CTE whose defining expression is proven NOT NULL inside it (in every branch of a
  UNION).

It **can be NULL** (True) for a NULL literal, a column declared nullable or on the nullable side of an outer
join with no filter rejecting NULL; everything else is unknown (None). Callers treat unknown as "not proven".

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY, x int, y int NOT NULL)")
>>> tree = parse_one("SELECT id, x, y, d.v, coalesce(x, 0) FROM t "
...                  "LEFT JOIN (SELECT x AS v FROM t WHERE x > 0) d ON true")
>>> graph = QueryGraph.build(tree, schema)
>>> [can_be_null(graph, p) for p in tree.expressions]
[False, True, False, True, False]
>>> inner = tree.args["joins"][0].this.this
>>> can_be_null(graph, inner.expressions[0])
False
"""

from __future__ import annotations

from collections.abc import Iterable

from sqltune.core.predicates import conjuncts, null_rejected, set_branches, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph.model import ColumnUse
from sqltune.graph.query_graph import QueryGraph
from sqltune.schema import Table, fold

__all__ = ["can_be_null", "proven_not_null", "query_can_be_null", "unique_not_null", "unique_not_null_keys"]

#: How many derived tables / CTEs a proof follows inward (a recursive CTE refers to itself).
MAX_DEPTH = 16
_OUTER_SIDES = ("left", "right", "full")


def unique_not_null_keys(table: Table) -> list[tuple[str, ...]]:
    """The keys whose values identify one row: the primary key, then UNIQUE constraints and unique indexes
    (without a WHERE) whose columns are all NOT NULL. A UNIQUE key over a nullable column admits many NULL
    rows, so it is not one.

    >>> from sqltune.schema import Schema
    >>> ddl = "CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL UNIQUE, b int UNIQUE)"
    >>> unique_not_null_keys(Schema.from_ddl(ddl).table("t"))
    [('id',), ('a',)]
    """
    found: list[tuple[str, ...]] = []
    candidates = [table.primary_key, *table.unique_keys]
    candidates += [index.columns for index in table.indexes if index.unique and index.where is None]
    for key in candidates:
        columns = tuple(key)
        if columns and columns not in found and all(table.is_not_null(column) for column in columns):
            found.append(columns)
    return found


def unique_not_null(table: Table, columns: Iterable[str]) -> bool:
    """The columns include a unique NOT NULL key (:func:`unique_not_null_keys`): rows are distinct on them.

    >>> from sqltune.schema import Schema
    >>> table = Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY, b int UNIQUE)").table("t")
    >>> unique_not_null(table, ["id", "x"]), unique_not_null(table, ["b"])
    (True, False)
    """
    wanted = {fold(column) for column in columns}
    return any({fold(c) for c in key} <= wanted for key in unique_not_null_keys(table))


def proven_not_null(graph: QueryGraph, node: exp.Expression, *, filtered: bool = True) -> bool:
    """``node`` (an expression of ``graph``'s statement) is never NULL: :func:`can_be_null` is False."""
    return can_be_null(graph, node, filtered=filtered) is False


def can_be_null(graph: QueryGraph, node: exp.Expression, *, filtered: bool = True, depth: int = 0) -> bool | None:
    """Whether ``node`` can be NULL in the rows its SELECT produces: True, False (proven NOT NULL) or None.

    ``filtered=False`` ignores the SELECT's own WHERE and ON conditions (for an expression evaluated before
    them, or in a branch of the WHERE they do not guard). See the module documentation for what proves it.
    """
    node = strip_parens(node.unalias() if isinstance(node, exp.Alias) else node)
    if isinstance(node, exp.Null):
        return True
    if isinstance(node, exp.Literal | exp.Boolean | exp.Count):
        return False
    if isinstance(node, exp.Coalesce):
        arguments = [node.this, *node.expressions]
        if any(can_be_null(graph, argument, depth=depth, filtered=filtered) is False for argument in arguments):
            return False
        return None
    if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
        return _column_can_be_null(graph, node, filtered, depth)
    return None


def query_can_be_null(graph: QueryGraph, query: exp.Expression, depth: int = 0) -> bool | None:
    """Whether an output of a query (a subquery, a UNION: every branch) can hold a NULL.

    >>> from sqltune.core.sqlglot import parse_one
    >>> from sqltune.schema import Schema
    >>> schema = Schema.from_ddl("CREATE TABLE o (id int PRIMARY KEY, note text)")
    >>> tree = parse_one("SELECT 1 WHERE 'a' NOT IN (SELECT note FROM o WHERE note LIKE 'a%' UNION SELECT 'b')")
    >>> query_can_be_null(QueryGraph.build(tree, schema), tree.find(exp.In).args["query"])
    False
    """
    verdicts = [can_be_null(graph, projection, depth=depth) for branch in _branches(query) for projection in branch]
    if not verdicts or True in verdicts:
        return True if verdicts else None
    return False if all(verdict is False for verdict in verdicts) else None


def _branches(query: exp.Expression) -> list[list[exp.Expression]]:
    """The projections of each SELECT branch of a query (UNION branches walked with a stack); a branch that is
    not a SELECT gives an empty list, which no proof accepts."""
    found: list[list[exp.Expression]] = []
    for branch in set_branches(query):
        while isinstance(branch, exp.Subquery):
            branch = strip_parens(branch.this)
        if not isinstance(branch, exp.Select) or not branch.expressions:
            return []
        found.append(list(branch.expressions))
    return found


def _column_can_be_null(graph: QueryGraph, column: exp.Column, filtered: bool, depth: int) -> bool | None:
    use = graph.use_of_node(column)
    if use is None:
        return None
    relation_id = use.column.relation
    local = relation_id is None or graph.relations[relation_id].scope == use.scope
    if filtered and local and use.scope in graph.scopes:
        select = graph.scopes[use.scope].node
        if isinstance(select, exp.Select) and _filters_reject(graph, select, column, use):
            return False
    if relation_id is None:
        return None
    relation = graph.relations[relation_id]
    if _null_extended(graph, relation_id):
        return True
    if relation.table is not None:
        if relation.table.column(column.name) is None:
            return None
        return not relation.table.is_not_null(column.name)
    if relation.defined_by is None or depth >= MAX_DEPTH:
        return None
    body = graph.scopes[relation.defined_by].node
    position = _output_position(body, column.name)
    if position is None:
        return None
    verdicts = []
    for branch in _branches(body):
        if position >= len(branch):
            return None
        verdicts.append(can_be_null(graph, branch[position], depth=depth + 1))
    if not verdicts or any(verdict is None for verdict in verdicts):
        return None
    return any(verdicts)


def _output_position(body: exp.Expression, name: str) -> int | None:
    """The position of output ``name`` in a derived table's or CTE's body (its first SELECT names them)."""
    branches = _branches(body)
    if not branches:
        return None
    alias = body.parent.args.get("alias") if isinstance(body.parent, exp.Subquery | exp.CTE) else None
    if isinstance(alias, exp.TableAlias) and alias.columns:
        names = [fold(c.name) for c in alias.columns]
    else:
        names = [fold(projection.alias_or_name) for projection in branches[0]]
    key = fold(name)
    return names.index(key) if names.count(key) == 1 else None


def _null_extended(graph: QueryGraph, relation_id: str) -> bool:
    """An outer join of its scope can fill the relation's columns with NULLs."""
    relation = graph.relations[relation_id]
    if relation.join_kind in ("left", "full"):
        return True
    order = graph.scopes[relation.scope].relations
    later = order[order.index(relation_id) + 1 :] if relation_id in order else []
    return any(graph.relations[r].join_kind in ("right", "full") for r in later)


def _filters_reject(graph: QueryGraph, select: exp.Select, column: exp.Column, use: ColumnUse) -> bool:
    """A WHERE conjunct, or the ON of an inner join no later outer join undoes, rejects NULL in ``column``."""
    where = select.args.get("where")
    terms = conjuncts(where.this) if isinstance(where, exp.Where) else []
    joins = select.args.get("joins") or []
    for index, join in enumerate(joins):
        side, kind = str(join.side or "").lower(), str(join.kind or "").lower()
        later_outer = any(str(j.side or "").lower() in ("right", "full") for j in joins[index + 1 :])
        if not side and kind in ("", "inner") and not later_outer:
            terms += conjuncts(join.args.get("on"))
    return any(_same_column(graph, column, use, operand) for term in terms for operand in null_rejected(term))


def _same_column(graph: QueryGraph, column: exp.Column, use: ColumnUse, other: exp.Expression) -> bool:
    if not isinstance(other, exp.Column) or fold(other.name) != fold(column.name):
        return False
    other_use = graph.use_of_node(other)
    if other_use is not None and use.column.relation and other_use.column.relation:
        return other_use.column.relation == use.column.relation
    # In valid SQL an unqualified name is unique among the block's relations, so it matches any qualifier.
    return not column.table or not other.table or fold(column.table) == fold(other.table)
