"""Schema and statistics: what sqltune knows about tables, keys, indexes and data distributions.

- :mod:`~sqltune.schema.model`: tables, columns, keys, indexes and their statistics;
- :mod:`~sqltune.schema.catalog`: :class:`Schema`, the tables by name, and its JSON form;
- :mod:`~sqltune.schema.ddl`: CREATE / ALTER / DROP statements applied to a schema;
- :mod:`~sqltune.schema.reflect`: tables reflected through SQLAlchemy;
- :mod:`~sqltune.schema.types`: one spelling per column type.
"""

from sqltune.schema.catalog import Schema, schema_from_ddl
from sqltune.schema.ddl import SchemaError, apply_ddl
from sqltune.schema.model import Column, ColumnStats, ForeignKey, Index, Table, TableStats, fold, fold_path
from sqltune.schema.types import normalise_type

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
    "fold_path",
    "normalise_type",
    "schema_from_ddl",
]
