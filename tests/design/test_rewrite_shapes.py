"""Query shapes beyond the TPC-H workload, rewritten onto the TPC-H star and run on PostgreSQL (the star built
once by dbt from the generated data), or reported unanswered with the precise reason:

- ``SELECT *`` (expanded into the source's columns; an EXISTS subquery keeps its ``*``);
- joins inside OR predicates (a join every branch repeats is taken out of the OR and folds; one written in
  a single branch cannot fold);
- outer joins across folded tables (a LEFT JOIN exactly along the folding join folds; the folded table on
  the preserved side, extra ON conditions or a FULL JOIN do not: a header then reads its own fact, a
  snowflaked parent is refused).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.design import DesignResult, NotAnswered, design_star_schema, rewrite_query
from sqltune.schema import Schema
from sqltune.testing.star import BuiltStar, result_multiset
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]

#: Answered: (name, query, text the rewritten query must hold).
ANSWERED = [
    (
        "star over a folded snowflake",
        "SELECT * FROM customer JOIN nation ON c_nationkey = n_nationkey WHERE n_name = 'FRANCE'",
        "customer.c_nation_name AS n_name, customer.c_nation_regionkey AS n_regionkey",
    ),
    (
        "qualified star",
        "SELECT n.*, c.c_name FROM customer c JOIN nation n ON c.c_nationkey = n.n_nationkey WHERE c.c_custkey < 50",
        "SELECT c.c_nationkey AS n_nationkey, c.c_nation_name AS n_name",
    ),
    (
        "star over a derived table",
        "SELECT * FROM (SELECT c_name, c_acctbal FROM customer) AS sub WHERE c_acctbal > 9000",
        "SELECT sub.c_name AS c_name, sub.c_acctbal AS c_acctbal FROM (",
    ),
    (
        "EXISTS keeps its star",
        "SELECT count(*) FROM customer c WHERE EXISTS (SELECT * FROM orders o WHERE o.o_custkey = c.c_custkey)",
        "EXISTS(SELECT * FROM fct_orders AS o WHERE o.o_custkey = c.c_custkey)",
    ),
    (
        "join repeated in each OR branch",
        "SELECT n_name, count(*) FROM customer, nation WHERE (c_nationkey = n_nationkey AND c_mktsegment = 'BUILDING')"
        " OR (c_nationkey = n_nationkey AND c_acctbal > 9000) GROUP BY n_name",
        "FROM dim_customer AS customer WHERE customer.c_mktsegment = 'BUILDING' OR customer.c_acctbal > 9000",
    ),
    (
        "header join inside an OR reads both facts",
        "SELECT count(*), sum(l_quantity) FROM lineitem, orders"
        " WHERE (l_orderkey = o_orderkey OR o_totalprice < l_extendedprice) AND l_orderkey < 40 AND o_orderkey < 40",
        "FROM fct_lineitem AS lineitem, fct_orders AS orders",
    ),
    (
        "LEFT JOIN along the folding join folds",
        "SELECT o_orderpriority, count(*), sum(l_quantity) FROM lineitem LEFT JOIN orders ON l_orderkey = o_orderkey"
        " GROUP BY o_orderpriority",
        "FROM fct_lineitem AS lineitem JOIN dim_lineitem_flags AS lineitem_flags",
    ),
    (
        "RIGHT JOIN from the header folds",
        "SELECT o_orderpriority, count(*) FROM orders RIGHT JOIN lineitem ON l_orderkey = o_orderkey"
        " WHERE l_shipdate < DATE '1993-01-01' GROUP BY o_orderpriority",
        "FROM fct_lineitem AS lineitem JOIN dim_lineitem_flags AS lineitem_flags",
    ),
    (
        "LEFT JOIN of a snowflaked parent folds",
        "SELECT n_name, count(*) FROM customer LEFT JOIN nation ON c_nationkey = n_nationkey GROUP BY n_name",
        "FROM dim_customer AS customer GROUP BY customer.c_nation_name",
    ),
    (
        "header preserved by a LEFT JOIN reads its own fact",
        "SELECT o_orderstatus, count(l_linenumber) FROM orders LEFT JOIN lineitem"
        " ON o_orderkey = l_orderkey AND l_quantity > 45 GROUP BY o_orderstatus",
        "LEFT JOIN fct_lineitem AS lineitem ON orders.o_orderkey = lineitem.l_orderkey AND lineitem.l_quantity > 45",
    ),
    (
        "flags of a null-supplied fact come through a LEFT JOIN",
        "SELECT c.c_mktsegment, o.o_orderpriority, count(*) FROM customer c LEFT JOIN orders o"
        " ON c.c_custkey = o.o_custkey AND o.o_orderdate < DATE '1992-03-01' GROUP BY 1, 2",
        "LEFT JOIN fct_orders AS o ON c.c_custkey = o.o_custkey AND o.o_orderdate < CAST('1992-03-01' AS DATE)"
        " LEFT JOIN dim_orders_flags AS o_flags ON o.orders_flags_key = o_flags.orders_flags_key",
    ),
    (
        "an inner fold under an outer join's nulls reads both facts",
        "SELECT c.c_mktsegment, count(l.l_linenumber) FROM customer c LEFT JOIN orders o ON c.c_custkey = o.o_custkey"
        " JOIN lineitem l ON l.l_orderkey = o.o_orderkey GROUP BY 1",
        "LEFT JOIN fct_orders AS o ON c.c_custkey = o.o_custkey JOIN fct_lineitem AS l",
    ),
    (
        "inner fold beside a LEFT JOIN keeps the joins",
        "SELECT c.c_mktsegment, sum(l.l_quantity) FROM lineitem l JOIN orders o ON l.l_orderkey = o.o_orderkey"
        " LEFT JOIN customer c ON o.o_custkey = c.c_custkey AND c.c_mktsegment = 'BUILDING' GROUP BY 1",
        "FROM fct_lineitem AS l LEFT JOIN dim_customer AS c ON l.o_custkey = c.c_custkey",
    ),
    (
        "the line fact takes the header's place in the FROM clause",
        "SELECT p.p_size, o.o_orderstatus, count(*) FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey"
        " LEFT JOIN part p ON p.p_partkey = l.l_partkey AND p.p_size = 1 GROUP BY 1, 2",
        "FROM fct_lineitem AS l JOIN dim_lineitem_flags AS l_flags ON",
    ),
    (
        "FULL JOIN of header and lines reads both facts",
        "SELECT o_orderstatus, count(*) FROM orders FULL JOIN lineitem ON o_orderkey = l_orderkey GROUP BY 1",
        "FULL JOIN fct_lineitem AS lineitem ON orders.o_orderkey = lineitem.l_orderkey",
    ),
]

#: Not answered: (name, query, the reason's text).
REFUSED = [
    (
        "star reading a column left in the sources",
        "SELECT * FROM lineitem WHERE l_orderkey = 1",
        "lineitem.l_comment has no place in fct_lineitem (SELECT * reads every column)",
    ),
    (
        "a snowflaked parent on its own",
        "SELECT * FROM region",
        "region is kept only folded into dim_supplier, dim_customer: read here without nation joined along the"
        " folding relationship, at a grain the star does not keep",
    ),
    (
        "a snowflake join in one OR branch",
        "SELECT n_name, count(*) FROM customer, nation WHERE c_nationkey = n_nationkey OR n_name = 'FRANCE'"
        " GROUP BY n_name",
        "nation cannot fold into dim_customer: its join to customer is inside an OR"
        " (customer.c_nationkey = nation.n_nationkey OR nation.n_name = 'FRANCE')",
    ),
    (
        "a snowflaked parent preserved by a LEFT JOIN",
        "SELECT n_name, count(c_custkey) FROM nation LEFT JOIN customer ON n_nationkey = c_nationkey GROUP BY 1",
        "nation cannot fold into dim_customer: an outer join keeps rows of nation without customer (LEFT JOIN)",
    ),
    (
        "a LEFT JOIN with more than the folding join",
        "SELECT n_name, count(*) FROM customer LEFT JOIN nation ON c_nationkey = n_nationkey AND n_name = 'FRANCE'"
        " GROUP BY 1",
        "nation cannot fold into dim_customer: the LEFT JOIN to nation has conditions beyond the folding join"
        " (nation.n_name = 'FRANCE')",
    ),
    (
        "a FULL JOIN of a snowflaked parent",
        "SELECT n_name, count(*) FROM customer FULL JOIN nation ON c_nationkey = n_nationkey GROUP BY n_name",
        "nation cannot fold into dim_customer: a FULL JOIN keeps rows of nation without customer",
    ),
    (
        "an inner fold under a null-supplying side",
        "SELECT c_name, s_name FROM supplier LEFT JOIN nation ON n_name = s_name, customer"
        " WHERE c_nationkey = n_nationkey",
        "nation cannot fold into dim_customer: an outer join can null nation, while the folding join is an inner one",
    ),
]


@pytest.fixture(scope="module")
def tpch() -> tuple[Schema, DesignResult]:
    schema = Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres")
    return schema, design_star_schema(schema, Workload.from_sql(ROOT / "fixtures/workloads/tpch", dialect="postgres"))


@pytest.mark.parametrize(("name", "query", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_shape_the_star_cannot_answer_says_why(
    tpch: tuple[Schema, DesignResult], name: str, query: str, reason: str
) -> None:
    schema, result = tpch
    with pytest.raises(NotAnswered) as error:
        rewrite_query(result.design, schema, query, "postgres")
    assert str(error.value) == reason


@pytest.mark.parametrize(("name", "query", "shown"), ANSWERED, ids=[a[0] for a in ANSWERED])
def test_a_shape_is_rewritten_and_returns_the_original_rows(
    tpch_star: BuiltStar, pg_dsn: str, name: str, query: str, shown: str
) -> None:
    assert tpch_star.build.returncode == 0, tpch_star.build.stdout[-4000:]
    rewritten = rewrite_query(tpch_star.result.design, tpch_star.schema, query, "postgres")
    assert shown in rewritten
    original = result_multiset(pg_dsn, tpch_star.source, query)
    assert original, f"{name}: no rows on the generated data, a vacuous comparison"
    assert result_multiset(pg_dsn, tpch_star.star, rewritten) == original
