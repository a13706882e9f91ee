"""SQ004 and RW001 agree about NOT NULL: one proof (``sqltune.graph.predicates``) decides both.

``o.id NOT IN (SELECT <expr> FROM <relations> WHERE <predicate>)`` on a generated schema (columns nullable,
NOT NULL or the primary key) with generated projections (a column, ``coalesce``, a literal), FROM clauses
(a table, a derived table, a CTE, inner and left joins) and predicates (``IS [NOT] NULL``, comparisons,
``LIKE``, ``IN``, ``BETWEEN``, ``coalesce``, nested AND/OR). The outer ``o.id`` is a primary key, so RW001's
only open question is the subquery's output. Through the public entry points:

    SQ004 is silent (``sqltune.lint``)  <=>  RW001 is APPLIED (``sqltune.rewrites.rewrite``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import sqltune
from sqltune.rewrites import Status
from sqltune.rewrites.engine import rewrite
from sqltune.schema import Schema

COLUMNS = ("c0", "c1", "c2")


@dataclass(frozen=True)
class Case:
    ddl: str
    sql: str


def _table(name: str, kinds: tuple[str, ...]) -> str:
    parts = []
    for column, kind in zip(COLUMNS, kinds, strict=True):
        parts.append(f"{column} int" + {"nullable": "", "not null": " NOT NULL", "pk": " PRIMARY KEY"}[kind])
    return f"CREATE TABLE {name} ({', '.join(parts)})"


kinds = st.tuples(*(st.sampled_from(["nullable", "nullable", "not null"]) for _ in COLUMNS)).flatmap(
    lambda ks: st.sampled_from([ks, ("pk", *ks[1:])])
)


@st.composite
def predicates(draw: st.DrawFn, qualifiers: tuple[str, ...], depth: int = 0) -> str:
    """A condition over the columns of ``qualifiers`` (AND/OR nested at most three deep)."""
    if depth < 3 and draw(st.integers(0, 2)) == 0:
        left = draw(predicates(qualifiers, depth + 1))
        right = draw(predicates(qualifiers, depth + 1))
        return f"({left} {draw(st.sampled_from(['AND', 'OR']))} {right})"
    column = f"{draw(st.sampled_from(qualifiers))}.{draw(st.sampled_from(COLUMNS))}"
    atom = draw(
        st.sampled_from(
            [
                "{c} IS NOT NULL",
                "{c} IS NULL",
                "{c} = 1",
                "{c} > 0",
                "{c} <> 2",
                "CAST({c} AS text) LIKE 'a%'",
                "{c} IN (1, 2)",
                "{c} BETWEEN 1 AND 5",
                "coalesce({c}, 0) = 1",
                "NOT ({c} = 3)",
                "{c} + 1 = 4",
                "TRUE",
            ]
        )
    )
    return atom.format(c=column)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    ddl = ";\n".join(["CREATE TABLE o (id int PRIMARY KEY)", _table("u", draw(kinds)), _table("w", draw(kinds))])
    shape = draw(st.sampled_from(["table", "inner", "left", "left_reversed", "derived", "cte"]))
    inner_where = ""
    qualifiers: tuple[str, ...]
    if shape in ("derived", "cte"):
        inner_where = f" WHERE {draw(predicates(('u',)))}" if draw(st.booleans()) else ""
        body = f"SELECT {', '.join(f'u.{c} AS {c}' for c in COLUMNS)} FROM u{inner_where}"
    if shape == "table":
        from_, qualifiers = "u", ("u",)
    elif shape == "inner":
        from_, qualifiers = f"u JOIN w ON {draw(predicates(('u', 'w')))}", ("u", "w")
    elif shape == "left":
        from_, qualifiers = f"u LEFT JOIN w ON {draw(predicates(('u', 'w')))}", ("u", "w")
    elif shape == "left_reversed":
        from_, qualifiers = f"w LEFT JOIN u ON {draw(predicates(('u', 'w')))}", ("u", "w")
    elif shape == "derived":
        from_, qualifiers = f"({body}) AS d", ("d",)
    else:
        from_, qualifiers = "d", ("d",)
    column = f"{draw(st.sampled_from(qualifiers))}.{draw(st.sampled_from(COLUMNS))}"
    other = f"{draw(st.sampled_from(qualifiers))}.{draw(st.sampled_from(COLUMNS))}"
    projection = draw(
        st.sampled_from([column, column, f"coalesce({column}, 0)", f"coalesce({column}, {other})", "7", "NULL"])
    )
    where = f" WHERE {draw(predicates(qualifiers))}" if draw(st.booleans()) else ""
    sub = f"SELECT {projection} FROM {from_}{where}"
    query = f"SELECT o.id FROM o WHERE o.id NOT IN ({sub})"
    if shape == "cte":
        query = f"WITH d AS ({body}) {query}"
    return Case(ddl, query)


def sq004_silent(case: Case) -> bool:
    report = sqltune.lint(case.sql, dialect="postgres", schema=Schema.from_ddl(case.ddl), select=["SQ004"])
    assert not report.problems, report.problems
    return not report.findings


def rw001_status(case: Case) -> Status | None:
    report = rewrite(case.sql, "postgres", Schema.from_ddl(case.ddl), select=["RW001"])
    assert not report.problems, report.problems
    statuses = [change.status for change in report.changes if change.rewrite == "RW001"]
    return statuses[0] if statuses else None


@settings(max_examples=300)
@given(cases())
def test_sq004_is_silent_exactly_when_rw001_is_proven(case: Case) -> None:
    status = rw001_status(case)
    assume(status is not None)  # RW001 found the NOT IN it can rewrite (a literal NULL output is SQ004's alone)
    event(f"RW001 {status}")
    assert sq004_silent(case) == (status is Status.APPLIED), case


@pytest.mark.parametrize(
    ("sql", "proven"),
    [
        # The example: a LIKE filter proves the output NOT NULL for both.
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT note FROM orders WHERE note LIKE 'a%')", True),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT note FROM orders)", False),
        (
            "SELECT o.id FROM o WHERE o.id NOT IN (SELECT n FROM (SELECT note AS n FROM orders WHERE note > 'a') d)",
            True,
        ),
        (
            "WITH c AS (SELECT note AS n FROM orders WHERE note IN ('a')) "
            "SELECT o.id FROM o WHERE o.id NOT IN (SELECT n FROM c)",
            True,
        ),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT coalesce(note, '') FROM orders)", True),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT k FROM orders JOIN o AS p ON p.id = orders.k)", True),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT k FROM o AS p LEFT JOIN orders ON p.id = orders.k)", False),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT k FROM orders WHERE k > 0 OR k < -5)", True),
        ("SELECT o.id FROM o WHERE o.id NOT IN (SELECT k FROM orders WHERE k > 0 OR note > 'a')", False),
    ],
)
def test_named_cases_agree(sql: str, proven: bool) -> None:
    case = Case("CREATE TABLE o (id int PRIMARY KEY); CREATE TABLE orders (k int, note text)", sql)
    assert rw001_status(case) is (Status.APPLIED if proven else Status.ADVISED)
    assert sq004_silent(case) is proven
