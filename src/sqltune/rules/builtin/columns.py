"""Rules about which columns a statement names."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation


class SelectStar(Rule):
    """SQ001: ``SELECT *`` or ``t.*`` that expands the columns of a base table or view.

    A ``*`` over CTEs and derived tables whose own select lists name their columns adds no column the query
    did not already choose: not a finding. A ``*`` that reaches a table (directly, or through CTEs and derived
    tables that are themselves ``*``) is one, at the outermost ``*`` of the chain: a ``*`` inside a CTE or
    derived table is reported when the query over it names the columns it needs (it does not need them all),
    and left to that query when it selects ``*`` from it in turn. ``COUNT(*)`` and ``EXISTS (SELECT * ...)``
    read no column and are never reported.
    """

    code = "SQ001"
    node_types = (exp.Star,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        parent = node.parent
        star = parent if isinstance(parent, exp.Column) else node
        select = star.parent
        if not isinstance(select, exp.Select) or star.arg_key != "expressions":
            return
        container = _container(select)
        if isinstance(container, exp.Exists):
            return  # EXISTS (SELECT * ...) reads no column
        tables = _expanded_tables(select, star.table if isinstance(star, exp.Column) else None, set())
        if not tables or _consumer_selects_all(container):
            return
        named = ", ".join(f"`{name}`" for name in dict.fromkeys(tables))
        yield Violation(f"`{star.sql()}` selects every column of {named}; name the columns the caller needs", star)


def _container(select: exp.Expression) -> exp.Expression | None:
    """What holds a select: its derived-table ``Subquery``, ``CTE``, ``EXISTS``, ... (through set operations)."""
    outer = select.parent
    while isinstance(outer, exp.Subquery | exp.Paren | exp.SetOperation) and not (
        isinstance(outer, exp.Subquery) and outer.alias
    ):
        outer = outer.parent
    return outer


def _sources(select: exp.Select, qualifier: str | None) -> list[exp.Expression]:
    """The FROM items of ``select`` a ``*`` (``qualifier`` None) or ``qualifier.*`` expands."""
    items: list[exp.Expression] = []
    from_ = select.args.get("from_")
    if isinstance(from_, exp.From):
        items.append(from_.this)
    items += [join.this for join in select.args.get("joins") or ()]
    if qualifier is None:
        return items
    wanted = qualifier.lower()
    return [item for item in items if (item.alias_or_name or "").lower() == wanted]


def _cte(table: exp.Table) -> exp.CTE | None:
    """The CTE an unqualified table name refers to, looked up in the enclosing WITH clauses."""
    if table.args.get("db") is not None:
        return None
    name = table.name.lower()
    node: exp.Expression | None = table.parent
    while node is not None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if cte.alias.lower() == name:
                    return cte
        node = node.parent
    return None


def _expanded_tables(select: exp.Select, qualifier: str | None, seen: set[int]) -> list[str]:
    """The base tables (or views) whose columns a ``*`` of ``select`` brings in, through CTEs and derived
    tables that are ``*`` themselves; ``[]`` when every column it brings in was named by an inner query."""
    found: list[str] = []
    items = _sources(select, qualifier)
    if qualifier is not None and not items:
        return [qualifier]  # a qualifier sqltune cannot place (an outer query's table): judged as a table
    for item in items:
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            cte = _cte(item)
            if cte is None:
                found.append(item.name)
            elif id(cte) not in seen:
                seen.add(id(cte))
                found += _query_tables(cte.this, seen)
        elif isinstance(item, exp.Subquery):
            found += _query_tables(item.this, seen)
    return found


def _query_tables(query: exp.Expression, seen: set[int]) -> list[str]:
    """:func:`_expanded_tables` of every ``*`` in the output of ``query`` (each branch of a set operation)."""
    if isinstance(query, exp.SetOperation):
        return _query_tables(query.this, seen) + _query_tables(query.expression, seen)
    if isinstance(query, exp.Subquery | exp.Paren):
        return _query_tables(query.this, seen)
    if not isinstance(query, exp.Select):
        return []
    found: list[str] = []
    for column in query.expressions:
        if isinstance(column, exp.Star):
            found += _expanded_tables(query, None, seen)
        elif isinstance(column, exp.Column) and isinstance(column.this, exp.Star):
            found += _expanded_tables(query, column.table, seen)
    return found


def _selects_all_of(select: exp.Select, name: str) -> bool:
    """Whether ``select`` has ``*`` over all its FROM items, or ``name.*``."""
    for column in select.expressions:
        if isinstance(column, exp.Star):
            return True
        if isinstance(column, exp.Column) and isinstance(column.this, exp.Star) and column.table.lower() == name:
            return True
    return False


def _consumer_selects_all(container: exp.Expression | None) -> bool:
    """Whether the query over a CTE or derived table selects ``*`` from it in turn (then that ``*`` is judged,
    not this one); ``False`` at the top of a statement."""
    if isinstance(container, exp.Subquery) and container.alias:
        consumer = container.parent.parent if isinstance(container.parent, exp.From | exp.Join) else None
        return isinstance(consumer, exp.Select) and _selects_all_of(consumer, container.alias.lower())
    if isinstance(container, exp.CTE):
        scope = container.parent.parent if container.parent is not None else None
        name = container.alias.lower()
        for table in scope.find_all(exp.Table) if scope is not None else ():
            if table.name.lower() != name or _cte(table) is not container:
                continue
            holder = table.parent.parent if isinstance(table.parent, exp.From | exp.Join) else None
            if isinstance(holder, exp.Select) and _selects_all_of(holder, (table.alias_or_name or "").lower()):
                return True
    return False


class InsertWithoutColumns(Rule):
    """SQ019: ``INSERT INTO t VALUES (...)`` / ``INSERT INTO t SELECT ...`` without a column list."""

    code = "SQ019"
    node_types = (exp.Insert,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        target = node.this
        if isinstance(target, exp.Table):
            yield Violation(
                f"INSERT into `{target.sql()}` without a column list depends on the table's column order",
                target,
            )


RULES = [SelectStar, InsertWithoutColumns]
