"""RW016 keyset-pagination: a deep ``OFFSET`` becomes a keyset (seek) template -- advice only.

``ORDER BY id LIMIT 50 OFFSET 100000`` makes the engine produce and throw away 100,000 rows for every page,
so pages get slower the deeper they are. Keyset pagination remembers where the previous page ended and
seeks there through the ORDER BY's index: ``WHERE id > :last_id ORDER BY id LIMIT 50`` costs the same on
every page. It is a different query -- it needs the previous page's last key from the application -- so it
is always ADVISED and never applied, not even with ``--unsafe``: it is a template to adopt. It matches the
OFFSET query exactly when the ORDER BY columns are unique together and NOT NULL.

>>> from sqltune.rewrites.base import show
>>> show(keyset_pagination, "SELECT id, title FROM posts ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 5000")
ADVISED: SELECT id, title FROM posts WHERE (created_at, id) < (:last_created_at, :last_id) ORDER BY
    created_at DESC, id DESC LIMIT 20
  if: the ORDER BY columns are unique together and NOT NULL (end the ORDER BY with the primary key
      if they are not)
  if: the application passes the previous page's last (created_at, id) as :last_created_at, :last_id
      (first page: no WHERE)
"""

from __future__ import annotations

from collections.abc import Callable

from sqltune.core.predicates import conjuncts, strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import conjoin, numeric_literal, set_where
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Site, best_site
from sqltune.schema import Schema, fold

__all__ = ["DEEP_OFFSET", "REWRITE", "keyset_pagination"]

#: OFFSETs from here on are "deep": the rows skipped cost more than the page.
DEEP_OFFSET = 1000


def _keys(select: exp.Select) -> tuple[list[exp.Column], bool] | None:
    """The ORDER BY columns and whether they sort descending (all in one direction), else ``None``."""
    order = select.args.get("order")
    if not isinstance(order, exp.Order) or not order.expressions:
        return None
    columns: list[exp.Column] = []
    directions: set[bool] = set()
    for ordered in order.expressions:
        column = strip_parens(ordered.this)
        if not isinstance(ordered, exp.Ordered) or not isinstance(column, exp.Column):
            return None
        directions.add(bool(ordered.args.get("desc")))
        columns.append(column)
    return (columns, directions.pop()) if len(directions) == 1 else None


def _sites(tree: exp.Expression) -> list[Site]:
    sites: list[Site] = []
    for select in tree.find_all(exp.Select):
        offset = select.args.get("offset")
        limit = select.args.get("limit")
        if not isinstance(offset, exp.Offset) or not isinstance(limit, exp.Limit):
            continue
        skipped = numeric_literal(offset.expression)
        keys = _keys(select)
        if skipped is None or skipped < DEEP_OFFSET or keys is None:
            continue
        columns, descending = keys
        names = [f":last_{fold(column.name)}" for column in columns]
        conditions = (
            "the ORDER BY columns are unique together and NOT NULL (end the ORDER BY with the primary key if they "
            "are not)",
            f"the application passes the previous page's last ({', '.join(c.name for c in columns)}) as "
            f"{', '.join(names)} (first page: no WHERE)",
        )
        rationale = (
            f"OFFSET {skipped} makes the engine produce and discard {skipped} rows per page; seeking past the "
            "previous page's last key through the ORDER BY's index costs the same on every page"
        )
        sites.append(Site(_seek(select, columns, names, descending), rationale, conditions, template=True))
    return sites


def _seek(select: exp.Select, columns: list[exp.Column], names: list[str], descending: bool) -> Callable[[], None]:
    def apply() -> None:
        comparison = exp.LT if descending else exp.GT
        values: list[exp.Expression] = [exp.var(name) for name in names]
        if len(columns) == 1:
            seek = comparison(this=columns[0].copy(), expression=values[0])
        else:
            seek = comparison(
                this=exp.Tuple(expressions=[c.copy() for c in columns]), expression=exp.Tuple(expressions=values)
            )
        where = select.args.get("where")
        set_where(select, conjoin([*(conjuncts(where.this) if isinstance(where, exp.Where) else []), seek]))
        select.set("offset", None)

    return apply


def keyset_pagination(expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
    """A keyset-pagination template for one ``ORDER BY ... LIMIT n OFFSET m`` with a deep ``m`` (advice only)."""
    return best_site(REWRITE.id, expression, _sites)


REWRITE = Rewrite(
    "RW016", "keyset-pagination", "deep OFFSET pagination becomes a keyset (seek) template", keyset_pagination
)
