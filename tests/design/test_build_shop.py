"""The shop's star (tests/design/test_shop_design.py) built by dbt on generated rows: models, key tests, the
bridge and the type-2 snapshot pass, and the answered analytic queries return the originals' rows."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from sqltune.design import design_star_schema
from sqltune.design.emit import write_outputs
from sqltune.schema import Schema
from sqltune.testing.star import dbt_build, result_multiset
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]

ROWS = """
INSERT INTO countries SELECT g, 'country ' || g, (ARRAY['EU', 'NA', 'APAC'])[1 + g % 3] FROM generate_series(1, 10) g;
INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'customer ' || g,
    (ARRAY['Paris', 'Lyon', 'Austin', 'Osaka', 'Lima', 'Oslo', 'Pune', 'Cork'])[1 + g % 8], 1 + g % 10,
    (ARRAY['retail', 'pro', 'vip'])[1 + g % 3], TIMESTAMP '2024-01-01' + g * INTERVAL '1 day'
    FROM generate_series(1, 200) g;
INSERT INTO categories SELECT g, 'category ' || g, (ARRAY['home', 'garden', 'toys'])[1 + g % 3]
    FROM generate_series(1, 6) g;
INSERT INTO products SELECT g, 'SKU-' || g, 'product ' || g, 1 + g % 6, 5 + g % 40 FROM generate_series(1, 50) g;
INSERT INTO tags SELECT g, 'tag ' || g FROM generate_series(1, 5) g;
INSERT INTO product_tags SELECT p, 1 + p % 5 FROM generate_series(1, 50) p;
INSERT INTO product_tags SELECT p, 1 + (p + 2) % 5 FROM generate_series(2, 50, 2) p;
INSERT INTO orders SELECT g, 1 + g % 200, (ARRAY['new', 'shipped', 'delivered', 'cancelled'])[1 + g % 4],
    (ARRAY['ground', 'air', 'pickup'])[1 + g % 3], g % 7 = 0, DATE '2024-06-01' + g % 400,
    CASE WHEN g % 4 IN (1, 2) THEN DATE '2024-06-04' + g % 400 END
    FROM generate_series(1, 1000) g;
INSERT INTO order_items SELECT o, l, 1 + (o * 7 + l * 3) % 50, 1 + (o + l) % 5, 5 + (o * l) % 40, ((o + l) % 4) * 0.05
    FROM generate_series(1, 1000) o, generate_series(1, 3) l;
INSERT INTO carts SELECT g, 1 + g % 200, TIMESTAMP '2025-01-01' FROM generate_series(1, 20) g;
INSERT INTO cart_items SELECT 1 + g % 20, 1 + g % 50, 1 FROM generate_series(1, 40) g;
"""


def test_the_shop_star_builds_with_its_snapshot_and_answers_alike(dbt: Path, pg_dsn: str, tmp_path: Path) -> None:
    ddl = (ROOT / "fixtures/schemas/shop.sql").read_text()
    schema = Schema.from_ddl(ddl, "postgres")
    result = design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/shop", dialect="postgres"))
    write_outputs(result.design, schema, tmp_path, result.coverage)
    source, star = f"shop_{uuid.uuid4().hex[:10]}", f"star_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(source)))
        connection.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(source)))
        connection.execute(ddl)
        connection.execute(ROWS)
    try:
        built = dbt_build(dbt, tmp_path / "dbt", pg_dsn, source, star)
        assert built.returncode == 0, built.stdout[-4000:]
        summary = next(line for line in built.stdout.splitlines() if "Done. PASS=" in line)
        assert "ERROR=0" in summary and "WARN=0" in summary
        assert "snapshot" in built.stdout and "dim_customers_snapshot" in built.stdout
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            history = connection.execute(
                sql.SQL("SELECT count(*), count(dbt_valid_from) FROM {}.dim_customers_snapshot").format(
                    sql.Identifier(star)
                )
            ).fetchone()
        assert history == (200, 200)
        answered = result.coverage.answered
        assert len(answered) == 6  # a6 counts orders through the order fact
        for query in answered:
            original = result_multiset(pg_dsn, source, query.original)
            assert original, query.template
            assert result_multiset(pg_dsn, star, query.rewritten or "") == original, query.template
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as connection:
            for name in (star, source):
                connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
