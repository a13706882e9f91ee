"""The Python API: :func:`lint`, :func:`analyze` and :func:`rewrite` over SQL text, files, directories or globs,
and :func:`check_dbt`, the dbt step over a built project's artifacts.

Every entry point (these and :func:`sqltune.advise_indexes`) decides "SQL text or a path" with one rule,
:func:`sqltune.core.source.sources_from`, documented in docs/python-api.md.

>>> report = lint("SELECT * FROM orders WHERE lower(email) = 'a@b.c'", dialect="postgres")
>>> sorted(report.codes())
['SQ001', 'SQ002']
>>> [graph.base_tables()[0].name for graph in analyze("SELECT id FROM orders")]
['orders']

:func:`take_snapshot` and :func:`compare_snapshots` are the pipeline checks (docs/pipeline-checks.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqltune.connectors.timeouts import Timeout, timeout_ms
from sqltune.core.config import Config, load_config
from sqltune.core.findings import Report
from sqltune.core.source import STRING_PATH, Problem, Source, SqlOrPaths, sources_from
from sqltune.graph import QueryGraph
from sqltune.linter.engine import Linter
from sqltune.regressions import RegressionReport, Snapshot
from sqltune.regressions import compare_snapshots as compare
from sqltune.rewrites.engine import RewriteReport, rewrite_source
from sqltune.rewrites.registry import select_rewrites
from sqltune.rewrites.verification import Progress, VerifyConnection, VerifyOptions
from sqltune.rewrites.verifier import Verifier
from sqltune.schema import Schema
from sqltune.schema.migrations import apply_statements
from sqltune.workload import Workload

if TYPE_CHECKING:
    from sqltune.dbt import DbtReport

__all__ = ["analyze", "check_dbt", "compare_snapshots", "lint", "live_schema", "rewrite", "take_snapshot"]

SchemaLike = Schema | str | os.PathLike[str] | Mapping[str, Any] | None


def _readable(sql_or_paths: SqlOrPaths, text_path: str = STRING_PATH) -> list[Source]:
    """The sources of an entry point that returns no report: what cannot be read raises one line per input."""
    items = sources_from(sql_or_paths, text_path)
    problems = [item for item in items if isinstance(item, Problem) and item.fatal]
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return [item for item in items if isinstance(item, Source)]


def _schema(schema: SchemaLike, dialect: str | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    if isinstance(schema, str | os.PathLike):
        return Schema.load(Path(schema), dialect)
    return Schema.from_mapping(schema)


def lint(
    sql_or_paths: SqlOrPaths,
    *,
    dialect: str | None = None,
    schema: SchemaLike = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    config: Config | None = None,
) -> Report:
    """Lint SQL text, or files/directories/globs, and return the :class:`~sqltune.core.findings.Report`.

    Whether a string is SQL or a path is decided by :func:`sqltune.core.source.is_path` (the rule is in
    docs/python-api.md); inputs that cannot be read are the report's ``problems``. ``schema`` is a
    :class:`~sqltune.schema.Schema`, a path (DDL or JSON snapshot) or a ``{"table": {"column": "type"}}`` mapping.
    """
    base = config or Config()
    config = base.with_overrides(
        dialect=dialect,
        select=tuple(select) if select is not None else None,
        ignore=tuple(ignore) if ignore is not None else None,
    )
    return Linter(config, _schema(schema, config.dialect)).lint_sources(sources_from(sql_or_paths))


def analyze(sql_or_paths: SqlOrPaths, *, dialect: str | None = None, schema: SchemaLike = None) -> list[QueryGraph]:
    """A :class:`~sqltune.graph.QueryGraph` for every statement that parses, in file and statement order.

    DDL among the statements informs the graphs of the queries after and before it. An input that cannot be
    read (a missing file, a directory without SQL files) raises ``ValueError`` naming it.
    """
    linter = Linter(Config(dialect=dialect, select=("SQ000",)), _schema(schema, dialect))
    parsed = [linter.parse(source) for source in _readable(sql_or_paths)]
    full = Schema(linter.schema or ())
    apply_statements(full, [statement for item in parsed for statement in item.statements], dialect)
    return [
        QueryGraph.build(statement.expression, full)
        for item in parsed
        for statement in item.statements
        if statement.expression is not None
    ]


def rewrite(
    sql_or_path: SqlOrPaths,
    dialect: str | None = None,
    schema: SchemaLike = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    unsafe: bool = False,
    path: str = STRING_PATH,
    connection: VerifyConnection | None = None,
    verify: bool = False,
    runs: int = 3,
    min_speedup: float = 1.2,
    max_slowdown: float = 2.0,
    timeout: Timeout = "60s",
    float_digits: int = 12,
    progress: Progress | None = None,
) -> RewriteReport:
    """Rewrite SQL text or one SQL file (see :func:`sqltune.rewrites.rewrite`; the same string-or-path rule as
    :func:`lint`). ``path`` names SQL text in the report; a file keeps its own path.

    ``connection`` (a :func:`sqltune.connect` PostgreSQL connection) gives the schema when ``schema`` is not
    given. ``verify=True`` runs every candidate change on it before keeping it (see
    :mod:`sqltune.rewrites.verifier` and docs/rewrites.md): results compared by streamed fingerprints
    (floats to ``float_digits`` significant digits), ``runs`` timed runs each, the original stopped at
    ``timeout``, a rewritten query at ``max_slowdown`` times the original; a statement is rewritten only when
    at least ``min_speedup`` times faster. Each change's evidence is ``change.verification``, each
    statement's ``report.verified``; ``unsafe`` then writes ADVISED changes that hold on today's data.
    """
    sources = _readable(sql_or_path, path)
    if len(sources) != 1:
        raise ValueError(f"expected SQL text or one SQL file, found {len(sources)} files")
    rewrites = select_rewrites(select, ignore)
    judge = None
    if verify:
        if connection is None:
            raise ValueError("verify=True needs a connection: sqltune.connect(dsn)")
        if dialect not in (None, "postgres"):
            raise ValueError(f"verify=True runs the queries on PostgreSQL: the dialect must be postgres, not {dialect}")
        dialect = "postgres"
        options = VerifyOptions(runs, min_speedup, max_slowdown, timeout_ms(timeout), float_digits, unsafe)
        judge = Verifier(connection, options, progress)
    known = _schema(schema, dialect)
    if known is None and connection is not None:
        known = live_schema(connection)
    return rewrite_source(sources[0], dialect, known, rewrites=rewrites, unsafe=unsafe, judge=judge)


def live_schema(connection: Any) -> Schema:
    """The schema of the tables on the connection's ``search_path`` (where a query's unqualified names
    resolve), read from the catalog."""
    search_path = [str(row[0]) for row in connection.query("SELECT unnest(current_schemas(false))")]
    schema: Schema = connection.schema(search_path or ("public",))
    return schema


def check_dbt(
    project_dir: str | os.PathLike[str],
    *,
    previous: str | os.PathLike[str] | None = None,
    connection: Any = None,
    top: int = 10,
    time_factor: float = 1.5,
    min_seconds: float = 1.0,
    target_dir: str = "target",
    config: Config | None = None,
    timeout: str | float = "30s",
) -> DbtReport:
    """The dbt step over ``project_dir``'s ``target/manifest.json`` and ``target/run_results.json``: the ``top``
    slowest models linted (and, with a ``connection``, explained), compared with the ``previous`` run's
    ``run_results.json`` (a file, or a folder holding one), findings on the model files. See docs/dbt.md.

    ``connection`` is a PostgreSQL DSN or URL, a mapping of libpq keywords or a SQLAlchemy engine (opened
    read-only for the call, each EXPLAIN limited to ``timeout``), or a connection from
    :func:`sqltune.connect`. The lint configuration is the project's (``.sqltune.toml`` or ``pyproject.toml``
    found from ``project_dir``) unless ``config`` is given.
    """
    from sqltune.dbt import check_project

    def step(opened: Any) -> DbtReport:
        return check_project(
            project_dir,
            target_dir=target_dir,
            previous=previous,
            connection=opened,
            top=top,
            time_factor=time_factor,
            min_seconds=min_seconds,
            config=config or load_config(start=project_dir),
        )

    if connection is None or _opened(connection):
        return step(connection)
    from sqltune.connectors.engines import require_engine
    from sqltune.connectors.postgres import connect

    require_engine(connection, ("postgres",), "the dbt step")
    with connect(connection, statement_timeout=timeout) as opened:
        return step(opened)


#: Workload names that mean "what the database itself records" (the connection's own statistics).
_LIVE_WORKLOADS = {"pg_stat_statements", "query_history"}


def _opened(connection: Any) -> bool:
    """``connection`` is already a sqltune connection (PostgreSQL, Snowflake...), not something to open one from."""
    return type(connection).__module__.startswith("sqltune.connectors.")


def _snapshot_connection(connection: Any, timeout_s: float) -> tuple[Any, bool]:
    """A sqltune connection for ``connection`` and whether it was opened here (then it is closed here)."""
    if _opened(connection):
        return connection, False
    if type(connection).__module__.startswith("snowflake.connector"):  # an open snowflake.connector connection: wrapped
        from sqltune.connectors.snowflake import connect as wrap

        return wrap(connection=connection, statement_timeout_s=timeout_s), False
    from sqltune.connectors import connect
    from sqltune.connectors.engines import require_engine

    require_engine(connection, ("postgres", "snowflake"), "take_snapshot")
    return connect(connection, statement_timeout=timeout_s), True


def _snapshot_workload(
    workload: Workload | str | os.PathLike[str] | Iterable[Any] | None, dialect: str
) -> Workload | None:
    if workload is None or isinstance(workload, Workload):
        return workload
    if isinstance(workload, str) and workload.strip() in _LIVE_WORKLOADS:
        return None
    paths = [workload] if isinstance(workload, str | os.PathLike) else list(workload)
    return Workload.read(*paths, dialect=dialect)


def take_snapshot(
    connection: Any,
    workload: Workload | str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    *,
    top: int = 50,
    analyze: bool = False,
    timeout_s: float = 30.0,
    schemas: Iterable[str] | None = None,
    days: int = 1,
) -> Snapshot:
    """A :class:`~sqltune.regressions.Snapshot` of a database: its workload's ``top`` templates with their
    plans (EXPLAIN; EXPLAIN ANALYZE of the reading ones with ``analyze=True``, PostgreSQL only), index usage,
    table statistics and, on Snowflake, the clustering of clustered tables. Nothing is written to the database.

    ``connection`` is anything :func:`sqltune.connect` takes (a PostgreSQL DSN, URL, mapping or SQLAlchemy
    object; a ``snowflake://`` URL), an open sqltune connection, or an open ``snowflake.connector`` one; a
    connection opened here is closed here. ``workload`` is a :class:`~sqltune.Workload`, files to read one
    from (server logs, exports, SQL, a saved workload), or ``None`` (also ``"pg_stat_statements"`` /
    ``"query_history"``) for what the database records: ``pg_stat_statements``, or on Snowflake the query
    history of the last ``days``. ``timeout_s`` limits every statement (PostgreSQL, and Snowflake connections
    opened here); ``schemas`` limits the PostgreSQL index and table statistics to those schemas.
    """
    opened, owned = _snapshot_connection(connection, timeout_s)
    try:
        if opened.dialect == "snowflake":
            from sqltune.connectors.snowflake.snapshot import take_snapshot as take_snowflake

            source = _snapshot_workload(workload, "snowflake")
            return take_snowflake(opened, source, top=top, analyze=analyze, days=days)
        from sqltune.connectors.postgres.snapshot import take_snapshot as take_postgres

        source = _snapshot_workload(workload, "postgres")
        return take_postgres(opened, source, top=top, analyze=analyze, timeout_s=timeout_s, schemas=schemas)
    finally:
        if owned:
            opened.close()


def compare_snapshots(
    old: Snapshot | str | os.PathLike[str],
    new: Snapshot | str | os.PathLike[str],
    *,
    time_factor: float = 1.5,
    min_mean_ms: float = 1.0,
    top: int = 10,
    cost_factor: float = 1.5,
    depth_factor: float = 1.5,
    fail_on: str = "warning",
) -> RegressionReport:
    """What got slower from ``old`` to ``new`` (snapshots, or the directories they were saved in): plan
    changes, mean-time regressions beyond ``time_factor`` (of templates with a mean of ``min_mean_ms`` or
    more), indexes unused or gone, clustering depth grown beyond ``depth_factor``, templates new in the ``top``.
    ``report.failed`` is whether a finding is at or above ``fail_on``. See
    :mod:`sqltune.regressions.compare`."""
    before = old if isinstance(old, Snapshot) else Snapshot.load(old)
    after = new if isinstance(new, Snapshot) else Snapshot.load(new)
    return compare(
        before,
        after,
        time_factor=time_factor,
        min_mean_ms=min_mean_ms,
        top=top,
        cost_factor=cost_factor,
        depth_factor=depth_factor,
        fail_on=fail_on,
    )
