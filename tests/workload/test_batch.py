"""A batch folds into exactly the templates that adding its executions one by one gives.

The large log readers hand executions over column by column (:class:`ExecutionBatch`) and
:meth:`Workload.add_batch` folds them with numpy; :meth:`Workload.add` is the specification. Durations are
multiples of 1/8 ms so that sums are exact in any order of addition.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sqltune.workload import Workload
from sqltune.workload.batch import ExecutionBatch
from sqltune.workload.sources import one_by_one

SHAPES = [
    "SELECT * FROM orders WHERE id = {n}",
    "select * from ORDERS where id = {n}",
    "SELECT name FROM users WHERE email = '{s}' AND age > {n}",
    "SELECT count(*) FROM events WHERE kind IN ({n}, {n}, 7) -- from {s}",
    "UPDATE carts SET total = {n} WHERE id = {n}",
    "SELECT '{s}'",
    "SELECT E'{s}\\'x', {n}",  # a prefixed string: the batch falls back to one by one
    'SELECT "Mixed" FROM t WHERE a = {n}',  # a quoted identifier: one by one
]
START = datetime(2024, 5, 1, tzinfo=UTC).timestamp()

execution = st.tuples(
    st.sampled_from(SHAPES),
    st.integers(0, 50),
    st.sampled_from(["a", "b", "it''s", ""]),
    st.one_of(st.none(), st.integers(0, 80_000).map(lambda eighths: eighths / 8)),  # duration, ms
    st.one_of(st.none(), st.integers(0, 3 * 86_400_000).map(lambda ms: START + ms / 1000)),  # at
    st.one_of(st.none(), st.integers(0, 1000)),  # rows
    st.one_of(st.none(), st.sampled_from(["-42", "7", "0"])),  # queryid
)


@given(
    st.lists(execution, max_size=60),
    st.lists(st.integers(1, 20), min_size=1, max_size=5),
    st.sampled_from([UTC, timezone(timedelta(hours=3))]),
)
def test_a_batch_folds_as_its_executions_one_by_one(
    rows: list[tuple[str, int, str, float | None, float | None, int | None, str | None]],
    cuts: list[int],
    tz: timezone,
) -> None:
    batches: list[ExecutionBatch] = []
    batch = ExecutionBatch("app.log", tz)
    cut = iter(cuts * 100)
    size = next(cut)
    for line, (shape, number, text, duration, at, counted, queryid) in enumerate(rows, 1):
        batch.append(shape.format(n=number, s=text), duration, at, line, counted, queryid, "shop", "app")
        if len(batch) >= size:
            batches.append(batch)
            batch, size = ExecutionBatch("app.log", tz), next(cut)
    batches.append(batch)

    folded = Workload("postgres")
    for each in batches:
        folded.add_batch(each)
    one_at_a_time = Workload("postgres")
    for record in one_by_one(batches):
        one_at_a_time.add(record)  # type: ignore[arg-type]

    assert folded.to_dict() == one_at_a_time.to_dict()
    for template in folded:
        other = one_at_a_time.template_of(template.example)
        assert other is not None
        assert (template.first_seen, template.last_seen) == (other.first_seen, other.last_seen)
        assert template.first_seen is None or template.first_seen.utcoffset() == tz.utcoffset(None)


def test_a_batch_names_each_execution_where_the_log_has_it() -> None:
    batch = ExecutionBatch("pg.log", UTC)
    batch.append("SELECT 1", 2.0, START, 17, None, "-5", "shop", "app")
    (execution,) = batch.executions()
    assert (execution.location, execution.ids, execution.database, execution.user) == (
        "pg.log:17",
        (("queryid", "-5"),),
        "shop",
        "app",
    )
    assert execution.at == datetime(2024, 5, 1, tzinfo=UTC)
