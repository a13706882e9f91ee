"""Machine-checkable conditions of advisories, and the verified mode's pure rules (no database here)."""

from __future__ import annotations

import pytest

from sqltune.core.sqlglot import parse_one
from sqltune.rewrites import registry
from sqltune.rewrites.base import RewriteOutcome
from sqltune.rewrites.conditions import BENEFIT, FOREIGN_KEY, NOT_NULL, SERVER_VERSION, UNIQUE, Condition
from sqltune.rewrites.cte_inline import cte_inlining
from sqltune.rewrites.join_elimination import join_elimination
from sqltune.rewrites.not_in import not_in_to_not_exists
from sqltune.rewrites.semi_join import semi_join_to_join
from sqltune.rewrites.verification import Speedup, Timing, VerifyOptions
from sqltune.rewrites.verifier import order_is_total
from sqltune.schema import Schema

DDL = """
CREATE TABLE c (id int PRIMARY KEY, name text);
CREATE TABLE o (id int PRIMARY KEY, c_id int, "Total" int);
CREATE TABLE u (t_id int NOT NULL, y int);
"""


def outcome(function: object, sql: str) -> RewriteOutcome:
    result = registry.by_id()[_id(function)](parse_one(sql, "postgres"), Schema.from_ddl(DDL, "postgres"), "postgres")
    assert result is not None
    return result


def _id(function: object) -> str:
    return next(entry.id for entry in registry.registered() if entry.function is function)


def test_not_in_states_each_nullable_side_as_a_not_null_check() -> None:
    result = outcome(not_in_to_not_exists, "SELECT id FROM o WHERE c_id NOT IN (SELECT y FROM u AS uu)")
    assert [check.kind for check in result.checks] == [NOT_NULL, NOT_NULL]
    assert [check.text for check in result.checks] == list(result.conditions)  # the same sentences
    outer, inner = result.checks
    assert (outer.table, outer.columns, inner.table, inner.columns) == ("o", ("c_id",), "u", ("y",))
    assert inner.check_query() == "SELECT NOT EXISTS (SELECT 1 FROM u WHERE y IS NULL)"
    assert outer.proving_ddl() == "ALTER TABLE o ALTER COLUMN c_id SET NOT NULL"


def test_an_expression_is_a_condition_no_query_states() -> None:
    result = outcome(not_in_to_not_exists, "SELECT id FROM o WHERE c_id + 1 NOT IN (SELECT t_id FROM u)")
    assert len(result.conditions) == 1 and result.checks == ()


def test_semi_join_states_uniqueness() -> None:
    distinct = outcome(semi_join_to_join, "SELECT id FROM c WHERE id IN (SELECT c_id FROM o)")
    (benefit,) = distinct.checks  # the join to the DISTINCT values keeps the rows: only speed is in question
    assert (benefit.kind, benefit.text) == (BENEFIT, distinct.conditions[0])
    sql = "SELECT id FROM c WHERE EXISTS (SELECT 1 FROM o WHERE o.c_id = c.id AND o.id > c.id)"
    result = outcome(semi_join_to_join, sql)  # correlated by an inequality too: a plain join, if c_id is unique
    (check,) = result.checks
    assert (check.kind, check.table, check.columns, check.text) == (UNIQUE, "o", ("c_id",), result.conditions[0])
    assert check.proving_ddl() == "ALTER TABLE o ADD UNIQUE (c_id)"
    query = check.check_query()
    assert query is not None and "GROUP BY c_id HAVING COUNT(*) > 1" in query and "c_id IS NOT NULL" in query


def test_join_elimination_states_the_foreign_key() -> None:
    result = outcome(join_elimination, 'SELECT o.id, o."Total" FROM o JOIN c ON c.id = o.c_id')
    (check,) = result.checks
    assert (check.kind, check.table, check.columns, check.ref_table, check.ref_columns) == (
        FOREIGN_KEY,
        "o",
        ("c_id",),
        "c",
        ("id",),
    )
    assert check.proving_ddl() == "ALTER TABLE o ADD FOREIGN KEY (c_id) REFERENCES c (id)"
    query = check.check_query()
    assert query is not None and "sqltune_parent.id = sqltune_child.c_id" in query


def test_cte_not_materialized_is_proven_but_for_its_benefit() -> None:
    sql = "WITH b AS (SELECT id, c_id FROM o) SELECT * FROM b AS x JOIN b AS y ON x.id = y.c_id WHERE x.c_id = 1"
    result = outcome(cte_inlining, sql)
    assert [check.kind for check in result.checks] == [SERVER_VERSION, BENEFIT]
    assert result.checks[0].version == 120000 and result.checks[1].check_query() is None


def test_data_dependent_rewrites_say_so() -> None:
    flagged = {entry.id for entry in registry.registered() if entry.data_dependent}
    assert {"RW002", "RW004", "RW009", "RW013"} <= flagged
    assert "RW001" not in flagged  # an anti-join is never worse than a re-scanned NOT IN


def test_quoted_names_stay_quoted() -> None:
    condition = Condition(NOT_NULL, "x", '"Orders"', ('"Total"',))
    assert condition.check_query() == 'SELECT NOT EXISTS (SELECT 1 FROM "Orders" WHERE "Total" IS NULL)'


@pytest.mark.parametrize(
    ("sql", "total"),
    [
        ("SELECT a, b FROM t ORDER BY a, b", True),
        ("SELECT a, b AS c FROM t ORDER BY 2, a DESC", True),
        ("SELECT t.a, lower(b) FROM t ORDER BY lower(b), t.a LIMIT 5", True),
        ("SELECT a, b FROM t ORDER BY a", False),
        ("SELECT * FROM t ORDER BY a", False),
        ("SELECT a FROM t", False),
        ("SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1", True),
    ],
)
def test_order_is_total_when_every_output_column_is_a_sort_key(sql: str, total: bool) -> None:
    assert order_is_total(parse_one(sql, "postgres")) is total


def test_speedup_kinds_and_bounds() -> None:
    fast, slow = Timing((10.0, 11.0, 12.0), 1000), Timing((100.0, 90.0, 110.0), 1000)
    assert Speedup.between(slow, fast).value == pytest.approx(100 / 11)
    assert Speedup.between(fast, slow).text() == "9.1× slower"
    assert Speedup.between(fast, Timing((11.2,), 1000)).text() == "as fast"
    stopped = Timing((), 5000, stopped=True)
    assert Speedup.between(stopped, fast).kind == "at_least" and Speedup.between(stopped, fast).at_least(400)
    assert Speedup.between(fast, stopped).kind == "at_most" and not Speedup.between(fast, stopped).at_least(1)
    assert Speedup.between(stopped, stopped).value is None


def test_options_bound_the_rewritten_query() -> None:
    options = VerifyOptions(timeout_ms=10_000, max_slowdown=2.0)
    assert options.bound(400.0) == 800  # twice the time before it
    assert options.bound(1.0) == 100  # never sooner than min_bound_ms
    assert options.bound(9_000.0) == 10_000  # never past the timeout
    assert options.bound(None) == 10_000  # the time before it is unknown: the timeout
    with pytest.raises(ValueError, match="runs"):
        VerifyOptions(runs=0)
