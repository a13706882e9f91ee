"""Every CLI command over every fixture file: each run answers with no traceback and an exit code of 0, 1 or 2.

The fixtures are the project's own inputs of every kind (queries of several dialects, DDL, dbt models, bad
input, plans of four engines, malformed plans), so this is the widest net for a crash that a test written for
one feature would not meet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from robustness_support import FIXTURES, PLAN_FILES, SQL_FILES, invoke, lint_json

TPCH_SCHEMA = FIXTURES / "schemas" / "tpch.sql"


def _name(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def test_the_fixture_sets_are_found() -> None:
    assert len(SQL_FILES) > 150 and len(PLAN_FILES) > 100


@pytest.mark.parametrize("path", SQL_FILES, ids=_name)
def test_lint_accounts_for_every_file(path: Path) -> None:
    report, result = lint_json(str(path))
    problems = [p for p in report["problems"] if p["path"] == str(path)]
    # A file is accounted for by its statements (each one linted: a finding or clean) or by a problem.
    assert report["summary"]["statements"] > 0 or problems, f"{path}: neither statements nor a problem"
    text = invoke("lint", "--no-cache", "--no-color", str(path))
    assert text.exit_code == result.exit_code


@pytest.mark.parametrize("path", SQL_FILES, ids=_name)
def test_fix_diff_answers(path: Path) -> None:
    invoke("fix", "--diff", str(path))


@pytest.mark.parametrize("path", PLAN_FILES, ids=_name)
def test_plan_answers(path: Path) -> None:
    text = invoke("plan", str(path))
    as_json = invoke("plan", "--format", "json", str(path))
    assert text.exit_code == as_json.exit_code
    if text.exit_code == 2:
        assert path.name in text.stderr, f"the error does not name the file:\n{text.stderr}"
    else:
        json.loads(as_json.stdout)


def test_rules_and_every_rule_document_themselves() -> None:
    codes = re.findall(r"^([A-Z]{2}\d{3})\b", invoke("rules").stdout, re.MULTILINE)
    assert len(codes) >= 40
    for code in codes:
        shown = invoke("rule", code)
        assert shown.exit_code == 0 and code in shown.stdout


@pytest.mark.parametrize("path", sorted((FIXTURES / "workloads" / "tpch").glob("*.sql")), ids=_name)
def test_indexes_offline_answers(path: Path) -> None:
    invoke("indexes", "--workload", str(path), "--schema", str(TPCH_SCHEMA), "--backend", "estimate")


def test_baseline_over_a_folder_answers(tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    invoke("baseline", "create", "--output", str(target), str(FIXTURES / "workloads" / "tpch"))
