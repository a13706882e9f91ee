"""Every sqlglot dialect parses; realistic files in seven dialects lint end to end with the expected findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.config import Config
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source, read_file
from sqltune.core.sqlglot import dialect_names
from sqltune.linter.engine import lint_paths, lint_text

DIALECTS = Path(__file__).parent.parent / "fixtures" / "dialects"

#: A simple query in each dialect's own language (PRQL and DAX are not SQL).
NATIVE = {
    "prql": "from orders\nselect {id, status}",
    "dax": "EVALUATE orders",
}


@pytest.mark.parametrize("dialect", dialect_names())
def test_every_sqlglot_dialect_parses_a_simple_query(dialect: str) -> None:
    sql = NATIVE.get(dialect, "SELECT id, status FROM orders WHERE id = 1;\nSELECT count(*) FROM customers")
    statements = parse_source(Source("q.sql", sql), dialect)
    assert [s.error for s in statements if s.error] == []
    assert len(statements) == sql.count(";") + 1
    report = lint_text(sql, Config(dialect=dialect))
    assert "SQ000" not in report.codes()
    assert report.statements == len(statements)


def test_dialect_list_covers_the_main_warehouses() -> None:
    assert {"postgres", "snowflake", "bigquery", "mysql", "duckdb", "tsql", "spark"} <= set(dialect_names())


#: (code, line, column) that each fixture must produce with the foundation's rules.
EXPECTED: dict[str, set[tuple[str, int, int]]] = {
    "postgres": {("SQ001", 18, 8), ("SQ019", 29, 13)},
    "snowflake": {("SQ001", 11, 8), ("SQ019", 17, 13)},
    "bigquery": {("SQ019", 14, 13)},
    "mysql": {("SQ001", 14, 8), ("SQ019", 16, 13)},
    "duckdb": {("SQ019", 14, 13)},
    "tsql": {("SQ001", 6, 16), ("SQ019", 16, 13)},
    "spark": {("SQ001", 11, 8)},
}

#: Statements per fixture, with the first line of each (comments above a statement are not part of it).
STATEMENT_LINES = {
    "postgres": [2, 10, 14, 18, 22, 29, 31],
    "snowflake": [2, 7, 11, 15, 17],
    "bigquery": [2, 6, 10, 14],
    "mysql": [2, 9, 14, 16, 18],
    "duckdb": [2, 6, 10, 12, 14],
    "tsql": [2, 6, 10, 14, 16],
    "spark": [2, 7, 11, 13],
}

FOUNDATION_RULES = ("SQ000", "SQ001", "SQ019")


@pytest.mark.parametrize("dialect", sorted(EXPECTED))
def test_dialect_fixture_parses_statement_by_statement(dialect: str) -> None:
    source = read_file(DIALECTS / f"{dialect}.sql")
    assert isinstance(source, Source)
    statements = parse_source(source, dialect)
    assert [s.error for s in statements if s.error] == []
    assert [s.span.line for s in statements] == STATEMENT_LINES[dialect]
    for statement in statements:
        # The statement's text is exactly what the span covers, and starts with its first keyword.
        assert statement.text == source.text[statement.span.start : statement.span.end]
        assert statement.text[:1].isalpha()
        assert not statement.text.rstrip().endswith(";")


@pytest.mark.parametrize("dialect", sorted(EXPECTED))
def test_dialect_fixture_lints_with_expected_findings(dialect: str) -> None:
    path = DIALECTS / f"{dialect}.sql"
    report = lint_paths([path], Config(dialect=dialect, select=FOUNDATION_RULES))
    found = {(f.code, f.span.line, f.span.column) for f in report.findings}
    assert EXPECTED[dialect] <= found, f"missing {EXPECTED[dialect] - found}; found {sorted(found)}"
    assert not [f for f in report.findings if f.code == "SQ000"]
    assert report.problems == []
    for finding in report.findings:
        assert finding.path == str(path)
        source = report.sources[finding.path]
        assert source.position(finding.span.start) == finding.span.start_pos


@pytest.mark.parametrize("dialect", sorted(EXPECTED))
def test_dialect_fixture_with_every_rule_has_no_parse_errors(dialect: str) -> None:
    report = lint_paths([DIALECTS / f"{dialect}.sql"], Config(dialect=dialect))
    assert "SQ000" not in report.codes()
    assert report.statements == len(STATEMENT_LINES[dialect])


def test_a_fixture_in_the_wrong_dialect_fails_per_statement_not_per_file() -> None:
    """T-SQL brackets and TOP mean nothing to MySQL: those statements fail, the file's others are linted."""
    report = lint_paths([DIALECTS / "tsql.sql"], Config(dialect="mysql", select=FOUNDATION_RULES))
    failed = sorted({f.span.line for f in report.findings if f.code == "SQ000"})
    assert failed and len(failed) < len(STATEMENT_LINES["tsql"])
    assert report.statements == len(STATEMENT_LINES["tsql"])


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgres", "SELECT $tag$ a; b $tag$ AS body, 'it''s' AS q, E'x\\ny' AS e"),
        ("postgres", "SELECT payload #>> '{a,b}' FROM t WHERE tags @> ARRAY['x'] AND name ~* '^a'"),
        ("snowflake", "SELECT $1, t.$2 FROM @stage/path (FILE_FORMAT => 'csv') t"),
        ("bigquery", "SELECT * FROM `p.d.t` WHERE _PARTITIONTIME > TIMESTAMP('2024-01-01')"),
        ("mysql", "SELECT `a`.`b` FROM `a` FORCE INDEX (idx_b) WHERE `b` <=> NULL"),
        ("tsql", "SELECT [order].[id] FROM [order] WHERE [order].[name] LIKE N'%x'"),
        ("duckdb", "SELECT * FROM 'data.csv' USING SAMPLE 10%"),
        ("spark", "SELECT /*+ BROADCAST(b) */ a.id FROM a JOIN b ON a.id = b.id"),
    ],
)
def test_dialect_specific_statements_parse(dialect: str, sql: str) -> None:
    statements = parse_source(Source("q.sql", sql), dialect)
    assert len(statements) == 1
    assert statements[0].error is None, statements[0].error
