"""compare_snapshots offline, on snapshots built from plans and counters: what each finding needs, and what
does not count (a cheaper plan, a table dropped with its index, counters reset in between)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sqltune.regressions import IndexUsage, Snapshot, TableStatistics, compare_snapshots
from sqltune.regressions.capture import record_template
from sqltune.regressions.model import TemplateSnapshot
from sqltune.workload import Execution, Workload

DAY = datetime(2026, 1, 1, 6, tzinfo=UTC)
LOOKUP = "SELECT * FROM orders WHERE customer_id = 7"


def scan(kind: str, cost: float, index: str | None = None) -> list[dict[str, Any]]:
    node: dict[str, Any] = {"Node Type": kind, "Relation Name": "orders", "Total Cost": cost, "Plan Rows": 25}
    if index:
        node["Index Name"] = index
    return [{"Plan": node}]


def template(sql: str, plan: Any, *, calls: int, total_ms: float, rank: int = 1) -> TemplateSnapshot:
    workload = Workload("postgres").extend([Execution(sql, duration_ms=total_ms, calls=calls)])
    return record_template(workload.top(1)[0], rank, plan, plan_format="postgres-json")


def snapshot(day: int, *templates: TemplateSnapshot, cumulative: bool = False, **fields: Any) -> Snapshot:
    return Snapshot(
        DAY + timedelta(days=day), "postgres", "db:5432/shop", list(templates), cumulative=cumulative, **fields
    )


def test_a_cheaper_plan_is_information_and_a_costlier_one_a_warning() -> None:
    indexed = template(LOOKUP, scan("Index Scan", 8.7, "orders_customer_idx"), calls=10, total_ms=10)
    full = template(LOOKUP, scan("Seq Scan", 1194.0), calls=10, total_ms=10)
    worse = compare_snapshots(snapshot(0, indexed), snapshot(1, full))
    assert [(f.code, str(f.severity)) for f in worse] == [("RG001", "warning")] and worse.failed
    assert "estimated cost 8.70 -> 1,194.00 (137.2x)" in worse.findings[0].message
    better = compare_snapshots(snapshot(0, full), snapshot(1, indexed))
    assert [(f.code, str(f.severity)) for f in better] == [("RG001", "info")] and not better.failed
    assert compare_snapshots(snapshot(0, full), snapshot(1, indexed), fail_on="info").failed


def test_cumulative_counters_compare_the_calls_in_between() -> None:
    """pg_stat_statements counts since a reset: 100 calls of 1 ms, then 100 more of 3 ms is a 3x regression
    (an error beyond time_factor squared), where the cumulative means (1 ms, 2 ms) say 2x."""
    plan = scan("Index Scan", 8.7, "orders_customer_idx")
    old = template(LOOKUP, plan, calls=100, total_ms=100)
    new = template(LOOKUP, plan, calls=200, total_ms=400)
    [between] = compare_snapshots(snapshot(0, old, cumulative=True), snapshot(1, new, cumulative=True)).findings
    assert between.details["new_mean_ms"] == 3.0 and str(between.severity) == "error"
    assert between.details["time_basis"] == "calls between the snapshots"
    [own] = compare_snapshots(snapshot(0, old), snapshot(1, new)).findings
    assert own.details["new_mean_ms"] == 2.0 and str(own.severity) == "warning"
    reset = template(LOOKUP, plan, calls=20, total_ms=60)  # fewer calls than before: the counters were reset
    [after_reset] = compare_snapshots(snapshot(0, old, cumulative=True), snapshot(1, reset, cumulative=True)).findings
    assert after_reset.details["new_mean_ms"] == 3.0
    assert after_reset.details["time_basis"] == "calls of the new snapshot"


def test_templates_new_in_the_top_n_are_information() -> None:
    plan = scan("Seq Scan", 10.0)
    old = template(LOOKUP, plan, calls=5, total_ms=5)
    newcomer = template("SELECT count(*) FROM orders", plan, calls=9, total_ms=90, rank=1)
    moved = template(LOOKUP, plan, calls=5, total_ms=5, rank=2)
    report = compare_snapshots(snapshot(0, old), snapshot(1, newcomer, moved))
    assert report.codes() == ["RG006"] and not report.failed and report.compared == 1
    assert "entered the top 10 at rank 1 (new in the workload)" in report.findings[0].message
    assert compare_snapshots(snapshot(0, old), snapshot(1, newcomer, moved), top=1).codes() == ["RG006"]


def orders(seq: int, idx: int) -> TableStatistics:
    return TableStatistics("public", "orders", live_rows=50_000, seq_scans=seq, idx_scans=idx, reltuples=50_000)


def index(scans: int) -> IndexUsage:
    return IndexUsage("public", "orders", "orders_customer_idx", scans, definition="CREATE INDEX ...")


def test_index_findings_need_a_read_table_and_comparable_counters() -> None:
    old = snapshot(0, indexes=[index(40)], tables=[orders(3, 40)])
    assert compare_snapshots(old, snapshot(1, indexes=[index(40)], tables=[orders(9, 40)])).codes() == ["RG003"]
    assert not compare_snapshots(old, snapshot(1, indexes=[index(52)], tables=[orders(9, 52)])).findings  # used
    assert not compare_snapshots(old, snapshot(1, indexes=[index(40)], tables=[orders(3, 40)])).findings  # idle
    never = snapshot(0, indexes=[index(0)], tables=[orders(3, 0)])
    assert not compare_snapshots(never, snapshot(1, indexes=[index(0)], tables=[orders(9, 0)])).findings
    reset = compare_snapshots(old, snapshot(1, indexes=[index(40)], tables=[orders(9, 40)], stats_reset="2026-01-01"))
    assert not reset.findings and "usage counters were reset" in reset.notes[0]

    [gone] = compare_snapshots(old, snapshot(1, tables=[orders(9, 0)])).findings
    assert (gone.code, str(gone.severity)) == ("RG004", "warning")  # no plan of the old snapshot used it
    assert not compare_snapshots(old, snapshot(1)).findings  # the table went with it: a schema change


def test_bad_input_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="time_factor must be greater than 1"):
        compare_snapshots(snapshot(0), snapshot(1), time_factor=1.0)
    other = Snapshot(DAY, "snowflake", "acct/DB.PUBLIC")
    with pytest.raises(ValueError, match="cannot compare a postgres snapshot with a snowflake one"):
        compare_snapshots(snapshot(0), other)
    late = compare_snapshots(snapshot(1), snapshot(0))
    assert "not later than the old one" in late.notes[0]

    path = snapshot(0).save(tmp_path / "s")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "version": 99}))
    with pytest.raises(ValueError, match="version 99 is newer than this sqltune reads"):
        Snapshot.load(tmp_path / "s")
    path.write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        Snapshot.load(path)
    with pytest.raises(ValueError, match="cannot read the snapshot"):
        Snapshot.load(tmp_path / "missing")
    path.write_text(
        json.dumps(
            {
                **data,
                "added_later": 1,
                "templates": [{**asdict(template(LOOKUP, None, calls=1, total_ms=1)), "new": 2}],
            }
        )
    )
    assert Snapshot.load(path).templates[0].sql == LOOKUP  # fields a later version adds are ignored
