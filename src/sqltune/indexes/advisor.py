"""``sqltune.advise_indexes``: an :class:`~sqltune.indexes.plan.IndexPlan` for a workload.

The workload is SQL (a string, files, directories) or ``"pg_stat_statements"`` (the database's own top
statements by total time). With a live PostgreSQL connection, costs come from its planner through HypoPG
(hypothetical indexes in sqltune's session only) or, without HypoPG, from real indexes built inside a
rolled-back transaction (only when ``backend="real"`` is asked for); without a connection, from sqltune's cost
model over schema statistics, and the plan says its costs are estimates.

- :func:`advise_indexes`: the plan: candidates, selection under a budget, optional runtime validation,
  index hygiene;
- :func:`load_workload`: the workload's queries from SQL or ``pg_stat_statements``;
- :func:`parse_size`: a budget such as ``"500MB"`` in bytes.

The connection is only used through :class:`~sqltune.indexes.ports.AdvisorConnection` (its what-if backend,
its runtime validation): the advisor never imports a connector. Queries are named as the user would find them
again (:mod:`sqltune.indexes.naming`); a surface shows the advisor's progress through the
:class:`~sqltune.indexes.progress.Progress` it passes in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqltune.core.parsing import parse_source
from sqltune.core.source import InputProblem, Source, sources_from
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph
from sqltune.indexes.candidates import generate_candidates
from sqltune.indexes.model import IndexSpec, WorkloadQuery
from sqltune.indexes.naming import first_words, number_repeats
from sqltune.indexes.plan import IndexPlan, SkippedQuery, build_plan
from sqltune.indexes.ports import AdvisorConnection
from sqltune.indexes.progress import CANDIDATES, PLANNING, READING, REPORTING, SELECTING, Progress, Silent, each
from sqltune.indexes.runtime import RuntimeCheck
from sqltune.indexes.selection import Selection, select_indexes
from sqltune.indexes.whatif import CostEvaluator, Unplannable, WhatIfBackend
from sqltune.schema import Schema, fold
from sqltune.workload import Workload
from sqltune.workload.sources import UnknownFormat, sniff

__all__ = ["advise_indexes", "load_workload", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def parse_size(value: str | float | int) -> float:
    """Bytes from ``"1GB"``, ``"500 MB"``, ``"2GiB"`` or a number of bytes (decimal units, as the literature).

    >>> parse_size("250MB"), parse_size("1GiB"), parse_size(1024)
    (250000000.0, 1073741824.0, 1024.0)
    """
    if isinstance(value, int | float):
        return float(value)
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"invalid size {value!r}; expected a number with an optional unit such as 500MB or 2GB")
    unit = (match.group(2) or "").lower().removesuffix("b")
    if unit not in _UNITS:
        raise ValueError(f"invalid size unit in {value!r}; expected B, kB, MB, GB, TB or KiB, MiB, GiB, TiB")
    return float(match.group(1)) * _UNITS[unit]


_WRITES = (exp.Insert, exp.Update, exp.Delete)


def _written_table(expression: exp.Expression) -> str | None:
    if isinstance(expression, _WRITES):
        target = expression.this
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table):
            return fold(exp.table_name(target))
    return None


def _query(
    query_id: str, sql: str, expression: exp.Expression, schema: Schema, weight: float, rows: float
) -> WorkloadQuery:
    graph = QueryGraph.build(expression, schema)
    written = _written_table(expression)
    return WorkloadQuery(query_id, sql, graph, weight, {written: rows} if written else {})


def load_workload(
    source: Workload | str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    schema: Schema | None = None,
    dialect: str | None = "postgres",
    connection: AdvisorConnection | None = None,
    limit: int = 100,
    skipped: list[SkippedQuery] | None = None,
) -> list[WorkloadQuery]:
    """Workload queries from SQL text, files/directories/globs, or ``"pg_stat_statements"`` (needs a
    connection such as :class:`~sqltune.connectors.postgres.PostgresConnection`; weights are total execution
    time; recorded statements that do not parse are appended to ``skipped``). Each is named as the user would
    find it: ``path:line``, where a template was first seen, or its first words; a name given twice gets a
    number."""
    queries = _load(source, schema or Schema(), dialect, connection, limit, skipped)
    number_repeats(queries)
    return queries


def _load(
    source: Workload | str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    schema: Schema,
    dialect: str | None,
    connection: AdvisorConnection | None,
    limit: int,
    skipped: list[SkippedQuery] | None,
) -> list[WorkloadQuery]:
    queries: list[WorkloadQuery] = []
    if isinstance(source, Workload):
        return _templates(source, schema, dialect, skipped)
    if source == "pg_stat_statements":
        if connection is None:
            raise ValueError("the pg_stat_statements workload needs a database connection (--dsn)")
        return _recorded_workload(connection, schema, dialect, limit, skipped)
    logs = _recorded_files(source)
    if logs:
        queries = _templates(Workload.read(*logs, dialect=dialect), schema, dialect, skipped)
        source = [path for path in _as_list(source) if path not in logs]
        if not source:
            return queries
    for item in sources_from(source, _TEXT):  # one rule for "SQL text or a path", as lint()
        if isinstance(item, InputProblem):
            raise ValueError(str(item))
        for statement in parse_source(item, dialect):
            if statement.error is not None:
                raise ValueError(f"{statement.error.span}: {statement.error.message}")
            expression = statement.expression
            if expression is None or not isinstance(expression, (exp.Query, *_WRITES)):
                continue
            text = item.path == _TEXT
            query_id = first_words(statement.text) if text else f"{item.path}:{statement.span.line}"
            queries.append(_query(query_id, statement.text, expression, schema, 1.0, 1.0))
    return queries


#: The source name of a workload given as SQL text (its statements are named by their first words).
_TEXT = "<workload>"


def _as_list(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    return [source] if isinstance(source, str | os.PathLike) else list(source)


def _recorded_files(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    """The given files that record executions (server logs, history exports, saved workloads), not SQL."""
    recorded = []
    for path in _as_list(source):
        if not os.path.isfile(path):
            continue
        try:
            kind = sniff(path)
        except UnknownFormat:
            continue
        if kind != "sql":
            recorded.append(path)
    return recorded


def _templates(
    workload: Workload, schema: Schema, dialect: str | None, skipped: list[SkippedQuery] | None
) -> list[WorkloadQuery]:
    """A workload's templates as advisor queries, hottest first: each named where it was first seen, weighted
    by its total time (by its calls where the source has no times)."""
    queries: list[WorkloadQuery] = []
    for template in workload.top():
        query_id = template.location or first_words(template.example)
        for parsed in parse_source(Source(query_id, template.example), workload.dialect or dialect):
            if parsed.error is not None:
                if skipped is not None:
                    skipped.append(SkippedQuery(query_id, template.example, f"does not parse: {parsed.error.message}"))
                continue
            expression = parsed.expression
            if expression is None or not isinstance(expression, (exp.Query, *_WRITES)):
                continue
            weight = template.total_ms if template.timed_calls else float(template.calls)
            rows = template.rows / template.calls if template.rows and template.calls else 1.0
            queries.append(_query(query_id, template.example, expression, schema, weight, rows))
    return queries


#: Schemas of the system catalogs: no index can be added there, so statements reading only them are not
#: workload (sqltune's own catalog reads land in pg_stat_statements too; see :func:`_recorded_workload`).
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})


def _user_tables(expression: exp.Expression) -> list[exp.Table]:
    """The tables a statement reads or writes outside the system catalogs and extensions' views (``pg_*``
    names, such as ``public.pg_stat_statements``). A table the schema does not know stays: the planner says
    what is wrong with it (a dropped table is skipped with its reason)."""
    tables = []
    for table in expression.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):  # a table function: hypopg_create_index($1)...
            continue
        if (table.db and fold(table.db) in _SYSTEM_SCHEMAS) or fold(table.name).startswith("pg_"):
            continue
        tables.append(table)
    return tables


def _recorded_workload(
    connection: AdvisorConnection,
    schema: Schema,
    dialect: str | None,
    limit: int,
    skipped: list[SkippedQuery] | None,
) -> list[WorkloadQuery]:
    """The database's own top statements. pg_stat_statements keeps no application name, and the comment
    sqltune could tag its statements with is dropped from the recorded text by PostgreSQL 18 (and shares
    one entry with an identical untagged statement), so sqltune's own statements are told apart by what
    they are: they only read the system catalogs, call HypoPG or are EXPLAIN, PREPARE, SET and transaction
    control; none reads or writes a user table, which is what a workload statement must do to be indexed."""
    queries: list[WorkloadQuery] = []
    for number, recorded in enumerate(connection.statements(limit=limit), 1):
        query_id = first_words(recorded.query)
        for parsed in parse_source(Source(f"pg_stat_statements#{number}", recorded.query), dialect):
            if parsed.error is not None:
                if skipped is not None:
                    skipped.append(SkippedQuery(query_id, recorded.query, f"does not parse: {parsed.error.message}"))
                continue
            expression = parsed.expression
            if expression is None or not isinstance(expression, (exp.Query, *_WRITES)):
                continue
            if not _user_tables(expression):
                continue
            rows = recorded.rows / recorded.calls if recorded.calls else 0.0
            queries.append(_query(query_id, recorded.query, expression, schema, recorded.total_time_ms, rows))
    return queries


def _plannable(
    queries: Sequence[WorkloadQuery], evaluator: CostEvaluator
) -> tuple[list[WorkloadQuery], list[SkippedQuery]]:
    """The queries the backend can cost as they are; the others, skipped with the database's reason."""
    kept, skipped = [], []
    for query in queries:
        try:
            evaluator.evaluate(query, [])
        except Unplannable as reason:
            skipped.append(SkippedQuery(query.id, query.sql, str(reason)))
        else:
            kept.append(query)
    return kept, skipped


def _backend(kind: str, connection: AdvisorConnection | None, schema: Schema) -> WhatIfBackend:
    if connection is None or kind == "estimate":
        from sqltune.indexes.costmodel import CostModelBackend

        return CostModelBackend(schema)
    return connection.what_if_backend("real" if kind == "real" else "hypopg")


def _select(
    queries: Sequence[WorkloadQuery],
    schema: Schema,
    evaluator: CostEvaluator,
    banned: set[IndexSpec],
    progress: Progress,
    **options: Any,
) -> Selection:
    progress.phase(CANDIDATES, len(queries))
    candidates = generate_candidates(each(queries, progress), schema, max_width=options["max_width"])
    progress.phase(SELECTING)  # the evaluator counts its what-if calls
    return select_indexes(queries, candidates, evaluator, banned=banned, schema=schema, **options)


def advise_indexes(
    workload: Workload | str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Sequence[WorkloadQuery],
    connection: AdvisorConnection | None = None,
    *,
    schema: Schema | None = None,
    budget: str | float | None = None,
    max_indexes: int | None = None,
    max_width: int = 2,
    backend: str = "auto",
    validate: bool = False,
    validate_timeout_s: float = 300,
    hygiene: bool = True,
    dialect: str | None = "postgres",
    progress: Progress | None = None,
) -> IndexPlan:
    """Advise indexes for ``workload``. ``connection`` is a :func:`sqltune.connect` connection (or ``None``
    to work offline from ``schema`` statistics). ``validate=True`` times the queries whose plans change with
    real indexes in a rolled-back transaction and drops indexes that make any query more than 1.5x slower.
    ``progress`` hears of each phase and step (:mod:`sqltune.indexes.progress`)."""
    progress = progress or Silent()
    if backend not in ("auto", "hypopg", "real", "estimate"):
        raise ValueError(f"unknown backend {backend!r}; expected auto, hypopg, real or estimate")
    if connection is not None and schema is None:
        # The schemas on the session's search_path: where the workload's unqualified names resolve.
        search_path = [str(row[0]) for row in connection.query("SELECT unnest(current_schemas(false))")]
        schema = connection.schema(search_path or ("public",))
    schema = schema or Schema()
    skipped: list[SkippedQuery] = []
    progress.phase(READING)
    if isinstance(workload, Sequence) and not isinstance(workload, str) and _all_queries(workload):
        queries = [query for query in workload if isinstance(query, WorkloadQuery)]
    else:
        queries = load_workload(
            workload,  # type: ignore[arg-type]
            schema=schema,
            dialect=dialect,
            connection=connection,
            skipped=skipped,
        )
    if not queries and not skipped:
        raise ValueError("the workload holds no query to advise indexes for")
    budget_bytes = parse_size(budget) if budget is not None else None
    what_if = _backend(backend, connection, schema)
    evaluator = CostEvaluator(what_if, progress=progress)
    options = {"budget_bytes": budget_bytes, "max_indexes": max_indexes, "max_width": max_width}
    banned: set[IndexSpec] = set()
    runtime: list[RuntimeCheck] = []
    notes: list[str] = []
    try:
        progress.phase(PLANNING, len(queries))  # one what-if call each, without new indexes
        queries, unplannable = _plannable(queries, evaluator)
        skipped += unplannable
        selection = _select(queries, schema, evaluator, banned, progress, **options)
        rounds = 0
        while validate and connection is not None:
            runtime, culprit = _validate(connection, queries, selection, evaluator, validate_timeout_s, progress)
            if culprit is None:
                break
            banned.add(culprit)
            notes.append(f"{culprit} was dropped from the plan: it made a query measurably slower")
            rounds += 1
            if rounds < MAX_RESELECTIONS:
                selection = _select(queries, schema, evaluator, banned, progress, **options)
            else:  # stop searching for replacements; keep validating what is left
                selection = _without(queries, selection, evaluator, culprit)
        progress.phase(REPORTING)
        drop = _hygiene(schema, connection, queries, selection.indexes) if hygiene else []
        plan = build_plan(queries, selection, evaluator, budget_bytes=budget_bytes, drop=drop, runtime=runtime)
    finally:
        close = getattr(what_if, "close", None)
        if close is not None:
            close()
    plan.notes.extend(notes)
    plan.skipped.extend(skipped)
    if what_if.estimated:
        plan.notes.append("costs are sqltune's estimates from schema statistics, not the database's planner")
    return plan


#: Validation rounds that may choose replacements for an index found to slow a query down; after them the
#: offending indexes are only removed (and what is left validated again).
MAX_RESELECTIONS = 3


def _without(
    queries: Sequence[WorkloadQuery], selection: Selection, evaluator: CostEvaluator, index: IndexSpec
) -> Selection:
    kept = [i for i in selection.indexes if i != index]
    return Selection(
        indexes=kept,
        cost_without=selection.cost_without,
        cost_with=evaluator.workload_cost(queries, kept),
        size_bytes=sum(evaluator.size(i) for i in kept),
        what_if_calls=selection.what_if_calls,
        seconds=selection.seconds,
        algorithm=selection.algorithm,
        steps=[step for step in selection.steps if step.added != index],
    )


def _all_queries(items: Sequence[object]) -> bool:
    return bool(items) and all(isinstance(item, WorkloadQuery) for item in items)


def _validate(
    connection: AdvisorConnection,
    queries: Sequence[WorkloadQuery],
    selection: Selection,
    evaluator: CostEvaluator,
    timeout_s: float,
    progress: Progress,
) -> tuple[list[RuntimeCheck], IndexSpec | None]:
    """Measured runtime of every query whose real plan reads a new index; the worst offender, if any regressed.

    Among the new indexes the regressed queries' real plans read, the one that buys least elsewhere (by the
    what-if costs) is blamed.
    """
    if not selection.indexes:
        return [], None
    checks = connection.measure_regressions(queries, selection.indexes, timeout_s=timeout_s, progress=progress)
    suspects = {index for check in checks if check.regressed for index in check.uses}
    if not suspects:
        return checks, None

    def benefit(index: IndexSpec) -> float:
        without = [i for i in selection.indexes if i != index]
        return sum(q.weight * (evaluator.cost(q, without) - evaluator.cost(q, selection.indexes)) for q in queries)

    return checks, min(suspects, key=benefit)


def _hygiene(
    schema: Schema, connection: AdvisorConnection | None, queries: Sequence[WorkloadQuery], planned: Sequence[IndexSpec]
) -> list[Any]:
    """Hygiene advice for the tables the workload reads or writes (the plan is about them), without
    repeating an index the plan already creates."""
    from sqltune.indexes.hygiene import index_hygiene

    tables = {t for q in queries for t in q.tables()} | {fold(t) for q in queries for t in q.writes}
    scoped = Schema(t for t in schema if fold(t.qualified_name) in tables or fold(t.name) in tables)
    reset = connection.stats_reset() if connection is not None else None
    planned_keys = {(fold(i.table).rsplit(".", 1)[-1], tuple(map(fold, i.columns))) for i in planned}
    advice = []
    for item in index_hygiene(scoped, stats_reset=reset):
        created = _created_key(item.statement)
        if created is not None and created in planned_keys:
            continue
        advice.append(item)
    return advice


_CREATE = re.compile(r"^CREATE INDEX(?: CONCURRENTLY)? \S+ ON (?:\S+\.)?(\S+?) (?:USING \w+ )?\(([^)]*)\)", re.I)


def _created_key(statement: str) -> tuple[str, tuple[str, ...]] | None:
    match = _CREATE.match(statement)
    if match is None:
        return None
    return fold(match.group(1)), tuple(fold(c) for c in match.group(2).split(","))
