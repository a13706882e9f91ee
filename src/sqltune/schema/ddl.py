"""DDL applied to a :class:`~sqltune.schema.catalog.Schema`: CREATE TABLE, CREATE INDEX, ALTER TABLE ... ADD and
DROP (:meth:`Schema.from_ddl <sqltune.schema.catalog.Schema.from_ddl>` is the entry point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltune.core.parsing import Statement
from sqltune.core.sqlglot import exp
from sqltune.schema.model import Column, ForeignKey, Index, Table, fold

if TYPE_CHECKING:
    from sqltune.schema.catalog import Schema

__all__ = ["SchemaError", "apply_ddl"]


class SchemaError(ValueError):
    """DDL that could not be read; the message names the file, line and column."""


def _table_name(table: exp.Table) -> tuple[str, str | None]:
    namespace = ".".join(part.name for part in (table.args.get("catalog"), table.args.get("db")) if part)
    return table.name, namespace or None


def _identifiers(nodes: list[exp.Expression] | None) -> tuple[str, ...]:
    return tuple(node.name for node in nodes or ())


def _column_def(table: Table, definition: exp.ColumnDef) -> None:
    kind = definition.args.get("kind")
    column = Column(definition.name, kind.sql() if kind is not None else "")
    for constraint in definition.args.get("constraints") or ():
        rule = constraint.args.get("kind")
        if isinstance(rule, exp.NotNullColumnConstraint) and not rule.args.get("allow_null"):
            column.nullable = False
        elif isinstance(rule, exp.PrimaryKeyColumnConstraint):
            table.primary_key = (column.name,)
            column.nullable = False
        elif isinstance(rule, exp.UniqueColumnConstraint):
            table.unique_keys.append((column.name,))
        elif isinstance(rule, exp.GeneratedAsIdentityColumnConstraint):
            column.identity = True
        elif isinstance(rule, exp.DefaultColumnConstraint):
            column.default = rule.this.sql() if rule.this is not None else None
        elif isinstance(rule, exp.Reference):
            _add_reference(table, (column.name,), rule)
    table.add_column(column)


def _add_reference(table: Table, columns: tuple[str, ...], reference: exp.Reference) -> None:
    target = reference.this
    ref_columns: tuple[str, ...] = ()
    if isinstance(target, exp.Schema):
        ref_columns = _identifiers(target.expressions)
        target = target.this
    if isinstance(target, exp.Table):
        name, namespace = _table_name(target)
        ref = f"{namespace}.{name}" if namespace else name
        table.foreign_keys.append(ForeignKey(columns, ref, ref_columns))


def _key_columns(parts: list[exp.Expression] | None) -> tuple[str, ...]:
    """Column names of a key list: ``a``, ``a DESC`` (``Ordered``) or ``"a"``."""
    names = []
    for part in parts or ():
        inner = part.this if isinstance(part, exp.Ordered) else part
        names.append(inner.name if isinstance(inner, exp.Identifier | exp.Column) else inner.sql())
    return tuple(names)


def _clustered_columns(constraints: list[exp.Expression]) -> tuple[str, ...]:
    """T-SQL writes ``PRIMARY KEY CLUSTERED (a)``: the columns hang off the (NON)CLUSTERED part."""
    for node in constraints:
        if isinstance(node, exp.ClusteredColumnConstraint | exp.NonClusteredColumnConstraint):
            parts = node.this if isinstance(node.this, list) else [node.this]
            return _key_columns(parts)
    return ()


def _set_primary_key(table: Table, columns: tuple[str, ...]) -> None:
    table.primary_key = columns
    for name in columns:
        column = table.column(name)
        if column is not None:
            column.nullable = False


def _table_constraint(table: Table, node: exp.Expression) -> None:
    if isinstance(node, exp.Constraint):
        inner_nodes = list(node.expressions)
        clustered = _clustered_columns(inner_nodes)
        if clustered and any(isinstance(inner, exp.PrimaryKeyColumnConstraint) for inner in inner_nodes):
            _set_primary_key(table, clustered)  # T-SQL: CONSTRAINT pk PRIMARY KEY CLUSTERED (a)
            return
        for inner in inner_nodes:
            _table_constraint(table, inner)
    elif isinstance(node, exp.PrimaryKey):
        _set_primary_key(table, _key_columns(node.expressions))
    elif isinstance(node, exp.UniqueColumnConstraint):
        schema = node.this
        if isinstance(schema, exp.Schema):
            table.unique_keys.append(_key_columns(schema.expressions))
        elif isinstance(schema, exp.ClusteredColumnConstraint | exp.NonClusteredColumnConstraint):
            table.unique_keys.append(_clustered_columns([schema]))
    elif isinstance(node, exp.ForeignKey):
        reference = node.args.get("reference")
        if isinstance(reference, exp.Reference):
            _add_reference(table, _identifiers(node.expressions), reference)
    elif isinstance(node, exp.IndexColumnConstraint):  # MySQL: INDEX ix (a), KEY k (a, b), FULLTEXT KEY ft (a)
        columns = _key_columns(node.expressions)
        kind = str(node.args.get("kind") or "").lower()
        using = node.args.get("index_type")
        method = kind or (using.name.lower() if isinstance(using, exp.Expression) else str(using or "")).lower()
        name = node.name or f"{table.name}_{'_'.join(fold(c) for c in columns)}_idx"
        table.indexes.append(Index(name, table.qualified_name, columns, method=method or "btree"))


def _index_column(node: exp.Expression) -> str:
    inner = node.this if isinstance(node, exp.Ordered) else node
    return str(inner.name if isinstance(inner, exp.Column | exp.Identifier) else inner.sql())


def _find_table(schema: Schema, node: exp.Table) -> Table | None:
    """The table an ALTER or CREATE INDEX names. ``public.t`` also finds a ``t`` defined without a schema
    (one search path, two spellings), but never a table defined in another, explicit schema."""
    found = schema.table(exp.table_name(node))
    if found is None and node.args.get("db") is not None:
        bare = schema.table(node.name)
        if bare is not None and bare.namespace is None:
            return bare
    return found


def _drop(schema: Schema, drop: exp.Drop) -> None:
    """DROP TABLE / DROP INDEX: later statements must not be judged against what no longer exists."""
    kind = str(drop.args.get("kind") or "").upper()
    for target in drop.args.get("tables") or ():
        if not isinstance(target, exp.Table):
            continue
        if kind == "TABLE":
            schema.remove(exp.table_name(target))
        elif kind == "INDEX":
            name = fold(target.name)
            for table in schema:
                table.indexes = [index for index in table.indexes if fold(index.name) != name]


def apply_ddl(schema: Schema, statement: Statement, dialect: str | None = None) -> Table | Index | None:
    """Apply one parsed DDL statement to ``schema``; returns what it defined, or ``None`` if not DDL."""
    expression = statement.expression
    if isinstance(expression, exp.Drop):
        _drop(schema, expression)
        return None
    if isinstance(expression, exp.Create):
        kind = str(expression.args.get("kind") or "").upper()
        target = expression.this
        if kind == "TABLE" and isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
            name, namespace = _table_name(target.this)
            table = Table(name, namespace, origin=statement.span)
            for node in target.expressions:
                if isinstance(node, exp.ColumnDef):
                    _column_def(table, node)
                else:
                    _table_constraint(table, node)
            schema.add(table)
            return table
        if kind == "TABLE" and isinstance(target, exp.Table):  # CREATE TABLE ... AS SELECT: columns unknown
            name, namespace = _table_name(target)
            table = Table(name, namespace, origin=statement.span)
            schema.add(table)
            return table
        if kind.endswith("INDEX") and isinstance(target, exp.Index):  # also T-SQL's [NON]CLUSTERED INDEX
            return _create_index(schema, expression, target, statement)
    if isinstance(expression, exp.Alter) and isinstance(expression.this, exp.Table):
        altered = _find_table(schema, expression.this)
        if altered is None:
            return None
        for action in expression.args.get("actions") or ():
            if isinstance(action, exp.AddConstraint):
                for node in action.expressions:
                    _table_constraint(altered, node)
            elif isinstance(action, exp.ColumnDef):
                _column_def(altered, action)
        return altered
    return None


def _create_index(schema: Schema, create: exp.Create, index: exp.Index, statement: Statement) -> Index | None:
    table_node = index.args.get("table")
    if not isinstance(table_node, exp.Table):
        return None
    table = _find_table(schema, table_node)
    params = index.args.get("params")
    columns = tuple(_index_column(c) for c in (params.args.get("columns") or ())) if params else ()
    using = params.args.get("using") if params else None
    where = params.args.get("where") if params else None
    include = _identifiers(params.args.get("include")) if params else ()
    created = Index(
        name=index.name or f"{table_node.name}_{'_'.join(fold(c) for c in columns)}_idx",
        table=table.qualified_name if table else exp.table_name(table_node),
        columns=columns,
        unique=bool(create.args.get("unique")),
        method=(using.name.lower() if isinstance(using, exp.Expression) else str(using or "btree")).lower(),
        include=include,
        where=where.this.sql() if isinstance(where, exp.Where) else None,
        origin=statement.span,
    )
    if table is not None:
        table.indexes.append(created)
    return created
