"""What the magic does with a cell's SQL: lint it, explain it, rewrite it or advise indexes for it.

Each action takes a :class:`Run` (the cell parsed without errors, the settings, the database) and returns
the result object the notebook displays and ``-o`` stores: a :class:`~sqltune.core.findings.Report`,
:class:`PlanReports` (a list of :class:`~sqltune.rules.plan.PlanReport`, one per statement), a
:class:`~sqltune.rewrites.RewriteReport` or an :class:`~sqltune.indexes.plan.IndexPlan`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from IPython.display import display

from sqltune.connectors.errors import ConnectionError, DatabaseError
from sqltune.core.config import Config
from sqltune.core.findings import Report
from sqltune.core.parsing import Statement
from sqltune.core.source import Source
from sqltune.core.sqlglot import exp
from sqltune.indexes.advisor import advise_indexes
from sqltune.indexes.plan import IndexPlan
from sqltune.linter.engine import Linter
from sqltune.notebook.connection import Target, open_connection
from sqltune.notebook.options import UsageError
from sqltune.plans import parse_plan
from sqltune.rewrites import RewriteReport, rewrite_source
from sqltune.rules.plan import PlanReport, analyze_plan
from sqltune.schema import Schema

__all__ = ["ACTIONS", "PlanReports", "Run"]

#: Statements that have a plan.
_EXPLAINABLE = (exp.Query, exp.Insert, exp.Update, exp.Delete, exp.Merge)


@dataclass(frozen=True)
class Run:
    """One run of the magic: the cell's source, its statements (all parsed), the settings and the database."""

    source: Source
    statements: list[Statement]
    config: Config
    target: Target | None
    timeout: str
    analyze: bool = False

    def schema(self) -> Schema | None:
        """The schema the settings name (``--schema``, ``SqlTune.schema``, ``[tool.sqltune] schema``)."""
        return Schema.load(self.config.schema, self.config.dialect) if self.config.schema else None


class PlanReports(list[PlanReport]):
    """The plan report of each statement, in cell order; the notebook shows each with its own view."""

    def _ipython_display_(self) -> None:
        for report in self:
            display(report)  # type: ignore[no-untyped-call]


def lint(run: Run) -> Report:
    return Linter(run.config).lint_sources([run.source])


def fix(run: Run) -> RewriteReport:
    return rewrite_source(run.source, run.config.dialect, run.schema())


def explain(run: Run) -> PlanReports:
    """EXPLAIN (ANALYZE with ``--analyze``, rolled back) each statement that has a plan, and diagnose it."""
    chosen = [statement for statement in run.statements if isinstance(statement.expression, _EXPLAINABLE)]
    if not chosen:
        raise UsageError("--explain: the cell holds no SELECT, INSERT, UPDATE, DELETE or MERGE to explain")
    given = run.schema()  # a missing file is an error before connecting
    reports = PlanReports()
    with open_connection(run.target, "--explain", run.timeout) as connection:
        settings = connection.settings()
        settings["server_version_num"] = str(connection.server_version)
        schema = given or connection.schema(_search_path(connection))
        for statement in chosen:
            try:
                result = connection.explain(statement.text.strip().rstrip(";"), analyze=run.analyze)
            except ConnectionError:
                raise
            except DatabaseError as error:  # the statement's own error, at the statement's place
                first = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise type(error)(f"{statement.span}: {first}", sqlstate=error.sqlstate) from None
            plan = parse_plan(result.plan_json, "postgres-json", path=str(statement.span))
            reports.append(analyze_plan(plan, statement, schema, settings))
    return reports


def indexes(run: Run) -> IndexPlan:
    """Index advice for the cell's statements: what-if costs on the database when there is one (an explicit
    one, or jupysql's when it is PostgreSQL), else sqltune's cost model over the schema's statistics."""
    schema = run.schema()
    target = run.target
    if target is None or (not target.explicit and (target.dialect != "postgres" or target.value is None)):
        return advise_indexes(run.source.text, schema=schema, dialect=run.config.dialect or "postgres")
    with open_connection(target, "--indexes", run.timeout) as connection:
        return advise_indexes(run.source.text, connection, schema=schema, dialect=run.config.dialect or "postgres")


def _search_path(connection: Any) -> list[str]:
    """The schemas where the session resolves unqualified names (what the statements' tables are)."""
    return [str(row[0]) for row in connection.query("SELECT unnest(current_schemas(false))")] or ["public"]


ACTIONS: dict[str, Callable[[Run], Any]] = {"lint": lint, "explain": explain, "fix": fix, "indexes": indexes}
