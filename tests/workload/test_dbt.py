"""The dbt reader, on artifacts of a real ``dbt build`` (dbt-core 1.10 with dbt-postgres against PostgreSQL).

``fixtures/workloads/dbt/target`` was captured by ``fixtures/workloads/dbt/capture.py`` from a build of
``fixtures/workloads/dbt/project`` (two seeds, two staging views, a mart table, three data tests), trimmed;
the live test builds the same project in the suite's PostgreSQL and reads the fresh artifacts.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sqltune.core.source import ProblemKind
from sqltune.workload import Workload
from sqltune.workload.sources import dbt as dbt_reader
from sqltune.workload.sources import sniff
from sqltune.workload.sources.dbt import artifacts

DBT = Path(__file__).resolve().parents[2] / "fixtures" / "workloads" / "dbt"
TARGET = DBT / "target"
EXECUTED = [  # (location, unique id) of every node that ran SQL, in run order
    ("models/staging/stg_customers.sql", "model.shop.stg_customers"),
    ("models/staging/stg_orders.sql", "model.shop.stg_orders"),
    ("models/schema.yml", "test.shop.not_null_stg_orders_order_id.81cfe2fe64"),
    ("models/schema.yml", "test.shop.unique_stg_orders_order_id.e3b841c71a"),
    ("models/marts/customer_revenue.sql", "model.shop.customer_revenue"),
    ("models/schema.yml", "test.shop.unique_customer_revenue_customer_id.3b4be2f107"),
]


def copy_target(tmp_path: Path) -> Path:
    target = tmp_path / "target"
    shutil.copytree(TARGET, target)
    return target


def edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def check_captured(workload: Workload) -> None:
    results = json.loads((workload_target(workload) / "run_results.json").read_text())["results"]
    timed = {r["unique_id"]: r for r in results}
    by_id = {t.ids["dbt_unique_id"][0]: t for t in workload}
    assert sorted(by_id) == sorted(uid for _, uid in EXECUTED)
    for location, unique_id in EXECUTED:
        template, result = by_id[unique_id], timed[unique_id]
        assert template.location == location
        assert template.calls == 1
        assert template.total_ms == pytest.approx(result["execution_time"] * 1000)
        ends = [phase["completed_at"] for phase in result["timing"]]
        assert template.last_seen == datetime.fromisoformat(max(ends).replace("Z", "+00:00"))
    mart = by_id["model.shop.customer_revenue"]
    assert mart.kind == "select" and "left join" in mart.text and '"."stg_orders"' in mart.example  # compiled
    assert mart.rows == 4  # SELECT 4: the customers
    assert by_id["model.shop.stg_orders"].rows is None  # a view: rows_affected -1
    (seeds,) = workload.problems
    assert not seeds.fatal and seeds.kind is ProblemKind.SKIPPED
    assert seeds.message.startswith("2 seeds left out") and "seed.shop.raw_orders" in seeds.message


def workload_target(workload: Workload) -> Path:
    (source,) = workload.sources
    found = artifacts(Path(source.removeprefix("dbt:")))
    assert found is not None
    return found


def test_captured_artifacts_give_one_timed_execution_per_node_that_ran_sql() -> None:
    workload = Workload.from_dbt(TARGET)
    check_captured(workload)


@pytest.mark.parametrize("given", ["folder", "project", "manifest"])
def test_sniffed_from_the_target_folder_the_project_or_a_file(tmp_path: Path, given: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(TARGET, project / "target")
    path = {"folder": project / "target", "project": project, "manifest": project / "target" / "manifest.json"}[given]
    assert sniff(path) == "dbt"
    assert len(Workload.read(path)) == len(EXECUTED)


def test_a_project_without_artifacts_is_not_dbt() -> None:
    assert artifacts(DBT / "project") is None  # (sniffed as a folder of SQL files)
    assert not dbt_reader.sniff("dbt", DBT / "project", "")


def test_older_compiled_sql_and_snowflake_query_ids(tmp_path: Path) -> None:
    target = copy_target(tmp_path)

    def older_manifest(data: dict) -> None:  # dbt < 1.3 named it compiled_sql
        for node in data["nodes"].values():
            if "compiled_code" in node:
                node["compiled_sql"] = node.pop("compiled_code")

    def snowflake_results(data: dict) -> None:  # dbt-snowflake's adapter_response
        for number, result in enumerate(data["results"]):
            result.pop("compiled_code", None)
            result["adapter_response"] = {
                "_message": "SUCCESS 1",
                "code": "SUCCESS",
                "rows_affected": 1,
                "query_id": f"01b8e2f1-0306-9c4a-0002-b1f6000c81{number:02d}",
            }

    edit(target / "manifest.json", older_manifest)
    edit(target / "run_results.json", snowflake_results)
    workload = Workload.from_dbt(target)
    assert len(workload) == len(EXECUTED)
    mart = workload.template_of(
        json.loads((TARGET / "manifest.json").read_text())["nodes"]["model.shop.customer_revenue"]["compiled_code"]
    )
    order = [r["unique_id"] for r in json.loads((TARGET / "run_results.json").read_text())["results"]]
    number = order.index("model.shop.customer_revenue")
    assert mart is not None and mart.ids["query_id"] == [f"01b8e2f1-0306-9c4a-0002-b1f6000c81{number:02d}"]


def test_nodes_without_compiled_sql_skipped_and_failed_nodes_are_reported(tmp_path: Path) -> None:
    target = copy_target(tmp_path)

    def uncompiled(data: dict) -> None:
        data["nodes"]["model.shop.stg_orders"].pop("compiled_code")

    def statuses(data: dict) -> None:
        for result in data["results"]:
            result.pop("compiled_code", None)
            if result["unique_id"] == "model.shop.customer_revenue":
                result["status"] = "error"
            if result["unique_id"].startswith("test.shop.unique_customer"):
                result["status"] = "skipped"

    edit(target / "manifest.json", uncompiled)
    edit(target / "run_results.json", statuses)
    workload = Workload.from_dbt(target)
    assert sorted(t.location for t in workload) == [
        "models/schema.yml",
        "models/schema.yml",
        "models/staging/stg_customers.sql",
    ]
    messages = [(p.fatal, p.message) for p in workload.problems]
    assert (
        True,
        "model model.shop.stg_orders ran but has no compiled SQL in the manifest or run results; "
        "run `dbt compile` (or `dbt build`) to write it",
    ) in messages
    assert (False, "1 nodes with status error left out: model.shop.customer_revenue") in messages
    assert (
        False,
        "1 nodes with status skipped left out: test.shop.unique_customer_revenue_customer_id.3b4be2f107",
    ) in messages


def test_time_window(tmp_path: Path) -> None:
    ends = sorted(t.last_seen for t in Workload.from_dbt(TARGET) if t.last_seen)
    middle = ends[len(ends) // 2]
    early = Workload.from_dbt(TARGET, until=middle)
    late = Workload.from_dbt(TARGET, since=middle)
    assert len(early) + len(late) == len(EXECUTED)
    assert all(t.last_seen and t.last_seen < middle for t in early)
    assert len(Workload.from_dbt(TARGET, since=datetime.now(UTC) + timedelta(days=1))) == 0


def test_broken_artifacts_are_one_problem_naming_the_file(tmp_path: Path) -> None:
    target = copy_target(tmp_path)
    (target / "run_results.json").write_text('{"results": [')
    workload = Workload.from_dbt(target)
    assert len(workload) == 0
    (problem,) = workload.problems
    assert problem.fatal and problem.message.startswith(f"{target / 'run_results.json'}:1:")


@pytest.fixture(scope="session")
def dbt_program() -> Path:
    """dbt in its own virtual environment, made once (the first run installs it: minutes, not timed)."""
    from sqltune.testing.dbt import ensure_dbt

    return ensure_dbt()


@pytest.mark.postgres
def test_a_live_dbt_build_is_read(dbt_program: Path, pg_schema: tuple[str, str], tmp_path: Path) -> None:
    from sqltune.testing.dbt import build

    dsn, schema = pg_schema
    started = time.monotonic()
    done = build(DBT / "project", dsn, schema, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert time.monotonic() - started < 60  # one build, within the suite's budget
    workload = Workload.from_dbt(tmp_path / "project")
    check_captured(workload)
    assert all(f'"{schema}"' in t.example for t in workload)  # built into this test's schema
