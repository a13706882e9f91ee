"""Inline suppression: a line, the next statement, the whole file; with and without codes."""

from __future__ import annotations

import pytest

from sqltune.core.config import Config
from sqltune.linter.engine import lint_text
from sqltune.linter.suppress import ALL, Suppressions

CONFIG = Config(dialect="postgres", select=("SQ000", "SQ001", "SQ019"))


def found(sql: str) -> list[tuple[str, int]]:
    return [(f.code, f.span.line) for f in lint_text(sql, CONFIG).findings]


def test_without_suppression_everything_is_reported() -> None:
    assert found("SELECT * FROM a;\nINSERT INTO t SELECT * FROM b;\n") == [("SQ001", 1), ("SQ019", 2), ("SQ001", 2)]


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("-- sqltune: ignore", [("SQ001", 1)]),
        ("-- sqltune: ignore[SQ001]", [("SQ001", 1), ("SQ019", 2)]),
        ("-- sqltune: ignore[SQ001, SQ019]", [("SQ001", 1)]),
        ("-- sqltune: ignore[sq019]", [("SQ001", 1), ("SQ001", 2)]),
        ("/* sqltune: ignore[SQ019] */", [("SQ001", 1), ("SQ001", 2)]),
        ("-- SQLTUNE: IGNORE", [("SQ001", 1)]),
        ("-- sqltune: ignore[SQ002]", [("SQ001", 1), ("SQ019", 2), ("SQ001", 2)]),
    ],
)
def test_trailing_comment_suppresses_findings_on_its_line(comment: str, expected: list[tuple[str, int]]) -> None:
    assert found(f"SELECT * FROM a;\nINSERT INTO t SELECT * FROM b; {comment}\n") == expected


def test_trailing_comment_covers_only_findings_that_start_on_its_line() -> None:
    sql = "INSERT INTO t -- sqltune: ignore[SQ019]\nSELECT *\nFROM b;"
    assert found(sql) == [("SQ001", 2)]


def test_own_line_comment_suppresses_the_whole_next_statement() -> None:
    sql = "SELECT * FROM a;\n-- sqltune: ignore[SQ001]\nINSERT INTO t\nSELECT *\nFROM b;\nSELECT * FROM c;\n"
    assert found(sql) == [("SQ001", 1), ("SQ019", 3), ("SQ001", 6)]
    everything = "SELECT * FROM a;\n\n-- sqltune: ignore\n\nINSERT INTO t\nSELECT * FROM b;\nSELECT * FROM c;\n"
    assert found(everything) == [("SQ001", 1), ("SQ001", 7)]


def test_own_line_comment_before_the_first_statement() -> None:
    assert found("-- sqltune: ignore\nSELECT * FROM a;\nSELECT * FROM b;") == [("SQ001", 3)]


def test_file_level_suppression_anywhere_in_the_file() -> None:
    sql = "SELECT * FROM a;\nINSERT INTO t SELECT * FROM b;\n-- sqltune: ignore-file[SQ001]\n"
    assert found(sql) == [("SQ019", 2)]
    assert found("/* sqltune: ignore-file */\nSELECT * FROM a;\nINSERT INTO t VALUES (1);") == []


def test_parse_errors_can_be_suppressed_too() -> None:
    sql = "SELEC x FROM t; -- sqltune: ignore[SQ000]\nSELECT * FROM a;"
    assert found(sql) == [("SQ001", 2)]


def test_scan_records_each_kind() -> None:
    text = "SELECT 1; -- sqltune: ignore[SQ001,sq002]\n  -- sqltune: ignore\nSELECT 2;\n-- sqltune: ignore-file[SQ9]"
    scanned = Suppressions.scan(text)
    assert scanned.lines == {1: frozenset({"SQ001", "SQ002"})}
    assert scanned.next_statement == {2: ALL}
    assert scanned.file == frozenset({"SQ9"})
    assert scanned
    assert not Suppressions.scan("SELECT 1 -- sqltune ignore")  # needs the colon
    assert not Suppressions.scan("SELECT 1 -- nothing here")


def test_empty_code_list_means_every_rule() -> None:
    assert Suppressions.scan("SELECT 1 -- sqltune: ignore[]").lines == {1: ALL}
