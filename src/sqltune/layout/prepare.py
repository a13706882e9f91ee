"""What every engine's advice starts from (:func:`prepare`): the gates that need no data, the ranked candidate
columns, a sample of the table through the connection, each template's probes, and every candidate key scored
by the simulator -- or a refusal naming the gate that failed (:func:`refuse`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqltune.layout import gates
from sqltune.layout.candidates import KeyColumn, candidate_keys, key_columns
from sqltune.layout.model import Gate, LayoutConfig, Recommendation
from sqltune.layout.ports import LayoutConnection
from sqltune.layout.probes import bound_columns, probes, scanned_fraction
from sqltune.layout.simulate import Layout, Probe, Sample
from sqltune.schema import Table, fold
from sqltune.workload.model import Template
from sqltune.workload.usage import UsageStats
from sqltune.workload.workload import Workload

__all__ = ["Prepared", "folded", "prepare", "refuse", "score_keys"]


def refuse(table: Table, engine: str, found: list[Gate], notes: Sequence[str] = ()) -> Recommendation:
    return Recommendation(table.name, engine, "none", gates=found, notes=list(notes))


def score_keys(
    sample: Sample, found: Sequence[Probe], keys: Sequence[tuple[KeyColumn, ...]], partition_rows: int
) -> list[tuple[tuple[KeyColumn, ...], float]]:
    """Each key with its weighted scanned fraction, best first (fewer columns first on a tie)."""
    scored = [
        (key, scanned_fraction(Layout(sample, tuple(c.part for c in key), partition_rows), found)[0]) for key in keys
    ]
    scored.sort(key=lambda item: (round(item[1], 9), len(item[0])))
    return scored


@dataclass(slots=True)
class Prepared:
    """What both engines start from: the passed gates, the ranked columns, the sample and its probes."""

    rec: Recommendation
    columns: list[KeyColumn]
    templates: list[Template]
    sample: Sample
    probes: list[Probe]
    scored: list[tuple[tuple[KeyColumn, ...], float]]


def prepare(
    workload: Workload,
    usage: UsageStats,
    table: Table,
    connection: LayoutConnection,
    config: LayoutConfig,
    engine: str,
    found: list[Gate],
) -> Prepared | Recommendation:
    """Gates that need no data, then candidates, the sample, probes and every key scored; or a refusal."""
    known_as = table.qualified_name  # how the usage statistics name it (the schema resolved the workload)
    table_usage = usage.table(known_as)
    found += [
        gates.reads(table_usage.reads.calls, config.min_reads),
        gates.read_write(table_usage.reads.calls, table_usage.write_weight.calls, config.min_read_write_ratio),
    ]
    if any(not g.passed for g in found):
        return refuse(table, engine, sorted(found, key=lambda g: g.passed))
    stats = table.stats
    rows = stats.rows if stats is not None else None
    distinct = {name: (c.stats.distinct if c.stats is not None else None) for name, c in table.columns.items()}
    columns = key_columns(usage, known_as, distinct, rows, near_unique=config.near_unique)
    if not any(c.tier == 0 for c in columns):
        found.append(Gate("candidates", False, "the workload filters no column of this table"))
        return refuse(table, engine, sorted(found, key=lambda g: g.passed))
    templates = [t for t in workload.templates if t.fingerprint in usage.graphs]
    needed = sorted(({c.column for c in columns} | bound_columns(templates, usage, table.name)) & set(table.columns))
    # BigQuery has no session dataset: its tables go by their full name.
    sampled = table.qualified_name if engine == "bigquery" else table.name
    sample = Sample.from_columns(folded(connection.layout_sample(sampled, needed, config.sample_rows)))
    if any(distinct.get(c) is None for c in needed):  # no statistics (Snowflake): estimate from the sample
        for column in needed:
            if distinct.get(column) is None and sample.rows:
                seen = sample.columns[column].distinct
                near_unique = seen / sample.rows > config.near_unique
                distinct[column] = seen * (rows or sample.rows) / sample.rows if near_unique else seen
        columns = key_columns(usage, known_as, distinct, rows or sample.rows, near_unique=config.near_unique)
    timed = any(t.total_ms for t in templates)
    found_probes = probes(templates, usage, table.name, sample, timed)
    keys = candidate_keys(
        columns,
        max_key_columns=config.max_key_columns,
        low_cardinality=config.low_cardinality,
        top=config.candidate_columns,
    )
    if not keys:
        found.append(Gate("candidates", False, f"every filtered column has at most {config.low_cardinality} values"))
        return refuse(table, engine, sorted(found, key=lambda g: g.passed))
    # Keys are compared at one engine-neutral granularity; BRIN ranges and the evidence use the engine's.
    scored = score_keys(sample, found_probes, keys, -(-sample.rows // max(1, config.partitions)))
    rec = Recommendation(table.name, engine, "none", tuple(c.text for c in scored[0][0]), gates=found)
    rec.candidates = [(tuple(c.text for c in key), fraction) for key, fraction in scored]
    rec.details["distinct"] = {c.column: c.distinct for c in columns}
    return Prepared(rec, columns, templates, sample, found_probes, scored)


def folded(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {fold(name): values for name, values in columns.items()}
