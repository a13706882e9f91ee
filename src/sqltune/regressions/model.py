"""What a snapshot holds: the hottest templates with their plans, index usage, table statistics, clustering.

A snapshot is taken by a connector (:mod:`sqltune.connectors.postgres.snapshot`,
:mod:`sqltune.connectors.snowflake.snapshot`) and compared offline by :mod:`sqltune.regressions.compare`.
It is saved as one JSON file, ``snapshot.json``, in a directory of its own (the format is documented in
``docs/pipeline-checks.md``); it names the database, never how to log in to it.

>>> snap = Snapshot(taken_at=datetime(2026, 1, 2, tzinfo=UTC), engine="postgres", database="shop")
>>> Snapshot.from_dict(snap.to_dict()) == snap
True
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "SNAPSHOT_FILE",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "ClusteringInfo",
    "IndexUsage",
    "Snapshot",
    "TableStatistics",
    "TemplateSnapshot",
]

#: The "format" and "version" of ``snapshot.json``; a newer version than this sqltune reads is refused.
SNAPSHOT_FORMAT = "sqltune-snapshot"
SNAPSHOT_VERSION = 1
#: The file a snapshot directory holds.
SNAPSHOT_FILE = "snapshot.json"


@dataclass(slots=True)
class TemplateSnapshot:
    """One of the workload's hottest templates: its cost in the workload and the plan it gets now.

    ``plan`` is the engine's EXPLAIN output as JSON (``plan_format`` says which, see
    :data:`sqltune.plans.FORMATS`); ``shape`` its :func:`~sqltune.plans.shape.plan_shape` lines and
    ``shape_fingerprint`` their hash. ``cost`` is the planner's estimate in ``cost_unit``: PostgreSQL's cost
    units, or on Snowflake the bytes the compiled plan assigns to its scans (Snowflake plans carry no cost).
    ``error`` says why there is no plan (a timeout, a table that is gone).
    """

    fingerprint: str
    sql: str  # one real execution's text, as the workload had it
    rank: int  # 1 = the most total time
    calls: int
    total_ms: float
    mean_ms: float | None
    plan: Any = None
    plan_format: str | None = None
    analyzed: bool = False
    cost: float | None = None
    cost_unit: str = "cost"  # the planner's cost units; "bytes" where the engine plans bytes (Snowflake)
    shape: list[str] = field(default_factory=list)
    shape_fingerprint: str | None = None
    relations: list[str] = field(default_factory=list)  # tables the plan reads
    error: str | None = None


@dataclass(slots=True)
class IndexUsage:
    """An index and how often it was used (``pg_stat_user_indexes``), counters since ``stats_reset``."""

    schema: str
    table: str
    name: str
    scans: int | None
    tuples_read: int | None = None
    size_bytes: int | None = None
    unique: bool = False
    primary: bool = False
    definition: str = ""  # CREATE INDEX ..., to put it back

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def table_key(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(slots=True)
class TableStatistics:
    """A table's size and how it is read: ``pg_stat_user_tables`` and ``pg_class`` (Snowflake: row count and
    bytes of ``INFORMATION_SCHEMA.TABLES``). Counters since ``stats_reset``; ``last_analyze`` the later of the
    manual and automatic ANALYZE, ISO 8601."""

    schema: str
    name: str
    live_rows: int | None = None
    dead_rows: int | None = None
    seq_scans: int | None = None
    idx_scans: int | None = None
    reltuples: float | None = None  # the planner's row count (as of the last ANALYZE or VACUUM)
    relpages: int | None = None
    size_bytes: int | None = None
    modified_since_analyze: int | None = None
    last_analyze: str | None = None

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def reads(self) -> int | None:
        """Sequential plus index scans, ``None`` when neither is counted."""
        if self.seq_scans is None and self.idx_scans is None:
            return None
        return (self.seq_scans or 0) + (self.idx_scans or 0)


@dataclass(slots=True)
class ClusteringInfo:
    """``SYSTEM$CLUSTERING_INFORMATION`` of a clustered Snowflake table (``error`` when it could not be read)."""

    table: str  # DATABASE.SCHEMA.TABLE
    cluster_by_keys: str = ""
    total_partition_count: int | None = None
    average_overlaps: float | None = None
    average_depth: float | None = None
    partition_depth_histogram: dict[str, int] = field(default_factory=dict)
    notes: str = ""
    error: str | None = None

    @property
    def key(self) -> str:
        return self.table.upper()


_Item = TypeVar("_Item", TemplateSnapshot, IndexUsage, TableStatistics, ClusteringInfo)


def _items(kind: type[_Item], data: Any) -> list[_Item]:
    """Records of ``kind`` from their dictionaries, keys this version does not know ignored."""
    names = {f.name for f in fields(kind)}
    return [kind(**{key: value for key, value in item.items() if key in names}) for item in data or []]


@dataclass(slots=True)
class Snapshot:
    """One database at one moment, as :func:`sqltune.take_snapshot` saw it. ``database`` names it (host,
    port and database, never a user or password). ``cumulative`` says whether the templates' calls and times
    count since a reset (``pg_stat_statements``), so that two snapshots' difference is the time in between."""

    taken_at: datetime
    engine: str  # "postgres" or "snowflake"
    database: str
    templates: list[TemplateSnapshot] = field(default_factory=list)
    indexes: list[IndexUsage] = field(default_factory=list)
    tables: list[TableStatistics] = field(default_factory=list)
    clustering: list[ClusteringInfo] = field(default_factory=list)
    server_version: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    workload: str = ""  # where the templates came from
    cumulative: bool = False
    stats_reset: str | None = None
    top: int = 0
    analyze: bool = False
    notes: list[str] = field(default_factory=list)

    def template(self, fingerprint: str) -> TemplateSnapshot | None:
        return next((t for t in self.templates if t.fingerprint == fingerprint), None)

    # -- persistence -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat()
        return {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str = "<snapshot>") -> Snapshot:
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f'{path}: not a sqltune snapshot (expected "format": "{SNAPSHOT_FORMAT}")')
        if int(data.get("version") or 0) > SNAPSHOT_VERSION:
            raise ValueError(f"{path}: snapshot format version {data['version']} is newer than this sqltune reads")
        taken = datetime.fromisoformat(str(data["taken_at"]))
        return cls(
            taken_at=taken if taken.tzinfo else taken.replace(tzinfo=UTC),
            engine=str(data.get("engine") or ""),
            database=str(data.get("database") or ""),
            templates=_items(TemplateSnapshot, data.get("templates")),
            indexes=_items(IndexUsage, data.get("indexes")),
            tables=_items(TableStatistics, data.get("tables")),
            clustering=_items(ClusteringInfo, data.get("clustering")),
            server_version=data.get("server_version"),
            settings={str(k): str(v) for k, v in (data.get("settings") or {}).items()},
            workload=str(data.get("workload") or ""),
            cumulative=bool(data.get("cumulative")),
            stats_reset=data.get("stats_reset"),
            top=int(data.get("top") or 0),
            analyze=bool(data.get("analyze")),
            notes=[str(note) for note in data.get("notes") or []],
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``snapshot.json`` into ``directory`` (created if missing); its path."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / SNAPSHOT_FILE
        path.write_text(json.dumps(self.to_dict(), indent=1, default=str) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Snapshot:
        """Read a snapshot from its directory (or from the ``snapshot.json`` file itself)."""
        path = Path(directory)
        if path.is_dir():
            path = path / SNAPSHOT_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"cannot read the snapshot {path}: {error.strerror or error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
        return cls.from_dict(data, str(path))
