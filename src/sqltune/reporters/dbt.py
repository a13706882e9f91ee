"""Output for the dbt step (:class:`~sqltune.dbt.DbtReport`), in the lint reporters' formats.

- ``text``: the slowest models (time, previous time, status, findings, plan cost), the regressions, then the
  findings as ``sqltune lint`` shows them (each with its model file line and a caret);
- ``json``: the step's whole report (artifacts read, slowest models, regressions) with the findings and
  problems of the ``json`` format;
- ``sarif`` and ``junit``: the findings (regressions included, as DBT001 to DBT004) through those reporters;
  SARIF's run ``properties`` carry the slowest models and the regressions too.
"""

from __future__ import annotations

import json
from typing import Any

from sqltune.dbt import REGRESSION_RULES, DbtReport, ModelRun
from sqltune.dbt.model import seconds
from sqltune.reporters.base import ReportOptions
from sqltune.reporters.junit import render_junit
from sqltune.reporters.sarif import sarif_log
from sqltune.reporters.text import render_text
from sqltune.rules.base import RuleMeta
from sqltune.rules.registry import rule_metas

__all__ = ["DBT_FORMATS", "dbt_rules", "render_dbt"]

DBT_FORMATS = ("text", "json", "sarif", "junit")


def dbt_rules(report: DbtReport) -> dict[str, RuleMeta]:
    """Metadata of the rules behind the findings, and of the regression codes when runs were compared."""
    known = rule_metas()
    rules = {f.code: known[f.code] for f in report.report.findings if f.code in known}
    if report.previous is not None:
        rules.update(REGRESSION_RULES)
    return dict(sorted(rules.items()))


def _findings(model: ModelRun, explained: bool) -> str:
    lint = f"{model.lint_findings} lint"
    return f"{lint}, {model.plan_findings} plan" if explained and model.explained else lint


def _text(report: DbtReport, options: ReportOptions) -> str:
    run = report.run
    lines = [
        f"dbt project {report.project}: {len(report.models)} models ran "
        f"(run_results v{run.schema_version or '?'}, dbt {run.dbt_version or '?'}, {run.generated_at or 'undated'})"
    ]
    if report.previous is not None:
        lines.append(f"Compared with {report.previous.path} ({report.previous.generated_at or 'undated'})")
    lines += ["", f"Slowest models (top {len(report.slowest)} of {len(report.models)})"]
    lines.append(f"{'#':>3}  {'time':>9}  {'before':>9}  {'status':<10} {'findings':<16} {'plan cost':>11}  model")
    for rank, model in enumerate(report.slowest, 1):
        cost = f"{model.plan_cost:,.0f}" if model.plan_cost is not None else "-"
        analysed = model.path is not None
        lines.append(
            f"{rank:>3}  {seconds(model.seconds):>9}  {seconds(model.previous_seconds):>9}  {model.status:<10} "
            f"{_findings(model, report.explained) if analysed else '-':<16} {cost:>11}  {model.unique_id}"
        )
        where = model.path or "(model file not found)"
        lines.append(f"{'':>3}  {where}" + (f"  [{model.materialized}]" if model.materialized else ""))
        lines.extend(f"{'':>3}  {note}" for note in ([model.message] if model.message else []) + model.notes)
    if report.previous is not None:
        count = len(report.regressions)
        lines += ["", f"Regressions against the previous run: {count}" if count else "No regressions."]
        for regression in report.regressions:
            lines.append(f"  {regression.code} [{regression.severity}] {regression.message}")
    lines.append("")
    return "\n".join(lines) + "\n" + render_text(report.report, dbt_rules(report), options)


def _sarif(report: DbtReport, options: ReportOptions) -> str:
    log = sarif_log(report.report, dbt_rules(report), options)
    log["runs"][0]["properties"] = {
        "dbt": {
            "project": report.project,
            "slowest": [model.to_dict() for model in report.slowest],
            "regressions": [regression.to_dict() for regression in report.regressions],
        }
    }
    return json.dumps(log, indent=2) + "\n"


def render_dbt(report: DbtReport, output_format: str, options: ReportOptions) -> str:
    """The report in ``output_format`` (one of :data:`DBT_FORMATS`)."""
    if output_format == "text":
        return _text(report, options)
    if output_format == "json":
        data: dict[str, Any] = report.to_dict()
        data["tool"] = {"name": "sqltune", "version": options.tool_version}
        return json.dumps(data, indent=2) + "\n"
    if output_format == "sarif":
        return _sarif(report, options)
    if output_format == "junit":
        return render_junit(report.report, dbt_rules(report), options)
    raise ValueError(f"unknown format {output_format!r}; expected one of: {', '.join(DBT_FORMATS)}")
