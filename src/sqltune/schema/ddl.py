"""DDL applied to a :class:`~sqltune.schema.catalog.Schema`: CREATE TABLE, CREATE INDEX, DROP TABLE / INDEX and
ALTER TABLE (ADD / DROP CONSTRAINT, ADD / DROP / RENAME COLUMN, SET / DROP NOT NULL, RENAME TO), ALTER INDEX
... RENAME TO (:meth:`Schema.from_ddl <sqltune.schema.catalog.Schema.from_ddl>` is the entry point; a run's
files are ordered and replayed by :mod:`sqltune.schema.migrations`).
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
        options = {" ".join(str(option).upper().split()) for option in reference.args.get("options") or ()}
        table.foreign_keys.append(ForeignKey(columns, ref, ref_columns, deferrable="DEFERRABLE" in options))


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


def _set_primary_key(table: Table, columns: tuple[str, ...], name: str | None = None) -> None:
    table.primary_key = columns
    if name:
        table.key_names[fold(name)] = columns
    for name in columns:
        column = table.column(name)
        if column is not None:
            column.nullable = False


def _table_constraint(table: Table, node: exp.Expression, name: str | None = None) -> None:
    if isinstance(node, exp.Constraint):
        inner_nodes = list(node.expressions)
        clustered = _clustered_columns(inner_nodes)
        if clustered and any(isinstance(inner, exp.PrimaryKeyColumnConstraint) for inner in inner_nodes):
            _set_primary_key(table, clustered, node.name)  # T-SQL: CONSTRAINT pk PRIMARY KEY CLUSTERED (a)
            return
        for inner in inner_nodes:
            _table_constraint(table, inner, node.name or None)
    elif isinstance(node, exp.PrimaryKey):
        _set_primary_key(table, _key_columns(node.expressions), name)
    elif isinstance(node, exp.UniqueColumnConstraint):
        schema = node.this
        key: tuple[str, ...] = ()
        if isinstance(schema, exp.Schema):
            key = _key_columns(schema.expressions)
        elif isinstance(schema, exp.ClusteredColumnConstraint | exp.NonClusteredColumnConstraint):
            key = _clustered_columns([schema])
        if key:
            table.unique_keys.append(key)
            if name:
                table.key_names[fold(name)] = key
    elif isinstance(node, exp.ForeignKey):
        reference = node.args.get("reference")
        if isinstance(reference, exp.Reference):
            _add_reference(table, _identifiers(node.expressions), reference)
            table.foreign_keys[-1].name = name
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
        if kind in {"TABLE", "VIEW"}:
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
        if str(expression.args.get("kind") or "").upper() == "INDEX":
            return _alter_index(schema, expression)
        altered = _find_table(schema, expression.this)
        if altered is None:
            return None
        for action in expression.args.get("actions") or ():
            _alter_action(schema, altered, action)
        return altered
    return None


def _alter_action(schema: Schema, table: Table, action: exp.Expression) -> None:
    """One action of ``ALTER TABLE``; actions that change nothing sqltune models (defaults, types) are skipped."""
    if isinstance(action, exp.AddConstraint):
        for node in action.expressions:
            _table_constraint(table, node)
    elif isinstance(action, exp.ColumnDef):
        _column_def(table, action)
    elif isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "").upper()
        for target in action.args.get("tables") or ():
            if kind == "CONSTRAINT":
                _drop_constraint(table, target.name)
            elif kind == "COLUMN":
                _drop_column(table, target.name)
    elif isinstance(action, exp.RenameColumn):
        old, new = action.this, action.args.get("to")
        if isinstance(old, exp.Expression) and isinstance(new, exp.Expression):
            _rename_column(schema, table, old.name, new.name)
    elif isinstance(action, exp.AlterColumn) and action.args.get("allow_null") is not None:
        column = table.column(action.name)
        if column is not None:  # SET NOT NULL / DROP NOT NULL
            column.nullable = bool(action.args.get("allow_null"))
    elif isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
        name, namespace = _table_name(action.this)
        schema.rename(table, name, namespace or table.namespace)


def _alter_index(schema: Schema, alter: exp.Alter) -> Index | None:
    """``ALTER INDEX old RENAME TO new``."""
    old = fold(alter.this.name)
    for action in alter.args.get("actions") or ():
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
            for table in schema:
                for index in table.indexes:
                    if fold(index.name) == old:
                        index.name = action.this.name
                        return index
    return None


def _drop_constraint(table: Table, name: str) -> None:
    """``DROP CONSTRAINT name``: a named key, a named foreign key, or PostgreSQL's default names
    (``t_pkey``, ``t_a_b_key``, ``t_a_fkey``) for keys declared without one."""
    wanted = fold(name)
    default = fold(table.name)
    key = table.key_names.pop(wanted, None)
    if key is None and wanted == f"{default}_pkey":
        key = table.primary_key
    if key is not None and key == table.primary_key:
        table.primary_key = ()
    elif key is not None:
        table.unique_keys = [k for k in table.unique_keys if k != key]
    for unique in list(table.unique_keys):
        if wanted == f"{default}_{'_'.join(fold(c) for c in unique)}_key":
            table.unique_keys.remove(unique)
    table.foreign_keys = [
        fk
        for fk in table.foreign_keys
        if fold(fk.name or f"{default}_{'_'.join(fold(c) for c in fk.columns)}_fkey") != wanted
    ]


def _drop_column(table: Table, name: str) -> None:
    """``DROP COLUMN``: the column, and (as the database does) every key and index that used it."""
    wanted = fold(name)
    table.columns.pop(wanted, None)

    def uses(columns: tuple[str, ...]) -> bool:
        return wanted in {fold(c) for c in columns}

    if uses(table.primary_key):
        table.primary_key = ()
    table.unique_keys = [key for key in table.unique_keys if not uses(key)]
    table.key_names = {n: key for n, key in table.key_names.items() if not uses(key)}
    table.foreign_keys = [fk for fk in table.foreign_keys if not uses(fk.columns)]
    table.indexes = [index for index in table.indexes if not uses(index.columns)]


def _rename_column(schema: Schema, table: Table, old: str, new: str) -> None:
    """``RENAME COLUMN``: the column and every key, index and foreign key that names it."""
    column = table.columns.pop(fold(old), None)
    if column is None:
        return
    column.name = new
    table.add_column(column)

    def renamed(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if fold(c) == fold(old) else c for c in columns)

    table.primary_key = renamed(table.primary_key)
    table.unique_keys = [renamed(key) for key in table.unique_keys]
    table.key_names = {n: renamed(key) for n, key in table.key_names.items()}
    for index in table.indexes:
        index.columns = renamed(index.columns)
    for fk in table.foreign_keys:
        fk.columns = renamed(fk.columns)
    for other in schema:
        for fk in other.foreign_keys:
            if schema.table(fk.ref_table) is table:
                fk.ref_columns = renamed(fk.ref_columns)


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
