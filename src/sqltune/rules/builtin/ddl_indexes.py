"""Physical-design rules about indexes: unindexed foreign keys, redundant indexes, too many indexes.

An index here is anything that builds one: ``CREATE INDEX``, MySQL's inline ``KEY``, and the indexes that
PRIMARY KEY and UNIQUE constraints create implicitly. Dialects without secondary indexes (Snowflake,
BigQuery, Redshift, ...) are skipped: their keys are informational and build nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, SchemaContext, StatementContext, Violation
from sqltune.rules.builtin.ddl_keys import FK_AUTO_INDEXED, KEYS_NOT_ENFORCED, column_anchor, created_table
from sqltune.schema import ForeignKey, Index, Table, fold

__all__ = ["MAX_INDEXES", "ForeignKeyWithoutIndex", "RedundantIndex", "TooManyIndexes", "table_indexes"]

#: More indexes than this on one table is reported by SQ107.
MAX_INDEXES = 8

#: Index methods whose leading columns serve an equality lookup on those columns.
_LOOKUP_METHODS = frozenset({"btree", "hash", ""})


def table_indexes(table: Table) -> list[Index]:
    """Every valid index of ``table``: declared ones, then those its PRIMARY KEY and UNIQUE constraints build.

    Unlike ``Table.effective_indexes()``, a constraint's index is kept when a ``CREATE INDEX`` of the linted
    DDL has the same columns: the constraint still builds its own. Only an index read from a live database
    (no ``origin``), unique and on the same columns, is taken to be the constraint's own index.

    >>> from sqltune.schema import Schema
    >>> t = Schema.from_ddl("CREATE TABLE t (a int PRIMARY KEY, b int UNIQUE); CREATE INDEX t_b ON t (b)").table("t")
    >>> [(i.name, i.columns, i.unique) for i in table_indexes(t)]
    [('t_b', ('b',), False), ('t_pkey', ('a',), True), ('t_b_key', ('b',), True)]
    """
    indexes = [index for index in table.indexes if index.valid]
    unique_keys = {index.key for index in indexes if index.unique and index.where is None and index.origin is None}
    implicit = [(table.primary_key, True), *((key, False) for key in table.unique_keys)]
    for columns, primary in implicit:
        key = tuple(fold(c) for c in columns)
        if key and key not in unique_keys:
            suffix = "pkey" if primary else "_".join(key) + "_key"
            indexes.append(Index(f"{table.name}_{suffix}", table.qualified_name, columns, True, primary))
            unique_keys.add(key)
    return indexes


def _normal(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip().lower()


def _serves(index: Index, fk: ForeignKey) -> bool:
    """Can a lookup by all the foreign key's columns use ``index``? Its leading columns must be exactly them
    (in any order), and a partial index only counts when its predicate is ``<fk column> IS NOT NULL``, which
    every lookup by value implies."""
    wanted = {fold(c) for c in fk.columns}
    if index.method.lower() not in _LOOKUP_METHODS or len(index.key) < len(wanted):
        return False
    if index.method.lower() == "hash" and len(index.key) != 1:
        return False
    if set(index.key[: len(wanted)]) != wanted:
        return False
    if index.where is None:
        return True
    return _normal(index.where) in {f"{column} is not null" for column in wanted}


class ForeignKeyWithoutIndex(Rule):
    """SQ105: foreign-key columns that no index leads with (PRIMARY KEY and UNIQUE constraints count).

    MySQL and DuckDB index foreign keys themselves, and warehouses have no indexes: those dialects are skipped.
    """

    code = "SQ105"
    node_types = (exp.Create,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if ctx.dialect in FK_AUTO_INDEXED or ctx.dialect in KEYS_NOT_ENFORCED:
            return
        found = created_table(node, ctx)
        if found is None:
            return
        table, columns = found
        indexes = table_indexes(table)
        for fk in table.foreign_keys:
            if not fk.columns or any(_serves(index, fk) for index in indexes):
                continue
            names = ", ".join(fk.columns)
            yield Violation(
                f"foreign key `{table.name}({names})` → `{fk.ref_table}` has no index leading with ({names}): "
                f"every DELETE or key UPDATE on `{fk.ref_table}` scans `{table.name}` (holding locks meanwhile) "
                f"and joins from `{fk.ref_table}` cannot use an index; CREATE INDEX ON {table.qualified_name} "
                f"({names})",
                column_anchor(columns, fk.columns[0]),
            )


def _describe(index: Index) -> str:
    if index.primary:
        kind = "primary key"
    elif index.origin is None and index.unique:
        kind = "unique constraint"
    else:
        kind = "unique index" if index.unique else "index"
    return f"{kind} `{index.name}` ({', '.join(index.columns)})"


def _covered_by(index: Index, position: int, indexes: list[Index]) -> Index | None:
    """The index that makes ``index`` redundant, if any (see :class:`RedundantIndex`)."""
    if index.primary:
        return None
    for other_position, other in enumerate(indexes):
        if other is index or other.method != index.method or _normal(other.where) != _normal(index.where):
            continue
        covered_include = {fold(c) for c in index.include} <= {*other.key, *(fold(c) for c in other.include)}
        if not covered_include:
            continue
        if other.key == index.key:
            if index.unique and not other.unique:
                continue  # the unique one enforces something; the plain one is the redundant one
            if index.unique == other.unique and not other.primary and other_position > position:
                continue  # of two equal indexes, report the later one
            return other
        is_prefix = len(other.key) > len(index.key) and other.key[: len(index.key)] == index.key
        if is_prefix and not index.unique and index.method == "btree":
            return other
    return None


class RedundantIndex(Rule):
    """SQ106: an index that another index of the same table makes useless.

    Redundant: the same columns, or a left prefix of a longer B-tree index's columns, with the same method and
    the same partial-index predicate, its INCLUDE columns available in the other. A unique index is never
    redundant to a non-unique one (it enforces a constraint), and a shorter unique index is never redundant
    to a longer one (uniqueness on fewer columns is a stronger constraint).
    """

    code = "SQ106"

    def check_schema(self, ctx: SchemaContext) -> Iterator[Violation]:
        if ctx.dialect in KEYS_NOT_ENFORCED:
            return
        for table in ctx.defined:
            indexes = table_indexes(table)
            for position, index in enumerate(indexes):
                cover = _covered_by(index, position, indexes)
                if cover is None:
                    continue
                how = "duplicates" if cover.key == index.key else "is a left prefix of"
                yield Violation(
                    f"{_describe(index)} on `{table.name}` is redundant: it {how} {_describe(cover)}, which serves "
                    "the same lookups; dropping it saves a write per row change and its disk and cache space",
                    span=index.origin or table.origin,
                )


class TooManyIndexes(Rule):
    """SQ107: more than :data:`MAX_INDEXES` indexes on one table (implicit key indexes included)."""

    code = "SQ107"

    def check_schema(self, ctx: SchemaContext) -> Iterator[Violation]:
        if ctx.dialect in KEYS_NOT_ENFORCED:
            return
        for table in ctx.defined:
            indexes = table_indexes(table)
            if len(indexes) > MAX_INDEXES:
                names = ", ".join(index.name for index in indexes)
                yield Violation(
                    f"table `{table.qualified_name}` has {len(indexes)} indexes ({names}): every INSERT, DELETE and "
                    "indexed UPDATE writes to all of them (and PostgreSQL's HOT updates stop working); drop the "
                    f"unused or redundant ones, aiming for at most {MAX_INDEXES}",
                    span=table.origin,
                )


RULES: list[type[Rule]] = [ForeignKeyWithoutIndex, RedundantIndex, TooManyIndexes]
