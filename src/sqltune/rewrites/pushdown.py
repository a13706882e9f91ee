"""RW012 predicate-pushdown: move a WHERE condition on a derived table or CTE into its body.

``SELECT ... FROM (SELECT ... GROUP BY k) s WHERE s.k = 5`` builds every group and then keeps one; with the
condition inside, the body reads only the rows it needs and can use an index. PostgreSQL pushes into
derived tables itself but not into CTEs before version 12 (nor into MATERIALIZED ones); MySQL, SQLite and
others materialize grouped derived tables first. The condition (on this relation's columns only) is
rewritten in terms of the body's SELECT list:

- into the body's WHERE when the body has no GROUP BY, DISTINCT or aggregate;
- into its HAVING when it names an aggregate;
- into its WHERE when it names only GROUP BY / DISTINCT columns -- APPLIED when the condition is built from
  comparisons (which give one answer for all values that group together), advice otherwise (see RW011).

Never into a body with LIMIT/OFFSET or window functions (filtering first changes which rows they see), a
relation on the NULL-extended side of an outer join, or a CTE referenced more than once or MATERIALIZED.

>>> from sqltune.rewrites.base import show
>>> show(predicate_pushdown,
...      "SELECT * FROM (SELECT k, sum(v) AS total FROM t GROUP BY k) AS s WHERE s.k = 5 AND s.total > 10")
APPLIED: SELECT * FROM (SELECT k, SUM(v) AS total FROM t WHERE k = 5 GROUP BY k) AS s WHERE s.total
    > 10
>>> show(predicate_pushdown, "WITH s AS (SELECT id, a + b AS c FROM t) SELECT id FROM s WHERE c > 3")
APPLIED: WITH s AS (SELECT id, a + b AS c FROM t WHERE (a + b) > 3) SELECT id FROM s
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import aggregates_rows, conjuncts, has_window, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import (
    FromItem,
    Scope,
    conjoin,
    filtered_selects,
    is_deterministic,
    own_columns,
    set_where,
)
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.rewrites.having_to_where import _EQUALITY_COMPATIBLE, CONDITION
from sqltune.schema import Schema, fold

__all__ = ["REWRITE", "predicate_pushdown"]


def _body(item: FromItem, tree: exp.Expression) -> exp.Select | None:
    if item.null_extended:
        return None
    if item.cte is not None:
        cte = item.cte
        with_ = cte.parent
        if cte.args.get("materialized") or (isinstance(with_, exp.With) and with_.args.get("recursive")):
            return None
        references = [
            table
            for table in tree.root().find_all(exp.Table)
            if not table.args.get("db") and fold(table.name) == fold(cte.alias)
        ]
        body = cte.this
        return body if len(references) == 1 and isinstance(body, exp.Select) else None
    if isinstance(item.node, exp.Subquery) and isinstance(item.node.this, exp.Select):
        return item.node.this
    return None


def _pushable(body: exp.Select) -> bool:
    if any(body.args.get(key) for key in ("limit", "offset", "fetch", "qualify", "into")):
        return False
    distinct = body.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and distinct.args.get("on"):
        return False
    group = body.args.get("group")
    if isinstance(group, exp.Group) and any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets", "totals")):
        return False
    return not any(has_window(p) or not is_deterministic(p) for p in body.expressions)


def _projection_map(body: exp.Select) -> dict[str, exp.Expression] | None:
    mapping: dict[str, exp.Expression] = {}
    for projection in body.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return None
        name = projection.alias_or_name
        if name:
            mapping.setdefault(fold(name), projection.unalias())
    return mapping


def _grouping(body: exp.Select) -> list[str] | None:
    """SQL of the grouping expressions (GROUP BY, or the SELECT list under DISTINCT); ``None`` when neither."""
    group = body.args.get("group")
    if isinstance(group, exp.Group) and group.expressions:
        keys = []
        for key in group.expressions:
            if isinstance(key, exp.Literal) and not key.is_string:
                position = int(key.this) - 1
                if not 0 <= position < len(body.expressions):
                    return []
                key = body.expressions[position].unalias()
            keys.append(strip_parens(key).sql())
        return keys
    if isinstance(body.args.get("distinct"), exp.Distinct):
        return [strip_parens(p.unalias()).sql() for p in body.expressions]
    return None


def _sites(tree: exp.Expression, schema: Schema) -> list[Site]:
    sites: list[Site] = []
    for select, parts, scope in filtered_selects(tree, schema):
        for item in scope.items:
            body = _body(item, tree)
            if body is None or not _pushable(body):
                continue
            mapping = _projection_map(body)
            if mapping is None:
                continue
            for conjunct in parts:
                site = _site(select, conjunct, item, body, mapping, scope)
                if site is not None:
                    sites.append(site)
    return sites


def _site(
    select: exp.Select,
    conjunct: exp.Expression,
    item: FromItem,
    body: exp.Select,
    mapping: dict[str, exp.Expression],
    scope: Scope,
) -> Site | None:
    if conjunct.find(exp.Query, exp.Subquery) is not None or not is_deterministic(conjunct):
        return None
    if aggregates_rows(conjunct) or has_window(conjunct):
        return None
    columns = own_columns(conjunct)
    if not columns or any(scope.resolve(column) is not item or fold(column.name) not in mapping for column in columns):
        return None
    pushed = conjunct.copy()
    for column in list(pushed.find_all(exp.Column)):
        replacement = mapping[fold(column.name)].copy()
        if replacement.find(exp.Query, exp.Subquery) is not None:
            return None
        column.replace(exp.Paren(this=replacement) if isinstance(replacement, exp.Binary | exp.Unary) else replacement)
    aggregated = aggregates_rows(pushed)
    grouping = _grouping(body)
    conditions: tuple[str, ...] = ()
    target = "where"
    if aggregated or (grouping is None and any(aggregates_rows(p) for p in body.expressions)):
        target = "having"
    elif grouping is not None:
        expressions = [strip_parens(mapping[fold(c.name)]).sql() for c in columns]
        if any(expression not in grouping for expression in expressions):
            return None
        if not all(isinstance(node, _EQUALITY_COMPATIBLE) for node in conjunct.walk()):
            conditions = (CONDITION,)
    pushed = _unwrap_simple(pushed)
    return Site(_move(select, conjunct, body, pushed, target), _rationale(item, target), conditions)


def _unwrap_simple(node: exp.Expression) -> exp.Expression:
    for paren in list(node.find_all(exp.Paren)):
        if isinstance(paren.this, exp.Column | exp.Literal):
            paren.replace(paren.this)
    return node


def _move(
    select: exp.Select, conjunct: exp.Expression, body: exp.Select, pushed: exp.Expression, target: str
) -> Callable[[], None]:
    def apply() -> None:
        where = select.args["where"]
        set_where(select, conjoin(c for c in conjuncts(where.this) if c is not conjunct))
        if target == "having":
            having = body.args.get("having")
            existing = conjuncts(having.this) if isinstance(having, exp.Having) else []
            body.set("having", exp.Having(this=conjoin([*existing, pushed])))
        else:
            inner = body.args.get("where")
            existing = conjuncts(inner.this) if isinstance(inner, exp.Where) else []
            set_where(body, conjoin([*existing, pushed]))

    return apply


def _rationale(item: FromItem, target: str) -> str:
    kind = "CTE" if item.cte is not None else "derived table"
    return (
        f"the condition only reads {kind} {item.alias}; applied in its {target.upper()} it filters before the body "
        "is grouped or materialized, so fewer rows flow and an index can serve it"
    )


def predicate_pushdown(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """Push one WHERE condition on a derived table or single-use CTE into its body."""
    return best_site(REWRITE.id, expression, lambda tree: _sites(tree, schema))


REWRITE = Rewrite(
    "RW012", "predicate-pushdown", "a WHERE condition on a derived table or CTE moves into its body", predicate_pushdown
)
