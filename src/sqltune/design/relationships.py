"""Relationships between tables: which rows point at one row of another table (many-to-one).

Three sources, strongest first, merged per (child columns, parent columns):

- **declared**: foreign keys of the schema (confidence 1.0);
- **workload**: equi-join predicates of the workload's templates (each template's QueryGraph), oriented
  towards the side whose columns are a unique NOT NULL key; the heavier the joins, the more confident;
- **names**: a column named like another table's single-column key once the table prefixes are stripped
  (``o_custkey`` and ``c_custkey``, ``orders.customer_id`` and ``customers.id``), of a compatible type.

With a connection (:class:`~sqltune.design.ports.DesignConnection`) an inferred relationship is checked on
a sample of the data, read-only and under a timeout: the share of sampled child values found in the parent
(inclusion) and whether the parent's columns are unique. A failed check drops the relationship; a check
that timed out leaves it unchecked. Joins between two non-unique sides are kept as many-to-many pairs: a
bridge is their dimensional answer.

>>> from sqltune.schema import Schema
>>> schema = Schema.from_ddl(
...     "CREATE TABLE customer (c_custkey int PRIMARY KEY, c_name text);"
...     "CREATE TABLE orders (o_orderkey int PRIMARY KEY, o_custkey int NOT NULL)")
>>> [str(r) for r in find_relationships(schema)]
['orders(o_custkey) -> customer(c_custkey) [names 0.50]']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqltune.design.ports import DesignConnection
from sqltune.graph.predicates import unique_not_null, unique_not_null_keys
from sqltune.schema import Schema, Table, fold
from sqltune.workload import Template, UsageStats, Workload

__all__ = ["SAMPLE_ROWS", "Relationship", "Relationships", "find_relationships", "quote_identifier", "template_name"]

#: Rows of the child sampled for an inclusion check, and rows of the parent read for a uniqueness check.
SAMPLE_ROWS = 10_000
#: Share of sampled child values that must be found in the parent.
INCLUSION = 0.99
_KEY_SUFFIX = re.compile(r"(_?id|key|_?code|_?no|_?num)$")


@dataclass(slots=True)
class Relationship:
    """``child.child_columns`` reference ``parent.parent_columns`` (a unique key): many child rows, one parent."""

    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    origin: str  # "declared", "workload", "names"
    confidence: float
    evidence: list[str] = field(default_factory=list)
    calls: int = 0  # workload calls of the templates that join along it
    templates: list[str] = field(default_factory=list)  # their locations (or fingerprints)
    checked: str | None = None  # what the data said, with a connection

    @property
    def key(self) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
        return self.child, self.child_columns, self.parent, self.parent_columns

    def __str__(self) -> str:
        return (
            f"{self.child}({', '.join(self.child_columns)}) -> {self.parent}({', '.join(self.parent_columns)})"
            f" [{self.origin} {self.confidence:.2f}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "child": self.child,
            "child_columns": list(self.child_columns),
            "parent": self.parent,
            "parent_columns": list(self.parent_columns),
            "origin": self.origin,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
            "calls": self.calls,
            "templates": self.templates,
            "checked": self.checked,
        }


@dataclass(slots=True)
class Relationships:
    """Many-to-one relationships, and the many-to-many join pairs the workload uses."""

    many_to_one: list[Relationship] = field(default_factory=list)
    many_to_many: list[Relationship] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.many_to_one)

    def from_table(self, child: str) -> list[Relationship]:
        return [r for r in self.many_to_one if r.child == fold(child)]

    def to_table(self, parent: str) -> list[Relationship]:
        return [r for r in self.many_to_one if r.parent == fold(parent)]

    def between(self, child: str, parent: str) -> Relationship | None:
        return next((r for r in self.many_to_one if r.child == fold(child) and r.parent == fold(parent)), None)


def find_relationships(
    schema: Schema,
    workload: Workload | None = None,
    connection: DesignConnection | None = None,
    *,
    usage: UsageStats | None = None,
    sample_rows: int = SAMPLE_ROWS,
    timeout: str = "5s",
) -> Relationships:
    """Declared, workload-inferred and name-inferred relationships (see the module documentation);
    ``usage`` is the workload's usage statistics when the caller has them already."""
    found: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], Relationship] = {}
    many: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], Relationship] = {}
    for relationship in _declared(schema):
        found.setdefault(relationship.key, relationship)
    if workload is not None:
        usage = usage if usage is not None else workload.usage(schema)
        for relationship, is_many in _from_workload(schema, workload, usage):
            target = many if is_many else found
            known = target.get(relationship.key)
            if known is None:
                target[relationship.key] = relationship
            else:
                known.calls += relationship.calls
                known.templates += [t for t in relationship.templates if t not in known.templates]
                if known.origin == "workload":
                    known.confidence = _workload_confidence(known.calls)
    for relationship in _by_name(schema):
        if not any(
            r.child == relationship.child and r.child_columns == relationship.child_columns for r in found.values()
        ):
            found.setdefault(relationship.key, relationship)
    for relationship in found.values():
        if relationship.calls and relationship.origin != "workload":
            relationship.evidence.append(f"joined by {len(relationship.templates)} workload templates")
    kept = list(found.values())
    # Two tables joined on columns that both reference one parent (customer and supplier on their nation) share
    # a dimension; that is no many-to-many relationship.
    referencing = {(r.child, r.child_columns) for r in kept}
    many = {
        k: r for k, r in many.items() if not {(r.child, r.child_columns), (r.parent, r.parent_columns)} <= referencing
    }
    if connection is not None:
        kept = [r for r in kept if r.origin == "declared" or _check(connection, schema, r, sample_rows, timeout)]
    kept.sort(key=lambda r: (r.child, r.parent, r.child_columns))
    return Relationships(kept, sorted(many.values(), key=lambda r: (r.child, r.parent)))


def _declared(schema: Schema) -> Iterable[Relationship]:
    for table in schema:
        for foreign_key in table.foreign_keys:
            parent = schema.table(foreign_key.ref_table)
            if parent is None:
                continue
            columns = foreign_key.ref_columns or parent.primary_key
            yield Relationship(
                fold(table.name),
                tuple(fold(c) for c in foreign_key.columns),
                fold(parent.name),
                tuple(fold(c) for c in columns),
                "declared",
                1.0,
                [f"foreign key {foreign_key.name or ''}".rstrip()],
            )


def _workload_confidence(calls: int) -> float:
    return min(0.9, 0.6 + 0.05 * calls)


def _from_workload(schema: Schema, workload: Workload, usage: UsageStats) -> Iterable[tuple[Relationship, bool]]:
    """(relationship, many-to-many?) for each pair of tables a template equi-joins, once per template."""
    calls = {t.fingerprint: (t.calls, template_name(t)) for t in workload.templates}
    for fingerprint, graph in usage.graphs.items():
        seen: set[tuple[Any, ...]] = set()
        for join in graph.joins:
            pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for left, right in join.equi:
                if left.table is None or right.table is None or left.relation == right.relation:
                    continue
                pairs.setdefault((fold(left.table), fold(right.table)), []).append(
                    (fold(left.column), fold(right.column))
                )
            for (left_table, right_table), listed in pairs.items():
                columns = sorted(set(listed))  # one order for one key, however the query spelled it
                left_cols = tuple(c for c, _ in columns)
                right_cols = tuple(c for _, c in columns)
                oriented = _orient(schema, left_table, left_cols, right_table, right_cols)
                if oriented is None:
                    continue
                relationship, is_many = oriented
                if (relationship.key, is_many) in seen:
                    continue
                seen.add((relationship.key, is_many))
                count, where = calls.get(fingerprint, (1, fingerprint[:12]))
                relationship.calls = count
                relationship.templates = [where]
                relationship.confidence = _workload_confidence(count)
                yield relationship, is_many


def template_name(template: Template) -> str:
    """How evidence names a template: its file name when it has one, else its fingerprint's start."""
    location = template.location.split(":")[0] if template.location else ""
    return location.rsplit("/", 1)[-1] or template.fingerprint[:12]


def _orient(
    schema: Schema, left: str, left_cols: tuple[str, ...], right: str, right_cols: tuple[str, ...]
) -> tuple[Relationship, bool] | None:
    left_table, right_table = schema.table(left), schema.table(right)
    if left_table is None or right_table is None or left == right:
        return None
    left_unique = unique_not_null(left_table, left_cols)
    right_unique = unique_not_null(right_table, right_cols)
    evidence = ["equi-join in the workload"]
    if right_unique and not left_unique:
        return Relationship(
            left,
            left_cols,
            right,
            right_cols,
            "workload",
            0.6,
            [*evidence, f"{right}({', '.join(right_cols)}) is a key"],
        ), False
    if left_unique and not right_unique:
        return Relationship(
            right, right_cols, left, left_cols, "workload", 0.6, [*evidence, f"{left}({', '.join(left_cols)}) is a key"]
        ), False
    if not left_unique and not right_unique:
        return Relationship(
            left, left_cols, right, right_cols, "workload", 0.5, [*evidence, "neither side is a key"]
        ), True
    return None  # one-to-one: both sides keys; a dimension's own split, not a star relationship


def _stem(column: str, table: Table) -> str:
    """A column's name without its table prefix (``o_custkey`` -> ``custkey``, ``customer_id`` stays)."""
    name = fold(column)
    prefix = re.match(r"^([a-z]{1,3})_", name)
    return name[len(prefix.group(0)) :] if prefix else name


def _by_name(schema: Schema) -> Iterable[Relationship]:
    keys: dict[str, tuple[Table, str]] = {}
    for table in schema:
        for key in unique_not_null_keys(table):
            if len(key) == 1 and _KEY_SUFFIX.search(fold(key[0])):
                stem = _stem(key[0], table)
                if stem in ("id", "key"):
                    stem = f"{fold(table.name).rstrip('s')}_{stem}"
                keys.setdefault(stem, (table, fold(key[0])))
    for table in schema:
        own = {fold(c) for key in unique_not_null_keys(table) for c in key if len(key) == 1}
        for name, column in table.columns.items():
            if name in own:
                continue
            target = keys.get(_stem(name, table))
            if target is None or target[0] is table:
                continue
            parent, parent_column = target
            if not _compatible(column.type, parent.columns[parent_column].type):
                continue
            yield Relationship(
                fold(table.name),
                (name,),
                fold(parent.name),
                (parent_column,),
                "names",
                0.5,
                [f"{name} is named after {fold(parent.name)}'s key {parent_column}"],
            )


def _compatible(one: str, other: str) -> bool:
    def family(t: str) -> str:
        t = t.upper()
        if any(k in t for k in ("INT", "SERIAL")):
            return "int"
        if any(k in t for k in ("CHAR", "TEXT", "STRING")):
            return "text"
        return t.split("(")[0]

    return not one or not other or family(one) == family(other)


def _check(connection: DesignConnection, schema: Schema, r: Relationship, sample_rows: int, timeout: str) -> bool:
    """Sampled inclusion and parent uniqueness; True when the data agrees or could not answer in time."""
    child, parent = schema.table(r.child), schema.table(r.parent)
    if child is None or parent is None:
        return False
    c_cols = ", ".join(quote_identifier(c) for c in r.child_columns)
    p_cols = ", ".join(quote_identifier(c) for c in r.parent_columns)
    on = " AND ".join(
        f"c.{quote_identifier(a)} = p.{quote_identifier(b)}"
        for a, b in zip(r.child_columns, r.parent_columns, strict=True)
    )
    not_null = " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in r.child_columns)
    parent_name = quote_identifier(parent.qualified_name, True)
    inclusion = (
        f"SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {parent_name} p"
        f" WHERE {on})) FROM (SELECT {c_cols} FROM {quote_identifier(child.qualified_name, True)} WHERE {not_null}"
        f" LIMIT {int(sample_rows)}) c"
    )
    unique = (
        f"SELECT count(*), count(DISTINCT ({p_cols})) FROM (SELECT {p_cols} FROM"
        f" {quote_identifier(parent.qualified_name, True)} LIMIT {int(sample_rows) * 10}) p"
    )
    try:
        ((sampled, matched),) = _rows(connection.query(inclusion, timeout=timeout))
        ((rows, distinct),) = _rows(connection.query(unique, timeout=timeout))
    except Exception as error:
        r.checked = f"not checked: {str(error).splitlines()[0][:120]}"
        return True
    share = matched / sampled if sampled else 1.0
    r.checked = f"{matched}/{sampled} sampled values found in {r.parent}; {distinct}/{rows} parent rows distinct"
    if share < INCLUSION or distinct < rows:
        return False
    r.evidence.append(r.checked)
    r.confidence = min(0.95, r.confidence + 0.3)
    return True


def _rows(rows: Sequence[Sequence[Any]]) -> list[tuple[int, int]]:
    return [(int(row[0]), int(row[1])) for row in rows]


def quote_identifier(name: str, qualified: bool = False) -> str:
    """A double-quoted identifier (``qualified``: each dotted part quoted)."""
    parts = name.split(".") if qualified else [name]
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)
