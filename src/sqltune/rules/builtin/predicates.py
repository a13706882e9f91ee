"""Rules about filter predicates that keep an index from being used.

A B-tree index answers ``column <op> value`` where the bare column is compared with something that is fixed
while the relation is scanned. These rules flag predicates that hide the column (SQ002), search in the
middle of a string (SQ003, SQ023), spread a disjunction over several columns (SQ006) or compare values of
different type families (SQ017), each naming what to write instead.

The helpers at the top (:func:`clause_of`, :func:`uses_by_node`, ...) are shared with
the ``nulls`` and ``joins`` modules.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from functools import lru_cache

from sqltune.core.predicates import conjuncts, disjuncts, own_nodes
from sqltune.core.sqlglot import exp
from sqltune.graph import ColumnUse, QueryGraph
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.schema import fold

__all__ = [
    "RULES",
    "ImplicitTypeConversion",
    "LeadingWildcardLike",
    "NonSargablePredicate",
    "OrAcrossColumns",
    "RegexPredicate",
    "clause_of",
    "column_type",
    "local_columns",
    "negated",
    "stored_column",
    "uses_by_node",
]

#: Statement kinds whose direct children are clauses (``where``, ``joins``, ``expressions``, ...).
_CLAUSE_OWNERS = (exp.Select, exp.Update, exp.Delete)
#: Clauses in which a predicate filters rows (and so decides whether an index can be used).
FILTER_CLAUSES = frozenset({"where", "on"})


#: Clause answers by node id, shared along each walked path: every node between a clause owner and the node
#: asked about is in the same clause, so a chain of 10,000 ORs is walked once instead of once per term. An
#: entry holds its node, so the id cannot be reused while it is cached (compiled sqlglot's nodes take no weak
#: references); the cache is emptied when it passes :data:`_CLAUSES_KEPT` entries. Lint never moves nodes.
_CLAUSES: dict[int, tuple[exp.Expression, str]] = {}
_CLAUSES_KEPT = 200_000


def clause_of(node: exp.Expression) -> str:
    """The clause of the nearest enclosing query block that holds ``node``.

    ``"where"``, ``"having"``, ``"expressions"`` (the select list), ``"group"``, ``"order"``, ``"on"`` (a
    JOIN's condition) or ``""`` when the node sits outside any query block.

    >>> from sqltune.core.sqlglot import parse_one
    >>> tree = parse_one("SELECT a FROM t JOIN u ON u.id = t.uid WHERE lower(b) = 'x'")
    >>> [clause_of(c) for c in tree.find_all(exp.Column)]
    ['expressions', 'on', 'on', 'where']
    """
    path: list[exp.Expression] = []
    child, parent = node, node.parent
    while True:
        cached = _CLAUSES.get(id(child))
        if cached is not None and cached[0] is child:
            answer = cached[1]
            break
        path.append(child)
        if parent is None:
            answer = ""
            break
        if isinstance(parent, exp.Join):
            answer = "on" if child.arg_key == "on" else "join"
            break
        if isinstance(parent, _CLAUSE_OWNERS):
            answer = child.arg_key
            break
        child, parent = parent, parent.parent
    if len(_CLAUSES) + len(path) > _CLAUSES_KEPT:
        _CLAUSES.clear()
    for visited in path:
        _CLAUSES[id(visited)] = (visited, answer)
    return answer


_USES: weakref.WeakKeyDictionary[QueryGraph, dict[int, ColumnUse]] = weakref.WeakKeyDictionary()


def uses_by_node(graph: QueryGraph) -> dict[int, ColumnUse]:
    """Each column occurrence's :class:`ColumnUse`, keyed by ``id()`` of its ``exp.Column`` node.

    Built once per graph (rules ask for it on every visited node).
    """
    found = _USES.get(graph)
    if found is None:
        found = _USES[graph] = {id(use.node): use for use in graph.uses}
    return found


def local_columns(node: exp.Expression) -> list[exp.Column]:
    """Column occurrences of ``node`` outside nested subqueries (``*`` excluded)."""
    found: list[exp.Column] = []
    for child in node.walk(prune=lambda n: isinstance(n, exp.Query) and n is not node):
        if isinstance(child, exp.Column) and not isinstance(child.this, exp.Star):
            found.append(child)
    return found


def column_type(use: ColumnUse | None, graph: QueryGraph) -> str:
    """The schema type of the column a use refers to (``"VARCHAR(10)"``), or ``""`` when unknown."""
    if use is None or use.column.relation is None:
        return ""
    table = graph.relations[use.column.relation].table
    column = table.column(use.column.column) if table is not None else None
    return column.type if column is not None else ""


def _sql(node: exp.Expression, ctx: StatementContext) -> str:
    return str(node.sql(dialect=ctx.dialect or "", comments=False))


def stored_column(column: exp.Column, uses: dict[int, ColumnUse], graph: QueryGraph) -> bool:
    """True when the column is (or, unattributed, can only be) a base-table column: one an index can exist on.

    Columns of CTEs and derived tables are computed, so index advice about them would be wrong.
    """
    use = uses.get(id(column))
    if use is None:
        return False
    if use.column.relation is not None:
        return graph.relations[use.column.relation].kind == "table"
    relations = graph.relations_in(use.scope) if use.scope in graph.scopes else []
    return bool(relations) and all(relation.kind == "table" for relation in relations)


# -- SQ002 ----------------------------------------------------------------------------------------------
_COMPARISON_OPS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NullSafeEQ: "<=>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_MIRRORED = {"=": "=", "<=>": "<=>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_SUBJECT_ONLY = (exp.Between, exp.In, exp.Like, exp.ILike)  # only ``this`` can be the indexed side
_CASE_FUNCTIONS = (exp.Lower, exp.Upper)
_DATE_PARTS = (exp.Year, exp.Month, exp.Day, exp.Quarter, exp.Week, exp.Extract)
_TRUNCATIONS = (exp.TimestampTrunc, exp.DateTrunc, exp.TimeTrunc, exp.Date, exp.TsOrDsToDate)


def _depends_on(node: exp.Expression, relation: str, uses: dict[int, ColumnUse]) -> bool | None:
    """Whether ``node`` reads a column of ``relation`` (subqueries included); ``None`` when it cannot tell."""
    for child in node.find_all(exp.Column):
        if isinstance(child.this, exp.Star):
            continue
        use = uses.get(id(child))
        if use is None or use.column.relation is None:
            return None
        if use.column.relation == relation:
            return True
    return False


class NonSargablePredicate(Rule):
    """SQ002: a function, arithmetic, cast or COLLATE around a column compared in WHERE or JOIN ... ON.

    The wrapped side must read a single base-table column (CTE and derived-table columns have no index) and
    the other side must not depend on that relation (a constant, a parameter, an uncorrelated subquery or
    another relation's columns): only then would the bare column have been usable as an index key.
    """

    code = "SQ002"
    node_types = (*_COMPARISON_OPS, *_SUBJECT_ONLY)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if clause_of(node) not in FILTER_CLAUSES or negated(node):
            return  # a negated condition cannot seek an index whatever its operand
        if isinstance(node, exp.Like | exp.ILike) and not _prefix_pattern(node.expression):
            return  # a leading wildcard is SQ003's finding; a column pattern is no index question
        sides = [node.this] if isinstance(node, _SUBJECT_ONLY) else [node.this, node.expression]
        for side in sides:
            other = [s for s in node.iter_expressions() if s is not side]
            violation = self._judge(node, side, other, ctx)
            if violation is not None:
                yield violation
                return

    def _judge(
        self, node: exp.Expression, side: exp.Expression, others: list[exp.Expression], ctx: StatementContext
    ) -> Violation | None:
        wrapped = side.unnest()
        if isinstance(wrapped, exp.Column) or wrapped.find(exp.Query) is not None:
            return None
        columns = local_columns(wrapped)
        if len({(fold(c.table), fold(c.name)) for c in columns}) != 1:
            return None  # no column, or several: no single-column index would serve it either way
        uses = uses_by_node(ctx.graph)
        if not stored_column(columns[0], uses, ctx.graph):
            return None
        relations = {uses[id(c)].column.relation if id(c) in uses else None for c in columns}
        if len(relations) != 1:
            return None  # reads several relations (or cannot tell): no single-table index could serve it
        relation = relations.pop()
        for other in others:
            if other.find(exp.Column) is None:
                continue  # a constant, a parameter or a subquery that reads no outer column
            if relation is None or _depends_on(other, relation, uses) is not False:
                return None
            if isinstance(node, exp.EQ) or isinstance(other.unnest(), exp.Column):
                return None  # a join condition: `=` is hashed, and a bare column there is the one an index serves
        if _in_or_across_relations(node, relation, uses):
            return None  # an OR over other tables' columns: no index serves the filter whatever this side is
        column = columns[0]
        if isinstance(wrapped, exp.Cast) and wrapped.this.unnest() is column:
            declared = column_type(uses.get(id(column)), ctx.graph)
            if declared and declared == wrapped.to.sql():
                return None  # a cast to the column's own type changes nothing
        name = _sql(column, ctx)
        kind = _wrapper_kind(wrapped, ctx)
        advice = _sargable_advice(node, wrapped, column, ctx)
        return Violation(
            f"`{_sql(wrapped, ctx)}` applies {kind} to column `{name}` in a filter, so an index on `{name}` "
            f"cannot be used and the expression is computed for every row; {advice}",
            wrapped,
        )


def _in_or_across_relations(node: exp.Expression, relation: str | None, uses: dict[int, ColumnUse]) -> bool:
    """Whether ``node`` is a branch of an OR (within its condition) whose other branches read other relations."""
    current: exp.Expression | None = node.parent
    while isinstance(current, exp.Connector | exp.Paren | exp.Not):
        if isinstance(current, exp.Or):
            owners = {uses[id(c)].column.relation for c in local_columns(current) if id(c) in uses}
            if owners - {relation}:
                return True
        current = current.parent
    return False


def _is_prefix(node: exp.Expression) -> bool:
    """``substring(col, 1, n)`` / ``left(col, n)``: a prefix that LIKE 'abc%' can test."""
    if isinstance(node, exp.Left):
        return True
    start = node.args.get("start") if isinstance(node, exp.Substring) else None
    return isinstance(start, exp.Literal) and start.this == "1"


def _prefix_pattern(pattern: exp.Expression) -> bool:
    return isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this[:1] not in ("%", "_", "")


def _wrapper_kind(node: exp.Expression, ctx: StatementContext) -> str:
    if isinstance(node, exp.Cast):
        return "a cast"
    if isinstance(node, exp.Case | exp.If):
        return "a CASE expression"
    if isinstance(node, exp.Neg):
        return "a negation"
    if isinstance(node, exp.Collate):
        return "COLLATE"
    if isinstance(node, exp.Binary) and not isinstance(node, exp.Func):
        return "arithmetic"
    return f"the function {_sql(node, ctx).split('(')[0].strip() or type(node).__name__.upper()}"


def _sargable_advice(
    comparison: exp.Expression, wrapped: exp.Expression, column: exp.Column, ctx: StatementContext
) -> str:
    """What to write instead: a rewrite when one is mechanical, else the expression index to create."""
    name = _sql(column, ctx)
    op = _COMPARISON_OPS.get(type(comparison))
    other: exp.Expression | None = None
    if comparison.this.unnest() is wrapped:
        other = comparison.expression
    elif comparison.args.get("expression") is not None and comparison.expression.unnest() is wrapped and op:
        other, op = comparison.this, _MIRRORED[op]
    if isinstance(wrapped, exp.Add | exp.Sub) and op and other is not None and op != "<=>":
        constant, bare = wrapped.expression, wrapped.this.unnest()
        if bare is column and not constant.find(exp.Column):
            moved = exp.Sub if isinstance(wrapped, exp.Add) else exp.Add
            rewrite = moved(this=other.copy(), expression=constant.copy())
            return f"move the arithmetic to the other side: `{name} {op} {_sql(rewrite, ctx)}`"
    if isinstance(wrapped, exp.Year | exp.Extract) and op == "=" and isinstance(other, exp.Literal):
        part = wrapped.this.name.upper() if isinstance(wrapped, exp.Extract) else "YEAR"
        if part == "YEAR" and other.is_int:
            year = int(other.this)
            return f"compare a range instead: `{name} >= '{year}-01-01' AND {name} < '{year + 1}-01-01'`"
    if isinstance(wrapped, _DATE_PARTS + _TRUNCATIONS):
        return f"compare a range of `{name}` instead (`{name} >= <start> AND {name} < <end>`)"
    if _is_prefix(wrapped):
        return (
            f"test the prefix with `{name} LIKE '...%'` (one per value), which a B-tree index can serve "
            f"(text_pattern_ops in PostgreSQL), or create an expression index on `{_sql(wrapped, ctx)}`"
        )
    if isinstance(wrapped, _CASE_FUNCTIONS):
        return (
            f"create an expression index on `{_sql(wrapped, ctx)}` (or a generated column), or store the value "
            "normalised / use a case-insensitive type or collation (citext)"
        )
    if isinstance(wrapped, exp.Cast):
        return f"compare `{name}` with a value of its own type instead of casting the column"
    if isinstance(wrapped, exp.Collate):
        return f"compare under the column's own collation, or index `{_sql(wrapped, ctx)}`"
    return (
        f"rewrite the condition so that the bare `{name}` is compared, or create an expression index on "
        f"`{_sql(wrapped, ctx)}`"
    )


# -- SQ003 ----------------------------------------------------------------------------------------------
def _patterns(node: exp.Expression) -> list[exp.Expression]:
    """The pattern(s) of a LIKE, including ``LIKE ANY (ARRAY['%a', ...])``."""
    pattern = node.unnest()
    if isinstance(pattern, exp.Any | exp.All):
        inner = pattern.this.unnest()
        return list(inner.expressions) if isinstance(inner, exp.Array | exp.Tuple) else [inner]
    return [pattern]


def negated(node: exp.Expression) -> bool:
    """``NOT LIKE``, ``NOT IN``, ``NOT BETWEEN``: a ``negate`` flag or a ``Not`` parent (parentheses skipped)."""
    if node.args.get("negate"):
        return True
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Escape):
        parent = parent.parent
    return isinstance(parent, exp.Not)


class LeadingWildcardLike(Rule):
    """SQ003: ``col LIKE '%...'`` / ``ILIKE '_...'`` in a filter: a B-tree index cannot seek to the value.

    ``NOT LIKE`` is not reported (no index serves it whatever the pattern), nor is a pattern of ``%`` only.
    """

    code = "SQ003"
    node_types = (exp.Like, exp.ILike)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if negated(node) or clause_of(node) not in (*FILTER_CLAUSES, "having"):
            return
        if not local_columns(node.this):
            return
        for pattern in _patterns(node.expression):
            if not (isinstance(pattern, exp.Literal) and pattern.is_string):
                continue
            text = pattern.this
            if text[:1] in ("%", "_") and text.strip("%"):
                operator = "ILIKE" if isinstance(node, exp.ILike) else "LIKE"
                yield Violation(
                    f"`{_sql(node.this, ctx)} {operator} '{text}'` starts with a wildcard, so no B-tree index "
                    f"can be used and every row is scanned; consider {_substring_search_advice(ctx.dialect)}",
                    node,
                )
                return


def _substring_search_advice(dialect: str | None) -> str:
    name = (dialect or "").lower()
    if name in ("postgres", "postgresql", ""):
        return "a trigram index (pg_trgm: `CREATE INDEX ... USING gin (col gin_trgm_ops)`) or full-text search"
    if name in ("mysql", "mariadb"):
        return "a FULLTEXT index with MATCH ... AGAINST, or a prefix search"
    if name == "snowflake":
        return "search optimization (`ALTER TABLE ... ADD SEARCH OPTIMIZATION ON SUBSTRING(col)`)"
    return "a full-text or n-gram index, or search on a prefix"


# -- SQ006 ----------------------------------------------------------------------------------------------
#: Branches whose columns an SQ006 message lists.
_LISTED_BRANCHES = 6


class OrAcrossColumns(Rule):
    """SQ006: ``WHERE a = 1 OR b = 2``: no column is filtered by every branch, so no single index serves
    the disjunction.

    Silent when some column appears in every branch (``a = 1 OR a = 2``, ``(a = 1 AND b = 2) OR a = 3``),
    and when a branch reads no column of the query block (``:p IS NULL OR a = :p``, ``EXISTS (...)``):
    those are other patterns.
    """

    code = "SQ006"
    node_types = (exp.Where,)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        for term in conjuncts(node.this):
            if not isinstance(term, exp.Or):
                continue
            keys = [self._columns(columns, ctx) for columns in _branch_columns(term)]
            if not all(keys) or set.intersection(*(set(k) for k in keys)):
                continue
            relations = {relation for key in keys for relation, _ in key}
            if len(relations) == 1 and self._reached_otherwise(next(iter(relations)), term, node, ctx):
                continue
            # Column names are generated for the message only (SQL generation copies the node), and for the
            # first branches only: a generated OR of 10,000 terms needs no 10,000-item message.
            shown = keys[:_LISTED_BRANCHES]
            listed = "; ".join(", ".join(sorted({_sql(c, ctx) for c in k.values()})) for k in shown)
            if len(keys) > len(shown):
                listed += f"; and {len(keys) - len(shown)} more branches"
            yield Violation(
                f"this OR filters different columns in each branch ({listed}): no single index can serve it, so "
                "the table is scanned or several indexes are combined (PostgreSQL BitmapOr); index each column "
                "and consider rewriting the branches as a UNION (ALL, when they cannot overlap)",
                term,
            )

    @staticmethod
    def _reached_otherwise(relation: str | None, term: exp.Expression, where: exp.Where, ctx: StatementContext) -> bool:
        """Whether the one table the OR filters is read some other way, the OR then only checking the rows
        that way yields: another conjunct compares one of its columns with constants (an index on that
        column serves the scan), or a join reaches it by its whole primary key (a dimension looked up per
        row of the other side)."""
        if relation is None or relation not in ctx.graph.relations:
            return False
        uses = uses_by_node(ctx.graph)
        for other in conjuncts(where.this):
            if other is term or not isinstance(other, _TYPED_COMPARISONS):
                continue
            columns = local_columns(other)  # `col <op> constant(s)`: one column, on the left, of this table
            use = uses.get(id(other.this))
            local = columns == [other.this] and use is not None and use.column.relation == relation
            if local and not any(isinstance(n, exp.Query) for n in other.walk()):
                return True
        table = ctx.graph.relations[relation].table
        if table is None or not table.primary_key:
            return False
        joined = {
            fold(ref.column)
            for join in ctx.graph.joins
            for left, right in join.equi
            for ref, far in ((left, right), (right, left))
            if ref.relation == relation and far.relation not in (None, relation)
        }
        return {fold(column) for column in table.primary_key} <= joined

    @staticmethod
    def _columns(columns: list[exp.Column], ctx: StatementContext) -> dict[tuple[str | None, str], exp.Column]:
        """The stored columns a branch filters, by (relation, name); ``{}`` when it reads a computed one."""
        if not columns:
            return {}
        uses = uses_by_node(ctx.graph)
        found: dict[tuple[str | None, str], exp.Column] = {}
        for column in columns:
            use = uses.get(id(column))
            relation = use.column.relation if use is not None else None
            if not stored_column(column, uses, ctx.graph):
                return {}  # computed columns (CTE, derived table): no index to choose
            key = (relation or fold(column.table) or None, fold(column.name))
            found[key] = column
        return found


def _branch_columns(term: exp.Expression) -> list[list[exp.Column]]:
    """The column occurrences of each OR branch of ``term`` (not in nested queries), from one walk of the term:
    each column climbs to its branch, a few levels up, where a walk per branch re-enters the chain."""
    branches = disjuncts(term)
    position = {id(branch): index for index, branch in enumerate(branches)}
    found: list[list[exp.Column]] = [[] for _ in branches]
    for node in own_nodes(term):
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            continue
        current: exp.Expression | None = node
        while current is not None and id(current) not in position:
            current = current.parent
        if current is not None:
            found[position[id(current)]].append(node)
    return found


# -- SQ017 ----------------------------------------------------------------------------------------------
_TYPED_COMPARISONS = (
    exp.EQ,
    exp.NEQ,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Between,
    exp.In,
)


@lru_cache(maxsize=1024)
def type_family(type_sql: str) -> str | None:
    """``"number"``, ``"text"``, ``"temporal"`` or ``None`` (other or unknown types are never judged).

    Cached by type text: a schema repeats a handful of types, and building a ``DataType`` parses SQL.

    >>> type_family("VARCHAR(10)"), type_family("DECIMAL(15,2)"), type_family("DATE"), type_family("UUID")
    ('text', 'number', 'temporal', None)
    """
    if not type_sql:
        return None
    try:
        data_type = exp.DataType.build(type_sql)
    except Exception:  # sqlglot raises several error types on unknown type names
        return None
    if data_type.this == exp.DataType.Type.BIT:
        return None
    if data_type.is_type(*exp.DataType.NUMERIC_TYPES):
        return "number"
    if data_type.is_type(*exp.DataType.TEXT_TYPES):
        return "text"
    if data_type.is_type(*exp.DataType.TEMPORAL_TYPES):
        return "temporal"
    return None


def _literal_family(node: exp.Expression) -> str | None:
    node = node.unnest()
    if isinstance(node, exp.Neg):
        node = node.this.unnest()
    if isinstance(node, exp.Literal):
        return "text" if node.is_string else "number"
    if isinstance(node, exp.Cast) and isinstance(node.this.unnest(), exp.Literal):
        return type_family(node.to.sql())
    return None


_LITERAL_EXAMPLES = {
    "number": "a number literal (`42`)",
    "text": "a string literal (`'42'`)",
    "temporal": "a date/time literal (`DATE '2024-01-31'`)",
}
_FAMILIES_MEMO = "SQ017.families"


def _families_by_name(ctx: StatementContext) -> dict[str, frozenset[str]]:
    """Folded column name -> the type families of the schema's columns of that name (once per run)."""
    found: dict[str, frozenset[str]] | None = ctx.memo.get(_FAMILIES_MEMO)
    if found is None:
        collected: dict[str, set[str]] = {}
        for table in ctx.schema:
            for key, column in table.columns.items():
                family = type_family(column.type)
                if family is not None:
                    collected.setdefault(key, set()).add(family)
        found = ctx.memo[_FAMILIES_MEMO] = {key: frozenset(value) for key, value in collected.items()}
    return found


def _may_mismatch(column: exp.Column, value: exp.Expression, families: dict[str, frozenset[str]]) -> bool:
    """Whether some schema column of this name could mismatch ``value``: a test on names alone, so that the
    statements where no pair can be reported never build the QueryGraph (it over-approximates: the graph
    decides which table the column belongs to)."""
    own = families.get(fold(column.name))
    if not own:
        return False
    other = value.unnest()
    if isinstance(other, exp.Column):
        theirs = families.get(fold(other.name))
        return theirs is not None and any(mine != their for mine in own for their in theirs)
    if not isinstance(other, exp.Literal | exp.Neg | exp.Cast):
        return False
    literal = _literal_family(value)
    if literal is None:
        return False
    return any(mine != literal and not (mine == "temporal" and literal == "text") for mine in own)


class ImplicitTypeConversion(Rule):
    """SQ017: a column of a known type compared with a literal or column of another type family.

    Judged families: numbers, text and date/time. A string literal compared with a date column is the
    standard way to write a date and is not reported; nor is anything whose type the schema does not give.
    """

    code = "SQ017"
    node_types = _TYPED_COMPARISONS

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if not ctx.schema:
            return
        if isinstance(node, exp.Between):
            pairs = [(node.this, node.args["low"]), (node.this, node.args["high"])]
        elif isinstance(node, exp.In):
            pairs = [(node.this, value) for value in node.expressions]
        else:
            pairs = [(node.this, node.expression), (node.expression, node.this)]
        candidates = [(side, value) for side, value in pairs if isinstance(side.unnest(), exp.Column)]
        if not candidates:
            return
        clause = clause_of(node)
        if clause not in (*FILTER_CLAUSES, "having"):
            return
        if clause != "having":  # in HAVING an unqualified name may be an output alias of another column
            families = _families_by_name(ctx)
            candidates = [(s, v) for s, v in candidates if _may_mismatch(s.unnest(), v, families)]
            if not candidates:
                return
        uses = uses_by_node(ctx.graph)
        for column_side, value in candidates:
            column = column_side.unnest()
            assert isinstance(column, exp.Column)
            declared = column_type(uses.get(id(column)), ctx.graph)
            family = type_family(declared)
            if family is None:
                continue
            message = self._mismatch(column, declared, family, value, uses, ctx)
            if message:
                yield Violation(message, node)
                return

    @staticmethod
    def _mismatch(
        column: exp.Column,
        declared: str,
        family: str,
        value: exp.Expression,
        uses: dict[int, ColumnUse],
        ctx: StatementContext,
    ) -> str:
        """The message when ``column`` and ``value`` are of different families, else ``""``.

        The SQL text of either side is generated only for a message: generation copies the tree.
        """
        other = value.unnest()
        if isinstance(other, exp.Column):
            other_type = column_type(uses.get(id(other)), ctx.graph)
            other_family = type_family(other_type)
            if other_family is None or other_family == family or family > other_family:
                return ""  # each mismatched pair of columns is reported once, from one side
            return (
                f"`{_sql(column, ctx)}` ({declared}) is compared with `{_sql(value, ctx)}` ({other_type}): one side "
                "is converted on every row, which defeats an index on it (and a hash or merge join); give both "
                "columns the same type"
            )
        literal = _literal_family(value)
        if literal is None or literal == family or (family == "temporal" and literal == "text"):
            return ""
        name, shown = _sql(column, ctx), _sql(value, ctx)
        if family == "text":
            return (
                f"`{name}` is {declared} but is compared with the number {shown}: the column is converted on "
                f"every row (MySQL then cannot use its index) or the query fails; compare with the string '{shown}'"
            )
        instead = _LITERAL_EXAMPLES[family]
        if literal == "text":
            return (
                f"`{name}` is {declared} but is compared with the string {shown}: the value is converted "
                f"implicitly (some engines convert the column instead, and a malformed string fails at run "
                f"time); write {instead}"
            )
        return (
            f"`{name}` is {declared} but is compared with a {literal} ({shown}): the types do not match, so "
            f"the value or the column is converted implicitly (or the query fails); write {instead}"
        )


# -- SQ023 ----------------------------------------------------------------------------------------------
class RegexPredicate(Rule):
    """SQ023: a regular-expression match (``~``, ``~*``, ``SIMILAR TO``, ``REGEXP``, ``RLIKE``,
    ``REGEXP_LIKE``, ``REGEXP_CONTAINS``) on a column in WHERE or ON: evaluated row by row, never a B-tree
    range."""

    code = "SQ023"
    node_types = (exp.RegexpLike, exp.RegexpILike, exp.SimilarTo)

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterator[Violation]:
        if clause_of(node) not in FILTER_CLAUSES or not local_columns(node.this):
            return
        pattern = node.expression.unnest()
        if (ctx.dialect or "postgres").lower() in ("postgres", "postgresql"):
            advice = "a trigram index (pg_trgm, GIN) can serve it, or use full-text search"
        else:
            advice = "filter on a prefix with LIKE 'abc%', or use full-text search"
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            prefix = _anchored_prefix(pattern.this)
            if prefix and not isinstance(node, exp.RegexpILike) and not node.args.get("full_match"):
                advice = f"`{_sql(node.this, ctx)} LIKE '{prefix}%'` is equivalent and can use one"
        yield Violation(
            f"`{_sql(node, ctx)}` filters with a regular expression, which is evaluated on every row and "
            f"cannot use a B-tree index; {advice}",
            node,
        )


def _anchored_prefix(pattern: str) -> str:
    """``'^abc'`` -> ``'abc'``; ``''`` when the pattern is not a plain anchored prefix.

    >>> _anchored_prefix("^INV-2024"), _anchored_prefix("^a.c"), _anchored_prefix("abc")
    ('INV-2024', '', '')
    """
    if not pattern.startswith("^"):
        return ""
    prefix = pattern[1:].removesuffix(".*")
    if not prefix or any(char in prefix for char in ".^$*+?()[]{}|\\%_'"):
        return ""
    return prefix


RULES = [NonSargablePredicate, LeadingWildcardLike, OrAcrossColumns, ImplicitTypeConversion, RegexPredicate]
