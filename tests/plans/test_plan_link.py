"""Plan nodes point back at the SQL: scans and joins linked to QueryGraph relations and source spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.parsing import Statement, parse_source
from sqltune.core.source import Source
from sqltune.graph import QueryGraph
from sqltune.plans import PlanGraph, link_plan, link_spans, load_plan

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "plans"


def _statement(path: Path, dialect: str) -> Statement:
    (statement,) = parse_source(Source.from_string(path.read_text(), path.name), dialect)
    assert statement.expression is not None
    return statement


def _linked(plan: PlanGraph, statement: Statement) -> dict[str, tuple[str, int]]:
    """Node label -> (relation alias, SQL line) for every linked node."""
    assert statement.expression is not None
    graph = QueryGraph.build(statement.expression)
    spans = link_spans(plan, statement, graph)
    return {
        f"{node_id}:{plan[node_id].label}": (graph.relations[relation].alias, spans[node_id].line)
        for node_id, relation in link_plan(plan, graph).items()
    }


@pytest.mark.parametrize("suffix", ["json", "txt"])
def test_tpch_q03_postgres(suffix: str) -> None:
    plan = load_plan(PLANS / "postgres" / f"tpch_q03.analyze.{suffix}")
    statement = _statement(ROOT / "fixtures" / "workloads" / "tpch" / "q03.sql", "postgres")
    # FROM customer, orders, lineitem on lines 7, 8 and 9 of the statement.
    assert _linked(plan, statement) == {
        "3:Hash Join": ("lineitem", 9),
        "4:Bitmap Heap Scan on lineitem": ("lineitem", 9),
        "5:Bitmap Index Scan using lineitem_ship_idx": ("lineitem", 9),
        "7:Hash Join": ("customer", 7),
        "8:Seq Scan on orders": ("orders", 8),
        "10:Seq Scan on customer": ("customer", 7),
    }


def test_tpch_q18_repeated_table_maps_to_each_occurrence() -> None:
    plan = load_plan(PLANS / "postgres" / "tpch_q18.analyze.json")
    statement = _statement(ROOT / "fixtures" / "workloads" / "tpch" / "q18.sql", "postgres")
    linked = _linked(plan, statement)
    # PostgreSQL calls the subquery's lineitem "lineitem_1": it is the one on line 17, inside IN (...).
    assert linked["7:Seq Scan on lineitem"] == ("lineitem", 11)
    assert linked["10:Seq Scan on lineitem lineitem_1"] == ("lineitem", 17)
    assert {alias for alias, _ in linked.values()} == {"customer", "orders", "lineitem"}


def test_tpch_q13_derived_table_and_outer_join() -> None:
    plan = load_plan(PLANS / "postgres" / "tpch_q13.analyze.txt")
    statement = _statement(ROOT / "fixtures" / "workloads" / "tpch" / "q13.sql", "postgres")
    linked = _linked(plan, statement)
    assert linked["3:Hash Right Join"] == ("customer", 9)
    assert linked["4:Seq Scan on orders"][0] == "orders"


def test_cte_scans_link_to_their_cte_references() -> None:
    plan = load_plan(PLANS / "postgres" / "cte_scan.analyze_buffers.txt")
    statement = _statement(PLANS / "postgres" / "cte_scan.sql", "postgres")
    assert statement.expression is not None
    graph = QueryGraph.build(statement.expression)
    links = link_plan(plan, graph)
    by_alias = {plan[n].alias: graph.relations[r] for n, r in links.items() if plan[n].operator == "CTE Scan"}
    assert {alias: (r.kind, r.name) for alias, r in by_alias.items()} == {"a": ("cte", "big"), "b": ("cte", "big")}
    orders = next(n for n in plan if n.relation == "orders")
    assert graph.relations[links[orders.id]].name == "orders"  # the scan inside the CTE body


def test_mariadb_aliases() -> None:
    plan = load_plan(PLANS / "mysql" / "mariadb_join_ref.analyze.json")
    statement = _statement(PLANS / "mysql" / "mariadb_join_ref.sql", "mysql")
    linked = _linked(plan, statement)
    assert sorted(linked.values()) == [("c", 1), ("o", 1), ("o", 1)]
    assert [label.split(":")[1] for label in linked] == [
        "nested_loop",
        "ref using c_nation on c",
        "ref using o_cust on o",
    ]


def test_snowflake_objects_link_case_insensitively() -> None:
    plan = load_plan(PLANS / "snowflake" / "explain_q03.json")
    statement = _statement(ROOT / "fixtures" / "workloads" / "tpch" / "q03.sql", "snowflake")
    linked = _linked(plan, statement)
    scans = {label: value for label, value in linked.items() if "TableScan" in label}
    assert scans == {
        "5:TableScan on LINEITEM": ("lineitem", 9),
        "9:TableScan on CUSTOMER": ("customer", 7),
        "11:TableScan on ORDERS": ("orders", 8),
    }
    # The top join's inner side is the customer-orders join (two relations): it brings in its outer side.
    assert linked["3:InnerJoin"] == ("lineitem", 9)
    assert linked["7:InnerJoin"] == ("orders", 8)


def test_duckdb_profile_links_by_table_name() -> None:
    plan = load_plan(PLANS / "duckdb" / "join_topn.profile.json")
    statement = _statement(PLANS / "duckdb" / "join_topn.sql", "duckdb")
    linked = _linked(plan, statement)
    assert sorted(v for k, v in linked.items() if "SEQ_SCAN" in k) == [("c", 1), ("o", 1)]
    assert [v for k, v in linked.items() if "HASH_JOIN" in k] == [("c", 1)]


def test_unmatched_nodes_stay_unlinked() -> None:
    plan = load_plan(PLANS / "postgres" / "tpch_q03.analyze.json")
    statement = _statement(PLANS / "duckdb" / "filter_scan.sql", "postgres")
    assert statement.expression is not None
    graph = QueryGraph.build(statement.expression)
    assert {plan[n].relation for n in link_plan(plan, graph) if plan[n].kind == "scan"} <= {"orders"}
