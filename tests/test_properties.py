"""Properties over arbitrary input: linting never raises, and every span lies inside its file and statement.

The default Hypothesis profile keeps this file fast (about 100 examples per property); run the heavy version
with ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py``.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sqltune.core.config import Config
from sqltune.core.findings import Report
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source, Span
from sqltune.core.templating import render
from sqltune.linter.engine import Linter, lint_text

DIALECTS = (None, "postgres", "snowflake", "bigquery", "mysql", "duckdb", "tsql", "spark")
LINTERS = {dialect: Linter(Config(dialect=dialect)) for dialect in DIALECTS}

FRAGMENTS = [
    "SELECT", "select", " * ", "FROM", " t ", "orders o", "WHERE", " = ", " <> ", "1", "'x'", "NULL", "IS", "NOT",
    " IN (", ")", "(", ", ", ";", ";;", "\n", "\r\n", "\t", " ", "JOIN", " ON ", "USING (id)", "LEFT", "GROUP BY",
    "ORDER BY", "HAVING", "LIMIT 10", "OFFSET 5", "UNION ALL", "WITH c AS (", "EXISTS (", "LATERAL", "QUALIFY",
    "OVER (PARTITION BY a ORDER BY b)", "count(*)", "sum(x)", "lower(a)", "LIKE '%a'", "ILIKE 'a%'", "BETWEEN",
    "CASE WHEN", "THEN", "ELSE", "END", "INSERT INTO t", "VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
    "CREATE TABLE t (id int PRIMARY KEY, a text)", "CREATE INDEX i ON t (a)", "ALTER TABLE t ADD b int",
    "'", '"', "`", "[", "]", "$$", "$tag$", "--", "-- sqltune: ignore\n", "/*", "*/", "/* c */", "#",
    "{{ ref('x') }}", "{{", "}}", "{%", "%}", "{% if a %}", "{% else %}", "{% endif %}", "{% for x in y %}",
    "{% endfor %}", "{#", "#}", "{{ config(x=1) }}", "::int", "::", "@", "?", "$1", ":name", "\\", "é", "日本",
    "\U0001f600", "\x00", "\u200b", "\ufeff", "a.b.c", "x.*", "SELECT * FROM t",
]  # fmt: skip

sql_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40).map("".join)
any_text = st.one_of(st.text(), sql_like)


def check_span(span: Span, source: Source) -> None:
    """A span lies inside its file and its line/column positions agree with its offsets."""
    assert span.path == source.path
    assert 0 <= span.start <= span.end <= len(source.text), (span, len(source.text))
    assert span.start_pos == source.position(span.start)
    assert span.end_pos == source.position(max(span.start, span.end - 1))
    assert 1 <= span.start_pos.line <= source.line_count


def check_report(report: Report, sources: list[Source], dialect: str | None) -> None:
    by_path = {source.path: source for source in sources}
    statements = {source.path: parse_source(source, dialect) for source in sources}
    assert report.statements == sum(len(found) for found in statements.values())
    for finding in report.findings:
        source = by_path[finding.path]
        check_span(finding.span, source)
        if finding.fix is not None:
            check_span(finding.fix.span, source)
        if finding.statement:
            # A finding about a statement points inside that statement.
            owners = [
                s
                for s in statements[finding.path]
                if s.span.start <= finding.span.start and finding.span.end <= max(s.span.end, s.span.start + 1)
            ]
            assert owners, (finding, [s.span for s in statements[finding.path]])
            assert any(s.text == finding.statement for s in owners)
    for problem in report.problems:
        assert problem.path in by_path
        assert "this is a sqltune bug" not in problem.message, problem  # a rule raised on this input


@given(text=any_text, dialect=st.sampled_from(DIALECTS))
def test_lint_text_never_raises_and_spans_are_inside(text: str, dialect: str | None) -> None:
    report = lint_text(text, Config(dialect=dialect), path="prop.sql")
    check_report(report, [Source("prop.sql", text)], dialect)


@given(texts=st.lists(any_text, min_size=1, max_size=4), dialect=st.sampled_from(DIALECTS))
def test_lint_sources_over_several_files(texts: list[str], dialect: str | None) -> None:
    sources = [Source(f"f{index}.sql", text) for index, text in enumerate(texts)]
    report = LINTERS[dialect].lint_sources(sources)
    check_report(report, sources, dialect)
    assert set(report.sources) == {source.path for source in sources}


@given(text=any_text, dialect=st.sampled_from(DIALECTS))
def test_every_statement_span_is_inside_its_file_and_ordered(text: str, dialect: str | None) -> None:
    source = Source("s.sql", text)
    statements = parse_source(source, dialect)
    previous_end = 0
    for index, statement in enumerate(statements):
        assert statement.index == index
        check_span(statement.span, source)
        assert statement.span.start >= previous_end
        previous_end = statement.span.start
        assert (statement.expression is None) != (statement.error is None)
        if statement.error is not None:
            check_span(statement.error.span, source)


@given(text=any_text)
def test_rendering_keeps_length_and_line_breaks(text: str) -> None:
    rendered = render(text)
    assert len(rendered) == len(text)
    assert [i for i, c in enumerate(rendered) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


@given(text=st.text(), data=st.data())
def test_offsets_and_positions_round_trip(text: str, data: st.DataObject) -> None:
    source = Source("p.sql", text)
    offset = data.draw(st.integers(min_value=0, max_value=len(text)))
    position = source.position(offset)
    assert source.offset(position.line, position.column) == offset
    assert position.line == text.count("\n", 0, offset) + 1
