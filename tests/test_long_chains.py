"""Generated chains of 10,000 AND / OR terms: every rule and the rewrite engine finish, with linear work.

sqlglot parses ``a = 0 OR b = 1 OR ...`` into a left-deep tree 10,000 levels deep, far past Python's default
recursion limit, so any splitter or walk that recurses once per term raises RecursionError (SQ006 did, and a
rule's crash used to read as a clean file). Walks that climb from every term to the root are quadratic
(SQ002's clause lookup, sqlglot's scope columns and the role classifier each took 10-25 s). The work bound is
a ratio, not a timing: the CPU time of this process (every thread: the checks run on the budget's worker)
grows about tenfold, not a hundredfold, from 500 to 5,000 terms.
"""

from __future__ import annotations

import time

import pytest

import sqltune
from sqltune.core.config import Config
from sqltune.core.sqlglot import exp, parse_one
from sqltune.rewrites import Status
from sqltune.rewrites.engine import rewrite
from sqltune.schema import Schema

SCHEMA = Schema.from_ddl("CREATE TABLE t (id int PRIMARY KEY, a int, b int NOT NULL)")
# These tests bound the work, not the time: no time budget, so a loaded machine cannot turn one into a skip.
UNBUDGETED = Config(timeout=0)
TERMS = 10_000


def chain(terms: int, connector: str) -> str:
    return f" {connector} ".join(f"{'a' if i % 2 else 'b'} = {i}" for i in range(terms))


def work(sql: str) -> float:
    """CPU seconds of one lint, the least of three runs (CPU time, unlike wall time, ignores other processes)."""
    spent = []
    for _ in range(3):
        start = time.process_time()
        sqltune.lint(sql, dialect="postgres", schema=SCHEMA, config=UNBUDGETED)
        spent.append(time.process_time() - start)
    return min(spent)


@pytest.mark.parametrize(("connector", "expected"), [("AND", set()), ("OR", {"SQ006"})])
def test_every_rule_lints_a_10000_term_chain(connector: str, expected: set[str]) -> None:
    assert TERMS > 5 * 1000  # 5x CPython's default recursion limit: a walk recursing per term could not finish
    sql = f"SELECT id FROM t WHERE {chain(TERMS, connector)}"
    report = sqltune.lint(sql, dialect="postgres", schema=SCHEMA, config=UNBUDGETED)
    assert not report.problems
    assert {finding.code for finding in report.findings} == expected
    if connector == "OR":
        (finding,) = report.findings
        assert "and 9994 more branches" in finding.message  # the message lists six branches, not 10,000


@pytest.mark.parametrize("connector", ["AND", "OR"])
def test_lint_work_grows_linearly_with_the_chain(connector: str) -> None:
    small = work(f"SELECT id FROM t WHERE {chain(500, connector)}")
    large = work(f"SELECT id FROM t WHERE {chain(5_000, connector)}")
    assert large < 30 * small, (small, large)  # quadratic work would be about 100 times


@pytest.mark.parametrize("connector", ["AND", "OR"])
def test_the_rewrite_engine_rewrites_inside_a_10000_term_chain(connector: str) -> None:
    sql = f"SELECT id FROM t WHERE id + 1 = 5 {connector} {chain(TERMS, connector)}"
    report = rewrite(sql, "postgres", SCHEMA)
    assert not report.problems
    assert [(change.rewrite, change.status) for change in report.changes] == [("RW006", Status.APPLIED)]
    tree = parse_one(report.sql, "postgres")
    kind = exp.And if connector == "AND" else exp.Or
    assert len(list(tree.find_all(kind))) == TERMS  # every term kept: TERMS + 1 terms, TERMS connectors
    assert report.sql.startswith("SELECT id FROM t WHERE id = 4 ")
