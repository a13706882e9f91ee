"""The result objects the HTML views are checked on, built by the real entry points from the bundled fixtures,
and the same objects carrying script-injection attempts in their identifiers and SQL text."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sqltune
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.layout.model import Evidence, Gate, LayoutPlan, Recommendation
from sqltune.plans import load_plan, parse_plan
from sqltune.rules.plan import analyze_plan
from sqltune.schema import Schema
from sqltune.workload import Execution, Workload

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path: the tests here share
# view_dom (a DOM for structural checks without a browser) and view_payloads through this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from view_payloads import HOSTILE_SQL, TABLE, TEXT

ROOT = Path(__file__).resolve().parents[2]
PLAN_RULES = ROOT / "fixtures/plan_rules/postgres"


def _plan_report(stem: str) -> Any:
    name = stem.split(".")[0]
    sql = PLAN_RULES / f"{name}.sql"
    statement = parse_source(Source(str(sql.relative_to(ROOT)), sql.read_text(encoding="utf-8")), "postgres")[0]
    return analyze_plan(load_plan(PLAN_RULES / f"{stem}.txt"), statement)


@pytest.fixture(scope="session")
def views() -> dict[str, Any]:
    """One object per view, from the real entry points on the bundled fixtures."""
    schema = Schema.load(ROOT / "fixtures/schemas/shop.sql", "postgres")
    shop = Workload.from_sql(ROOT / "fixtures/workloads/shop", dialect="postgres")
    log = Workload.from_postgres_log(ROOT / "fixtures/workloads/logs/postgres/postgresql.log")
    tpch = sorted(str(path) for path in (ROOT / "fixtures/workloads/tpch").glob("q0*.sql"))
    report = sqltune.lint(
        "SELECT * FROM orders WHERE lower(email) = 'a@b.c';\n\nSELECT id FROM t ORDER BY 1 LIMIT 10 OFFSET 100000;\n",
        dialect="postgres",
    )
    rewrite = sqltune.rewrite(
        "SELECT a FROM t GROUP BY a HAVING a > 1;\n-- keep me\nSELECT * FROM o WHERE id NOT IN (SELECT oid FROM x);\n",
        dialect="postgres",
    )
    return {
        "report": report,
        "finding": report.findings[0],
        "plan": _plan_report("join-fan-out.bad"),
        "plan_graph": load_plan(ROOT / "fixtures/plans/postgres/parallel.analyze_buffers.json"),
        "rewrite": rewrite,
        "change": rewrite.changes[0],
        "graph": sqltune.analyze(
            "WITH c AS (SELECT id, name FROM customers WHERE region = 'EU') SELECT o.id, c.name FROM orders o "
            "JOIN c ON c.id = o.customer_id WHERE o.total > 10 AND o.status IN (SELECT s FROM st) ORDER BY 1"
        )[0],
        "schema": schema,
        "design": sqltune.design_star_schema(schema, shop),
        "indexes": sqltune.advise_indexes(
            tpch, schema=Schema.load(ROOT / "fixtures/schemas/tpch.sql", "postgres"), backend="estimate"
        ),
        "workload": log,
        "usage": log.usage(),
        "layout": _layout_plan(),
    }


def _layout_plan() -> LayoutPlan:
    """A layout plan as the advisor writes one (it needs a live warehouse to make one itself)."""
    recommendation = Recommendation(
        "public.events",
        "postgres",
        "brin",
        ("created_at",),
        ddl=["CREATE INDEX CONCURRENTLY events_created_at_brin ON public.events USING brin (created_at)"],
        gates=[Gate("size", True, "12.0 GB >= 1.0 GB"), Gate("correlation", True, "0.99 >= 0.9")],
        evidence=[Evidence("f1", "app.log:12", "SELECT ... WHERE created_at > $1", 40.0, 1000, 1000.0, 30.0)],
    )
    return LayoutPlan(
        [recommendation, Recommendation("public.users", "postgres", "none", gates=[Gate("size", False, "small")])]
    )


@pytest.fixture(scope="session")
def hostile() -> dict[str, Any]:
    """Objects whose identifiers and SQL text hold the injection attempts :data:`TABLE` and :data:`TEXT`."""
    plan_json = [
        {
            "Plan": {
                "Node Type": "Seq Scan",
                "Relation Name": TABLE,
                "Alias": TEXT,
                "Startup Cost": 0.0,
                "Total Cost": 35.5,
                "Plan Rows": 2550,
                "Plan Width": 4,
                "Filter": f"(note = '{TEXT}'::text)",
            }
        }
    ]
    statement = parse_source(Source("hostile.sql", HOSTILE_SQL), "postgres")[0]
    workload = Workload("postgres")
    workload.add(Execution(HOSTILE_SQL, duration_ms=12.0, location=TEXT))
    return {
        "report": sqltune.lint(HOSTILE_SQL, dialect="postgres"),
        "plan": analyze_plan(parse_plan(json.dumps(plan_json)), statement),
        "rewrite": sqltune.rewrite(HOSTILE_SQL, dialect="postgres", unsafe=True),
        "graph": sqltune.analyze(HOSTILE_SQL)[0],
        "schema": Schema.from_mapping({TABLE: {TEXT: "int", "id": "int"}}),
        "workload": workload,
    }


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (Debian's chromium; .ci/setup-packages.sh installs it)."""
    from sqltune.testing.browser import Browser, find_chromium

    if find_chromium() is None:
        pytest.fail("no Chromium: install Debian's chromium (bash .ci/setup-packages.sh), or set SQLTUNE_CHROMIUM")
    with Browser() as running:
        yield running
