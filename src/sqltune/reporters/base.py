"""The reporter registry and the options every reporter receives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqltune.core.findings import Report
from sqltune.rules.base import RuleMeta

__all__ = ["FORMATS", "ReportOptions", "Reporter", "register", "render"]


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
    return FORMATS[format](report, rules, options or ReportOptions())
