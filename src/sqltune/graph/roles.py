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


#: What the ancestors strictly above a node contribute to a role: the first window role, whether an aggregate
#: encloses it, and the clause it sits in at the scope's node (``""`` when the walk never meets it).
_Above = tuple[ColumnRole | None, bool, str]


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


def _above(start: exp.Expression, stop: exp.Expression, memo: dict[int, _Above]) -> _Above:
    """What the ancestors of ``start`` (up to ``stop``) contribute, remembered for every node walked: above a
    predicate only the window, aggregate and clause matter, and they are the same for a whole chain of
    ``a = 1 OR b = 2 OR ...`` -- walked once, not once per term."""
    path: list[exp.Expression] = []
    node = start
    result: _Above
    while True:
        cached = memo.get(id(node))
        if cached is not None:
            result = cached
            break
        parent = node.parent
        if parent is None or parent is stop:
            result = (None, False, node.arg_key if parent is stop else "")
            memo[id(node)] = result
            break
        path.append(node)
        node = parent
    for child in reversed(path):  # top down: each child's answer from its parent's
        parent = child.parent
        assert parent is not None
        window, aggregate, clause = result
        kind = _kind(parent)
        if kind == _WINDOW:
            window = _window_role(child) or window
        elif kind == _AGGREGATE or (kind == _ANONYMOUS and is_aggregate_function(parent)):
            aggregate = True
        result = (window, aggregate, clause)
        memo[id(child)] = result
    return result


def classify(column: exp.Column, stop: exp.Expression, memo: dict[int, _Above] | None = None) -> ClauseRole:
    """The clause, role, predicate, sargability and constant value of ``column`` in the scope whose query node
    is ``stop``. ``memo`` (one per scope node, kept by the caller) shares the walk above predicates between
    the columns of one scope."""
    wrapped = False
    predicate: exp.Expression | None = None
    role: ColumnRole | None = None
    value: exp.Expression | None = None
    window_role: ColumnRole | None = None
    aggregate = False
    child: exp.Expression = column
    node = column.parent
    while node is not None and node is not stop and predicate is None:
        kind = _kind(node)
        if kind == _PREDICATE:
            predicate = node
            role, value = _predicate_role(node, child, wrapped)
            break
        if kind == _WINDOW and window_role is None:
            window_role = _window_role(child)
        elif kind == _AGGREGATE or (kind == _ANONYMOUS and is_aggregate_function(node)):
            aggregate = True
        elif kind != _TRANSPARENT_KIND:
            wrapped = True
        child, node = node, node.parent
    if node is None or node is stop:
        clause = child.arg_key if node is stop else ""
    else:  # above the predicate: the shared walk
        above_window, above_aggregate, clause = _above(node, stop, memo if memo is not None else {})
        window_role = window_role or above_window
        aggregate = aggregate or above_aggregate
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
