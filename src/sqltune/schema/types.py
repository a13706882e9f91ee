"""Column types as sqltune compares them: one spelling per type, whatever the DDL or catalog wrote."""

from __future__ import annotations

from sqltune.core.sqlglot import exp

__all__ = ["normalise_type"]


def normalise_type(type_sql: str, dialect: str | None = None) -> str:
    """``"varchar(10)"`` -> ``"VARCHAR(10)"``; types sqlglot does not know are kept as written, upper-cased."""
    try:
        return str(exp.DataType.build(type_sql, dialect=dialect).sql())
    except Exception:  # sqlglot raises several error types for unknown types; keep the user's spelling
        return type_sql.strip().upper()
