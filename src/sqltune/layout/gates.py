"""The gates a table must pass before the layout advisor recommends anything for it; each is reported, passed
or not, with the figures it was decided on.

>>> size(5e9, 1e9, "BRIN").passed
True
>>> read_write(reads=3, writes=2, ratio=10.0).detail
'3 reads to 2 writes in the window (needs 10:1)'
"""

from __future__ import annotations

from collections.abc import Sequence

from sqltune.layout.model import Gate, bytes_text

__all__ = ["bytes_text", "churn", "current_layout", "dml_history", "read_write", "reads", "saving", "size"]


def size(size_bytes: float | None, threshold: float, what: str) -> Gate:
    """The table is at least ``threshold`` bytes (unknown size fails: nothing to weigh a rewrite against)."""
    if size_bytes is None:
        return Gate("size", False, f"table size unknown (needs {bytes_text(threshold)} for {what}); run ANALYZE")
    passed = size_bytes >= threshold
    return Gate(
        "size",
        passed,
        f"{bytes_text(size_bytes)} ({'at least' if passed else 'below'} {bytes_text(threshold)} for {what})",
    )


def reads(count: int, minimum: int) -> Gate:
    return Gate("reads", count >= minimum, f"{count} reads in the window (needs {minimum})")


def read_write(reads: int, writes: int, ratio: float) -> Gate:
    """Reads per write of the workload's templates (calls)."""
    passed = writes == 0 or reads >= ratio * writes
    return Gate("read_write", passed, f"{reads} reads to {writes} writes in the window (needs {ratio:g}:1)")


def churn(inserts: float | None, updates: float | None, deletes: float | None, maximum: float) -> Gate:
    """The database's own counters: (updates + deletes) per insert; a layout decays as rows move."""
    if inserts is None and updates is None and deletes is None:
        return Gate("churn", True, "no write counters from the database")
    moved = (updates or 0) + (deletes or 0)
    base = max(inserts or 0, 1.0)
    passed = moved / base <= maximum
    return Gate(
        "churn",
        passed,
        f"{moved:.0f} updates+deletes to {inserts or 0:.0f} inserts ({moved / base:.2f}, at most {maximum:g})",
    )


def dml_history(dml: dict[str, float] | None, days: int, maximum: float, unavailable: str = "") -> Gate:
    """The warehouse's own DML history (Snowflake's ``TABLE_DML_HISTORY``) as the churn gate: rows updated and
    removed per row added in the last ``days`` days; a table reloaded or rewritten as often as it grows
    loses its clustering as fast as it is reclustered. Unread (no grant, no such view), it passes and says so.

    >>> dml_history({"added": 9e6, "removed": 8.5e6, "updated": 0.0, "hours": 30}, 30, 0.2).passed
    False
    """
    if dml is None:
        return Gate("churn", True, f"TABLE_DML_HISTORY not read ({unavailable}): only the workload's own writes count")
    gate = churn(dml.get("added"), dml.get("updated"), dml.get("removed"), maximum)
    gate.detail = (
        f"TABLE_DML_HISTORY, last {days} days: {dml.get('added', 0):,.0f} rows added, "
        f"{dml.get('updated', 0):,.0f} updated, {dml.get('removed', 0):,.0f} removed; " + gate.detail
    )
    return gate


def current_layout(current: Sequence[str], proposed: Sequence[str], how: str) -> Gate:
    """Not already laid out on the same prefix."""
    same = (
        bool(current) and [c.lower() for c in current[: len(proposed)]] == [c.lower() for c in proposed][: len(current)]
    )
    if same:
        return Gate("current_layout", False, f"already {how} on ({', '.join(current)})")
    shown = f"{how} on ({', '.join(current)})" if current else f"not {how}"
    return Gate("current_layout", True, shown)


def saving(before: float, after: float, minimum: float) -> Gate:
    """The weighted scanned fraction drops by at least ``minimum`` of what is scanned now."""
    drop = (before - after) / before if before > 0 else 0.0
    return Gate(
        "saving",
        drop >= minimum,
        f"simulated scanned fraction {before:.3g} -> {after:.3g} ({drop:.0%} less; needs {minimum:.0%})",
    )
