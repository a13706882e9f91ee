"""Plan rules about how tables are read: scans that read far more than they return, lossy bitmaps, heap
fetches on index-only scans, casts that keep an index out, repeated inner scans, poor partition pruning."""

from __future__ import annotations

from collections.abc import Iterator

from sqltune.plans import PlanNode
from sqltune.rules.plan._util import STRING_TYPES, column_casts, memory_setting, parse_memory, pct, predicates, rows
from sqltune.rules.plan.base import PlanContext, PlanRule, PlanViolation, scaled

__all__ = [
    "RULES",
    "CastOnColumn",
    "HeapFetches",
    "IndexFilterDiscards",
    "LossyBitmap",
    "PartitionPruning",
    "SeqScanFilter",
    "SeqScanInLoop",
    "examined",
]

#: A scan reading fewer rows than this per execution is cheap whatever its filter does.
LARGE_SCAN_ROWS = 10_000
#: Share of the examined rows a filter must discard for SQ301 (90 %) and SQ305 (50 %).
SEQ_DISCARD = 0.9
INDEX_DISCARD = 0.5


def examined(node: PlanNode) -> float | None:
    """Rows the scan looked at over all its loops: returned plus removed by filters (actuals only)."""
    if node.act_rows is None or node.never_executed:
        return None
    scanned = node.details.get("rows_scanned")
    if isinstance(scanned, int | float) and scanned > 0:
        return float(scanned)
    loops = node.act_loops or 1.0
    return (node.act_rows + sum(node.rows_removed.values())) * loops


def _estimated_examined(node: PlanNode, ctx: PlanContext) -> tuple[float, float] | None:
    """(rows examined per loop, share removed) from the estimates: MySQL's ``rows_examined_per_scan`` and
    ``filtered``, or the table's row count from the schema's statistics."""
    per_scan = node.details.get("rows_examined_per_scan")
    filtered = node.details.get("filtered")
    if isinstance(per_scan, int | float) and isinstance(filtered, int | float):
        return float(per_scan), 1.0 - float(filtered) / 100.0
    table = ctx.table(node.relation)
    if table is not None and table.stats is not None and table.stats.rows and node.est_rows is not None:
        return float(table.stats.rows), max(0.0, 1.0 - node.est_rows / float(table.stats.rows))
    return None


def _filter(node: PlanNode) -> str | None:
    return node.conditions.get("Filter")


def own(node: PlanNode, table: str) -> bool:
    """Whether a column qualifier names the node's relation (unqualified columns do)."""
    return not table or table.lower() in {(node.alias or "").lower(), (node.relation or "").lower()}


def index_columns(ctx: PlanContext, node: PlanNode, *conditions: str | None) -> list[str]:
    """Columns of ``node``'s table for an index serving these conditions: equality tests first, then the first
    range test. Columns of other tables (outer parameters of a join) are left out."""
    equal: list[str] = []
    ranged: list[str] = []
    for condition in conditions:
        if not condition:
            continue
        for predicate in predicates(condition, ctx.dialect):
            if not own(node, predicate.table):
                continue
            if predicate.kind == "eq" and predicate.column not in equal:
                equal.append(predicate.column)
            elif predicate.kind == "range" and predicate.column not in ranged:
                ranged.append(predicate.column)
    return equal + [c for c in ranged[:1] if c not in equal]


def create_index(ctx: PlanContext, table: str | None, columns: list[str]) -> str:
    if not columns or not table:
        return "an index (or an expression index) matching the filter"
    if ctx.dialect == "mysql":
        return f"`ALTER TABLE {table} ADD INDEX ({', '.join(columns)})`"
    return f"`CREATE INDEX ON {table} ({', '.join(columns)})`"


class SeqScanFilter(PlanRule):
    """SQ301: a full scan of a large table whose filter throws away most of the rows it read."""

    code = "SQ301"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if node.operator != "Seq Scan" or not _filter(node):
                continue
            total = examined(node)
            if total is not None and node.removed_share is not None:
                removed, per_loop = node.removed_share, total / (node.act_loops or 1.0)
                what = f"reads {rows(total)} rows"
            elif not ctx.analyzed and (estimate := _estimated_examined(node, ctx)) is not None:
                per_loop, removed = estimate
                what = f"is expected to read {rows(per_loop)} rows"
            else:
                continue
            if per_loop < LARGE_SCAN_ROWS or removed < SEQ_DISCARD:
                continue
            columns = index_columns(ctx, node, _filter(node))
            if ctx.dialect == "duckdb":
                fix = f"sort or cluster {node.relation} on {', '.join(columns) or 'the filtered column'} so that "
                fix += "zone maps skip row groups"
            else:
                fix = f"add {create_index(ctx, node.relation, columns)} so that only the matching rows are read"
            yield PlanViolation(
                node,
                f"{node.label} {what} and its filter `{_filter(node)}` discards {pct(removed)} of them",
                fix[0].upper() + fix[1:],
                scaled(ctx.share(node), removed),
            )


class IndexFilterDiscards(PlanRule):
    """SQ305: an index scan whose index condition is too loose, so a filter discards most rows it fetched."""

    code = "SQ305"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if node.operator not in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan") or not _filter(node):
                continue
            removed_rows = node.rows_removed.get("Filter")
            if removed_rows is None or node.act_rows is None:
                continue
            loops = node.act_loops or 1.0
            share = removed_rows / (removed_rows + node.act_rows) if removed_rows + node.act_rows else 0.0
            if removed_rows * loops < 1000 or share < INDEX_DISCARD:
                continue
            index_cond = node.conditions.get("Index Cond") or node.conditions.get("Recheck Cond")
            columns = index_columns(ctx, node, index_cond, _filter(node))
            yield PlanViolation(
                node,
                f"{node.label} fetches {rows((removed_rows + node.act_rows) * loops)} rows through "
                f"`{index_cond}` and its filter `{_filter(node)}` discards {pct(share)} of them",
                f"Put the filtered columns into the index: {create_index(ctx, node.relation, columns)} "
                "(equality columns first, the range column last)",
                scaled(ctx.share(node), share),
            )


class LossyBitmap(PlanRule):
    """SQ306: a bitmap heap scan whose bitmap did not fit in work_mem and went lossy (whole pages rechecked)."""

    code = "SQ306"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            lossy = node.lossy_heap_blocks or 0.0
            if node.operator != "Bitmap Heap Scan" or lossy <= 0:
                continue
            exact = node.exact_heap_blocks or 0.0
            fraction = lossy / (exact + lossy)
            if fraction < 0.1:
                continue
            # A TID bitmap costs roughly 64 bytes per heap page held exactly (hash entry + page bitmap).
            needed = (exact + lossy) * 64 / 1024 * 2
            current = parse_memory(ctx.setting("work_mem"))
            target = memory_setting(max(needed, (current or 0) * 2, 1024))
            rechecked = node.rows_removed.get("Index Recheck", 0.0)
            yield PlanViolation(
                node,
                f"{node.label} held {rows(lossy)} of {rows(exact + lossy)} heap pages lossily"
                f" ({pct(fraction)}): every row on those pages was rechecked"
                + (f", {rows(rechecked)} rows discarded" if rechecked else ""),
                f"Raise work_mem for this query (`SET work_mem = '{target}'`"
                + (f", now {ctx.setting('work_mem')}" if ctx.setting("work_mem") else "")
                + ") so the bitmap stays exact",
                scaled(ctx.share(node), fraction * 0.5),
            )


class HeapFetches(PlanRule):
    """SQ307: an index-only scan that still visits the heap because the visibility map is stale."""

    code = "SQ307"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if node.operator != "Index Only Scan" or not node.heap_fetches:
                continue
            returned = node.total_rows or 0.0
            fetches = node.heap_fetches
            fraction = min(1.0, fetches / returned) if returned else 1.0
            if fetches < 1000 or fraction < 0.1:
                continue
            table = node.relation or "the table"
            yield PlanViolation(
                node,
                f"{node.label} fetched {rows(fetches)} heap tuples for {rows(returned)} rows ({pct(fraction)}): "
                "the visibility map does not mark those pages all-visible, so the scan is not index-only",
                f"Run `VACUUM (ANALYZE) {table}` and make autovacuum visit it more often "
                f"(`ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.01)`)",
                scaled(ctx.share(node), fraction * 0.5),
            )


class CastOnColumn(PlanRule):
    """SQ313: a cast applied to a column in an index condition, filter or join key (the index on it is unusable)."""

    code = "SQ313"
    _LABELS = ("Filter", "Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Join Cond")

    def _column_type(self, ctx: PlanContext, node: PlanNode, column: str) -> str | None:
        table = ctx.table(node.relation)
        if table is None:
            return None
        found = table.columns.get(column.lower())
        return found.type.lower() if found is not None and found.type else None

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            for label in self._LABELS:
                text = node.conditions.get(label)
                if not text:
                    continue
                for column, target in column_casts(text, ctx.dialect):
                    declared = self._column_type(ctx, node, column)
                    # varchar -> text is free and indexes still apply; only a non-string column cast to text
                    # (known from the schema) is a problem.
                    if target.startswith(STRING_TYPES) and (declared is None or declared.startswith(STRING_TYPES)):
                        continue
                    removed = node.removed_share if node.removed_share is not None else 0.5
                    of = f" (declared {declared})" if declared else ""
                    yield PlanViolation(
                        node,
                        f"{node.label}: {label} casts column {column}{of} to {target} in `{text}`, so no index "
                        f"on {column} can serve it",
                        f"Compare {column} with a value of its own type (cast the other side, or fix the parameter "
                        f"type), or index the expression `({column})::{target}`",
                        scaled(ctx.share(node), removed),
                    )
                    break


class SeqScanInLoop(PlanRule):
    """SQ318: a full scan on the inner side of a nested loop, repeated once per outer row."""

    code = "SQ318"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            if node.operator != "Seq Scan":
                continue
            loops = node.act_loops if node.act_loops is not None else node.est_loops
            if loops is None or loops < 10:
                continue
            if any("buffer_type" in a.details or "block-nl-join" in a.original for a in ctx.plan.ancestors(node)):
                continue  # MySQL/MariaDB's join buffer: the table is read once per buffer fill, not per row
            per_loop = examined(node)
            per_loop = per_loop / loops if per_loop is not None else node.est_rows
            if per_loop is None or per_loop * loops < LARGE_SCAN_ROWS:
                continue
            join = next((a for a in ctx.plan.ancestors(node) if a.operator == "Nested Loop"), None)
            between = []
            for ancestor in ctx.plan.ancestors(node):
                if ancestor is join:
                    break
                between.append(ancestor.operator)
            if join is None or {"Materialize", "Memoize", "Hash"} & set(between):
                continue  # read once and replayed from memory, not rescanned
            condition = (join.conditions.get("Join Filter") if join else None) or _filter(node)
            columns = [
                p.column for p in predicates(condition or "", ctx.dialect) if p.kind == "eq" and own(node, p.table)
            ]
            yield PlanViolation(
                node,
                f"{node.label} runs {rows(loops)} times (once per outer row), reading about {rows(per_loop)} rows "
                "each time",
                (
                    f"Index the join column ({create_index(ctx, node.relation, columns[:1])})"
                    if columns
                    else f"Index the column {node.relation} is joined on"
                )
                + " so each loop is a lookup, or make the join an equi-join the planner can hash",
                # a lookup per loop replaces both the repeated scan and the join filter the loop evaluates
                scaled(None if ctx.basis is None else (ctx.share(node) or 0) + (ctx.share(join) or 0), 1 - 1 / loops),
            )


class PartitionPruning(PlanRule):
    """SQ319: a Snowflake table scan that reads most micro-partitions although the query filters the table."""

    code = "SQ319"

    def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
        for node in ctx.plan:
            total = node.details.get("partitions_total")
            read = node.details.get("partitions_scanned", node.details.get("partitions_assigned"))
            if not isinstance(total, int | float) or not isinstance(read, int | float) or total < 100:
                continue
            fraction = read / total
            parent = ctx.plan.parent(node)
            condition = parent.conditions.get("Filter") if parent is not None else None
            if fraction < 0.8 or not condition:
                continue
            known = parent is not None and parent.removed_share is not None
            removed = parent.removed_share if parent is not None and parent.removed_share is not None else 0.5
            if known and removed < 0.5:
                continue  # the filter keeps most rows: reading most partitions is right
            columns = [p.column for p in predicates(condition, ctx.dialect) if p.kind in ("eq", "range")]
            key = ", ".join(dict.fromkeys(columns)) or "the filtered column"
            keeps = f" keeps {pct(1 - removed)} of the rows" if known else " filters it"
            yield PlanViolation(
                node,
                f"{node.label} reads {rows(read)} of {rows(total)} micro-partitions ({pct(fraction)}) although "
                f"the filter `{condition}`{keeps}: pruning does not work on it",
                f"Cluster {node.relation} on the filter column (`ALTER TABLE {node.relation} CLUSTER BY ({key})`) "
                "or filter on a column the table is clustered by",
                scaled(ctx.share(node), removed),
            )


RULES: list[type[PlanRule]] = [
    SeqScanFilter,
    IndexFilterDiscards,
    LossyBitmap,
    HeapFetches,
    CastOnColumn,
    SeqScanInLoop,
    PartitionPruning,
]
