"""Plan rules on real PostgreSQL plans: each scenario's rule fires on the EXPLAIN (ANALYZE, BUFFERS) plan the
connector fetches, and stays silent once the fix is applied (an index, ANALYZE, CREATE STATISTICS, a setting,
or the rewritten query; for many scenarios the fix is the finding's own suggestion, run as written).

The scenarios live in ``plan_scenarios.py`` (which also refreshes ``fixtures/plan_rules/postgres/``). Then
``sqltune explain`` runs on a TPC-H query over a small TPC-H-shaped data set generated here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.plans import parse_plan
from sqltune.rules.plan import PlanReport, analyze_plan

sys.path.insert(0, str(Path(__file__).parent))
from plan_scenarios import SCENARIOS, Scenario, conninfo, run_setup, scenario_schema, suggestion_statements

pytestmark = pytest.mark.postgres


def _diagnose(dsn: str, schema: str, settings: dict[str, str], query: str) -> PlanReport:
    from sqltune.connectors.postgres import connect

    with connect(conninfo(dsn, schema, settings), statement_timeout="20s") as connection:
        connection.explain(query)  # plan once first: catalog caches warm, as in a running application
        result = connection.explain(query, analyze=True)
        server = connection.settings()
    assert result.analyzed and result.method == "plain"
    statement = parse_source(Source.from_string(query, "scenario.sql"), "postgres")[0]
    return analyze_plan(parse_plan(result.plan_json, "postgres-json"), statement, settings=server)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rule_fires_on_the_real_plan_and_not_after_the_fix(pg_dsn: str, scenario: Scenario) -> None:
    with scenario_schema(pg_dsn, scenario) as (dsn, schema):
        before = _diagnose(dsn, schema, scenario.session(False), scenario.query)
        assert scenario.code in before.codes(), f"{scenario.code} did not fire:\n{before.plan.to_text()}"
        finding = next(f for f in before if f.code == scenario.code)
        assert finding.saving is not None and 0.0 < finding.saving <= 1.0
        assert finding.span is not None and finding.span.path == "scenario.sql"
        assert [f.saving or 0 for f in before] == sorted((f.saving or 0 for f in before), reverse=True)

        settings = scenario.session(True)
        if scenario.apply_suggestion:
            suggested, statements = suggestion_statements(finding.suggestion)
            assert suggested or statements, f"nothing runnable in: {finding.suggestion}"
            settings.update(suggested)
            run_setup(dsn, schema, statements)
        run_setup(dsn, schema, scenario.fix)
        after = _diagnose(dsn, schema, settings, scenario.fixed_query or scenario.query)
    assert scenario.code not in after.codes(), f"{scenario.code} still fires after the fix:\n{after.plan.to_text()}"


# -- sqltune explain on a TPC-H query over a small generated TPC-H-shaped data set ----------------------------

TPCH_TABLES = (
    "CREATE TABLE nation (n_nationkey int PRIMARY KEY, n_name varchar NOT NULL, n_regionkey int NOT NULL,"
    " n_comment varchar NOT NULL)",
    "CREATE TABLE customer (c_custkey bigint PRIMARY KEY, c_name varchar NOT NULL, c_address varchar NOT NULL,"
    " c_nationkey int NOT NULL, c_phone varchar NOT NULL, c_acctbal numeric(15,2) NOT NULL,"
    " c_mktsegment varchar NOT NULL, c_comment varchar NOT NULL)",
    "CREATE TABLE orders (o_orderkey bigint PRIMARY KEY, o_custkey bigint NOT NULL, o_orderstatus varchar NOT NULL,"
    " o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority varchar NOT NULL,"
    " o_clerk varchar NOT NULL, o_shippriority int NOT NULL, o_comment varchar NOT NULL)",
    "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_partkey bigint NOT NULL, l_suppkey bigint NOT NULL,"
    " l_linenumber int NOT NULL, l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL,"
    " l_discount numeric(15,2) NOT NULL, l_tax numeric(15,2) NOT NULL, l_returnflag varchar NOT NULL,"
    " l_linestatus varchar NOT NULL, l_shipdate date NOT NULL, l_commitdate date NOT NULL,"
    " l_receiptdate date NOT NULL, l_shipinstruct varchar NOT NULL, l_shipmode varchar NOT NULL,"
    " l_comment varchar NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber))",
    "INSERT INTO nation SELECT i, 'NATION' || i, i % 5, 'c' FROM generate_series(0, 24) i",
    "INSERT INTO customer SELECT i, 'Customer#' || i, 'addr ' || i, i % 25, 'phone', (i % 9000) - 999.99,"
    " 'BUILDING', 'comment ' || i FROM generate_series(1, 3000) i",
    "INSERT INTO orders SELECT i, 1 + i % 3000, 'O', 1000 + i % 500, DATE '1992-01-01' + (i % 2400), '1-URGENT',"
    " 'Clerk#' || (i % 100), 0, 'comment ' || i FROM generate_series(1, 10000) i",
    "INSERT INTO lineitem SELECT o, 1 + (o * n) % 2000, 1 + (o + n) % 100, n, n, 1000 + o % 97, 0.05, 0.02,"
    " CASE WHEN o % 20 = 0 THEN 'R' ELSE 'N' END, 'O', DATE '1992-01-02' + ((o + n) % 2400),"
    " DATE '1992-01-10' + (o % 2400), DATE '1992-01-05' + (o % 2400), 'NONE', 'MAIL', 'c'"
    " FROM generate_series(1, 10000) o, generate_series(1, 4) n",
    "ANALYZE",
)

TPCH_Q10 = """\
-- TPC-H Q10: returned item reporting
SELECT
    c_custkey,
    c_name,
    sum(l_extendedprice * (1 - l_discount)) AS revenue,
    c_acctbal,
    n_name
FROM
    customer,
    orders,
    lineitem,
    nation
WHERE
    c_custkey = o_custkey
    AND l_orderkey = o_orderkey
    AND o_orderdate >= DATE '1993-10-01'
    AND o_orderdate < DATE '1994-01-01'
    AND l_returnflag = 'R'
    AND c_nationkey = n_nationkey
GROUP BY c_custkey, c_name, c_acctbal, n_name
ORDER BY revenue DESC
LIMIT 20;
"""


def _cli(args: list[str]) -> tuple[int, str, str]:
    from sqltune.cli import main
    from sqltune.cli import plan as _plan  # noqa: F401  (registers plan and explain)

    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_explain_tpch_query_prints_a_ranked_line_linked_diagnosis(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    dsn, schema = pg_schema
    run_setup(dsn, schema, TPCH_TABLES)
    query = tmp_path / "q10.sql"
    query.write_text(TPCH_Q10, encoding="utf-8")
    target = conninfo(dsn, schema, {"work_mem": "64kB", "max_parallel_workers_per_gather": "0"})

    code, out, err = _cli(["explain", str(query), "--dsn", target, "--analyze", "--timeout", "30s"])
    assert code in (0, 1) and not err, err
    assert "Findings, largest estimated saving first:" in out, out
    assert re.search(rf"--> {re.escape(str(query))}:\d+:\d+", out), out  # each finding points at a SQL line
    assert "* " in out  # the hot path is marked

    code, out, _ = _cli(["explain", str(query), "--dsn", target, "--analyze", "--format", "json", "--fail-on", "never"])
    assert code == 0
    report = json.loads(out)["reports"][0]
    savings = [f["saving"] for f in report["findings"]]
    assert savings and savings == sorted(savings, reverse=True)
    assert {"SQ301", "SQ303"} & {f["code"] for f in report["findings"]}  # the filter on l_returnflag, the spills
    assert all(f["line"] > 1 for f in report["findings"])  # linked past the comment line, into the query
    assert report["plan"]["executed"] and report["hot_path"][0] == 0

    # Without --analyze nothing runs: the diagnosis is made from the planner's costs.
    code, out, _ = _cli(["explain", str(query), "--dsn", target, "--format", "json", "--fail-on", "never"])
    report = json.loads(out)["reports"][0]
    assert code == 0 and report["plan"]["executed"] is False and report["plan"]["basis"] == "cost"


def test_explain_reports_database_errors_in_one_line(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    dsn, schema = pg_schema
    query = tmp_path / "missing.sql"
    query.write_text("SELECT * FROM no_such_table;\n", encoding="utf-8")
    code, out, err = _cli(["explain", str(query), "--dsn", conninfo(dsn, schema, {})])
    assert code == 2 and out == ""
    assert err.startswith("sqltune: error: ") and err.count("\n") == 1 and "no_such_table" in err
