"""RW018 rewrites the TPC queries that compare with a correlated aggregate, as written, into SQL PostgreSQL runs.

TPC-H Q17 (and Q20) and TPC-DS Q1, Q30, Q81, Q32 and Q92 are the shapes the rewrite exists for: unqualified
columns with an inner table shadowing the outer one, correlation through a CTE, joins inside the subquery.
Each rewritten file must parse, and both versions must run on the real PostgreSQL against the empty TPC
schemas (created in a throwaway schema) and agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.sqlglot import exp, parse_one
from sqltune.rewrites import Status, rewrite
from sqltune.rewrites._decorrelate import where_comparison
from sqltune.schema import Schema

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["tpch/q17", "tpch/q20", "tpcds/q01", "tpcds/q30", "tpcds/q81", "tpcds/q32", "tpcds/q92"]


def _ddl(suite: str) -> str:
    return (ROOT / "fixtures" / "schemas" / f"{suite}.sql").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", QUERIES)
def test_rw018_rewrites_the_tpc_query_as_written(name: str) -> None:
    text = (ROOT / "fixtures" / "workloads" / f"{name}.sql").read_text(encoding="utf-8")
    schema = Schema.from_ddl(_ddl(name.split("/")[0]), dialect="postgres")
    report = rewrite(text, dialect="postgres", schema=schema)
    assert not report.problems, report.problems
    ours = [change for change in report.applied if change.rewrite == "RW018"]
    assert ours and all(change.status is Status.APPLIED for change in ours), report.changes
    assert report.changed
    before, after = parse_one(text, "postgres"), parse_one(report.sql, "postgres")
    assert _compared_subqueries(before) and not _compared_subqueries(after)


def _compared_subqueries(tree: exp.Expression) -> list[exp.Subquery]:
    return [node for node in tree.find_all(exp.Subquery) if where_comparison(node) is not None]


@pytest.mark.postgres
@pytest.mark.parametrize("suite", ["tpch", "tpcds"])
def test_rewritten_tpc_queries_run_on_postgres(pg_schema: tuple[str, str], suite: str) -> None:
    import psycopg

    dsn, name = pg_schema
    schema = Schema.from_ddl(_ddl(suite), dialect="postgres")
    with psycopg.connect(dsn, options=f"-csearch_path={name}") as connection:
        for statement in (s.strip() for s in _ddl(suite).split(";")):
            if statement:
                connection.execute(statement.encode())
        for query in (q for q in QUERIES if q.startswith(f"{suite}/")):
            text = (ROOT / "fixtures" / "workloads" / f"{query}.sql").read_text(encoding="utf-8")
            rewritten = rewrite(text, dialect="postgres", schema=schema, select=["RW018"]).sql
            assert rewritten != text, query
            before = connection.execute(text.encode()).fetchall()
            after = connection.execute(rewritten.encode()).fetchall()
            assert before == after, query
