"""Measured runtime of a query with and without the planned indexes, and the speed-up people read from it.

Validation (``advise_indexes(validate=True)``, done by the connection: ``measure_regressions``) times each
query with the planned indexes, then without them under a time bound: a "before" that reaches its bound is
stopped there, so its time is only known to be at least the bound, and the speed-up at least the bound
divided by the new time. :func:`format_speedup` says either: ``3.2× faster``, ``≥ 14× faster``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqltune.core.units import format_duration
from sqltune.indexes.model import IndexSpec

__all__ = ["RuntimeCheck", "format_speedup"]

#: Ratios this close to 1 are "as fast": one timing each side does not tell a 4 % difference from noise.
_SAME = 1.05
#: The shortest time a speed-up is divided by (a plan measured at 0 ms is not infinitely faster).
_FLOOR_MS = 0.001


@dataclass(frozen=True, slots=True)
class RuntimeCheck:
    """A query's measured time (planning and execution, as ``EXPLAIN ANALYZE`` reports them) with the planned
    indexes (real ones, in a transaction that is rolled back) and without them."""

    query_id: str
    after_ms: float | None  # None: stopped at the time limit with the new indexes (bound_ms is that limit)
    before_ms: float | None  # None: stopped at bound_ms without them, so at least that slow
    bound_ms: float  # the time "before" was allowed
    regressed: bool
    uses: tuple[IndexSpec, ...] = ()  # planned indexes the real plan with them read

    @property
    def speedup(self) -> float | None:
        """Time before / time after: measured, or a lower bound when "before" was stopped
        (:attr:`speedup_at_least`); ``None`` when the new plan itself was stopped."""
        if self.after_ms is None:
            return None
        before = self.bound_ms if self.before_ms is None else self.before_ms
        return before / max(self.after_ms, _FLOOR_MS)

    @property
    def speedup_at_least(self) -> bool:
        """True when :attr:`speedup` is a lower bound: the old plan ran past its bound and was stopped."""
        return self.after_ms is not None and self.before_ms is None

    def describe(self) -> str:
        return format_speedup(self.before_ms, self.after_ms, self.bound_ms)


def format_speedup(before_ms: float | None, after_ms: float | None, bound_ms: float) -> str:
    """How much faster the query became. ``None`` is a run stopped at ``bound_ms``: a stopped "before" makes
    the speed-up a lower bound (rounded down, so it stays one); a stopped "after" a slow-down's.

    >>> format_speedup(320, 100, 500), format_speedup(None, 21_000, 300_000), format_speedup(100, 180, 500)
    ('3.2× faster', '≥ 14× faster', '1.8× slower')
    >>> format_speedup(None, None, 30_000), format_speedup(12, None, 60_000), format_speedup(101, 100, 500)
    ('stopped at 30.0 s with and without the indexes', '≥ 5,000× slower', 'as fast')
    """
    if after_ms is None:
        if before_ms is None:
            return f"stopped at {format_duration(bound_ms)} with and without the indexes"
        return f"≥ {_times(bound_ms / max(before_ms, _FLOOR_MS), down=True)} slower"
    after = max(after_ms, _FLOOR_MS)
    if before_ms is None:
        at_least = bound_ms / after
        if at_least < 1:  # a bound below the new time says nothing of the speed-up
            return f"before ≥ {format_duration(bound_ms)}"
        return f"≥ {_times(at_least, down=True)} faster"
    ratio = before_ms / after
    if ratio >= _SAME:
        return f"{_times(ratio)} faster"
    if ratio <= 1 / _SAME:
        return f"{_times(1 / ratio)} slower"
    return "as fast"


def _times(ratio: float, down: bool = False) -> str:
    """``3.2×`` below 10, ``14×`` from there; ``down`` rounds towards zero (a lower bound stays one)."""
    if ratio < 10:
        value = math.floor(ratio * 10) / 10 if down else round(ratio, 1)
        if value < 10:
            return f"{value:.1f}×"
    value = math.floor(ratio) if down else round(ratio)
    return f"{value:,.0f}×"
