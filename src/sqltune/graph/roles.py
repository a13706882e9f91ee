"""The role classifier: what one column occurrence does in its scope.

:func:`classify` walks from a column up to the node of its scope and returns its clause (``where``, ``on``,
``group``, ``order``, ``set``, ...), its :class:`~sqltune.graph.model.ColumnRole`, the predicate it takes part
in, whether it is sargable (no function, cast or arithmetic between the column and the predicate) and the
constant it is compared with. :func:`_predicate_role` reads the predicate itself (``=``, ``<``, ``IN``,
``LIKE 'abc%'``, ``IS NULL``, ...); :func:`_ancestor_kind` sorts ancestor node classes once per class.

One role is refined afterwards: an equality between columns of one relation is a filter, not a join key
(:func:`sqltune.graph.joins.add_joins`).

>>> from sqltune.core.sqlglot import parse_one
>>> tree = parse_one("SELECT a FROM t WHERE lower(b) LIKE 'x%'")
>>> clause, role, predicate, sargable, value = classify(tree.find(exp.Like).this.this, tree)
>>> clause, role.value, sargable, value.sql()
('where', 'like_prefix', False, "'x%'")
"""

from __future__ import annotations

from typing import NamedTuple

from sqltune.core.predicates import is_aggregate_function
from sqltune.core.sqlglot import exp
from sqltune.graph.model import ColumnRole

__all__ = ["ClauseRole", "classify"]

#: What :func:`classify` returns: clause, role, predicate, sargable, constant value.
ClauseRole = tuple[str, ColumnRole, exp.Expression | None, bool, exp.Expression | None]

_COMPARISONS: dict[type[exp.Expression], ColumnRole] = {
    exp.EQ: ColumnRole.EQUALITY,
    exp.NullSafeEQ: ColumnRole.EQUALITY,
    exp.GT: ColumnRole.RANGE,
    exp.GTE: ColumnRole.RANGE,
    exp.LT: ColumnRole.RANGE,
    exp.LTE: ColumnRole.RANGE,
    exp.Between: ColumnRole.RANGE,
    exp.In: ColumnRole.IN_LIST,
    exp.Is: ColumnRole.IS_NULL,
    exp.NEQ: ColumnRole.FILTER,
    exp.NullSafeNEQ: ColumnRole.FILTER,
}
_PREDICATE_TYPES = (*_COMPARISONS, exp.Like, exp.ILike)
# Nodes between a column and its clause that do not change the column's value (a predicate over the column
# stays sargable through them).
_TRANSPARENT = (
    exp.Paren,
    exp.Alias,
    exp.Ordered,
    exp.Not,
    exp.Connector,
    exp.Where,
    exp.Having,
    exp.Qualify,
    exp.Group,
    exp.Order,
    exp.Join,
    exp.Tuple,
)
# What an ancestor of a column means for its role, by node class (computed once per class: the role walk
# runs for every column occurrence, and one dict lookup beats four isinstance tests per ancestor).
_PREDICATE, _WINDOW, _AGGREGATE, _TRANSPARENT_KIND, _OTHER, _ANONYMOUS = range(6)
_ANCESTOR_KINDS: dict[type[exp.Expression], int] = {}
_FILTER_CLAUSES = frozenset({"where", "on", "having", "qualify"})


def _ancestor_kind(node_type: type[exp.Expression]) -> int:
    if issubclass(node_type, _PREDICATE_TYPES):
        kind = _PREDICATE
    elif issubclass(node_type, exp.Window):
        kind = _WINDOW
    elif issubclass(node_type, exp.AggFunc):
        kind = _AGGREGATE
    elif issubclass(node_type, exp.Anonymous):
        kind = _ANONYMOUS  # an aggregate by name (listagg, jsonb_agg...) or any other function
    elif issubclass(node_type, _TRANSPARENT):
        kind = _TRANSPARENT_KIND
    else:
        kind = _OTHER
    _ANCESTOR_KINDS[node_type] = kind
    return kind


def _is_constant(node: exp.Expression | None) -> bool:
    """Literals, parameters and expressions over them (``now() - interval '1 day'``): no column, no query."""
    if node is None:
        return False
    return all(not isinstance(child, exp.Column | exp.Query | exp.Subquery) for child in node.walk())


class _Above(NamedTuple):
    """What the ancestors strictly above a node (up to the scope's node) mean for a column below it.

    ``predicate`` is the nearest predicate above and ``operand`` its child on the path; ``wrapped``, ``window``
    and ``aggregate`` describe the nodes between the node and that predicate (all ancestors when there is
    none); ``outer_window`` and ``outer_aggregate`` those above the predicate; ``clause`` is the clause at the
    scope's node (``""`` when the walk never meets it).
    """

    predicate: exp.Expression | None = None
    operand: exp.Expression | None = None
    wrapped: bool = False
    window: ColumnRole | None = None
    aggregate: bool = False
    outer_window: ColumnRole | None = None
    outer_aggregate: bool = False
    clause: str = ""


def _kind(node: exp.Expression) -> int:
    kind = _ANCESTOR_KINDS.get(type(node))
    return kind if kind is not None else _ancestor_kind(type(node))


def _window_role(child: exp.Expression) -> ColumnRole | None:
    key = child.arg_key
    if key == "partition_by":
        return ColumnRole.WINDOW_PARTITION
    if key == "order":
        return ColumnRole.WINDOW_ORDER
    return None


def _step(child: exp.Expression, parent: exp.Expression, above: _Above) -> _Above:
    """``child``'s summary from its parent's (``above``) and what the parent itself is."""
    kind = _kind(parent)
    if kind == _PREDICATE:
        return _Above(
            parent,
            child,
            outer_window=above.window or above.outer_window,
            outer_aggregate=above.aggregate or above.outer_aggregate,
            clause=above.clause,
        )
    if kind == _WINDOW:
        role = _window_role(child)  # the nearest window whose PARTITION BY / ORDER BY holds the column
        return above if role is None else above._replace(window=role)
    if kind == _AGGREGATE or (kind == _ANONYMOUS and is_aggregate_function(parent)):
        return above if above.aggregate else above._replace(aggregate=True)
    if kind != _TRANSPARENT_KIND and not above.wrapped:
        return above._replace(wrapped=True)
    return above


def _summary(node: exp.Expression, stop: exp.Expression, memo: dict[int, _Above]) -> _Above:
    """:class:`_Above` of ``node``, remembered for every node walked: the columns of one scope share their
    ancestors, so a chain of 10,000 terms (``a = 1 OR b = 2 OR ...``, ``s || s || ...``) is walked once, not
    once per term."""
    path: list[exp.Expression] = []
    current = node
    result: _Above
    while True:
        cached = memo.get(id(current))
        if cached is not None:
            result = cached
            break
        parent = current.parent
        if parent is None or parent is stop:
            result = _Above(clause=current.arg_key if parent is stop else "")
            memo[id(current)] = result
            break
        path.append(current)
        current = parent
    for child in reversed(path):  # top down: each node's summary from its parent's
        parent = child.parent
        assert parent is not None
        result = _step(child, parent, result)
        memo[id(child)] = result
    return result


def classify(column: exp.Column, stop: exp.Expression, memo: dict[int, _Above] | None = None) -> ClauseRole:
    """The clause, role, predicate, sargability and constant value of ``column`` in the scope whose query node
    is ``stop``. ``memo`` (one per scope node, kept by the caller) shares the walk up between the columns of
    one scope."""
    above = _summary(column, stop, memo if memo is not None else {})
    predicate, wrapped = above.predicate, above.wrapped
    role: ColumnRole | None = None
    value: exp.Expression | None = None
    if predicate is not None and above.operand is not None:
        role, value = _predicate_role(predicate, above.operand, wrapped)
    window_role = above.window or above.outer_window
    aggregate = above.aggregate or above.outer_aggregate
    clause = above.clause
    if clause == "expressions" and isinstance(stop, exp.Update):
        clause = "set"
    elif clause == "joins":
        clause = "on"
    if window_role is not None:
        return clause, window_role, predicate, not wrapped, value
    if clause in _FILTER_CLAUSES:
        return clause, role if role is not None else ColumnRole.FILTER, predicate, not wrapped, value
    if clause == "group":
        return clause, ColumnRole.GROUP_BY, None, not wrapped, None
    if clause == "order":
        return clause, ColumnRole.ORDER_BY, None, not wrapped, None
    if clause == "set":
        return clause, ColumnRole.ASSIGNMENT, None, not wrapped, None
    if aggregate:
        return clause, ColumnRole.AGGREGATE, None, not wrapped, None
    return clause, ColumnRole.PROJECTION, None, not wrapped, None


def _predicate_role(
    predicate: exp.Expression, operand: exp.Expression, wrapped: bool
) -> tuple[ColumnRole, exp.Expression | None]:
    if isinstance(predicate, exp.Like | exp.ILike):
        pattern = predicate.expression
        if operand is predicate.this and isinstance(pattern, exp.Literal) and pattern.is_string:
            text = pattern.this
            return (ColumnRole.LIKE_WILDCARD if text[:1] in ("%", "_") else ColumnRole.LIKE_PREFIX), pattern
        return ColumnRole.FILTER, None
    role = _COMPARISONS[type(predicate)]
    if isinstance(predicate, exp.Is):
        return ColumnRole.IS_NULL, predicate.expression
    if isinstance(predicate, exp.In):
        if operand is not predicate.this:
            return ColumnRole.FILTER, None
        return ColumnRole.IN_LIST, None
    if isinstance(predicate, exp.Between):
        return (ColumnRole.RANGE, None) if operand is predicate.this else (ColumnRole.FILTER, None)
    other = predicate.expression if operand is predicate.this else predicate.this
    if isinstance(other, exp.Subquery | exp.Query):
        return role, None  # col < (SELECT ...): the comparison kind holds, the value is unknown
    if _is_constant(other):
        return role, other
    if isinstance(other, exp.Column) and role is ColumnRole.EQUALITY and not wrapped:
        return ColumnRole.JOIN_KEY, other  # refined in joins.add_joins when both sides share a relation
    return ColumnRole.FILTER, other
