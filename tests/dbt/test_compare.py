"""Two dbt runs compared: slower beyond the factor and the floor, failed, new and removed models."""

from __future__ import annotations

import pytest

from sqltune.core.findings import Severity
from sqltune.dbt import compare_runs
from sqltune.dbt.artifacts import ArtifactInfo, NodeResult, RunResults


def run(*results: tuple[str, str, float | None] | tuple[str, str, float | None, str]) -> RunResults:
    nodes = [NodeResult(r[0], r[1], r[2], r[3] if len(r) > 3 else None, None) for r in results]  # type: ignore[misc]
    return RunResults(ArtifactInfo("run_results.json", 6, "1.10.0", None), None, {n.unique_id: n for n in nodes})


def kinds(previous: RunResults, current: RunResults, **options: float) -> list[tuple[str, str]]:
    return [(r.kind, r.unique_id) for r in compare_runs(previous, current, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "slower"),
    [
        (2.0, 3.1, True),  # 1.55x and 1.1 s more
        (2.0, 2.9, False),  # 1.45x: within the factor
        (0.1, 0.9, False),  # 9x but 0.8 s: below the floor
        (0.1, 1.1, True),  # 11x and 1.0 s: at the floor
        (None, 5.0, False),  # no time before: nothing to compare
    ],
)
def test_slower_needs_both_the_factor_and_the_floor(before: float | None, after: float, slower: bool) -> None:
    found = kinds(run(("model.p.m", "success", before)), run(("model.p.m", "success", after)))
    assert found == ([("slower", "model.p.m")] if slower else [])


def test_factor_and_floor_are_options() -> None:
    previous, current = run(("model.p.m", "success", 1.0)), run(("model.p.m", "success", 1.3))
    assert kinds(previous, current) == []
    assert kinds(previous, current, time_factor=1.2, min_seconds=0.2) == [("slower", "model.p.m")]
    with pytest.raises(ValueError, match=r"time factor 0\.5 is below 1"):
        compare_runs(previous, current, time_factor=0.5)


def test_failed_skipped_and_partial_models_whatever_their_time() -> None:
    previous = run(("model.p.a", "success", 1.0), ("model.p.b", "success", 1.0), ("model.p.c", "error", 0.2))
    current = run(
        ("model.p.a", "error", 0.1, "Database Error in model a (models/a.sql)\n  relation does not exist"),
        ("model.p.b", "skipped", 0.0),
        ("model.p.c", "error", 0.2, "still broken"),
        ("model.p.d", "partial success", 9.0, "2 of 5 batches failed"),
    )
    regressions = compare_runs(previous, current)
    assert [(r.kind, r.unique_id, r.severity) for r in regressions] == [
        ("failed", "model.p.a", Severity.ERROR),
        ("failed", "model.p.b", Severity.ERROR),
        ("failed", "model.p.c", Severity.ERROR),
        ("failed", "model.p.d", Severity.ERROR),
    ]
    assert regressions[0].message == "model.p.a error (previous run: success): Database Error in model a (models/a.sql)"
    assert regressions[1].message.endswith("skipped (previous run: success): a node it depends on failed")
    assert regressions[2].message == "model.p.c error (previous run: error): still broken"
    assert regressions[3].message.startswith("model.p.d partial success (not in the previous run)")


def test_new_and_removed_models_and_whether_they_left_the_project() -> None:
    previous = run(("model.p.kept", "success", 1.0), ("model.p.gone", "success", 2.0), ("model.p.off", "success", 3))
    current = run(("model.p.kept", "success", 1.0), ("model.p.added", "success", 0.5))
    regressions = compare_runs(previous, current, in_project=frozenset({"model.p.kept", "model.p.off"}))
    assert [(r.kind, r.unique_id, r.severity) for r in regressions] == [
        ("new", "model.p.added", Severity.INFO),
        ("removed", "model.p.gone", Severity.INFO),
        ("removed", "model.p.off", Severity.INFO),
    ]
    assert regressions[0].message == "model.p.added ran (500.0 ms) but was not in the previous run"
    assert regressions[1].message == (
        "model.p.gone ran in the previous run (2.0 s) but not in this one; it is no longer in the project"
    )
    assert regressions[2].message == "model.p.off ran in the previous run (3.0 s) but not in this one"


def test_tests_and_seeds_are_not_compared_and_the_manifest_decides_the_type() -> None:
    previous = run(("test.p.unique_x.1a", "pass", 0.1), ("seed.p.raw", "success", 0.1), ("model.p.m", "success", 1))
    current = run(("test.p.unique_x.1a", "fail", 9.0), ("seed.p.raw", "success", 9.0), ("snapshot.p.s", "error", 1))
    assert kinds(previous, current) == [("failed", "snapshot.p.s"), ("removed", "model.p.m")]
    typed = compare_runs(previous, current, resource_types={"model.p.m": "analysis"})
    assert [r.unique_id for r in typed] == ["snapshot.p.s"]


def test_regressions_as_json() -> None:
    (regression,) = compare_runs(run(("model.p.m", "success", 2.0)), run(("model.p.m", "success", 5.0)))
    assert regression.to_dict() == {
        "unique_id": "model.p.m",
        "kind": "slower",
        "code": "DBT001",
        "severity": "warning",
        "execution_time": 5.0,
        "previous_execution_time": 2.0,
        "status": "success",
        "previous_status": "success",
        "ratio": 2.5,
        "message": "model.p.m took 5.0 s, 2.5x its 2.0 s in the previous run",
    }
