"""Derived metrics on plans whose numbers are checked by hand (see the comments), and on real captures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqltune.plans import load_plan, parse_plan

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"

NESTED_LOOP = """
Nested Loop  (cost=0.29..900.00 rows=100 width=8) (actual time=0.050..12.000 rows=500 loops=1)
  Buffers: shared hit=1000 read=200
  ->  Seq Scan on customer c  (cost=0.00..50.00 rows=100 width=4) (actual time=0.010..2.000 rows=100 loops=1)
        Filter: (nation = 3)
        Rows Removed by Filter: 900
        Buffers: shared hit=40 read=10
  ->  Index Scan using oc_idx on orders o  (cost=0.29..8.00 rows=1 width=4) (actual time=0.020..0.080 rows=5 loops=100)
        Index Cond: (o_custkey = c.c_custkey)
        Buffers: shared hit=900 read=100
Planning Time: 0.2 ms
Execution Time: 12.5 ms
"""


def test_exclusive_time_counts_loops() -> None:
    plan = parse_plan(NESTED_LOOP)
    loop, seq, index = plan.nodes
    # The inner index scan ran 100 times at 0.080 ms a loop: 8 ms in all.
    assert index.inclusive_ms == pytest.approx(8.0)
    assert seq.inclusive_ms == pytest.approx(2.0)
    # 12 ms in the loop, minus its children's 2 + 8.
    assert loop.exclusive_ms == pytest.approx(2.0)
    assert [n.time_share for n in plan] == pytest.approx([2 / 12, 2 / 12, 8 / 12])
    assert plan.hottest(1) == [index]
    assert plan.total_ms == 12.5 and plan.planning_ms == 0.2


def test_estimate_error_uses_rows_times_loops() -> None:
    loop, seq, index = parse_plan(NESTED_LOOP).nodes
    # Estimated 1 row x 100 loops, got 5 x 100: five times too few.
    assert index.est_error == pytest.approx(5.0) and index.est_direction == "under"
    assert loop.est_error == pytest.approx(5.0) and loop.est_direction == "under"
    assert (seq.est_error, seq.est_direction) == (1.0, "exact")
    assert index.total_rows == 500


def test_removed_share_cost_and_buffers() -> None:
    loop, seq, index = parse_plan(NESTED_LOOP).nodes
    assert seq.removed_share == pytest.approx(0.9)  # 900 removed of 1000 read
    assert index.removed_share is None  # no filter
    # The inner side's cost counts once per estimated outer row: 900 - (50 + 8 x 100).
    assert index.est_loops == 100
    assert loop.exclusive_cost == pytest.approx(50.0)
    assert loop.hit_ratio == pytest.approx(1000 / 1200)
    assert loop.exclusive_buffers is not None
    assert (loop.exclusive_buffers.shared_hit, loop.exclusive_buffers.shared_read) == (60, 90)
    assert loop.spills == []


def test_parallel_time_is_divided_by_the_processes() -> None:
    plan = parse_plan(
        """
Gather  (cost=1000.00..2000.00 rows=3000 width=4) (actual time=1.000..30.000 rows=3000 loops=1)
  Workers Planned: 2
  Workers Launched: 1
  ->  Parallel Seq Scan on t  (cost=0.00..900.00 rows=1250 width=4) (actual time=0.010..24.000 rows=1500 loops=2)
        Filter: (x > 0)
"""
    )
    gather, scan = plan.nodes
    # One worker plus the leader ran the scan: 24 ms a loop x 2 loops / 2 processes.
    assert scan.inclusive_ms == pytest.approx(24.0)
    assert gather.exclusive_ms == pytest.approx(6.0)
    assert gather.workers_missing == 1
    assert scan.parallel_aware and scan.operator == "Seq Scan" and scan.original == "Parallel Seq Scan"
    assert scan.est_error == pytest.approx(1.2) and scan.est_direction == "under"
    assert scan.removed_share == 0.0  # a filter that removed nothing


def test_leader_not_participating_is_honoured() -> None:
    document = json.loads((PLANS / "postgres" / "parallel.analyze_buffers_verbose_settings.json").read_text())
    sort = document[0]["Plan"]["Plans"][0]["Plans"][0]
    per_loop = sort["Actual Total Time"]
    assert load_plan(PLANS / "postgres" / "parallel.analyze_buffers_verbose_settings.json")[2].inclusive_ms == (
        pytest.approx(per_loop * 3 / 3)
    )
    document[0]["Settings"]["parallel_leader_participation"] = "off"
    assert parse_plan(document)[2].inclusive_ms == pytest.approx(per_loop * 3 / 2)


def test_cte_time_is_charged_to_the_scan_that_reads_it() -> None:
    plan = parse_plan(
        """
Hash Join  (cost=12.25..20.00 rows=100 width=8) (actual time=5.000..20.000 rows=10 loops=1)
  Hash Cond: (a.k = b.k)
  CTE big
    ->  Seq Scan on orders  (cost=0.00..10.00 rows=100 width=8) (actual time=0.010..9.000 rows=100 loops=1)
  ->  CTE Scan on big a  (cost=0.00..2.00 rows=100 width=8) (actual time=0.020..12.000 rows=100 loops=1)
  ->  Hash  (cost=2.00..2.00 rows=100 width=8) (actual time=3.000..3.000 rows=100 loops=1)
        ->  CTE Scan on big b  (cost=0.00..2.00 rows=100 width=8) (actual time=0.001..2.000 rows=100 loops=1)
"""
    )
    join, body, scan_a, _, scan_b = plan.nodes
    assert body.subplan_name == "CTE big" and body.parent_relationship == "InitPlan"
    assert scan_a.cte_name == "big" and scan_a.alias == "a"
    # The join's 20 ms minus the CTE Scan a (12) and the Hash (3); the CTE body is not one of its inputs.
    assert join.exclusive_ms == pytest.approx(5.0)
    # Scan a spent 9 of its 12 ms running the CTE body.
    assert scan_a.exclusive_ms == pytest.approx(3.0)
    assert scan_b.exclusive_ms == pytest.approx(2.0)
    assert sum(n.exclusive_ms or 0 for n in plan) == pytest.approx(20.0)


def test_never_executed_and_timing_off() -> None:
    plan = parse_plan(
        """
Append  (cost=0.00..2.00 rows=2 width=4) (actual rows=1 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual rows=1 loops=1)
  ->  Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) (never executed)
"""
    )
    append, result, scan = plan.nodes
    assert scan.never_executed and scan.est_error is None
    assert result.exclusive_ms is None and append.time_share is None
    assert plan.has_actuals


def test_real_spills() -> None:
    sort = load_plan(PLANS / "postgres" / "sort_spill.analyze_buffers.json").root
    assert sort.sort_method == "external merge" and sort.sort_space_type == "Disk"
    assert sort.spills == [f"external merge sort using {sort.sort_space_kb:,.0f}kB of disk"]

    hashed = load_plan(PLANS / "postgres" / "hash_batches.analyze_buffers.txt")
    (hash_node,) = [n for n in hashed if n.operator == "Hash"]
    assert hash_node.hash_batches is not None and hash_node.hash_batches > 1
    assert hash_node.spills == [f"hash table in {hash_node.hash_batches} batches"]

    aggregate = load_plan(PLANS / "postgres" / "hashagg_spill.analyze_buffers.txt").root
    assert aggregate.operator == "Hash Aggregate" and aggregate.disk_usage_kb
    assert aggregate.spills == [
        f"hash aggregate in {aggregate.hash_batches} batches spilling {aggregate.disk_usage_kb:,.0f}kB to disk"
    ]

    parallel = load_plan(PLANS / "postgres" / "parallel_sort.analyze_buffers.txt")
    (parallel_sort,) = [n for n in parallel if n.operator == "Sort"]
    assert parallel_sort.spills and len(parallel_sort.workers) == 2
    assert all(w["Sort Space Type"] == "Disk" for w in parallel_sort.workers)

    quick = load_plan(PLANS / "postgres" / "cte_scan.analyze_buffers.json")
    assert not any(n.spills for n in quick)


def test_pg12_batches_grew_beyond_the_plan() -> None:
    plan = load_plan(PLANS / "postgres" / "versions" / "pg12.analyze_buffers.txt")
    hash_node = plan[3]
    assert (hash_node.hash_buckets, hash_node.hash_batches, hash_node.original_hash_batches) == (4096, 16, 8)
    assert hash_node.spills == ["hash table in 16 batches (planned 8)"]
    assert plan.execution_ms == 106.686 and plan.planning_ms == 0.19  # "Planning time" in lower case
    assert plan[2].details["io_read_ms"] == 2.315
    assert plan[1].exclusive_buffers is not None and plan[1].exclusive_buffers.temp_written == 406


def test_heap_fetches_lossy_blocks_and_workers() -> None:
    only = load_plan(PLANS / "postgres" / "index_only_heap_fetches.analyze_buffers.txt").root
    assert only.operator == "Index Only Scan" and only.heap_fetches == only.act_rows
    lossy = load_plan(PLANS / "postgres" / "bitmap_lossy.analyze_buffers.json")[1]
    assert lossy.operator == "Bitmap Heap Scan" and lossy.lossy_heap_blocks and lossy.exact_heap_blocks
    gather = load_plan(PLANS / "postgres" / "parallel.analyze_buffers.txt")[1]
    assert (gather.workers_planned, gather.workers_launched, gather.workers_missing) == (2, 2, 0)


def test_jit_and_plan_footers() -> None:
    plan = load_plan(PLANS / "postgres" / "versions" / "pg17.analyze_buffers_memory_serialize.txt")
    jit = plan.jit
    assert jit is not None
    assert (jit.functions, jit.generation_ms, jit.deform_ms, jit.inlining_ms) == (4, 0.512, 0.133, 0.0)
    assert (jit.optimization_ms, jit.emission_ms, jit.total_ms) == (0.301, 4.82, 5.633)
    assert jit.options == {"Inlining": False, "Optimization": False, "Expressions": True, "Deforming": True}
    assert plan.planning_buffers is not None and plan.planning_buffers.shared_hit == 6
    assert plan[1].subplan_name == "InitPlan 1" and plan[1].parent_relationship == "InitPlan"
    real = load_plan(PLANS / "postgres" / "jit.analyze_buffers_verbose_settings.json")
    assert real.jit is not None and real.jit.total_ms > 0 and real.settings["jit_above_cost"] == "0"


def test_memoize_and_incremental_sort_details() -> None:
    memoize = load_plan(PLANS / "postgres" / "versions" / "pg14.analyze.txt")[3]
    assert memoize.operator == "Memoize" and memoize.conditions["Cache Key"].startswith("((o.o_custkey")
    assert (memoize.details["cache_hits"], memoize.details["cache_misses"]) == (29950, 50)
    incremental = load_plan(PLANS / "postgres" / "versions" / "pg13.analyze_buffers.txt").root
    assert incremental.operator == "Incremental Sort" and incremental.kind == "sort"
    assert incremental.details["presorted_key"] == ["o_orderdate"]


def test_mariadb_analyze_times_and_filtering() -> None:
    plan = load_plan(PLANS / "mysql" / "mariadb_join_bnl.analyze.json")
    (block,) = [n for n in plan if n.operator == "Block Nested Loop"]
    assert block.exclusive_ms == pytest.approx(block.raw["r_unpack_time_ms"] + block.raw["r_other_time_ms"])
    assert plan.execution_ms == plan.raw["query_block"]["r_total_time_ms"]
    assert plan.planning_ms == plan.raw["query_optimization"]["r_total_time_ms"]
    sub = load_plan(PLANS / "mysql" / "mariadb_subquery.analyze.json")
    orders = next(n for n in sub if n.alias == "o")
    raw = orders.raw
    assert orders.act_rows == pytest.approx(raw["r_rows"] * raw["r_filtered"] / 100)
    assert orders.est_rows == pytest.approx(raw["rows"] * raw["filtered"] / 100)
    assert orders.removed_share == pytest.approx(1 - raw["r_filtered"] / 100)
    assert orders.act_loops == raw["r_loops"] and orders.index == "o_cust"


def test_mysql_costs() -> None:
    plan = load_plan(PLANS / "mysql" / "mysql8_join_order.json")
    assert plan.total_cost == 1838.60
    customer, orders = [n for n in plan if n.kind == "scan"]
    assert customer.est_total_cost == pytest.approx(13.5) and orders.est_total_cost == pytest.approx(1240.0)
    assert orders.est_rows == pytest.approx(10 * 33.33 / 100)
    assert [n.operator for n in plan] == [
        "Query Block",
        "Sort",
        "Aggregate",
        "Nested Loop",
        "Index Lookup",
        "Index Lookup",
    ]


def test_snowflake_operator_statistics() -> None:
    plan = load_plan(PLANS / "snowflake" / "operator_stats_q03.json")
    join = plan[3]
    assert join.operator == "Join" and join.join_type == "Inner"
    assert join.time_share == pytest.approx(0.317)
    assert join.spills == ["spilled 268,435,456 bytes to local storage"]
    lineitem_filter = plan[4]
    assert lineitem_filter.removed_share == pytest.approx((6001215 - 3241776) / 6001215)
    scan = plan[5]
    assert (scan.relation, scan.schema) == ("LINEITEM", "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1")
    assert (scan.details["partitions_scanned"], scan.details["partitions_total"]) == (284, 1050)
    assert plan.hottest(1) == [scan]


def test_snowflake_shared_cte_keeps_its_other_parent() -> None:
    plan = load_plan(PLANS / "snowflake" / "explain_cte_two_parents.json")
    (with_clause,) = [n for n in plan if n.original == "WithClause"]
    assert with_clause.details["other_parents"] == [8]
    assert plan.details["partitions_total"] == 8


def test_duckdb_profile_times() -> None:
    plan = load_plan(PLANS / "duckdb" / "join_topn.profile.json")
    for node in plan:
        assert node.exclusive_ms == pytest.approx(node.raw["timing"] * 1000)
        below = sum(plan[c].inclusive_ms or 0 for c in node.children)
        assert node.exclusive_ms is not None
        assert node.inclusive_ms == pytest.approx(node.exclusive_ms + below)
    scans = plan.nodes_reading("orders")
    assert [n.operator for n in scans] == ["Seq Scan"] and scans[0].schema == "memory.main"
    legacy = load_plan(PLANS / "duckdb" / "legacy_1x.profile.json")
    assert [n.operator for n in legacy] == [n.operator for n in plan]
    assert [n.est_rows for n in legacy] == [n.est_rows for n in plan]
