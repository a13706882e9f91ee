"""Lint many files fast: worker processes and the cache, with exactly the findings of one in-process run.

:meth:`Linter.lint_parsed` builds one schema from the DDL of *all* sources, so a query in ``a.sql`` is judged
against a table created in ``b.sql``. Linting files one by one in workers must keep that. The run is split:

1. A cheap pre-pass: files whose text contains ``CREATE`` or ``ALTER`` are DDL candidates. Only they are parsed
   here; those with a ``CREATE``/``ALTER`` statement form the *DDL group*.
2. The DDL group is linted together in one :meth:`Linter.lint_parsed` call. The global schema is built from
   exactly these statements, so its queries and its schema rules (which look at every table defined in the
   run) see what a single run would show them.
3. Every other file holds no DDL, so linting it alone against the merged schema (``Linter(config, schema=...)``)
   gives the same findings as the single run. These files are spread over worker processes.

The cache (:mod:`sqltune.linter.cache`) keys each file on its content plus the hash of the DDL candidates' content,
so editing a ``CREATE TABLE`` re-lints everything and editing a query re-lints that query only. A warm run
parses nothing.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from sqltune.core.config import Config
from sqltune.core.findings import Report
from sqltune.core.source import Problem, ProblemKind, Source
from sqltune.linter.cache import Cache, code_stamp, finding_from_record, finding_to_record, hash_text
from sqltune.linter.engine import Linter, ParsedSource, fewer_collections, nothing_to_lint
from sqltune.rules.registry import ENTRY_POINT_GROUP
from sqltune.schema import Schema
from sqltune.schema.migrations import apply_statements, is_ddl

__all__ = ["LintStats", "default_jobs", "lint_sources", "merged_schema", "run_salt"]

#: Any CREATE, ALTER or DROP keyword makes a file a DDL candidate (false positives only cost a parse).
_DDL_WORD = re.compile(r"\b(?:create|alter|drop)\b")
#: Below this many files to lint, starting worker processes costs more than it saves.
MIN_FILES_FOR_WORKERS = 16


def default_jobs() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class LintStats:
    """What a run did, for ``--verbose`` output and the benchmark."""

    files: int = 0
    cached: int = 0
    linted: int = 0
    ddl_files: int = 0
    jobs: int = 1
    workers: int = 0  # processes started (0: all linted in this process)


@dataclass(slots=True)
class _FileResult:
    path: str
    statements: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    # A rule that crashed (or ran out of time) on the file: reported, and the result is never cached.
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"statements": self.statements, "findings": self.findings}


def run_salt(config: Config, schema: Schema | None = None) -> str:
    """Everything besides the files themselves that changes findings: code, config, plugins, schema.

    Computed without building a :class:`Linter` (no rule is imported), so that a run whose every file is
    cached pays for reading the cache and little else.
    """
    schema_text = ""
    if schema is not None:
        schema_text = hash_text(json.dumps(schema.to_dict(), sort_keys=True, default=str))
    elif config.schema:
        try:
            with open(config.schema, "rb") as handle:
                schema_text = hash_text(handle.read())
        except OSError:
            schema_text = "unreadable"
    return hash_text(code_stamp(), config.fingerprint(), _plugin_signature(), schema_text)


def _plugin_signature() -> str:
    """The rule plugins installed (entry point and distribution version), read from metadata only."""
    points = entry_points(group=ENTRY_POINT_GROUP)
    return ",".join(sorted(f"{p.name}={p.value}@{p.dist.version if p.dist else ''}" for p in points))


def _is_ddl_candidate(text: str) -> bool:
    """Whether ``text`` may hold DDL (a case-insensitive regex is ten times slower than this).

    >>> _is_ddl_candidate("Create table t (id int)"), _is_ddl_candidate("select created_at from t")
    (True, False)
    """
    lower = text.lower()
    return ("create" in lower or "alter" in lower or "drop" in lower) and _DDL_WORD.search(lower) is not None


def _has_ddl(item: ParsedSource) -> bool:
    return any(is_ddl(statement) for statement in item.statements)


def merged_schema(base: Schema | None, items: Sequence[ParsedSource], dialect: str | None) -> Schema:
    """The schema a single run builds: ``base`` plus the DDL of ``items`` in migration order
    (:func:`~sqltune.schema.migrations.apply_statements`, as :meth:`Linter.lint_parsed` applies it).

    ``base`` is copied first: DDL such as ``CREATE INDEX`` on a base table changes the table in place.
    """
    schema = Schema(copy.deepcopy(base) or ()) if base is not None else Schema()
    apply_statements(schema, [statement for item in items for statement in item.statements], dialect)
    return schema


# -- worker side -------------------------------------------------------------------------------------------
_WORKER_LINTER: Linter | None = None


def _init_worker(config: Config, schema: Schema) -> None:
    global _WORKER_LINTER
    _WORKER_LINTER = Linter(config, schema)


def _lint_one(linter: Linter, path: str, text: str) -> _FileResult:
    try:
        item = linter.parse(Source(path, text))
        report = linter.lint_parsed([item])
    except Exception as error:  # outside the rules' own guard (parsing, the schema): lose this file only
        return _FileResult(path, 0, [], [Problem.crash("linting", "", error, path, on="this file")])
    findings = [finding_to_record(f) for f in report.findings]
    return _FileResult(path, len(item.statements), findings, list(report.problems))


def _lint_chunk(chunk: list[tuple[str, str]]) -> list[_FileResult]:
    assert _WORKER_LINTER is not None, "worker not initialised"
    with fewer_collections():  # parsing too, not only the rules (see engine.fewer_collections)
        return [_lint_one(_WORKER_LINTER, path, text) for path, text in chunk]


def _pool_context() -> Any:
    # fork shares the imported modules with the workers (spawn would re-import sqlglot in each: ~0.5 s).
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _lint_query_files(
    config: Config, schema: Schema, files: list[Source], jobs: int, ddl_task: Any, stats: LintStats
) -> tuple[list[_FileResult], Any]:
    """Lint ``files`` (no DDL in them) against ``schema``; runs ``ddl_task()`` in this process meanwhile."""
    if not files:
        return [], ddl_task()
    if jobs <= 1 or len(files) < MIN_FILES_FOR_WORKERS:
        linter = Linter(config, schema)
        with fewer_collections():
            results = [_lint_one(linter, source.path, source.text) for source in files]
        return results, ddl_task()
    workers = min(jobs, max(1, len(files) // 4))
    stats.workers = workers
    size = max(1, min(64, len(files) // (workers * 4)))
    # Large files first, so that no worker is left with a big one at the end.
    ordered = sorted(files, key=lambda source: -len(source.text))
    chunks = [[(s.path, s.text) for s in ordered[i : i + size]] for i in range(0, len(ordered), size)]
    with ProcessPoolExecutor(
        workers, mp_context=_pool_context(), initializer=_init_worker, initargs=(config, schema)
    ) as pool:
        futures = [pool.submit(_lint_chunk, chunk) for chunk in chunks]
        ddl_result = ddl_task()
        results = [result for future in futures for result in future.result()]
    return results, ddl_result


# -- orchestration -----------------------------------------------------------------------------------------
def lint_sources(
    sources: Iterable[Source | Problem],
    config: Config,
    *,
    jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    schema: Schema | None = None,
    stats: LintStats | None = None,
) -> Report:
    """Like :meth:`Linter.lint_sources` (same findings, same problems), on ``jobs`` processes (``None`` or 0:
    every CPU), with the cache in ``cache_dir`` (``None``: no cache)."""
    stats = stats if stats is not None else LintStats()
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    stats.jobs = jobs
    built: list[Linter] = []

    def linter() -> Linter:
        """Built on first need: a run whose every file is cached never imports a rule."""
        if not built:
            built.append(Linter(config, schema))
        return built[0]

    cache = Cache(cache_dir, run_salt(config, schema)) if cache_dir is not None else None
    if cache is None:
        linter()  # no cache: validate the configuration (rules, dialect, schema) before reading anything
    problems: list[Problem] = []
    files: list[Source] = []
    for item in sources:
        if isinstance(item, Problem):
            problems.append(item)
        elif not config.is_excluded(item.path):
            files.append(item)
    stats.files = len(files)
    candidates = [source for source in files if _is_ddl_candidate(source.text)]
    ddl_hash = hash_text(*(part for source in candidates for part in (source.path, source.text)))
    results: dict[str, _FileResult] = {}

    # The DDL group: its cached entry also says which candidates really hold DDL.
    group_key = cache.key("ddl-group", ddl_hash) if cache else ""
    group_entry = cache.get(group_key) if cache else None
    ddl_paths: set[str] | None = None
    if isinstance(group_entry, dict) and isinstance(group_entry.get("files"), dict):
        for path, entry in group_entry["files"].items():
            results[path] = _FileResult(path, entry["statements"], entry["findings"])
        ddl_paths = set(group_entry["files"])
        stats.cached += len(ddl_paths)

    def file_key(source: Source) -> str:
        return cache.key("file", ddl_hash, source.path, source.text) if cache else ""

    query_files = [source for source in files if ddl_paths is None or source.path not in ddl_paths]
    misses: list[Source] = []
    for source in query_files:
        entry = cache.get(file_key(source)) if cache else None
        if isinstance(entry, dict) and "findings" in entry:
            results[source.path] = _FileResult(source.path, entry["statements"], entry["findings"])
            stats.cached += 1
        else:
            misses.append(source)

    parsed_candidates: list[ParsedSource] = []
    ddl_items: list[ParsedSource] = []
    if ddl_paths is None or misses:
        with fewer_collections():
            parsed_candidates = [linter().parse(source) for source in candidates]
        ddl_items = [item for item in parsed_candidates if _has_ddl(item)]
    if ddl_paths is None:
        ddl_paths = {item.source.path for item in ddl_items}
        # Candidates without DDL are ordinary query files, linted (and cached) one by one.
        misses = [source for source in misses if source.path not in ddl_paths]
    stats.ddl_files = len(ddl_paths)

    def lint_ddl_group() -> dict[str, _FileResult] | None:
        if group_entry is not None:
            return None
        report = linter().lint_parsed(ddl_items)
        grouped = {item.source.path: _FileResult(item.source.path, len(item.statements)) for item in ddl_items}
        for finding in report.findings:
            grouped[finding.path].findings.append(finding_to_record(finding))
        for problem in report.problems:
            owner = grouped.get(problem.path) or next(iter(grouped.values()))
            owner.problems.append(problem)
        return grouped

    schema_all = merged_schema(linter().schema, ddl_items, config.dialect) if misses else Schema()
    linted, grouped = _lint_query_files(config, schema_all, misses, jobs, lint_ddl_group, stats)
    stats.linted = len(linted) + (len(grouped) if grouped else 0)
    for result in linted:
        results[result.path] = result
    if grouped is not None:
        results.update(grouped)
    if cache is not None:
        # A run that had problems is never stored: the next run must meet the crash again, not a clean file.
        by_path = {source.path: source for source in misses}
        cache.put_many((file_key(by_path[r.path]), r.to_json()) for r in linted if not r.problems)
        if grouped is not None and not any(r.problems for r in grouped.values()):
            cache.put(group_key, {"files": {path: r.to_json() for path, r in grouped.items()}})
        cache.save()
    return _assemble(files, results, problems)


def _assemble(files: list[Source], results: dict[str, _FileResult], problems: list[Problem]) -> Report:
    report = Report()
    empty = []
    for source in files:
        result = results[source.path]
        report.sources[source.path] = source
        report.statements += result.statements
        report.findings.extend(finding_from_record(record, source.path) for record in result.findings)
        report.problems.extend(result.problems)
        if result.statements == 0 and not result.problems:
            empty.append(Problem(source.path, nothing_to_lint(source.text), fatal=False, kind=ProblemKind.SKIPPED))
    report.sort()
    report.problems.extend(problems + empty)
    return report
