"""Schema and statistics: what sqltune knows about tables, keys, indexes and data distributions."""

from sqltune.schema.ddl import SchemaError, apply_ddl, schema_from_ddl
from sqltune.schema.model import Column, ColumnStats, ForeignKey, Index, Schema, Table, TableStats, fold

__all__ = [
    "Column",
    "ColumnStats",
    "ForeignKey",
    "Index",
    "Schema",
    "SchemaError",
    "Table",
    "TableStats",
    "apply_ddl",
    "fold",
    "schema_from_ddl",
]
