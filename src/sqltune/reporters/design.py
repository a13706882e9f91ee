"""The star design as text: facts, dimensions, bridges, the bus matrix, what stays out, and coverage, each
choice with its reason, confidence and templates."""

from __future__ import annotations

import json
from typing import Any

from sqltune.design import DesignResult
from sqltune.design.model import Choice

__all__ = ["render_design_json", "render_design_text"]


def _why(choice: Choice, indent: str = "    ") -> list[str]:
    lines = [f"{indent}why: {choice.reason} (confidence {choice.confidence:.2f})"]
    lines += [f"{indent}  - {e}" for e in choice.evidence]
    if choice.templates:
        shown = sorted(set(choice.templates))
        lines.append(
            f"{indent}  templates: {', '.join(shown[:8])}" + (f" (+{len(shown) - 8})" if len(shown) > 8 else "")
        )
    return lines


def render_design_text(result: DesignResult) -> str:
    design, coverage = result.design, result.coverage
    lines: list[str] = []
    for fact in design.facts:
        header = f"; the header of {fact.header_of}, at its own grain" if fact.header_of else ""
        lines.append(f"fact {fact.name}: grain ({', '.join(fact.grain)}), sources {', '.join(fact.sources)}{header}")
        lines += _why(fact.why)
        for measure in fact.measures:
            shown = ", ".join(measure.aggregates) or "not aggregated"
            stored = " + ".join(measure.stored_as) or "is"
            lines.append(f"    measure {measure.name}: {measure.additivity} [{shown}] stored as {stored}")
            lines.append(f"      ({measure.why.reason}; confidence {measure.why.confidence:.2f})")
        if fact.degenerate:
            lines.append(f"    degenerate dimensions: {', '.join(fact.degenerate)}")
        for role in fact.dimensions:
            lines.append(f"    -> {role.dimension} as {role.role} ({role.key} from {', '.join(role.natural)})")
    for dimension in design.dimensions:
        head = f"dimension {dimension.name} ({dimension.kind})"
        if dimension.table:
            head += f": natural key ({', '.join(dimension.natural_key)}), surrogate {dimension.surrogate_key}"
        lines.append(head)
        if dimension.folded:
            lines.append(f"    folded: {', '.join(p for _, _, p, _ in dimension.folded)}")
        for hierarchy in dimension.hierarchies:
            lines.append(f"    hierarchy: {' > '.join(hierarchy)}")
        if dimension.roles:
            lines.append(f"    roles: {', '.join(dimension.roles)}")
        lines.append(f"    SCD type {dimension.scd_type}: {dimension.scd.reason}")
        lines += _why(dimension.why)
    for bridge in design.bridges:
        lines.append(f"bridge {bridge.name}")
        lines += _why(bridge.why)
    conformed = design.conformed()
    if conformed:
        lines.append(f"conformed dimensions: {', '.join(conformed)}")
    lines.append("bus matrix:")
    for fact_name, row in design.bus_matrix().items():
        lines.append(f"  {fact_name}: " + "; ".join(f"{d} ({', '.join(r)})" for d, r in row.items()))
    for table, choice in sorted(design.excluded.items()):
        lines.append(f"not in the star: {table}: {choice.reason}")
    lines.append(
        f"coverage: {coverage.share:.0%} of the analytic workload answered"
        f" ({len(coverage.answered)} of {sum(not q.oltp for q in coverage.queries)} analytic templates;"
        f" {sum(q.oltp for q in coverage.queries)} OLTP templates stay on the sources)"
    )
    for query in sorted(coverage.queries, key=lambda q: q.template):
        if query.oltp:
            continue
        if query.rewritten is not None:
            lines.append(f"  {query.template}: joins {query.joins_before} -> {query.joins_after}")
        else:
            lines.append(f"  {query.template}: not answered: {query.reason}")
    return "\n".join(lines) + "\n"


def render_design_json(result: DesignResult) -> str:
    data: dict[str, Any] = result.to_dict()
    return json.dumps(data, indent=2) + "\n"
