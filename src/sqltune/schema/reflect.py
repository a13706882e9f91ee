"""A :class:`~sqltune.schema.model.Schema` reflected from a live database through SQLAlchemy.

SQLAlchemy is imported here only, and only when reflection is asked for: it brings no driver of its own
(the caller's engine does), and offline linting must not need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqltune.schema.model import Column, ForeignKey, Index, Table
from sqltune.schema.types import normalise_type

__all__ = ["reflect_tables"]


def reflect_tables(bind: Any, schemas: Iterable[str | None] = (None,)) -> list[Table]:
    """Tables, columns, primary/unique/foreign keys and indexes of ``bind`` (an Engine or Connection)."""
    try:
        from sqlalchemy import inspect
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise ImportError("reflection needs SQLAlchemy: pip install 'sqltune[postgres]'") from error

    inspector = inspect(bind)
    dialect = getattr(getattr(bind, "dialect", None), "name", None)
    result: list[Table] = []
    for namespace in schemas:
        for name in inspector.get_table_names(schema=namespace):
            table = Table(name, namespace)
            for info in inspector.get_columns(name, schema=namespace):
                type_sql = str(info["type"].compile(dialect=inspector.dialect))
                table.add_column(
                    Column(
                        info["name"],
                        normalise_type(type_sql, "postgres" if dialect == "postgresql" else dialect),
                        nullable=bool(info.get("nullable", True)),
                        default=None if info.get("default") is None else str(info["default"]),
                        identity=bool(info.get("identity")),
                    )
                )
            primary = inspector.get_pk_constraint(name, schema=namespace)
            table.primary_key = tuple(primary.get("constrained_columns") or ())
            table.unique_keys = [
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema=namespace)
            ]
            for fk in inspector.get_foreign_keys(name, schema=namespace):
                ref = fk["referred_table"]
                if fk.get("referred_schema"):
                    ref = f"{fk['referred_schema']}.{ref}"
                table.foreign_keys.append(
                    ForeignKey(tuple(fk["constrained_columns"]), ref, tuple(fk["referred_columns"]), fk.get("name"))
                )
            for info in inspector.get_indexes(name, schema=namespace):
                columns = tuple(
                    column if column is not None else expression
                    for column, expression in zip(
                        info["column_names"],
                        info.get("expressions") or [None] * len(info["column_names"]),
                        strict=False,
                    )
                )
                options = info.get("dialect_options", {})
                table.indexes.append(
                    Index(
                        name=info["name"] or "",
                        table=table.qualified_name,
                        columns=tuple(str(c) for c in columns),
                        unique=bool(info.get("unique")),
                        method=str(options.get("postgresql_using") or "btree"),
                        include=tuple(info.get("include_columns") or options.get("postgresql_include") or ()),
                        where=str(options["postgresql_where"]) if options.get("postgresql_where") is not None else None,
                    )
                )
            result.append(table)
    return result
