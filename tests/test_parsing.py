"""Parsing: statements, spans of nodes, and parse errors that say where and what was expected."""

from __future__ import annotations

import logging

import pytest

from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.core.sqlglot import exp


def parse(sql: str, dialect: str | None = "postgres") -> list[tuple[str, str]]:
    """(``line:column``, statement text or error message) per statement."""
    return [
        (
            f"{s.span.line}:{s.span.column}" if s.error is None else f"{s.error.span.line}:{s.error.span.column}",
            s.error.message if s.error else s.text,
        )
        for s in parse_source(Source("q.sql", sql), dialect)
    ]


@pytest.mark.parametrize(
    ("sql", "where", "message"),
    [
        ("SELEC x FROM t", "1:9", "unexpected 'FROM'; expected an expression, a clause keyword or the end"),
        ("SELECT a FROM", "1:10", "expected table name but the statement ended"),
        ("SELECT a FROM t WHERE", "1:17", "incomplete WHERE clause: expected a condition after WHERE"),
        ("SELECT (a FROM t", "1:11", "expected ')' before 'FROM'"),
        ("SELECT a FROM t WHERE a = = 1", "1:27", "incomplete EQ expression: expected its right-hand operand"),
        ("SELECT CAST(a AS) FROM t", "1:17", "expected TYPE after CAST"),
        ("WITH x AS (SELECT 1)", "1:20", "expected a SELECT, INSERT, UPDATE or DELETE after the WITH clause"),
        ("SELECT 1;\n\n  SELECT a b c FROM t", "3:14", "unexpected 'c'"),
    ],
)
def test_parse_errors_say_where_and_what_was_expected(sql: str, where: str, message: str) -> None:
    errors = [(w, m) for w, m in parse(sql) if m.startswith("syntax error: ")]
    assert len(errors) == 1
    assert errors[0][0] == where
    assert message in errors[0][1]
    assert "Token" not in errors[0][1] and "<class" not in errors[0][1] and "\n" not in errors[0][1]


def test_statements_are_cut_at_top_level_semicolons_only() -> None:
    sql = "SELECT ';' AS a;;\nSELECT \"x;\" FROM t -- ;\n;SELECT $$;$$"
    assert parse(sql) == [("1:1", "SELECT ';' AS a"), ("2:1", 'SELECT "x;" FROM t'), ("3:2", "SELECT $$;$$")]


def test_empty_and_comment_only_texts_have_no_statements() -> None:
    assert parse("") == []
    assert parse("  \n-- only a comment\n/* and a block */ ;;\n") == []


def test_tokenizer_failure_keeps_the_other_statements() -> None:
    result = parse("SELECT 1;\nSELECT 'open;\nSELECT 2;")
    assert result[0] == ("1:1", "SELECT 1")
    assert result[1] == ("2:8", "syntax error: unterminated string literal; expected a closing '")
    # The unterminated quote swallows the rest in a real tokenizer; the fallback cuts at semicolons instead.
    assert ("3:1", "SELECT 2") in result


@pytest.mark.parametrize(
    ("sql", "dialect", "column", "message"),
    [
        ('SELECT "abc FROM t', "postgres", 8, 'unterminated quoted identifier; expected a closing "'),
        ("SELECT `a FROM t", "mysql", 8, "unterminated quoted identifier; expected a closing `"),
        ("SELECT [a FROM t", "tsql", 8, "unterminated bracketed identifier; expected a closing ]"),
        ("SELECT $$ body", "postgres", 8, "unterminated dollar-quoted string; expected a closing $$"),
        ("SELECT 1 /* open", "postgres", 10, "unterminated comment; expected a closing */"),
    ],
)
def test_unterminated_openers_are_named_where_they_open(sql: str, dialect: str, column: int, message: str) -> None:
    assert parse(sql, dialect) == [(f"1:{column}", f"syntax error: {message}")]


def test_node_span_covers_the_node_and_closing_quotes() -> None:
    source = Source("q.sql", 'SELECT "Weird Col", x\nFROM "My Table" AS t WHERE t.id = 1')
    [statement] = parse_source(source, "postgres")
    assert statement.expression is not None
    column = statement.expression.expressions[0]
    span = statement.node_span(column)
    assert source.text[span.start : span.end] == '"Weird Col"'
    table = statement.expression.find(exp.Table)
    assert source.text[statement.node_span(table).start : statement.node_span(table).end].startswith('"My Table"')
    where = statement.expression.args["where"]
    span = statement.node_span(where.this)
    assert (span.line, span.column, source.text[span.start : span.end]) == (2, 28, "t.id = 1")
    assert statement.node_span(None) == statement.span


def test_node_without_position_falls_back_to_the_statement() -> None:
    [statement] = parse_source(Source("q.sql", "SELECT 1"), None)
    assert statement.node_span(exp.column("made_up")) == statement.span


def test_unsupported_statements_become_commands_without_log_noise(caplog: pytest.LogCaptureFixture) -> None:
    sql = (
        "CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.t := now();\n  RETURN NEW;\nEND;\n"
        "$$ LANGUAGE plpgsql;\nSELECT 2"
    )
    with caplog.at_level(logging.WARNING):
        statements = parse_source(Source("q.sql", sql), "postgres")
    assert [type(s.expression).__name__ for s in statements] == ["Command", "Select"]
    assert "Falling back" not in caplog.text


def test_statement_indexes_and_text() -> None:
    statements = parse_source(Source("q.sql", "SELECT 1; SELEC 2 FROM; SELECT 3"), "postgres")
    assert [s.index for s in statements] == [0, 1, 2]
    assert [s.text for s in statements] == ["SELECT 1", "SELEC 2 FROM", "SELECT 3"]
    assert [s.error is None for s in statements] == [True, False, True]


@pytest.mark.parametrize("sql", ["+ a b;", "+;", "1 + 2;", "orders o;"])
def test_a_bare_expression_or_a_lone_operator_is_a_syntax_error_not_a_clean_statement(sql: str) -> None:
    statements = parse_source(Source("x.sql", "SELECT 1;\n" + sql))
    assert len(statements) == 2 and statements[1].error is not None
    assert statements[1].error.message.startswith("syntax error: unexpected ")
    assert statements[1].error.message.endswith("expected a statement such as SELECT, INSERT, UPDATE, DELETE or CREATE")


@pytest.mark.parametrize(("sql", "dialect"), [("FLUSH PRIVILEGES", "mysql"), ("END", "oracle")])
def test_statements_that_read_as_expressions_are_not_analysed(sql: str, dialect: str) -> None:
    (statement,) = parse_source(Source("x.sql", sql), dialect)
    assert statement.error is not None and statement.error.kind == "unsupported"
