"""Batch A rules (predicates, NULLs, joins) beyond the catalogue cases: exact advice texts, fixes, the
schema-aware edges, and the noise guard over the TPC-H and TPC-DS workloads."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sqltune.core.config import Config
from sqltune.core.findings import Finding
from sqltune.core.predicates import not_null_tested as is_not_null_test
from sqltune.core.sqlglot import parse_one
from sqltune.linter.engine import lint_text
from sqltune.rules.builtin.joins import TooManyJoins
from sqltune.schema import Schema

ROOT = Path(__file__).resolve().parents[2]
BATCH_A = ("SQ002", "SQ003", "SQ004", "SQ005", "SQ006", "SQ009", "SQ010", "SQ017", "SQ021", "SQ022", "SQ023")


def findings(sql: str, code: str, dialect: str = "postgres", ddl: str = "") -> list[Finding]:
    schema = Schema.from_ddl(ddl, dialect=dialect) if ddl else None
    report = lint_text(sql, Config(dialect=dialect, select=(code,)), schema)
    return [f for f in report.findings if f.code == code]


def only_message(sql: str, code: str, dialect: str = "postgres", ddl: str = "") -> str:
    found = findings(sql, code, dialect, ddl)
    assert len(found) == 1, [f.message for f in found]
    return found[0].message


# -- SQ002 -------------------------------------------------------------------------------------------------
def test_arithmetic_is_moved_to_the_other_side_even_when_written_on_the_right() -> None:
    message = only_message("SELECT 1 FROM d1 WHERE DATE '2020-01-10' > d1.d_date + 5", "SQ002")
    assert "`d1.d_date < CAST('2020-01-10' AS DATE) - 5`" in message


def test_join_conditions_need_no_sargable_side() -> None:
    """``d3.d_date > d1.d_date + 5``: an index on d3.d_date serves the join as written; ``=`` joins are hashed;
    an OR over other tables' columns cannot use an index whatever this side is (precision corpus, TPC-DS)."""
    assert findings("SELECT 1 FROM d1, d3 WHERE d3.d_date > d1.d_date + 5", "SQ002") == []
    assert findings("SELECT 1 FROM s, a WHERE substr(s.zip, 1, 2) = substr(a.zip, 1, 2)", "SQ002") == []
    assert findings("SELECT 1 FROM s, a WHERE s.id = a.sid AND (substr(a.zip, 1, 5) = '123' OR s.x > 5)", "SQ002") == []


def test_year_equality_becomes_a_half_open_range() -> None:
    message = only_message("SELECT id FROM orders WHERE EXTRACT(YEAR FROM placed) = 2023", "SQ002")
    assert "`placed >= '2023-01-01' AND placed < '2024-01-01'`" in message


def test_substring_prefix_suggests_like() -> None:
    message = only_message("SELECT id FROM c WHERE substring(phone, 1, 2) IN ('13', '31')", "SQ002")
    assert "LIKE '...%'" in message


def test_columns_of_derived_tables_get_no_index_advice() -> None:
    sql = "SELECT 1 FROM (SELECT id, total FROM orders) o WHERE o.total * 2 > 10"
    assert findings(sql, "SQ002") == []


def test_expressions_over_two_columns_are_not_reported() -> None:
    assert findings("SELECT 1 FROM t WHERE a + b > 10", "SQ002") == []


# -- SQ004 -------------------------------------------------------------------------------------------------
DDL = """
CREATE TABLE t (id bigint PRIMARY KEY, code varchar(10), s text);
CREATE TABLE u (id bigint PRIMARY KEY, t_id bigint NOT NULL, note text);
"""


def test_not_in_follows_a_cte_output_to_its_column() -> None:
    safe = "WITH x AS (SELECT t_id AS k FROM u) SELECT 1 FROM t WHERE id NOT IN (SELECT k FROM x)"
    unsafe = "WITH x AS (SELECT note AS k FROM u) SELECT 1 FROM t WHERE id NOT IN (SELECT k FROM x)"
    assert findings(safe, "SQ004", ddl=DDL) == []
    assert "`k` is nullable" in only_message(unsafe, "SQ004", ddl=DDL)


def test_not_in_suggestion_qualifies_the_outer_column() -> None:
    message = only_message("SELECT 1 FROM t WHERE id NOT IN (SELECT note FROM u)", "SQ004", ddl=DDL)
    assert "WHERE note = t.id" in message


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "snowflake", "tsql"])
def test_is_not_null_is_recognised_in_every_parse_shape(dialect: str) -> None:
    where = parse_one("SELECT 1 FROM u WHERE note IS NOT NULL", dialect).args["where"].this
    tested = is_not_null_test(where)
    assert tested is not None and tested.name == "note"
    assert is_not_null_test(parse_one("SELECT 1 FROM u WHERE note IS NULL", dialect).args["where"].this) is None


# -- SQ005 -------------------------------------------------------------------------------------------------
def test_equals_null_offers_an_unsafe_is_null_fix() -> None:
    (finding,) = findings("SELECT id FROM users WHERE deleted_at <> NULL", "SQ005")
    assert finding.fix is not None
    assert finding.fix.replacement == "deleted_at IS NOT NULL"
    assert not finding.fix.safe
    assert finding.span.column == 28


# -- SQ010 -------------------------------------------------------------------------------------------------
def test_on_clause_that_ignores_the_joined_table_is_named() -> None:
    message = only_message("SELECT 1 FROM a JOIN b ON a.id = b.id JOIN c ON a.z = 5", "SQ010")
    assert "the ON clause of the join to `c` does not reference it" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM a, generate_series(1, 10) g",
        "SELECT * FROM a JOIN b ON 1 = 1",
        "SELECT * FROM a JOIN b USING (id)",
        "SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.a_id = a.id LIMIT 3) x",
        "UPDATE t SET x = u.y FROM u WHERE t.id = u.id",
    ],
)
def test_deliberate_or_connected_products_are_silent(sql: str) -> None:
    assert findings(sql, "SQ010") == []


def test_update_from_without_join_condition_is_a_cartesian_product() -> None:
    assert findings("UPDATE t SET x = 1 FROM u WHERE t.flag", "SQ010")


# -- SQ021, SQ009, SQ022 ------------------------------------------------------------------------------------
def test_concatenation_in_update_set_is_reported_and_mysql_pipes_are_or() -> None:
    assert "one of `code`, `s`" in only_message("UPDATE t SET s = code || s WHERE id = 1", "SQ021", ddl=DDL)
    assert findings("SELECT code || s FROM t", "SQ021", dialect="mysql", ddl=DDL) == []


def test_distinct_fanout_needs_evidence_from_declared_keys() -> None:
    ddl = DDL + "CREATE UNIQUE INDEX u_note ON u (note);"
    assert findings("SELECT DISTINCT t.s FROM t JOIN u ON u.t_id = t.id", "SQ009", ddl=ddl)
    assert findings("SELECT DISTINCT t.s FROM t JOIN u ON u.note = t.code", "SQ009", ddl=ddl) == []


def test_too_many_joins_reports_once_per_block_and_honours_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = [f"t{i}" for i in range(20)]
    joins = " ".join(f"JOIN {b} ON {b}.id = {a}.id" for a, b in itertools.pairwise(tables))
    sql = f"SELECT t0.id FROM t0 {joins}"
    assert "joins 20 relations" in only_message(sql, "SQ022")
    monkeypatch.setattr(TooManyJoins, "limit", 25)
    assert findings(sql, "SQ022") == []
