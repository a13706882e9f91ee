"""QueryGraph: scopes, relations, joins, column roles, qualification, DML and export."""

from __future__ import annotations

import json

import pytest

from sqltune.core.sqlglot import exp, parse_one
from sqltune.graph import ColumnRole, ColumnUse, QueryGraph
from sqltune.schema import Schema

SCHEMA = Schema.from_ddl(
    """
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text, total numeric, created_at timestamp);
    CREATE TABLE customers (id int PRIMARY KEY, email text, region text, status text);
    CREATE TABLE items (order_id int, sku text, qty int);
    """
)


def build(sql: str, schema: Schema | None = None, dialect: str | None = None) -> QueryGraph:
    return QueryGraph.build(parse_one(sql, dialect), schema)


def uses(graph: QueryGraph, role: ColumnRole) -> list[str]:
    """``table.column`` (or the bare column when unresolved) of every use with ``role``, sorted."""
    return sorted(str(use.column) for use in graph.uses if use.role is role)


def use_of(graph: QueryGraph, column: str, role: ColumnRole | None = None) -> ColumnUse:
    found = [u for u in graph.uses if str(u.column) == column and (role is None or u.role is role)]
    assert len(found) == 1, f"{column}: {[(str(u.column), u.role) for u in graph.uses]}"
    return found[0]


# -- scopes ------------------------------------------------------------------------------------------------


def test_single_select_is_one_root_scope() -> None:
    graph = build("SELECT id FROM orders")
    assert [(s.id, s.kind, s.parent) for s in graph.scopes.values()] == [("s0", "root", None)]
    assert graph.scopes["s0"].outputs == ("id",)


def test_cte_scope_defines_the_cte_relation() -> None:
    graph = build("WITH open AS (SELECT id, customer_id FROM orders WHERE status = 'open') SELECT id FROM open")
    root, cte = graph.scopes["s0"], graph.scopes["s1"]
    assert (root.kind, cte.kind, cte.parent) == ("root", "cte", "s0")
    [reference] = graph.relations_in("s0")
    assert (reference.kind, reference.name, reference.defined_by) == ("cte", "open", "s1")
    assert [r.name for r in graph.relations_in("s1")] == ["orders"]
    assert graph.graph.has_edge(reference.id, "s1")
    assert cte.outputs == ("id", "customer_id")


def test_derived_table_scope_and_its_output_columns_qualify_outer_columns() -> None:
    graph = build("SELECT t.n FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) t WHERE n > 2")
    [derived] = graph.relations_in("s0")
    assert (derived.kind, derived.alias, graph.scopes[derived.defined_by or ""].kind) == ("derived", "t", "derived")
    assert use_of(graph, "n", ColumnRole.RANGE).column.relation == derived.id


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT c_count FROM (SELECT c_custkey, count(o_orderkey) FROM orders GROUP BY 1) AS d (c_custkey, c_count)",
        "WITH d (c_custkey, c_count) AS (SELECT c_custkey, count(o_orderkey) FROM orders GROUP BY 1) "
        "SELECT c_count FROM d",
    ],
)
def test_a_column_alias_list_names_the_outputs(sql: str) -> None:
    # TPC-H Q13: the unnamed count(...) is c_count only through the alias list.
    graph = QueryGraph.build(parse_one(sql, "postgres"))
    outer = [use for use in graph.uses if use.column.column == "c_count"]
    assert outer and all(use.column.relation is not None for use in outer)


@pytest.mark.parametrize(
    ("sql", "how", "correlated"),
    [
        ("SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = 'eu')", "in", False),
        (
            "SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)",
            "exists",
            True,
        ),
        ("SELECT id, (SELECT max(total) FROM orders) AS top FROM customers", "scalar", False),
        ("SELECT id FROM orders WHERE total > ALL (SELECT total FROM orders WHERE status = 'x')", "all", False),
        (
            "SELECT id FROM orders o "
            "WHERE total > (SELECT avg(total) FROM orders i WHERE i.customer_id = o.customer_id)",
            "scalar",
            True,
        ),
    ],
)
def test_subquery_scopes_record_how_and_correlation(sql: str, how: str, correlated: bool) -> None:
    graph = build(sql)
    [sub] = [s for s in graph.scopes.values() if s.kind == "subquery"]
    assert (sub.parent, sub.how, sub.correlated) == ("s0", how, correlated)
    assert graph.scopes["s0"].correlated is False
    assert any(d.get("type") == "nests" and d.get("how") == how for _, _, d in graph.graph.out_edges("s0", data=True))


def test_correlated_column_belongs_to_the_outer_relation_and_the_subquery_scope() -> None:
    graph = build("SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)")
    outer = use_of(graph, "orders.customer_id")
    assert outer.scope == "s1"  # used inside the subquery ...
    assert graph.relations[outer.column.relation or ""].scope == "s0"  # ... provided by the outer query
    assert outer.role is ColumnRole.JOIN_KEY
    assert graph.joins == []  # a correlation is not a join of either scope


def test_union_branches_are_scopes_in_written_order() -> None:
    graph = build("SELECT id FROM orders UNION ALL SELECT id FROM customers UNION ALL SELECT order_id FROM items")
    branches = [s for s in graph.scopes.values() if s.kind == "union" and s.relations]
    assert [graph.relations_in(s.id)[0].name for s in branches] == ["orders", "customers", "items"]
    assert graph.scopes["s0"].kind == "root"
    assert graph.scopes["s0"].outputs == ("id",)


def test_lateral_subquery_is_one_correlated_lateral_scope() -> None:
    graph = build(
        "SELECT c.id, l.total FROM customers c "
        "LEFT JOIN LATERAL (SELECT total FROM orders o WHERE o.customer_id = c.id ORDER BY total DESC LIMIT 1) l "
        "ON true",
        dialect="postgres",
    )
    [lateral] = [s for s in graph.scopes.values() if s.kind == "lateral"]
    assert (lateral.parent, lateral.how, lateral.correlated) == ("s0", "lateral", True)
    derived = next(r for r in graph.relations.values() if r.alias == "l")
    assert (derived.kind, derived.defined_by, derived.join_kind) == ("derived", lateral.id, "left")
    assert use_of(graph, "total", ColumnRole.PROJECTION).column.relation == derived.id
    assert [j.kind for j in graph.joins] == ["left"]


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT f.value FROM events e, LATERAL FLATTEN(input => e.tags) f", "snowflake"),
        ("SELECT g FROM orders o CROSS JOIN LATERAL generate_series(1, o.total) g", "postgres"),
        ("SELECT tag FROM events e CROSS JOIN UNNEST(e.tags) AS tag", "postgres"),
    ],
)
def test_table_functions_are_function_relations(sql: str, dialect: str) -> None:
    graph = build(sql, dialect=dialect)
    kinds = sorted(r.kind for r in graph.relations.values())
    assert kinds == ["function", "table"]
    assert len(graph.join_components("s0")) == 1  # joined to the table it unnests, not a cartesian product


# -- relations and joins -------------------------------------------------------------------------------------


def test_explicit_join_kind_equi_pairs_and_join_node() -> None:
    graph = build(
        "SELECT o.id FROM orders o LEFT JOIN customers c ON c.id = o.customer_id AND c.region = o.status AND c.id > 10"
    )
    [join] = graph.joins
    assert join.kind == "left"
    # Pairs are (left relation's column, right relation's column), whichever side of `=` each was written on.
    assert [(str(a), str(b)) for a, b in join.equi] == [
        ("orders.customer_id", "customers.id"),
        ("orders.status", "customers.region"),
    ]
    assert (join.left, join.right) == ("r0", "r1")
    assert isinstance(join.node, exp.Join)
    assert use_of(graph, "customers.id", ColumnRole.RANGE).value is not None


def test_implicit_comma_join_through_where() -> None:
    graph = build("SELECT o.id FROM orders o, customers c WHERE o.customer_id = c.id AND c.region = 'eu'")
    [join] = graph.joins
    assert join.kind == "inner"
    assert graph.relations[join.right].join_kind == "comma"
    assert [(str(a), str(b)) for a, b in join.equi] == [("orders.customer_id", "customers.id")]
    assert len(graph.join_components("s0")) == 1


def test_comma_join_without_predicate_is_two_components() -> None:
    graph = build("SELECT o.id FROM orders o, customers c WHERE c.region = 'eu'")
    assert graph.joins == []
    assert len(graph.join_components("s0")) == 2


def test_cross_join_and_non_equi_join_are_recorded_without_keys() -> None:
    cross = build("SELECT 1 FROM orders CROSS JOIN customers")
    assert [(j.kind, j.equi) for j in cross.joins] == [("cross", [])]
    theta = build("SELECT 1 FROM orders o JOIN customers c ON o.total > c.id")
    [join] = theta.joins
    assert (join.kind, join.equi) == ("inner", [])
    assert [o.sql() for o in join.other] == ["o.total > c.id"]


def test_join_using_gives_equi_pairs_and_join_key_uses_on_both_sides() -> None:
    graph = build("SELECT id, o.total FROM orders o JOIN items i USING (id) JOIN customers c USING (id)")
    assert [(j.left, j.right, [(str(a), str(b)) for a, b in j.equi]) for j in graph.joins] == [
        ("r0", "r1", [("orders.id", "items.id")]),
        ("r0", "r2", [("orders.id", "customers.id")]),
    ]
    keys = [u for u in graph.uses if u.clause == "using"]
    assert sorted(str(u.column) for u in keys) == ["customers.id", "items.id", "orders.id", "orders.id"]
    assert all(u.role is ColumnRole.JOIN_KEY for u in keys)
    # The unqualified merged column means the leftmost relation's; it is not ambiguous.
    assert use_of(graph, "orders.id", ColumnRole.PROJECTION)
    assert graph.ambiguous == []


def test_join_using_spans_point_at_the_using_column() -> None:
    sql = "SELECT 1 FROM orders o JOIN items i USING (order_id)"
    graph = build(sql)
    from sqltune.core.parsing import node_span
    from sqltune.core.source import Source

    source = Source.from_string(sql)
    for use in (u for u in graph.uses if u.clause == "using"):
        span = node_span(source, use.node, source.span(0, 0))
        assert sql[span.start : span.end] == "order_id"


def test_natural_join_uses_the_schema_for_its_keys() -> None:
    graph = build("SELECT 1 FROM orders NATURAL JOIN customers", SCHEMA)
    [join] = graph.joins
    assert sorted((str(a), str(b)) for a, b in join.equi) == [
        ("orders.id", "customers.id"),
        ("orders.status", "customers.status"),
    ]
    without_schema = build("SELECT 1 FROM orders NATURAL JOIN customers")
    assert [(j.kind, j.equi) for j in without_schema.joins] == [("inner", [])]
    assert len(without_schema.join_components("s0")) == 1


def test_same_relation_comparison_is_a_filter_not_a_join() -> None:
    graph = build("SELECT id FROM orders o WHERE o.total = o.customer_id")
    assert graph.joins == []
    assert uses(graph, ColumnRole.FILTER) == ["orders.customer_id", "orders.total"]


# -- column roles --------------------------------------------------------------------------------------------


ROLE_SQL = (
    "SELECT status, count(*) AS n, sum(total) AS revenue, "
    "row_number() OVER (PARTITION BY customer_id ORDER BY created_at) AS rn "
    "FROM orders "
    "WHERE id = 42 AND total BETWEEN 10 AND 20 AND created_at >= '2024-01-01' AND customer_id IN (1, 2, 3) "
    "AND status LIKE 'op%' AND ref LIKE '%x' AND note IS NULL AND lower(email) = 'a@b.c' AND flag <> 1 "
    "GROUP BY status HAVING max(total) > 100 ORDER BY status"
)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (ColumnRole.EQUALITY, ["orders.email", "orders.id"]),
        (ColumnRole.RANGE, ["orders.created_at", "orders.total", "orders.total"]),
        (ColumnRole.IN_LIST, ["orders.customer_id"]),
        (ColumnRole.LIKE_PREFIX, ["orders.status"]),
        (ColumnRole.LIKE_WILDCARD, ["orders.ref"]),
        (ColumnRole.IS_NULL, ["orders.note"]),
        (ColumnRole.FILTER, ["orders.flag"]),
        (ColumnRole.GROUP_BY, ["orders.status"]),
        (ColumnRole.ORDER_BY, ["orders.status"]),
        (ColumnRole.PROJECTION, ["orders.status"]),
        (ColumnRole.AGGREGATE, ["orders.total"]),
        (ColumnRole.WINDOW_PARTITION, ["orders.customer_id"]),
        (ColumnRole.WINDOW_ORDER, ["orders.created_at"]),
    ],
)
def test_every_role(role: ColumnRole, expected: list[str]) -> None:
    assert uses(build(ROLE_SQL), role) == expected


def test_role_details_value_sargable_clause() -> None:
    graph = build(ROLE_SQL)
    assert use_of(graph, "orders.id").value.sql() == "42"  # type: ignore[union-attr]
    email = use_of(graph, "orders.email")
    assert (email.sargable, email.clause, email.value.sql()) == (False, "where", "'a@b.c'")  # type: ignore[union-attr]
    having = [u for u in graph.uses if u.clause == "having"]
    assert [(str(u.column), u.role) for u in having] == [("orders.total", ColumnRole.RANGE)]
    group = use_of(graph, "orders.status", ColumnRole.GROUP_BY)
    assert group.sargable and group.clause == "group"
    assert use_of(graph, "orders.created_at", ColumnRole.WINDOW_ORDER).sargable
    assert use_of(graph, "orders.status", ColumnRole.LIKE_PREFIX).value.sql() == "'op%'"  # type: ignore[union-attr]
    assert all(u.role.is_filter for u in graph.uses if u.clause == "where")


def test_in_subquery_and_wrapped_comparisons() -> None:
    graph = build("SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers) AND total + 1 > 5")
    assert use_of(graph, "orders.customer_id").role is ColumnRole.IN_LIST
    total = use_of(graph, "orders.total")
    assert (total.role, total.sargable) == (ColumnRole.RANGE, False)


def test_output_aliases_in_order_having_group_are_not_table_columns() -> None:
    graph = build(
        "SELECT customer_id AS c, count(*) AS n FROM orders GROUP BY customer_id HAVING n > 1 ORDER BY c, n DESC"
    )
    assert uses(graph, ColumnRole.ORDER_BY) == ["orders.customer_id"]  # ORDER BY c is ORDER BY customer_id
    assert not [u for u in graph.uses if u.clause == "having"]  # n is count(*), not a column
    assert all(u.column.column != "n" for u in graph.uses)


def test_unqualified_having_and_qualify_columns_are_kept() -> None:
    graph = build(
        "SELECT customer_id FROM orders GROUP BY customer_id HAVING sum(total) > 10",
    )
    assert [(str(u.column), u.role) for u in graph.uses if u.clause == "having"] == [("orders.total", ColumnRole.RANGE)]
    qualify = build(
        "SELECT id FROM orders QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY total) = 1",
        dialect="snowflake",
    )
    assert uses(qualify, ColumnRole.WINDOW_PARTITION) == ["orders.customer_id"]
    assert uses(qualify, ColumnRole.WINDOW_ORDER) == ["orders.total"]


# -- qualification -------------------------------------------------------------------------------------------


def test_schema_qualifies_unqualified_columns_across_joins() -> None:
    graph = build(
        "SELECT email, total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE region = 'eu'", SCHEMA
    )
    assert use_of(graph, "customers.email").column.relation == "r1"
    assert use_of(graph, "orders.total").column.relation == "r0"
    assert use_of(graph, "customers.region").role is ColumnRole.EQUALITY
    assert graph.ambiguous == []
    assert graph.relations["r0"].table is SCHEMA.table("orders")


def test_schema_records_real_ambiguity() -> None:
    graph = build("SELECT status FROM orders o JOIN customers c ON c.id = o.customer_id", SCHEMA)
    assert [(c.sql(), candidates) for c, candidates in graph.ambiguous] == [("status", ("o", "c"))]
    assert use_of(graph, "status").column.relation is None


def test_without_schema_a_lone_relation_is_trusted_and_joins_are_ambiguous() -> None:
    lone = build("SELECT email FROM customers WHERE region = 'eu'")
    assert uses(lone, ColumnRole.EQUALITY) == ["customers.region"]
    assert lone.ambiguous == []
    joined = build("SELECT email FROM orders o JOIN customers c ON c.id = o.customer_id")
    assert [(c.sql(), k) for c, k in joined.ambiguous] == [("email", ("o", "c"))]
    assert use_of(joined, "email").column == use_of(joined, "email").column.__class__(None, None, "email")


def test_qualified_by_table_name_and_schema_name() -> None:
    graph = build("SELECT sales.orders.id FROM sales.orders WHERE orders.status = 'x'")
    [relation] = graph.base_tables()
    assert relation.name == "sales.orders"
    assert {u.column.relation for u in graph.uses} == {relation.id}


def test_uses_of_finds_a_tables_columns() -> None:
    graph = build("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'x'")
    assert sorted(u.role.value for u in graph.uses_of("customers")) == ["equality", "join_key"]
    assert [u.role for u in graph.uses_of("customers", "email")] == [ColumnRole.EQUALITY]
    assert list(graph.uses_with(ColumnRole.JOIN_KEY)) == [u for u in graph.uses if u.role is ColumnRole.JOIN_KEY]


# -- DML -------------------------------------------------------------------------------------------------------


def test_update_has_a_root_scope_with_its_target_and_assignments() -> None:
    graph = build("UPDATE orders SET status = 'closed', total = total * 2 WHERE created_at < '2020-01-01'")
    root = graph.scopes["s0"]
    assert (root.kind, isinstance(root.node, exp.Update)) == ("root", True)
    assert graph.target is not None and graph.target.name == "orders"
    assert uses(graph, ColumnRole.ASSIGNMENT) == ["orders.status", "orders.total", "orders.total"]
    assert uses(graph, ColumnRole.RANGE) == ["orders.created_at"]


def test_update_from_joins_and_set_target_resolves_to_the_updated_table() -> None:
    graph = build(
        "UPDATE orders o SET status = c.status FROM customers c WHERE c.id = o.customer_id", dialect="postgres"
    )
    assert [s.kind for s in graph.scopes.values()] == ["root"]  # no stray scope for the FROM table
    assert [r.name for r in graph.relations_in("s0")] == ["orders", "customers"]
    assert [(str(a), str(b)) for j in graph.joins for a, b in j.equi] == [("orders.customer_id", "customers.id")]
    assigned = [u for u in graph.uses if u.role is ColumnRole.ASSIGNMENT]
    assert [(str(u.column)) for u in assigned] == ["orders.status", "customers.status"]
    assert graph.ambiguous == []


def test_update_from_derived_table() -> None:
    graph = build(
        "UPDATE orders SET total = s.t FROM (SELECT order_id, sum(qty) AS t FROM items GROUP BY order_id) s "
        "WHERE s.order_id = orders.id",
        dialect="postgres",
    )
    derived = next(r for r in graph.relations.values() if r.kind == "derived")
    assert graph.scopes[derived.defined_by or ""].kind == "derived"
    assert len(graph.joins) == 1


def test_delete_with_subquery() -> None:
    graph = build("DELETE FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = 'x')")
    assert [(s.kind, s.parent, s.how) for s in graph.scopes.values()] == [("root", None, ""), ("subquery", "s0", "in")]
    assert graph.target is not None and graph.target.name == "orders"
    assert uses(graph, ColumnRole.IN_LIST) == ["orders.customer_id"]
    assert uses(graph, ColumnRole.EQUALITY) == ["customers.region"]


def test_insert_select_reads_its_source_and_names_its_target() -> None:
    graph = build("INSERT INTO archive (id, total) SELECT id, total FROM orders WHERE status = 'done'", SCHEMA)
    assert [r.name for r in graph.relations_in("s0")] == ["orders"]  # the target is not read in FROM
    assert graph.target is not None and graph.target.name == "archive"
    assert graph.target.id not in graph.scopes["s0"].relations
    assert any(d["type"] == "writes" for _, _, d in graph.graph.out_edges("s0", data=True))
    assert uses(graph, ColumnRole.EQUALITY) == ["orders.status"]
    values = build("INSERT INTO orders (id) VALUES (1)", SCHEMA)
    assert values.target is not None and values.target.table is SCHEMA.table("orders")


# -- export ----------------------------------------------------------------------------------------------------


EXPORT_SQL = (
    "WITH big AS (SELECT customer_id FROM orders WHERE total > 100) "
    "SELECT c.email FROM customers c JOIN big b ON b.customer_id = c.id WHERE c.region LIKE 'e\"u%'"
)


def test_to_dict_and_to_json_round_trip() -> None:
    graph = build(EXPORT_SQL, SCHEMA)
    data = graph.to_dict()
    assert set(data) == {"statement", "scopes", "relations", "joins", "columns", "ambiguous"}
    assert [s["kind"] for s in data["scopes"]] == ["root", "cte"]
    assert {r["name"]: r["kind"] for r in data["relations"]} == {"customers": "table", "big": "cte", "orders": "table"}
    assert data["joins"][0]["kind"] == "inner"
    assert {c["role"] for c in data["columns"]} >= {"join_key", "like_prefix", "range", "projection"}
    assert json.loads(graph.to_json()) == json.loads(json.dumps(data))
    assert json.loads(graph.to_json(indent=2))["statement"] == graph.statement.sql()


def test_to_dot_is_valid_graphviz_with_every_node_and_edge() -> None:
    graph = build(EXPORT_SQL, SCHEMA)
    dot = graph.to_dot()
    assert dot.startswith("digraph query {") and dot.endswith("}")
    for node in (*graph.scopes, *graph.relations):
        assert f"  {node} [" in dot
    assert dot.count(" -> ") == graph.graph.number_of_edges()
    assert "customer_id=id" in dot or "id=customer_id" in dot
    # Labels never break out of their quotes.
    for line in dot.splitlines()[2:-1]:
        assert line.count('"') % 2 == 0, line


def test_graph_nodes_and_edges_are_typed() -> None:
    graph = build(EXPORT_SQL, SCHEMA)
    assert {d["type"] for _, d in graph.graph.nodes(data=True)} == {"scope", "relation"}
    assert {d["type"] for _, _, d in graph.graph.edges(data=True)} == {"contains", "defines", "join", "nests"}
