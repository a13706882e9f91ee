"""``SqlTuneRegressionOperator``: compare two snapshots and fail the task on regressions, with the report in
the task log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from sqltune.integrations.airflow.operators.results import fail, write_text

__all__ = ["REPORT_FILE", "SqlTuneRegressionOperator"]

#: The full report's file name, in ``report_dir``.
REPORT_FILE = "regressions.json"


class SqlTuneRegressionOperator(BaseOperator):
    """What got slower from snapshot ``old`` to snapshot ``new`` (:func:`sqltune.compare_snapshots`): plans
    that changed shape, mean times that grew, indexes gone or unused, clustering that degraded, new hot
    templates.

    :param new: the new snapshot's folder (templated), typically the snapshot task's XCom:
        ``"{{ ti.xcom_pull(task_ids='snapshot')['path'] }}"``.
    :param old: the snapshot to compare with (templated); by default the previous run's: the folder beside
        ``new`` whose name sorts last before it (:func:`~sqltune.integrations.airflow.history.previous_snapshot`).
        With none (a first run) the task succeeds and says so.
    :param fail_on_regression: fail the task (without retries) when the comparison finds regressions.
    :param time_factor: a template's mean time regressed when it grew by more than this factor.
    :param min_mean_ms: ... and its new mean time is at least this many milliseconds.
    :param top: how many of the new snapshot's hottest templates count as hot (new templates among them are
        reported).
    :param cost_factor: a changed plan regressed when its estimated cost grew by more than this factor.
    :param depth_factor: a clustered table regressed when its average clustering depth grew by more than this
        factor (Snowflake).
    :param fail_on: the lowest severity of a finding that counts as a regression (``warning``, ``error`` or
        ``info``).
    :param report_dir: where to write the full report, ``regressions.json`` (templated); ``new`` by default.

    XCom (``return_value``, also when the task fails): ``old``, ``new``, ``compared``, ``findings``,
    ``regressions``, ``failed``, ``codes``, ``report`` (the full report's path), ``messages`` (the first ten
    findings, one line each).
    """

    template_fields: Sequence[str] = ("new", "old", "report_dir")
    ui_color = "#f3e0d8"

    def __init__(
        self,
        *,
        new: str,
        old: str | None = None,
        fail_on_regression: bool = True,
        time_factor: float = 1.5,
        min_mean_ms: float = 1.0,
        top: int = 10,
        cost_factor: float = 1.5,
        depth_factor: float = 1.5,
        fail_on: str = "warning",
        report_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from sqltune.core.findings import Severity

        Severity.parse(fail_on)  # a typo fails when the DAG is parsed, not at run time
        self.new = new
        self.old = old
        self.fail_on_regression = fail_on_regression
        self.time_factor = time_factor
        self.min_mean_ms = min_mean_ms
        self.top = top
        self.cost_factor = cost_factor
        self.depth_factor = depth_factor
        self.fail_on = fail_on
        self.report_dir = report_dir

    def execute(self, context: Any) -> dict[str, Any]:
        from sqltune.api import compare_snapshots
        from sqltune.integrations.airflow.history import previous_snapshot
        from sqltune.regressions import Snapshot
        from sqltune.reporters.regressions import render_regressions

        old = Path(self.old) if self.old else previous_snapshot(self.new)
        if old is None:
            self.log.info("sqltune regressions: no snapshot before %s to compare with (a first run)", self.new)
            return {
                "old": None,
                "new": str(self.new),
                "compared": False,
                "findings": 0,
                "regressions": 0,
                "failed": False,
                "codes": [],
                "report": None,
                "messages": [],
            }
        report = compare_snapshots(
            Snapshot.load(old),
            Snapshot.load(self.new),
            time_factor=self.time_factor,
            min_mean_ms=self.min_mean_ms,
            top=self.top,
            cost_factor=self.cost_factor,
            depth_factor=self.depth_factor,
            fail_on=self.fail_on,
        )
        path = write_text(Path(self.report_dir or self.new) / REPORT_FILE, render_regressions(report, "json"))
        self.log.info("sqltune regressions from %s to %s:\n%s", old, self.new, render_regressions(report, "text"))
        summary = {
            "old": str(old),
            "new": str(self.new),
            "compared": True,
            "findings": len(report.findings),
            "regressions": len(report.regressions),
            "failed": report.failed,
            "codes": sorted(set(report.codes())),
            "report": path,
            "messages": [f"{f.code} {f.severity}: {f.message}" for f in report.findings[:10]],
        }
        if report.failed and self.fail_on_regression:
            fail(context, summary, f"sqltune: {len(report.regressions)} regression(s) since {old} (report: {path})")
        return summary
