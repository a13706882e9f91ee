"""Probes: each template's filters on one table, with each literal sample resolved on the sample's axes, and
the weighted scanned fraction of a layout over them (:func:`scanned_fraction`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sqltune.layout.predicates import Bound, constant, literal_slots, scans_of
from sqltune.layout.simulate import ColumnData, Condition, Layout, Probe, Sample
from sqltune.workload.fingerprint import literals
from sqltune.workload.model import Template
from sqltune.workload.usage import UsageStats

__all__ = ["bound_columns", "probes", "scanned_fraction", "scanned_share"]


def bound_columns(templates: Sequence[Template], usage: UsageStats, table: str) -> set[str]:
    """The columns of ``table`` the templates' pruning filters compare."""
    found: set[str] = set()
    for template in templates:
        graph = usage.graphs.get(template.fingerprint)
        if graph is not None:
            found.update(bound.column for scan in scans_of(graph, table) for bound in scan)
    return found


def probes(templates: Sequence[Template], usage: UsageStats, table: str, sample: Sample, timed: bool) -> list[Probe]:
    """One :class:`Probe` per template that reads ``table``, weighted by its time (calls when untimed)."""
    found = []
    for template in templates:
        graph = usage.graphs.get(template.fingerprint)
        scans = scans_of(graph, table) if graph is not None else []
        if graph is None or not scans:
            continue
        example = literals(template.example)
        slots = literal_slots(graph.statement, example)
        shapes = [s for s in template.samples if len(s) == len(example)] or [example]
        resolved = [[_conditions(scan, slots, shape, sample) for scan in scans] for shape in shapes]
        weight = template.total_ms if timed else float(template.calls)
        found.append(Probe(template.fingerprint, weight, resolved, template.location, template.readable))
    return found


def _conditions(scan: list[Bound], slots: dict[int, int], shape: tuple[str, ...], sample: Sample) -> list[Condition]:
    conditions = []
    for bound in scan:
        column = sample.columns.get(bound.column)
        if column is None:
            continue
        axis = column
        if bound.function is not None and bound.function[0] == "year":
            axis = ColumnData(np.empty(0), "number")
        values = [constant(value, slots, shape) for value in bound.values]
        if any(v is None for v in values):
            continue
        intervals = axis.interval(bound.op, values)
        if intervals is not None:
            conditions.append(Condition(bound.column, intervals, bound.function))
    return conditions


def scanned_fraction(layout: Layout, found: Sequence[Probe]) -> tuple[float, list[float]]:
    """The weighted mean fraction of partitions scanned, and each probe's partitions scanned."""
    counts = [layout.scanned(probe) for probe in found]
    total = sum(p.weight for p in found)
    if not found or not layout.partitions:
        return 1.0, counts
    if total <= 0:
        return float(np.mean(counts)) / layout.partitions, counts
    return sum(p.weight * c for p, c in zip(found, counts, strict=True)) / total / layout.partitions, counts


def scanned_share(layout: Layout, found: Sequence[Probe]) -> tuple[float, list[float]]:
    """The weighted mean share of rows in the partitions scanned, and each probe's share: what bytes billed
    follow where partitions differ in size (BigQuery's partitions and blocks)."""
    rows = max(1, layout.sample.rows)
    shares = [layout.scanned_rows(probe) / rows for probe in found]
    total = sum(p.weight for p in found)
    if not found:
        return 1.0, shares
    if total <= 0:
        return float(np.mean(shares)), shares
    return sum(p.weight * s for p, s in zip(found, shares, strict=True)) / total, shares
