"""Input handling: strings, files, directories, globs; statements keep file, line and column; bad bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.config import Config
from sqltune.core.parsing import parse_source
from sqltune.core.source import InputProblem, Position, Source, decode, expand_paths, read_file, read_sources
from sqltune.linter.engine import Linter, lint_paths, lint_text

BAD = Path(__file__).parent.parent / "fixtures" / "bad_input"
FOUNDATION = Config(dialect="postgres", select=("SQ000", "SQ001", "SQ019"))

MULTI = """-- two queries and a bad one
SELECT id FROM orders WHERE id = 1;

SELECT *
  FROM customers;   SELECT 'a;b' AS "x;y" /* ; */ FROM t; -- ; in a comment
SELEC oops FROM t;
	SELECT * FROM items
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a.sql").write_text("SELECT * FROM a;\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.sql").write_text("SELECT id FROM b;\nSELECT * FROM b;\n")
    (tmp_path / "sub" / "notes.txt").write_text("SELECT * FROM ignored;\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.sql").write_text("SELECT * FROM hidden;\n")
    return tmp_path


# -- sources -------------------------------------------------------------------------------------------------


def test_string_source_positions() -> None:
    source = Source.from_string("SELECT 1;\nSELECT  2;\r\nSELECT é, 3")
    assert source.path == "<string>"
    assert source.position(0) == Position(1, 1)
    assert source.position(source.text.index("2")) == Position(2, 9)
    assert source.position(source.text.index("3")) == Position(3, 11)  # columns count characters, not bytes
    assert source.position(len(source.text)) == Position(3, 12)
    assert source.offset(2, 9) == source.text.index("2")
    assert source.line_text(2) == "SELECT  2;"  # without the \r
    assert source.line_count == 3
    span = source.span(7, 100)
    assert (span.start, span.end, span.end_pos.line) == (7, len(source.text), 3)


def test_files_directories_and_globs(tree: Path) -> None:
    found = [p for p in expand_paths([tree]) if isinstance(p, str)]
    assert found == [str(tree / "a.sql"), str(tree / "sub" / "b.sql")]  # sorted, *.sql only, no hidden dirs
    globbed = list(expand_paths([str(tree / "**" / "*.sql"), str(tree / "a.sql")]))
    assert str(tree / "a.sql") in globbed and str(tree / "sub" / "b.sql") in globbed
    assert len(globbed) == len(set(globbed))  # each file once
    explicit = list(expand_paths([tree / "sub" / "notes.txt"]))
    assert explicit == [str(tree / "sub" / "notes.txt")]  # a file named explicitly is read whatever its name


def test_missing_paths_and_empty_globs_are_problems(tree: Path) -> None:
    items = list(expand_paths([tree / "nope.sql", str(tree / "*.nothing"), tree / "a.sql"]))
    problems = [i for i in items if isinstance(i, InputProblem)]
    assert [p.message for p in problems] == ["no such file or directory", "no file matches this pattern"]
    assert items[-1] == str(tree / "a.sql")  # the good path after them is still read


def test_lint_paths_lints_every_file_and_keeps_paths(tree: Path) -> None:
    report = lint_paths([tree], FOUNDATION)
    assert sorted((Path(f.path).name, f.span.line) for f in report.findings) == [("a.sql", 1), ("b.sql", 2)]
    assert report.statements == 3
    assert set(report.sources) == {str(tree / "a.sql"), str(tree / "sub" / "b.sql")}


def test_multi_statement_file_keeps_every_statement_span() -> None:
    source = Source("multi.sql", MULTI)
    statements = parse_source(source, "postgres")
    texts = [s.text for s in statements]
    assert texts == [
        "SELECT id FROM orders WHERE id = 1",
        "SELECT *\n  FROM customers",
        "SELECT 'a;b' AS \"x;y\" /* ; */ FROM t",
        "SELEC oops FROM t",
        "SELECT * FROM items",
    ]
    assert [(s.span.line, s.span.column) for s in statements] == [(2, 1), (4, 1), (5, 21), (6, 1), (7, 2)]
    assert [s.index for s in statements] == [0, 1, 2, 3, 4]
    assert statements[3].error is not None and statements[3].expression is None
    for statement in statements:
        assert statement.span.path == "multi.sql"
        assert source.position(statement.span.start) == statement.span.start_pos
        assert source.position(statement.span.end - 1) == statement.span.end_pos


def test_findings_before_and_after_a_statement_that_does_not_parse() -> None:
    report = lint_text(MULTI, FOUNDATION, path="multi.sql")
    assert [(f.code, f.span.line, f.span.column) for f in report.findings] == [
        ("SQ001", 4, 8),
        ("SQ000", 6, 12),
        ("SQ001", 7, 9),
    ]
    parse_error = report.findings[1]
    assert str(parse_error.span) == "multi.sql:6:12"
    assert "unexpected 'FROM'" in parse_error.message and "; expected " in parse_error.message
    assert parse_error.statement == "SELEC oops FROM t"


def test_unterminated_string_fails_its_statement_only() -> None:
    report = lint_paths([BAD / "unterminated_string.sql"], FOUNDATION)
    assert [(f.code, f.span.line, f.span.column) for f in report.findings] == [("SQ000", 1, 38), ("SQ001", 2, 8)]
    assert report.findings[0].message == "syntax error: unterminated string literal; expected a closing '"


def test_unterminated_comment_fails_from_where_it_opens() -> None:
    report = lint_paths([BAD / "unterminated_comment.sql"], FOUNDATION)
    assert [(f.code, f.span.line, f.span.column) for f in report.findings] == [("SQ001", 1, 8), ("SQ000", 2, 1)]
    assert "unterminated comment; expected a closing */" in report.findings[1].message


# -- bad bytes -------------------------------------------------------------------------------------------------


def test_binary_file_is_a_problem_not_an_exception() -> None:
    problem = read_file(BAD / "binary.sql")
    assert isinstance(problem, InputProblem)
    assert problem.fatal and "binary file" in problem.message and "expected SQL text" in problem.message


def test_latin1_bytes_name_the_line_and_column() -> None:
    problem = read_file(BAD / "latin1.sql")
    assert isinstance(problem, InputProblem)
    assert (problem.line, problem.column) == (2, 41)
    assert str(problem).endswith("latin1.sql:2:41: invalid UTF-8 byte 0xe3; expected UTF-8 encoded SQL")


def test_utf8_bom_is_dropped_and_offsets_start_after_it() -> None:
    source = decode("bom.sql", "\ufeffSELECT * FROM t".encode())
    assert isinstance(source, Source)
    assert source.text.startswith("SELECT")
    [finding] = Linter(FOUNDATION).lint_sources([source]).findings
    assert (finding.span.line, finding.span.column) == (1, 8)


def test_directory_named_as_a_file_and_unreadable_file(tmp_path: Path) -> None:
    assert isinstance(read_file(tmp_path), InputProblem)
    locked = tmp_path / "locked.sql"
    locked.write_text("SELECT 1")
    locked.chmod(0)
    try:
        result = read_file(locked)
        if isinstance(result, InputProblem):  # root can read anything; others get a problem
            assert result.message.startswith("cannot read")
    finally:
        locked.chmod(0o644)


def test_bad_inputs_do_not_hide_the_good_files() -> None:
    report = lint_paths(sorted(BAD.glob("*.sql")), FOUNDATION)
    by_name = {Path(p.path).name: p for p in report.problems}
    assert by_name["binary.sql"].fatal and by_name["latin1.sql"].fatal
    assert not by_name["empty.sql"].fatal and not by_name["comments_only.sql"].fatal
    assert by_name["empty.sql"].message == "empty file; expected SQL statements"
    assert "only comments" in by_name["comments_only.sql"].message
    assert ("good.sql", "SQ001", 2) in {(Path(f.path).name, f.code, f.span.line) for f in report.findings}
    assert {Path(f.path).name for f in report.findings} == {
        "good.sql",
        "unterminated_string.sql",
        "unterminated_comment.sql",
    }


def test_read_sources_yields_sources_and_problems_in_order(tree: Path) -> None:
    (tree / "z.sql").write_bytes(b"\x00\x01")
    items = list(read_sources([tree / "a.sql", tree / "z.sql", tree / "missing.sql"]))
    assert [type(i).__name__ for i in items] == ["Source", "Problem", "Problem"]  # InputProblem is Problem


def test_a_rule_that_raises_becomes_a_problem_and_other_findings_survive() -> None:
    linter = Linter(Config(select=("SQ001", "SQ019")))

    def broken(node: object, ctx: object) -> list[object]:
        raise KeyError("boom")

    linter._instances["SQ019"].visit = broken  # type: ignore[method-assign, assignment]
    report = linter.lint_sources([Source("q.sql", "SELECT * FROM a;\nINSERT INTO t VALUES (1);\nSELECT * FROM b;")])
    assert [(f.code, f.span.line) for f in report.findings] == [("SQ001", 1), ("SQ001", 3)]
    [problem] = report.problems
    assert problem.fatal and (problem.line, problem.column) == (2, 1)
    assert "rule SQ019 failed on this statement (KeyError: 'boom'); this is a sqltune bug" in problem.message
