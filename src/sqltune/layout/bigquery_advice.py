"""The layout advisor on BigQuery (:func:`advise_bigquery`): partitioning and clustering for one table, with the
simulated share of the table each template scans before and after, and what that saves per 30 days in bytes
processed and slot time.

1. Gates: table size (``cluster_min_bytes``), reads and the read-to-write ratio (:mod:`~sqltune.layout.prepare`).
2. The partition column: the first filtered column (by weight) that a template's filter prunes on, of type
   DATE, TIMESTAMP or DATETIME, else INT64; partitioned when the table passes ``partition_min_bytes`` and a
   unit fits (:func:`~sqltune.layout.bigquery.choose_partitioning`).
3. The clustering columns: keys of up to ``bq_cluster_columns`` of the ranked columns (as columns: BigQuery
   clusters by columns, not expressions; of a type ``CLUSTER BY`` takes), each scored by the simulator inside
   the partitioning in effect afterwards (the proposed one, else the current one); blocks never span two
   partitions, and the share scanned counts rows, as bytes billed do.
4. The current layout (the table's ``PARTITION BY`` and clustering columns) is simulated the same way. BigQuery
   prunes by the partitioning and the clustering columns only: a filter on another column prunes nothing, and
   a table neither partitioned nor clustered is scanned whole by every query.
5. ``partition``: copy-and-swap (the partitioning of a table cannot be changed in place); ``cluster_by``: the
   clustering columns set in place (``bq update``), with the copy-and-swap that also reclusters the rows
   already stored in ``details["rewrite"]``.
"""

from __future__ import annotations

from typing import Any

from sqltune.layout import bigquery as bq
from sqltune.layout import gates
from sqltune.layout import savings as money
from sqltune.layout.candidates import KeyColumn, candidate_keys
from sqltune.layout.model import Evidence, Gate, LayoutConfig, Recommendation
from sqltune.layout.ports import JobUsageConnection
from sqltune.layout.prepare import Prepared, prepare, refuse
from sqltune.layout.probes import bound_columns, scanned_share
from sqltune.layout.simulate import KeyPart, Layout, Probe, Sample
from sqltune.schema import Schema, Table
from sqltune.workload.usage import UsageStats
from sqltune.workload.workload import Workload

__all__ = ["advise_bigquery"]


def advise_bigquery(
    workload: Workload,
    usage: UsageStats,
    table: Table,
    connection: JobUsageConnection,
    config: LayoutConfig,
    schema: Schema,
) -> Recommendation:
    """One table's recommendation (see the module)."""
    size = table.stats.size_bytes if table.stats is not None else None
    found = [gates.size(size, config.cluster_min_bytes, "clustering")]
    prepared = prepare(workload, usage, table, connection, config, "bigquery", found)
    if isinstance(prepared, Recommendation):
        return prepared
    rec, sample = prepared.rec, prepared.sample
    columns = _cluster_columns(prepared, table)
    prunable = bound_columns(prepared.templates, usage, table.name)
    block_rows = -(-sample.rows // max(1, config.partitions))

    current_expression = next((i.columns[0] for i in table.indexes if i.method == "partition"), None)
    current_part = bq.parse_partitioning(current_expression) if current_expression else None
    current_cluster = next((tuple(i.columns) for i in table.indexes if i.method == "clustering"), ())
    if current_expression and current_part is None:
        rec.notes.append(f"partitioned by {current_expression}: no column filter prunes it; simulated as unpartitioned")

    partition, partition_gate = _partitioning(prepared, table, columns, prunable, size, config)
    kept = ""
    if partition is not None and current_part is not None and partition.part[0] == current_part[0]:
        # Partitioned on the column already: a new unit is no reason to copy the table; clustering is.
        kept = f"already partitioned by {current_expression} (by {partition.unit} if it were new): kept"
        partition = None
    effective = partition.part if partition is not None else current_part

    keys: list[tuple[KeyColumn, ...]] = candidate_keys(
        columns,
        max_key_columns=min(4, config.bq_cluster_columns),
        low_cardinality=config.low_cardinality,
        top=config.candidate_columns,
    )
    if partition is not None or current_part is not None:
        keys.append(())  # the partitioning alone
    if not keys:
        rec.gates.append(Gate("candidates", False, "no filtered column of a type CLUSTER BY takes"))
        return refuse(table, "bigquery", sorted(rec.gates, key=lambda g: g.passed), rec.notes)
    scored = [(key, _share(sample, effective, [c.column for c in key], block_rows, prepared.probes)[0]) for key in keys]
    scored.sort(key=lambda item: (round(item[1], 9), len(item[0])))
    best = [c.column for c in scored[0][0]]
    rec.candidates = [((*_shown(partition), *(c.column for c in key)), share) for key, share in scored]

    after_layout = _layout(sample, effective, best, block_rows)
    after, after_shares = _share(sample, effective, best, block_rows, prepared.probes)
    before, before_shares = _share(
        sample, current_part, [c.lower() for c in current_cluster], block_rows, prepared.probes
    )

    name = table.qualified_name
    if partition is not None:
        rec.kind, rec.key = "partition", (partition.expression, *best)
        rec.gates.append(partition_gate)
        rec.gates.append(
            Gate(
                "current_layout",
                True,
                f"partitioned by {current_expression}" if current_expression else "not partitioned",
            )
        )
        rec.ddl = bq.copy_and_swap(name, partition.expression, best)
        rec.warnings.extend(_swap_warnings(table, size))
    else:
        rec.kind, rec.key = "cluster_by", tuple(best)
        rec.notes.append(kept or f"no partitioning: {partition_gate.detail}")
        rec.gates.append(
            gates.current_layout(current_cluster, best, "clustered")
            if best
            else Gate("current_layout", False, f"already partitioned by {current_expression}; no clustering scans less")
        )
        if best:
            rec.commands = [bq.cluster_command(name, best)]
            rec.details["rewrite"] = bq.copy_and_swap(name, current_expression, best)
            rec.notes.append(
                "bq update sets the clustering columns only: BigQuery clusters the rows written from then on; the "
                "rows already stored keep their order until rewritten (details['rewrite'] copies and swaps the "
                "table to cluster them at once, a full scan); the saving below assumes every row clustered"
            )
    rec.gates.append(gates.saving(before, after, config.min_saving))
    rec.details["partitioning"] = {
        "current": current_expression,
        "clustering": list(current_cluster),
        "proposed": partition.expression if partition is not None else None,
        "partitions": partition.count if partition is not None else None,
    }
    shares = (before_shares, after_shares)
    _evidence(rec, prepared, usage, table, connection, config, schema, after_layout.partitions, shares)
    if rec.failed:
        rec.kind, rec.ddl, rec.commands = "none", [], []
        rec.details.pop("rewrite", None)
        rec.gates.sort(key=lambda g: g.passed)
    return rec


def _shown(partition: bq.Partitioning | None) -> tuple[str, ...]:
    return (partition.expression,) if partition is not None else ()


def _cluster_columns(prepared: Prepared, table: Table) -> list[KeyColumn]:
    """The ranked columns as plain columns of a type ``CLUSTER BY`` takes, each once (an expression's column
    stands for it: clustering by ``ts`` orders ``DATE(ts)`` too)."""
    found: dict[str, KeyColumn] = {}
    for c in prepared.columns:
        column = table.columns.get(c.column)
        if c.column in found or column is None or not bq.clusterable(column.type):
            continue
        data = prepared.sample.columns.get(c.column)
        distinct = c.distinct if c.distinct is not None else (float(data.distinct) if data is not None else None)
        found[c.column] = KeyColumn(c.column, c.tier, c.weight, distinct, None, c.column)
    return list(found.values())


def _partitioning(
    prepared: Prepared,
    table: Table,
    columns: list[KeyColumn],
    prunable: set[str],
    size: float | None,
    config: LayoutConfig,
) -> tuple[bq.Partitioning | None, Gate]:
    gate = gates.size(size, config.partition_min_bytes, "partitioning")
    gate.name = "partition_size"
    filtered = [c for c in columns if c.tier == 0 and c.column in prunable]
    types = {c.column: bq.base_type(table.columns[c.column].type) for c in filtered}
    pick = next((c for c in filtered if types[c.column] in bq.TIME_TYPES), None) or next(
        (c for c in filtered if types[c.column] == "INT64"), None
    )
    if pick is None:
        return None, Gate(gate.name, False, "no filtered DATE, TIMESTAMP, DATETIME or INT64 column to partition by")
    if not gate.passed:
        return None, gate
    partition, why = bq.choose_partitioning(prepared.sample, pick.column, table.columns[pick.column].type, size, config)
    prepared.rec.notes.extend(why)
    if partition is None:
        return None, Gate(gate.name, False, "; ".join(why) or f"{pick.column} holds no value in the sample")
    return partition, gate


def _share(
    sample: Sample, partition: KeyPart | None, cluster: list[str], block_rows: int, probes: list[Probe]
) -> tuple[float, list[float]]:
    """The weighted share of rows scanned, and each template's, when BigQuery prunes by the partitioning and the
    clustering columns -- and by nothing else: a filter on another column reads every block it would have."""
    pruning = set(cluster) | ({partition if isinstance(partition, str) else partition[0]} if partition else set())
    restricted = [
        Probe(
            p.fingerprint,
            p.weight,
            [[[c for c in read if c.column in pruning] for read in reads] for reads in p.samples],
            p.location,
            p.text,
        )
        for p in probes
    ]
    return scanned_share(_layout(sample, partition, cluster, block_rows), restricted)


def _layout(sample: Sample, partition: KeyPart | None, cluster: list[str], block_rows: int) -> Layout:
    """Partitions (when partitioned), each cut in blocks of ``block_rows`` rows sorted by ``cluster``."""
    usable = [c for c in cluster if c in sample.columns]
    if partition is None or (isinstance(partition, tuple) and partition[0] not in sample.columns):
        return Layout(sample, tuple(usable), block_rows)
    return Layout(sample, (partition, *usable), block_rows, split_on=partition, blocks_in_splits=True)


def _swap_warnings(table: Table, size: float | None) -> list[str]:
    old = f"{table.name}_sqltune_old"
    shown = f" ({size / 1024**3:,.1f} GB logical)" if size else ""
    return [
        f"the copy is billed as a full scan of the table{shown} and doubles its storage until {old} is dropped "
        f"(DROP TABLE `{table.qualified_name.rpartition('.')[0]}.{old}` once the new table is checked)",
        "the copy is a new table: re-apply the table's description, labels, options (expiration, "
        "require_partition_filter), IAM policy and row-level access policies before the swap",
        "stop writers from the copy to the renames (rows written meanwhile are not copied); a table receiving "
        "streamed rows cannot be renamed until the streaming stops and its buffer is flushed",
    ]


def _evidence(
    rec: Recommendation,
    prepared: Prepared,
    usage: UsageStats,
    table: Table,
    connection: JobUsageConnection,
    config: LayoutConfig,
    schema: Schema,
    blocks: int,
    shares: tuple[list[float], list[float]],
) -> None:
    """Per template: the share scanned before and after (as blocks of the new layout) and the saving per 30
    days; in ``details["savings"]`` the table's totals and where the figures come from."""
    days: float | None = float(config.history_days)
    try:
        spent = money.from_jobs(connection.table_jobs(table.qualified_name, config.history_days), prepared.templates)
        source = f"INFORMATION_SCHEMA.JOBS, last {config.history_days} days"
    except Exception as error:  # the connector's errors: this layer may not import them
        spent, days = money.from_workload(prepared.templates)
        source = "the workload's bytes scanned" + (f" over {days:.1f} days" if days else "")
        rec.notes.append(f"no JOBS usage ({str(error).splitlines()[0]}): savings from the workload's own bytes")
    totals: dict[str, Any] = {"bytes": 0.0, "bytes_saved": 0.0, "slot_ms": None, "slot_ms_saved": None}
    missing = 0
    for probe, b, a in zip(prepared.probes, *shares, strict=True):
        evidence = Evidence(probe.fingerprint, probe.location, probe.text, probe.weight, blocks, b * blocks, a * blocks)
        rec.evidence.append(evidence)
        used = spent.get(probe.fingerprint)
        if used is None or days is None:
            missing += 1
            continue
        part = money.part_of(usage.graphs.get(probe.fingerprint), table, schema)
        evidence.bytes_saved, evidence.slot_ms_saved = money.saved(used, part, b, a, days)
        totals["bytes"] += used.bytes * part * 30.0 / days
        totals["bytes_saved"] += evidence.bytes_saved
        if used.slot_ms is not None and evidence.slot_ms_saved is not None:
            totals["slot_ms"] = (totals["slot_ms"] or 0.0) + used.slot_ms * part * 30.0 / days
            totals["slot_ms_saved"] = (totals["slot_ms_saved"] or 0.0) + evidence.slot_ms_saved
    if missing < len(rec.evidence):
        rec.details["savings"] = {**totals, "source": source, "templates_without_usage": missing}
    elif rec.evidence:
        rec.notes.append("no bytes for the templates reading this table: savings in bytes unknown")
