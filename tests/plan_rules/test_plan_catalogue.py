"""The plan rules' catalogue entries are their test suite: every bad plan fires the rule, no good plan does.

``tests/test_catalogue.py`` runs the query and design entries through the lint engine; plan entries carry
plans (``plan`` = a fixture path relative to the repository root, or the plan inline) and run here through
:func:`~sqltune.rules.plan.analyze_plan`, with the case's SQL parsed and linked and its ``schema`` loaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltune.core.source import Source
from sqltune.plans import PlanGraph, parse_plan
from sqltune.rules.catalogue import Case, CatalogueEntry, load_catalogue
from sqltune.rules.plan import RULES, PlanReport, analyze_plan, plan_rules
from sqltune.schema import Schema

ROOT = Path(__file__).resolve().parents[2]
PLAN_ENTRIES = [entry for entry in load_catalogue().values() if entry.meta.category == "plan"]


def load_case_plan(case: Case) -> PlanGraph:
    """The case's plan: a fixture file when ``plan`` names one, else the text itself."""
    text = case.plan
    if "\n" not in text.strip() and (ROOT / text).is_file():
        return parse_plan((ROOT / text).read_bytes(), path=text)
    return parse_plan(text)


def diagnose(case: Case) -> PlanReport:
    from sqltune.core.parsing import parse_source

    schema = Schema.from_ddl(case.schema, dialect=case.dialect) if case.schema else None
    statement = None
    if case.sql:
        statements = parse_source(Source.from_string(case.sql, "case.sql"), case.dialect)
        statement = next((s for s in statements if s.expression is not None), None)
    return analyze_plan(load_case_plan(case), statement, schema)


def _cases(kind: str) -> list[object]:
    return [
        pytest.param(entry, case, id=f"{entry.meta.code}-{kind}{number}")
        for entry in PLAN_ENTRIES
        for number, case in enumerate(getattr(entry, kind), 1)
    ]


@pytest.mark.parametrize(("entry", "case"), _cases("bad"))
def test_bad_plan_fires(entry: CatalogueEntry, case: Case) -> None:
    report = diagnose(case)
    assert not report.problems
    assert entry.meta.code in report.codes(), f"{entry.meta.code} did not fire on {case.plan}"


@pytest.mark.parametrize(("entry", "case"), _cases("good"))
def test_good_plan_is_silent(entry: CatalogueEntry, case: Case) -> None:
    report = diagnose(case)
    assert not report.problems
    assert entry.meta.code not in report.codes(), f"{entry.meta.code} fired on {case.plan}"


def test_every_plan_rule_is_catalogued_with_plan_cases() -> None:
    codes = {entry.meta.code for entry in PLAN_ENTRIES}
    assert {rule.code for rule in RULES} == codes
    assert len(codes) >= 15
    for entry in PLAN_ENTRIES:
        assert len(entry.bad) >= 2 and len(entry.good) >= 2, entry.meta.code
        assert all(case.plan for case in (*entry.bad, *entry.good)), f"{entry.meta.code}: every case needs a plan"
        assert entry.meta.code.startswith("SQ3")


def test_plan_rules_are_rules_the_lint_engine_ignores() -> None:
    for code, (rule, meta) in plan_rules().items():
        assert meta.category == "plan", code
        assert list(rule.hooks()) == [], f"{code} implements a lint hook"


def test_fixture_cases_point_at_files() -> None:
    for entry in PLAN_ENTRIES:
        for case in (*entry.bad, *entry.good):
            if "\n" not in case.plan.strip():
                assert (ROOT / case.plan).is_file(), f"{entry.meta.code}: {case.plan} does not exist"
