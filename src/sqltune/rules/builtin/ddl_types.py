"""Design rules about column types: money in floats, lists in strings, naive timestamps, CHAR padding,
SERIAL, and enumerations baked into DDL.

Each rule looks at column definitions where they are written (``CREATE TABLE``, ``ALTER TABLE ... ADD
COLUMN``, ``ALTER COLUMN ... TYPE``), so the caret points at the column. The types are read from sqlglot's
AST, which already maps each dialect's spelling to one meaning (MySQL ``TIMESTAMP`` and Databricks
``TIMESTAMP`` are zoned instants; BigQuery ``DATETIME`` and Snowflake ``TIMESTAMP`` are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqltune.core.findings import Fix
from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.ddl_keys import name_words

__all__ = [
    "CharColumn",
    "EnumType",
    "FloatForMoney",
    "MultiValuedColumn",
    "SerialInsteadOfIdentity",
    "TimestampWithoutTimeZone",
    "column_site",
]

DType = exp.DataType.Type


@dataclass(frozen=True, slots=True)
class ColumnSite:
    """A column whose type a statement sets: its name node, table name and type."""

    name: exp.Expression
    table: str
    type: exp.DataType

    @property
    def column(self) -> str:
        return str(self.name.name)


def column_site(node: exp.Expression) -> ColumnSite | None:
    """The column a ``ColumnDef`` of a CREATE/ALTER TABLE or an ``ALTER COLUMN ... TYPE`` defines.

    Column definitions elsewhere (function signatures, ``JSON_TABLE``, composite types) are not table
    columns and give ``None``.

    >>> from sqltune.core.sqlglot import parse_one
    >>> site = column_site(parse_one("CREATE TABLE t (price real)").find(exp.ColumnDef))
    >>> site.table, site.column, site.type.sql()
    ('t', 'price', 'FLOAT')
    """
    if isinstance(node, exp.ColumnDef):
        kind = node.args.get("kind")
        parent = node.parent
        if isinstance(parent, exp.Schema) and isinstance(parent.parent, exp.Create):
            if str(parent.parent.args.get("kind") or "").upper() != "TABLE":
                return None
            table = parent.this
        elif isinstance(parent, exp.Alter):
            table = parent.this
        else:
            return None
    elif isinstance(node, exp.AlterColumn) and isinstance(node.parent, exp.Alter):
        kind = node.args.get("dtype")
        table = node.parent.this
    else:
        return None
    if not isinstance(kind, exp.DataType) or not isinstance(node.this, exp.Identifier):
        return None
    return ColumnSite(node.this, exp.table_name(table) if isinstance(table, exp.Table) else "", kind)


def _type_sql(site: ColumnSite, dialect: str | None) -> str:
    try:
        return str(site.type.sql(dialect=dialect or ""))
    except Exception:  # an odd type sqlglot cannot print for this dialect: its generic spelling is enough
        return str(site.type.sql())


def _where(site: ColumnSite) -> str:
    return f"`{site.table}.{site.column}`" if site.table else f"`{site.column}`"


_COLUMN_NODES = (exp.ColumnDef, exp.AlterColumn)

# -- SQ102 ------------------------------------------------------------------------------------------------

#: Word fragments that name an amount of money wherever they appear (``extendedprice``, ``subtotal``).
_MONEY_FRAGMENTS = ("price", "amount", "salary", "revenue", "cost", "payment", "money", "total", "balance", "acctbal")
#: Whole words that name money.
_MONEY_WORDS = frozenset(
    {
        "amt",
        "budget",
        "cash",
        "charge",
        "charges",
        "earnings",
        "eur",
        "fee",
        "fees",
        "gbp",
        "income",
        "jpy",
        "paid",
        "profit",
        "refund",
        "spend",
        "tax",
        "taxes",
        "usd",
        "wage",
        "wages",
    }
)
#: Words that make a money-sounding name a measure that floats suit (``total_weight``, ``tax_rate``).
_NOT_MONEY = frozenset(
    {
        "count",
        "distance",
        "duration",
        "factor",
        "hours",
        "minutes",
        "ms",
        "pct",
        "percent",
        "percentage",
        "qty",
        "quantity",
        "rate",
        "ratio",
        "score",
        "seconds",
        "share",
        "time",
        "units",
        "volume",
        "weight",
    }
)
_FLOATS = frozenset({DType.FLOAT, DType.DOUBLE})
_DECIMAL_BY_DIALECT = {
    "bigquery": "NUMERIC (or BIGNUMERIC)",
    "mysql": "DECIMAL(12, 2)",
    "snowflake": "NUMBER(12, 2)",
    "tsql": "DECIMAL(19, 4)",
}


def is_money_name(name: str) -> bool:
    """Does a column name say it holds money?

    >>> [is_money_name(n) for n in ("l_extendedprice", "total_usd", "tax_rate", "total_weight", "syntax")]
    [True, True, False, False, False]
    """
    words = name_words(name)
    if any(word in _NOT_MONEY for word in words):
        return False
    return any(word in _MONEY_WORDS or any(f in word for f in _MONEY_FRAGMENTS) for word in words)


class FloatForMoney(Rule):
    """SQ102: a FLOAT/REAL/DOUBLE column whose name says it holds money."""

    code = "SQ102"
    node_types = _COLUMN_NODES

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        site = column_site(node)
        if site is None or site.type.this not in _FLOATS or not is_money_name(site.column):
            return
        decimal = _DECIMAL_BY_DIALECT.get(ctx.dialect or "", "NUMERIC(12, 2)")
        yield Violation(
            f"{_where(site)} holds money in {_type_sql(site, ctx.dialect)}, a binary floating-point type: amounts "
            "like 0.10 are stored inexactly and sums drift by cents; use an exact decimal such as "
            f"{decimal} (choose the scale your currency needs)",
            site.name,
        )


# -- SQ103 ------------------------------------------------------------------------------------------------

_LIST_WORDS = frozenset(
    {
        "categories",
        "csv",
        "emails",
        "guids",
        "ids",
        "keywords",
        "labels",
        "list",
        "phones",
        "roles",
        "skus",
        "tags",
        "uuids",
    }
)
_STRING_TYPES = frozenset(exp.DataType.TEXT_TYPES)
_DELIMITERS = frozenset({",", ";", "|", ", "})
_JUNCTION_ADVICE = "store one row per value in a junction table (or use an array column the database can index)"


def _string_value(node: exp.Expression | None) -> str | None:
    return str(node.this) if isinstance(node, exp.Literal) and node.is_string else None


def _pieces(node: exp.Expression) -> list[exp.Expression]:
    """The operands of a string concatenation (``a || b || c`` or ``CONCAT(a, b, c)``), else ``[node]``."""
    if isinstance(node, exp.DPipe):
        return [*_pieces(node.this), *_pieces(node.expression)]
    if isinstance(node, exp.Concat):
        return [piece for part in node.expressions for piece in _pieces(part)]
    return [node]


def is_list_pattern(pattern: exp.Expression) -> bool:
    """Is a LIKE pattern a search for one element of a delimited list (``'%,red,%'``, ``'%,' || x || ',%'``)?

    >>> from sqltune.core.sqlglot import parse_one
    >>> [is_list_pattern(parse_one(p)) for p in ("'%,red,%'", "'%,' || x || ',%'", "'%, NY%'", "'%,%'")]
    [True, True, False, False]
    """
    pieces = _pieces(pattern)
    first, last = _string_value(pieces[0]), _string_value(pieces[-1])
    if first is None or last is None:
        return False
    opens = any(first.startswith("%" + d) for d in _DELIMITERS)
    closes = any(last.endswith(d + "%") for d in _DELIMITERS)
    if len(pieces) == 1:
        return opens and closes and len(first) > 3
    return opens and closes


def _in_predicate(node: exp.Expression) -> bool:
    """Is ``node`` inside a WHERE, HAVING, QUALIFY or JOIN ... ON of its own query level?"""
    child: exp.Expression = node
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Where | exp.Having | exp.Qualify):
            return True
        if isinstance(parent, exp.Join) and child.arg_key == "on":
            return True
        if isinstance(parent, exp.Select | exp.Subquery):
            return False
        child, parent = parent, parent.parent
    return False


def _split_parts(node: exp.Expression) -> tuple[exp.Expression | None, exp.Expression | None, str] | None:
    """For a function that splits a string at a delimiter: (string, delimiter, function name)."""
    if isinstance(node, exp.SplitPart):
        return node.this, node.args.get("delimiter"), "split_part"
    if isinstance(node, exp.Split) and node.args.get("expression") is None:
        return node.this, exp.Literal.string(","), "split"  # BigQuery: SPLIT(s) splits at commas
    if isinstance(node, exp.StringToArray | exp.Split | exp.RegexpSplit | exp.StrtokToArray):
        return node.this, node.args.get("expression"), node.sql_name().lower()
    if isinstance(node, exp.Anonymous) and str(node.name).lower() in {"regexp_split_to_array", "string_to_table"}:
        args = node.expressions
        return (args[0] if args else None), (args[1] if len(args) > 1 else None), str(node.name).lower()
    return None


class MultiValuedColumn(Rule):
    """SQ103: a list stored in one string column ("jaywalking").

    In DDL: a string-typed column named like a list (``tag_ids``, ``tags``, ``*_list``), or MySQL's SET type.
    Array, JSON and other non-string types stay silent: they are a deliberate, indexable choice. In queries:
    ``LIKE '%,x,%'``-style element searches, ``FIND_IN_SET``, and splitting a column at a delimiter inside a
    predicate.
    """

    code = "SQ103"
    node_types = (
        *_COLUMN_NODES,
        exp.Like,
        exp.ILike,
        exp.Anonymous,
        exp.SplitPart,
        exp.StringToArray,
        exp.Split,
        exp.RegexpSplit,
        exp.StrtokToArray,
    )

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if isinstance(node, _COLUMN_NODES):
            yield from self._column(node)
        elif isinstance(node, exp.Like | exp.ILike):
            pattern = node.expression
            if isinstance(pattern, exp.Expression) and is_list_pattern(pattern):
                yield Violation(
                    f"`{node.sql(dialect=ctx.dialect or '')}` searches for one element of a delimited list stored "
                    f"in a string: no index can serve it and the values cannot be constrained or joined; "
                    f"{_JUNCTION_ADVICE}",
                    node,
                )
        elif isinstance(node, exp.Anonymous) and str(node.name).upper() == "FIND_IN_SET":
            yield Violation(
                f"`{node.sql(dialect=ctx.dialect or '')}` searches a comma-separated list stored in a column: it "
                f"reads every row and the list cannot be constrained or joined; {_JUNCTION_ADVICE}",
                node,
            )
        else:
            parts = _split_parts(node)
            if parts is None:
                return
            subject, delimiter, function = parts
            if not isinstance(subject, exp.Column) or _string_value(delimiter) not in _DELIMITERS:
                return
            if _in_predicate(node):
                yield Violation(
                    f"filtering on {function}(`{subject.sql()}`, '{_string_value(delimiter)}') treats "
                    f"`{subject.name}` as a delimited list: every row must be split before it can be compared "
                    f"and no index can help; {_JUNCTION_ADVICE}",
                    node,
                )

    @staticmethod
    def _column(node: exp.Expression) -> Iterator[Violation]:
        site = column_site(node)
        if site is None:
            return
        if site.type.this == DType.SET:
            yield Violation(
                f"{_where(site)} is a SET: several values packed into one column cannot be indexed one by one "
                f"or referenced by a foreign key; {_JUNCTION_ADVICE}",
                site.name,
            )
            return
        words = name_words(site.column)
        if site.type.this in _STRING_TYPES and words and words[-1] in _LIST_WORDS:
            yield Violation(
                f"{_where(site)} is a string whose name says it holds a list: values packed into one column "
                f"cannot be indexed one by one, referenced by a foreign key or counted without parsing; "
                f"{_JUNCTION_ADVICE}",
                site.name,
            )


# -- SQ108 ------------------------------------------------------------------------------------------------

_NAIVE_TIMESTAMPS = frozenset(
    {
        DType.TIMESTAMP,
        DType.TIMESTAMPNTZ,
        DType.TIMESTAMP_S,
        DType.TIMESTAMP_MS,
        DType.TIMESTAMP_NS,
        DType.DATETIME,
        DType.DATETIME2,
        DType.SMALLDATETIME,
        DType.DATETIME64,
    }
)
_ZONED_BY_DIALECT = {
    "bigquery": "TIMESTAMP",
    "duckdb": "TIMESTAMPTZ",
    "oracle": "TIMESTAMP WITH TIME ZONE",
    "postgres": "timestamptz",
    "redshift": "TIMESTAMPTZ",
    "snowflake": "TIMESTAMP_TZ (or TIMESTAMP_LTZ)",
    "trino": "TIMESTAMP WITH TIME ZONE",
    "tsql": "DATETIMEOFFSET",
}
#: Dialects whose date-time types all store instants (ClickHouse's DateTime is a Unix time).
_ALWAYS_ZONED = frozenset({"clickhouse"})
#: Words in a column name that document which clock the value is on.
_CLOCK_WORDS = frozenset({"local", "utc"})


class TimestampWithoutTimeZone(Rule):
    """SQ108: a date-time column that stores a wall-clock reading without its zone.

    Columns whose name says which clock they are on (``*_utc``, ``*_local``) are left alone. In MySQL the
    advice differs: its TIMESTAMP is zoned but ends in 2038, so DATETIME holding UTC is the usual choice.
    """

    code = "SQ108"
    node_types = _COLUMN_NODES

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        site = column_site(node)
        if site is None or site.type.this not in _NAIVE_TIMESTAMPS or ctx.dialect in _ALWAYS_ZONED:
            return
        if _CLOCK_WORDS & set(name_words(site.column)):
            return
        written = _type_sql(site, ctx.dialect)
        if ctx.dialect == "mysql":
            advice = (
                "MySQL's TIMESTAMP converts to UTC but ends in 2038, so store UTC in DATETIME and say so in the "
                f"name (`{site.column}_utc`) or convert at the connection (time_zone = '+00:00')"
            )
        else:
            advice = f"use {_ZONED_BY_DIALECT.get(ctx.dialect or '', 'TIMESTAMP WITH TIME ZONE')}"
        yield Violation(
            f"{_where(site)} is {written}, a time without a time zone: the same value means different instants "
            f"for sessions and servers in different zones, and DST changes make some readings ambiguous; {advice}",
            site.name,
        )


# -- SQ109 ------------------------------------------------------------------------------------------------

#: CHAR(n) up to this length is a fixed-width code (a flag, ISO 3166 country, ISO 4217 currency) and is fine.
MAX_CODE_LENGTH = 3
#: Words naming values that always fill their width (UUIDs, hex digests), for which CHAR(n) is exact.
_FIXED_WIDTH_WORDS = frozenset(
    {"checksum", "digest", "fingerprint", "guid", "hash", "md5", "sha", "sha1", "sha256", "sha512", "uuid"}
)
#: CHAR lengths of a UUID in text (with and without dashes): an ``id``/``*_id`` of this width is a UUID.
_UUID_LENGTHS = frozenset({32, 36})
#: Dialects where CHAR is just another name for VARCHAR (no padding).
_CHAR_IS_VARCHAR = frozenset({"bigquery", "duckdb", "snowflake"})


def _char_length(data_type: exp.DataType) -> int | None:
    params = data_type.expressions
    if not params:
        return 1  # CHAR without a length is CHAR(1) in the SQL standard
    value = params[0].this if isinstance(params[0], exp.DataTypeParam) else params[0]
    if isinstance(value, exp.Literal) and not value.is_string and str(value.this).isdigit():
        return int(str(value.this))
    return None


class CharColumn(Rule):
    """SQ109: a CHAR(n)/NCHAR(n) column longer than a short code (n > 3).

    Columns named for values that always fill the width (``uuid``, ``sha256``, ``hash``...), and ``id`` /
    ``*_id`` columns of a UUID's width (CHAR(32), CHAR(36)), are left alone.
    """

    code = "SQ109"
    node_types = _COLUMN_NODES

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        site = column_site(node)
        if site is None or site.type.this not in {DType.CHAR, DType.NCHAR} or ctx.dialect in _CHAR_IS_VARCHAR:
            return
        length = _char_length(site.type)
        if length is not None and length <= MAX_CODE_LENGTH:
            return
        words = name_words(site.column)
        if _FIXED_WIDTH_WORDS & set(words) or (length in _UUID_LENGTHS and words and words[-1] == "id"):
            return  # a UUID or digest fills its CHAR exactly: there is never padding
        written = _type_sql(site, ctx.dialect)
        variable = "NVARCHAR" if site.type.this == DType.NCHAR else "VARCHAR"
        yield Violation(
            f"{_where(site)} is {written}: shorter values are blank-padded to the full length, so length(), "
            f"concatenation and comparisons with {variable.lower()} values see (or silently drop) the padding, "
            f"and it saves no space; use {variable}({length if length else 'n'}) or text with a length CHECK",
            site.name,
        )


# -- SQ110 ------------------------------------------------------------------------------------------------

_SERIALS = {DType.SMALLSERIAL: "smallint", DType.SERIAL: "integer", DType.BIGSERIAL: "bigint"}
#: Dialects where SERIAL means something else (MySQL: BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE).
_SERIAL_IS_NOT_POSTGRES = frozenset({"doris", "mysql", "singlestore", "starrocks"})
_SERIAL_WORD = re.compile(r"\s*((?:big|small)?serial[248]?)\b", re.IGNORECASE)


class SerialInsteadOfIdentity(Rule):
    """SQ110: a PostgreSQL SERIAL/BIGSERIAL/SMALLSERIAL column instead of an identity column.

    The fix rewrites the type to ``<integer type> GENERATED BY DEFAULT AS IDENTITY``, which keeps explicit
    inserts of ids working as they did; it is not marked safe because scripts that name the sequence
    (``GRANT ... ON SEQUENCE``, ``setval('t_id_seq', ...)``) must be checked.
    """

    code = "SQ110"
    node_types = _COLUMN_NODES

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        site = column_site(node)
        if site is None or site.type.this not in _SERIALS or ctx.dialect in _SERIAL_IS_NOT_POSTGRES:
            return
        integer = _SERIALS[site.type.this]
        replacement = f"{integer} GENERATED BY DEFAULT AS IDENTITY"
        yield Violation(
            f"{_where(site)} is {_type_sql(site, ctx.dialect).lower()}: a serial is an integer plus a separately "
            "owned sequence, whose permissions, ownership and dump/restore behaviour surprise (INSERT needs USAGE on "
            f"the sequence; copying the table shares it); use the SQL-standard `{replacement}`",
            site.name,
            fix=self._fix(site, ctx, replacement),
        )

    @staticmethod
    def _fix(site: ColumnSite, ctx: StatementContext, replacement: str) -> Fix | None:
        name_span = ctx.span(site.name)
        text = ctx.statement.source.text
        match = _SERIAL_WORD.match(text, name_span.end)
        if match is None:
            return None
        start, end = match.span(1)
        return Fix(ctx.statement.source.span(start, end), replacement, f"replace {match.group(1)} by an identity")


# -- SQ111 ------------------------------------------------------------------------------------------------

_ENUMS = frozenset({DType.ENUM, DType.ENUM8, DType.ENUM16})
#: Value sets that are a boolean in disguise: a two-valued flag is no lookup table.
_BOOLEAN_VALUES = frozenset({"y", "n", "yes", "no", "t", "f", "true", "false", "0", "1", "on", "off"})
_LOOKUP_ADVICE = "a lookup table with a foreign key takes new values with an INSERT and can carry labels and order"


def _enum_values(data_type: exp.DataType) -> list[str]:
    values = []
    for param in data_type.expressions:
        inner = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(inner, exp.EQ):  # ClickHouse: Enum8('a' = 1)
            inner = inner.this
        value = _string_value(inner)
        if value is not None:
            values.append(value)
    return values


def _unwrap(node: exp.Expression | None) -> exp.Expression | None:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _value_list(condition: exp.Expression | None) -> tuple[str, list[str | None]] | None:
    """``col IN ('a', 'b')``, or pg_dump's spelling of it ``col = ANY (ARRAY['a'::text, 'b'::text])``:
    the column and the values (``None`` for a value that is not a string literal)."""
    condition = _unwrap(condition)
    if isinstance(condition, exp.In) and isinstance(condition.this, exp.Column):
        if condition.args.get("query") is not None:
            return None
        items = list(condition.expressions)
    elif isinstance(condition, exp.EQ) and isinstance(condition.this, exp.Column):
        any_ = _unwrap(condition.expression)
        array = _unwrap(any_.this) if isinstance(any_, exp.Any) else None
        if not isinstance(array, exp.Array):
            return None
        items = list(array.expressions)
    else:
        return None
    values = [_string_value(item.this if isinstance(item, exp.Cast) else item) for item in items]
    return str(condition.this.name), values


def _is_boolean(values: list[str]) -> bool:
    return len(values) <= 2 and all(value.lower() in _BOOLEAN_VALUES for value in values)


def _quoted(values: list[str], limit: int = 4) -> str:
    shown = ", ".join(f"'{value}'" for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


class EnumType(Rule):
    """SQ111: a value set written into DDL: an ENUM column, ``CREATE TYPE ... AS ENUM``, or
    ``CHECK (col IN ('a', 'b', ...))``. Boolean-like sets (``'Y', 'N'``) and numeric ranges are left alone.
    """

    code = "SQ111"
    node_types = (*_COLUMN_NODES, exp.Create, exp.CheckColumnConstraint)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if isinstance(node, exp.Create):
            yield from self._create_type(node)
        elif isinstance(node, exp.CheckColumnConstraint):
            yield from self._check(node)
        else:
            site = column_site(node)
            if site is None or site.type.this not in _ENUMS:
                return
            values = _enum_values(site.type)
            if _is_boolean(values):
                return
            yield Violation(
                f"{_where(site)} is an ENUM({_quoted(values)}): adding, renaming or retiring a value needs ALTER "
                f"TABLE (a table rebuild in MySQL); {_LOOKUP_ADVICE}",
                site.name,
            )

    @staticmethod
    def _create_type(node: exp.Create) -> Iterator[Violation]:
        if str(node.args.get("kind") or "").upper() != "TYPE":
            return
        definition = node.args.get("expression")
        if not isinstance(definition, exp.DataType) or definition.this not in _ENUMS:
            return
        values = _enum_values(definition)
        if _is_boolean(values):
            return
        name = node.this
        yield Violation(
            f"enum type `{name.sql()}` ({_quoted(values)}) fixes its values in DDL: values can be added but not "
            f"removed or reordered without recreating the type and every column using it; {_LOOKUP_ADVICE}",
            name,
        )

    @staticmethod
    def _check(node: exp.CheckColumnConstraint) -> Iterator[Violation]:
        found = _value_list(node.this)
        if found is None:
            return
        column, values = found
        strings = [value for value in values if value is not None]
        if len(strings) < 2 or len(strings) != len(values) or _is_boolean(strings):
            return
        yield Violation(
            f"CHECK ({column} IN ({_quoted(strings)})) keeps the list of allowed `{column}` values in DDL: "
            f"changing it means dropping and re-adding the constraint, which rescans the table; {_LOOKUP_ADVICE}",
            node,
        )


RULES: list[type[Rule]] = [
    FloatForMoney,
    MultiValuedColumn,
    TimestampWithoutTimeZone,
    CharColumn,
    SerialInsteadOfIdentity,
    EnumType,
]
