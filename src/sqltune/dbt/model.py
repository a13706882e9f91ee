"""What the dbt step reports: the models that ran (:class:`ModelRun`), what changed since the previous run
(:class:`Regression`), and :class:`DbtReport`, which holds them with the findings on the model files.

Regressions are findings too, so every lint reporter shows them; their codes are the step's own
(:data:`REGRESSION_RULES`), not rules of the catalogue:

=======  ===============  ========  ===========================================================
DBT001   model-slower     warning   ran longer than ``time_factor`` times its previous time
DBT002   model-failed     error     failed or was skipped (a node it depends on failed)
DBT003   model-new        info      ran now, not in the previous run
DBT004   model-removed    info      ran in the previous run, not now
=======  ===============  ========  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqltune.core.findings import Report, Severity
from sqltune.core.units import format_duration
from sqltune.dbt.artifacts import ArtifactInfo
from sqltune.rules.base import RuleMeta

__all__ = ["REGRESSION_RULES", "DbtReport", "ModelRun", "Regression", "seconds"]

#: Statuses of nodes that ran to the end (a test that found rows ran its query too).
RAN = frozenset({"success", "pass", "warn"})
#: Statuses of nodes that did not finish their work: ``partial success`` is a microbatch model with failed
#: batches, ``skipped`` a node whose upstream failed.
FAILED = frozenset({"error", "fail", "runtime error", "partial success", "skipped"})
#: Resource types the step times and compares: the ones that build a relation from a model file's SELECT.
TIMED = frozenset({"model", "snapshot"})


def _meta(code: str, name: str, severity: Severity, summary: str, what: str) -> RuleMeta:
    return RuleMeta(code, name, "dbt", severity, summary, what=what)


REGRESSION_RULES: dict[str, RuleMeta] = {
    meta.code: meta
    for meta in (
        _meta(
            "DBT001",
            "model-slower",
            Severity.WARNING,
            "A dbt model took much longer than in the previous run.",
            "Compares the model's execution_time in run_results.json with the previous run's: reported when it "
            "grew beyond the time factor and by at least the minimum seconds.",
        ),
        _meta(
            "DBT002",
            "model-failed",
            Severity.ERROR,
            "A dbt model failed, or was skipped because a node it depends on failed.",
            "Reports a model whose status in run_results.json is error, partial success or skipped.",
        ),
        _meta(
            "DBT003",
            "model-new",
            Severity.INFO,
            "A dbt model ran that was not in the previous run.",
            "Reports a model in run_results.json that the previous run's results do not have.",
        ),
        _meta(
            "DBT004",
            "model-removed",
            Severity.INFO,
            "A dbt model ran in the previous run but not in this one.",
            "Reports a model of the previous run's results that this run's results do not have.",
        ),
    )
}
KIND_CODES = {"slower": "DBT001", "failed": "DBT002", "new": "DBT003", "removed": "DBT004"}


def seconds(value: float | None) -> str:
    """A duration in seconds as people read it (``2.5 s``, ``120.0 ms``, ``-`` when unknown)."""
    return format_duration(value * 1000.0 if value is not None else None)


@dataclass(slots=True)
class ModelRun:
    """One model (or snapshot) of the run: its status and time, and what the step found in it."""

    unique_id: str
    name: str
    resource_type: str
    materialized: str | None
    path: str | None  # the model file, as reported (None: not found, e.g. a package's model)
    status: str
    seconds: float | None
    message: str | None = None  # dbt's message for a node that did not succeed (its first line)
    previous_seconds: float | None = None
    lint_findings: int = 0
    plan_findings: int = 0
    plan_cost: float | None = None  # the planner's total cost, when explained
    notes: list[str] = field(default_factory=list)  # why it was not linted or explained

    @property
    def explained(self) -> bool:
        return self.plan_cost is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id,
            "name": self.name,
            "resource_type": self.resource_type,
            "materialized": self.materialized,
            "path": self.path,
            "status": self.status,
            "execution_time": self.seconds,
            "previous_execution_time": self.previous_seconds,
            "message": self.message,
            "lint_findings": self.lint_findings,
            "plan_findings": self.plan_findings,
            "plan_cost": self.plan_cost,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Regression:
    """A change of one model between the previous run and this one (``kind``: slower, failed, new, removed)."""

    unique_id: str
    kind: str
    before: float | None  # seconds in the previous run
    after: float | None  # seconds in this run
    before_status: str | None
    after_status: str | None
    detail: str = ""  # dbt's message for a failure; whether a removed model left the project

    @property
    def code(self) -> str:
        return KIND_CODES[self.kind]

    @property
    def name(self) -> str:
        return REGRESSION_RULES[self.code].name

    @property
    def severity(self) -> Severity:
        return REGRESSION_RULES[self.code].severity

    @property
    def ratio(self) -> float | None:
        return self.after / self.before if self.after is not None and self.before else None

    @property
    def message(self) -> str:
        model = self.unique_id
        if self.kind == "slower":
            ratio = f"{self.ratio:.1f}x" if self.ratio is not None else "longer than"
            return f"{model} took {seconds(self.after)}, {ratio} its {seconds(self.before)} in the previous run"
        if self.kind == "failed":
            was = f" (previous run: {self.before_status})" if self.before_status else " (not in the previous run)"
            return f"{model} {self.after_status}{was}" + (f": {self.detail}" if self.detail else "")
        if self.kind == "new":
            return f"{model} ran ({seconds(self.after)}) but was not in the previous run"
        return f"{model} ran in the previous run ({seconds(self.before)}) but not in this one" + (
            f"; {self.detail}" if self.detail else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id,
            "kind": self.kind,
            "code": self.code,
            "severity": str(self.severity),
            "execution_time": self.after,
            "previous_execution_time": self.before,
            "status": self.after_status,
            "previous_status": self.before_status,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "message": self.message,
        }


@dataclass(slots=True)
class DbtReport:
    """The dbt step's result: the models that ran (slowest first), the regressions against the previous run,
    and ``report``: the findings (lint and plan findings of the slowest and regressed models, and one per
    regression) on the model files, with the problems met on the way."""

    project: str
    manifest: ArtifactInfo
    run: ArtifactInfo
    models: list[ModelRun]
    report: Report
    top: int
    time_factor: float
    min_seconds: float
    previous: ArtifactInfo | None = None
    regressions: list[Regression] = field(default_factory=list)
    explained: bool = False  # a connection was given: the analysed models were explained

    @property
    def slowest(self) -> list[ModelRun]:
        return self.models[: self.top]

    @property
    def failed(self) -> bool:
        """Whether the step could not do its work (exit code 2): a fatal problem."""
        return self.report.failed

    def regressed(self, at_least: Severity = Severity.INFO) -> bool:
        return any(regression.severity >= at_least for regression in self.regressions)

    def to_dict(self) -> dict[str, Any]:
        findings = self.report.to_dict()
        return {
            "project": self.project,
            "manifest": self.manifest.to_dict(),
            "run_results": self.run.to_dict(),
            "previous_run_results": self.previous.to_dict() if self.previous else None,
            "settings": {"top": self.top, "time_factor": self.time_factor, "min_seconds": self.min_seconds},
            "explained": self.explained,
            "slowest": [model.to_dict() for model in self.slowest],
            "models": len(self.models),
            "regressions": [regression.to_dict() for regression in self.regressions],
            **findings,
        }
