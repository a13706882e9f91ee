"""Machine output: the report as one JSON document (findings, unreadable inputs, a summary)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqltune.core.findings import Report
from sqltune.reporters.base import ReportOptions, register
from sqltune.rules.base import RuleMeta

__all__ = ["render_json"]


@register("json")
def render_json(report: Report, rules: Mapping[str, RuleMeta], options: ReportOptions) -> str:
    data = report.to_dict()
    data["tool"] = {"name": "sqltune", "version": options.tool_version}
    for finding in data["findings"]:
        meta = rules.get(finding["code"])
        if meta is not None:
            finding["rationale"] = meta.summary
    return json.dumps(data, indent=2) + "\n"
