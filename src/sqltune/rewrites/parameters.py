"""Positional parameters (``?``, ``%s``) keep their order through a rewrite, or the rewrite is refused.

A driver binds ``?`` by its place in the statement's text. A rewrite that moves a predicate before another,
drops a ``SELECT ? AS a`` from an EXISTS it turns into a join, or copies the query into a UNION ALL branch
would bind the application's values to the wrong places -- different results with no error. The engine
numbers the positional parameters of each statement in printed order (:func:`mark`) and keeps a rewrite only
when the parameters it prints are exactly those, once each, in that order (:func:`keeps_order`).
Numbered (``$1``) and named (``:name``) parameters are bound by name and may move freely.

>>> from sqltune.core.sqlglot import parse_one
>>> tree = parse_one("SELECT a FROM t WHERE NOT EXISTS (SELECT ? FROM u WHERE u.k = t.a AND u.b = ?)", "mysql")
>>> mark(tree, "mysql")
2
>>> joined = parse_one("SELECT a FROM t LEFT JOIN u ON u.k = t.a AND u.b = ? WHERE u.k IS NULL", "mysql")
>>> moved = tree.find_all(exp.Placeholder)
>>> joined.find(exp.Placeholder).replace(list(moved)[1].copy())  # the second parameter, alone
Placeholder()
>>> keeps_order(joined, "mysql", 2)
False
"""

from __future__ import annotations

import re

from sqltune.core.sqlglot import exp

__all__ = ["keeps_order", "mark"]

_KEY = "sqltune_parameter"  # an Expression.meta key: copies of a node keep it
_MARKER = re.compile(r"sqltunep(\d+)x")


def _positional(tree: exp.Expression) -> list[exp.Placeholder]:
    return [node for node in tree.find_all(exp.Placeholder) if not node.this]


def _printed_order(tree: exp.Expression, dialect: str | None) -> list[int]:
    """The indexes (in :func:`_positional` order) of the positional parameters as the dialect prints them."""
    copy = tree.copy()
    for index, node in enumerate(_positional(copy)):
        node.replace(exp.Placeholder(this=f"sqltunep{index}x"))
    return [int(found) for found in _MARKER.findall(copy.sql(dialect=dialect))]


def mark(tree: exp.Expression, dialect: str | None) -> int:
    """Number ``tree``'s positional parameters in printed order (in place); how many there are."""
    nodes = _positional(tree)
    for rank, index in enumerate(_printed_order(tree, dialect) if nodes else ()):
        nodes[index].meta[_KEY] = rank
    return len(nodes)


def keeps_order(tree: exp.Expression, dialect: str | None, count: int) -> bool:
    """Whether ``tree`` prints the ``count`` parameters :func:`mark` numbered on the original, each once, in
    their order."""
    nodes = _positional(tree)
    if not nodes:
        return count == 0
    return [nodes[index].meta.get(_KEY) for index in _printed_order(tree, dialect)] == list(range(count))
