"""Snapshots of the suite's PostgreSQL and their comparison: a dropped index, a statistics change, slower times.

The workload is what pg_stat_statements recorded of the statements each test runs (or a workload built from
timed executions, for the time regressions); the plans are the server's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest

import sqltune
from sqltune.regressions import Snapshot
from sqltune.workload import Execution, Workload

pytestmark = pytest.mark.postgres

BY_CUSTOMER = "SELECT id, total FROM orders WHERE customer_id = %s"
BY_CATEGORY = "SELECT id, label FROM items WHERE category = 7"


def test_a_dropped_index_is_a_plan_change_with_the_plan_rules_diagnosis_and_the_index_gone(
    shop: str, run_sql: Callable[..., None], tmp_path
) -> None:
    run_sql(shop, BY_CUSTOMER, *[(n,) for n in range(1, 40)])
    before = sqltune.take_snapshot(shop, top=5)
    hot = before.templates[0]
    assert "orders" in hot.sql and hot.calls == 39 and hot.error is None
    assert any("Index Scan using orders_customer_idx on orders" in line for line in hot.shape)
    assert {index.name for index in before.indexes} >= {"orders_customer_idx", "orders_pkey", "items_category_idx"}
    orders = next(table for table in before.tables if table.name == "orders")
    assert orders.reltuples == 50000 and orders.last_analyze is not None
    before.save(tmp_path / "before")

    run_sql(shop, "DROP INDEX orders_customer_idx")
    run_sql(shop, BY_CUSTOMER, *[(n,) for n in range(1, 40)])
    after = sqltune.take_snapshot(shop, top=5)
    assert after.templates[0].fingerprint == hot.fingerprint
    assert after.templates[0].shape_fingerprint != hot.shape_fingerprint

    report = sqltune.compare_snapshots(tmp_path / "before", after)
    assert report.failed
    by_code = {finding.code: finding for finding in report.findings}
    changed = by_code["RG001"]
    assert "Index Scan using orders_customer_idx on orders -> Seq Scan on orders" in changed.message
    assert "index orders_customer_idx, which the old plan used, no longer exists" in changed.message
    assert [item["code"] for item in changed.details["diagnosis"]] == ["SQ301"]
    assert "CREATE INDEX ON orders (customer_id)" in changed.message
    assert changed.details["new_cost"] > changed.details["old_cost"] * 1.5
    gone = by_code["RG004"]
    assert gone.subject == "public.orders_customer_idx" and "CREATE INDEX orders_customer_idx" in gone.message
    assert str(gone.severity) == "error"  # the hot template's plan used it


def test_a_statistics_change_that_flips_the_plan_is_reported_with_the_row_counts(
    shop: str, run_sql: Callable[..., None], tmp_path
) -> None:
    workload = tmp_path / "workload.sql"
    workload.write_text(BY_CATEGORY + ";\n")
    before = sqltune.take_snapshot(shop, workload)
    assert before.templates[0].shape[-1].strip().startswith(("Index Scan", "Bitmap Index Scan"))

    run_sql(shop, "INSERT INTO items SELECT g, 7, 'bulk ' || g FROM generate_series(100001, 400000) g")
    run_sql(shop, "ANALYZE items")
    after = sqltune.take_snapshot(shop, workload)

    report = sqltune.compare_snapshots(before, after)
    changed = next(finding for finding in report.findings if finding.code == "RG001")
    assert changed.details["new_shape"] == ["Seq Scan on items"]
    assert "items: 50,000 -> 350,000 rows (analyzed " in changed.message
    assert str(changed.severity) in ("warning", "error")


def test_a_mean_time_regression_without_a_plan_change(shop: str, tmp_path) -> None:
    def timed(mean_ms: float) -> Workload:
        return Workload("postgres").extend(
            [Execution("SELECT count(*) FROM orders WHERE placed >= '2024-06-01'", duration_ms=mean_ms, calls=1)] * 20
        )

    before = sqltune.take_snapshot(shop, timed(4.0))
    after = sqltune.take_snapshot(shop, timed(13.0))
    report = sqltune.compare_snapshots(before, after, time_factor=1.5)
    assert report.codes() == ["RG002"] and report.failed
    assert "3.2x slower: mean 4.0 ms -> 13.0 ms" in report.findings[0].message
    assert not sqltune.compare_snapshots(before, after, time_factor=4.0).failed
    assert not sqltune.compare_snapshots(before, after, min_mean_ms=20).failed


def test_snapshots_save_and_load_and_never_write(shop: str, run_sql: Callable[..., None], tmp_path) -> None:
    """With analyze=True, reads are run (EXPLAIN ANALYZE) and writes only explained: a sequence, which no
    rollback turns back, shows the INSERT never ran again."""
    run_sql(shop, "CREATE SEQUENCE audit_seq; CREATE TABLE audit (id bigint)")
    run_sql(shop, BY_CUSTOMER, (5,))
    run_sql(shop, "INSERT INTO audit VALUES (nextval('audit_seq'))")
    snapshot = sqltune.take_snapshot(shop, analyze=True)
    kinds = {t.sql.split()[0].upper(): t for t in snapshot.templates}
    assert kinds["SELECT"].analyzed and not kinds["INSERT"].analyzed and kinds["INSERT"].error is None
    with psycopg.connect(shop) as db:
        assert db.execute("SELECT last_value FROM audit_seq").fetchone() == (1,)
    path = snapshot.save(tmp_path / "snap")
    assert path.name == "snapshot.json"
    assert Snapshot.load(tmp_path / "snap") == snapshot == Snapshot.load(path)


def wait_for_counter(dsn: str, query: str, at_least: int) -> None:
    """Until the statistics ``query`` reads reach ``at_least``: a backend reports its counters when it goes
    idle or exits, a moment after its client has moved on."""
    with psycopg.connect(dsn, autocommit=True) as db:
        for _ in range(100):
            db.execute("SELECT pg_stat_clear_snapshot()")
            row = db.execute(query).fetchone()
            if row and row[0] >= at_least:
                return
            time.sleep(0.05)
    raise AssertionError(f"{query} never reached {at_least}")


SEQ_SCANS = "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'orders'"
INDEX_SCANS = "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'orders_customer_idx'"


def test_an_index_that_stopped_being_used_while_its_table_was_read(shop: str, run_sql: Callable[..., None]) -> None:
    run_sql(shop, BY_CUSTOMER, *[(n,) for n in range(1, 10)])
    wait_for_counter(shop, INDEX_SCANS, 9)
    with psycopg.connect(shop) as db:
        seq_before = db.execute(SEQ_SCANS).fetchone()[0]
    before = sqltune.take_snapshot(shop)
    used = next(index for index in before.indexes if index.name == "orders_customer_idx")
    assert used.scans and used.scans >= 9 and used.size_bytes and used.definition.startswith("CREATE INDEX")

    # The application now reads orders another way: by amount, which no index serves.
    run_sql(shop, "SELECT count(*) FROM orders WHERE total > %s", *[(n,) for n in range(5)])
    wait_for_counter(shop, SEQ_SCANS, seq_before + 5)
    after = sqltune.take_snapshot(shop)

    report = sqltune.compare_snapshots(before, after)
    unused = [finding for finding in report.findings if finding.code == "RG003"]
    assert [finding.subject for finding in unused] == ["public.orders_customer_idx"]
    assert unused[0].details["seq_scans"] >= 5 and "was not used since the old snapshot" in unused[0].message
