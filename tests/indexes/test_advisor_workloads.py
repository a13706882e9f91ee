"""The index advisor weights queries by any workload source: history exports, saved workloads, Workload objects."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sqltune.cli import main
from sqltune.indexes.advisor import advise_indexes, load_workload
from sqltune.schema import Schema
from sqltune.workload import Execution, Workload

ROOT = Path(__file__).resolve().parents[2]
TPCH = ROOT / "fixtures/workloads/tpch"
SCHEMA = ROOT / "fixtures/schemas/tpch.sql"


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    rows = [
        {"sql": (TPCH / f"q{n:02d}.sql").read_text(encoding="utf-8"), "calls": n, "total_ms": 100.0 * n}
        for n in (3, 5, 10)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_history_export_weights_queries_by_time_and_names_them_by_line(tmp_path: Path) -> None:
    queries = load_workload(str(_history(tmp_path)), schema=Schema.load(SCHEMA, "postgres"))
    history = tmp_path / "history.jsonl"
    assert [(q.id, q.weight) for q in queries] == [
        (f"{history}:3", 1000.0),
        (f"{history}:2", 500.0),
        (f"{history}:1", 300.0),
    ]


def test_history_and_sql_files_together(tmp_path: Path) -> None:
    queries = load_workload([str(_history(tmp_path)), str(TPCH / "q06.sql")], schema=Schema.load(SCHEMA, "postgres"))
    assert [q.id for q in queries][-1] == f"{TPCH / 'q06.sql'}:1" and len(queries) == 4


def test_a_workload_object_and_untimed_templates_weigh_by_calls() -> None:
    workload = Workload("postgres")
    workload.add(Execution((TPCH / "q06.sql").read_text(encoding="utf-8"), calls=40, location="app.sql:9"))
    workload.add(Execution("SELECT FROM WHERE", location="app.sql:20"))
    plan = advise_indexes(workload, schema=Schema.load(SCHEMA, "postgres"), backend="estimate")
    assert [(q.id, q.weight) for q in load_workload(workload)] == [("app.sql:9", 40.0)]
    assert [s.query_id for s in plan.skipped] == ["app.sql:20"]


def test_the_cli_accepts_a_history_export(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "indexes",
            "--workload",
            str(_history(tmp_path)),
            "--schema",
            str(SCHEMA),
            "--backend",
            "estimate",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert next(q["id"] for q in json.loads(result.stdout)["queries"]).endswith("history.jsonl:3")
