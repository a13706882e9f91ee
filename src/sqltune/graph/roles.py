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


def classify(column: exp.Column, stop: exp.Expression) -> ClauseRole:
    """The clause, role, predicate, sargability and constant value of ``column`` in the scope whose query node
    is ``stop``."""
    wrapped = False
    predicate: exp.Expression | None = None
    role: ColumnRole | None = None
    value: exp.Expression | None = None
    window_role: ColumnRole | None = None
    aggregate = False
    child: exp.Expression = column
    node = column.parent
    kinds = _ANCESTOR_KINDS
    while node is not None and node is not stop:
        kind = kinds.get(type(node))
        if kind is None:
            kind = _ancestor_kind(type(node))
        if kind == _PREDICATE:
            if predicate is None:
                predicate = node
                role, value = _predicate_role(node, child, wrapped)
        elif kind == _WINDOW and window_role is None:
            key = child.arg_key
            if key == "partition_by":
                window_role = ColumnRole.WINDOW_PARTITION
            elif key == "order":
                window_role = ColumnRole.WINDOW_ORDER
        elif kind == _AGGREGATE or (kind == _ANONYMOUS and is_aggregate_function(node)):
            aggregate = True
        elif predicate is None and kind != _TRANSPARENT_KIND:
            wrapped = True
        child, node = node, node.parent
    clause = child.arg_key if node is stop else ""
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
