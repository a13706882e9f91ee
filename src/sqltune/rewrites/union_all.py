"""RW015 union-to-union-all: UNION becomes UNION ALL when it provably has no duplicates to remove.

UNION sorts or hashes all rows of both branches to remove duplicates -- those *within* each branch as well as
those *between* them. UNION ALL gives the same rows when

- each branch's rows are distinct: it has DISTINCT, is itself a UNION, or selects a NOT NULL unique key of
  its tables (see RW010), and
- no row can come from both branches: some output column is a different constant in each (``'open' AS
  kind`` / ``'closed' AS kind``), or both read one table, select its NOT NULL unique key in the same
  positions and filter one column to disjoint values (``status = 'a'`` / ``status IN ('b', 'c')``, or
  ``IS NULL`` against a value).

>>> from sqltune.rewrites.base import show
>>> ddl = "CREATE TABLE t (id int PRIMARY KEY, status text, x int)"
>>> show(union_to_union_all,
...      "SELECT id, x FROM t WHERE status = 'a' UNION SELECT id, x FROM t WHERE status IN ('b', 'c')", ddl)
APPLIED: SELECT id, x FROM t WHERE status = 'a' UNION ALL SELECT id, x FROM t WHERE status IN ('b',
    'c')
>>> show(union_to_union_all, "SELECT x FROM t WHERE status = 'a' UNION SELECT x FROM t WHERE status = 'b'", ddl)
unchanged
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqltune.core.predicates import conjuncts, is_null_tested, set_branches, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.graph.predicates import unique_not_null
from sqltune.rewrites._analysis import Scope, numeric_literal
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.distinct import rows_unique
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "union_to_union_all"]

RATIONALE = (
    "both branches return distinct rows and no row can come from both, so UNION's duplicate removal (a sort or "
    "hash of every row) removes nothing; UNION ALL streams the rows"
)

Constant = tuple[str, object]  # ("s", text) or ("n", Decimal) or ("null", None)


def _constant(node: exp.Expression) -> Constant | None:
    node = strip_parens(node.unalias())
    if isinstance(node, exp.Literal) and node.is_string:
        return ("s", node.this)
    if isinstance(node, exp.Null):
        return ("null", None)
    value = numeric_literal(node)
    return ("n", value) if value is not None else None


def _constants_at(query: exp.Expression, position: int) -> set[Constant] | None:
    """Every constant the query can output in ``position``, or ``None`` when it is not always a constant."""
    constants: set[Constant] = set()
    for branch in set_branches(query, exp.Union):
        while isinstance(branch, exp.Subquery):
            branch = strip_parens(branch.this)
        if not isinstance(branch, exp.Select) or position >= len(branch.expressions):
            return None
        found = _constant(branch.expressions[position])
        if found is None or found[0] == "null":
            return None
        constants.add(found)
    return constants


def _rows_distinct(query: exp.Expression, schema: Schema) -> bool:
    query = strip_parens(query)
    if isinstance(query, exp.Subquery):
        return _rows_distinct(query.this, schema)
    if isinstance(query, exp.Union):
        return bool(query.args.get("distinct"))
    if isinstance(query, exp.Select):
        distinct = query.args.get("distinct")
        if isinstance(distinct, exp.Distinct) and not distinct.args.get("on"):
            return True
        return rows_unique(query, Scope(query, schema))
    return False


def _value_sets(select: exp.Select, scope: Scope) -> dict[str, set[Constant]]:
    """Per column (folded name) of the one table: the values a WHERE conjunct restricts it to."""
    found: dict[str, set[Constant]] = {}
    where = select.args.get("where")
    for conjunct in conjuncts(where.this) if isinstance(where, exp.Where) else []:
        column: exp.Expression | None = None
        values: set[Constant] | None = None
        if isinstance(conjunct, exp.EQ):
            for a, b in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
                constant = _constant(b)
                if isinstance(strip_parens(a), exp.Column) and constant is not None and constant[0] != "null":
                    column, values = strip_parens(a), {constant}
                    break
        elif isinstance(conjunct, exp.In) and conjunct.expressions and not conjunct.args.get("query"):
            constants = [_constant(item) for item in conjunct.expressions]
            if all(c is not None and c[0] != "null" for c in constants):
                column, values = strip_parens(conjunct.this), {c for c in constants if c is not None}
        elif is_null_tested(conjunct) is not None:
            column, values = is_null_tested(conjunct), {("null", None)}
        if isinstance(column, exp.Column) and values is not None and scope.resolve(column) is not None:
            name = fold(column.name)
            found[name] = found[name] & values if name in found else values
    return found


def _same_table_disjoint(left: exp.Expression, right: exp.Expression, schema: Schema) -> bool:
    if not isinstance(left, exp.Select) or not isinstance(right, exp.Select):
        return False
    scopes = Scope(left, schema), Scope(right, schema)
    if any(not s.complete or len(s.items) != 1 or s.items[0].table is None for s in scopes):
        return False
    table = scopes[0].items[0].table
    if table is None or scopes[1].items[0].table is not table or len(left.expressions) != len(right.expressions):
        return False
    same_position: set[str] = set()
    for a, b in zip(left.expressions, right.expressions, strict=True):
        a, b = strip_parens(a.unalias()), strip_parens(b.unalias())
        if (
            isinstance(a, exp.Column)
            and isinstance(b, exp.Column)
            and fold(a.name) == fold(b.name)
            and scopes[0].resolve(a) is not None
            and scopes[1].resolve(b) is not None
        ):
            same_position.add(fold(a.name))
    if not unique_not_null(table, same_position):
        return False
    left_values, right_values = _value_sets(left, scopes[0]), _value_sets(right, scopes[1])
    return any(not (left_values[name] & right_values[name]) for name in left_values.keys() & right_values.keys())


def _disjoint(left: exp.Expression, right: exp.Expression, schema: Schema) -> bool:
    width = len(left.selects) if isinstance(left, exp.Query) else 0
    for position in range(width):
        a, b = _constants_at(left, position), _constants_at(right, position)
        if a is not None and b is not None and _different(a, b):
            return True
    return _same_table_disjoint(strip_parens(left), strip_parens(right), schema)


def _different(a: set[Constant], b: set[Constant]) -> bool:
    """No constant of ``a`` can equal one of ``b`` (strings against strings, numbers against numbers)."""
    kinds = {kind for kind, _ in a | b}
    if len(kinds) != 1:
        return False
    if kinds == {"n"}:
        return not ({Decimal(str(v)) for _, v in a} & {Decimal(str(v)) for _, v in b})
    return not (a & b)


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for union in tree.find_all(exp.Union):
        if not union.args.get("distinct") or union.args.get("by_name") or union.args.get("side"):
            continue
        left, right = union.this, union.expression
        if _rows_distinct(left, schema) and _rows_distinct(right, schema) and _disjoint(left, right, schema):
            sites.append(Site(_make_all(union), RATIONALE))
    return sites


def _make_all(union: exp.Union) -> Callable[[], None]:
    def apply() -> None:
        union.set("distinct", False)

    return apply


def union_to_union_all(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Turn one UNION whose branches are distinct and disjoint into UNION ALL."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW015", "union-to-union-all", "UNION of distinct, disjoint branches becomes UNION ALL", union_to_union_all
)
