"""The input/expected pairs in ``fixtures/rewrites/*.toml``: each rewrite's output, status and dialect."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from sqltune.core.sqlglot import parse_one
from sqltune.rewrites import REWRITES, Status, rewrite
from sqltune.rewrites.registry import by_id
from sqltune.schema import Schema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rewrites"


def _load() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(FIXTURES.glob("RW*.toml")):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        for number, case in enumerate(document["case"], 1):
            cases.append((f"{path.stem}#{number}", {"rewrite": document["rewrite"], **case}))
    return cases


CASES = _load()


def _schema(case: dict[str, Any]) -> Schema | None:
    """The case's schema: DDL text, or the name of a schema file beside the fixtures ("shop", "app")."""
    text = case.get("schema")
    if not text:
        return None
    named = FIXTURES / f"{text}.sql"
    ddl = named.read_text(encoding="utf-8") if text.isidentifier() and named.exists() else text
    return Schema.from_ddl(ddl, dialect=case.get("dialect", "postgres"))


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_fixture(name: str, case: dict[str, Any]) -> None:
    dialect = case.get("dialect", "postgres")
    rule = case["rewrite"]
    safe = rewrite(case["sql"], dialect=dialect, schema=_schema(case), select=[rule])
    mine = [change for change in safe.changes if change.rewrite == rule]
    if case["status"] == "none":
        assert not mine, f"{name}: expected no rewrite, got {[c.after for c in mine]}"
        assert safe.sql == case["sql"]
        return
    assert mine, f"{name}: {rule} did not fire"
    if case["status"] == "applied":
        assert all(change.status is Status.APPLIED for change in mine)
        assert safe.sql == case["expected"]
        return
    assert safe.sql == case["sql"], f"{name}: an advised rewrite must not be applied without --unsafe"
    assert all(change.status is Status.ADVISED and change.conditions for change in mine)
    if mine[0].template:
        assert mine[0].after == case["expected"]
        unsafe = rewrite(case["sql"], dialect=dialect, schema=_schema(case), select=[rule], unsafe=True)
        assert unsafe.sql == case["sql"], "a template is never applied, not even with --unsafe"
    else:
        unsafe = rewrite(case["sql"], dialect=dialect, schema=_schema(case), select=[rule], unsafe=True)
        assert unsafe.sql == case["expected"]


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_output_is_a_fixpoint_and_input_untouched(name: str, case: dict[str, Any]) -> None:
    """Rewriting the output again applies nothing, and a rewrite function never mutates its input."""
    dialect = case.get("dialect", "postgres")
    schema = _schema(case) or Schema()
    tree = parse_one(case["sql"], dialect)
    before = tree.sql(dialect=dialect)
    by_id()[case["rewrite"]](tree, schema, dialect)
    assert tree.sql(dialect=dialect) == before
    if case["status"] == "applied":
        again = rewrite(case["expected"], dialect=dialect, schema=schema, select=[case["rewrite"]])
        assert not again.applied, [change.after for change in again.applied]


def test_every_rewrite_has_fixtures() -> None:
    statuses: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for _, case in CASES:
        statuses.setdefault(case["rewrite"], set()).add(case["status"])
        counts[case["rewrite"]] = counts.get(case["rewrite"], 0) + (case["status"] != "none")
    for entry in REWRITES:
        assert entry.id in statuses, f"no fixtures for {entry.id}"
        assert "none" in statuses[entry.id], f"{entry.id} has no case it must leave alone"
        assert counts[entry.id] >= 1, f"{entry.id} has no case where it fires"
    assert len(REWRITES) >= 15


def test_every_rewrite_is_documented() -> None:
    text = (FIXTURES.parents[1] / "docs" / "rewrites.md").read_text(encoding="utf-8")
    missing = [entry.id for entry in REWRITES if f"### {entry.id} {entry.name}" not in text]
    assert not missing, f"document these rewrites in docs/rewrites.md: {missing}"
