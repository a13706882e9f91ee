"""The reporter registry and the options every reporter receives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.findings import Report
from sqltune.core.source import Problem
from sqltune.rules.base import RuleMeta

__all__ = ["FORMATS", "ReportOptions", "Reporter", "ReporterError", "guarded", "register", "render"]


@dataclass(frozen=True, slots=True)
class ReportOptions:
    color: bool = False
    tool_version: str = ""
    # Environment a reporter may honour (e.g. GITHUB_STEP_SUMMARY for the github format).
    environ: Mapping[str, str] = field(default_factory=dict)


Reporter = Callable[[Report, Mapping[str, RuleMeta], ReportOptions], str]
FORMATS: dict[str, Reporter] = {}


def register(name: str) -> Callable[[Reporter], Reporter]:
    def decorate(function: Reporter) -> Reporter:
        FORMATS[name] = function
        return function

    return decorate


def render(report: Report, rules: Mapping[str, RuleMeta], format: str, options: ReportOptions | None = None) -> str:
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of: {', '.join(sorted(FORMATS))}")
    return guarded(format, FORMATS[format], report, rules, options or ReportOptions())


class ReporterError(ValueError):
    """A reporter of ours raised: one line naming it (the CLI prints it and exits 2), never a traceback."""


def guarded(name: str, reporter: Callable[..., str], *args: Any) -> str:
    """``reporter(*args)``, with any exception it raises turned into a :class:`ReporterError` naming it."""
    try:
        return reporter(*args)
    except Exception as error:
        problem = Problem.crash("reporter", name, error, "<report>")
        raise ReporterError(problem.message) from error
