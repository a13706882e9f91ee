"""dbt runs: each executed node's compiled SQL, timed by ``run_results.json``.

A dbt ``target/`` folder (or the project folder holding ``target/``) has the two artifacts this reads:

- ``manifest.json``: every node's ``compiled_code`` (``compiled_sql`` before dbt 1.3), ``resource_type``
  and ``original_file_path``;
- ``run_results.json``: the nodes the last ``dbt run``/``build``/``test`` executed (``results[]``), with
  ``status``, ``execution_time`` (seconds), ``timing[]`` (``compile`` and ``execute`` phases) and
  ``adapter_response`` (``rows_affected``; ``query_id`` on Snowflake, ``job_id`` on BigQuery).

One :class:`~sqltune.workload.model.Execution` per executed node that has compiled SQL: the SQL is the
compiled SELECT (what the model computes; dbt wraps it in ``create table as`` or ``create view as``),
``duration_ms`` is ``execution_time``, ``at`` the end of its last timing phase, ``ids`` carry
``("dbt_unique_id", ...)`` and the warehouse's query or job id where the adapter reports one, and
``location`` is the node's ``original_file_path`` (the model file people edit; ``models/schema.yml`` for a
generic test). A node's compiled SQL is taken from the manifest, else from ``run_results.json`` (which carries
it since dbt 1.x).

Nothing is left out silently: an executed model, test or snapshot without compiled SQL is an
:class:`~sqltune.core.source.InputProblem` (``dbt compile`` or ``dbt build`` writes it); seeds (which load a
CSV and run no SQL of the project's), skipped and failed nodes are counted in one notice each (a non-fatal
problem). ``since``/``until`` keep the nodes that finished in the window.

The artifacts are JSON documents, read whole: a manifest holds one entry per node, not per execution.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqltune.core.source import InputProblem, ProblemKind, read_json
from sqltune.workload.model import Execution

__all__ = ["artifacts", "read", "sniff"]

MANIFEST = "manifest.json"
RUN_RESULTS = "run_results.json"
#: Statuses of nodes that ran to the end (a failing test ran its query too).
_RAN = {"success", "pass", "fail", "warn"}
#: Adapter response keys holding the warehouse's own id of the statement.
_ADAPTER_IDS = (("query_id", "query_id"), ("job_id", "job_id"))


def artifacts(path: Path) -> Path | None:
    """The folder holding ``manifest.json`` and ``run_results.json``: ``path`` itself, its ``target/``, or
    the folder of ``path`` when it names one of the two files."""
    candidates = (
        [path, path / "target"] if path.is_dir() else [path.parent] if path.name in (MANIFEST, RUN_RESULTS) else []
    )
    for folder in candidates:
        if (folder / MANIFEST).is_file() and (folder / RUN_RESULTS).is_file():
            return folder
    return None


def sniff(name: str, path: Path, head: str) -> bool:
    return artifacts(path) is not None


def _document(path: Path, expected: str) -> dict[str, Any]:
    data = read_json(path, "dbt artifact", expected)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a dbt artifact; expected {expected}")
    return data


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _finished(result: Mapping[str, Any]) -> datetime | None:
    """When the node finished: the latest ``completed_at`` of its timing phases."""
    ends = [_time(phase.get("completed_at")) for phase in result.get("timing") or () if isinstance(phase, dict)]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def _ids(unique_id: str, response: Any) -> tuple[tuple[str, str], ...]:
    ids = [("dbt_unique_id", unique_id)]
    if isinstance(response, dict):
        ids.extend((kind, str(response[key])) for key, kind in _ADAPTER_IDS if response.get(key))
    return tuple(ids)


def _rows(response: Any) -> int | None:
    rows = response.get("rows_affected") if isinstance(response, dict) else None
    return rows if isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0 else None


def _notice(path: Path, message: str) -> InputProblem:
    return InputProblem(str(path), message, 0, 0, fatal=False, kind=ProblemKind.SKIPPED)


def _listed(unique_ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(unique_ids[:limit])
    return shown + (f" and {len(unique_ids) - limit} more" if len(unique_ids) > limit else "")


def read(path: Path, name: str, **options: Any) -> Iterator[Execution | InputProblem]:
    folder = artifacts(path)
    if folder is None:
        yield InputProblem(str(path), f"no dbt artifacts; expected a target/ folder with {MANIFEST} and {RUN_RESULTS}")
        return
    manifest_path, results_path = folder / MANIFEST, folder / RUN_RESULTS
    try:
        manifest = _document(manifest_path, "a dbt manifest (target/manifest.json from `dbt build` or `dbt compile`)")
        run = _document(results_path, "dbt run results (target/run_results.json from `dbt run`, `build` or `test`)")
    except ValueError as error:
        yield InputProblem(str(path), str(error).removeprefix(f"{path}: "))
        return
    nodes = manifest.get("nodes")
    results = run.get("results")
    if not isinstance(nodes, dict) or not isinstance(results, list):
        yield InputProblem(
            str(folder), 'not dbt artifacts: expected "nodes" in manifest.json and "results" in run_results.json'
        )
        return
    since, until = options.get("since"), options.get("until")
    seeds: list[str] = []
    not_run: dict[str, list[str]] = {}
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("unique_id"), str):
            yield InputProblem(str(results_path), "a result without a unique_id; result skipped")
            continue
        unique_id = result["unique_id"]
        node = nodes.get(unique_id) or {}
        kind = str(node.get("resource_type") or unique_id.split(".", 1)[0])
        status = str(result.get("status") or "").lower()
        if status not in _RAN:
            not_run.setdefault(status or "unknown", []).append(unique_id)
            continue
        sql = node.get("compiled_code") or node.get("compiled_sql") or result.get("compiled_code")
        if not isinstance(sql, str) or not sql.strip():
            if kind == "seed":
                seeds.append(unique_id)
            else:
                yield InputProblem(
                    str(manifest_path),
                    f"{kind} {unique_id} ran but has no compiled SQL in the manifest or run results; "
                    "run `dbt compile` (or `dbt build`) to write it",
                )
            continue
        at = _finished(result)
        if at is not None and ((since is not None and at < since) or (until is not None and at >= until)):
            continue
        seconds = result.get("execution_time")
        response = result.get("adapter_response")
        yield Execution(
            sql.strip(),
            duration_ms=float(seconds) * 1000.0 if isinstance(seconds, int | float) else None,
            at=at,
            rows=_rows(response),
            ids=_ids(unique_id, response),
            location=str(node.get("original_file_path") or unique_id),
            database=node.get("database") if isinstance(node.get("database"), str) else None,
        )
    if seeds:
        yield _notice(results_path, f"{len(seeds)} seeds left out (they load a CSV file, no SQL): {_listed(seeds)}")
    for status, unique_ids in sorted(not_run.items()):
        yield _notice(results_path, f"{len(unique_ids)} nodes with status {status} left out: {_listed(unique_ids)}")
