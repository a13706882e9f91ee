"""The layout advisor: :func:`advise_layout` turns a workload and a live connection into a
:class:`~sqltune.layout.model.LayoutPlan`.

Per table the workload reads: the gates that need no data (size, reads, read/write ratio, churn); the candidate
keys (:mod:`~sqltune.layout.candidates`); a page sample of the table (through the connection's
:class:`~sqltune.layout.ports.LayoutConnection` port); the pruning simulator scores the current order and every
candidate over the templates and their literal samples; the best key passes the saving and current-layout
gates; the engine module picks the layout and writes the DDL (:mod:`~sqltune.layout.postgres`). With
``validate=True`` the recommendation is built on a copy of the table and the templates are timed before and
after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqltune.layout import bigquery as bq
from sqltune.layout import gates
from sqltune.layout import postgres as pg
from sqltune.layout import snowflake as sf
from sqltune.layout.bigquery_advice import advise_bigquery
from sqltune.layout.model import Evidence, LayoutConfig, LayoutPlan, Recommendation
from sqltune.layout.ports import ClusteringConnection, LayoutConnection
from sqltune.layout.prepare import prepare, score_keys
from sqltune.layout.probes import bound_columns, scanned_fraction
from sqltune.layout.simulate import Layout
from sqltune.schema import Table
from sqltune.workload.usage import UsageStats
from sqltune.workload.workload import Workload

__all__ = ["advise_layout", "score_keys"]


def advise_layout(
    workload: Workload,
    connection: LayoutConnection,
    *,
    tables: Iterable[str] | None = None,
    schemas: Iterable[str] | None = None,
    config: LayoutConfig | None = None,
    validate: bool = False,
) -> LayoutPlan:
    """One recommendation per table the workload reads (or per table of ``tables``); see the module.

    ``schemas``: PostgreSQL's schemas to reflect (default ``public``); BigQuery's datasets (default: the
    dataset of the connection's URL, else those the workload's queries name in the connection's project);
    Snowflake reads the session's database.
    """
    config = config or LayoutConfig()
    engine = connection.dialect
    if engine not in ("postgres", "snowflake", "bigquery"):
        raise ValueError(f"layout advice for {engine} is not supported; expected postgres, snowflake or bigquery")
    if engine == "postgres":
        schema = connection.schema(tuple(schemas) if schemas is not None else ("public",))
    elif engine == "bigquery":
        named = getattr(connection, "dataset", None)  # bigquery://project/dataset
        default = (named,) if named else bq.datasets_of(workload, str(getattr(connection, "project", "")))
        schema = connection.schema(tuple(schemas) if schemas is not None else default)
    else:  # Snowflake's schema() takes a database and schema of its own; the session's are the default
        schema = connection.schema()
    usage = workload.usage(schema)
    wanted = {usage.name_of(t) for t in tables} if tables is not None else None
    plan = LayoutPlan()
    if usage.unparsed:
        plan.notes.append(f"{len(usage.unparsed)} templates did not parse and were left out")
    for name in sorted(usage.tables):
        if wanted is not None and name not in wanted:
            continue
        table = schema.table(name)
        if table is None:
            plan.notes.append(f"{name}: not in the database's schema (a CTE, a view or another schema)")
            continue
        if engine == "snowflake":
            plan.recommendations.append(_advise_snowflake(workload, usage, table, cast(Any, connection), config))
        elif engine == "bigquery":
            advice = advise_bigquery(workload, usage, table, cast(Any, connection), config, schema)
            plan.recommendations.append(advice)
        else:
            plan.recommendations.append(_advise_postgres(workload, usage, table, connection, config, validate))
    for name in sorted((wanted or set()) - set(usage.tables)):
        plan.notes.append(f"{name}: the workload does not read it")
    return plan


def _advise_postgres(
    workload: Workload,
    usage: UsageStats,
    table: Table,
    connection: LayoutConnection,
    config: LayoutConfig,
    validate: bool,
) -> Recommendation:
    stats = table.stats
    size = stats.size_bytes if stats is not None else None
    found = [
        gates.size(size, config.brin_min_bytes, "a layout change"),
        gates.churn(
            stats.inserts if stats else None,
            stats.updates if stats else None,
            stats.deletes if stats else None,
            config.max_churn,
        ),
    ]
    prepared = prepare(workload, usage, table, connection, config, "postgres", found)
    if isinstance(prepared, Recommendation):
        return prepared
    rec, columns, templates = prepared.rec, prepared.columns, prepared.templates
    sample, found_probes, best_key = prepared.sample, prepared.probes, prepared.scored[0][0]
    filtered = [c for c in columns if c.tier == 0]
    facts = connection.layout_facts(table.name)
    ppr, _, partition_rows = pg.choose_pages_per_range(sample, found_probes, table)
    current = Layout(sample, (), partition_rows)
    # PostgreSQL prunes blocks only through a BRIN index or partitions: without either, every range is read.
    if any(i.method == "brin" for i in table.indexes) or facts.get("partition_key"):
        before, before_counts = scanned_fraction(current, found_probes)
    else:
        before, before_counts = 1.0, [float(current.partitions)] * len(found_probes)

    # BRIN: a filtered column already in physical order; it keeps the current order, so "after" is it.
    prunable = bound_columns(templates, usage, table.name)
    filtered = [c for c in filtered if c.column in prunable] or filtered
    brin_gates = [pg.correlation_gate(table, c.column, config.brin_min_correlation) for c in filtered[:3]]
    correlated = next((c for c, g in zip(filtered, brin_gates, strict=False) if g.passed), None)
    if correlated is not None and 1.0 - scanned_fraction(current, found_probes)[0] < config.min_saving:
        rec.notes.append(f"no BRIN on {correlated.column}: in the current order it would skip too little")
        correlated = None
    # Partitioning: a time column first, larger than memory, append-mostly (the churn gate passed above).
    # The partition column: the best key's first date or timestamp column, else the most used filtered one
    # (partition pruning works on the partition bounds alone, whatever the order inside).
    is_time = [c for c in (*best_key, *filtered) if sample.columns[c.column].kind in ("date", "timestamp")]
    timed_part = is_time[0] if is_time else None
    span = pg.date_range(sample, timed_part.column) if timed_part is not None else None
    memory = config.pg_partition_min_bytes if config.pg_partition_min_bytes is not None else facts.get("memory_bytes")
    partition_gate = pg.memory_gate(size, memory)
    if span is not None and timed_part is not None and partition_gate.passed:
        by_month = (timed_part.column, ("trunc_date", "month"))
        after_layout = Layout(sample, (timed_part.column,), partition_rows, split_on=by_month)
        before, before_counts = 1.0, [float(after_layout.partitions)] * len(found_probes)
        rec.kind, rec.key = "partition", (timed_part.column,)
        rec.gates.append(partition_gate)
        rec.ddl, rec.warnings = pg.partition_ddl(table, timed_part.column, span[0], span[1], config)
        rec.gates.append(gates.current_layout(facts.get("partition_key") or (), rec.key, "partitioned"))
    elif correlated is not None:
        rec.kind, rec.key = "brin", (correlated.column,)
        after_layout = current
        rec.gates.append(next(g for c, g in zip(filtered, brin_gates, strict=False) if c is correlated))
        existing = [i for i in table.indexes if i.method == "brin" and i.columns[:1] == (correlated.column,)]
        rec.gates.append(gates.current_layout(existing[0].columns if existing else (), rec.key, "BRIN-indexed"))
        rec.ddl = [pg.brin_ddl(table.name, [correlated.column], ppr)]
        rec.notes.append(f"pages_per_range {ppr}: fewest pages read in the simulation (heap ranges plus index)")
    else:
        after_layout = Layout(sample, tuple(c.part for c in best_key), partition_rows)
        rec.kind = "cluster"
        rec.notes.extend(f"no BRIN: {g.detail}" for g in brin_gates)
        rec.notes.append(
            f"no partitioning: {partition_gate.detail}" if span else "no partitioning: no filtered time column"
        )
        rec.gates.append(gates.current_layout(facts.get("clustered_on") or (), rec.key, "clustered"))
        rec.ddl = pg.cluster_ddl(table.name, best_key, ppr)
        rec.notes.append(
            "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock; rows written later are not kept in order"
        )
    after, after_counts = scanned_fraction(after_layout, found_probes)
    rec.gates.append(gates.saving(before, after, config.min_saving))
    rec.evidence = [
        Evidence(p.fingerprint, p.location, p.text, p.weight, after_layout.partitions, b, a)
        for p, b, a in zip(found_probes, before_counts, after_counts, strict=True)
    ]
    if rec.failed:
        rec.kind, rec.ddl = "none", []
        rec.gates.sort(key=lambda g: g.passed)
        return rec
    if validate and rec.kind in ("brin", "cluster"):
        order = [c.text for c in best_key] if rec.kind == "cluster" else []
        ddl = [rec.ddl[-1]]  # the BRIN (the ordered copy stands for CLUSTER)
        queries = [
            (t.fingerprint, t.example) for t in templates if t.fingerprint in {p.fingerprint for p in found_probes}
        ]
        rec.measured = connection.measure_layout(table.name, queries, ddl, order)
    return rec


def _advise_snowflake(
    workload: Workload, usage: UsageStats, table: Table, connection: ClusteringConnection, config: LayoutConfig
) -> Recommendation:
    """CLUSTER BY the best key; search optimization for near-unique point lookups; clustering information of
    the current key and of the best candidates as evidence. The sample is a row sample in no order: the
    current order is simulated as unclustered, and the current key's real depth is in the evidence."""
    stats = table.stats
    found = [gates.size(stats.size_bytes if stats else None, config.cluster_min_bytes, "clustering")]
    try:
        dml = connection.table_dml(table.qualified_name, config.history_days)
        found.append(gates.dml_history(dml, config.history_days, config.max_churn))
    except Exception as error:  # the connector's errors: this layer may not import them
        found.append(gates.dml_history(None, config.history_days, config.max_churn, str(error).splitlines()[0]))
    prepared = prepare(workload, usage, table, connection, config, "snowflake", found)
    if isinstance(prepared, Recommendation):
        return prepared
    rec, sample, found_probes = prepared.rec, prepared.sample, prepared.probes
    best_key = prepared.scored[0][0]
    partition_rows = -(-sample.rows // max(1, config.partitions))
    current = Layout(sample, (), partition_rows)
    after_layout = Layout(sample, tuple(c.part for c in best_key), partition_rows)
    before, before_counts = scanned_fraction(current, found_probes)
    after, after_counts = scanned_fraction(after_layout, found_probes)
    existing = next((i.columns for i in table.indexes if i.method == "clustering"), ())
    rec.gates.append(gates.current_layout(existing, rec.key, "clustered"))
    rec.gates.append(gates.saving(before, after, config.min_saving))
    rec.evidence = [
        Evidence(p.fingerprint, p.location, p.text, p.weight, current.partitions, b, a)
        for p, b, a in zip(found_probes, before_counts, after_counts, strict=True)
    ]
    name = table.qualified_name
    clustering: dict[str, Any] = {}
    for label, columns in [("current", None if existing else ())] + [
        (", ".join(c.text for c in key), [c.text for c in key]) for key, _ in prepared.scored[:3]
    ]:
        if columns == ():
            continue  # no current key to measure
        try:
            clustering[label] = sf.ClusteringInfo.from_payload(
                connection.clustering_information(name, columns)
            ).to_dict()
        except Exception as error:  # the connector's errors: this layer may not import them
            rec.notes.append(f"SYSTEM$CLUSTERING_INFORMATION for {label}: {str(error).splitlines()[0]}")
    rec.details["clustering_information"] = clustering
    rows = stats.rows if stats is not None and stats.rows else sample.rows
    lookups = sf.point_lookup_columns(usage, table.qualified_name, rec.details["distinct"], rows, config.near_unique)
    lookups = [c for c in lookups if c not in {k.column for k in best_key}]
    if not rec.failed:
        _clustering_cost(rec, connection, name)
        rec.kind = "cluster_by"
        rec.ddl = [sf.cluster_by_ddl(name, rec.key)]
        if lookups:
            rec.ddl.append(sf.search_optimization_ddl(name, lookups))
        rec.notes.append("automatic clustering reclusters as rows change: it costs credits for as long as it is on")
        return rec
    if lookups and all(g.passed for g in rec.gates if g.name != "saving"):
        rec.kind, rec.key = "search_optimization", tuple(lookups)
        rec.ddl = [sf.search_optimization_ddl(name, lookups)]
        rec.notes.append(
            "point lookups on near-unique columns: min/max pruning cannot serve them, search optimization can"
        )
        return rec
    rec.gates.sort(key=lambda g: g.passed)
    return rec


def _clustering_cost(rec: Recommendation, connection: ClusteringConnection, name: str) -> None:
    """``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS`` of the recommended key in the evidence; when the account
    cannot answer it (no such function, no privilege), the reason instead."""
    try:
        cost = sf.ClusteringCost.from_payload(connection.clustering_cost(name, list(rec.key)))
    except Exception as error:  # the connector's errors: this layer may not import them
        reason = str(error).splitlines()[0]
        rec.details["clustering_cost"] = {"error": reason}
        rec.notes.append(f"SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS unavailable: {reason}")
        return
    rec.details["clustering_cost"] = cost.to_dict()
    rec.notes.append(f"automatic clustering, Snowflake's estimate: {cost.summary}")
