"""Rules about UNION, INTERSECT and EXCEPT.

SQ011 reports a UNION (distinct) only when sqltune can prove that no row of one branch can equal a row of
another: then the duplicate removal, a sort or hash over the whole result, can only collapse duplicates
*within* a branch, which is rarely what the author meant. A UNION whose branches may overlap is left alone:
there the deduplication may well be the point.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations

from sqltune.core.predicates import conjuncts, set_branches
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.grouping import unwrap
from sqltune.schema import Table, fold

__all__ = ["constant_key"]


def constant_key(node: exp.Expression | None) -> tuple[str, object] | None:
    """A comparable key for a non-null literal, or None when ``node`` is not one.

    Strings compare case-insensitively and without trailing spaces, because MySQL's and SQL Server's
    default collations do: ``'a'`` and ``'A '`` may be the same value.

    >>> from sqltune.core.sqlglot import parse_one
    >>> constant_key(parse_one("'Web '")), constant_key(parse_one("2.0")), constant_key(parse_one("CAST(1 AS INT)"))
    (('s', 'web'), ('n', 2.0), ('n', 1.0))
    """
    node = unwrap(node)
    while isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Neg):
        inner = constant_key(node.this)
        return ("n", -inner[1]) if inner is not None and isinstance(inner[1], float) else None
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return "s", str(node.this).rstrip(" ").lower()
    try:
        return "n", float(node.this)
    except ValueError:
        return None


@dataclass
class Branch:
    """One SELECT of a set operation: its outputs, and the constant value sets its WHERE pins columns to."""

    select: exp.Select
    outputs: list[exp.Expression]
    table: exp.Table | None = None  # the only table read, when there is exactly one
    pinned: dict[str, set[tuple[str, object]]] = field(default_factory=dict)  # column key -> allowed values

    @classmethod
    def of(cls, select: exp.Select) -> Branch:
        branch = cls(select, [unwrap(e) or e for e in select.expressions])
        from_ = select.args.get("from_")
        if isinstance(from_, exp.From) and isinstance(from_.this, exp.Table) and not select.args.get("joins"):
            branch.table = from_.this
        where = select.args.get("where")
        for condition in conjuncts(where.this if where is not None else None):
            column, values = _pin(condition)
            if column is not None:
                key = _column_key(column)
                branch.pinned[key] = branch.pinned.get(key, values) & values
        return branch

    def column_at(self, position: int) -> exp.Column | None:
        output = self.outputs[position]
        return output if isinstance(output, exp.Column) else None


def _column_key(column: exp.Column) -> str:
    return fold(column.name)


def _pin(condition: exp.Expression) -> tuple[exp.Column | None, set[tuple[str, object]]]:
    """``col = 'a'`` -> (col, {a}); ``col IN ('a', 'b')`` -> (col, {a, b}); anything else -> (None, {})."""
    if isinstance(condition, exp.EQ):
        for column, value in ((condition.this, condition.expression), (condition.expression, condition.this)):
            key = constant_key(value)
            if isinstance(column, exp.Column) and key is not None:
                return column, {key}
    if isinstance(condition, exp.In) and isinstance(condition.this, exp.Column) and not condition.args.get("query"):
        keys = [constant_key(value) for value in condition.expressions]
        if keys and all(key is not None for key in keys):
            return condition.this, {key for key in keys if key is not None}
    return None, set()


def _leaves(node: exp.Expression) -> list[Branch] | None:
    """The SELECTs of a chain of UNIONs, or None when a branch is something else (INTERSECT, VALUES, ``*``)."""
    found: list[Branch] = []
    for branch in set_branches(node, exp.Union):
        while isinstance(branch, exp.Subquery):
            branch = branch.this
        if not isinstance(branch, exp.Select):
            return None
        outputs = [unwrap(e) for e in branch.expressions]
        if any(
            isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)) for e in outputs
        ):
            return None  # SELECT *: the outputs cannot be compared by position
        found.append(Branch.of(branch))
    return found


def _same_source(a: exp.Column, b: exp.Column) -> bool:
    return fold(a.name) == fold(b.name) and (not a.table or not b.table or fold(a.table) == fold(b.table))


def _unique_positions(branch: Branch, table: Table | None) -> set[int] | None:
    """Positions of the outputs that hold a unique key of the branch's only table, when they do."""
    if table is None:
        return None
    by_name = {fold(c.name): i for i, c in enumerate(branch.outputs) if isinstance(c, exp.Column)}
    keys = [table.primary_key, *table.unique_keys]
    for key in keys:
        if key and all(fold(c) in by_name for c in key):
            return {by_name[fold(c)] for c in key}
    return None


def _apart(a: set[tuple[str, object]], b: set[tuple[str, object]]) -> bool:
    """No value of ``a`` can equal one of ``b``: disjoint sets of one kind (``1`` may equal ``'1'`` after coercion)."""
    return not a & b and len({kind for kind, _ in a | b}) == 1


def _disjoint(a: Branch, b: Branch, ctx: StatementContext) -> str | None:
    """Why no output row of ``a`` can equal one of ``b``, or None when that cannot be shown."""
    for position, (left, right) in enumerate(zip(a.outputs, b.outputs, strict=True)):
        left_key, right_key = constant_key(left), constant_key(right)
        if left_key is not None and right_key is not None and left_key[0] == right_key[0] and left_key != right_key:
            name = a.select.expressions[position].alias_or_name
            label = f"output column {position + 1}" + (f" (`{name}`)" if name else "")
            return f"{label} is {left.sql()} in one branch and {right.sql()} in another"
        left_column, right_column = a.column_at(position), b.column_at(position)
        if left_column is None or right_column is None or not _same_source(left_column, right_column):
            continue
        values_a = a.pinned.get(_column_key(left_column))
        values_b = b.pinned.get(_column_key(right_column))
        if values_a is not None and values_b is not None and _apart(values_a, values_b):
            return f"each branch filters `{left_column.name}` to different constants"
    # Same single table, unique key output at the same positions, and rows told apart by a filter.
    if a.table is not None and b.table is not None and fold(a.table.name) == fold(b.table.name):
        table = ctx.table(a.table)
        positions = _unique_positions(a, table)
        if positions and positions == _unique_positions(b, table):
            for column, values in a.pinned.items():
                other = b.pinned.get(column)
                if other is not None and _apart(values, other):
                    return f"each branch reads different rows of `{a.table.name}` (by `{column}`) and outputs its key"
    return None


def _duplicate_free(branch: Branch, ctx: StatementContext) -> bool:
    if branch.select.args.get("distinct") is not None:
        return True
    return branch.table is not None and _unique_positions(branch, ctx.table(branch.table)) is not None


#: SQ011 compares every pair of branches; beyond this many it says nothing.
MAX_BRANCHES = 100


class UnionInsteadOfUnionAll(Rule):
    """SQ011: UNION whose branches are provably disjoint, so UNION ALL would skip a needless deduplication."""

    code = "SQ011"
    node_types = (exp.Union,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if not node.args.get("distinct"):
            return
        parent = node.parent
        if isinstance(parent, exp.Union) and parent.args.get("distinct"):
            return  # the outermost UNION of the chain reports it
        branches = _leaves(node)
        if branches is None or len(branches) > MAX_BRANCHES or len({len(b.outputs) for b in branches}) != 1:
            return  # every pair is compared: a generated UNION of 10,000 SELECTs is 50 million pairs
        reasons = []
        for a, b in combinations(branches, 2):
            reason = _disjoint(a, b, ctx)
            if reason is None:
                return
            reasons.append(reason)
        if all(_duplicate_free(b, ctx) for b in branches):
            outcome = "UNION ALL returns exactly the same rows without the sort or hash that removes duplicates"
        else:
            outcome = (
                "UNION's sort or hash can only remove duplicates within a branch; use UNION ALL "
                "(with DISTINCT on a branch that needs it)"
            )
        span = self._keyword(branches[0].select, branches[1].select, ctx) or ctx.span(node)
        yield Violation(f"the UNION branches cannot share a row ({reasons[0]}), so {outcome}", span=span)

    @staticmethod
    def _keyword(first: exp.Expression, second: exp.Expression, ctx: StatementContext) -> Span | None:
        """The span of the UNION keyword between the first two branches."""
        left, right = ctx.span(first), ctx.span(second)
        source = ctx.statement.source
        offset = source.text[left.end : right.start].lower().find("union")
        if offset < 0:
            return None
        start = left.end + offset
        return source.span(start, start + len("union"))


RULES = [UnionInsteadOfUnionAll]
