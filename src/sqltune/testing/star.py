"""Building a generated star with dbt and comparing query results, for the designer's tests and benchmark.

- :class:`BuiltStar`: a designed star, its written outputs and the schemas it was built from and into;
- :func:`dbt_build`: write a ``profiles.yml`` for a PostgreSQL DSN and run ``dbt build`` of a project, the
  sources read from one schema and the star written to another;
- :func:`dbt_build_snowflake`: the same with dbt-snowflake, for Snowflake's connection arguments (the
  fakesnow server's ``host``, ``port`` and ``protocol`` among them);
- :func:`result_multiset`: the rows of a PostgreSQL query as a multiset (decimals and floats compared by value);
- :func:`load_snowflake_csv`: CSV files into Snowflake tables as Snowflake loads them (``PUT`` to a stage,
  ``COPY INTO``);
- :func:`snowflake_multiset`: the rows of a query on a Snowflake connection as a multiset.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from sqltune.design import DesignResult
from sqltune.schema import Schema

__all__ = [
    "BuiltStar",
    "dbt_build",
    "dbt_build_snowflake",
    "load_snowflake_csv",
    "result_multiset",
    "snowflake_multiset",
]


@dataclass(frozen=True)
class BuiltStar:
    """A star designed from a workload, written to ``folder`` and built by dbt from ``source`` into ``star``."""

    schema: Schema
    result: DesignResult
    folder: Path
    source: str  # the schema of the normalised tables
    star: str  # the schema dbt built the star into
    build: subprocess.CompletedProcess[str]


#: The profile name of the generated project (sqltune.design.emit.dbt.PROJECT).
PROFILE = "sqltune_star"


def _run_dbt(
    dbt: Path, project: Path, output: Mapping[str, object], source_schema: str, timeout_s: float
) -> subprocess.CompletedProcess[str]:
    profile = {PROFILE: {"target": "test", "outputs": {"test": dict(output)}}}
    (project / "profiles.yml").write_text(json.dumps(profile), encoding="utf-8")
    return subprocess.run(
        [
            str(dbt),
            "build",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--vars",
            json.dumps({"source_schema": source_schema}),
        ],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PATH": str(dbt.parent) + ":/usr/bin:/bin"},
        check=False,
    )


def dbt_build(
    dbt: Path, project: Path, dsn: str, source_schema: str, target_schema: str, timeout_s: float = 600
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of ``project`` against ``dsn`` (its output in the result; raises nothing)."""
    params = conninfo_to_dict(dsn)
    output = {
        "type": "postgres",
        "host": params.get("host", "127.0.0.1"),
        "port": int(str(params.get("port") or 5432)),
        "user": params.get("user", "postgres"),
        "password": params.get("password", ""),
        "dbname": params.get("dbname", "postgres"),
        "schema": target_schema,
        "threads": 2,
    }
    return _run_dbt(dbt, project, output, source_schema, timeout_s)


def dbt_build_snowflake(
    dbt: Path,
    project: Path,
    connect: Mapping[str, object],
    source_schema: str,
    target_schema: str,
    timeout_s: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of ``project`` with dbt-snowflake; ``connect``: account, user, password, database and,
    for a server other than Snowflake's (fakesnow), host, port and protocol."""
    output = {"type": "snowflake", "warehouse": "sqltune", "threads": 1, **connect, "schema": target_schema}
    return _run_dbt(dbt, project, output, source_schema, timeout_s)


def _value(value: Any) -> Any:
    if isinstance(value, (Decimal, float)):
        return round(Decimal(value), 6).normalize()
    return value


def result_multiset(dsn: str, schema: str, query: str, timeout_ms: int = 60_000) -> Counter[tuple[Any, ...]]:
    """The rows of ``query`` run with ``search_path`` set to ``schema``, as a multiset."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        connection.execute(f"SET statement_timeout = {int(timeout_ms)}")
        rows = connection.execute(query).fetchall()
    return Counter(tuple(_value(v) for v in row) for row in rows)


def load_snowflake_csv(connection: Any, folder: Path, tables: list[str]) -> dict[str, int]:
    """``folder/<table>.csv`` (a header line, then rows) into each table of the connection's schema through a
    temporary stage, as Snowflake loads files; the rows loaded per table."""
    cursor = connection.cursor()
    cursor.execute("CREATE TEMPORARY STAGE sqltune_csv")
    loaded = {}
    for table in tables:
        cursor.execute(f"PUT file://{(folder / f'{table}.csv').resolve()} @sqltune_csv AUTO_COMPRESS = FALSE")
        cursor.execute(
            f"COPY INTO {table} FROM @sqltune_csv/{table}.csv"
            " FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"')"
        )
        loaded[table] = sum(int(row[3]) for row in cursor.fetchall())
    return loaded


def _snowflake_value(value: Any) -> Any:
    # fakesnow sums and averages NUMBER columns as DOUBLE, so the order rows are added in shows in the last
    # digits: floats are compared to 12 significant digits, decimals to 6 places.
    if isinstance(value, float):
        return Decimal(f"{value:.12g}").normalize()
    return _value(value)


def snowflake_multiset(connection: Any, query: str) -> Counter[tuple[Any, ...]]:
    """The rows of ``query`` (Snowflake SQL) on a Snowflake connection, as a multiset."""
    cursor = connection.cursor()
    cursor.execute(query)
    return Counter(tuple(_snowflake_value(v) for v in row) for row in cursor.fetchall())
