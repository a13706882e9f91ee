"""What the verified mode found about one rewrite, and the rules that turn measurements into a verdict.

``sqltune fix --verify`` (:mod:`sqltune.rewrites.verifier`) runs every candidate rewrite on the user's
database before anything is written. This module is its vocabulary, free of any driver:

- what a connection hands back: :class:`Run` (one timed ``EXPLAIN ANALYZE``), :class:`Fetch` (one streamed
  result fingerprint, :mod:`sqltune.rewrites.resulthash`), :class:`Fact` (a condition checked on the data),
  and the :class:`VerifyConnection` protocol that gives them (the PostgreSQL connector implements it);
- the evidence: :class:`Timing` (the median of several runs, or the bound a stopped run reached),
  :class:`ResultCheck`, :class:`ConditionCheck`, and per change a :class:`Verification` with its
  :class:`Verdict`; per statement a :class:`StatementVerification`;
- the rules: :class:`Speedup` (measured, or a bound when a run was stopped) and :class:`VerifyOptions`.

>>> before = Timing((812.0, 790.5, 845.1), bound_ms=60_000)
>>> after = Timing((95.2, 96.0, 94.1), bound_ms=1_580)
>>> Speedup.between(before, after).text()
'8.5× faster'
>>> Speedup.between(Timing((), 60_000, stopped=True), after).text()
'≥ 630× faster'
>>> Speedup.between(after, Timing((), 191, stopped=True)).text()
'≥ 2.0× slower'
"""

from __future__ import annotations

import enum
import statistics
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqltune.core.units import format_duration
from sqltune.rewrites.conditions import Condition
from sqltune.rewrites.resulthash import Digest, ResultHash

__all__ = [
    "ConditionCheck",
    "Fact",
    "Fetch",
    "Progress",
    "ResultCheck",
    "Run",
    "Speedup",
    "StatementVerification",
    "Timing",
    "Verdict",
    "Verification",
    "VerifyConnection",
    "VerifyOptions",
    "plan_summary",
]

#: Ratios this close to 1 are "as fast": a median of three runs does not tell 5 % from noise.
_SAME = 1.05
#: The shortest time a speed-up is divided by (a query measured at 0 ms is not infinitely faster).
_FLOOR_MS = 0.001


# -- what the connection hands back ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Run:
    """One timed run: planning plus execution in ms (``None``: stopped at its time limit), and its plan."""

    ms: float | None
    plan: Any = None  # EXPLAIN (FORMAT JSON): with actual rows when the run finished
    error: str | None = None  # the database refused the query (the message, without secrets)


@dataclass(frozen=True, slots=True)
class Fetch:
    """One streamed run of a query: the fingerprint of its result and the wall time it took to read it."""

    digest: Digest | None  # None when stopped or failed
    ms: float | None  # None: stopped at its time limit
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """A condition checked on the data: ``holds`` is ``None`` when the check could not tell (timeout, error)."""

    holds: bool | None
    detail: str = ""


class VerifyConnection(Protocol):
    """A live database as the verified mode uses it: read-only, every call under a time limit, rolled back."""

    @property
    def server_version(self) -> int:
        """``server_version_num``: 150004 for 15.4."""
        ...

    def verify_fetch(self, sql: str, hasher: ResultHash, *, timeout_ms: int) -> Fetch:
        """Run ``sql`` and feed its rows, batch by batch, to ``hasher``; stopped after ``timeout_ms``."""
        ...

    def verify_run(self, sql: str, *, timeout_ms: int) -> Run:
        """Time ``sql`` once (``EXPLAIN ANALYZE``) with its plan; stopped after ``timeout_ms``."""
        ...

    def verify_fact(self, sql: str, *, timeout_ms: int) -> Fact:
        """The one boolean value of a check query."""
        ...


class Progress(Protocol):
    """Who watches a long verification: a phase per change verified, a step per run (the CLI draws a bar)."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, steps: int = 1) -> None: ...


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """How the verified mode measures and decides (the CLI's ``--runs``, ``--min-speedup``, ...)."""

    runs: int = 3  # timed runs of each query; the median counts
    min_speedup: float = 1.2  # a statement is rewritten only when at least this much faster
    max_slowdown: float = 2.0  # a rewritten query is stopped at this multiple of the time before it
    timeout_ms: int = 60_000  # the original query's (and every check's) time limit
    float_digits: int = 12  # significant digits floats are compared to
    unsafe: bool = False  # also write ADVISED changes that hold on today's data
    noise: float = 1.1  # a change more than this much slower (plus slack_ms) is slower
    slack_ms: float = 1.0
    min_bound_ms: float = 100.0  # no rewritten query is stopped sooner than this

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise ValueError(f"runs must be at least 1, not {self.runs}")
        if self.min_speedup < 1:
            raise ValueError(f"min_speedup must be at least 1, not {self.min_speedup}")
        if self.max_slowdown < 1:
            raise ValueError(f"max_slowdown must be at least 1, not {self.max_slowdown}")

    def bound(self, before_ms: float | None) -> int:
        """The time limit of a rewritten query whose predecessor took ``before_ms`` (``None``: was stopped)."""
        if before_ms is None:
            return self.timeout_ms
        return int(min(self.timeout_ms, max(self.max_slowdown * before_ms, self.min_bound_ms)))


# -- the evidence ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Timing:
    """Several runs of one query: their times, or the bound where one was stopped (then no more ran)."""

    runs_ms: tuple[float, ...]
    bound_ms: float
    stopped: bool = False
    plan: Any = None  # EXPLAIN (FORMAT JSON) of the last run

    @property
    def median_ms(self) -> float | None:
        """The median of the runs; ``None`` when one was stopped (the query takes at least ``bound_ms``)."""
        return None if self.stopped or not self.runs_ms else statistics.median(self.runs_ms)

    def describe(self) -> str:
        return f"≥ {format_duration(self.bound_ms)} (stopped)" if self.stopped else format_duration(self.median_ms)

    def to_dict(self) -> dict[str, object]:
        return {
            "median_ms": self.median_ms,
            "runs_ms": list(self.runs_ms),
            "bound_ms": self.bound_ms,
            "stopped": self.stopped,
            "plan_summary": plan_summary(self.plan),
            "plan": self.plan,
        }


@dataclass(frozen=True, slots=True)
class Speedup:
    """Time before over time after: ``exact``, ``at_least`` (before was stopped) or ``at_most`` (after was)."""

    value: float | None  # None: both were stopped
    kind: str = "exact"

    @classmethod
    def between(cls, before: Timing, after: Timing) -> Speedup:
        before_ms, after_ms = before.median_ms, after.median_ms
        if before_ms is None and after_ms is None:
            return cls(None, "unknown")
        if after_ms is None:
            return cls((before_ms or 0.0) / max(after.bound_ms, _FLOOR_MS), "at_most")
        if before_ms is None:
            return cls(before.bound_ms / max(after_ms, _FLOOR_MS), "at_least")
        return cls(before_ms / max(after_ms, _FLOOR_MS))

    def at_least(self, ratio: float) -> bool:
        """Measured (or bounded from below) at ``ratio`` or more."""
        return self.value is not None and self.kind in {"exact", "at_least"} and self.value >= ratio

    def text(self) -> str:
        if self.value is None:
            return "stopped at the time limit before and after"
        if self.kind == "at_most":
            return f"≥ {_times(1 / max(self.value, _FLOOR_MS), down=True)} slower"
        if self.kind == "at_least":
            return f"≥ {_times(self.value, down=True)} faster"
        if self.value >= _SAME:
            return f"{_times(self.value)} faster"
        if self.value <= 1 / _SAME:
            return f"{_times(1 / self.value)} slower"
        return "as fast"

    def to_dict(self) -> dict[str, object]:
        return {"speedup": self.value, "speedup_bound": self.kind, "speedup_text": self.text()}


def _times(ratio: float, down: bool = False) -> str:
    """``3.2×``, ``14×``, ``1,200×``; rounded down for a lower bound, so it stays one."""
    if ratio < 10:
        value = int(ratio * 10) / 10 if down else round(ratio, 1)
        return f"{value:.1f}×"
    return f"{int(ratio) if down else round(ratio):,}×"


@dataclass(frozen=True, slots=True)
class ResultCheck:
    """The fingerprints of the results before and after; ``match`` is ``None`` when one could not be read."""

    ordered: bool  # compared in order: the ORDER BY fixes the order of the output
    before: Digest | None
    after: Digest | None
    float_digits: int = 12
    note: str = ""  # how it was compared, when not plainly

    @property
    def match(self) -> bool | None:
        if self.before is None or self.after is None:
            return None
        return self.before == self.after

    def describe(self) -> str:
        how = "in order" if self.ordered else "as multisets"
        note = f"; {self.note}" if self.note else ""
        if self.match is None:
            return f"results not compared{note}"
        assert self.before is not None and self.after is not None
        if self.match:
            return f"results identical ({_rows(self.before.rows)}, compared {how}{note})"
        return f"results differ ({_rows(self.before.rows)} before, {self.after.rows:,} after, compared {how}{note})"

    def to_dict(self) -> dict[str, object]:
        return {
            "match": self.match,
            "compared": "ordered" if self.ordered else "multiset",
            "rows_before": self.before.rows if self.before else None,
            "rows_after": self.after.rows if self.after else None,
            "hash_before": self.before.value if self.before else None,
            "hash_after": self.after.value if self.after else None,
            "float_digits": self.float_digits,
            "note": self.note,
        }


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """A machine-checkable condition of an advisory, as checked on the database."""

    condition: Condition
    holds: bool | None  # None: not checked (a benefit is measured) or the check could not tell
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            **self.condition.to_dict(),
            "holds": self.holds,
            "check": self.condition.check_query(),
            "proving_ddl": self.condition.proving_ddl(),
            "detail": self.detail,
        }


class Verdict(enum.Enum):
    """What the verified mode decided about one change."""

    KEPT = "kept"  # results match and the statement is measurably faster: written
    HOLDS_ON_DATA = "holds on today's data"  # ADVISED; true on today's data: written only with --unsafe
    SLOWER = "slower"
    NOT_FASTER = "not faster"  # not slower, but not --min-speedup faster either
    RESULTS_DIFFER = "results differ"
    CONDITION_FAILS = "condition fails"  # an advisory's condition is false on today's data
    FAILED = "failed"  # the rewritten query fails on the database
    UNVERIFIABLE = "unverifiable"  # cannot be run or compared (writes, has parameters, original fails)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Verification:
    """The evidence about one change: the verdict, why, both times and plans, the results, the conditions."""

    verdict: Verdict
    reason: str
    before: Timing | None = None  # the statement as it was before this change
    after: Timing | None = None
    results: ResultCheck | None = None  # against the original statement
    conditions: tuple[ConditionCheck, ...] = ()

    @property
    def speedup(self) -> Speedup | None:
        return Speedup.between(self.before, self.after) if self.before and self.after else None

    @property
    def proving_ddl(self) -> list[str]:
        """The constraints that would turn the advisory's conditions that hold today into proofs."""
        return [ddl for check in self.conditions if check.holds and (ddl := check.condition.proving_ddl()) is not None]

    def describe(self, verdict: bool = True) -> str:
        """One line: the verdict (unless ``verdict=False``), its reason, the times and the results."""
        parts = [f"{self.verdict}: {self.reason}" if verdict else self.reason]
        if self.before is not None and self.after is not None:
            parts.append(f"{self.before.describe()} -> {self.after.describe()}")
        if self.results is not None:
            parts.append(self.results.describe())
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        speedup = self.speedup
        return {
            "verdict": str(self.verdict),
            "reason": self.reason,
            **(speedup.to_dict() if speedup else {"speedup": None, "speedup_bound": None, "speedup_text": None}),
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "results": self.results.to_dict() if self.results else None,
            "conditions": [check.to_dict() for check in self.conditions],
            "proving_ddl": self.proving_ddl,
        }


@dataclass(frozen=True, slots=True)
class StatementVerification:
    """One statement's verification: the original against what is written (or would have been)."""

    path: str
    line: int
    written: bool
    reason: str
    rewrites: tuple[str, ...] = ()  # ids of the changes written, in order
    before: Timing | None = None  # the original
    after: Timing | None = None  # with every change kept
    results: ResultCheck | None = None
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> number of changes

    @property
    def speedup(self) -> Speedup | None:
        return Speedup.between(self.before, self.after) if self.before and self.after else None

    def describe(self) -> str:
        head = f"{self.path}:{self.line}: {'rewritten' if self.written else 'left as written'}: {self.reason}"
        if self.before is not None and self.after is not None:
            head += f"; {self.before.describe()} -> {self.after.describe()}"
        if self.results is not None:
            head += f"; {self.results.describe()}"
        return head

    def to_dict(self) -> dict[str, object]:
        speedup = self.speedup
        return {
            "path": self.path,
            "line": self.line,
            "written": self.written,
            "reason": self.reason,
            "rewrites": list(self.rewrites),
            **(speedup.to_dict() if speedup else {"speedup": None, "speedup_bound": None, "speedup_text": None}),
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "results": self.results.to_dict() if self.results else None,
            "verdicts": dict(self.verdicts),
        }


def plan_summary(plan: Any, limit: int = 12) -> list[str]:
    """The first ``limit`` operators of an ``EXPLAIN (FORMAT JSON)`` plan, indented by depth, with rows.

    >>> plan = [{"Plan": {"Node Type": "Hash Join", "Plan Rows": 10, "Actual Rows": 12, "Actual Loops": 1,
    ...           "Plans": [{"Node Type": "Seq Scan", "Relation Name": "t", "Alias": "t", "Plan Rows": 100}]}}]
    >>> plan_summary(plan)
    ['Hash Join (rows 12)', '  Seq Scan on t (est. rows 100)']
    """
    if not plan:
        return []
    from sqltune.plans import PlanError, parse_plan

    try:
        graph = parse_plan(plan, "postgres-json")
    except PlanError:
        return []
    lines = []
    for node in list(graph)[:limit]:
        rows = f"rows {node.total_rows:,.0f}" if node.total_rows is not None else f"est. rows {node.est_rows or 0:,.0f}"
        if node.never_executed:
            rows = "never executed"
        lines.append(f"{'  ' * node.depth}{node.label} ({rows})")
    if len(graph) > limit:
        lines.append(f"... {len(graph) - limit} more operators")
    return lines
