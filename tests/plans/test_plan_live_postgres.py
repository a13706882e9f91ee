"""Plans from the running PostgreSQL, in JSON and text, parse into the same graph (no fixture drift)."""

from __future__ import annotations

import pytest

from sqltune.plans import parse_plan

pytestmark = pytest.mark.postgres

QUERY = (
    "SELECT o.kind, count(*) FROM items o JOIN kinds k ON k.id = o.kind "
    "WHERE o.id % 3 = 0 GROUP BY o.kind ORDER BY 2 DESC"
)


def test_live_json_and_text_agree(pg_schema: tuple[str, str]) -> None:
    import psycopg

    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True, options=f"-csearch_path={schema}") as connection:
        connection.execute("CREATE TABLE kinds (id int PRIMARY KEY, name text)")
        connection.execute("CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL)")
        connection.execute("INSERT INTO kinds SELECT i, 'k' || i FROM generate_series(0, 9) i")
        connection.execute("INSERT INTO items SELECT i, i % 10 FROM generate_series(1, 5000) i")
        connection.execute("ANALYZE")
        connection.execute("SET work_mem = '64kB'")
        plans = {}
        for fmt in ("JSON", "TEXT"):
            rows = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT {fmt}) {QUERY}").fetchall()
            plans[fmt] = parse_plan(rows[0][0] if fmt == "JSON" else "\n".join(r[0] for r in rows))
    from_json, from_text = plans["JSON"], plans["TEXT"]
    assert from_json.format == "postgres-json" and from_text.format == "postgres-text"
    assert [(n.operator, n.relation, n.schema, n.alias, n.parent) for n in from_json] == [
        (n.operator, n.relation, n.schema, n.alias, n.parent) for n in from_text
    ]
    scans = {n.relation: n for n in from_json.scans()}
    assert set(scans) == {"items", "kinds"} and scans["items"].schema == schema
    assert scans["items"].removed_share is not None and scans["items"].removed_share > 0.6
    assert from_json.execution_ms is not None and from_text.execution_ms is not None
    assert all(n.exclusive_ms is not None for n in from_json)
    assert sum(n.time_share or 0 for n in from_text) == pytest.approx(1.0)
