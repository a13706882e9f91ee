"""Paths of the dbt step's tests: the step's project (the workload fixture project with order_fan_out laid over
it) and the artifacts of two recorded builds of it (fixtures/dbt/step/capture.py) in three schema versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROJECT = FIXTURES / "workloads" / "dbt" / "project"
OVERLAY = FIXTURES / "dbt" / "step" / "overlay"
RUNS = FIXTURES / "dbt" / "step" / "runs"
VERSIONS = sorted(path.name for path in RUNS.iterdir())
#: The ``recorded`` fixture: (project folder, the previous run's run_results.json) for one schema version.
Recorded = Callable[..., tuple[Path, Path]]
