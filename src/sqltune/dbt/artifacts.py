"""dbt's ``manifest.json`` and ``run_results.json``, read into what the dbt step needs.

Both carry ``metadata.dbt_schema_version`` (``https://schemas.getdbt.com/dbt/manifest/v12.json``). The step
reads manifests v9 to v12 (dbt 1.5 to 1.10, v12 since 1.8) and run results v4 to v6 (dbt 1.0 to 1.10, v6
since 1.8); the fields it uses are the same in all of them:

- a manifest node: ``resource_type``, ``name``, ``package_name``, ``original_file_path``, ``schema``,
  ``config.materialized``, ``raw_code`` and ``compiled_code`` (``raw_sql``/``compiled_sql`` before dbt 1.3);
- a run result: ``unique_id``, ``status``, ``execution_time`` (seconds), ``message``, and since run results
  v5 (dbt 1.5) its own ``compiled_code`` (the manifest's is preferred).

A document of another version is read the same way, with a notice naming the versions known; one of another
kind (a manifest given as run results) or without the fields is a :class:`~sqltune.linter.dbt.DbtError`.
Nothing else is kept: ``args`` (the invocation's flags and vars) and ``metadata.env`` never leave this
module, so nothing a run recorded about its environment reaches a report.

>>> schema_version({"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"}})
('run-results', 6)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqltune.core.source import read_json
from sqltune.linter.dbt import DbtError

__all__ = [
    "MANIFEST_VERSIONS",
    "RUN_RESULTS_VERSIONS",
    "ArtifactInfo",
    "ManifestNode",
    "NodeResult",
    "ProjectManifest",
    "RunResults",
    "read_manifest",
    "read_run_results",
    "run_results_path",
    "schema_version",
]

MANIFEST = "manifest.json"
RUN_RESULTS = "run_results.json"
#: Schema versions this module was written against (dbt 1.5 to 1.10 for manifests, 1.0 to 1.10 for runs).
MANIFEST_VERSIONS = range(9, 13)
RUN_RESULTS_VERSIONS = range(4, 7)
_VERSION = re.compile(r"/dbt/(?P<kind>[a-z-]+)/v(?P<number>\d+)(?:\.json)?$")


def schema_version(document: Mapping[str, Any]) -> tuple[str, int] | None:
    """The artifact kind and version ``metadata.dbt_schema_version`` names, if it names one."""
    metadata = document.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    found = _VERSION.search(url) if isinstance(url, str) else None
    return (found.group("kind"), int(found.group("number"))) if found else None


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    """Which document was read: its path, schema version, the dbt that wrote it and when; ``notices`` say what
    in it was unexpected (a schema version sqltune does not know) without stopping the step."""

    path: str
    schema_version: int | None
    dbt_version: str | None
    generated_at: str | None
    notices: list[str] = field(default_factory=list, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "dbt_version": self.dbt_version,
            "generated_at": self.generated_at,
        }


@dataclass(frozen=True, slots=True)
class ManifestNode:
    unique_id: str
    name: str
    resource_type: str
    package_name: str | None
    original_file_path: str | None
    schema: str | None
    materialized: str | None
    raw_code: str
    compiled_code: str | None


@dataclass(slots=True)
class ProjectManifest:
    info: ArtifactInfo
    adapter_type: str | None
    project_name: str | None
    nodes: dict[str, ManifestNode] = field(default_factory=dict)
    source_schemas: set[str] = field(default_factory=set)  # of the sources the models select from

    def schemas(self) -> list[str]:
        """The database schemas the project reads and writes: its models', seeds', snapshots' and sources' (not
        its tests', whose schema only holds stored failures)."""
        built = {node.schema for node in self.nodes.values() if node.schema and node.resource_type != "test"}
        return sorted(built | self.source_schemas)


@dataclass(frozen=True, slots=True)
class NodeResult:
    unique_id: str
    status: str  # lower case: success, error, skipped, pass, fail, warn, partial success, no-op...
    execution_time: float | None  # seconds
    message: str | None
    compiled_code: str | None


@dataclass(slots=True)
class RunResults:
    info: ArtifactInfo
    elapsed_time: float | None
    results: dict[str, NodeResult] = field(default_factory=dict)  # by unique id, in run order


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


#: What each kind of artifact must hold: its key, the JSON type there, and how to say so.
_BODIES = {"manifest": ("nodes", dict, '"nodes" object'), "run-results": ("results", list, '"results" list')}


def _document(path: Path, kind: str, known: range, expected: str) -> tuple[dict[str, Any], Any, ArtifactInfo]:
    """The document, its body (``nodes`` or ``results``) and what it is; notices about its version in ``info``."""
    data = read_json(path, f"dbt {kind}", expected, DbtError)
    if not isinstance(data, dict):
        raise DbtError(f"{path}: not a dbt artifact; expected {expected}")
    version = schema_version(data)
    if version is not None and version[0] != kind:
        raise DbtError(f"{path}: a dbt {version[0]} artifact; expected {expected}")
    key, body_type, described = _BODIES[kind]
    body = data.get(key)
    if not isinstance(body, body_type):
        raise DbtError(f"{path}: not {expected}: it has no {described}")
    metadata = _object(data.get("metadata"))
    info = ArtifactInfo(
        str(path),
        version[1] if version else None,
        _text(metadata.get("dbt_version")),
        _text(metadata.get("generated_at")),
    )
    if version is None:
        info.notices.append(f"no dbt schema version in its metadata; read as {kind} v{known[-1]}")
    elif version[1] not in known:
        info.notices.append(
            f"{kind} v{version[1]} is not a version sqltune knows (v{known[0]} to v{known[-1]}); "
            "read with the fields those share"
        )
    return data, body, info


def _code(node: Mapping[str, Any], new: str, old: str) -> str | None:
    code = node.get(new, node.get(old))
    return code if isinstance(code, str) and code.strip() else None


def read_manifest(path: str | os.PathLike[str]) -> ProjectManifest:
    """The nodes of ``manifest.json`` (models, seeds, snapshots, tests...) with their code and materialization."""
    expected = "a dbt manifest (target/manifest.json from `dbt build`, `run` or `compile`)"
    data, nodes, info = _document(Path(path), "manifest", MANIFEST_VERSIONS, expected)
    metadata = _object(data.get("metadata"))
    manifest = ProjectManifest(info, _text(metadata.get("adapter_type")), _text(metadata.get("project_name")))
    for unique_id, node in nodes.items():
        if not isinstance(node, dict):
            continue
        config = _object(node.get("config"))
        manifest.nodes[unique_id] = ManifestNode(
            unique_id,
            _text(node.get("name")) or unique_id.rsplit(".", 1)[-1],
            _text(node.get("resource_type")) or unique_id.split(".", 1)[0],
            _text(node.get("package_name")),
            _text(node.get("original_file_path")),
            _text(node.get("schema")),
            _text(config.get("materialized")),
            _code(node, "raw_code", "raw_sql") or "",
            _code(node, "compiled_code", "compiled_sql"),
        )
    sources = data.get("sources")
    for source in sources.values() if isinstance(sources, dict) else ():
        if isinstance(source, dict) and _text(source.get("schema")):
            manifest.source_schemas.add(source["schema"])
    return manifest


def read_run_results(path: str | os.PathLike[str]) -> RunResults:
    """The results of ``run_results.json``: each executed node's status and time, in run order."""
    expected = "dbt run results (target/run_results.json from `dbt build` or `dbt run`)"
    data, results, info = _document(Path(path), "run-results", RUN_RESULTS_VERSIONS, expected)
    run = RunResults(info, _seconds(data.get("elapsed_time")))
    unnamed = 0
    for result in results:
        unique_id = result.get("unique_id") if isinstance(result, dict) else None
        if not isinstance(unique_id, str) or not unique_id:
            unnamed += 1
            continue
        run.results[unique_id] = NodeResult(
            unique_id,
            str(result.get("status") or "unknown").lower(),
            _seconds(result.get("execution_time")),
            _text(result.get("message")),
            _code(result, "compiled_code", "compiled_sql"),
        )
    if unnamed:
        info.notices.append(f"{unnamed} results without a unique_id left out")
    return run


def run_results_path(path: str | os.PathLike[str], target_dir: str = "target") -> Path:
    """``run_results.json`` given itself, the folder holding it, or a project folder with ``target_dir``."""
    location = Path(path)
    if location.is_dir():
        for folder in (location, location / target_dir):
            if (folder / RUN_RESULTS).is_file():
                return folder / RUN_RESULTS
        raise DbtError(f"{location}: no {RUN_RESULTS} in it or in its {target_dir}/; run `dbt build` first")
    if not location.exists():
        raise DbtError(f"{location}: no such file; expected a dbt {RUN_RESULTS} or the folder holding one")
    return location
