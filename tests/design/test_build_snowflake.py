"""The generated dbt project's Snowflake branches, run for real: dbt-snowflake builds the TPC-H star on the
fakesnow server (Snowflake's SQL and HTTP API on DuckDB) from TPC-H data loaded as Snowflake loads files (PUT
to a stage, COPY INTO); its models and tests pass, the generated date dimension has every day, and each
rewritten workload query, spelled for Snowflake, returns the original's rows there."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from sqltune.core.sqlglot import parse_one
from sqltune.design import design_star_schema
from sqltune.design.emit import write_outputs
from sqltune.schema import Schema
from sqltune.testing.star import dbt_build_snowflake, load_snowflake_csv, snowflake_multiset
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


def test_the_tpch_star_builds_on_snowflake_and_answers_alike(
    dbt_snowflake: Path, fakesnow_server: dict[str, object], tpch_csv: Path, tmp_path: Path
) -> None:
    import snowflake.connector

    # A database of this test's own on the run's shared server (dbt's sessions must all see it).
    connect = {"account": "fakesnow", "user": "fake", "password": "fake", **fakesnow_server}
    database = f"SQLTUNE_{uuid.uuid4().hex[:10].upper()}"
    connection = snowflake.connector.connect(**connect)
    cursor = connection.cursor()
    cursor.execute(f"CREATE DATABASE {database}")
    try:
        cursor.execute(f"CREATE SCHEMA {database}.TPCH_SOURCE")
        cursor.execute(f"USE SCHEMA {database}.TPCH_SOURCE")
        ddl = [s.strip() for s in (ROOT / "fixtures/schemas/tpch.sql").read_text().split(";") if s.strip()]
        for statement in ddl:
            if statement.upper().startswith("CREATE TABLE"):
                cursor.execute(parse_one(statement, "postgres").sql("snowflake"))
        loaded = load_snowflake_csv(connection, tpch_csv, TABLES)
        assert loaded["lineitem"] > 50_000 and loaded["region"] == 5

        schema = Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres")
        result = design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres"))
        write_outputs(result.design, schema, tmp_path, result.coverage)
        built = dbt_build_snowflake(
            dbt_snowflake, tmp_path / "dbt", {**connect, "database": database}, "TPCH_SOURCE", "STAR_MARTS"
        )
        assert built.returncode == 0, built.stdout[-4000:]
        summary = next(line for line in built.stdout.splitlines() if "Done. PASS=" in line)
        assert "ERROR=0" in summary and "WARN=0" in summary and "SKIP=0" in summary
        assert int(summary.split("PASS=")[1].split()[0]) >= 60

        # The Snowflake date spine: one row per day from the first date to the last, keys yyyymmdd.
        cursor.execute(f"USE SCHEMA {database}.STAR_MARTS")
        cursor.execute(
            "SELECT count(*), count(DISTINCT date_day), min(date_day), max(date_day), min(date_key), max(date_key)"
            " FROM dim_date"
        )
        days, distinct, first, last, first_key, last_key = cursor.fetchone()
        assert days == distinct == (last - first).days + 1 and first == date(1992, 1, 1)
        assert (first_key, last_key) == (int(first.strftime("%Y%m%d")), int(last.strftime("%Y%m%d")))
        cursor.execute(
            "SELECT month_name, day_of_week, week_of_year, is_weekend FROM dim_date WHERE date_key = 19920104"
        )
        assert cursor.fetchone() == ("January", 6, 1, True)  # a Saturday

        source = snowflake.connector.connect(**connect, database=database, schema="TPCH_SOURCE")
        star = snowflake.connector.connect(**connect, database=database, schema="STAR_MARTS")
        try:
            answered = result.coverage.answered
            assert len(answered) == 22
            for query in answered:
                original = snowflake_multiset(source, parse_one(query.original, "postgres").sql("snowflake"))
                rewritten = snowflake_multiset(star, parse_one(query.rewritten or "", "postgres").sql("snowflake"))
                assert original, f"{query.template} returns no rows: a vacuous comparison"
                assert rewritten == original, query.template
        finally:
            source.close()
            star.close()
    finally:
        # fakesnow 0.12 has no DROP DATABASE: the schemas go, an empty database stays until the server stops.
        for name in ("TPCH_SOURCE", "STAR_MARTS"):
            cursor.execute(f"DROP SCHEMA IF EXISTS {database}.{name} CASCADE")
        connection.close()
