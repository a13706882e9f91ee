"""Building a generated star with dbt and comparing query results, for the designer's tests and benchmark.

- :func:`dbt_build`: write a ``profiles.yml`` for a PostgreSQL DSN and run ``dbt build`` of a project, the
  sources read from one schema and the star written to another;
- :func:`result_multiset`: the rows of a query as a multiset (decimals and floats compared by value).
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

__all__ = ["dbt_build", "result_multiset"]


def dbt_build(
    dbt: Path, project: Path, dsn: str, source_schema: str, target_schema: str, timeout_s: float = 600
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of ``project`` against ``dsn`` (its output in the result; raises nothing)."""
    params = conninfo_to_dict(dsn)
    profile = {
        "sqltune_star": {
            "target": "test",
            "outputs": {
                "test": {
                    "type": "postgres",
                    "host": params.get("host", "127.0.0.1"),
                    "port": int(str(params.get("port") or 5432)),
                    "user": params.get("user", "postgres"),
                    "password": params.get("password", ""),
                    "dbname": params.get("dbname", "postgres"),
                    "schema": target_schema,
                    "threads": 2,
                }
            },
        }
    }
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
