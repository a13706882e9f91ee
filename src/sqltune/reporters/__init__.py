"""Reporters turn a :class:`~sqltune.findings.Report` into text for people or machines.

Each format is a function ``(report, rules, options) -> str`` registered in :data:`FORMATS`. A reporter
never parses SQL: everything it shows comes from the report (findings, spans, source lines).
"""

from __future__ import annotations

from sqltune.reporters import json, text  # noqa: F401  (registers the built-in formats)
from sqltune.reporters.base import FORMATS, ReportOptions, render

__all__ = ["FORMATS", "ReportOptions", "render"]
