"""Pieces folded apart and merged (:mod:`sqltune.workload.partial`) give the workload of one pass in order."""

from __future__ import annotations

from datetime import timedelta

from sqltune.testing.workloads import generate
from sqltune.workload.model import Execution
from sqltune.workload.partial import assemble, merge_rows, rows_of
from sqltune.workload.workload import Workload


def executions(count: int) -> list[Execution]:
    made = []
    for index, run in enumerate(generate(count, templates=120, seed=7)):
        calls = 3 if index % 11 == 0 else 1
        made.append(
            Execution(
                run.sql,
                None if index % 13 == 0 else round(run.duration_ms * 1024) / 1024 * calls,  # sums exact
                None if index % 17 == 0 else run.at,
                calls,
                rows=run.rows if index % 2 else None,
                max_ms=run.duration_ms if calls > 1 else None,
                ids=(("queryid", str(run.template * 7 + index % 3)),) if index % 5 else (),
                location=f"gen.log:{index + 1}",
            )
        )
    return made


def test_pieces_merged_equal_one_pass() -> None:
    runs = executions(6000)
    whole = Workload(sample_limit=3, bucket_seconds=600)
    whole.extend(runs)
    rows = []
    for piece, start in enumerate(range(0, len(runs), 700)):
        part = Workload(sample_limit=3, bucket_seconds=600)
        part.extend(runs[start : start + 700])
        rows.extend(rows_of(part, piece))
    rows.reverse()  # an engine hands rows over in any order
    merged = assemble(merge_rows(rows), sample_limit=3, bucket_seconds=600)
    assert len(merged) == len(whole) > 100
    assert [t.to_dict() for t in merged.templates] == [t.to_dict() for t in whole.templates]
    assert any(len(t.samples) == 3 for t in merged) and any(t.ids for t in merged)
    assert merged.templates[0].first_seen is not None
    assert merged.templates[0].first_seen.utcoffset() == timedelta(0)
