"""Reporters turn a :class:`~sqltune.core.findings.Report` into text for people or machines.

Each format is a function ``(report, rules, options) -> str`` registered in :data:`FORMATS`. A reporter
never parses SQL: everything it shows comes from the report (findings, spans, source lines).

========  ===================================================================================
text      findings with their source line and a caret, for people (the default)
concise   ``path:line:col: CODE message``, one line per finding
json      the report as one JSON document
sarif     SARIF 2.1.0 for GitHub code scanning and other dashboards
github    GitHub Actions annotations, plus the full list in the job summary
rdjson    reviewdog's diagnostic format
junit     JUnit XML, one test suite per file and a failed test case per finding
========  ===================================================================================
"""

from __future__ import annotations

from sqltune.reporters import concise, github, json, junit, rdjson, sarif, text  # noqa: F401  (registers them)
from sqltune.reporters.base import FORMATS, ReportOptions, render

__all__ = ["FORMATS", "ReportOptions", "render"]
