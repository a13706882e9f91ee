"""Small helpers the plan rules share: reading condition text, sizing memory settings, formatting figures.

Plans carry conditions as text in the engine's own syntax (``((o_orderkey)::numeric = 1.5)``); they are read
back with sqlglot in the plan's dialect so that rules can name the columns and casts involved.

>>> [(p.column, p.kind) for p in predicates("((a = 1) AND (b > 2) AND (c ~~ 'x%'::text))", "postgres")]
[('a', 'eq'), ('b', 'range'), ('c', 'other')]
>>> [(p.table, p.column) for p in predicates("(t.code = m.team_code)", "postgres")]
[('t', 'code'), ('m', 'team_code')]
>>> column_casts("((o_orderkey)::numeric = 1.5)", "postgres")
[('o_orderkey', 'numeric')]
>>> memory_setting(3000), memory_setting(40), parse_memory("64kB"), parse_memory("4MB"), parse_memory("1GB")
('4MB', '64kB', 64.0, 4096.0, 1048576.0)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from sqltune.core.predicates import conjuncts, strip_parens
from sqltune.core.sqlglot import ParseError, TokenError, exp, parse_one

__all__ = [
    "Predicate",
    "column_casts",
    "condition_columns",
    "memory_setting",
    "parse_condition",
    "parse_memory",
    "pct",
    "predicates",
    "rows",
]

_DIALECTS = {"postgres": "postgres", "mysql": "mysql", "snowflake": "snowflake", "duckdb": "duckdb"}
#: Types a string column is cast to without consequence (PostgreSQL shows ``(varchar_col)::text``).
STRING_TYPES = ("text", "varchar", "character varying", "bpchar", "char", "character", "string", "name")


@lru_cache(maxsize=512)
def parse_condition(text: str, dialect: str) -> exp.Expression | None:
    """The condition as a sqlglot tree, ``None`` when it cannot be read (engine-specific syntax)."""
    cleaned = text.strip()
    for prefix in ("joinKey:", "filterCondition:"):  # Snowflake EXPLAIN decorations
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix) :].strip()
    try:
        return parse_one(cleaned, _DIALECTS.get(dialect, "postgres"))
    except (ParseError, TokenError, ValueError, IndexError, AttributeError, KeyError, TypeError, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class Predicate:
    """One conjunct of a condition that tests a column: ``kind`` is ``eq``, ``range`` or ``other``."""

    column: str
    table: str  # the qualifier as written ("" when none)
    kind: str
    text: str


_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)


def predicates(text: str, dialect: str) -> list[Predicate]:
    """The column tests of a condition, one per conjunct that names a column (its first column)."""
    tree = parse_condition(text, dialect)
    if tree is None:
        return [Predicate(name, "", "other", text) for name in _regex_columns(text)]
    found: list[Predicate] = []
    for conjunct in conjuncts(tree):
        column = next(conjunct.find_all(exp.Column), None)
        if column is None:
            continue
        sides = [strip_parens(conjunct.left), strip_parens(conjunct.right)] if isinstance(conjunct, exp.EQ) else []
        if len(sides) == 2 and all(isinstance(side, exp.Column) for side in sides):
            # a join key `a.x = b.y`: each side is an equality test of its own table
            text_sql = conjunct.sql(_DIALECTS.get(dialect, "postgres"))
            found.extend(Predicate(side.name, side.table, "eq", text_sql) for side in sides)
            continue
        if isinstance(conjunct, exp.EQ | exp.In) or (
            isinstance(conjunct, exp.Is)
            and isinstance(strip_parens(conjunct.expression), exp.Null)
            and not conjunct.args.get("negate")
        ):
            kind = "eq"
        elif isinstance(conjunct, _RANGE):
            kind = "range"
        else:
            kind = "other"
        found.append(Predicate(column.name, column.table, kind, conjunct.sql(_DIALECTS.get(dialect, "postgres"))))
    return found


def condition_columns(text: str, dialect: str) -> list[str]:
    """The distinct column names a condition reads, in order of appearance."""
    tree = parse_condition(text, dialect)
    names = [c.name for c in tree.find_all(exp.Column)] if tree is not None else _regex_columns(text)
    return list(dict.fromkeys(name for name in names if name))


def column_casts(text: str, dialect: str) -> list[tuple[str, str]]:
    """``(column, type)`` for every cast applied to a column itself (not to a literal) in the condition."""
    tree = parse_condition(text, dialect)
    if tree is None:
        return [(m.group(1), m.group(2).lower()) for m in _CAST.finditer(text)]
    casts = []
    for cast in tree.find_all(exp.Cast):
        operand = strip_parens(cast.this)
        if isinstance(operand, exp.Column):
            # the engine's own spelling (`numeric`) rather than sqlglot's normalised one (`decimal`)
            written = re.search(rf"\(?\b{re.escape(operand.name)}\)?::([a-z_][a-z0-9_ ]*)", text, re.IGNORECASE)
            target = written.group(1).strip() if written else cast.to.sql("postgres")
            casts.append((operand.name, target.lower()))
    return casts


_CAST = re.compile(r"\(?\b([a-z_][a-z0-9_]*)\)?::([a-z_ ]+)", re.IGNORECASE)
_IDENT = re.compile(r"(?<![:'\w])([a-z_][a-z0-9_]*)(?=\s*(?:=|<|>|<>|!=|\)|\s+(?:IS|IN|LIKE|BETWEEN)\b))", re.I)
_KEYWORDS = {"and", "or", "not", "null", "true", "false", "is", "in", "like", "between", "any", "all"}


def _regex_columns(text: str) -> list[str]:
    return [m.group(1) for m in _IDENT.finditer(text) if m.group(1).lower() not in _KEYWORDS]


_UNITS_KB = {"b": 1 / 1024, "kb": 1.0, "mb": 1024.0, "gb": 1024.0**2, "tb": 1024.0**3}


def parse_memory(value: str | None) -> float | None:
    """A PostgreSQL memory setting (``64kB``, ``4MB``, ``1GB``, or a bare number of kB) in kB."""
    if not value:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?b)?\s*", value, re.IGNORECASE)
    if match is None:
        return None
    return float(match.group(1)) * _UNITS_KB[(match.group(2) or "kb").lower()]


def memory_setting(kb: float) -> str:
    """The smallest power-of-two setting of at least ``kb`` kB, in PostgreSQL's spelling (at least 64kB)."""
    kb = max(64.0, kb)
    size = 2 ** math.ceil(math.log2(kb))
    if size >= 1024 * 1024:
        return f"{size // (1024 * 1024)}GB"
    if size >= 1024:
        return f"{size // 1024}MB"
    return f"{size}kB"


def rows(value: float | None) -> str:
    """A row count for messages: ``30,000``."""
    return "?" if value is None else f"{value:,.0f}"


def pct(value: float) -> str:
    """A share for messages, never rounded to a misleading 0 % or 100 %.

    >>> pct(0.982), pct(0.99996), pct(0.00002), pct(0.0), pct(1.0)
    ('98.2%', '>99.9%', '<0.1%', '0.0%', '100.0%')
    """
    if 0.0 < value < 0.001:
        return "<0.1%"
    if 0.999 < value < 1.0:
        return ">99.9%"
    return f"{value:.1%}"
