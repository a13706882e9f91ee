"""What :meth:`Workload.add` folds into a template: the hot path, checked on the edges it takes short cuts on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqltune.workload.model import HISTOGRAM_BASE_MS, Execution, _bucket_of
from sqltune.workload.workload import Workload

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_samples_keep_the_first_distinct_literal_sets_when_texts_repeat() -> None:
    workload = Workload()
    texts = ["SELECT * FROM t WHERE s = 'open'", "SELECT * FROM t WHERE s = 'done'", "SELECT * FROM t WHERE s = 'x'"]
    for index in range(60):  # a few literal sets only: sampled once each, never more
        workload.add(Execution(texts[index % 3]))
    workload.add(Execution("SELECT * FROM t WHERE s = 'late'"))
    (template,) = workload.templates
    assert template.samples == [("open",), ("done",), ("x",), ("late",)]
    assert template.calls == 61


def test_aggregated_executions_set_bucket_maxima_from_their_slowest_call() -> None:
    workload = Workload()
    workload.add(Execution("SELECT 1", duration_ms=100.0, calls=10, max_ms=40.0, at=T0))
    workload.add(Execution("SELECT 2", duration_ms=5.0, at=T0 + timedelta(minutes=1)))
    (template,) = workload.templates
    assert template.max_ms == 40.0
    assert template.buckets[int(T0.timestamp())] == [11, 105.0, 40.0]
    # A time window keeps the same maximum the whole load has.
    assert workload.filter(since=T0).templates[0].max_ms == 40.0


def test_times_out_of_order_still_give_first_and_last_seen() -> None:
    workload = Workload()
    for minutes in (5, 9, 1, 7):
        workload.add(Execution("SELECT 1", duration_ms=1.0, at=T0 + timedelta(minutes=minutes)))
    (template,) = workload.templates
    assert (template.first_seen, template.last_seen) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=9))


def test_histogram_buckets_are_exact_at_powers_of_two() -> None:
    assert _bucket_of(HISTOGRAM_BASE_MS) == 0
    for k in range(1, 30):
        edge = HISTOGRAM_BASE_MS * 2.0**k
        assert _bucket_of(edge) == k + 1  # [2^k, 2^(k+1)) * BASE is bucket k + 1
        assert _bucket_of(edge * (1 - 2.0**-52)) == k  # just below the edge: the bucket before
    assert _bucket_of(1e12) == 39
