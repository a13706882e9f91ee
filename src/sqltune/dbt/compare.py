"""What changed between two dbt runs: models slower beyond a threshold, failed, new and removed.

Only models and snapshots count (:data:`~sqltune.dbt.model.TIMED`); tests and seeds are not compared. A
model is *slower* when it ran to the end both times, took more than ``time_factor`` times its previous time,
and at least ``min_seconds`` more (a 20 ms model taking 60 ms is noise, not a regression). A model is
*failed* when this run's status is one of :data:`~sqltune.dbt.model.FAILED`, whatever it was before; *new*
and *removed* when only one of the runs has it.

>>> from sqltune.dbt.artifacts import ArtifactInfo, NodeResult, RunResults
>>> def run(*results):
...     nodes = [NodeResult(f"model.p.{name}", status, time, None, None) for name, status, time in results]
...     return RunResults(ArtifactInfo("r.json", 6, "1.10.0", None), None, {r.unique_id: r for r in nodes})
>>> before = run(("a", "success", 2.0), ("b", "success", 1.0))
>>> after = run(("a", "success", 9.0), ("c", "error", 0.1))
>>> [(r.kind, r.unique_id) for r in compare_runs(before, after)]
[('slower', 'model.p.a'), ('failed', 'model.p.c'), ('removed', 'model.p.b')]
"""

from __future__ import annotations

from collections.abc import Mapping

from sqltune.dbt.artifacts import NodeResult, RunResults
from sqltune.dbt.model import FAILED, RAN, TIMED, Regression

__all__ = ["compare_runs", "resource_type"]


def resource_type(unique_id: str, known: Mapping[str, str] | None = None) -> str:
    """A node's resource type: the manifest's, else the first part of its unique id (``model.shop.x``)."""
    return (known or {}).get(unique_id) or unique_id.split(".", 1)[0]


def _first_line(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def _slower(before: NodeResult, after: NodeResult, time_factor: float, min_seconds: float) -> bool:
    if before.status not in RAN or after.status not in RAN:
        return False
    if before.execution_time is None or after.execution_time is None:
        return False
    grew = after.execution_time - before.execution_time
    return after.execution_time > before.execution_time * time_factor and grew >= min_seconds


def compare_runs(
    previous: RunResults,
    current: RunResults,
    *,
    time_factor: float = 1.5,
    min_seconds: float = 1.0,
    resource_types: Mapping[str, str] | None = None,
    in_project: frozenset[str] | None = None,
) -> list[Regression]:
    """The regressions of ``current`` against ``previous``, in this run's order, then the removed models.

    ``resource_types`` maps unique ids to resource types (the manifest's); ``in_project`` is every unique
    id the current manifest has, to say whether a model that did not run was removed from the project.
    """
    if time_factor < 1:
        raise ValueError(f"time factor {time_factor} is below 1; expected a factor such as 1.5")
    regressions: list[Regression] = []
    for unique_id, after in current.results.items():
        if resource_type(unique_id, resource_types) not in TIMED:
            continue
        before = previous.results.get(unique_id)
        was = before.status if before else None
        took = before.execution_time if before else None
        if after.status in FAILED:
            detail = _first_line(after.message) if after.status != "skipped" else "a node it depends on failed"
            regressions.append(Regression(unique_id, "failed", took, after.execution_time, was, after.status, detail))
        elif before is None:
            regressions.append(Regression(unique_id, "new", None, after.execution_time, None, after.status))
        elif _slower(before, after, time_factor, min_seconds):
            regressions.append(Regression(unique_id, "slower", took, after.execution_time, was, after.status))
    for unique_id, before in previous.results.items():
        if unique_id in current.results or resource_type(unique_id, resource_types) not in TIMED:
            continue
        gone = in_project is not None and unique_id not in in_project
        detail = "it is no longer in the project" if gone else ""
        regressions.append(Regression(unique_id, "removed", before.execution_time, None, before.status, None, detail))
    return regressions
