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
    assert "coverage: 100% of the analytic workload answered (22 of 22 analytic templates" in out
    assert "  q05.sql: joins 5 -> 2" in out
    assert "  q13.sql: joins 1 -> 1" in out
    assert "fact fct_orders: grain (o_orderkey), sources orders; the header of fct_lineitem, at its own grain" in out
    assert "conformed dimensions: dim_part, dim_supplier, dim_customer, dim_date" in out
    assert "wrote 54 files to" in result.stderr
    for path in (
        "design.json",
        "ddl/postgres.sql",
        "ddl/snowflake.sql",
        "diagrams/star.mmd",
        "diagrams/star.dot",
        "queries/q05.sql",
        "dbt/dbt_project.yml",
        "dbt/models/marts/fct_lineitem.sql",
        "dbt/models/marts/fct_orders.sql",
        "queries/q13.sql",
        "dbt/models/marts/schema.yml",
        "dbt/macros/sqltune_key.sql",
        "dbt/models/staging/stg_orders.sql",
    ):
        assert (tmp_path / path).is_file(), path
    mermaid = (tmp_path / "diagrams/star.mmd").read_text()
    assert 'fct_lineitem }o--|| dim_customer : "customer"' in mermaid
    assert 'fct_lineitem }o--|| dim_date : "ship_date"' in mermaid
    snowflake = (tmp_path / "ddl/snowflake.sql").read_text()
    assert "CREATE TABLE dim_customer (\n  customer_key BIGINT NOT NULL," in snowflake
    assert "FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key)" in snowflake


def test_json_is_the_design_with_its_coverage() -> None:
    result = CliRunner().invoke(main, ["design", *TPCH, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "sqltune-star-design"
    assert [f["name"] for f in data["facts"]] == ["fct_lineitem", "fct_partsupp", "fct_orders"]
    assert [f["header_of"] for f in data["facts"]] == [None, None, "fct_lineitem"]
    assert data["conformed"] == ["dim_part", "dim_supplier", "dim_customer", "dim_date"]
    assert data["coverage"]["share"] == 1.0
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


def test_dsn_checks_inferred_relationships_on_the_data(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    dsn, name = pg_schema
    local = make_conninfo(dsn, options=f"{conninfo_to_dict(dsn).get('options', '')} -csearch_path={name}".strip())
    ddl = (
        "CREATE TABLE store (st_id int PRIMARY KEY, st_city text NOT NULL, st_region text NOT NULL);"
        "CREATE TABLE promo (pr_id int PRIMARY KEY, pr_name text NOT NULL);"
        "CREATE TABLE sale (sa_id int PRIMARY KEY, sa_store_id int NOT NULL, sa_promo_id int, sa_amount numeric,"
        " sa_color text, sa_size text, sa_type text);"
    )
    with psycopg.connect(local, autocommit=True) as connection:
        connection.execute(ddl)
        connection.execute(
            "INSERT INTO store SELECT g, 'city ' || g % 3, CASE WHEN g % 3 = 0 THEN 'north' ELSE 'south' END"
            " FROM generate_series(1, 5) g;"
            "INSERT INTO promo SELECT g, 'p' FROM generate_series(1, 3) g;"
            # every sale's store exists; half the promo ids do not: that reference is refuted.
            "INSERT INTO sale SELECT g, 1 + g % 5, 1 + g % 6, g, 'c' || g % 3, 's' || g % 2, 't' || g"
            " FROM generate_series(1, 100) g;"
        )
    (tmp_path / "schema.sql").write_text(ddl)
    (tmp_path / "q.sql").write_text(
        "SELECT st_city, pr_name, sum(sa_amount) FROM sale JOIN store ON sa_store_id = st_id"
        " JOIN promo ON sa_promo_id = pr_id GROUP BY st_city, pr_name"
    )
    (tmp_path / "q2.sql").write_text(
        "SELECT st_region, st_city, sum(sa_amount) FROM sale JOIN store ON sa_store_id = st_id"
        " GROUP BY st_region, st_city"
    )
    workload = ["--workload", str(tmp_path / "q.sql"), "--workload", str(tmp_path / "q2.sql")]
    args = ["design", "--schema", str(tmp_path / "schema.sql"), *workload, "--format", "json"]
    offline = json.loads(CliRunner().invoke(main, args).stdout)
    live = CliRunner().invoke(main, [*args, "--dsn", local])
    assert live.exit_code == 0, live.output
    checked = json.loads(live.stdout)

    def references(data: dict[str, object]) -> set[str]:
        return {f"{r['child']}->{r['parent']}" for r in data["relationships"]}  # type: ignore[attr-defined,index]

    assert references(offline) == {"sale->store", "sale->promo"}
    assert references(checked) == {"sale->store"}
    (store,) = checked["relationships"]
    assert store["checked"] == "100/100 sampled values found in store; 5/5 parent rows distinct"
    # Flags: by name offline (sa_type alone: no junk dimension), by sampled distinct counts with the data
    # (sa_type has 100 values; sa_color 3 and sa_size 2 are flags, and so is the promo code, 6 integers no
    # longer a reference once the data refuted it).
    assert [r["dimension"] for r in offline["facts"][0]["dimensions"]] == ["dim_promo", "dim_store"]
    assert [r["dimension"] for r in checked["facts"][0]["dimensions"]] == ["dim_store", "dim_sale_flags"]
    # A hierarchy from a functional dependency the data shows: city determines region.
    store_dimension = next(d for d in checked["dimensions"] if d["name"] == "dim_store")
    assert store_dimension["hierarchies"] == [["st_region", "st_city"]]
    assert "st_city determines st_region on a sample (3 values, 2 above)" in store_dimension["why"]["evidence"]
    assert next(d for d in offline["dimensions"] if d["name"] == "dim_store")["hierarchies"] == []
    junk = next(d for d in checked["dimensions"] if d["name"] == "dim_sale_flags")
    assert junk["natural_key"] == ["sa_promo_id", "sa_color", "sa_size"]
    assert junk["why"]["evidence"] == [
        "sale.sa_promo_id: 6 distinct values",
        "sale.sa_color: 3 distinct values",
        "sale.sa_size: 2 distinct values",
    ]
