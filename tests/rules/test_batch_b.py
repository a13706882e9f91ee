"""Precision traps and messages of the subquery, ordering, grouping, set-operation and DML rules.

The catalogue (tests/test_catalogue.py) holds each rule's documented cases; these tests pin the edge cases
behind them: where each rule must stay silent, what its message names, and which text its span covers.
Rules are driven the way the engine drives them (one walk, ``visit`` per node type, then ``check``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.core.sqlglot import exp
from sqltune.rules.base import Rule, StatementContext, Violation
from sqltune.rules.builtin.dml import DmlWithoutWhere
from sqltune.rules.builtin.grouping import (
    GroupAnalysis,
    HavingWithoutAggregate,
    UngroupedColumn,
    grouped_as_written,
    is_aggregate_select,
)
from sqltune.rules.builtin.ordering import DeepOffsetPagination, LimitWithoutOrderBy, OrderByRandom
from sqltune.rules.builtin.set_operations import UnionInsteadOfUnionAll
from sqltune.rules.builtin.subqueries import (
    CorrelatedSubqueryFilter,
    CorrelatedSubqueryInSelect,
    CountInsteadOfExists,
    OrderByInSubquery,
)
from sqltune.schema import Schema


def lint(rule: type[Rule], sql: str, dialect: str = "postgres", ddl: str = "") -> list[tuple[str, str]]:
    """(covered text, message) of each violation ``rule`` reports on ``sql``."""
    source = Source("<test>", sql)
    schema = Schema.from_ddl(ddl, dialect=dialect) if ddl else Schema()
    instance = rule()
    found = []
    for statement in parse_source(source, dialect):
        assert statement.error is None, statement.error
        ctx = StatementContext(statement, schema, dialect)
        violations: list[Violation] = []
        for node in ctx.expression.walk():
            if rule.node_types and isinstance(node, rule.node_types):
                violations.extend(instance.visit(node, ctx))
        violations.extend(instance.check(ctx))
        for violation in violations:
            span = violation.span or ctx.span(violation.node)
            found.append((sql[span.start : span.end], violation.message))
    return found


# -- SQ007 order-by-random ----------------------------------------------------------------------------------
def test_order_by_random_covers_the_clause_and_suggests_the_dialects_sampling() -> None:
    [(text, message)] = lint(OrderByRandom, "SELECT id FROM t ORDER BY RAND() LIMIT 3", "mysql")
    assert text == "ORDER BY RAND()"
    assert "TABLESAMPLE" not in message  # MySQL has none: only the random-key advice
    [(_, message)] = lint(OrderByRandom, "SELECT id FROM t ORDER BY random() LIMIT 3")
    assert "TABLESAMPLE SYSTEM" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT random() AS r FROM t ORDER BY id",
        "SELECT * FROM (VALUES (1), (2)) AS v (x) ORDER BY random()",
        "SELECT string_agg(name, ',' ORDER BY random()) FROM t",
        "SELECT random() ORDER BY 1",
    ],
)
def test_order_by_random_silent(sql: str) -> None:
    assert lint(OrderByRandom, sql) == []


def test_order_by_random_inside_an_expression() -> None:
    [(text, _)] = lint(OrderByRandom, "SELECT id FROM t ORDER BY md5(random()::text) LIMIT 3")
    assert text == "ORDER BY md5(random()::text)"


# -- SQ008 deep-offset-pagination ---------------------------------------------------------------------------
def test_deep_offset_threshold_is_1000() -> None:
    assert lint(DeepOffsetPagination, "SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 999") == []
    [(text, message)] = lint(DeepOffsetPagination, "SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 1000")
    assert text == "OFFSET 1000"
    assert "`WHERE id > :last_id ORDER BY id LIMIT n`" in message


def test_parameter_offsets_are_reported_with_their_text() -> None:
    [(text, message)] = lint(DeepOffsetPagination, "SELECT id FROM t ORDER BY id LIMIT 20 OFFSET (:page - 1) * 20")
    assert text == "OFFSET (:page - 1) * 20"
    assert "parameter" in message
    assert lint(DeepOffsetPagination, "SELECT id FROM t ORDER BY id OFFSET @skip ROWS", "tsql")[0][0] == "OFFSET @skip"


def test_keyset_advice_follows_the_sort_direction() -> None:
    [(_, message)] = lint(DeepOffsetPagination, "SELECT a FROM t ORDER BY a DESC, b DESC LIMIT 5 OFFSET 5000")
    assert "`WHERE (a, b) < (:last_a, :last_b) ORDER BY a DESC, b DESC LIMIT n`" in message
    [(_, mixed)] = lint(DeepOffsetPagination, "SELECT a FROM t ORDER BY a, b DESC LIMIT 5 OFFSET 5000")
    assert "WHERE key > :last_key" in mixed  # no single row comparison fits mixed directions


# -- SQ016 limit-without-order-by ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT a FROM t LIMIT 0", "postgres"),
        ("SELECT a FROM t LIMIT ALL", "postgres"),
        ("SELECT max(a) FROM t LIMIT 1", "postgres"),
        ("SELECT 1 FROM t WHERE a = 1 LIMIT 1", "postgres"),
        ("SELECT TOP 1 1 FROM t WHERE a = 1", "tsql"),
        ("SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.k LIMIT 1) ORDER BY id", "postgres"),
        ("SELECT now() LIMIT 1", "postgres"),
        ("SELECT * FROM (SELECT count(*) AS a FROM t) x, (SELECT sum(b) AS b FROM u) y LIMIT 100", "duckdb"),
        ("SELECT a FROM t ORDER BY a LIMIT 5", "postgres"),
        ("DELETE FROM t WHERE a < 5 ORDER BY id LIMIT 10", "mysql"),
    ],
)
def test_limit_without_order_by_silent(sql: str, dialect: str) -> None:
    assert lint(LimitWithoutOrderBy, sql, dialect) == []


def test_limit_on_a_unique_key_lookup_needs_the_schema() -> None:
    sql = "SELECT name FROM users WHERE id = 5 LIMIT 1"
    assert len(lint(LimitWithoutOrderBy, sql)) == 1
    assert lint(LimitWithoutOrderBy, sql, ddl="CREATE TABLE users (id int PRIMARY KEY, name text)") == []


@pytest.mark.parametrize(
    ("sql", "dialect", "text"),
    [
        ("SELECT a FROM t LIMIT :n", "postgres", "LIMIT :n"),
        ("SELECT TOP (10) a FROM t", "tsql", "TOP (10)"),
        ("SELECT a FROM t UNION SELECT a FROM u LIMIT 5", "postgres", "LIMIT 5"),
        ("SELECT * FROM t WHERE a = (SELECT b FROM u LIMIT 1)", "postgres", "LIMIT 1"),
        ("SELECT a, count(*) FROM t GROUP BY a LIMIT 10", "postgres", "LIMIT 10"),
    ],
)
def test_limit_without_order_by_reported(sql: str, dialect: str, text: str) -> None:
    [(covered, message)] = lint(LimitWithoutOrderBy, sql, dialect)
    assert covered == text
    assert message.startswith(f"`{text}` without ORDER BY")


# -- SQ015 order-by-in-subquery -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO x (a) SELECT a FROM t ORDER BY a",
        "CREATE TABLE x AS SELECT a FROM t ORDER BY a",
        "SELECT ARRAY(SELECT x FROM t ORDER BY x)",
        "SELECT * FROM t LEFT JOIN LATERAL (SELECT b FROM u WHERE u.k = t.k ORDER BY b DESC LIMIT 1) x ON true",
        "SELECT * FROM (SELECT a FROM t ORDER BY a OFFSET 10) d",
        "SELECT a, rank() OVER (ORDER BY b) FROM t",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b) FROM t",
    ],
)
def test_order_by_in_subquery_silent(sql: str) -> None:
    assert lint(OrderByInSubquery, sql) == []


def test_order_by_in_subquery_names_where_it_is() -> None:
    [(text, message)] = lint(OrderByInSubquery, "(SELECT a FROM t ORDER BY a) UNION ALL (SELECT a FROM u)")
    assert text == "ORDER BY a"
    assert "UNION branch" in message
    [(_, message)] = lint(OrderByInSubquery, "WITH c AS (SELECT a FROM t ORDER BY a) SELECT a FROM c")
    assert "CTE `c`" in message


# -- SQ012 / SQ024 correlated subqueries --------------------------------------------------------------------
def test_correlated_select_subquery_suggests_a_join_of_the_lookup_table() -> None:
    sql = "SELECT e.name, (SELECT d.name FROM departments d WHERE d.id = e.department_id) FROM employees e"
    [(text, message)] = lint(CorrelatedSubqueryInSelect, sql)
    assert text == "(SELECT d.name FROM departments d WHERE d.id = e.department_id)"
    assert "`LEFT JOIN departments AS d ON d.id = e.department_id`" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, (SELECT max(total) FROM orders) FROM customers",
        "SELECT c.id FROM customers c WHERE c.id IN (SELECT o.customer_id FROM orders o WHERE o.total > c.limit)",
        "UPDATE t SET x = (SELECT max(y) FROM u WHERE u.k = t.k) WHERE t.flag",
    ],
)
def test_correlated_select_subquery_silent(sql: str) -> None:
    assert lint(CorrelatedSubqueryInSelect, sql) == []


def test_correlated_filter_names_the_keys_and_sketches_the_derived_table() -> None:
    sql = (
        "SELECT s_name FROM partsupp, supplier WHERE ps_suppkey = s_suppkey AND ps_availqty > "
        "(SELECT 0.5 * sum(l_quantity) FROM lineitem WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey)"
    )
    ddl = (
        "CREATE TABLE partsupp (ps_partkey int, ps_suppkey int, ps_availqty int);"
        "CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_name text);"
        "CREATE TABLE lineitem (l_partkey int, l_suppkey int, l_quantity numeric);"
    )
    [(text, message)] = lint(CorrelatedSubqueryFilter, sql, ddl=ddl)
    assert text.startswith("(SELECT 0.5") and text.endswith("l_suppkey = ps_suppkey)")
    assert "`ps_availqty > (SELECT ...)`" in message
    assert "`ps_partkey`, `ps_suppkey`" in message
    assert "GROUP BY l_partkey, l_suppkey) s ON s.l_partkey = ps_partkey AND s.l_suppkey = ps_suppkey" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.k)",
        "SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE u.k = t.k)",
        "SELECT a FROM t WHERE a > ALL (SELECT b FROM u WHERE u.k = t.k)",
        "SELECT a FROM t WHERE a > (SELECT avg(b) FROM u)",
        "SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k) > 0",  # SQ013's
    ],
)
def test_correlated_filter_silent(sql: str) -> None:
    assert lint(CorrelatedSubqueryFilter, sql) == []


# -- SQ013 count-instead-of-exists --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k) > 0", "EXISTS"),
        ("SELECT a FROM t WHERE 1 <= (SELECT count(*) FROM u WHERE u.k = t.k)", "EXISTS"),
        ("SELECT a FROM t WHERE (SELECT count(1) FROM u WHERE u.k = t.k) <> 0", "EXISTS"),
        ("SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k) < 1", "NOT EXISTS"),
        ("SELECT a FROM t WHERE 0 = (SELECT count(*) FROM u WHERE u.k = t.k)", "NOT EXISTS"),
    ],
)
def test_count_comparisons_that_test_existence(sql: str, keyword: str) -> None:
    [(text, message)] = lint(CountInsteadOfExists, sql)
    assert text.count("(") == text.count(")") and "SELECT count" in text
    assert f"so rewrite the subquery as {keyword}" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k) > 1",
        "SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k) = 1",
        "SELECT a FROM t WHERE (SELECT count(*) FROM u WHERE u.k = t.k GROUP BY u.z) > 0",
        "SELECT count(*) OVER () > 0 FROM t",
        "SELECT g, count(*) > 0 FROM t GROUP BY g",
        "SELECT a FROM t WHERE (SELECT sum(x) FROM u WHERE u.k = t.k) > 0",
    ],
)
def test_count_comparisons_that_are_not_existence_tests(sql: str) -> None:
    assert lint(CountInsteadOfExists, sql) == []


def test_count_of_a_column_needs_is_not_null() -> None:
    [(_, message)] = lint(CountInsteadOfExists, "SELECT a FROM t WHERE (SELECT count(u.x) FROM u WHERE u.k = t.k) = 0")
    assert "`u.x IS NOT NULL`" in message


# -- SQ011 union-instead-of-union-all -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'a' AS k, x FROM t UNION SELECT 'b', x FROM u UNION SELECT 'a', x FROM v",  # a and a overlap
        "SELECT 1 AS k, x FROM t UNION SELECT '1', x FROM u",  # '1' may be coerced to 1
        "SELECT NULL AS k, x FROM t UNION SELECT 'b', x FROM u",
        "SELECT t.k, x FROM t WHERE t.k = 1 UNION SELECT u.k, x FROM u WHERE u.k = 2",  # different tables' k
        "SELECT 'a' AS k, x FROM t INTERSECT SELECT 'b', x FROM u",
        "SELECT * FROM t WHERE k = 1 UNION SELECT * FROM t WHERE k = 2",
    ],
)
def test_union_silent_when_overlap_is_possible(sql: str) -> None:
    assert lint(UnionInsteadOfUnionAll, sql) == []


def test_union_reports_once_per_chain_at_its_first_keyword() -> None:
    sql = "SELECT 'a' AS k, x FROM t\nUNION ALL SELECT 'b', x FROM u\nUNION SELECT 'c', x FROM v"
    [(text, message)] = lint(UnionInsteadOfUnionAll, sql)
    assert text == "UNION"  # the first keyword, between the first two branches
    assert "output column 1 (`k`) is 'a' in one branch and 'b' in another" in message


def test_union_needs_the_schema_to_use_unfiltered_keys() -> None:
    sql = "SELECT id, email FROM users WHERE kind = 'a' UNION SELECT id, email FROM users WHERE kind = 'b'"
    assert lint(UnionInsteadOfUnionAll, sql) == []
    [(_, message)] = lint(UnionInsteadOfUnionAll, sql, ddl="CREATE TABLE users (id int PRIMARY KEY, email text)")
    assert "UNION ALL returns exactly the same rows" in message


# -- SQ014 having-without-aggregate -------------------------------------------------------------------------
def test_having_reports_only_the_movable_conjuncts() -> None:
    sql = "SELECT a, count(*) FROM t GROUP BY a HAVING a > 1 AND count(*) > 2 AND a IN (SELECT k FROM u)"
    assert [text for text, _ in lint(HavingWithoutAggregate, sql)] == ["a > 1", "a IN (SELECT k FROM u)"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a, count(*) FROM t GROUP BY a HAVING a IN (SELECT k FROM u WHERE u.x = t.a)",
        "SELECT a, count(*) FROM t GROUP BY a HAVING 1 = 1",
        "SELECT a, count(*) FROM t GROUP BY a HAVING b > 1",  # not grouped: SQ020's
        "SELECT a, b, sum(c) FROM t GROUP BY CUBE (a, b) HAVING a = 1",
        "SELECT a, sum(c) FROM t GROUP BY GROUPING SETS ((a), ()) HAVING a = 1",
        "SELECT count(*) FROM t HAVING count(*) > 1",
        "SELECT a, count(*) AS n FROM t GROUP BY a HAVING n > 1 OR a = 2",
    ],
)
def test_having_silent(sql: str) -> None:
    assert lint(HavingWithoutAggregate, sql) == []


# -- SQ020 ungrouped-column ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT t.a AS x, count(*) FROM t GROUP BY x ORDER BY x", "postgres"),
        ("SELECT a AS x, b, count(*) FROM t GROUP BY 1, 2", "postgres"),
        ("SELECT upper(t.a), count(*) FROM t GROUP BY upper(a) ORDER BY count(*) DESC", "postgres"),
        ("SELECT a, rank() OVER (ORDER BY sum(b)) FROM t GROUP BY a", "postgres"),
        ("SELECT a, count(*) FILTER (WHERE b > 1) FROM t GROUP BY a", "postgres"),
        ("SELECT a, percentile_cont(0.5) WITHIN GROUP (ORDER BY c) FROM t GROUP BY a", "postgres"),
        ("SELECT a, jsonb_agg(b), bool_or(c) FROM t GROUP BY a", "postgres"),
        ("SELECT a, b FROM t GROUP BY CUBE (a, b)", "postgres"),
        ("SELECT a AS x, x + 1 AS y, count(*) FROM t GROUP BY a", "snowflake"),
        ("SELECT c.id, (SELECT c.name || count(*) FROM o WHERE o.cid = c.id) FROM c", "postgres"),
        ("SELECT u.id, u.name, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id", "postgres"),
        ("SELECT current_date, a, count(*) FROM t GROUP BY a", "postgres"),
        ("SELECT a, count(*) FROM t GROUP BY ALL", "duckdb"),
        ("SELECT a, count(*) AS n FROM t GROUP BY a HAVING n > 1 ORDER BY n", "mysql"),
    ],
)
def test_ungrouped_column_silent(sql: str, dialect: str) -> None:
    assert lint(UngroupedColumn, sql, dialect) == []


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("SELECT a, b, c, count(*) FROM t GROUP BY a", ["b", "c"]),
        ("SELECT a, count(*) FROM t GROUP BY a ORDER BY b", ["b"]),
        ("SELECT a, (SELECT max(x) FROM u WHERE u.k = t.b) FROM t GROUP BY a", ["t.b"]),
        ("SELECT a, rank() OVER (ORDER BY b) FROM t GROUP BY a", ["b"]),
        ("SELECT a, sum(b) FILTER (WHERE c > 1) OVER () FROM t GROUP BY a", ["b", "c"]),
        ("SELECT name, max(salary) FROM employees", ["name"]),
        ("SELECT a, b, count(*) FROM t GROUP BY a HAVING b > 1 ORDER BY b", ["b"]),  # once per column
    ],
)
def test_ungrouped_column_reported(sql: str, columns: list[str]) -> None:
    assert [text for text, _ in lint(UngroupedColumn, sql)] == columns


def test_functional_dependence_needs_the_primary_key() -> None:
    sql = "SELECT c.code, c.name, count(*) FROM customers c GROUP BY c.code"
    assert [text for text, _ in lint(UngroupedColumn, sql)] == ["c.name"]
    keyed = "CREATE TABLE customers (code text PRIMARY KEY, name text)"
    assert lint(UngroupedColumn, sql, ddl=keyed) == []
    nullable_unique = "CREATE TABLE customers (code text UNIQUE, name text)"
    assert [text for text, _ in lint(UngroupedColumn, sql, ddl=nullable_unique)] == ["c.name"]


@pytest.mark.parametrize(
    ("sql", "written"),
    [
        ("SELECT a, t.b, sum(c) FROM t GROUP BY a, t.b ORDER BY a", True),
        ("SELECT a AS x, count(*) FROM t GROUP BY 1 ORDER BY x", True),
        ("SELECT a AS x, count(*) FROM t GROUP BY x", True),
        ("SELECT count(*), max(b) FROM t", True),
        ("SELECT a, count(*) FROM t GROUP BY ALL", True),
        ("SELECT t.a, count(*) FROM t GROUP BY a", False),  # qualified differently: resolution decides
        ("SELECT c.code, c.name, count(*) FROM customers c GROUP BY c.code", False),  # a key may decide
        ("SELECT upper(a), count(*) FROM t GROUP BY upper(a)", False),
        ("SELECT a, (SELECT max(x) FROM u) FROM t GROUP BY a", False),
    ],
)
def test_grouped_as_written_answers_only_what_the_text_proves(sql: str, written: bool) -> None:
    select = parse_source(Source("q.sql", sql), "postgres")[0].expression
    assert isinstance(select, exp.Select)
    assert grouped_as_written(select) is written


def test_grouped_as_written_agrees_with_the_full_analysis_on_tpc() -> None:
    """Where the text alone says "grouped", the graph-based analysis finds no ungrouped column either."""
    root = Path(__file__).resolve().parents[2] / "fixtures" / "workloads"
    answered = 0
    for path in sorted(root.glob("tpc*/*.sql")):
        for statement in parse_source(Source(str(path), path.read_text()), "postgres"):
            assert statement.expression is not None
            ctx = StatementContext(statement, Schema(), "postgres")
            for select in statement.expression.find_all(exp.Select):
                if is_aggregate_select(select) and grouped_as_written(select):
                    answered += 1
                    analysis = GroupAnalysis.of(select, ctx.graph)
                    clauses = [("select", item) for item in select.expressions]
                    clauses += [(key, select.args[key]) for key in ("having", "order") if select.args.get(key)]
                    assert not [c for key, item in clauses for c in analysis.ungrouped(item, key)]
    assert answered > 100


# -- SQ018 dml-without-where --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("DELETE t FROM t JOIN s ON t.id = s.id", "mysql"),
        ("DELETE TOP (100) FROM t", "tsql"),
        ("DELETE FROM t WHERE a = 1", "postgres"),
        ("DELETE FROM t USING s WHERE t.id = s.id", "postgres"),
        ("TRUNCATE TABLE t", "postgres"),
        ("UPDATE t SET a = 1 LIMIT 100", "mysql"),
    ],
)
def test_dml_without_where_silent(sql: str, dialect: str) -> None:
    assert lint(DmlWithoutWhere, sql, dialect) == []


@pytest.mark.parametrize(
    ("sql", "dialect", "phrase"),
    [
        ("DELETE FROM t USING s", "postgres", "DELETE from `t` without WHERE"),
        ("UPDATE t SET a = 1 WHERE TRUE", "postgres", "always-true `WHERE TRUE`"),
        ("UPDATE t SET a = s.a FROM t LEFT JOIN s ON t.id = s.id", "tsql", "UPDATE of `t` without WHERE"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d", "postgres", "DELETE from `t`"),
    ],
)
def test_dml_without_where_reported(sql: str, dialect: str, phrase: str) -> None:
    [(text, message)] = lint(DmlWithoutWhere, sql, dialect)
    assert text == "t"
    assert phrase in message


def test_dml_inside_merge_is_restricted_by_its_on_clause() -> None:
    sql = (
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a "
        "WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)"
    )
    assert lint(DmlWithoutWhere, sql, "snowflake") == []


def test_existence_counts_are_left_to_sq013() -> None:
    sql = "SELECT (SELECT count(*) FROM u WHERE u.k = t.k) > 0 AS has_u FROM t"
    assert lint(CorrelatedSubqueryInSelect, sql) == []
    assert len(lint(CountInsteadOfExists, sql)) == 1
