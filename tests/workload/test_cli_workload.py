"""``sqltune workload``: the hottest templates and columns, JSON, saving, windows and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from sqltune.cli import main
from sqltune.workload import Workload

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["workload", *args], catch_exceptions=False)


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    rows = [
        {"sql": f"SELECT * FROM orders WHERE id = {i}", "total_ms": 10, "ts": f"2026-12-01T0{i % 3}:00:00Z"}
        for i in range(30)
    ] + [{"sql": "SELECT sum(total) FROM orders GROUP BY day", "total_ms": 900, "ts": "2026-12-01T05:00:00Z"}]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n{broken\n", encoding="utf-8")
    return path


def test_text_shows_templates_shares_locations_and_columns(tmp_path: Path) -> None:
    result = run(str(_history(tmp_path)), "--dialect", "postgres")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Workload: 2 templates, 31 calls, 1.2 s in all")
    assert (
        "Problems: 1 entries could not be read; the first: " in result.stdout and "history.jsonl:32:1" in result.stdout
    )
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("1 "))
    assert "75.0%" in lines[first] and "select sum(total) from orders group by day" in lines[first]
    assert lines[first + 1].strip() == f"at {tmp_path / 'history.jsonl'}:31"
    assert "equality         orders.id (25%)" in result.stdout


def test_json_and_saved_workload(tmp_path: Path) -> None:
    out = tmp_path / "saved.json"
    result = run(str(_history(tmp_path)), "--format", "json", "--top", "1", "--out", str(out))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["summary"] == {"templates": 2, "calls": 31, "total_ms": 1200.0}
    assert len(data["templates"]) == 1 and data["usage"]["columns"]
    assert len(Workload.load(out)) == 2
    again = run(str(out), "--format", "json")
    assert json.loads(again.stdout)["summary"]["calls"] == 31


def test_a_time_window(tmp_path: Path) -> None:
    result = run(str(_history(tmp_path)), "--since", "2026-12-01T01:00:00+00:00", "--until", "2026-12-01T02:00:00Z")
    assert result.exit_code == 0
    assert result.stdout.startswith("Workload: 1 templates, 10 calls")


def test_bad_sources_are_one_line_errors(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope.log"))
    assert missing.exit_code == 2 and missing.stderr.startswith("sqltune: error: workload source not found")
    live = run("pg_stat_statements")
    assert live.exit_code == 2 and "pass --dsn" in live.stderr
    bad_time = run(str(_history(tmp_path)), "--since", "yesterday")
    assert bad_time.exit_code == 2 and "invalid time 'yesterday'" in bad_time.stderr
