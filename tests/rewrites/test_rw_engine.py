"""The rewrite engine over whole files: byte-for-byte preservation, statuses, selection and bad input."""

from __future__ import annotations

import pytest

from sqltune.rewrites import REWRITES, Status, rewrite, select_rewrites
from sqltune.schema import Schema

DDL = "CREATE TABLE t (id int PRIMARY KEY, x int, g text NOT NULL);\nCREATE TABLE u (t_id int NOT NULL, y int);\n"


def test_only_changed_statements_are_replaced_byte_for_byte() -> None:
    text = (
        DDL
        + "-- a comment that stays\r\n"
        + "select  1 ;   /* odd spacing stays */\n"
        + "SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u);\t-- trailing\n"
        + "SELECT g, COUNT(*)\n  FROM t\n GROUP BY g\nHAVING g <> 'x';\n"
        + "SELECT 2"
    )
    report = rewrite(text, dialect="postgres")
    expected = (
        DDL
        + "-- a comment that stays\r\n"
        + "select  1 ;   /* odd spacing stays */\n"
        + "SELECT id FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.t_id = t.id);\t-- trailing\n"
        + "SELECT g, COUNT(*)\n  FROM t\n WHERE g <> 'x' GROUP BY g;\n"
        + "SELECT 2"
    )
    assert report.sql == expected
    assert sorted(change.rewrite for change in report.applied) == ["RW001", "RW011"]
    diff = report.diff()
    assert diff.startswith("--- a/<string>\n+++ b/<string>\n")
    assert "-SELECT id FROM t WHERE id NOT IN (SELECT t_id FROM u);\t-- trailing" in diff


def test_nothing_to_do_returns_the_text_unchanged() -> None:
    text = "SELECT a FROM t;\n\n-- done\n"
    report = rewrite(text, dialect="postgres")
    assert report.sql == text and not report.changed and report.diff() == "" and not report.changes


def test_advice_is_reported_not_applied_unless_unsafe() -> None:
    sql = "SELECT id FROM t WHERE x NOT IN (SELECT y FROM u)"
    safe = rewrite(sql, dialect="postgres", schema=Schema.from_ddl(DDL))
    assert safe.sql == sql
    [advice] = safe.advised
    assert advice.status is Status.ADVISED and not advice.applied
    assert any("t.x is never NULL" in condition for condition in advice.conditions)
    assert "NOT EXISTS" in advice.after and advice.diff().startswith("--- a/<string>")
    assert "Holds only if" in advice.describe()
    unsafe = rewrite(sql, dialect="postgres", schema=Schema.from_ddl(DDL), unsafe=True)
    assert unsafe.sql == "SELECT id FROM t WHERE NOT EXISTS(SELECT 1 FROM u WHERE u.y = t.x)"
    assert unsafe.applied[0].status is Status.ADVISED


def test_in_file_ddl_is_the_schema_and_keeps_the_users_dialect() -> None:
    text = (
        "CREATE TABLE o (id INT64 NOT NULL, ts TIMESTAMP NOT NULL);\n"
        "SELECT id FROM o WHERE DATE_TRUNC(ts, MONTH) = '2024-03-01';\n"
    )
    report = rewrite(text, dialect="bigquery")
    assert report.sql.splitlines()[1] == "SELECT id FROM o WHERE ts >= '2024-03-01' AND ts < '2024-04-01';"


def test_statements_that_do_not_parse_are_left_alone_and_reported() -> None:
    text = "SELECT FROM WHERE;\nSELECT a FROM t GROUP BY a HAVING a > 1;\n"
    report = rewrite(text, dialect="postgres", path="q.sql")
    assert report.sql == "SELECT FROM WHERE;\nSELECT a FROM t WHERE a > 1 GROUP BY a;\n"
    [problem] = report.problems
    assert problem.startswith("q.sql:1:") and "syntax error" in problem


def test_templated_statements_are_left_alone() -> None:
    text = "SELECT a FROM {{ ref('t') }} GROUP BY a HAVING a > 1;\n"
    report = rewrite(text, dialect="postgres", path="m.sql")
    assert report.sql == text and not report.problems
    assert report.notes == ["left alone: templated statement at m.sql:1"]


def test_select_and_ignore() -> None:
    assert [entry.id for entry in select_rewrites(["RW001", "having-to-where"])] == ["RW011", "RW001"]
    assert "RW001" not in {entry.id for entry in select_rewrites(None, ["RW001"])}
    known = {entry.id for entry in REWRITES}
    assert {entry.id for entry in select_rewrites(["RW01"])} == known & {f"RW0{n}" for n in range(10, 20)}
    with pytest.raises(ValueError, match="unknown rewrite 'RW999'; expected an id"):
        select_rewrites(["RW999"])
    with pytest.raises(ValueError, match="unknown dialect"):
        rewrite("SELECT 1", dialect="nosuchsql")


def test_rewrites_compose_to_a_fixpoint() -> None:
    ddl = (
        "CREATE TABLE c (id int PRIMARY KEY, name text);"
        "CREATE TABLE o (id int PRIMARY KEY, c_id int NOT NULL REFERENCES c (id), total int NOT NULL);"
    )
    sql = (
        "WITH big AS (SELECT o.id, o.total FROM o JOIN c ON c.id = o.c_id ORDER BY o.total) "
        "SELECT big.id FROM big WHERE big.total + 10 > 100 ORDER BY big.id"
    )
    report = rewrite(sql, dialect="postgres", schema=Schema.from_ddl(ddl))
    assert report.sql == "SELECT big.id FROM (SELECT o.id, o.total FROM o WHERE o.total > 90) AS big ORDER BY big.id"
    assert {change.rewrite for change in report.applied} == {"RW017", "RW013", "RW012", "RW009", "RW006"}
    again = rewrite(report.sql, dialect="postgres", schema=Schema.from_ddl(ddl))
    assert not again.applied


def test_a_rewrite_function_reports_sql_diff_status_and_rationale() -> None:
    from sqltune.core.sqlglot import parse_one
    from sqltune.rewrites.count_to_exists import count_to_exists

    tree = parse_one("SELECT id FROM c WHERE (SELECT COUNT(*) FROM o WHERE o.c_id = c.id) > 0", "postgres")
    outcome = count_to_exists(tree, Schema(), "postgres")
    assert outcome is not None and outcome.applied and outcome.rewrite == "RW014"
    assert outcome.sql("postgres") == "SELECT id FROM c WHERE EXISTS(SELECT 1 FROM o WHERE o.c_id = c.id)"
    assert "-      COUNT(*)\n+      1\n" in outcome.diff(tree, "postgres")
    assert "EXISTS stops at the first matching row" in outcome.rationale
    assert count_to_exists(parse_one("SELECT 1"), Schema(), "postgres") is None


def test_positional_parameters_keep_their_order_or_the_rewrite_is_refused() -> None:
    """``?`` binds by place: Django's ``EXISTS(SELECT ? AS a ...)`` would lose its first parameter in a join
    (RW023), and a UNION ALL split (RW004) would repeat them; numbered ``$1`` parameters move freely."""
    ddl = "CREATE TABLE t (id int PRIMARY KEY, a int, b int); CREATE TABLE u (k int NOT NULL, b int);"
    dropped = "SELECT t.id FROM t WHERE NOT (EXISTS(SELECT ? AS x FROM u WHERE u.b = ? AND u.k = t.id LIMIT 1))"
    assert rewrite(ddl + dropped, dialect="mysql").changes == []
    kept = "SELECT t.id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.b = ? AND u.k = t.id)"
    assert [c.rewrite for c in rewrite(ddl + kept, dialect="mysql").changes] == ["RW023"]
    repeated = "SELECT t.id FROM t WHERE t.a = ? OR t.b = ?"
    assert [c.rewrite for c in rewrite(ddl + repeated, dialect="mysql").changes] == []
    numbered = "SELECT t.id FROM t WHERE t.a = $1 OR t.b = $2"
    assert [c.rewrite for c in rewrite(ddl + numbered, dialect="postgres").changes] == ["RW004"]
