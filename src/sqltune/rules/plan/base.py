"""What a plan rule is, what it sees and what it reports.

A plan rule is an ordinary :class:`~sqltune.rules.base.Rule` (same registry, same ``sqltune.rules`` entry
point group, category ``plan`` in the catalogue) that implements none of the lint hooks, so the lint engine
never calls it, and implements :meth:`PlanRule.check_plan` instead. It reads one
:class:`~sqltune.plans.PlanGraph` through a :class:`PlanContext` and yields :class:`PlanViolation` s.

Every violation carries an **estimated saving**: the share of the query's runtime (of its total cost when the
plan was not executed) that fixing the problem could remove, between 0 and 1. Findings are ranked by it and,
unless the rule sets one itself, their severity comes from it (:func:`share_severity`):

>>> [str(share_severity(s)) for s in (0.95, 0.6, 0.2)], share_severity(0.05)
(['error', 'warning', 'info'], None)

Rules about the planner's row estimates grade by the size of the error instead (:func:`error_severity`):

>>> [str(error_severity(f)) for f in (5000, 200, 12)], error_severity(3)
(['error', 'warning', 'info'], None)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqltune.core.display import Displayable
from sqltune.core.findings import Finding, Report, Severity
from sqltune.core.parsing import Statement
from sqltune.core.source import Source, Span
from sqltune.graph import QueryGraph
from sqltune.plans import PlanGraph, PlanNode
from sqltune.rules.base import Rule
from sqltune.schema import Schema, Table

__all__ = [
    "PlanContext",
    "PlanFinding",
    "PlanReport",
    "PlanRule",
    "PlanViolation",
    "error_severity",
    "share_severity",
]

#: Saving bands: at least this share of runtime (or cost) -> this severity. Below the last band: not reported.
SHARE_BANDS = ((0.90, Severity.ERROR), (0.50, Severity.WARNING), (0.10, Severity.INFO))
#: Estimate-error bands: the planner was off by at least this factor -> this severity.
ERROR_BANDS = ((1000.0, Severity.ERROR), (100.0, Severity.WARNING), (10.0, Severity.INFO))


def share_severity(saving: float) -> Severity | None:
    """The severity of a finding that could save ``saving`` of the runtime; ``None`` below 10 %."""
    for floor, severity in SHARE_BANDS:
        if saving >= floor:
            return severity
    return None


def error_severity(factor: float) -> Severity | None:
    """The severity of a row estimate off by ``factor`` (>= 1); ``None`` below 10x."""
    for floor, severity in ERROR_BANDS:
        if factor >= floor:
            return severity
    return None


@dataclass(frozen=True, slots=True)
class PlanViolation:
    """One problem a rule found at one plan node, before the engine adds the code, name and SQL span.

    ``saving`` is the share (0..1) of runtime, or of cost for a plan that was not executed, that the
    ``suggestion`` could remove; ``None`` when the plan has neither timings nor costs. ``severity`` is set
    only by rules that grade by something else than the saving (estimate errors). ``node`` is the root for
    findings about the whole query, which set ``whole_plan``.
    """

    node: PlanNode
    message: str
    suggestion: str
    saving: float | None
    severity: Severity | None = None
    whole_plan: bool = False  # about the query as a whole (planning, JIT): points at the statement, not a clause


@dataclass(frozen=True, slots=True)
class PlanFinding:
    """A plan rule's finding: what is wrong at which node, what to do, what it could save, where in the SQL."""

    code: str
    name: str
    severity: Severity
    message: str
    suggestion: str
    node_id: int
    node_label: str
    saving: float | None
    basis: str | None  # "time" (shares of runtime), "cost" (shares of the planner's cost) or None
    span: Span | None = None  # the SQL the node came from, when the plan was linked to its statement
    statement: str = ""

    def sort_key(self) -> tuple[float, int, int, str]:
        """Largest saving first (unknown savings last), then the worst severity, then plan order."""
        return (-(self.saving if self.saving is not None else -1.0), -int(self.severity), self.node_id, self.code)

    def to_finding(self, fallback: Span) -> Finding:
        """As a lint :class:`~sqltune.core.findings.Finding`, so every lint reporter can show it. The suggestion
        and saving are folded into the message; ``fallback`` is the span used when the node is not linked."""
        basis = _BASIS.get(self.basis or "", "the query")
        saving = f" (could save ~{self.saving:.0%} of {basis})" if self.saving else ""
        message = f"{self.message}{saving}. {self.suggestion}"
        return Finding(self.code, self.name, self.severity, message, self.span or fallback, None, self.statement)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "suggestion": self.suggestion,
            "node": self.node_id,
            "node_label": self.node_label,
            "saving": None if self.saving is None else round(self.saving, 4),
            "basis": self.basis,
        }
        if self.span is not None:
            data.update(self.span.to_dict())
        return data


_BASIS = {"time": "the runtime", "cost": "the estimated cost"}


@dataclass(slots=True)
class PlanReport(Displayable):
    """The diagnosis of one plan: findings ranked by saving, and the hot path (node ids, root first)."""

    plan: PlanGraph
    findings: list[PlanFinding] = field(default_factory=list)
    hot_path: list[int] = field(default_factory=list)
    basis: str | None = None
    statement: Statement | None = None
    problems: list[str] = field(default_factory=list)  # rules that crashed (a sqltune bug), one line each

    def __iter__(self) -> Iterator[PlanFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    def worst(self) -> Severity | None:
        return max((finding.severity for finding in self.findings), default=None)

    def to_report(self) -> Report:
        """The findings as a lint :class:`~sqltune.core.findings.Report` (pointing into the statement's source)."""
        report = Report(statements=1 if self.statement is not None else 0)
        if self.statement is not None:
            source = self.statement.source
            report.sources[source.path] = source
            fallback = self.statement.span
        else:
            source = Source("<plan>", "")
            fallback = source.span(0, 0)
        report.findings = [finding.to_finding(fallback) for finding in self.findings]
        return report


class PlanRule(Rule):
    """Base class of plan rules: implement :meth:`check_plan`. The lint engine never runs these."""

    def check_plan(self, ctx: PlanContext) -> Iterable[PlanViolation]:
        return ()


@dataclass
class PlanContext:
    """Everything a plan rule may look at: the plan, and when known the SQL, the schema and the settings."""

    plan: PlanGraph
    statement: Statement | None = None
    schema: Schema | None = None
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.plan.dialect

    @property
    def analyzed(self) -> bool:
        """Whether the plan carries actual rows or times (EXPLAIN ANALYZE, a profile, operator statistics)."""
        return self.plan.has_actuals

    @cached_property
    def basis(self) -> str | None:
        """What savings are shares of: ``"time"`` when the plan was timed, else ``"cost"``, else ``None``."""
        if any(node.time_share is not None for node in self.plan):
            return "time"
        if self._cost_total > 0:
            return "cost"
        return None

    @cached_property
    def _cost_total(self) -> float:
        return sum(self._cost(node) for node in self.plan)

    def _cost(self, node: PlanNode) -> float:
        """The node's own cost over all its estimated executions (the inner side of a nested loop runs once
        per outer row, and its ``exclusive_cost`` is per execution)."""
        return (node.exclusive_cost or 0.0) * self.loops(node)

    def loops(self, node: PlanNode) -> float:
        """Estimated executions of the node per run of the plan. Below a Materialize or Hash the input is
        read once per execution of that node's parent, however often the node itself is rescanned."""
        for ancestor in self.plan.ancestors(node):
            if ancestor.operator in ("Materialize", "Hash"):
                parent = self.plan.parent(ancestor)
                return max(parent.est_loops if parent is not None else 1.0, 1.0)
        return max(node.est_loops, 1.0)

    def share(self, node: PlanNode) -> float | None:
        """The node's own share of the runtime (or of the cost): what removing its work entirely would save."""
        if self.basis == "time":
            return node.time_share or 0.0
        if self.basis == "cost":
            return self._cost(node) / self._cost_total
        return None

    def subtree_share(self, node: PlanNode) -> float | None:
        """The share of the node and everything below it."""
        if self.basis is None:
            return None
        return min(1.0, sum(self.share(item) or 0.0 for item in self.plan.subtree(node)))

    def setting(self, name: str) -> str | None:
        """A server setting: the ones given to :func:`analyze_plan` first, then those the plan lists."""
        return self.settings.get(name) or self.plan.settings.get(name)

    def table(self, name: str | None) -> Table | None:
        if not name or self.schema is None:
            return None
        return self.schema.table(name)

    @cached_property
    def query_graph(self) -> QueryGraph | None:
        if self.statement is None or self.statement.expression is None:
            return None
        return QueryGraph.build(self.statement.expression, self.schema or Schema())


def scaled(share: float | None, fraction: float) -> float | None:
    """``share x fraction`` clamped to 0..1, ``None`` when the share is unknown.

    >>> scaled(0.8, 0.5), scaled(None, 0.5)
    (0.4, None)
    """
    if share is None:
        return None
    return max(0.0, min(1.0, share * fraction))
