"""``SqlTuneLintOperator``: lint SQL files in a DAG, failing the task on findings at or above a severity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from sqltune.integrations.airflow.operators.results import fail, write_text

__all__ = ["SqlTuneLintOperator"]


class SqlTuneLintOperator(BaseOperator):
    """Lint ``paths`` (files, folders or globs of SQL, or SQL text) as ``sqltune lint`` does.

    :param paths: what to lint (templated).
    :param dialect: the SQL dialect (``postgres``, ``snowflake``...; templated); sqltune's default otherwise.
    :param fail_on: the lowest severity that fails the task (``error``, ``warning`` or ``info``); ``None``
        never fails on findings. Inputs that cannot be read always fail it.
    :param select: rule codes to run (all by default).
    :param ignore: rule codes to skip.
    :param schema: a DDL or JSON schema file the rules check against (templated).
    :param report_path: where to write the full report as JSON (templated); none is written by default.

    XCom (``return_value``): ``findings``, ``by_severity``, ``codes``, ``problems``, ``failed``, ``report``.
    """

    template_fields: Sequence[str] = ("paths", "dialect", "schema", "report_path")
    ui_color = "#d8ecf3"

    def __init__(
        self,
        *,
        paths: str | Sequence[str],
        dialect: str | None = None,
        fail_on: str | None = "error",
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        schema: str | None = None,
        report_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from sqltune.core.findings import Severity

        if fail_on is not None:
            Severity.parse(fail_on)  # a typo fails when the DAG is parsed, not at run time
        self.paths = paths
        self.dialect = dialect
        self.fail_on = fail_on
        self.select = select
        self.ignore = ignore
        self.schema = schema
        self.report_path = report_path

    def execute(self, context: Any) -> dict[str, Any]:
        from sqltune.api import lint
        from sqltune.core.findings import Severity
        from sqltune.linter.engine import fails
        from sqltune.reporters import render
        from sqltune.rules.registry import rule_metas

        paths = self.paths if isinstance(self.paths, str) else list(self.paths)
        report = lint(paths, dialect=self.dialect, schema=self.schema, select=self.select, ignore=self.ignore)
        rules = rule_metas()
        self.log.info("sqltune lint of %s:\n%s", paths, render(report, rules, "text"))
        too_severe = self.fail_on is not None and fails(report, Severity.parse(self.fail_on))
        failed = too_severe or report.failed
        summary = {
            "findings": len(report),
            "by_severity": dict(Counter(str(finding.severity) for finding in report)),
            "codes": dict(report.codes()),
            "problems": len(report.problems),
            "failed": failed,
            "report": write_text(self.report_path, render(report, rules, "json")) if self.report_path else None,
        }
        if report.failed:
            fail(context, summary, "sqltune lint: inputs that could not be read or checked (see the report above)")
        if too_severe:
            fail(context, summary, f"sqltune lint: findings at or above {self.fail_on} (see the report above)")
        return summary
