"""Snowflake layouts: ``ALTER TABLE ... CLUSTER BY``, or search optimization for point lookups, and
``SYSTEM$CLUSTERING_INFORMATION`` read in full as evidence.

- :class:`ClusteringInfo`: one ``SYSTEM$CLUSTERING_INFORMATION`` payload: the key, partitions, constant
  partitions, average overlaps and depth, the depth histogram (as ``{depth: partitions}``), notes and errors;
- :class:`ClusteringCost`: one ``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS`` payload: the credits to cluster
  the table once, the credits per day to keep it clustered (when Snowflake has the DML history to say), the
  comments and warnings;
- :func:`cluster_by_ddl`, :func:`search_optimization_ddl`;
- :func:`point_lookup_columns`: near-unique columns the workload looks up by equality or IN and never by
  range: min/max pruning does little for them whatever the order, search optimization does.

>>> info = ClusteringInfo.from_payload({"cluster_by_keys": "LINEAR(O_ORDERDATE)", "total_partition_count": 124,
...     "total_constant_partition_count": 96, "average_overlaps": 0.1129, "average_depth": 1.0645,
...     "partition_depth_histogram": {"00000": 0, "00001": 118, "00002": 4, "00003": 2}})
>>> info.histogram, info.columns
({1: 118, 2: 4, 3: 2}, ('O_ORDERDATE',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqltune.graph import ColumnRole
from sqltune.workload.usage import UsageStats

__all__ = ["ClusteringCost", "ClusteringInfo", "cluster_by_ddl", "point_lookup_columns", "search_optimization_ddl"]


@dataclass(slots=True)
class ClusteringInfo:
    cluster_by_keys: str
    total_partition_count: int
    total_constant_partition_count: int | None
    average_overlaps: float
    average_depth: float
    histogram: dict[int, int] = field(default_factory=dict)  # depth -> partitions (zero counts left out)
    notes: str = ""
    errors: list[Any] = field(default_factory=list)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ClusteringInfo:
        histogram = {
            int(depth): int(count)
            for depth, count in (payload.get("partition_depth_histogram") or {}).items()
            if int(count)
        }
        constant = payload.get("total_constant_partition_count")
        return cls(
            cluster_by_keys=str(payload.get("cluster_by_keys") or ""),
            total_partition_count=int(payload.get("total_partition_count") or 0),
            total_constant_partition_count=None if constant is None else int(constant),
            average_overlaps=float(payload.get("average_overlaps") or 0.0),
            average_depth=float(payload.get("average_depth") or 0.0),
            histogram=histogram,
            notes=str(payload.get("notes") or ""),
            errors=list(payload.get("clustering_errors") or []),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The key's expressions (``LINEAR(a, TO_DATE(b))`` -> ``("a", "TO_DATE(b)")``)."""
        text = self.cluster_by_keys.strip()
        if text.upper().startswith("LINEAR(") and text.endswith(")"):
            text = text[len("LINEAR(") : -1]
        parts, depth, current = [], 0, ""
        for char in text:
            if char == "," and depth == 0:
                parts.append(current.strip())
                current = ""
                continue
            depth += (char == "(") - (char == ")")
            current += char
        if current.strip():
            parts.append(current.strip())
        return tuple(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["histogram"] = {str(k): v for k, v in sorted(self.histogram.items())}
        return data


@dataclass(slots=True)
class ClusteringCost:
    """``SYSTEM$ESTIMATE_AUTOMATIC_CLUSTERING_COSTS``, read in full.

    >>> cost = ClusteringCost.from_payload({"reportTime": "Mon, 04 Nov 2024 10:02:13 GMT",
    ...     "clusteringKey": "LINEAR(EV_DATE)", "initial": {"unit": "Credits", "value": 11.3, "comment": "x"},
    ...     "maintenance": {"comment": "Unable to produce maintenance cost estimate because ..."}})
    >>> cost.summary
    '11.3 credits once; no estimate of the daily maintenance (Unable to produce maintenance cost estimate because ...)'
    """

    clustering_key: str
    report_time: str
    initial: float | None  # in initial_unit
    initial_unit: str
    initial_comment: str
    maintenance: float | None  # per day, in maintenance_unit; None when Snowflake could not estimate it
    maintenance_unit: str
    maintenance_comment: str
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ClusteringCost:
        initial = payload.get("initial") or {}
        maintenance = payload.get("maintenance") or {}
        found = payload.get("warnings", payload.get("warning")) or []
        warnings = [
            str(w.get("message", w)) if isinstance(w, Mapping) else str(w)
            for w in (found if isinstance(found, list) else [found])
        ]
        return cls(
            clustering_key=str(payload.get("clusteringKey") or ""),
            report_time=str(payload.get("reportTime") or ""),
            initial=_credits(initial.get("value")),
            initial_unit=str(initial.get("unit") or ""),
            initial_comment=str(initial.get("comment") or ""),
            maintenance=_credits(maintenance.get("value")),
            maintenance_unit=str(maintenance.get("unit") or ""),
            maintenance_comment=str(maintenance.get("comment") or ""),
            warnings=warnings,
        )

    @property
    def summary(self) -> str:
        once = f"{self.initial:g} {self.initial_unit.lower() or 'credits'} once" if self.initial is not None else ""
        if self.maintenance is not None:
            daily = f"{self.maintenance:g} {self.maintenance_unit.lower() or 'credits'} per day to keep clustered"
        else:
            daily = "no estimate of the daily maintenance" + (
                f" ({self.maintenance_comment})" if self.maintenance_comment else ""
            )
        return "; ".join(part for part in (once, daily) if part)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _credits(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def cluster_by_ddl(table: str, key: Sequence[str]) -> str:
    return f"ALTER TABLE {table} CLUSTER BY ({', '.join(key)})"


def search_optimization_ddl(table: str, columns: Sequence[str]) -> str:
    return f"ALTER TABLE {table} ADD SEARCH OPTIMIZATION ON EQUALITY({', '.join(columns)})"


def point_lookup_columns(
    usage: UsageStats, table: str, distinct: Mapping[str, float | None], rows: float | None, near_unique: float
) -> list[str]:
    found = []
    for use in usage.columns_of(table):
        column = use.column
        looked_up = use.weight(ColumnRole.EQUALITY.value).calls + use.weight(ColumnRole.IN_LIST.value).calls
        ranged = use.weight(ColumnRole.RANGE.value).calls
        count = distinct.get(column)
        if looked_up and not ranged and count and rows and count / rows >= near_unique:
            found.append(column)
    return found
