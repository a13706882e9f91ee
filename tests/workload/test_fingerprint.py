"""Fingerprints: executions of one template share a key; different templates never do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqltune.workload.fingerprint import display, fingerprint, literals, normalize

SAME = [
    ("SELECT * FROM t WHERE id = 1", "select  *  from t where id = 42"),
    ("SELECT * FROM t WHERE id = 1 -- note", "/* lead */ SELECT * FROM t WHERE id = 2;"),
    ("SELECT * FROM t WHERE a IN (1, 2, 3)", "SELECT * FROM t WHERE a IN (7)"),
    ("INSERT INTO t (a, b) VALUES (1, 'x')", "INSERT INTO t (a, b) VALUES (2, 'y'), (3, 'z')"),
    ("SELECT * FROM t WHERE a = $1", "SELECT * FROM t WHERE a = 'it''s'"),
    ("SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = %s"),
    ("UPDATE t SET n = n + -3 WHERE id = 1", "UPDATE t SET n = n + 5 WHERE id = 2"),
    ("SELECT f(a,b) FROM t", "SELECT f( a , b ) FROM t"),
    ("SELECT x FROM t WHERE s = E'a\\'b'", "SELECT x FROM t WHERE s = 'c'"),
    ("SELECT $$body$$", "SELECT $tag$other body$tag$"),
    ("SELECT 1.5e3, 0x1F", "SELECT 2, 3"),
]
DIFFERENT = [
    ("SELECT * FROM t1", "SELECT * FROM t2"),  # digits in a name are not literals
    ("SELECT a FROM t", "SELECT b FROM t"),
    ('SELECT "Col" FROM t', 'SELECT "col" FROM t'),  # quoted identifiers keep their case
    ("SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a > 1"),
    ("SELECT * FROM t WHERE s = '--x' AND b = 1", "SELECT * FROM t WHERE s = 'y'"),  # "--" inside a string
    ("SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a = 1 OR b = 2"),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_executions_of_one_template_share_the_fingerprint(one: str, other: str) -> None:
    assert fingerprint(one) == fingerprint(other), (normalize(one), normalize(other))


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_templates_differ(one: str, other: str) -> None:
    assert fingerprint(one) != fingerprint(other), normalize(one)


def test_backslashes_escape_quotes_only_where_the_dialect_says_so() -> None:
    mysql = "SELECT * FROM t WHERE a = 'it\\'s' AND b = 1"
    assert normalize(mysql, backslash_escapes=True) == "select * from t where a = ? and b = ?"
    postgres = "SELECT * FROM t WHERE a = '\\' AND b = 1"
    assert normalize(postgres) == "select * from t where a = ? and b = ?"
    assert normalize("SELECT E'it\\'s', 1") == "select ?,?"


def test_identifiers_are_kept_and_keywords_folded() -> None:
    assert (
        display(normalize('SELECT "MixedCase", Other FROM Schema1.Tab')) == 'select "MixedCase", other from schema1.tab'
    )


def test_the_fingerprint_is_stable_across_runs() -> None:
    # A saved workload is merged with a fresh one: the key must not depend on the process (no hash()).
    assert fingerprint("SELECT * FROM t WHERE id = 1") == "2074cf2f5ec6514f"


def test_literals_are_the_samples_of_real_shapes() -> None:
    assert literals("SELECT * FROM t WHERE a = 'x''y' AND b BETWEEN 1 AND 2.5 -- 'c'") == ("x'y", "1", "2.5")


def test_display_spaces_the_key_for_people() -> None:
    assert display(normalize("SELECT * FROM t WHERE a IN (1,2) AND EXISTS (SELECT 1)")) == (
        "select * from t where a in (...) and exists (select ?)"
    )


LITERAL = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20).map(
        lambda s: "'" + s.replace("'", "''") + "'"
    ),
)


@given(st.lists(LITERAL, min_size=1, max_size=5), st.lists(LITERAL, min_size=1, max_size=5))
def test_any_literals_give_one_template(first: list[str], second: list[str]) -> None:
    a, b = first[0], second[0]
    query = "SELECT name FROM users WHERE id = {} AND tag IN ({}) ORDER BY 1"
    assert fingerprint(query.format(a, ", ".join(first))) == fingerprint(query.format(b, ", ".join(second)))


def test_mysql_quotes_double_quoted_strings_and_backticked_names() -> None:
    digest = "SELECT `c_name` FROM `customer` `c` WHERE `c` . `c_custkey` = ? AND `c_mktsegment` = ?"
    sent = 'select c_name from customer c where c.c_custkey = 7 and c_mktsegment = "BUILDING"'
    assert fingerprint(digest, "mysql") == fingerprint(sent, "mysql") == fingerprint(sent, "mariadb")
    # elsewhere "…" names an identifier, kept as written
    assert fingerprint(sent, "postgres") != fingerprint(sent.replace('"BUILDING"', "'x'"), "postgres")
    # a backticked name that is not a plain one is kept; a backtick inside a string is no quote
    assert normalize("SELECT `my col`, '`x`' FROM t", True, True) == "select `my col`,? from t"
