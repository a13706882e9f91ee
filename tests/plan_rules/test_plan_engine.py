"""The plan rule engine: severity bands, savings and their basis, ranking, the hot path, SQL links, the
conversion to lint findings, and rules that crash."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqltune.core.findings import Severity
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.plans import load_plan, parse_plan
from sqltune.rules.base import RuleMeta
from sqltune.rules.plan import PlanContext, PlanRule, PlanViolation, analyze_plan, engine, hot_path
from sqltune.rules.plan.base import error_severity, share_severity

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "plans" / "postgres"
RULE_PLANS = ROOT / "fixtures" / "plan_rules" / "postgres"


@pytest.mark.parametrize(
    ("saving", "expected"),
    [
        (1.0, Severity.ERROR),
        (0.9, Severity.ERROR),
        (0.89, Severity.WARNING),
        (0.5, Severity.WARNING),
        (0.49, Severity.INFO),
        (0.1, Severity.INFO),
        (0.099, None),
        (0.0, None),
    ],
)
def test_share_bands(saving: float, expected: Severity | None) -> None:
    assert share_severity(saving) == expected


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (1000, Severity.ERROR),
        (999, Severity.WARNING),
        (100, Severity.WARNING),
        (99, Severity.INFO),
        (10, Severity.INFO),
        (9.9, None),
    ],
)
def test_estimate_error_bands(factor: float, expected: Severity | None) -> None:
    assert error_severity(factor) == expected


def test_shares_add_up_on_both_bases() -> None:
    timed = PlanContext(load_plan(PLANS / "tpch_q10.analyze.json"))
    assert timed.basis == "time"
    assert sum(timed.share(n) or 0 for n in timed.plan) == pytest.approx(1.0)
    costed = PlanContext(load_plan(PLANS / "nested_loop.plain.json"))
    assert costed.basis == "cost"
    assert sum(costed.share(n) or 0 for n in costed.plan) == pytest.approx(1.0)
    assert PlanContext(load_plan(PLANS / "costs_off.costsoff.txt")).basis is None


def test_cost_of_a_nested_loop_inner_side_counts_every_loop_but_not_below_materialize() -> None:
    ctx = PlanContext(load_plan(RULE_PLANS / "materialize-range-join.plain.txt"))
    materialize = next(n for n in ctx.plan if n.operator == "Materialize")
    below = ctx.plan.children(materialize)[0]
    assert ctx.loops(materialize) == 10_000 and ctx.loops(below) == 1


def test_findings_rank_by_saving_and_carry_their_basis() -> None:
    report = analyze_plan(load_plan(RULE_PLANS / "hash-bigger-side.txt"))
    assert report.basis == "time"
    savings = [f.saving or 0.0 for f in report]
    assert savings == sorted(savings, reverse=True)
    assert {f.basis for f in report} == {"time"}


def test_no_timings_no_costs_is_info_and_ranked_last() -> None:
    report = analyze_plan(load_plan(ROOT / "fixtures" / "plans" / "mysql" / "mariadb_full_scan.explain.json"))
    [finding] = report.findings
    assert finding.code == "SQ301" and finding.saving is None and finding.severity is Severity.INFO
    assert report.hot_path == []


def test_hot_path_follows_the_largest_summed_share() -> None:
    plan = load_plan(PLANS / "hashagg_spill.analyze_buffers.txt")
    assert [plan[i].operator for i in hot_path(plan)] == ["Hash Aggregate", "Seq Scan"]
    plan = load_plan(PLANS / "tpch_q18.analyze.txt")
    path = hot_path(plan)
    assert path[0] == 0 and plan[path[-1]].kind == "scan"
    assert all(plan[child].parent == parent for parent, child in itertools.pairwise(path))


def test_findings_link_to_the_sql_of_their_node() -> None:
    sql = "SELECT id, title\nFROM posts\nORDER BY created DESC\nLIMIT 10"
    statement = parse_source(Source.from_string(sql, "q.sql"), "postgres")[0]
    report = analyze_plan(load_plan(RULE_PLANS / "sort-limit.plain.txt"), statement)
    [finding] = report.findings
    assert finding.code == "SQ317" and finding.span is not None
    assert (finding.span.line, finding.span.column) == (3, 10)  # the ORDER BY of the SELECT the sort serves
    lint = report.to_report()
    [converted] = lint.findings
    assert converted.code == "SQ317" and converted.span == finding.span and converted.statement == sql
    assert "could save ~" in converted.message and "CREATE INDEX ON posts (created DESC)" in converted.message
    assert "q.sql" in lint.sources


def test_a_crashing_rule_is_a_problem_not_a_silent_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(PlanRule):
        code = "SQ399"

        def check_plan(self, ctx: PlanContext) -> Iterator[PlanViolation]:
            raise KeyError("boom")

    meta = RuleMeta("SQ399", "broken", "plan", Severity.WARNING, "broken on purpose")
    rules = {**engine.plan_rules(), "SQ399": (Broken, meta)}
    monkeypatch.setattr(engine, "plan_rules", lambda: rules)
    report = analyze_plan(load_plan(PLANS / "seq_filter.analyze.txt"))
    assert report.codes() == ["SQ301"]
    assert report.problems == ["plan rule SQ399 failed (KeyError: 'boom'); this is a sqltune bug, please report it"]


def test_rules_for_other_engines_are_skipped() -> None:
    plan = parse_plan((ROOT / "fixtures" / "plan_rules" / "snowflake" / "no-pruning.operator_stats.json").read_text())
    assert analyze_plan(plan).codes() == ["SQ319"]
    assert analyze_plan(plan, select={"SQ301"}).codes() == []


def test_schema_types_decide_whether_a_text_cast_matters() -> None:
    from sqltune.schema import Schema

    plan = load_plan(RULE_PLANS / "cast-int-to-text.txt")
    as_int = Schema.from_ddl("CREATE TABLE items (id int, code int)")
    as_text = Schema.from_ddl("CREATE TABLE items (id int, code varchar(20))")
    assert "SQ313" in analyze_plan(plan, schema=as_int).codes()
    assert "SQ313" not in analyze_plan(plan, schema=as_text).codes()
    assert "SQ313" not in analyze_plan(plan).codes()
