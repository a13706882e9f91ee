"""``SqlTuneSnapshotOperator``: a snapshot of a database's hottest templates into a folder, one per run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

__all__ = ["SqlTuneSnapshotOperator"]


class SqlTuneSnapshotOperator(BaseOperator):
    """Record what :func:`sqltune.take_snapshot` records (the workload's ``top`` templates with their plans,
    index usage, table statistics, Snowflake clustering) into ``out_dir/snapshot.json``. Read-only: the
    database is never written to.

    :param conn_id: the Airflow connection (type ``postgres`` or ``snowflake``; templated).
    :param out_dir: the folder to write the snapshot into (templated); one per run, named so that runs sort
        by time, e.g. ``/data/sqltune/snapshots/{{ ds_nodash }}``.
    :param workload: where the templates come from (templated): files sqltune reads a workload from (server
        logs, exports, SQL), or ``None`` for what the database records (``pg_stat_statements``, Snowflake's
        query history).
    :param top: how many of the hottest templates to record.
    :param analyze: run ``EXPLAIN ANALYZE`` on the reading templates (PostgreSQL): real times, real load.
    :param timeout_s: the limit of every statement sqltune sends, in seconds.
    :param database: the database to connect to instead of the connection's (PostgreSQL; templated).
    :param schemas: the schemas whose index usage and table statistics are recorded (PostgreSQL); all by
        default.
    :param days: how many days of Snowflake's query history make the workload when ``workload`` is ``None``.

    XCom (``return_value``): ``path``, ``file``, ``engine``, ``database``, ``taken_at``, ``templates``,
    ``indexes``, ``tables``, ``errors``.
    """

    template_fields: Sequence[str] = ("conn_id", "out_dir", "workload", "database", "schemas")
    ui_color = "#e0f0e3"

    def __init__(
        self,
        *,
        conn_id: str,
        out_dir: str,
        workload: str | Sequence[str] | None = None,
        top: int = 50,
        analyze: bool = False,
        timeout_s: float = 30.0,
        database: str | None = None,
        schemas: Sequence[str] | str | None = None,
        days: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.out_dir = out_dir
        self.workload = workload
        self.top = top
        self.analyze = analyze
        self.timeout_s = timeout_s
        self.database = database
        self.schemas = schemas
        self.days = days

    def execute(self, context: Any) -> dict[str, Any]:
        # sqltune is imported here, not at the top: DAG files are parsed often and should import little.
        from sqltune.api import take_snapshot
        from sqltune.integrations.airflow.hooks import SqlTuneHook

        hook = SqlTuneHook(self.conn_id, database=self.database, statement_timeout_s=self.timeout_s)
        with hook.connect() as connection:
            self.log.info("sqltune snapshot of %r (%s), top %d templates", self.conn_id, connection, self.top)
            snapshot = take_snapshot(
                connection,
                self.workload or None,
                top=self.top,
                analyze=self.analyze,
                timeout_s=self.timeout_s,
                schemas=_schemas(self.schemas),
                days=self.days,
            )
        file = snapshot.save(self.out_dir)
        errors = [template for template in snapshot.templates if template.error]
        for template in errors:
            self.log.warning("template %s: %s", template.fingerprint, template.error)
        summary = {
            "path": str(self.out_dir),
            "file": str(file),
            "engine": snapshot.engine,
            "database": snapshot.database,
            "taken_at": snapshot.taken_at.isoformat(),
            "templates": len(snapshot.templates),
            "indexes": len(snapshot.indexes),
            "tables": len(snapshot.tables),
            "errors": len(errors),
        }
        self.log.info(
            "sqltune snapshot of %s: %d templates, %d indexes, %d tables -> %s",
            snapshot.database,
            len(snapshot.templates),
            len(snapshot.indexes),
            len(snapshot.tables),
            file,
        )
        return summary


def _schemas(value: Sequence[str] | str | None) -> list[str] | None:
    """The schemas as a list: a templated string is comma-separated (an Airflow Variable), empty meaning all."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()] or None
    return list(value) if value else None
