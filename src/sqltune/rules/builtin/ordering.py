"""Rules about ORDER BY, LIMIT and OFFSET: sorts that cost too much, and row limits that pick arbitrary rows."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqltune.core.predicates import aggregates_rows, conjuncts
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.grouping import close_parentheses, unwrap
from sqltune.schema import fold

__all__ = ["DEEP_OFFSET", "clause_span"]

#: An OFFSET literal from which the rows read and thrown away dominate the cost of a page.
DEEP_OFFSET = 1000

_RANDOM_NAMES = frozenset({"random", "rand", "newid", "uuid", "gen_random_uuid", "uuid_generate_v4", "random_uuid"})

_SAMPLING = {
    "postgres": "`TABLESAMPLE SYSTEM (1)` or `TABLESAMPLE BERNOULLI (1)`",
    "tsql": "`TABLESAMPLE (1 PERCENT)`",
    "snowflake": "`SAMPLE (1)` or `SAMPLE (100 ROWS)`",
    "duckdb": "`USING SAMPLE 100 ROWS`",
    "bigquery": "`TABLESAMPLE SYSTEM (1 PERCENT)`",
    "databricks": "`TABLESAMPLE (100 ROWS)`",
    "spark": "`TABLESAMPLE (100 ROWS)`",
    "oracle": "`SAMPLE (1)`",
}


_KEYWORDS = {
    "order": r"order\s+by",
    "limit": r"limit|top|fetch\s+(?:first|next)",
    "offset": r"offset|limit",  # MySQL's LIMIT offset, count
}


def clause_span(ctx: StatementContext, node: exp.Expression) -> Span:
    """The span of a clause from its keyword: ``LIMIT 10``, ``OFFSET $1``, ``ORDER BY random()``.

    sqlglot records positions for identifiers and literals but not for keywords or parameters; the keyword is
    found in the text before the clause's first positioned token, or, when the clause has none (``OFFSET $1``),
    as the only occurrence of the keyword in the statement.
    """
    keyword = _KEYWORDS.get(node.arg_key, "")
    statement = ctx.statement
    text = statement.source.text
    span = ctx.span(node)
    if span == statement.span:
        found = list(re.finditer(rf"\b(?:{keyword})\s+\S+", statement.text, re.IGNORECASE))
        if len(found) != 1:
            return span
        return statement.source.span(statement.span.start + found[0].start(), statement.span.start + found[0].end())
    start, end = span.start, close_parentheses(text, span.start, span.end)
    window = text[max(statement.span.start, start - 40) : start]
    before = list(re.finditer(rf"\b(?:{keyword})\b", window, re.IGNORECASE))
    if before:
        start = start - len(window) + before[-1].start()
        end = close_parentheses(text, start, end)
    return statement.source.span(start, end)


def _query_of(node: exp.Expression) -> exp.Expression | None:
    """The query or DML statement whose own clause ``node`` (an ORDER BY, LIMIT, OFFSET) is."""
    parent = node.parent
    if node.arg_key in ("order", "limit", "offset") and isinstance(
        parent, exp.Select | exp.SetOperation | exp.Delete | exp.Update
    ):
        return parent
    return None


def _is_random(node: exp.Expression) -> bool:
    if isinstance(node, exp.Rand | exp.Uuid):
        return True
    return isinstance(node, exp.Anonymous) and str(node.name).lower() in _RANDOM_NAMES


def _reads_a_table(query: exp.Expression) -> bool:
    """False for a query over nothing, VALUES, or derived tables that are themselves limited."""
    if not isinstance(query, exp.Select):
        return True
    sources = []
    from_ = query.args.get("from_")
    if isinstance(from_, exp.From):
        sources.append(from_.this)
    sources += [join.this for join in query.args.get("joins") or ()]
    for source in sources:
        if isinstance(source, exp.Values):
            continue
        inner = source.this if isinstance(source, exp.Subquery) else None
        if isinstance(inner, exp.Query) and inner.args.get("limit") is not None:
            continue
        return True
    return False


class OrderByRandom(Rule):
    """SQ007: ``ORDER BY random()`` and its spellings, which sort every row to shuffle them."""

    code = "SQ007"
    node_types = (exp.Order,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        query = _query_of(node)
        if query is None or not _reads_a_table(query):
            return  # window and aggregate ORDER BY are not a query sort; VALUES and limited inputs are small
        for ordered in node.expressions:
            prune = lambda n: isinstance(n, exp.Select | exp.SetOperation)  # noqa: E731
            random = next((n for n in ordered.walk(prune=prune) if _is_random(n)), None)
            if random is None:
                continue
            sampling = _SAMPLING.get(ctx.dialect or "", "" if ctx.dialect == "mysql" else "TABLESAMPLE")
            instead = f"sample with {sampling}, or " if sampling else ""
            yield Violation(
                f"`ORDER BY {ordered.this.sql(dialect=ctx.dialect)}` gives every row a random key and sorts the "
                f"whole input just to shuffle it; {instead}pick random key values and read them through the index "
                "(`WHERE id >= <random id> ORDER BY id LIMIT n`)",
                span=clause_span(ctx, node),
            )
            return


def _is_parameter(node: exp.Expression) -> bool:
    return any(isinstance(n, exp.Placeholder | exp.Parameter) for n in node.walk())


def _integer(node: exp.Expression | None) -> int | None:
    node = unwrap(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(float(node.this))
        except ValueError:
            return None
    return None


class DeepOffsetPagination(Rule):
    """SQ008: OFFSET of 1000 rows or more, or an OFFSET bound at run time (a page number times a size)."""

    code = "SQ008"
    node_types = (exp.Offset,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        query = _query_of(node)
        value = node.expression
        if query is None or value is None:
            return
        keyset = _keyset(query.args.get("order"), ctx.dialect)
        count = _integer(value)
        if count is not None:
            if count >= DEEP_OFFSET:
                yield Violation(
                    f"OFFSET {count} makes the engine produce and discard {count} rows before the page it returns; "
                    f"page by key instead: {keyset}",
                    span=clause_span(ctx, node),
                )
        elif _is_parameter(value):
            yield Violation(
                "an OFFSET set by a parameter grows with the page number, and every page re-reads and discards all "
                f"the rows before it; page by key instead: {keyset}",
                span=clause_span(ctx, node),
            )


def _keyset(order: exp.Expression | None, dialect: str | None) -> str:
    """The keyset-pagination form of a query's ORDER BY: ``WHERE (a, b) > (:last_a, :last_b) ORDER BY a, b``."""
    ordered = order.expressions if isinstance(order, exp.Order) else []
    directions = {bool(o.args.get("desc")) for o in ordered}
    if not ordered or len(directions) != 1:
        return "remember the sort key of the last row shown and ask for the rows after it (`WHERE key > :last_key`)"
    keys = [o.this.sql(dialect=dialect) for o in ordered]
    names = [f":last_{o.this.name}" if isinstance(o.this, exp.Column) else f":last_{i}" for i, o in enumerate(ordered)]
    op = "<" if directions == {True} else ">"
    condition = f"({', '.join(keys)}) {op} ({', '.join(names)})" if len(keys) > 1 else f"{keys[0]} {op} {names[0]}"
    sort = ", ".join(key + (" DESC" if op == "<" else "") for key in keys)
    return f"`WHERE {condition} ORDER BY {sort} LIMIT n`, with the key of the last row shown"


def _clause_text(ctx: StatementContext, span: Span, fallback: str) -> str:
    """The clause as the user wrote it (``TOP 10``, ``LIMIT :n``), or ``fallback`` when it could not be found."""
    if span == ctx.statement.span:
        return fallback
    return "`" + " ".join(ctx.statement.source.text[span.start : span.end].split()) + "`"


def _limit_count(node: exp.Expression) -> exp.Expression | None:
    return node.args.get("count") if isinstance(node, exp.Fetch) else node.expression


def _inside_exists(query: exp.Expression) -> bool:
    parent = query.parent
    while isinstance(parent, exp.Subquery | exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.Exists)


def _at_most_one_row(query: exp.Select, ctx: StatementContext) -> bool:
    """The WHERE pins every column of a unique key of the only table read (``WHERE id = 5``)."""
    from_ = query.args.get("from_")
    if query.args.get("joins") or not isinstance(from_, exp.From) or not isinstance(from_.this, exp.Table):
        return False
    table = ctx.table(from_.this)
    where = query.args.get("where")
    if table is None or where is None:
        return False
    pinned = set()
    for condition in conjuncts(where.this):
        if isinstance(condition, exp.EQ):
            for column, other in ((condition.this, condition.expression), (condition.expression, condition.this)):
                if isinstance(column, exp.Column) and not any(isinstance(n, exp.Column) for n in other.walk()):
                    pinned.add(fold(column.name))
    return table.is_unique(pinned)


def _single_row_sources(query: exp.Select) -> bool:
    """Every FROM item is a derived table that aggregates without GROUP BY (TPC-DS Q28's cross join of totals)."""
    from_ = query.args.get("from_")
    sources = [from_.this] if isinstance(from_, exp.From) else []
    sources += [join.this for join in query.args.get("joins") or ()]
    for source in sources:
        inner = source.this if isinstance(source, exp.Subquery) else None
        if not isinstance(inner, exp.Select) or inner.args.get("group") is not None:
            return False
        if not any(aggregates_rows(item) for item in inner.expressions):
            return False
    return bool(sources)


class LimitWithoutOrderBy(Rule):
    """SQ016: LIMIT / TOP / FETCH FIRST without ORDER BY, which keeps whichever rows the plan meets first."""

    code = "SQ016"
    node_types = (exp.Limit, exp.Fetch)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        query = _query_of(node)
        if query is None or query.args.get("order") is not None:
            return
        count = _limit_count(node)
        if count is None or isinstance(count, exp.Var) or _integer(count) == 0:
            return  # LIMIT ALL, LIMIT 0 (a column probe)
        span = clause_span(ctx, node)
        text = _clause_text(ctx, span, "a row limit")
        if isinstance(query, exp.Delete | exp.Update):
            verb = "DELETE" if isinstance(query, exp.Delete) else "UPDATE"
            yield Violation(
                f"{verb} with {text} and no ORDER BY changes arbitrary rows (and is unsafe for statement-based "
                "replication); add an ORDER BY on a unique key",
                span=clause_span(ctx, node),
            )
            return
        if _inside_exists(query):
            return  # EXISTS (... LIMIT 1) asks whether any row exists
        if isinstance(query, exp.Select) and self._deterministic(query, ctx):
            return
        yield Violation(
            f"{text} without ORDER BY returns whichever rows the plan produces first, which can change between "
            "runs, plans and engine versions; add an ORDER BY on a unique key",
            span=span,
        )

    @staticmethod
    def _deterministic(query: exp.Select, ctx: StatementContext) -> bool:
        if query.args.get("from_") is None or _single_row_sources(query):
            return True
        if query.args.get("group") is None and any(aggregates_rows(item) for item in query.expressions):
            return True  # an aggregate without GROUP BY is a single row
        varying = (exp.Column, exp.Star, exp.Select, exp.SetOperation, exp.Rand, exp.Uuid)
        if not any(isinstance(n, varying) for item in query.expressions for n in item.walk()):
            return True  # SELECT 1 FROM t WHERE ... LIMIT 1: every row looks the same
        return _at_most_one_row(query, ctx)


RULES = [OrderByRandom, DeepOffsetPagination, LimitWithoutOrderBy]
