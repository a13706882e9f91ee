"""SARIF 2.1.0, the format GitHub code scanning (and most security dashboards) import.

Shape choices, each for what code scanning does with it:

- ``tool.driver.rules`` lists the rules that ran (the selected query and design rules; never the plan rules,
  which lint does not run) in code order; ``ruleIndex`` points into that list and rule ids are the stable codes
  (``SQ001``). A rule with results carries the catalogue's documentation once, as markdown ``help`` (what it
  does, why it matters, an example and what to write instead), so an alert page explains itself; the others
  carry their summary only. 8 findings over the 40 query rules make about 30 KB.
- Locations are relative to the repository root (``$GITHUB_WORKSPACE`` when set, else the working directory)
  under ``uriBaseId`` ``%SRCROOT%``; regions are 1-based with an exclusive ``endColumn``, counted in Unicode
  code points (``columnKind``).
- ``partialFingerprints`` hash the rule, the path and the normalised statement text plus an occurrence index
  (:func:`sqltune.linter.baseline.fingerprints`): an alert survives lines being added above it.
- Problems are ``toolExecutionNotifications`` with their kind (``input``: unreadable input; ``crash``: a rule of
  ours raised, with ``associatedRule`` and the ``exception``); ``executionSuccessful`` is false then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqltune.core.findings import Finding, Report, Severity
from sqltune.linter.baseline import fingerprints, relative_path
from sqltune.reporters.base import ReportOptions, register
from sqltune.rules.base import RuleMeta

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "report_root"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/sqltune/sqltune"
FINGERPRINT_KEY = "sqltuneStatementHash/v1"
SRCROOT = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# How often a rule's finding is a real problem (GitHub's `precision` property): a syntax error always is;
# plan advice depends on data the linter cannot see.
_PRECISION = {"plan": "medium"}


def report_root(options: ReportOptions) -> str:
    """The folder paths are reported relative to: the Actions workspace, or the working directory."""
    return options.environ.get("GITHUB_WORKSPACE") or os.getcwd()


def _help_markdown(meta: RuleMeta) -> str:
    sections = [f"**{meta.code} {meta.name}** ({meta.category}): {meta.summary}"]
    if meta.what.strip():
        sections.append(f"## What it does\n{meta.what.strip()}")
    if meta.why.strip():
        sections.append(f"## Why is this bad?\n{meta.why.strip()}")
    if meta.example.strip():
        sections.append(f"## Example\n```sql\n{meta.example.strip()}\n```")
    if meta.instead.strip():
        sections.append(f"## Use instead\n```sql\n{meta.instead.strip()}\n```")
    return "\n\n".join(sections)


def _rule(meta: RuleMeta, fired: bool) -> dict[str, Any]:
    """A rule's descriptor. The documentation is written once, as markdown (``help.text``, which SARIF
    requires, is the one-line summary), and only for rules with results: an alert page shows it, while a
    rule that ran without a result needs no more than its name and summary."""
    tags = ["sql", meta.category]
    if meta.needs_schema:
        tags.append("schema-aware")
    descriptor: dict[str, Any] = {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "defaultConfiguration": {"level": _LEVELS[meta.severity]},
        "properties": {
            "tags": tags,
            "precision": "very-high" if meta.code == "SQ000" else _PRECISION.get(meta.category, "high"),
        },
    }
    if fired:
        descriptor["help"] = {
            "text": f"{meta.summary} See `sqltune rule {meta.code}`.",
            "markdown": _help_markdown(meta),
        }
    return descriptor


def _artifact(path: str, root: str) -> dict[str, Any]:
    relative = relative_path(path, root)
    if relative.startswith("<"):
        return {"uri": relative.strip("<>")}
    if os.path.isabs(relative) or relative.startswith("/"):
        return {"uri": Path(relative).as_uri()}
    return {"uri": relative, "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict[str, int]:
    span = finding.span
    return {
        "startLine": span.start_pos.line,
        "startColumn": span.start_pos.column,
        "endLine": span.end_pos.line,
        "endColumn": span.end_pos.column + 1,  # SARIF's end column is exclusive
    }


def _result(finding: Finding, index: int, fingerprint: str, root: str) -> dict[str, Any]:
    artifact = _artifact(finding.path, root)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": _region(finding)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.fix is not None:
        fix = finding.fix
        result["fixes"] = [
            {
                "description": {"text": fix.description},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "charOffset": fix.span.start,
                                    "charLength": fix.span.end - fix.span.start,
                                },
                                "insertedContent": {"text": fix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def _notification(report: Report, root: str) -> list[dict[str, Any]]:
    notifications = []
    for problem in report.problems:
        location: dict[str, Any] = {"artifactLocation": _artifact(problem.path, root)}
        if problem.line > 0:
            location["region"] = {"startLine": problem.line, "startColumn": max(problem.column, 1)}
        notification: dict[str, Any] = {
            "level": "error" if problem.fatal else "note",
            "message": {"text": problem.message},
            "locations": [{"physicalLocation": location}],
            "properties": {"kind": str(problem.kind)},
        }
        if problem.code:  # the rule that crashed or ran out of time
            notification["associatedRule"] = {"id": problem.code}
        if problem.exception:
            notification["exception"] = {"kind": problem.exception, "message": problem.message}
        notifications.append(notification)
    return notifications


def sarif_log(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dictionary (one run)."""
    root = report_root(options)
    metas = dict(sorted(rules.items()))
    for finding in report.findings:  # a rule without metadata still gets a descriptor
        if finding.code not in metas:
            metas[finding.code] = RuleMeta(finding.code, finding.name, "query", finding.severity, finding.message)
    metas = dict(sorted(metas.items()))
    index = {code: position for position, code in enumerate(metas)}
    fired = {finding.code for finding in report.findings}
    prints = fingerprints(report.findings, root)
    driver: dict[str, Any] = {
        "name": "sqltune",
        "informationUri": INFORMATION_URI,
        "rules": [_rule(meta, code in fired) for code, meta in metas.items()],
    }
    if options.tool_version:
        driver["version"] = options.tool_version
        driver["semanticVersion"] = options.tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": Path(os.path.abspath(root)).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": not any(problem.fatal for problem in report.problems),
                "toolExecutionNotifications": _notification(report, root),
            }
        ],
        "results": [
            _result(finding, index[finding.code], fingerprint, root)
            for finding, fingerprint in zip(report.findings, prints, strict=True)
        ],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


@register("sarif")
def render_sarif(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    return json.dumps(sarif_log(report, rules, options), indent=2) + "\n"
