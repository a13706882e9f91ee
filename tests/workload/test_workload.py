"""The Workload: folding executions into templates, merging, filtering to a time window, JSON round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sqltune.workload import Execution, Workload

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _workload() -> Workload:
    workload = Workload("postgres")
    for minute in range(0, 180, 10):  # 18 calls over three hours, one template
        workload.add(
            Execution(
                f"SELECT * FROM orders WHERE id = {minute}",
                2.0,
                at=T0 + timedelta(minutes=minute),
                rows=1,
                location=f"pg.log:{minute + 1}",
            )
        )
    workload.add(Execution("SELECT count(*) FROM orders", 500.0, at=T0 + timedelta(hours=1), location="pg.log:999"))
    workload.add(
        Execution(
            "SELECT * FROM users WHERE email = $1", 90_000.0, calls=3_000, max_ms=120.0, ids=(("queryid", "-4711"),)
        )
    )
    return workload


def test_executions_fold_into_their_template() -> None:
    workload = _workload()
    assert len(workload) == 3
    orders = workload.template_of("select * from ORDERS where id = 1")
    assert orders is not None
    assert (orders.calls, orders.total_ms, orders.max_ms, orders.rows) == (18, 36.0, 2.0, 18)
    assert (orders.first_seen, orders.last_seen) == (T0, T0 + timedelta(minutes=170))
    assert orders.location == "pg.log:1" and orders.kind == "select"
    assert orders.samples == [("0",), ("10",), ("20",), ("30",), ("40",)]  # at most five, distinct


def test_aggregated_rows_keep_calls_totals_and_the_slowest_call() -> None:
    users = _workload().template_of("SELECT * FROM users WHERE email = 'a@b.c'")
    assert users is not None
    assert (users.calls, users.total_ms, users.mean_ms, users.max_ms) == (3000, 90_000.0, 30.0, 120.0)
    assert users.ids == {"queryid": ["-4711"]}
    assert users.percentile(0.95) is None  # no single-call timings: no histogram


def test_top_orders_by_time_then_calls() -> None:
    workload = _workload()
    assert [t.calls for t in workload.top(2)] == [3000, 1]
    assert [t.calls for t in workload.top(1, by="calls")] == [3000]
    with pytest.raises(ValueError, match="unknown order 'speed'"):
        workload.top(1, by="speed")


def test_a_time_window_is_exact_to_the_bucket() -> None:
    workload = _workload()
    window = workload.filter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2))
    orders = window.template_of("SELECT * FROM orders WHERE id = 1")
    assert orders is not None and (orders.calls, orders.total_ms) == (6, 12.0)
    assert window.template_of("SELECT count(*) FROM orders") is not None
    assert window.template_of("SELECT * FROM users WHERE email = 'x'") is None
    assert window.notes == ["1 templates without timestamps were left out of the time window"]
    assert workload.template_of("SELECT * FROM orders WHERE id = 1").calls == 18  # type: ignore[union-attr]


def test_min_calls_and_top() -> None:
    workload = _workload()
    assert len(workload.filter(min_calls=2)) == 2
    assert [t.calls for t in workload.filter(top=1)] == [3000]


def test_merge_adds_the_same_template_once() -> None:
    merged = _workload().merge(_workload())
    assert len(merged) == 3
    orders = merged.template_of("SELECT * FROM orders WHERE id = 1")
    assert orders is not None and orders.calls == 36 and orders.buckets[int(T0.timestamp())][0] == 12
    users = merged.template_of("SELECT * FROM users WHERE email = 'x'")
    assert users is not None and users.calls == 6000 and users.ids == {"queryid": ["-4711"]}


def test_json_round_trip_keeps_everything(tmp_path: Path) -> None:
    workload = _workload()
    path = tmp_path / "workload.json"
    workload.save(path)
    loaded = Workload.load(path)
    assert loaded.to_dict() == workload.to_dict()
    assert Workload.read(path).to_dict()["templates"] == workload.to_dict()["templates"]


def test_loading_something_else_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"findings": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a sqltune workload file"):
        Workload.load(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"other\.json"):
        Workload.load(path)


def test_the_latency_histogram_bounds_percentiles() -> None:
    workload = Workload()
    for ms in [1.0] * 90 + [100.0] * 10:
        workload.add(Execution("SELECT 1", ms))
    template = workload.templates[0]
    assert 1.0 <= (template.percentile(0.5) or 0) <= 2.0
    assert 100.0 <= (template.percentile(0.95) or 0) <= 200.0


def _hourly(workload: Workload, hours: int, templates: int) -> None:
    for hour in range(hours):
        for number in range(templates):
            at = T0 + timedelta(hours=hour, minutes=number % 60)
            workload.add(Execution(f"SELECT c{number} FROM t WHERE id = {hour}", 1.5, at=at))


def test_time_buckets_are_bounded_by_widening_them() -> None:
    bounded, exact = Workload(max_buckets=100), Workload(max_buckets=None)
    for workload in (bounded, exact):
        _hourly(workload, hours=48, templates=10)
    assert exact.bucket_seconds == 3600 and sum(len(t.buckets) for t in exact) == 480
    # 480 hourly buckets > 100: 2 h gives 240, 4 h 120, 8 h 60
    assert bounded.bucket_seconds == 8 * 3600
    assert sum(len(t.buckets) for t in bounded) == 60
    for template in bounded:
        assert sum(b[0] for b in template.buckets.values()) == template.calls == 48
        assert all(start % (8 * 3600) == 0 for start in template.buckets)
    # a time window is exact to the wider bucket: 8 h from T0 (an 8-hour boundary) is one bucket each
    window = bounded.filter(since=T0, until=T0 + timedelta(hours=8))
    assert window.calls == exact.filter(since=T0, until=T0 + timedelta(hours=8)).calls == 80


def test_merging_workloads_of_two_widths_keeps_the_wider() -> None:
    narrow, wide = Workload(max_buckets=None), Workload(max_buckets=40)
    _hourly(narrow, hours=24, templates=3)
    _hourly(wide, hours=24, templates=3)
    assert (narrow.bucket_seconds, wide.bucket_seconds) == (3600, 2 * 3600)  # 72 hourly buckets > 40: 2 h
    merged = narrow.merge(wide)
    assert merged.bucket_seconds == 2 * 3600
    for template in merged:
        assert sum(b[0] for b in template.buckets.values()) == template.calls == 48
        assert set(template.buckets) == {int((T0 + timedelta(hours=h)).timestamp()) for h in range(0, 24, 2)}
