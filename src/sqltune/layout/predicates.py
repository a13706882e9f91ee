"""What a template's filters say about one table, with the template's real literals put back in.

The pruning simulator needs, for each template, the row ranges each read of a table keeps. This module reads
them off the template's :class:`~sqltune.graph.QueryGraph`:

- :func:`scans_of`: for each relation that reads ``table`` (a self-join or a CTE read twice is several), the
  :class:`Bound` s of its filters that prune: conjuncts of ``WHERE`` (or of the ``ON`` of an inner join, or of
  the null-supplying side of an outer join) comparing the column, or a monotone function of it
  (``DATE_TRUNC('day', ts)``, ``EXTRACT(YEAR FROM d)``, ``TRUNC(n, -3)``), with a constant. A filter under an
  ``OR`` or a ``NOT`` prunes nothing here (which can only overstate what is scanned, never understate);
- :func:`literal_slots`: where each literal of the parsed example sits in the template's literal samples
  (:attr:`Template.samples <sqltune.workload.model.Template.samples>` hold the literals in text order);
- :func:`constant`: a bound's value for one sample, evaluated (``DATE '1994-01-01' + INTERVAL '1' YEAR`` is
  1995-01-01).

>>> from sqltune.core.sqlglot import parse_one
>>> from sqltune.graph import QueryGraph
>>> from sqltune.workload.fingerprint import literals
>>> sql = "SELECT 1 FROM t WHERE d >= DATE '1994-01-01' AND d < DATE '1994-01-01' + INTERVAL '1' YEAR"
>>> tree = parse_one(sql, "postgres")
>>> [scan] = scans_of(QueryGraph.build(tree), "t")
>>> slots = literal_slots(tree, literals(sql))  # ('1', '1994-01-01', '1994-01-01', '1')
>>> [(b.column, b.op, [constant(v, slots, ("1", "1996-03-01", "1996-03-01", "2")) for v in b.values]) for b in scan]
[('d', '>=', [datetime.date(1996, 3, 1)]), ('d', '<', [datetime.date(1998, 3, 1)])]
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnRole, ColumnUse, QueryGraph
from sqltune.schema import fold

__all__ = ["Bound", "constant", "literal_slots", "monotone", "scans_of"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
_COMPARISONS: dict[type[exp.Expression], str] = {exp.EQ: "=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


@dataclass(frozen=True, slots=True)
class Bound:
    """One pruning filter of one read: ``function(column) op values``."""

    column: str
    op: str  # "=", "<", "<=", ">", ">=", "between", "in", "prefix"
    values: tuple[exp.Expression, ...]
    function: tuple[str, str] | None = None  # a monotone wrapper: ("trunc_date", "month"), ("year", ""), ...


def scans_of(graph: QueryGraph, table: str) -> list[list[Bound]]:
    """Per relation reading ``table``: its pruning bounds (an empty list: a read that scans everything)."""
    wanted = fold(table)
    relations = {
        r.id: r
        for r in graph.relations.values()
        if r.kind == "table" and fold(r.table.name if r.table is not None else r.name) == wanted
    }
    bounds: dict[str, list[Bound]] = defaultdict(list)
    for use in graph.uses:
        relation = relations.get(use.column.relation or "")
        if relation is None or not use.role.is_filter or use.predicate is None:
            continue
        if not _conjunct(use.predicate, relation.node):
            continue
        bound = _bound(use)
        if bound is not None and bound not in bounds[relation.id]:
            bounds[relation.id].append(bound)
    return [bounds.get(rid, []) for rid in relations]


def _conjunct(predicate: exp.Expression, relation: exp.Expression) -> bool:
    """``predicate`` is an AND-conjunct of a WHERE, or of an ON that restricts ``relation``'s rows."""
    node = predicate
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.Where):
            return True
        if isinstance(parent, exp.Join):
            side = (parent.side or "").upper()
            # An inner join's ON restricts both sides; a LEFT join's only the table it joins (the other is kept).
            return not side or (side == "LEFT" and parent.this is relation)
        if not isinstance(parent, (exp.And, exp.Paren)):
            return False
        node = parent
    return False


def _bound(use: ColumnUse) -> Bound | None:
    predicate, column = use.predicate, fold(use.column.column)
    assert predicate is not None
    operand: exp.Expression = use.node
    while operand.parent is not None and operand.parent is not predicate:
        operand = operand.parent
    function = None if operand is use.node else monotone(operand, use.node)
    if operand is not use.node and function is None:
        return None
    if use.role is ColumnRole.LIKE_PREFIX and isinstance(predicate, exp.Like):
        return Bound(column, "prefix", (predicate.expression,), function)
    if isinstance(predicate, exp.Between) and predicate.this is operand:
        return Bound(column, "between", (predicate.args["low"], predicate.args["high"]), function)
    if isinstance(predicate, exp.In) and predicate.this is operand and predicate.expressions:
        return Bound(column, "in", tuple(predicate.expressions), function)
    op = _COMPARISONS.get(type(predicate))
    if op is None or not isinstance(predicate, exp.Binary):
        return None
    if predicate.this is operand:
        value = predicate.expression
    elif predicate.expression is operand:
        value, op = predicate.this, _FLIP[op]
    else:
        return None
    if value.find(exp.Column, exp.Subquery, exp.Select) is not None:
        return None
    return Bound(column, op, (value,), function)


def monotone(operand: exp.Expression, column: exp.Column) -> tuple[str, str] | None:
    """The monotone non-decreasing function ``operand`` applies to ``column``, if it is one we can evaluate."""
    if isinstance(operand, (exp.TimestampTrunc, exp.DateTrunc)) and operand.this is column:
        unit = operand.args.get("unit")
        return ("trunc_date", str(unit.name if unit is not None else "day").lower())
    if isinstance(operand, (exp.TsOrDsToDate, exp.Date)) and operand.this is column:
        return ("trunc_date", "day")
    if isinstance(operand, exp.Cast) and operand.this is column and operand.to.is_type("date"):
        return ("trunc_date", "day")
    if isinstance(operand, exp.Extract) and operand.expression is column and operand.this.name.lower() == "year":
        return ("year", "")
    if isinstance(operand, exp.Year) and operand.this is column:
        return ("year", "")
    if isinstance(operand, (exp.Anonymous, exp.Trunc, exp.Floor)) and _arguments(operand)[:1] == [column]:
        name = operand.name.lower() if isinstance(operand, exp.Anonymous) else operand.sql_name().lower()
        if name in ("trunc", "floor", "truncate"):
            digits = _arguments(operand)[1:2]
            return ("trunc_number", digits[0].sql() if digits else "0")
    return None


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    found = [node.this] if node.this is not None else []
    for key in ("expression", "decimals"):
        if isinstance(node.args.get(key), exp.Expression):
            found.append(node.args[key])
    return found + list(node.expressions)


def literal_slots(tree: exp.Expression, example: tuple[str, ...]) -> dict[int, int]:
    """``id(literal node)`` -> its position in the template's literal samples.

    The k-th literal node (in text order) whose value is v is the k-th literal v of ``example`` (the literals of
    the example execution): robust to literals sqlglot moves around, exact when values repeat in order.
    """
    positions: dict[str, list[int]] = defaultdict(list)
    for index, value in enumerate(example):
        positions[value].append(index)
    used: dict[str, int] = defaultdict(int)
    slots: dict[int, int] = {}
    for node in tree.dfs():
        if not isinstance(node, exp.Literal):
            continue
        value = str(node.this)
        if isinstance(node.parent, exp.Neg) and not node.is_string and "-" + value in positions:
            value = "-" + value  # a source whose samples keep the sign
        seen = used[value]
        if seen < len(positions.get(value, ())):
            slots[id(node)] = positions[value][seen]
            used[value] = seen + 1
    return slots


def constant(node: exp.Expression, slots: dict[int, int], sample: tuple[str, ...]) -> Any:
    """The value of a constant expression with ``sample``'s literals in place; ``None`` when unknown."""
    if isinstance(node, exp.Literal):
        slot = slots.get(id(node))
        text = sample[slot] if slot is not None and slot < len(sample) else str(node.this)
        if isinstance(node.parent, exp.Neg) and not node.is_string and text.startswith("-"):
            text = text[1:]  # the sample holds the signed literal; Neg applies the sign
        return text if node.is_string else _number(text)
    if isinstance(node, exp.Paren):
        return constant(node.this, slots, sample)
    if isinstance(node, exp.Neg):
        value = constant(node.this, slots, sample)
        return -value if isinstance(value, (int, float)) else None
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return _cast(constant(node.this, slots, sample), node.to)
    if isinstance(node, (exp.DateAdd, exp.DateSub, exp.TsOrDsAdd, exp.TimestampAdd)):  # DATEADD(day, 6, d)
        base = constant(node.this, slots, sample)
        base = _cast(base, exp.DataType.build("date")) if isinstance(base, str) else base
        unit = node.args.get("unit")
        sign = -1 if isinstance(node, exp.DateSub) else 1
        amount = constant(node.expression, slots, sample)
        if isinstance(amount, str):  # BigQuery's INTERVAL 7 DAY keeps its count as a string literal
            amount = _number(amount)
        return _add(base, amount, str(unit.name if unit is not None else "day").lower(), sign)
    if isinstance(node, (exp.Add, exp.Sub)):
        left = constant(node.this, slots, sample)
        sign = 1 if isinstance(node, exp.Add) else -1
        if isinstance(node.expression, exp.Interval):
            return _shift(left, node.expression, slots, sample, sign)
        right = constant(node.expression, slots, sample)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return left + sign * right
        if isinstance(left, date) and isinstance(right, int):
            return left + timedelta(days=sign * right)
    return None


def _number(text: str) -> float | int | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _cast(value: Any, to: exp.DataType) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if to.is_type("date"):
            return date.fromisoformat(value.strip()[:10])
        if to.is_type(*exp.DataType.TEMPORAL_TYPES):
            return datetime.fromisoformat(value.strip())
        if to.is_type(*exp.DataType.NUMERIC_TYPES):
            return _number(value)
    except ValueError:
        return None
    return value


def _shift(value: Any, interval: exp.Interval, slots: dict[int, int], sample: tuple[str, ...], sign: int) -> Any:
    """``value`` plus or minus an interval of days, weeks, months or years."""
    amount = constant(interval.this, slots, sample) if interval.this is not None else None
    unit = str(interval.unit.name if interval.unit is not None else "").lower()
    if isinstance(amount, str):  # INTERVAL '90 day'
        parts = amount.split()
        amount, unit = (_number(parts[0]), parts[1].lower() if len(parts) > 1 else unit) if parts else (None, unit)
    return _add(value, amount, unit, sign)


def _add(value: Any, amount: Any, unit: str, sign: int) -> Any:
    if not isinstance(amount, (int, float)) or not isinstance(value, date):
        return None
    count = int(amount) * sign
    unit = unit.rstrip("s")
    if unit in ("day", "week"):
        return value + timedelta(days=count * (7 if unit == "week" else 1))
    if unit in ("hour", "minute", "second") and isinstance(value, datetime):
        return value + timedelta(**{f"{unit}s": count})
    if unit in ("month", "year", "quarter"):
        months = count * {"month": 1, "quarter": 3, "year": 12}[unit]
        year, month = divmod(value.month - 1 + months, 12)
        year += value.year
        day = min(value.day, calendar.monthrange(year, month + 1)[1])
        return value.replace(year=year, month=month + 1, day=day)
    return None
