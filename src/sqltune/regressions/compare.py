"""Compare two snapshots: what got slower, and why.

- plan changes (RG001): a template whose plan shape differs, with the cost and time deltas, the nodes that
  changed, the plan rules' diagnosis of those nodes in the new plan, and the statistics and indexes of the
  tables they read;
- mean-time regressions (RG002) of templates whose plan did not change;
- indexes that stopped being used while their table was read (RG003), and indexes that are gone (RG004);
- clustering depth that grew (RG005);
- templates that entered the top N (RG006).

Thresholds: a template regressed when its mean time grew by ``time_factor`` or more (and is at least
``min_mean_ms``); a changed plan is a warning when its estimated cost grew by ``cost_factor`` or more; a
clustered table degraded when its average depth grew by ``depth_factor`` or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqltune.core.findings import Severity
from sqltune.core.units import format_duration
from sqltune.plans.shape import changed_nodes
from sqltune.regressions.capture import plan_of
from sqltune.regressions.model import IndexUsage, Snapshot, TableStatistics, TemplateSnapshot
from sqltune.regressions.report import CODES, Regression, RegressionReport
from sqltune.rules.plan import analyze_plan
from sqltune.schema import Schema, Table, TableStats

__all__ = ["Thresholds", "compare_snapshots"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a difference is a regression (see the module's docstring)."""

    time_factor: float = 1.5
    min_mean_ms: float = 1.0
    cost_factor: float = 1.5
    depth_factor: float = 1.5
    top: int = 10

    def check(self) -> None:
        for name in ("time_factor", "cost_factor", "depth_factor"):
            if not getattr(self, name) > 1.0:
                raise ValueError(f"{name} must be greater than 1; got {getattr(self, name)}")
        if self.min_mean_ms < 0 or self.top < 1:
            raise ValueError(f"min_mean_ms must be >= 0 and top >= 1; got {self.min_mean_ms} and {self.top}")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _finding(code: str, severity: Severity, message: str, kind: str, subject: str, **extra: Any) -> Regression:
    sql = str(extra.pop("sql", ""))
    return Regression(code, CODES[code][0], severity, message, kind, subject, sql, extra)


def _ratio(new: float | None, old: float | None) -> float | None:
    if new is None or old is None or old <= 0:
        return None
    return new / old


def _indexes_in(shape: list[str]) -> set[str]:
    """The indexes a plan uses, from its shape lines (``Index Scan using orders_pkey on orders``)."""
    return {line.split(" using ", 1)[1].split(" on ", 1)[0] for line in shape if " using " in line}


def _side(shape: list[str], nodes: list[int]) -> str:
    return " / ".join(shape[i].strip() for i in nodes) or "(nothing)"


def _means(old: TemplateSnapshot, new: TemplateSnapshot, cumulative: bool) -> tuple[float | None, float | None, str]:
    """The old mean, the new one and what the new one covers. Counters that run since a reset
    (``pg_stat_statements``) give the mean of the calls between the snapshots; after a reset, the new mean."""
    if cumulative and new.calls > old.calls and new.total_ms >= old.total_ms:
        return old.mean_ms, (new.total_ms - old.total_ms) / (new.calls - old.calls), "calls between the snapshots"
    return old.mean_ms, new.mean_ms, "calls of the new snapshot"


def _schema(snapshot: Snapshot) -> Schema:
    """The planner's row counts of the snapshot's tables, for the plan rules that need a table's size."""
    tables = []
    for stats in snapshot.tables:
        rows = stats.reltuples if stats.reltuples is not None and stats.reltuples >= 0 else stats.live_rows
        tables.append(Table(stats.name, stats.schema, stats=TableStats(rows=None if rows is None else float(rows))))
    return Schema(tables)


def _table_change(old: TableStatistics | None, new: TableStatistics | None) -> str | None:
    """``orders: 1,000 -> 200,000 rows (analyzed 2026-01-02T03:04:05)`` when the planner's row count moved."""
    if old is None or new is None:
        return None
    before = old.reltuples if old.reltuples is not None else old.live_rows
    after = new.reltuples if new.reltuples is not None else new.live_rows
    if before is None or after is None or before == after:
        return None
    analyzed = f" (analyzed {new.last_analyze})" if new.last_analyze and new.last_analyze != old.last_analyze else ""
    return f"{new.name}: {before:,.0f} -> {after:,.0f} rows{analyzed}"


class _Comparison:
    def __init__(self, old: Snapshot, new: Snapshot, limits: Thresholds) -> None:
        self.old, self.new, self.limits = old, new, limits
        self.cumulative = old.cumulative and new.cumulative
        self.old_tables = {t.key: t for t in old.tables}
        self.new_tables = {t.key: t for t in new.tables}
        self.old_tables_by_name = {t.name.lower(): t for t in old.tables}
        self.new_tables_by_name = {t.name.lower(): t for t in new.tables}
        self.new_indexes = {i.key: i for i in new.indexes}
        self.new_schema = _schema(new)
        self.findings: list[Regression] = []

    # -- templates -----------------------------------------------------------------------------------------
    def templates(self) -> int:
        compared = 0
        old_top = {t.fingerprint for t in self.old.templates if t.rank <= self.limits.top}
        for new in self.new.templates:
            old = self.old.template(new.fingerprint)
            if new.rank <= self.limits.top and new.fingerprint not in old_top:
                self._entered(new, old)
            if old is None:
                continue
            compared += 1
            old_mean, new_mean, basis = _means(old, new, self.cumulative)
            slower = _ratio(new_mean, old_mean)
            regressed = slower is not None and slower >= self.limits.time_factor
            regressed = regressed and new_mean is not None and new_mean >= self.limits.min_mean_ms
            times = {"old_mean_ms": old_mean, "new_mean_ms": new_mean, "time_ratio": slower, "time_basis": basis}
            if old.shape_fingerprint and new.shape_fingerprint and old.shape_fingerprint != new.shape_fingerprint:
                self._plan_changed(old, new, regressed, times)
            elif regressed:
                self.findings.append(
                    _finding(
                        "RG002",
                        Severity.ERROR if (slower or 0) >= self.limits.time_factor**2 else Severity.WARNING,
                        f"template {new.fingerprint} (rank {new.rank}) got {slower:.1f}x slower: mean "
                        f"{format_duration(old_mean)} -> {format_duration(new_mean)} ({basis}), plan unchanged",
                        "template",
                        new.fingerprint,
                        sql=new.sql,
                        **times,
                    )
                )
        return compared

    def _entered(self, new: TemplateSnapshot, old: TemplateSnapshot | None) -> None:
        where = "new in the workload" if old is None else f"rank {old.rank} before"
        self.findings.append(
            _finding(
                "RG006",
                Severity.INFO,
                f"template {new.fingerprint} entered the top {self.limits.top} at rank {new.rank} ({where}): "
                f"{new.calls:,} calls, {format_duration(new.total_ms)} in total, mean {format_duration(new.mean_ms)}",
                "template",
                new.fingerprint,
                sql=new.sql,
                rank=new.rank,
                old_rank=None if old is None else old.rank,
                calls=new.calls,
                total_ms=new.total_ms,
                mean_ms=new.mean_ms,
            )
        )

    def _plan_changed(
        self, old: TemplateSnapshot, new: TemplateSnapshot, regressed: bool, times: dict[str, Any]
    ) -> None:
        costlier = _ratio(new.cost, old.cost)
        if regressed:
            severity = Severity.ERROR
        elif costlier is not None and costlier >= self.limits.cost_factor:
            severity = Severity.WARNING
        else:
            severity = Severity.INFO
        changes = changed_nodes(old.shape, new.shape)
        changed_new = [node for _, nodes in changes for node in nodes]
        described = [f"{_side(old.shape, before)} -> {_side(new.shape, after)}" for before, after in changes]
        diagnosis = self._diagnosis(new, changed_new)
        context = self._context(old, new)
        parts = [f"plan of template {new.fingerprint} (rank {new.rank}) changed: " + "; ".join(described)]
        if old.cost is not None and new.cost is not None:
            factor = f" ({costlier:.1f}x)" if costlier else ""
            what, digits = ("bytes assigned", 0) if new.cost_unit == "bytes" else ("estimated cost", 2)
            parts.append(f"{what} {old.cost:,.{digits}f} -> {new.cost:,.{digits}f}{factor}")
        if times["new_mean_ms"] is not None and times["old_mean_ms"] is not None:
            ratio = f" ({times['time_ratio']:.1f}x)" if times["time_ratio"] else ""
            parts.append(
                f"mean {format_duration(times['old_mean_ms'])} -> {format_duration(times['new_mean_ms'])}{ratio}"
            )
        parts.extend(context)
        parts.extend(f"{item['code']} {item['name']}: {item['message']}. {item['suggestion']}" for item in diagnosis)
        self.findings.append(
            _finding(
                "RG001",
                severity,
                "; ".join(parts),
                "template",
                new.fingerprint,
                sql=new.sql,
                old_shape=old.shape,
                new_shape=new.shape,
                old_shape_fingerprint=old.shape_fingerprint,
                new_shape_fingerprint=new.shape_fingerprint,
                changed_nodes=[{"old": before, "new": after} for before, after in changes],
                old_cost=old.cost,
                new_cost=new.cost,
                cost_ratio=costlier,
                diagnosis=diagnosis,
                context=context,
                **times,
            )
        )

    def _diagnosis(self, new: TemplateSnapshot, changed: list[int]) -> list[dict[str, Any]]:
        """The plan rules' findings on the changed nodes of the new plan (on nodes reading the same tables when
        none is on a changed node itself)."""
        plan = plan_of(new)
        if plan is None or not changed:
            return []
        report = analyze_plan(plan, schema=self.new_schema, settings=self.new.settings)
        own = [finding for finding in report if finding.node_id in changed]
        if not own:
            tables = {plan[i].relation for i in changed if i < len(plan) and plan[i].relation}
            own = [finding for finding in report if plan[finding.node_id].relation in tables]
        return [finding.to_dict() for finding in own]

    def _context(self, old: TemplateSnapshot, new: TemplateSnapshot) -> list[str]:
        """What changed around the plan: the planner's row counts of its tables, indexes it used that are gone."""
        lines = []
        for name in sorted(set(old.relations) | set(new.relations)):
            change = _table_change(self.old_tables_by_name.get(name.lower()), self.new_tables_by_name.get(name.lower()))
            if change:
                lines.append(change)
        used = _indexes_in(old.shape)
        alive = {index.name for index in self.new.indexes}
        if self.new.indexes or self.new.engine == "postgres":
            lines.extend(f"index {name}, which the old plan used, no longer exists" for name in sorted(used - alive))
        return lines

    # -- indexes -------------------------------------------------------------------------------------------
    def indexes(self) -> None:
        used_before = {name for template in self.old.templates for name in _indexes_in(template.shape)}
        for old in self.old.indexes:
            new = self.new_indexes.get(old.key)
            if new is None:
                self._dropped(old, old.name in used_before)
            elif self.old.stats_reset == self.new.stats_reset:
                self._unused(old, new)

    def _dropped(self, old: IndexUsage, used_by_plans: bool) -> None:
        if old.table_key not in self.new_tables:
            return  # the table went with it: a schema change, not a regression
        why = "hot templates' plans used it" if used_by_plans else f"it had {old.scans or 0:,} scans"
        self.findings.append(
            _finding(
                "RG004",
                Severity.ERROR if used_by_plans else Severity.WARNING,
                f"index {old.key} on {old.table_key} is gone ({why}); to put it back: {old.definition or '?'}",
                "index",
                old.key,
                table=old.table_key,
                scans=old.scans,
                size_bytes=old.size_bytes,
                definition=old.definition,
                used_by_plans=used_by_plans,
            )
        )

    def _unused(self, old: IndexUsage, new: IndexUsage) -> None:
        if old.scans is None or new.scans is None or not old.scans or new.scans != old.scans:
            return  # never used (hygiene, not a regression), or still used
        before, after = self.old_tables.get(old.table_key), self.new_tables.get(new.table_key)
        reads_before = before.reads if before is not None else None
        reads_after = after.reads if after is not None else None
        if reads_before is None or reads_after is None or reads_after <= reads_before:
            return  # the table was not read in between: nothing says the index should have been
        seq = (after.seq_scans or 0) - (before.seq_scans or 0) if after is not None and before is not None else 0
        self.findings.append(
            _finding(
                "RG003",
                Severity.WARNING,
                f"index {new.key} on {new.table_key} was not used since the old snapshot ({new.scans:,} scans "
                f"then and now) while the table was read {reads_after - reads_before:,} times ({seq:,} sequential "
                "scans)",
                "index",
                new.key,
                table=new.table_key,
                scans=new.scans,
                table_reads=reads_after - reads_before,
                seq_scans=seq,
                size_bytes=new.size_bytes,
            )
        )

    # -- clustering ----------------------------------------------------------------------------------------
    def clustering(self) -> None:
        old_by_table = {c.key: c for c in self.old.clustering}
        for new in self.new.clustering:
            old = old_by_table.get(new.key)
            if old is None or old.average_depth is None or new.average_depth is None:
                continue
            grown = _ratio(new.average_depth, old.average_depth)
            if grown is None or grown < self.limits.depth_factor or new.average_depth - old.average_depth < 1:
                continue
            self.findings.append(
                _finding(
                    "RG005",
                    Severity.WARNING,
                    f"clustering of {new.table} by {new.cluster_by_keys or '?'} degraded: average depth "
                    f"{old.average_depth:,.2f} -> {new.average_depth:,.2f} ({grown:.1f}x), average overlaps "
                    f"{old.average_overlaps or 0:,.2f} -> {new.average_overlaps or 0:,.2f} over "
                    f"{new.total_partition_count or 0:,} partitions",
                    "table",
                    new.table,
                    cluster_by_keys=new.cluster_by_keys,
                    old_average_depth=old.average_depth,
                    new_average_depth=new.average_depth,
                    depth_ratio=grown,
                    old_average_overlaps=old.average_overlaps,
                    new_average_overlaps=new.average_overlaps,
                    total_partition_count=new.total_partition_count,
                )
            )


def _summary(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "taken_at": snapshot.taken_at.isoformat(timespec="seconds"),
        "engine": snapshot.engine,
        "database": snapshot.database,
        "templates": len(snapshot.templates),
        "workload": snapshot.workload,
    }


def compare_snapshots(
    old: Snapshot,
    new: Snapshot,
    *,
    time_factor: float = 1.5,
    min_mean_ms: float = 1.0,
    top: int = 10,
    cost_factor: float = 1.5,
    depth_factor: float = 1.5,
    fail_on: Severity | str = Severity.WARNING,
) -> RegressionReport:
    """The regressions from ``old`` to ``new`` (see the module's docstring for what is checked)."""
    limits = Thresholds(time_factor, min_mean_ms, cost_factor, depth_factor, top)
    limits.check()
    if old.engine != new.engine:
        raise ValueError(f"cannot compare a {old.engine} snapshot with a {new.engine} one")
    comparison = _Comparison(old, new, limits)
    compared = comparison.templates()
    comparison.indexes()
    comparison.clustering()
    report = RegressionReport(
        sorted(comparison.findings, key=Regression.sort_key),
        old=_summary(old),
        new=_summary(new),
        thresholds=limits.to_dict(),
        fail_on=Severity.parse(fail_on),
        compared=compared,
    )
    if old.database != new.database:
        report.notes.append(f"the snapshots are of different databases: {old.database} and {new.database}")
    if new.taken_at <= old.taken_at:
        report.notes.append("the new snapshot is not later than the old one: were they given in order?")
    if old.stats_reset != new.stats_reset:
        report.notes.append("the usage counters were reset between the snapshots: index usage is not compared")
    report.notes.extend(f"new snapshot: {note}" for note in new.notes)
    return report
