"""Design rules about keys: missing primary keys, undeclared foreign keys, generic key names, self-references.

These rules judge a ``CREATE TABLE`` statement against the *finished* schema: the engine applies every
``ALTER TABLE ... ADD CONSTRAINT`` and ``CREATE INDEX`` of the linted files before it visits any statement,
so a key added later in a migration counts. They are ``visit`` hooks on :class:`exp.Create` (rather than
``check_schema``) so that the caret points at the offending column, not at the word ``CREATE``.

The helpers at the top (name splitting, dialect families, finding the table a ``CREATE`` defined) are shared
by the other ``ddl_*`` rule modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqltune.core.sqlglot import exp
from sqltune.graph.predicates import unique_not_null_keys
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.schema import Schema, Table, apply_ddl, fold

__all__ = [
    "FK_AUTO_INDEXED",
    "KEYS_NOT_ENFORCED",
    "AdjacencyList",
    "GenericPrimaryKey",
    "MissingForeignKey",
    "NoPrimaryKey",
    "column_anchor",
    "column_def",
    "created_table",
    "name_words",
    "referenced_table",
    "singular",
    "table_anchor",
]

#: Dialects whose PRIMARY KEY / FOREIGN KEY constraints are informational (not enforced) and which have no
#: B-tree indexes: a missing key or index there is not the problem it is in an OLTP database.
KEYS_NOT_ENFORCED = frozenset(
    {
        "athena",
        "bigquery",
        "clickhouse",
        "databricks",
        "dremio",
        "drill",
        "druid",
        "hive",
        "presto",
        "redshift",
        "snowflake",
        "spark",
        "spark2",
        "trino",
    }
)

#: Dialects that create an index on foreign-key columns by themselves (InnoDB requires one; DuckDB builds
#: an ART index for every key constraint).
FK_AUTO_INDEXED = frozenset({"doris", "duckdb", "mysql", "singlestore", "starrocks"})

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_words(name: str) -> tuple[str, ...]:
    """The lower-case words of an identifier, split at underscores and camel case.

    >>> name_words("unitPrice_USD")
    ('unit', 'price', 'usd')
    >>> name_words("customerID")
    ('customer', 'id')
    """
    return tuple(word.lower() for word in _WORD.findall(name.strip('"`[]')))


def singular(name: str) -> str:
    """A table name's singular, by the common English endings only (good enough to match ``<table>_id``).

    >>> singular("categories"), singular("customers"), singular("addresses"), singular("status")
    ('category', 'customer', 'address', 'status')
    """
    word = fold(name)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def created_table(node: exp.Expression, ctx: StatementContext) -> tuple[Table, exp.Schema] | None:
    """The schema table this ``CREATE TABLE (...)`` statement defined, and its column list node.

    The table is the one this statement created *in its final state* (after every later ALTER, rename and
    index of the run); ``None`` for other statements and for a table a later ``DROP TABLE`` removed. When
    another ``CREATE`` of the same name replaced this one in the schema (a migration that recreates a table,
    or two linted schemas that both have a ``customer``), the table is read from this statement alone.
    """
    if not isinstance(node, exp.Create) or str(node.args.get("kind") or "").upper() != "TABLE":
        return None
    target = node.this
    if not isinstance(target, exp.Schema) or not isinstance(target.this, exp.Table):
        return None
    span = ctx.statement.span
    known, table = ctx.schema.defined_at(span.path, span.start) if ctx.schema else (False, None)
    if known and table is None:
        return None  # dropped by a later statement of the run: there is nothing left to judge
    if table is None:
        alone = apply_ddl(Schema(), ctx.statement, ctx.dialect)
        if not isinstance(alone, Table):
            return None
        table = alone
    return table, target


def column_def(columns: exp.Schema, name: str) -> exp.ColumnDef | None:
    """The definition of column ``name`` in a ``CREATE TABLE`` column list."""
    wanted = fold(name)
    for node in columns.expressions:
        if isinstance(node, exp.ColumnDef) and fold(node.name) == wanted:
            return node
    return None


def referenced_table(table: Table, ref_table: str, schema: Schema) -> Table | None:
    """The table a foreign key of ``table`` points to, resolved like the database would: unqualified names
    are looked up in the referencing table's namespace first."""
    if "." not in ref_table and table.namespace:
        found = schema.table(f"{table.namespace}.{ref_table}")
        if found is not None:
            return found
    return schema.table(ref_table)


def _is_temporary_or_external(create: exp.Create) -> bool:
    properties = create.args.get("properties")
    if not isinstance(properties, exp.Properties):
        return False
    return any(
        isinstance(prop, exp.TemporaryProperty | exp.ExternalProperty | exp.PartitionedOfProperty)
        for prop in properties.expressions
    )


def table_anchor(columns: exp.Schema) -> exp.Expression:
    """The node a table-level finding points at: the table's name."""
    return columns.this if isinstance(columns.this, exp.Expression) else columns


def column_anchor(columns: exp.Schema, name: str) -> exp.Expression:
    """The node a column finding points at: the column's name in its definition, else the table's name."""
    definition = column_def(columns, name)
    return definition.this if definition is not None else table_anchor(columns)


def _not_null_key(table: Table) -> tuple[str, ...] | None:
    """A unique NOT NULL key of a table without a primary key (one could be declared PRIMARY KEY)."""
    keys = unique_not_null_keys(table)
    return keys[0] if keys else None


class NoPrimaryKey(Rule):
    """SQ101: a table (after every ALTER in the linted files) without a PRIMARY KEY.

    Temporary, external and partition-child tables, tables whose columns are unknown (``CREATE TABLE AS``)
    and dialects whose keys are informational only are left alone.
    """

    code = "SQ101"
    node_types = (exp.Create,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        found = created_table(node, ctx)
        if found is None or ctx.dialect in KEYS_NOT_ENFORCED:
            return
        table, columns = found
        assert isinstance(node, exp.Create)
        if table.primary_key or not table.columns or _is_temporary_or_external(node):
            return
        key = _not_null_key(table)
        if key is not None:
            message = (
                f"table `{table.qualified_name}` has no primary key, though UNIQUE ({', '.join(key)}) on NOT NULL "
                "columns could be one; declare it PRIMARY KEY so replication, ORMs and CDC tools find the row "
                "identity"
            )
        else:
            message = (
                f"table `{table.qualified_name}` has no primary key: duplicate rows cannot be prevented or "
                "addressed one at a time, and logical replication, ORMs and CDC tools need one; declare PRIMARY "
                "KEY on the natural key, or add an identity column"
            )
        yield Violation(message, table_anchor(columns))


def _type_family(type_sql: str) -> str:
    """A coarse family of a column type, to tell a plausible reference from a coincidental name."""
    text = type_sql.upper()
    if not text:
        return ""
    if "UUID" in text or "UNIQUEIDENTIFIER" in text:
        return "uuid"
    if any(word in text for word in ("CHAR", "TEXT", "STRING", "CLOB")):
        return "text"
    if any(word in text for word in ("INT", "SERIAL", "NUMBER", "NUMERIC", "DECIMAL")):
        return "number"
    return text


def _stem_candidates(column: str) -> list[str]:
    """Table names a column called ``<stem>_id`` / ``<stem>id`` may refer to."""
    name = fold(column)
    if name.endswith("_id"):
        stem = name[:-3]
    elif name.endswith("id") and len(name) > 4 and not name.endswith("_id"):
        stem = name[:-2]
    else:
        return []
    stem = stem.rstrip("_")
    if not stem:
        return []
    candidates = [stem, stem + "s", stem + "es"]
    if stem.endswith("y"):
        candidates.append(stem[:-1] + "ies")
    return candidates


def _same_table(a: Table, b: Table) -> bool:
    return fold(a.qualified_name) == fold(b.qualified_name)


class MissingForeignKey(Rule):
    """SQ112: a ``<table>_id`` column whose table exists with a one-column primary key, but no FOREIGN KEY.

    The referenced table must be in the schema (the linted DDL or ``--schema``) with a key named ``id`` or
    ``..._id``; types of a different family (text vs. number vs. uuid), or a key named in another convention
    (TPC-H's ``c_custkey``), mean the name is a coincidence and stay silent.
    """

    code = "SQ112"
    node_types = (exp.Create,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        found = created_table(node, ctx)
        if found is None or ctx.dialect in KEYS_NOT_ENFORCED:
            return
        table, columns = found
        declared = {fold(c) for fk in table.foreign_keys for c in fk.columns}
        for key, column in table.columns.items():
            if key in declared:
                continue
            for candidate in _stem_candidates(column.name):
                target = referenced_table(table, candidate, ctx.schema)
                if target is None or _same_table(target, table) or len(target.primary_key) != 1:
                    continue
                if not fold(target.primary_key[0]).endswith("id"):
                    continue  # a key named in another convention (c_custkey) makes the name match a coincidence
                target_column = target.column(target.primary_key[0])
                family, target_family = (
                    _type_family(column.type),
                    _type_family(target_column.type if target_column else ""),
                )
                if family and target_family and family != target_family:
                    continue
                pk = target.primary_key[0]
                where = column_anchor(columns, column.name)
                yield Violation(
                    f"`{table.name}.{column.name}` looks like a reference to `{target.qualified_name}` (primary key "
                    f"`{pk}`) but no FOREIGN KEY is declared: orphan rows and type drift go unnoticed, and tools "
                    f"cannot see the relationship; add REFERENCES {target.qualified_name} ({pk})",
                    where,
                )
                break


class GenericPrimaryKey(Rule):
    """SQ113: a primary key named just ``id`` that other tables refer to as ``<table>_id``.

    Only a referenced ``id`` is reported (low noise): that is where one value carries two names, ``JOIN ...
    USING`` is impossible and ``a.id = b.id`` slips read right. A referencing column is a declared foreign
    key, or a column named ``<singular table name>_id``.
    """

    code = "SQ113"
    node_types = (exp.Create,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        found = created_table(node, ctx)
        if found is None:
            return
        table, columns = found
        if len(table.primary_key) != 1 or fold(table.primary_key[0]) != "id":
            return
        reference = self._reference(table, ctx.schema)
        if reference is None:
            return
        suggested = f"{singular(table.name)}_id"
        where = column_anchor(columns, "id")
        yield Violation(
            f"primary key `{table.name}.id` has a generic name while `{reference}` refers to it: one value goes by "
            f"two names, `JOIN ... USING` cannot be used and `a.id = b.id` mistakes look right; consider naming it "
            f"`{suggested}`",
            where,
        )

    @staticmethod
    def _reference(table: Table, schema: Schema) -> str | None:
        """A column of another table that refers to ``table.id``, as ``table.column``.

        References resolve through ``schema``, which must hold a table of this name keyed by ``id`` as well:
        when two linted files define different tables of one name, the other's references prove nothing.
        """
        current = schema.table(table.qualified_name)
        if current is None or tuple(map(fold, current.primary_key)) != ("id",):
            return None
        expected = f"{singular(table.name)}_id"
        for other in schema:
            if _same_table(other, table):
                continue
            for fk in other.foreign_keys:
                target = referenced_table(other, fk.ref_table, schema)
                if (
                    target is not None
                    and _same_table(target, table)
                    and tuple(map(fold, fk.ref_columns)) in {(), ("id",)}
                ):
                    return f"{other.name}.{fk.columns[0]}" if fk.columns else other.name
            column = other.column(expected)
            if column is not None:
                return f"{other.name}.{column.name}"
        return None


class AdjacencyList(Rule):
    """SQ114: a foreign key from a table to itself (``parent_id REFERENCES same_table``), i.e. a tree stored
    as an adjacency list."""

    code = "SQ114"
    node_types = (exp.Create,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        found = created_table(node, ctx)
        if found is None:
            return
        table, columns = found
        for fk in table.foreign_keys:
            target = referenced_table(table, fk.ref_table, ctx.schema)
            if target is None or not _same_table(target, table) or not fk.columns:
                continue
            if fk.ref_columns and tuple(map(fold, fk.ref_columns)) == tuple(map(fold, fk.columns)):
                continue  # a degenerate self-reference of a row to itself is no hierarchy
            names = ", ".join(fk.columns)
            where = column_anchor(columns, fk.columns[0])
            yield Violation(
                f"`{table.name}.{names}` references `{table.name}` itself (adjacency list): fetching a subtree, "
                "the path to the root or the depth needs a recursive CTE on every read; if the hierarchy is "
                "queried deeply, consider a closure table, a materialised path (ltree in PostgreSQL) or "
                "nested sets",
                where,
            )


RULES: list[type[Rule]] = [NoPrimaryKey, MissingForeignKey, GenericPrimaryKey, AdjacencyList]
