"""The star's DDL runs: PostgreSQL's on the test server, Snowflake's on fakesnow."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from sqltune.design import design_star_schema
from sqltune.design.emit import ddl
from sqltune.schema import Schema
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]


def tpch_ddl(dialect: str) -> list[str]:
    schema = Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres")
    design = design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres")).design
    return [s.strip() for s in ddl(design, dialect).split(";") if s.strip()]


def test_postgres_ddl_creates_the_star_with_its_keys(pg_dsn: str) -> None:
    statements = tpch_ddl("postgres")
    assert len(statements) == 9  # 6 dimensions (two junk ones), 3 facts
    name = f"ddl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        try:
            connection.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(name)))
            for statement in statements:
                connection.execute(statement)
            references = connection.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
                " WHERE contype = 'f' AND connamespace = %s::regnamespace ORDER BY 1, 2",
                (name,),
            ).fetchall()
        finally:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    assert ("fct_lineitem", "dim_customer") in references and ("fct_partsupp", "dim_part") in references
    assert ("fct_orders", "dim_customer") in references and ("fct_orders", "dim_orders_flags") in references
    assert sum(1 for child, parent in references if (child, parent) == ("fct_lineitem", "dim_date")) == 4


def test_snowflake_ddl_runs_on_fakesnow(fakesnow_server: dict[str, object]) -> None:
    import snowflake.connector

    connection = snowflake.connector.connect(
        account="fakesnow",
        user="fake",
        password="fake",
        database="STAR",
        schema="PUBLIC",
        session_parameters={"FAKESNOW_DB_PATH": ":isolated:"},  # a fresh database of this test's own
        **fakesnow_server,
    )
    try:
        cursor = connection.cursor()
        cursor.execute("CREATE DATABASE IF NOT EXISTS STAR")
        cursor.execute("CREATE SCHEMA IF NOT EXISTS STAR.PUBLIC")
        cursor.execute("USE SCHEMA STAR.PUBLIC")
        for statement in tpch_ddl("snowflake"):
            cursor.execute(statement.replace("CREATE TABLE", "CREATE OR REPLACE TABLE", 1))
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'PUBLIC' ORDER BY 1")
        tables = [row[0].lower() for row in cursor.fetchall()]
    finally:
        connection.close()
    assert {"dim_customer", "dim_date", "dim_lineitem_flags", "fct_lineitem", "fct_partsupp", "fct_orders"} <= set(
        tables
    )
