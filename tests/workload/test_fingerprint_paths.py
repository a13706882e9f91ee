"""The fast paths of :func:`sqltune.workload.fingerprint.normalize` give exactly what the full pass gives.

``normalize`` takes a shortcut when a text holds no comment, quoted identifier or dollar quote (strings are
replaced by one regular expression instead of the combined one), matches numbers with a pattern written for
speed, and remembers the finishing steps per stripped text. Each shortcut is checked here against the plain
form it replaces, on arbitrary text and on SQL-like text rich in the characters that matter. Heavy version:
``HYPOTHESIS_PROFILE=thorough python -m pytest tests/workload/test_fingerprint_paths.py``.
"""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from sqltune.workload import fingerprint as fp

# The number-and-parameter pattern as first written (look-behind first): the specification of the fast one.
# Numbers are ASCII digits (a "٣" is no SQL number).
SPEC_NUMBER_OR_PARAMETER = re.compile(
    r"(?<![\w$.])(?:0x[0-9a-f]+|[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|\.[0-9]+(?:e[-+]?[0-9]+)?)(?![\w$])"
    r"|\$[0-9]+|%\(\w+\)s|%s|(?<![?\w])\?(?![?|&\w-])"
)

# literals() as first written: the specification of the fast pattern.
SPEC_LITERAL = re.compile(
    r"""(?P<string>(?<![\w$])[EeNnBbXx]?'((?:[^'\\]|''|\\.)*)')|(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<ident>"(?:[^"]|"")*")|(?<![\w$.])(?P<number>\d+\.?\d*(?:e[-+]?\d+)?)(?![\w$])""",
    re.DOTALL | re.I,
)


def spec_literals(sql: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in SPEC_LITERAL.finditer(sql):
        if match.group("string") is not None:
            found.append(match.group(2).replace("''", "'"))
        elif match.group("number") is not None:
            found.append(match.group("number"))
    return tuple(found)


FRAGMENTS = [
    "SELECT", "select", " * ", "FROM", " t1 ", "WHERE", " = ", "1", "42", "12.5", ".5", "1e-3", "1E+7", "0x1F",
    "0xZ", "a0x1f", ".0x1", "1.", "a.5", "t.1", "x1", "_2", "'x'", "'it''s'", "E'a\\'b'", "N'n'", "B'01'",
    "X'ff'", "e'", "a'b'",
    "'", "''", "\\", "\\'", '"', '"Tab"', '"a""b"', '"2019"', "`", "`c`", "[", "]", "[col]", "$$", "$tag$",
    "$a$b$a$", "$1", "$12", "a$1", "%s", "%S", "%(name)s", "%(n)S", "%", "?", "??", "?|", "?&", "?-", "a?",
    "--", "-- c\n", "/*", "*/", "/* c */", "#", " # c\n", "a#b", "#>", "(", ")", ",", " , ", "( ", " )", "-",
    "+", "- ", "= -1", ", +2", "(-?", " IN (", "VALUES (1, 2), (3, 4)", "in (1,2,3)", ";", "; ", "\n", "\t",
    " ", "  ", "\x00", "é", "İ", "İ1", "ǅ", "٣", "\u200b", "日本",
]  # fmt: skip

sql_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=30).map("".join)
any_text = st.one_of(st.text(), sql_like)


@given(any_text)
@example("UPDATE t SET a = a + -1234 WHERE id = 0X1f AND b = .5e3 AND c = $2 AND d = %(x)s AND e ?| f")
@example("SELECT a0x1f, t.0x2, $0x3 FROM t")
def test_number_pattern_matches_its_specification(text: str) -> None:
    for folded in (text, text.lower()):
        assert fp._NUMBER_OR_PARAMETER.sub("?", folded) == SPEC_NUMBER_OR_PARAMETER.sub("?", folded)


@given(any_text)
@example("SELECT * FROM t WHERE a = 'x' AND b = E'it\\'s' AND c = n'y' AND d = a'z'")
@example("SELECT 'unterminated")
@example("SELECT the'x', 1")
@example("SELECT E'a\\\nb', 1")
@example("SELECT 1 # 2 'x'\n")
@example("SELECT 'a' -- 'b' 1\n")
@example("SELECT 'a' /* 1 */")
@example("SELECT 'a' FROM \"T1\"")
@example("SELECT 'a', $$b$$")
@example("SELECT 'a', 1 FROM [T1]")
@example("SELECT 'a', 1 FROM `T1`")
@example("SELECT 'A\x00B' FROM T")
@example("SELECT 'a\\', 1, E'b\\'c', 2")
def test_string_fast_path_equals_the_full_pass(text: str) -> None:
    for backslashes in (False, True):
        assert fp._strip(text, backslashes) == fp._strip_full(text, backslashes)


@given(any_text)
def test_normalize_equals_the_uncached_full_pass(text: str) -> None:
    for backslashes in (False, True):
        expected = fp._finish.__wrapped__(fp._strip_full(text, backslashes))
        assert fp.normalize(text, backslashes) == expected
        assert fp.normalize(text, backslashes) == expected  # the second call answers from the cache


@given(st.lists(any_text, max_size=8))
@example(["SELECT 'a", "SELECT 'b'"])  # an unterminated string would swallow the next text
@example(["SELECT E'a\\'b'", "SELECT 1"])  # a prefixed string
@example(["SELECT 'x\x01\ny'", "SELECT \x02 1"])  # the separator's and the mark's characters
@example(["SELECT 1?'a'", "SELECT 'a'1, ?'b'?, -'c'"])
@example(["'", "\\"])  # with backslash escapes, no string pattern takes the first quote of the joined texts
@example(["SELECT 'a'-- 'b'\n, 1 /* 'c' */", "SELECT '--', '/*', 2 /* unterminated"])
@example(['SELECT "T1", 1', "SELECT 'x' -- c", "SELECT $a$ 1 $a$"])
def test_normalize_many_equals_normalize_one_by_one(texts: list[str]) -> None:
    for backslashes, mysql in ((False, False), (True, False), (True, True)):
        expected = [fp.normalize(text, backslashes, mysql) for text in texts]
        assert fp.normalize_many(texts, backslashes, mysql) == expected


@given(any_text)
@example("SELECT 'a''b', E'c\\'d', n'e', x1, 2.5E3, .5, \"q'1\", -- 'f' 3\n /* 4 */ 5 FROM the'x'")
def test_literals_match_their_specification(text: str) -> None:
    assert fp.literals(text) == spec_literals(text)


def test_the_cache_is_bounded() -> None:
    for value in range(fp.FINISHED_CACHE + 10):
        fp.normalize(f"SELECT c{value} FROM t WHERE a = 1")
    assert fp._finish.cache_info().currsize <= fp.FINISHED_CACHE
