"""Logical-design rules over whole tables: entity-attribute-value tables and cloned ("tribble") tables.

Both judge the shape of the tables the linted files define, after every ALTER, so they run once per lint in
``check_schema`` and report at the ``CREATE TABLE`` statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqltune.rules.base import Rule, SchemaContext, Violation
from sqltune.rules.builtin.ddl_keys import name_words
from sqltune.schema import Column, Table, fold

__all__ = ["ClonedTables", "EntityAttributeValue", "eav_shape", "table_stem"]

# -- SQ104 ------------------------------------------------------------------------------------------------

_ENTITY_NAMES = frozenset({"entity", "entity_id", "object_id", "obj_id", "owner_id", "record_id", "subject_id"})
_ATTRIBUTE_NAMES = frozenset(
    {
        "attr",
        "attr_id",
        "attr_key",
        "attr_name",
        "attribute",
        "attribute_id",
        "attribute_key",
        "attribute_name",
        "field",
        "field_name",
        "key",
        "meta_key",
        "name",
        "param",
        "param_name",
        "parameter",
        "prop",
        "prop_name",
        "property",
        "property_name",
    }
)
_AUDIT_WORDS = frozenset({"created", "updated", "modified", "deleted", "version"})
#: Types a value column of any attribute could be stored in.
_GENERIC_TYPE_WORDS = ("CHAR", "TEXT", "STRING", "CLOB", "JSON", "VARIANT", "SQL_VARIANT", "BLOB", "BYTEA", "ANY")
#: Columns besides id, entity, attribute, values and audit columns that an EAV table may still have.
MAX_OTHER_COLUMNS = 2


def _is_value_name(name: str) -> bool:
    key = fold(name)
    words = name_words(name)
    return key in {"value", "val"} or (bool(words) and (words[0] == "value" or words[-1] in {"value", "val"}))


def _is_generic_type(column: Column) -> bool:
    text = column.type.upper()
    return not text or any(word in text for word in _GENERIC_TYPE_WORDS)


@dataclass(frozen=True, slots=True)
class EavShape:
    entity: str
    attribute: str
    values: tuple[str, ...]


def eav_shape(table: Table) -> EavShape | None:
    """The entity, attribute and value columns of a table shaped like entity-attribute-value, or ``None``.

    >>> from sqltune.schema import Schema
    >>> eav = Schema.from_ddl("CREATE TABLE p (entity_id int, attribute text, value text)").table("p")
    >>> eav_shape(eav)
    EavShape(entity='entity_id', attribute='attribute', values=('value',))
    >>> eav_shape(Schema.from_ddl("CREATE TABLE t (id int, order_id int, name text, price numeric)").table("t"))
    """
    columns = list(table.columns.values())
    attribute = next((c for c in columns if fold(c.name) in _ATTRIBUTE_NAMES), None)
    values = [c for c in columns if _is_value_name(c.name) and c is not attribute]
    if attribute is None or not values:
        return None
    if len(values) < 2 and not _is_generic_type(values[0]):
        return None  # one typed value column (price numeric) is an ordinary attribute of the row
    if fold(attribute.name) == "name" and not any(fold(v.name) in {"value", "val"} for v in values):
        return None  # "name" is only an attribute name beside a column called plain "value"
    primary = {fold(c) for c in table.primary_key}
    entity = next(
        (
            c
            for c in columns
            if c is not attribute
            and (fold(c.name) in _ENTITY_NAMES or fold(c.name).endswith("_id"))
            and not (len(primary) == 1 and fold(c.name) in primary)
        ),
        None,
    )
    if entity is None:
        return None
    used = {fold(c.name) for c in (attribute, entity, *values)} | (primary if len(primary) == 1 else set())
    others = [
        c
        for c in columns
        if fold(c.name) not in used and fold(c.name) != "id" and not (_AUDIT_WORDS & set(name_words(c.name)))
    ]
    if len(others) > MAX_OTHER_COLUMNS:
        return None
    return EavShape(entity.name, attribute.name, tuple(v.name for v in values))


class EntityAttributeValue(Rule):
    """SQ104: a table shaped like entity-attribute-value: an entity reference, an attribute-name column and
    generic value column(s), with few other columns."""

    code = "SQ104"

    def check_schema(self, ctx: SchemaContext) -> Iterator[Violation]:
        for table in ctx.defined:
            shape = eav_shape(table)
            if shape is None:
                continue
            values = ", ".join(shape.values)
            yield Violation(
                f"table `{table.qualified_name}` is shaped like entity-attribute-value ({shape.entity}, "
                f"{shape.attribute}, {values}): every attribute read is a self-join or pivot, values have no real "
                "type, NOT NULL or foreign key, and the planner cannot estimate them; model attributes as columns "
                "(or a JSON column for truly sparse, unqueried ones)",
                span=table.origin,
            )


# -- SQ115 ------------------------------------------------------------------------------------------------

_SUFFIX = re.compile(
    r"^(?P<stem>[a-z][a-z0-9_]*?[a-z])_?"
    r"(?P<suffix>(?:[ypq]|fy)?\d{2,8}(?:_?(?:[qmwh]|p)?\d{1,2})*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"(?:_?\d{2,4})?)$"
)
#: How many tables with one stem and the same columns make a cloned family.
MIN_CLONES = 2


def table_stem(name: str) -> tuple[str, str] | None:
    """A table name's stem and its numeric or date suffix, if it has one.

    >>> table_stem("sales_2021"), table_stem("log_01"), table_stem("orders2023_q1"), table_stem("sales")
    (('sales', '2021'), ('log', '01'), ('orders', '2023_q1'), None)
    >>> table_stem("ipv4_ranges"), table_stem("address2")
    (None, None)
    """
    match = _SUFFIX.match(fold(name).rsplit(".", 1)[-1])
    return (match.group("stem"), match.group("suffix")) if match else None


def _signature(table: Table) -> tuple[tuple[str, str], ...]:
    return tuple((key, column.type.upper()) for key, column in table.columns.items())


class ClonedTables(Rule):
    """SQ115: several tables with one stem, a numeric/date suffix each, and the same columns.

    Reported once per family, at its first table. Partitions (``PARTITION OF``, ``INHERITS``) carry no
    column list of their own and are not counted: declarative partitioning is the cure, not the problem.
    """

    code = "SQ115"

    def check_schema(self, ctx: SchemaContext) -> Iterator[Violation]:
        families: dict[tuple[str | None, str, tuple[tuple[str, str], ...]], list[Table]] = {}
        for table in ctx.defined:
            parts = table_stem(table.name)
            if parts is None or not table.columns:
                continue
            key = (fold(table.namespace or ""), parts[0], _signature(table))
            families.setdefault(key, []).append(table)
        for (_, stem, _), tables in families.items():
            if len(tables) < MIN_CLONES:
                continue
            names = ", ".join(f"`{t.name}`" for t in tables[:6]) + (", ..." if len(tables) > 6 else "")
            yield Violation(
                f"{len(tables)} tables with the same columns differ only by a suffix ({names}): every query across "
                f"them needs a UNION, and a new period needs new DDL; use one `{stem}` table with the suffix as a "
                "column, partitioned by it if it is large",
                span=tables[0].origin,
            )


RULES: list[type[Rule]] = [EntityAttributeValue, ClonedTables]
