"""The dbt step: after ``dbt build``, the slowest models, what is wrong in them, and what got slower.

:func:`check_project` reads ``target/manifest.json`` and ``target/run_results.json`` of a dbt project and

1. lists the models and snapshots that ran, slowest first (``execution_time``, with each one's status);
2. with the previous run's ``run_results.json``, finds the regressions (:mod:`sqltune.dbt.compare`);
3. lints the ``top`` slowest models and the ones that got slower or failed, on the SQL dbt compiled, with
   the findings mapped back to the model files (:mod:`sqltune.linter.dbt`);
4. with a connection (:class:`~sqltune.dbt.ports.PlanConnection`), EXPLAINs those models' compiled SELECT
   (never ANALYZE: nothing runs) and diagnoses the plans with the plan rules, mapped to the model files too;
5. adds one finding per regression, on the first line of the model file.

A table, view, incremental or snapshot model compiles to one SELECT (dbt wraps it in its DDL when it runs);
a model whose compiled code is something else (a custom materialization's script) is linted, not explained,
with a note saying so. A model the database will not explain (a relation it cannot see) is a notice, and the
other models go on.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from sqltune.core.config import Config
from sqltune.core.findings import Finding, Report
from sqltune.core.parsing import Statement, parse_source
from sqltune.core.source import Problem, ProblemKind, Source, read_file
from sqltune.core.sqlglot import dialect_names, exp
from sqltune.dbt.artifacts import (
    MANIFEST,
    RUN_RESULTS,
    ArtifactInfo,
    ProjectManifest,
    RunResults,
    read_manifest,
    read_run_results,
    run_results_path,
)
from sqltune.dbt.compare import compare_runs, resource_type
from sqltune.dbt.model import RAN, TIMED, DbtReport, ModelRun, Regression
from sqltune.dbt.ports import PlanConnection
from sqltune.linter.dbt import PROJECT_FILE, CompiledSources, DbtError, DbtModel, LineMap, Manifest
from sqltune.linter.engine import Linter
from sqltune.plans import parse_plan
from sqltune.rules.plan import analyze_plan
from sqltune.schema import Schema

__all__ = ["check_project"]

#: dbt adapter types whose SQL dialect sqlglot knows by another name.
_ADAPTER_DIALECTS = {"sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "materialize": "postgres"}
#: Adapters whose compiled SQL a PostgreSQL connection can explain.
_EXPLAINABLE_ADAPTERS = {"postgres"}


def _first_line(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def _artifact(target: Path, name: str) -> Path:
    path = target / name
    if not path.is_file():
        raise DbtError(f"{target}: no {name}; run `dbt build` (or `dbt run`) in the project first")
    return path


def _dialect(adapter_type: str | None, config: Config) -> str | None:
    """The manifest's adapter decides the SQL dialect when sqlglot knows it; else the configuration's."""
    name = _ADAPTER_DIALECTS.get(adapter_type or "", adapter_type or "")
    return name if name in dialect_names() else config.dialect


def _model_path(project: Path, manifest: ProjectManifest, unique_id: str) -> str | None:
    """The model file as the report names it: inside the project, or an installed package's."""
    node = manifest.nodes.get(unique_id)
    if node is None or node.original_file_path is None:
        return None
    candidates = [project / node.original_file_path]
    if node.package_name and node.package_name != manifest.project_name:
        candidates.insert(0, project / "dbt_packages" / node.package_name / node.original_file_path)
    return next((str(path) for path in candidates if path.is_file()), None)


def _model_runs(project: Path, manifest: ProjectManifest, run: RunResults) -> list[ModelRun]:
    """The models and snapshots that ran, slowest first (run order among equal times)."""
    types = {unique_id: node.resource_type for unique_id, node in manifest.nodes.items()}
    runs = []
    for unique_id, result in run.results.items():
        kind = resource_type(unique_id, types)
        if kind not in TIMED:
            continue
        node = manifest.nodes.get(unique_id)
        runs.append(
            ModelRun(
                unique_id,
                node.name if node else unique_id.rsplit(".", 1)[-1],
                kind,
                node.materialized if node else None,
                _model_path(project, manifest, unique_id),
                result.status,
                result.execution_time,
                None if result.status in RAN else _first_line(result.message) or None,
            )
        )
    runs.sort(key=lambda model: -(model.seconds or 0.0))
    return runs


def _notices(info: ArtifactInfo) -> list[Problem]:
    return [Problem(info.path, message, fatal=False, kind=ProblemKind.SKIPPED) for message in info.notices]


def _lint(
    models: list[ModelRun], manifest: ProjectManifest, project: Path, config: Config, schema: Schema | None
) -> Report:
    """Lint the models' compiled SQL, the findings mapped to the model files (:mod:`sqltune.linter.dbt`)."""
    compiled = CompiledSources(Manifest(manifest.info.path, str(project)))
    for model in models:
        node = manifest.nodes[model.unique_id]
        assert model.path is not None and node.original_file_path is not None
        compiled.manifest.models[os.path.realpath(model.path)] = DbtModel(
            model.unique_id, model.path, node.original_file_path, node.raw_code, node.compiled_code
        )
    sources = compiled.swap(read_file(model.path) for model in models if model.path is not None)
    report = Linter(config, schema).lint_sources(sources)
    compiled.restore(report)
    return report


def _query(source: Source, dialect: str | None) -> Statement | None:
    """The compiled code's one SELECT (a WITH or set operation included), if that is what it is."""
    statements = [statement for statement in parse_source(source, dialect) if statement.text.strip()]
    if len(statements) != 1 or not isinstance(statements[0].expression, exp.Query):
        return None
    return statements[0]


def _explain(
    model: ModelRun,
    code: str,
    raw: Source,
    connection: PlanConnection,
    context: tuple[Schema | None, dict[str, str], str | None],
    report: Report,
) -> None:
    """EXPLAIN the model's compiled SELECT; the plan findings, mapped to the model file, go into ``report``."""
    schema, settings, dialect = context
    compiled = Source(raw.path, code)
    statement = _query(compiled, dialect)
    if statement is None:
        model.notes.append("not explained: its compiled code is not one SELECT")
        return
    try:
        explained = connection.explain(statement.text.strip().rstrip(";"), analyze=False)
    except Exception as error:  # the database refused this one (a relation it cannot see): the others go on
        message = f"{model.unique_id} not explained: {_first_line(str(error)) or type(error).__name__}"
        report.problems.append(Problem(raw.path, message, fatal=False))
        return
    try:
        plan = parse_plan(explained.plan_json, "postgres-json", path=raw.path)
        diagnosis = analyze_plan(plan, statement, schema, settings)
    except Exception as error:  # our own reading of a plan the server gave: a bug of ours
        report.problems.append(Problem.crash("plan analysis", "", error, raw.path, on=model.unique_id))
        return
    model.plan_cost = plan.total_cost if plan.total_cost is not None else 0.0
    line_map = LineMap(compiled, raw)
    findings = [replace(f, span=line_map.span(f.span), fix=None) for f in diagnosis.to_report().findings]
    model.plan_findings = len(findings)
    report.findings.extend(findings)
    report.problems.extend(Problem(raw.path, problem, kind=ProblemKind.CRASH) for problem in diagnosis.problems)


def _regression_finding(regression: Regression, path: str, report: Report) -> Finding:
    """The regression as a finding on the first line of the model file (or of ``dbt_project.yml``)."""
    source = report.sources.get(path)
    if source is None:
        read = read_file(path)
        source = read if isinstance(read, Source) else Source(path, "")
    span = source.span(0, len(source.line_text(1)))
    statement = f"{regression.unique_id} {regression.kind}"
    return Finding(regression.code, regression.name, regression.severity, regression.message, span, None, statement)


def check_project(
    project_dir: str | os.PathLike[str],
    *,
    target_dir: str = "target",
    previous: str | os.PathLike[str] | None = None,
    connection: PlanConnection | None = None,
    top: int = 10,
    time_factor: float = 1.5,
    min_seconds: float = 1.0,
    config: Config | None = None,
) -> DbtReport:
    """The dbt step over the artifacts of ``project_dir`` (see the module documentation).

    ``previous`` is the earlier run's ``run_results.json`` (or a folder holding it, or its project);
    ``connection`` explains the analysed models. Unreadable artifacts raise
    :class:`~sqltune.linter.dbt.DbtError` naming the file.
    """
    if top < 1:
        raise ValueError(f"top {top}: expected at least 1 model to show")
    if min_seconds < 0:
        raise ValueError(f"min seconds {min_seconds}: expected 0 or more")
    project = Path(project_dir)
    if not (project / PROJECT_FILE).is_file():
        raise DbtError(f"{project}: not a dbt project (no {PROJECT_FILE}); expected the folder dbt builds")
    target = project / target_dir
    manifest = read_manifest(_artifact(target, MANIFEST))
    run = read_run_results(_artifact(target, RUN_RESULTS))
    earlier = read_run_results(run_results_path(previous, target_dir)) if previous is not None else None
    if connection is not None and manifest.adapter_type not in (None, *_EXPLAINABLE_ADAPTERS):
        raise DbtError(
            f"{manifest.info.path}: the project builds on {manifest.adapter_type}; "
            "models are explained on PostgreSQL only (leave out the connection)"
        )
    config = config or Config()
    dialect = _dialect(manifest.adapter_type, config)
    report = Report()
    report.problems += _notices(manifest.info) + _notices(run.info)
    models = _model_runs(project, manifest, run)
    regressions: list[Regression] = []
    if earlier is not None:
        report.problems += _notices(earlier.info)
        regressions = compare_runs(
            earlier,
            run,
            time_factor=time_factor,
            min_seconds=min_seconds,
            resource_types={unique_id: node.resource_type for unique_id, node in manifest.nodes.items()},
            in_project=frozenset(manifest.nodes),
        )
        for model in models:
            before = earlier.results.get(model.unique_id)
            model.previous_seconds = before.execution_time if before else None
    regressed = {r.unique_id for r in regressions if r.kind in ("slower", "failed")}
    chosen = models[:top] + [model for model in models[top:] if model.unique_id in regressed]
    analysed = []
    for model in chosen:
        if model.path is None:
            model.notes.append("not linted: its model file is not in the project")
        else:
            analysed.append(model)
    schema = connection.schema(manifest.schemas() or None) if connection is not None else None
    report.extend(_lint(analysed, manifest, project, config.with_overrides(dialect=dialect), schema))
    for model in analysed:
        model.lint_findings = sum(finding.path == model.path for finding in report.findings)
    if connection is not None:
        settings = connection.settings()
        settings["server_version_num"] = str(connection.server_version)
        for model in analysed:
            code = manifest.nodes[model.unique_id].compiled_code or run.results[model.unique_id].compiled_code
            raw = report.sources.get(model.path or "")
            if code is None or raw is None:  # (a model file that cannot be read is a problem of the report)
                model.notes.append("not explained: " + ("no compiled code for it" if raw else "its file is unreadable"))
                continue
            _explain(model, code, raw, connection, (schema, settings, dialect), report)
    fallback = str(project / PROJECT_FILE)
    for regression in regressions:
        path = _model_path(project, manifest, regression.unique_id) or fallback
        report.findings.append(_regression_finding(regression, path, report))
    report.sort()
    return DbtReport(
        str(project),
        manifest.info,
        run.info,
        models,
        report,
        top,
        time_factor,
        min_seconds,
        previous=earlier.info if earlier else None,
        regressions=regressions,
        explained=connection is not None,
    )
