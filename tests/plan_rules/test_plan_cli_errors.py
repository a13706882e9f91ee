"""``sqltune plan`` on a plan without timings or costs, and ``sqltune explain`` on a file where one statement
of three fails: the others still get their plans, the bad one its own line, exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqltune.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from plan_scenarios import conninfo, run_setup

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> tuple[int, str, str]:
    from sqltune.cli import plan as _plan  # noqa: F401  (registers plan and explain)

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_plan_without_savings_prints_its_findings() -> None:
    """Snowflake's EXPLAIN has neither timings nor costs: the saving is unknown, not a TypeError."""
    code, out, err = _cli("plan", str(ROOT / "fixtures/plans/snowflake/explain_q03.json"))
    assert (code, err) == (0, "")
    assert "SQ319 [info] saving unknown (no timings or costs) - poor-partition-pruning" in out


THREE = """SELECT id FROM items WHERE id = 1;
SELECT missing_column FROM items;
SELECT count(*) FROM items;
SELEC oops;
"""


@pytest.mark.postgres
def test_explain_gives_every_good_statement_its_plan_and_each_bad_one_its_error(
    pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    dsn, schema = pg_schema
    run_setup(dsn, schema, ["CREATE TABLE items (id int PRIMARY KEY, name text)"])
    query = tmp_path / "three.sql"
    query.write_text(THREE, encoding="utf-8")
    target = conninfo(dsn, schema, {})

    code, out, err = _cli("explain", str(query), "--dsn", target, "--fail-on", "never")
    assert code == 2
    assert f"{query}:1: statement 1" in out and f"{query}:3: statement 3" in out  # both good plans
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(f"sqltune: error: {query}:2:1: statement 2: ") and "missing_column" in lines[0]
    assert lines[1].startswith(f"sqltune: error: {query}:4:1: ")

    code, out, err = _cli("explain", str(query), "--dsn", target, "--format", "json", "--fail-on", "never")
    document = json.loads(out)
    assert code == 2 and [r["statement"]["index"] for r in document["reports"]] == [0, 2]
    assert [(p["line"], p["kind"]) for p in document["problems"]] == [(2, "input"), (4, "input")]
