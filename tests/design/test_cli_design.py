"""``sqltune design`` through click: the report, JSON, the output folder, and usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sqltune.cli import main

ROOT = Path(__file__).resolve().parents[2]
TPCH = ["--schema", str(ROOT / "fixtures/schemas/tpch.sql"), "--workload", str(ROOT / "fixtures/workloads/tpch")]


def test_text_report_shows_the_design_with_evidence_and_coverage(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["design", *TPCH, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "fact fct_lineitem: grain (l_orderkey, l_linenumber), sources lineitem, orders, partsupp" in out
    assert "    folded: nation, region" in out
    assert "    hierarchy: c_nation_region_name > c_nation_name > c_name" in out
    assert "measure l_quantity: additive [avg, sum] stored as sum + count" in out
    assert "coverage: 86% of the analytic workload answered (19 of 22 analytic templates" in out
    assert "  q05.sql: joins 5 -> 2" in out
    assert "  q13.sql: not answered: orders read here" in out
    assert "wrote 46 files to" in result.stderr
    for path in (
        "design.json",
        "ddl/postgres.sql",
        "ddl/snowflake.sql",
        "diagrams/star.mmd",
        "diagrams/star.dot",
        "queries/q05.sql",
        "dbt/dbt_project.yml",
        "dbt/models/marts/fct_lineitem.sql",
        "dbt/models/marts/schema.yml",
        "dbt/models/staging/stg_orders.sql",
    ):
        assert (tmp_path / path).is_file(), path
    mermaid = (tmp_path / "diagrams/star.mmd").read_text()
    assert 'fct_lineitem }o--|| dim_customer : "customer"' in mermaid
    assert 'fct_lineitem }o--|| dim_date : "ship_date"' in mermaid
    snowflake = (tmp_path / "ddl/snowflake.sql").read_text()
    assert "CREATE TABLE dim_customer (\n  customer_key VARCHAR NOT NULL," in snowflake
    assert "FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key)" in snowflake


def test_json_is_the_design_with_its_coverage() -> None:
    result = CliRunner().invoke(main, ["design", *TPCH, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "sqltune-star-design"
    assert [f["name"] for f in data["facts"]] == ["fct_lineitem", "fct_partsupp"]
    assert data["conformed"] == ["dim_part", "dim_supplier"]
    assert data["coverage"]["share"] == round(19 / 22, 4)
    q05 = next(q for q in data["coverage"]["queries"] if q["template"] == "q05.sql")
    assert q05["joins_before"] == 5 and q05["joins_after"] == 2 and q05["answered"]


def test_type_2_dimensions_get_a_snapshot(tmp_path: Path) -> None:
    shop = ["--schema", str(ROOT / "fixtures/schemas/shop.sql"), "--workload", str(ROOT / "fixtures/workloads/shop")]
    result = CliRunner().invoke(main, ["design", *shop, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "SCD type 2: the workload updates city" in result.stdout
    snapshot = (tmp_path / "dbt/snapshots/dim_customers_snapshot.sql").read_text()
    assert "unique_key='id', strategy='check', check_cols=['city']" in snapshot
    assert not (tmp_path / "dbt/snapshots/dim_products_snapshot.sql").exists()


def test_a_missing_schema_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(main, ["design", "--schema", "nope.sql", "--workload", "x"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "sqltune: error: schema file not found: nope.sql"


def test_schema_and_workload_are_required() -> None:
    result = CliRunner().invoke(main, ["design", "--workload", "x"])
    assert result.exit_code == 2 and "Missing option '--schema'" in result.output
