"""RW011 having-to-where: move HAVING conditions that name no aggregate into WHERE.

HAVING filters groups after every row has been read and aggregated; a condition on the grouping columns
alone can filter the rows before grouping (and use an index), with the same groups surviving.

>>> from sqltune.rewrites.base import show
>>> show(having_to_where, "SELECT a, count(*) FROM t GROUP BY a HAVING a > 10 AND count(*) > 1")
APPLIED: SELECT a, COUNT(*) FROM t WHERE a > 10 GROUP BY a HAVING COUNT(*) > 1

A condition built from comparisons gives one answer for all values that group together. Anything else (a
cast to text, a function) is only advice: ``1.0`` and ``1.00`` form one numeric group, yet their text differs.

>>> show(having_to_where, "SELECT a FROM t GROUP BY a HAVING CAST(a AS TEXT) = '1.0'")
ADVISED: SELECT a FROM t WHERE CAST(a AS TEXT) = '1.0' GROUP BY a
  if: the condition gives the same answer for every value of a group (values GROUP BY treats as
      equal, such as 1.0 and 1.00, must not be told apart by it)
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import Scope, conjoin, is_deterministic, own_columns, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site, shown
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "having_to_where"]

_EQUALITY_COMPATIBLE = (
    exp.Column,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Identifier,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Neg,
    exp.Tuple,
)

CONDITION = (
    "the condition gives the same answer for every value of a group (values GROUP BY treats as equal, "
    "such as 1.0 and 1.00, must not be told apart by it)"
)


def _group_keys(select: exp.Select) -> list[exp.Expression] | None:
    group = select.args.get("group")
    if not isinstance(group, exp.Group) or not group.expressions:
        return None
    if any(group.args.get(key) for key in ("rollup", "cube", "grouping_sets", "totals")):
        return None
    keys = []
    for key in group.expressions:
        key = strip_parens(key)
        if isinstance(key, exp.Literal) and not key.is_string:  # GROUP BY 1
            position = int(key.this) - 1
            if not 0 <= position < len(select.expressions):
                return None
            key = select.expressions[position].unalias()
        keys.append(key)
    return keys


def _covered(column: exp.Column, keys: list[exp.Expression], scope: Scope, aliases: set[str]) -> bool:
    """``column`` is one of the plain-column group keys (and not an output alias that shadows it)."""
    if not column.table and fold(column.name) in aliases:
        return False
    for key in keys:
        if not isinstance(key, exp.Column) or fold(key.name) != fold(column.name):
            continue
        if key.sql() == column.sql():
            return True
        mine, theirs = scope.resolve(column), scope.resolve(key)
        if mine is not None and mine is theirs:
            return True
    return False


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for select in tree.find_all(exp.Select):
        having = select.args.get("having")
        keys = _group_keys(select)
        if not isinstance(having, exp.Having) or keys is None:
            continue
        scope = Scope(select, schema)
        aliases = {fold(p.alias) for p in select.expressions if isinstance(p, exp.Alias)}
        proven: list[exp.Expression] = []
        advised: list[exp.Expression] = []
        for conjunct in conjuncts(having.this):
            if aggregates_rows(conjunct) or has_window(conjunct) or not is_deterministic(conjunct):
                continue
            if conjunct.find(exp.Query, exp.Subquery) is not None:
                continue
            columns = own_columns(conjunct)
            if not columns or not all(_covered(column, keys, scope, aliases) for column in columns):
                continue
            if all(isinstance(node, _EQUALITY_COMPATIBLE) for node in conjunct.walk()):
                proven.append(conjunct)
            else:
                advised.append(conjunct)
        for moved, conditions in ((proven, ()), (advised, (CONDITION,))):
            if moved:
                sites.append(Site(_mover(select, having, moved), _rationale(moved), conditions))
    return sites


def _mover(select: exp.Select, having: exp.Having, moved: list[exp.Expression]) -> Callable[[], None]:
    def apply() -> None:
        ids = {id(node) for node in moved}
        kept = [c for c in conjuncts(having.this) if id(c) not in ids]
        where = select.args.get("where")
        current = conjuncts(where.this) if isinstance(where, exp.Where) else []
        set_where(select, conjoin([*current, *(node.copy() for node in moved)]))
        rest = conjoin(kept)
        select.set("having", exp.Having(this=rest) if rest is not None else None)

    return apply


def _rationale(moved: list[exp.Expression]) -> str:
    text = " AND ".join(shown(node) for node in moved)
    return (
        f"`{text}` names only grouping columns: filtering rows in WHERE before grouping reads and aggregates "
        "fewer rows and lets an index serve the filter, while HAVING filters only after every group is built"
    )


def having_to_where(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Move one SELECT's aggregate-free HAVING conditions on grouping columns into its WHERE."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW011", "having-to-where", "HAVING conditions on grouping columns filter rows in WHERE", having_to_where
)
