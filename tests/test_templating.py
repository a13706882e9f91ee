"""dbt / Jinja models: rendered with same-length placeholders, linted, findings at the model file's positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.config import Config
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.core.templating import has_template, render
from sqltune.linter.engine import lint_paths, lint_text

MODELS = Path(__file__).parent.parent / "fixtures" / "dbt" / "models"
FOUNDATION = Config(dialect="postgres", select=("SQ000", "SQ001", "SQ019"))


def lines_of(text: str) -> list[int]:
    return [index for index, char in enumerate(text) if char == "\n"]


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.sql")), ids=lambda p: p.name)
def test_rendering_keeps_every_offset_and_line_break(path: Path) -> None:
    text = path.read_text()
    rendered = render(text)
    assert len(rendered) == len(text)
    assert lines_of(rendered) == lines_of(text)
    assert not has_template(rendered)


Segment = str | tuple[str, str] | tuple[str, str, str]


def T(tag: str, replacement: str = "", fill: str = " ") -> tuple[str, str, str]:
    """A tag and what it renders to, padded to the tag's length with ``fill``."""
    return (tag, replacement, fill)


def hide(text: str) -> tuple[str, str, str]:
    """Text (SQL between tags) that rendering blanks."""
    return (text, "", " ")


EXAMPLES: list[list[Segment]] = [
    ["select * from ", T("{{ ref('orders') }}", "orders")],
    ["select * from ", T("{{ ref('pkg', 'orders') }}", "orders")],
    ["select * from ", T('{{ ref("orders", v=2) }}', "orders")],
    ["select * from ", T("{{ source('raw', 'orders') }}", "raw.orders")],
    [T("{{ config(materialized='view') }}"), "select 1"],
    ["select 1 ", T("{# note #}")],
    ["select ", T("{{ col }}", "_j1"), " from t"],
    ["select ", T("{{ a }}", "_j1"), ", ", T("{{ b }}", "_j2"), " from t"],
    ["select amount_", T("{{ m }}", "_j1", "_"), " from t"],
    ["select 1 ", T("{% if x %}"), ", 2", T("{% else %}"), hide(", 3"), T("{% endif %}")],
    ["select 1 ", T("{% if x %}"), ", 2", T("{% elif y %}"), hide(", 3"), T("{% endif %}")],
    [
        "select ",
        T("{% for c in cols %}"),
        T("{{ c }}", "_j1"),
        T("{% if not loop.last %}"),
        ",",
        T("{% endif %}"),
        T("{% endfor %}"),
        " from t",
    ],
    [T("{% macro m(x) %}"), hide("select "), T("{{ x }}"), T("{% endmacro %}"), "select 2"],
    [T("{% set cols %}"), hide("a, b"), T("{% endset %}"), "select 1"],
    [T("{% set n = 3 %}"), "select ", T("{{ n }}", "_j1")],
    [T("{% for x in xs %}"), T("{{ x }}", "_j1"), T("{% else %}"), hide("none"), T("{% endfor %}")],
    ["select '", T('{{ var("day") }}', "_j1"), "'::date"],
    ["select 1 {{ unclosed"],
]


def _expected(segments: list[Segment]) -> tuple[str, str]:
    template, rendered = "", ""
    for segment in segments:
        if isinstance(segment, str):
            template, rendered = template + segment, rendered + segment
        else:
            tag, replacement, fill = (*segment, " ")[:3]
            template += tag
            rendered += replacement.ljust(len(tag), fill)
    return template, rendered


@pytest.mark.parametrize("segments", EXAMPLES, ids=lambda s: _expected(s)[0][:40])
def test_render_examples(segments: list[Segment]) -> None:
    template, rendered = _expected(segments)
    assert render(template) == rendered


def test_multi_line_tags_keep_their_newlines_and_the_replacement_goes_where_it_fits() -> None:
    template = "select *\nfrom {{\n  ref('orders')\n}} as o"
    rendered = render(template)
    assert rendered.splitlines()[1:] == ["from   ", "orders         ", "   as o"]
    assert lines_of(rendered) == lines_of(template)


def test_nested_if_in_a_blanked_branch_stays_blanked() -> None:
    template = "select 1{% if a %}{% else %}{% if b %}, 2{% endif %}, 3{% endif %}, 4"
    assert render(template).split() == ["select", "1", ",", "4"]


def test_stray_end_tags_and_text_without_templates() -> None:
    assert render("select 1{% endif %}") == "select 1           "
    assert render("select '{' || '}'") == "select '{' || '}'"
    assert not has_template("select 1")


def test_dbt_models_lint_with_findings_at_original_positions() -> None:
    report = lint_paths([MODELS], FOUNDATION)
    assert report.problems == []
    assert "SQ000" not in report.codes()
    found = {(Path(f.path).name, f.code, f.span.line, f.span.column) for f in report.findings}
    # `o.*` on line 11, after a 6-line {{ config() }} and a 2-line {# #} comment.
    assert ("orders_enriched.sql", "SQ001", 11, 5) in found
    # `select *` inside a CTE, after a {%- set -%} tag.
    assert ("payments_pivot.sql", "SQ001", 4, 12) in found
    for finding in report.findings:
        original = report.sources[finding.path].text
        assert original[finding.span.start : finding.span.end] in ("o.*", "*")


def test_every_dbt_model_parses_as_one_statement() -> None:
    for path in sorted(MODELS.glob("*.sql")):
        statements = parse_source(Source(str(path), path.read_text()), "postgres")
        assert [s.error for s in statements] == [None], path.name


def test_findings_after_multi_line_tags_point_at_the_original_line_and_column() -> None:
    sql = (
        "{{\n"
        "  config(materialized='table')\n"
        "}}\n"
        "{% if is_incremental() %}\n"
        "  -- incremental only\n"
        "{% endif %}\n"
        "select   *\n"
        "from {{ ref('orders') }}\n"
    )
    [finding] = lint_text(sql, FOUNDATION).findings
    assert (finding.code, finding.span.line, finding.span.column) == ("SQ001", 7, 10)


def test_parse_errors_in_a_model_point_at_the_model_file() -> None:
    sql = "{{ config(materialized='view') }}\n{# a\ncomment #}\nselect a b c\nfrom {{ ref('t') }};\nselect * from t"
    report = lint_text(sql, FOUNDATION, path="models/m.sql")
    codes = [(f.code, f.span.line) for f in report.findings]
    assert codes[0][0] == "SQ000" and codes[0][1] == 4
    assert ("SQ001", 6) in codes  # the statement after the bad one is still linted
    assert str(report.findings[0].span).startswith("models/m.sql:4:")
