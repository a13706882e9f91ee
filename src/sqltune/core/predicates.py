"""The predicate toolkit, syntax half: splitting conditions, NULL tests, null rejection and aggregates.

Every rule, rewrite, plan rule and the cost model asks these questions of a sqlglot tree, so they are
answered once, here, in the style of sqlglot's optimizer helpers (plain functions over expressions). The
scope-aware half -- is a column *proven* NOT NULL through derived tables, CTEs and joins, which keys are
unique and NOT NULL -- needs a :class:`~sqltune.graph.QueryGraph` and lives in :mod:`sqltune.graph.predicates`.

- :func:`conjuncts`, :func:`disjuncts`: the AND-ed / OR-ed terms of a condition, parentheses removed. Both
  walk with an explicit stack: a generated ``a = 1 OR b = 2 OR ...`` of 10,000 terms is a left-deep tree
  10,000 levels deep, and a recursive splitter dies on it;
- :func:`not_null_tested`, :func:`is_null_tested`: the operand of ``x IS NOT NULL`` / ``x IS NULL``;
- :func:`null_rejected`: the operands a predicate rejects NULL in (the predicate is never TRUE when one of
  them is NULL), through AND, OR and NOT;
- :func:`is_aggregate_function`, :func:`is_grouping_aggregate`, :func:`aggregates_rows`,
  :func:`calls_aggregate`, :func:`has_window`: aggregate detection (below).

**Aggregates.** An *aggregate function* is a sqlglot ``AggFunc`` (``sum``, ``count``, ``string_agg``,
``percentile_cont``, ``countif``, ``any_value``, ``approx_count_distinct``...) or a function sqlglot does not
model whose name is a known aggregate in some dialect (``listagg`` outside Snowflake, ``jsonb_agg``,
``every``, ``xmlagg``, ``*_agg``...). Two questions are asked about them, and they differ on window
functions:

- :func:`aggregates_rows` -- "does this expression collapse the rows of its query (GROUP BY semantics)?":
  ``sum(x)``, ``count(*) FILTER (WHERE ...)``, ``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`` do;
  ``sum(x) OVER ()`` and ``sum(x) FILTER (WHERE ...) OVER ()`` do **not** (a window aggregate keeps every
  row, and its arguments are evaluated per row, so they must themselves be grouped);
- :func:`calls_aggregate` -- "does this expression call an aggregate function at all, windowed or not?":
  true for all of the above (what decides, for instance, that a query cannot stream its first LIMIT rows).

Both look at one query level: aggregates inside a nested subquery belong to that subquery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqltune.core.sqlglot import exp

__all__ = [
    "aggregates_rows",
    "calls_aggregate",
    "conjuncts",
    "disjuncts",
    "has_window",
    "is_aggregate_function",
    "is_grouping_aggregate",
    "is_null_tested",
    "not_null_tested",
    "null_rejected",
    "own_nodes",
    "rejects_null",
    "set_branches",
    "strip_parens",
]

#: Aggregates sqlglot parses as anonymous functions in at least one dialect (lower-case names).
AGGREGATE_NAMES = frozenset(
    {"every", "jsonb_agg", "jsonb_object_agg", "json_object_agg", "json_agg", "xmlagg", "listagg", "median"}
    | {"count_if", "countif", "sum_if", "min_by", "max_by", "arg_min", "arg_max", "collect_list", "collect_set"}
    | {"kurtosis", "skewness", "entropy", "geomean", "histogram", "object_agg", "string_agg", "group_concat"}
    | {"arbitrary", "any_value", "array_agg", "approx_count_distinct", "percentile_cont", "percentile_disc"}
    | {"bit_and", "bit_or", "bit_xor", "bool_and", "bool_or", "mode", "product", "approx_top_k"}
)
#: Name prefixes of aggregate families (``approx_percentile``, ``regr_sxx``, ``stddev_pop``, ``var_samp``...).
AGGREGATE_PREFIXES = ("approx_", "regr_", "covar_", "stddev", "var_", "variance", "percentile", "quantile", "hll")
#: Wrappers between an aggregate and the OVER clause that makes it a window function.
AGGREGATE_WRAPPERS = (exp.IgnoreNulls, exp.RespectNulls, exp.Filter, exp.WithinGroup)
#: Comparisons that are unknown (never TRUE) when an operand is NULL.
_STRICT_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike)


def strip_parens(node: exp.Expression) -> exp.Expression:
    """``node`` without the parentheses around it.

    >>> from sqltune.core.sqlglot import parse_one
    >>> strip_parens(parse_one("((a + 1))")).sql()
    'a + 1'
    """
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _split(
    node: exp.Expression | None,
    kind: type[exp.Expression] | tuple[type[exp.Expression], ...],
    wrappers: tuple[type[exp.Expression], ...] = (exp.Paren,),
) -> list[exp.Expression]:
    """The operands of a chain of binary ``kind`` nodes from left to right, ``wrappers`` around each removed,
    with an explicit stack (no recursion)."""
    if node is None:
        return []
    found: list[exp.Expression] = []
    stack = [node]
    while stack:
        current = stack.pop()
        while isinstance(current, wrappers):
            current = current.this
        if isinstance(current, kind):
            stack.append(current.expression)
            stack.append(current.this)
        else:
            found.append(current)
    return found


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The AND-ed terms of a condition, left to right, parentheses removed (``None`` has none).

    >>> from sqltune.core.sqlglot import parse_one
    >>> [c.sql() for c in conjuncts(parse_one("a = 1 AND (b = 2 AND (c = 3 OR d = 4))"))]
    ['a = 1', 'b = 2', 'c = 3 OR d = 4']
    >>> len(conjuncts(parse_one(" AND ".join(f"a = {i}" for i in range(10_000)))))
    10000
    """
    return _split(node, exp.And)


def disjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The OR-ed terms of a condition, left to right, parentheses removed.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [d.sql() for d in disjuncts(parse_one("a = 1 OR (b = 2 OR (c = 3 AND d = 4))"))]
    ['a = 1', 'b = 2', 'c = 3 AND d = 4']
    """
    return _split(node, exp.Or)


def set_branches(
    query: exp.Expression, kind: type[exp.SetOperation] | tuple[type[exp.SetOperation], ...] = exp.SetOperation
) -> list[exp.Expression]:
    """The branches of a chain of set operations of ``kind``, left to right, with parentheses and
    ``(subquery)`` wrappers removed; a query of another kind is its own single branch. Iterative: a generated
    UNION of 10,000 SELECTs is a left-deep tree 10,000 levels deep.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [b.sql() for b in set_branches(parse_one("SELECT 1 UNION (SELECT 2 UNION ALL SELECT 3) EXCEPT SELECT 4"))]
    ['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4']
    >>> [b.sql() for b in set_branches(parse_one("SELECT 1 UNION SELECT 2 EXCEPT SELECT 4"), exp.Union)]
    ['SELECT 1 UNION SELECT 2 EXCEPT SELECT 4']
    """
    return _split(query, kind, (exp.Paren, exp.Subquery))


def not_null_tested(node: exp.Expression) -> exp.Expression | None:
    """``x`` of ``x IS NOT NULL`` (sqlglot writes it as ``NOT (x IS NULL)`` or ``Is(negate=True)``), else None.

    >>> from sqltune.core.sqlglot import parse_one
    >>> not_null_tested(parse_one("a IS NOT NULL")).sql(), not_null_tested(parse_one("a IS NULL"))
    ('a', None)
    """
    node = strip_parens(node)
    negated = False
    if isinstance(node, exp.Not):
        negated, node = True, strip_parens(node.this)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and negated != bool(node.args.get("negate")):
        return strip_parens(node.this)
    return None


def is_null_tested(node: exp.Expression) -> exp.Expression | None:
    """``x`` of ``x IS NULL`` (not negated either way), else None.

    >>> from sqltune.core.sqlglot import parse_one
    >>> is_null_tested(parse_one("(a) IS NULL")).sql(), is_null_tested(parse_one("a IS NOT NULL"))
    ('a', None)
    """
    node = strip_parens(node)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and not node.args.get("negate"):
        return strip_parens(node.this)
    return None


def _strict_operands(node: exp.Expression) -> list[exp.Expression]:
    """Operands whose NULL makes the atomic predicate ``node`` NULL or FALSE, and so does its negation."""
    if isinstance(node, _STRICT_COMPARISONS):
        operands = [node.this, node.expression]
        if any(isinstance(strip_parens(o), exp.All | exp.Any) for o in operands):
            return []  # x <> ALL (empty) is TRUE for a NULL x
        return [strip_parens(o) for o in operands]
    if isinstance(node, exp.Between):
        return [strip_parens(node.this)]
    if isinstance(node, exp.In) and node.args.get("query") is None and not node.args.get("unnest"):
        return [strip_parens(node.this)]  # x IN (list) and NOT (x IN (list)) are NULL for a NULL x
    return []


def _rejected_by_atom(node: exp.Expression) -> list[exp.Expression]:
    tested = not_null_tested(node)
    if tested is not None:
        return [tested]
    if isinstance(node, exp.Not):
        return _strict_operands(strip_parens(node.this))
    if isinstance(node, exp.In) and not node.args.get("unnest"):
        return [strip_parens(node.this)]  # x IN (SELECT ...) is never TRUE for a NULL x
    return _strict_operands(node)


def null_rejected(predicate: exp.Expression | None) -> list[exp.Expression]:
    """The operands (parentheses removed) that ``predicate`` rejects NULL in: the predicate is never TRUE
    when one of them is NULL.

    ``x IS NOT NULL``, comparisons, ``LIKE``, ``IN`` and ``BETWEEN`` reject NULL in their bare operands (not
    ``x <> ALL (subquery)`` or ``NOT (x IN (subquery))``, TRUE for a NULL ``x`` when the subquery is empty);
    ``a AND b`` rejects what either side rejects, ``a OR b`` what both sides reject. Nested AND/OR are
    walked with an explicit stack.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [n.sql() for n in null_rejected(parse_one("a > 0 AND b LIKE 'x%' AND c IS NULL"))]
    ['a', '0', 'b', "'x%'"]
    >>> [n.sql() for n in null_rejected(parse_one("(a = 1 AND b = 1) OR (a = 2 AND c = 2)"))]
    ['a']
    >>> null_rejected(parse_one("NOT (a IN (SELECT b FROM t))")), null_rejected(parse_one("a <=> 1"))
    ([], [])
    """
    if predicate is None:
        return []
    # Post-order over the AND/OR tree: each connector's result is built from its children's.
    results: dict[int, list[exp.Expression]] = {}
    stack: list[tuple[exp.Expression, bool]] = [(strip_parens(predicate), False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, exp.And | exp.Or) and not expanded:
            stack.append((node, True))
            stack.append((strip_parens(node.expression), False))
            stack.append((strip_parens(node.this), False))
            continue
        if not isinstance(node, exp.And | exp.Or):
            results[id(node)] = _rejected_by_atom(node)
            continue
        left = results.pop(id(strip_parens(node.this)))
        right = results.pop(id(strip_parens(node.expression)))
        if isinstance(node, exp.And):
            results[id(node)] = left + right
        else:
            both = {hash(other) for other in right}
            results[id(node)] = [r for r in left if hash(r) in both and any(r == other for other in right)]
    return results[id(strip_parens(predicate))]


def rejects_null(predicate: exp.Expression | None, same: Callable[[exp.Expression], bool]) -> bool:
    """Whether ``predicate`` rejects NULL in an operand for which ``same(operand)`` holds.

    >>> from sqltune.core.sqlglot import parse_one
    >>> rejects_null(parse_one("b BETWEEN 1 AND 2"), lambda n: n.sql() == "b")
    True
    """
    return any(same(operand) for operand in null_rejected(predicate))


# -- aggregates ---------------------------------------------------------------------------------------------
def is_aggregate_function(node: exp.Expression) -> bool:
    """The node is a call of an aggregate function (windowed or not), by sqlglot class or by dialect name.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [is_aggregate_function(parse_one(f"SELECT {f}").expressions[0]) for f in
    ...  ("sum(x)", "listagg(x, ',')", "jsonb_agg(x)", "approx_percentile(x, 0.5)", "lower(x)", "bit_length(x)")]
    [True, True, True, True, False, False]
    """
    if isinstance(node, exp.AggFunc):
        return True
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        return name in AGGREGATE_NAMES or name.endswith("_agg") or name.startswith(AGGREGATE_PREFIXES)
    return False


def is_grouping_aggregate(node: exp.Expression) -> bool:
    """The node is an aggregate that collapses the rows of a group: an aggregate function, possibly wrapped in
    FILTER / WITHIN GROUP / IGNORE NULLS, that no OVER clause makes a window function.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [is_grouping_aggregate(parse_one(f"SELECT {f}").expressions[0]) for f in (
    ...     "count(*) FILTER (WHERE x > 0)", "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
    ...     "sum(x) OVER ()", "sum(x) FILTER (WHERE x > 0) OVER ()")]
    [True, True, False, False]
    """
    inner = node
    while isinstance(inner, AGGREGATE_WRAPPERS):
        inner = inner.this
    if inner is None or not is_aggregate_function(inner):
        return False
    child, parent = node, node.parent
    while isinstance(parent, AGGREGATE_WRAPPERS) and child.arg_key == "this":
        child, parent = parent, parent.parent
    return not (isinstance(parent, exp.Window) and child.arg_key == "this")


def own_nodes(root: exp.Expression) -> Iterator[exp.Expression]:
    """``root`` and its descendants, not entering nested queries (``root`` itself may be a query).

    >>> from sqltune.core.sqlglot import parse_one
    >>> [n.sql() for n in own_nodes(parse_one("a + (SELECT b FROM t)")) if isinstance(n, exp.Column)]
    ['a']
    """
    yield from root.walk(prune=lambda n: isinstance(n, exp.Query) and n is not root)


def aggregates_rows(node: exp.Expression) -> bool:
    """``node`` aggregates rows of its own query (GROUP BY semantics): an aggregate not under OVER, outside
    nested subqueries.

    >>> from sqltune.core.sqlglot import parse_one
    >>> [aggregates_rows(parse_one(f"SELECT {f} FROM t")) for f in (
    ...     "sum(x)", "sum(x) FILTER (WHERE y) OVER ()", "(SELECT max(x) FROM u)", "coalesce(string_agg(x, ','), '')")]
    [True, False, False, True]
    """
    return any(is_grouping_aggregate(n) for n in own_nodes(node))


def calls_aggregate(node: exp.Expression) -> bool:
    """``node`` calls an aggregate function of its own query, windowed or not (outside nested subqueries).

    >>> from sqltune.core.sqlglot import parse_one
    >>> [calls_aggregate(parse_one(f"SELECT {f} FROM t")) for f in (
    ...     "sum(x)", "sum(x) FILTER (WHERE y) OVER ()", "row_number() OVER ()", "(SELECT max(x) FROM u)")]
    [True, True, False, False]
    """
    return any(is_aggregate_function(n) for n in own_nodes(node))


def has_window(node: exp.Expression) -> bool:
    """``node`` has a window function (an OVER clause) of its own query.

    >>> from sqltune.core.sqlglot import parse_one
    >>> has_window(parse_one("SELECT row_number() OVER () FROM t")), has_window(parse_one("SELECT 1"))
    (True, False)
    """
    return any(isinstance(n, exp.Window) for n in own_nodes(node))
