"""Conditions of an ADVISED rewrite that a machine can check, beside the sentence a person reads.

An advisory names what must hold for its change to keep the results ("``t.x`` is never NULL"). Where that is
a fact about the data or the server, the rewrite also states it as a :class:`Condition`, so that the verified
mode (:mod:`sqltune.rewrites.verifier`) can check it on the real database and, when today's data satisfies
it, name the constraint that would make it a proof:

- ``not_null`` -- no row of ``table`` has a NULL ``columns[0]``: ``ALTER TABLE t ALTER COLUMN x SET NOT NULL``;
- ``unique`` -- no two rows share non-NULL ``columns``: ``ALTER TABLE t ADD UNIQUE (k)``;
- ``foreign_key`` -- every non-NULL ``columns`` has a row of ``ref_table`` with those ``ref_columns``:
  ``ALTER TABLE o ADD FOREIGN KEY (c_id) REFERENCES c (id)``;
- ``server_version`` -- the server runs at least ``version`` (``server_version_num``, 120000 for 12);
- ``benefit`` -- not a condition on the results at all: the change is only worth making when measurement
  shows it faster on the data (CTE ``NOT MATERIALIZED``).

The checks are plain read-only queries whose one value is TRUE when the condition holds; names come from the
statement's own parsed table and column references, printed in its dialect (quoting kept).

>>> condition = not_null("t.x is never NULL", exp.to_table("t"), "x")
>>> condition.check_query()
'SELECT NOT EXISTS (SELECT 1 FROM t WHERE x IS NULL)'
>>> condition.proving_ddl()
'ALTER TABLE t ALTER COLUMN x SET NOT NULL'
>>> key = unique("(a, b) is unique in t", exp.to_table("s.t"), ["a", "b"])
>>> key.check_query()
'SELECT NOT EXISTS (SELECT 1 FROM s.t WHERE a IS NOT NULL AND b IS NOT NULL GROUP BY a, b HAVING COUNT(*) > 1)'
>>> key.proving_ddl()
'ALTER TABLE s.t ADD UNIQUE (a, b)'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqltune.core.predicates import strip_parens
from sqltune.core.sqlglot import exp
from sqltune.rewrites._analysis import Scope
from sqltune.rewrites.base import shown

__all__ = [
    "BENEFIT",
    "DATA_KINDS",
    "FOREIGN_KEY",
    "NOT_NULL",
    "SERVER_VERSION",
    "UNIQUE",
    "Condition",
    "benefit",
    "column_not_null",
    "foreign_key",
    "not_null",
    "server_version",
    "unique",
]

NOT_NULL = "not_null"
UNIQUE = "unique"
FOREIGN_KEY = "foreign_key"
SERVER_VERSION = "server_version"
BENEFIT = "benefit"

#: Facts about the rows: checked with a query, true today but only a constraint makes them a proof.
DATA_KINDS = frozenset({NOT_NULL, UNIQUE, FOREIGN_KEY})


@dataclass(frozen=True, slots=True)
class Condition:
    """One machine-checkable condition of an advisory; ``text`` is the sentence of ``conditions`` it states."""

    kind: str  # one of NOT_NULL, UNIQUE, FOREIGN_KEY, SERVER_VERSION, BENEFIT
    text: str
    table: str = ""  # the table as SQL in the statement's dialect
    columns: tuple[str, ...] = ()  # column names as SQL
    ref_table: str = ""  # foreign_key: the referenced table
    ref_columns: tuple[str, ...] = ()
    version: int = 0  # server_version: the least server_version_num

    @property
    def on_data(self) -> bool:
        """True for a fact about today's rows (a constraint would make it a proof)."""
        return self.kind in DATA_KINDS

    def check_query(self) -> str | None:
        """A read-only query returning one value, TRUE when the condition holds now (``None``: not a data fact).

        A key with a NULL part neither repeats nor misses a join partner, so NULLs are left out, as a UNIQUE or
        FOREIGN KEY constraint leaves them out.
        """
        columns = ", ".join(self.columns)
        present = " AND ".join(f"{column} IS NOT NULL" for column in self.columns)
        if self.kind == NOT_NULL:
            return f"SELECT NOT EXISTS (SELECT 1 FROM {self.table} WHERE {self.columns[0]} IS NULL)"
        if self.kind == UNIQUE:
            return (
                f"SELECT NOT EXISTS (SELECT 1 FROM {self.table} WHERE {present} GROUP BY {columns} HAVING COUNT(*) > 1)"
            )
        if self.kind == FOREIGN_KEY:
            child = " AND ".join(f"sqltune_child.{column} IS NOT NULL" for column in self.columns)
            match = " AND ".join(
                f"sqltune_parent.{ref} = sqltune_child.{column}"
                for column, ref in zip(self.columns, self.ref_columns, strict=True)
            )
            return (
                f"SELECT NOT EXISTS (SELECT 1 FROM {self.table} AS sqltune_child WHERE {child} AND NOT EXISTS "
                f"(SELECT 1 FROM {self.ref_table} AS sqltune_parent WHERE {match}))"
            )
        return None

    def proving_ddl(self) -> str | None:
        """The constraint that makes the condition a proof the schema can give (``None``: no constraint can)."""
        if self.kind == NOT_NULL:
            return f"ALTER TABLE {self.table} ALTER COLUMN {self.columns[0]} SET NOT NULL"
        if self.kind == UNIQUE:
            return f"ALTER TABLE {self.table} ADD UNIQUE ({', '.join(self.columns)})"
        if self.kind == FOREIGN_KEY:
            return (
                f"ALTER TABLE {self.table} ADD FOREIGN KEY ({', '.join(self.columns)}) "
                f"REFERENCES {self.ref_table} ({', '.join(self.ref_columns)})"
            )
        return None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "text": self.text}
        if self.table:
            data.update(table=self.table, columns=list(self.columns))
        if self.ref_table:
            data.update(ref_table=self.ref_table, ref_columns=list(self.ref_columns))
        if self.version:
            data["version"] = self.version
        return data


def _table(node: exp.Table) -> str:
    """The table as the statement names it, without its alias."""
    bare = exp.Table(this=node.this.copy(), db=node.args.get("db"), catalog=node.args.get("catalog"))
    return shown(bare)


def _names(columns: Iterable[str | exp.Identifier]) -> tuple[str, ...]:
    return tuple(shown(exp.to_identifier(column) if isinstance(column, str) else column) for column in columns)


def not_null(text: str, table: exp.Table, column: str | exp.Identifier) -> Condition:
    return Condition(NOT_NULL, text, _table(table), _names([column]))


def unique(text: str, table: exp.Table, columns: Sequence[str | exp.Identifier]) -> Condition:
    return Condition(UNIQUE, text, _table(table), _names(columns))


def foreign_key(
    text: str,
    table: exp.Table,
    columns: Sequence[str | exp.Identifier],
    ref_table: exp.Table,
    ref_columns: Sequence[str | exp.Identifier],
) -> Condition:
    return Condition(FOREIGN_KEY, text, _table(table), _names(columns), _table(ref_table), _names(ref_columns))


def server_version(text: str, version: int) -> Condition:
    return Condition(SERVER_VERSION, text, version=version)


def benefit(text: str) -> Condition:
    return Condition(BENEFIT, text)


def column_not_null(text: str, value: exp.Expression, scope: Scope) -> list[Condition]:
    """``value`` never NULL, as a check on its base table's column: one condition, or none when ``value`` is an
    expression or reads a CTE or derived table.

    A column without NULLs in its table has none in any subset of its rows, so checking the table suffices.
    """
    value = strip_parens(value)
    item = scope.resolve(value) if isinstance(value, exp.Column) else None
    if item is None or item.cte is not None or not isinstance(item.node, exp.Table):
        return []
    assert isinstance(value, exp.Column)
    return [not_null(text, item.node, value.this)]
