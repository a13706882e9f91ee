"""Every sample plan in fixtures/plans parses, with the format and shape its folder promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqltune.plans import PlanGraph, detect_format, load_plan, parse_plan

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"
GOOD = sorted(
    p for p in PLANS.rglob("*") if p.suffix in (".json", ".txt") and p.parent.name != "malformed" and p.is_file()
)
EXPECTED_FORMATS = {
    "postgres": ("postgres-json", "postgres-text"),
    "versions": ("postgres-text",),
    "mysql": ("mysql-json", "mariadb-analyze-json"),
    "snowflake": ("snowflake-explain-json", "snowflake-operator-stats"),
    "duckdb": ("duckdb-profile", "duckdb-explain-json"),
}


def test_there_is_a_corpus() -> None:
    assert len(GOOD) >= 80
    assert {p.parent.name for p in GOOD} == set(EXPECTED_FORMATS)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_parses(path: Path) -> None:
    plan = load_plan(path)
    assert isinstance(plan, PlanGraph)
    assert plan.format in EXPECTED_FORMATS[path.parent.name]
    # Ids are 0..n-1 in pre-order: every parent comes before its children, and the graph agrees.
    assert [n.id for n in plan] == list(range(len(plan)))
    assert plan.graph.number_of_nodes() == len(plan)
    assert plan.graph.number_of_edges() == len(plan) - 1
    for node in plan:
        assert (node.parent is None) == (node.id == 0)
        if node.parent is not None:
            assert node.parent < node.id
            assert plan.graph.has_edge(node.parent, node.id)
        assert node.exclusive_ms is None or node.exclusive_ms >= 0
        assert node.est_error is None or node.est_error >= 1
        assert node.removed_share is None or 0 <= node.removed_share <= 1
    shares = [n.time_share for n in plan if n.time_share is not None]
    if shares and plan.format != "snowflake-operator-stats":
        assert sum(shares) == pytest.approx(1.0)
    if "analyze" in path.name or "profile" in path.name or "operator_stats" in path.name:
        assert plan.has_actuals
    if "plain" in path.name or ("explain" in path.name and plan.format != "mariadb-analyze-json"):
        assert not plan.has_actuals


POSTGRES_PAIRS = sorted(p for p in (PLANS / "postgres").glob("*.txt"))


def _shape(plan: PlanGraph) -> list[tuple[object, ...]]:
    return [
        (
            n.parent,
            n.operator,
            n.original,
            n.relation,
            n.schema,
            n.alias,
            n.index,
            n.cte_name,
            n.subplan_name,
            n.parent_relationship,
            n.join_type,
            n.strategy,
            n.partial_mode,
            n.parallel_aware,
            tuple(sorted(n.conditions)),
            tuple(sorted(n.rows_removed)),
            n.sort_method,
            n.sort_space_type,
            tuple(n.sort_keys),
            tuple(n.group_keys),
            len(n.output),
            len(n.workers),
            n.workers_planned,
            n.workers_launched,
            n.hash_batches is not None,
            n.act_loops is not None,
            n.act_total_ms is not None,
            n.heap_fetches is not None,
            n.exact_heap_blocks is not None,
            bool(n.spills),
        )
        for n in plan
    ]


@pytest.mark.parametrize("text_path", POSTGRES_PAIRS, ids=lambda p: p.stem)
def test_text_and_json_give_the_same_graph(text_path: Path) -> None:
    """Each case was captured in both formats from the same server: the graphs must agree node for node."""
    from_text = load_plan(text_path)
    from_json = load_plan(text_path.with_suffix(".json"))
    assert _shape(from_text) == _shape(from_json)
    assert (from_text.jit is None) == (from_json.jit is None)
    assert (from_text.execution_ms is None) == (from_json.execution_ms is None)
    assert bool(from_text.settings) == bool(from_json.settings)


def test_json_value_and_json_text_agree() -> None:
    path = PLANS / "postgres" / "cte_scan.analyze_buffers.json"
    as_value = parse_plan(json.loads(path.read_text()))
    as_text = parse_plan(path.read_text())
    assert [n.to_dict() for n in as_value] == [n.to_dict() for n in as_text]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("postgres/seq_filter.analyze.json", "postgres-json"),
        ("postgres/seq_filter.analyze.txt", "postgres-text"),
        ("postgres/versions/pg12.analyze_buffers.txt", "postgres-text"),
        ("mysql/mysql8_join_order.json", "mysql-json"),
        ("mysql/mariadb_join_bnl.analyze.json", "mysql-json"),
        ("snowflake/explain_q03.json", "snowflake-json"),
        ("snowflake/explain_tabular_rows.json", "snowflake-json"),
        ("snowflake/operator_stats_q03.json", "snowflake-json"),
        ("duckdb/join_topn.profile.json", "duckdb-json"),
        ("duckdb/legacy_1x.profile.json", "duckdb-json"),
        ("duckdb/join_topn.explain.json", "duckdb-json"),
    ],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format((PLANS / name).read_text()) == expected


def test_explicit_format_skips_sniffing() -> None:
    text = (PLANS / "mysql" / "mysql8_join_order.json").read_text()
    assert parse_plan(text, "mariadb").format == "mysql-json"
    assert parse_plan(text.encode(), "MySQL-JSON").dialect == "mysql"
