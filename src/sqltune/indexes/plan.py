"""The IndexPlan: what to create and drop, what it costs, what it buys, and the evidence.

Built from a :class:`~sqltune.indexes.selection.Selection` and the evaluator that produced it: every proposed
index with its ``CREATE INDEX CONCURRENTLY`` statement, estimated size and the queries whose plans use it;
every query's estimated cost before and after, with both plans; hygiene advice (``DROP INDEX CONCURRENTLY``
for unused or redundant indexes, ``CREATE`` for unindexed foreign keys); and, when runtime validation ran,
the measured timings with each query's speed-up (:mod:`sqltune.indexes.runtime`). Queries are named as the
workload names them (``queries/q07.sql:1``, ``postgresql.log:1042``, or their first words). Views:
:meth:`IndexPlan.to_dict` (JSON) and :meth:`IndexPlan.to_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.display import Displayable
from sqltune.core.units import format_duration
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.runtime import RuntimeCheck
from sqltune.indexes.selection import Selection
from sqltune.indexes.whatif import CostEvaluator

__all__ = ["IndexPlan", "PlannedIndex", "QueryImpact", "RuntimeCheck", "SkippedQuery", "build_plan", "format_bytes"]


def format_bytes(size: float) -> str:
    """Decimal units, as budgets are given (``--budget 1GB`` is 10**9 bytes).

    >>> format_bytes(953_700_000)
    '953.7 MB'
    """
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


@dataclass(frozen=True, slots=True)
class SkippedQuery:
    """A workload statement left out of the advice, and why (it did not parse, or could not be planned)."""

    query_id: str
    sql: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedIndex:
    spec: IndexSpec
    name: str
    statement: str
    size_bytes: float
    queries: tuple[str, ...]  # ids of the queries whose plans use it


@dataclass(frozen=True, slots=True)
class QueryImpact:
    query_id: str
    sql: str
    weight: float
    cost_before: float
    cost_after: float
    uses: tuple[str, ...]  # names of planned indexes in the plan after
    plan_before: Any = None
    plan_after: Any = None

    @property
    def ratio(self) -> float:
        return self.cost_after / self.cost_before if self.cost_before else 1.0


@dataclass(slots=True)
class IndexPlan(Displayable):
    create: list[PlannedIndex]
    queries: list[QueryImpact]
    cost_before: float
    cost_after: float
    backend: str
    estimated: bool  # True when costs come from sqltune's cost model, not the database's planner
    what_if_calls: int
    algorithm: str
    budget_bytes: float | None = None
    drop: list[Any] = field(default_factory=list)  # hygiene advice (sqltune.indexes.hygiene.HygieneAdvice)
    runtime: list[RuntimeCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[SkippedQuery] = field(default_factory=list)

    @property
    def relative_cost(self) -> float:
        return self.cost_after / self.cost_before if self.cost_before else 1.0

    @property
    def size_bytes(self) -> float:
        return sum(index.size_bytes for index in self.create)

    def statements(self) -> list[str]:
        """The DDL to run, drops first (they free space and write overhead)."""
        drops = [str(getattr(advice, "statement", "")) for advice in self.drop]
        return [s for s in drops if s] + [index.statement for index in self.create]

    def to_dict(self, evidence: bool = False) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "estimated": self.estimated,
            "algorithm": self.algorithm,
            "what_if_calls": self.what_if_calls,
            "budget_bytes": self.budget_bytes,
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "relative_cost": self.relative_cost,
            "size_bytes": self.size_bytes,
            "create": [
                {
                    "name": index.name,
                    "statement": index.statement,
                    "table": index.spec.table,
                    "columns": list(index.spec.columns),
                    "include": list(index.spec.include),
                    "where": index.spec.where,
                    "method": index.spec.method,
                    "size_bytes": index.size_bytes,
                    "queries": list(index.queries),
                }
                for index in self.create
            ],
            "drop": [_advice_dict(advice) for advice in self.drop],
            "queries": [
                {
                    "id": q.query_id,
                    "sql": q.sql,
                    "weight": q.weight,
                    "cost_before": q.cost_before,
                    "cost_after": q.cost_after,
                    "uses": list(q.uses),
                    **({"plan_before": q.plan_before, "plan_after": q.plan_after} if evidence else {}),
                }
                for q in self.queries
            ],
            "runtime": [
                {
                    "query": check.query_id,
                    "before_ms": check.before_ms,
                    "after_ms": check.after_ms,
                    "bound_ms": check.bound_ms,
                    "regressed": check.regressed,
                    "speedup": check.speedup,
                    "speedup_at_least": check.speedup_at_least,
                }
                for check in self.runtime
            ],
            "notes": list(self.notes),
            "skipped": [{"query": q.query_id, "sql": q.sql, "reason": q.reason} for q in self.skipped],
        }

    def to_text(self) -> str:
        label = "estimated by sqltune's cost model" if self.estimated else f"planner costs via {self.backend}"
        lines = [
            f"Index plan ({self.algorithm}, {label}, {self.what_if_calls} what-if calls)",
            f"Workload cost {self.cost_before:,.0f} -> {self.cost_after:,.0f} "
            f"({self.relative_cost:.1%} of today's), {format_bytes(self.size_bytes)} of new indexes"
            + (f" within a budget of {format_bytes(self.budget_bytes)}" if self.budget_bytes else ""),
            "",
        ]
        if self.create:
            lines.append("Create:")
            for index in self.create:
                lines.append(f"  {index.statement};")
                lines.append(f"      -- {format_bytes(index.size_bytes)}, used by {_some(index.queries)}")
        else:
            lines.append("No new index pays for itself on this workload.")
        if self.drop:
            lines += ["", "Hygiene:"]
            for advice in self.drop:
                lines.append(f"  {getattr(advice, 'statement', '')};")
                lines.append(f"      -- {getattr(advice, 'evidence', '')}")
        changed = [q for q in self.queries if q.cost_after < q.cost_before * 0.999]
        if changed:
            lines += ["", "Queries (estimated cost before -> after):"]
            width = _width(q.query_id for q in changed)
            for q in sorted(changed, key=lambda q: q.ratio):
                lines.append(
                    f"  {q.query_id:<{width}} {q.cost_before:>14,.0f} -> {q.cost_after:>14,.0f}  ({q.ratio:6.1%})"
                    f"  {', '.join(q.uses)}"
                )
        if self.runtime:
            lines += ["", "Measured runtime (planning + execution, real indexes in a rolled-back transaction):"]
            width = _width(check.query_id for check in self.runtime)
            for check in self.runtime:
                bound = f"≥ {format_duration(check.bound_ms)}"
                before = bound if check.before_ms is None else format_duration(check.before_ms)
                after = bound if check.after_ms is None else format_duration(check.after_ms)
                flag = "  REGRESSION" if check.regressed else ""
                lines.append(f"  {check.query_id:<{width}} {before:>12} -> {after:>12}  {check.describe()}{flag}")
        if self.skipped:
            lines += ["", f"Skipped ({len(self.skipped)} statements not advised on):"]
            width = _width(skip.query_id for skip in self.skipped)
            for skip in self.skipped:
                text = " ".join(skip.sql.split())
                lines.append(f"  {skip.query_id:<{width}} {skip.reason}")
                lines.append(f"      {text[:100] + '...' if len(text) > 100 else text}")
        for note in self.notes:
            lines += ["", f"Note: {note}"]
        return "\n".join(lines) + "\n"


#: Names listed after "used by" in the text; the JSON lists them all.
_LISTED = 5


def _some(names: Sequence[str]) -> str:
    if not names:
        return "no query plan uses it"
    if len(names) <= _LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:_LISTED])} and {len(names) - _LISTED} more"


def _width(names: Iterable[str]) -> int:
    """A column wide enough for the names, within reason (a longer name pushes its line's columns right)."""
    return min(max((len(name) for name in names), default=0), 40)


def _advice_dict(advice: Any) -> dict[str, Any]:
    fields = ("kind", "table", "index_name", "statement", "evidence", "size_bytes")
    return {name: getattr(advice, name, None) for name in fields}


def build_plan(
    queries: Sequence[WorkloadQuery],
    selection: Selection,
    evaluator: CostEvaluator,
    *,
    budget_bytes: float | None = None,
    drop: Sequence[Any] = (),
    runtime: Sequence[RuntimeCheck] = (),
) -> IndexPlan:
    names = {spec: spec.name() for spec in selection.indexes}
    impacts = []
    users: dict[IndexSpec, list[str]] = {spec: [] for spec in selection.indexes}
    for query in queries:
        before = evaluator.evaluate(query, [])
        after = evaluator.evaluate(query, selection.indexes)
        used = [spec for spec in selection.indexes if spec in after.used]
        for spec in used:
            users[spec].append(query.id)
        impacts.append(
            QueryImpact(
                query.id,
                query.sql,
                query.weight,
                before.cost,
                after.cost,
                tuple(names[s] for s in used),
                before.plan,
                after.plan,
            )
        )
    create = [
        PlannedIndex(spec, names[spec], spec.ddl(names[spec]), evaluator.size(spec), tuple(users[spec]))
        for spec in selection.indexes
    ]
    return IndexPlan(
        create=create,
        queries=impacts,
        cost_before=selection.cost_without,
        cost_after=selection.cost_with,
        backend=evaluator.backend.label,
        estimated=evaluator.backend.estimated,
        what_if_calls=evaluator.calls,
        algorithm=selection.algorithm,
        budget_bytes=budget_bytes,
        drop=list(drop),
        runtime=list(runtime),
    )
