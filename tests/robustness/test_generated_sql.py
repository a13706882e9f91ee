"""Generated SQL through ``sqltune lint`` and ``sqltune fix``: deep nesting, long chains, token soup, huge
literals and odd encodings. Every statement is accounted for: the report counts each one, and one that cannot
be analysed leaves a finding or a problem at its line -- never silence, never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_support import invoke, lint_json

FILE_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

COLUMNS = st.sampled_from(["a", "b", "c_1", '"Quoted Col"'])


@st.composite
def deep_parentheses(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 120))
    return "SELECT " + "(" * depth + "1" + ")" * depth


@st.composite
def deep_subqueries(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 60))
    return "SELECT x FROM " + "(SELECT x FROM " * depth + "t" + ") AS s" * depth


@st.composite
def long_chain(draw: st.DrawFn) -> str:
    terms = draw(st.integers(1, 1500))
    operator = draw(st.sampled_from([" OR ", " AND "]))
    columns = draw(st.lists(COLUMNS, min_size=1, max_size=3))
    chain = operator.join(f"{columns[i % len(columns)]} = {i}" for i in range(terms))
    return f"SELECT a FROM t WHERE {chain}"


@st.composite
def huge_literal(draw: st.DrawFn) -> str:
    size = draw(st.integers(1_000, 200_000))
    kind = draw(st.sampled_from(["string", "number", "in_list"]))
    if kind == "string":
        return f"SELECT '{'x' * size}' AS v FROM t"
    if kind == "number":
        return f"SELECT {'9' * (size // 100)} AS v"
    return "SELECT a FROM t WHERE a IN (" + ", ".join(str(i) for i in range(size // 100)) + ")"


# Tokens with no statement separator, quote or comment opener, so the statement boundaries stay known.
SOUP_TOKENS = st.sampled_from(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "(",
        ")",
        ",",
        "+",
        "*",
        "=",
        "<>",
        "AND",
        "OR",
        "JOIN",
        "ON",
        "GROUP",
        "BY",
        "a",
        "t",
        "1",
        "2.5",
        "NULL",
        "CASE",
        "WHEN",
        "THEN",
        "END",
        "IN",
        "NOT",
        "::",
        "[",
        "]",
        "ORDER",
        "LIMIT",
    ]
)


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    # Starting with an operator keeps the soup from being valid SQL by chance.
    return "+ " + " ".join(draw(st.lists(SOUP_TOKENS, min_size=0, max_size=40)))


STATEMENTS = st.one_of(deep_parentheses(), deep_subqueries(), long_chain(), huge_literal(), token_soup())


def _lines(statements: list[str]) -> tuple[str, list[int]]:
    text, lines, line = "", [], 1
    for statement in statements:
        lines.append(line)
        text += statement + ";\n"
        line += statement.count("\n") + 1
    return text, lines


@FILE_SETTINGS
@given(statements=st.lists(STATEMENTS, min_size=1, max_size=4))
def test_every_generated_statement_is_accounted_for(tmp_path: Path, statements: list[str]) -> None:
    text, lines = _lines(statements)
    path = tmp_path / "generated.sql"
    path.write_text(text, encoding="utf-8")
    report, _ = lint_json("--dialect", "postgres", str(path))
    assert report["summary"]["statements"] == len(statements)
    said_at = {item["line"] for item in report["findings"]} | {item.get("line") for item in report["problems"]}
    for statement, line in zip(statements, lines, strict=True):
        if statement.startswith("+ "):
            assert line in said_at, f"token soup at line {line} left no finding or problem: {statement!r}"
    invoke("fix", "--diff", "--dialect", "postgres", str(path))


def test_ten_thousand_term_chains_are_linted_and_fixed(tmp_path: Path) -> None:
    path = tmp_path / "chains.sql"
    chains = [
        " OR ".join(f"{'ab'[i % 2]} = {i}" for i in range(10_000)),
        " AND ".join(f"a <> {i}" for i in range(10_000)),
    ]
    path.write_text("".join(f"SELECT a FROM t WHERE {chain};\n" for chain in chains), encoding="utf-8")
    # Work, not time, is under test here: no time budget (a loaded machine would make it a timeout problem).
    report, _ = lint_json("--dialect", "postgres", "--timeout", "0", str(path))
    assert report["summary"]["statements"] == 2
    assert report["problems"] == [], report["problems"]
    invoke("fix", "--diff", "--dialect", "postgres", str(path))


ENCODINGS = st.sampled_from(["utf-16", "utf-16-le", "latin-1", "cp1252", "utf-8-sig", "nul", "random"])


@FILE_SETTINGS
@given(encoding=ENCODINGS, junk=st.binary(min_size=1, max_size=200))
def test_odd_encodings_are_named_and_the_good_file_still_linted(tmp_path: Path, encoding: str, junk: bytes) -> None:
    odd = tmp_path / "odd.sql"
    sql = "SELECT * FROM café WHERE naïve = 'é';\n"
    if encoding == "nul":
        odd.write_bytes(sql.encode() + b"\x00" + junk)
    elif encoding == "random":
        odd.write_bytes(junk)
    else:
        odd.write_bytes(sql.encode(encoding))
    good = tmp_path / "good.sql"
    good.write_text("SELECT * FROM orders;\n", encoding="utf-8")
    report, _ = lint_json("--dialect", "postgres", str(good), str(odd))
    assert any(f["path"] == str(good) and f["code"] == "SQ001" for f in report["findings"]), "the good file was lost"
    odd_said = [p for p in report["problems"] if p["path"] == str(odd)] + [
        f for f in report["findings"] if f["path"] == str(odd)
    ]
    assert odd_said or report["summary"]["statements"] > 1, f"{encoding}: the odd file left no trace"
