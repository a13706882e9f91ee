"""Representative values for the ``$n`` of a normalised statement, so that it is planned like a real run.

``pg_stat_statements`` replaces every constant by ``$n``. Planned generically, such a statement often fails
(``sum(CASE ... THEN $3 ELSE $4 END)`` resolves both to ``text``: ``sum(text)`` does not exist;
``generate_series($3, $4)`` has no type at all), and where it plans, its selectivities are the planner's
defaults rather than the data's. So each parameter gets a typed value from its context:

- compared with a column (``=``, ``<>``, ``LIKE``, ``IN``, ranges, ``BETWEEN``): a value of that column from
  ``pg_stats`` (its most common value for equality; for a range, histogram bounds 40% and 60% of the way,
  so ``col >= $1 AND col < $2`` keeps a fifth of the rows rather than none), typed as the column;
- cast (``$6::date``, which :func:`~sqltune.connectors.postgres.workload.plannable_text` makes of
  ``date $6``): a default of that type;
- compared for equality with something else (``substring(c) IN ($3, $4)``, a derived table's column): the
  string ``'1'`` sent as of unknown type, which the server reads as the other side's type;
- ``LIMIT``/``OFFSET``: 100 and 0; anywhere else: the integer 1 (arithmetic, ``CASE`` branches,
  ``substring`` positions), which the server widens as needed.

:func:`representative_params` reads the column types and statistics in the caller's transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqltune.core.sqlglot import ParseError, TokenError, exp, parse_one

__all__ = ["representative_params"]

# Where in a column's histogram a bound is taken, by the side of the range it closes.
_QUANTILE = {"low": 0.4, "high": 0.6, "eq": 0.5}
_MIRRORED = {"low": "high", "high": "low", "eq": "eq"}
_RANGES: dict[type[exp.Expression], str] = {exp.GT: "low", exp.GTE: "low", exp.LT: "high", exp.LTE: "high"}
_EQUALITIES = (exp.EQ, exp.NEQ, exp.Like, exp.ILike)

_COLUMN_SQL = (
    "SELECT format_type(a.atttypid, a.atttypmod), s.most_common_vals::text, s.histogram_bounds::text"
    " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
    " AND s.attname = a.attname"
    " WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND NOT a.attisdropped"
)


def _default(type_name: str) -> Any:
    """A value of a type, for a parameter whose column has no statistics (or that has no column)."""
    name = type_name.lower()
    if name.startswith("timestamp"):
        return datetime(2000, 1, 1)
    if name.startswith("date"):
        return date(2000, 1, 1)
    if name.startswith("time"):
        return time(12)
    if name.startswith("interval"):
        return timedelta(days=1)
    if name.startswith(("numeric", "decimal", "real", "double", "float")):
        return Decimal(1)
    if name.startswith(("char", "varchar", "text", "character", "name", "citext", "bpchar")):
        return "a"
    if name.startswith("bool"):
        return True
    return 1


def _context(parameter: exp.Expression) -> tuple[exp.Column | None, str, str | None]:
    """The column a parameter is compared with, the role it plays (``eq``, ``low``, ``high``, ``limit``,
    ``offset`` or ``other``) and the type it is cast to."""
    node, cast = parameter, None
    if isinstance(node.parent, exp.Cast):
        node, cast = node.parent, node.parent.to.sql("postgres")
    parent = node.parent
    if isinstance(parent, exp.Limit | exp.Fetch):
        return None, "limit", cast
    if isinstance(parent, exp.Offset):
        return None, "offset", cast
    if isinstance(parent, exp.Between) and isinstance(parent.this, exp.Column) and parent.this is not node:
        return parent.this, "low" if parent.args.get("low") is node else "high", cast
    if isinstance(parent, exp.In) and isinstance(parent.this, exp.Column) and parent.this is not node:
        return parent.this, "eq", cast
    if isinstance(parent, exp.In) and parent.this is not node:
        return None, "eq", cast
    if isinstance(parent, _EQUALITIES) or type(parent) in _RANGES:
        assert isinstance(parent, exp.Binary)
        role = "eq" if isinstance(parent, _EQUALITIES) else _RANGES[type(parent)]
        if parent.this is node:
            role, other = _MIRRORED[role], parent.expression
        else:
            other = parent.this
        return (other if isinstance(other, exp.Column) else None), role, cast
    return None, "other", cast


def _tables(tree: exp.Expression) -> dict[str, str]:
    """Alias (or name) -> qualified table name, for every table the statement reads."""
    found = {}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier):
            qualified = ".".join(part for part in (table.db, table.name) if part)
            found[table.alias_or_name.lower()] = qualified
    return found


class _Values:
    """Column facts read once per statement: ``(type, value)`` per (table, column, role)."""

    def __init__(self, cursor: Any, tables: dict[str, str]) -> None:
        self.cursor = cursor
        self.tables = tables

    def value(self, column: exp.Column, role: str) -> tuple[str, Any] | None:
        names = [self.tables[column.table.lower()]] if column.table.lower() in self.tables else []
        for table in names or list(self.tables.values()):
            self.cursor.execute(_COLUMN_SQL, (table, column.name))
            row = self.cursor.fetchone()
            if row is not None:
                type_name, common, histogram = row
                return type_name, self._pick(type_name, common if role == "eq" else None, histogram, role)
        return None

    def _pick(self, type_name: str, common: str | None, histogram: str | None, role: str) -> Any:
        """The first most common value, else the histogram bound at the role's quantile, typed by the server."""
        for values, share in ((common, 0.0), (histogram, _QUANTILE.get(role, 0.5))):
            if values is None:
                continue
            # type_name is the server's own format_type() of the column: a type name, safe to splice.
            pick = "a[greatest(1, ceil(array_length(a, 1) * %s)::int)]"
            self.cursor.execute(f"SELECT {pick} FROM (SELECT %s::text::{type_name}[] AS a) x", (share, values))
            row = self.cursor.fetchone()
            if row is not None and row[0] is not None:
                return row[0]
        return _default(type_name)


def representative_params(cursor: Any, sql: str, count: int) -> list[Any]:
    """Values for ``$1``..``$count`` of ``sql`` (see the module documentation), read with ``cursor``."""
    params: list[Any] = [1] * count
    try:
        tree = parse_one(sql, "postgres")
    except (ParseError, TokenError):
        return params
    values = _Values(cursor, _tables(tree))
    for parameter in tree.find_all(exp.Parameter):
        if not parameter.name.isdigit() or not 1 <= int(parameter.name) <= count:
            continue
        column, role, cast = _context(parameter)
        chosen: Any = {"limit": 100, "offset": 0, "eq": "1"}.get(role, 1)
        found = values.value(column, role) if column is not None else None
        if found is not None:
            chosen = found[1]
        elif cast is not None:
            chosen = _default(cast)
        params[int(parameter.name) - 1] = chosen
    return params
