"""SQ001 reports a `*` that expands a table's columns, not one over CTEs and derived tables that name theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.config import Config
from sqltune.linter.engine import lint_paths, lint_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def stars(sql: str) -> list[str]:
    report = lint_text(sql, Config(dialect="postgres", select=("SQ001",)))
    return [f.message.split("`")[1] + " of " + f.message.split("of ", 1)[1].split(";")[0] for f in report.findings]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM (SELECT a, sum(b) AS s FROM t GROUP BY a) AS x",
        "WITH c AS (SELECT a, b FROM t) SELECT * FROM c",
        "WITH c AS (SELECT a FROM t), d AS (SELECT * FROM c) SELECT d.* FROM d",
        "SELECT count(*) FROM t WHERE EXISTS (SELECT * FROM u WHERE u.id = t.id)",
        "SELECT * FROM (SELECT a FROM t UNION ALL SELECT a FROM u) AS x",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT * FROM r",
    ],
)
def test_star_over_named_columns_is_quiet(sql: str) -> None:
    assert stars(sql) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t", ["* of `t`"]),
        ("SELECT o.*, c.name FROM orders o JOIN customers c ON c.id = o.cid", ["o.* of `orders`"]),
        ("SELECT x.a FROM (SELECT * FROM t) AS x", ["* of `t`"]),  # the derived table's *: outer needs `a`
        ("WITH c AS (SELECT * FROM t) SELECT a FROM c", ["* of `t`"]),
        ("SELECT * FROM (SELECT * FROM t) AS x", ["* of `t`"]),  # once, at the outer *
        ("WITH c AS (SELECT * FROM t) SELECT * FROM c", ["* of `t`"]),
        ("WITH c AS (SELECT a FROM t) SELECT c.*, u.* FROM c JOIN u ON TRUE", ["u.* of `u`"]),
        ("SELECT * FROM (SELECT a FROM t UNION ALL SELECT * FROM u) AS x", ["* of `u`"]),
        ("INSERT INTO archive SELECT * FROM orders", ["* of `orders`"]),
    ],
)
def test_star_over_table_columns_is_reported(sql: str, expected: list[str]) -> None:
    assert stars(sql) == expected


def test_tpcds_stars_point_at_tables() -> None:
    report = lint_paths([FIXTURES / "workloads" / "tpcds"], Config(dialect="postgres", select=("SQ001",)))
    assert sorted((Path(f.path).name, f.message.split("of ")[1].split(";")[0]) for f in report.findings) == [
        ("q23.sql", "`item`"),
        ("q62.sql", "`warehouse`"),
        ("q99.sql", "`warehouse`"),
    ]
