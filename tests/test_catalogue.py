"""The catalogue is the rules' test suite: every bad case fires its rule, no good case does."""

from __future__ import annotations

import pytest

from sqltune.core.config import Config
from sqltune.linter.engine import lint_text
from sqltune.rules.catalogue import Case, CatalogueEntry, load_catalogue
from sqltune.rules.registry import all_rules
from sqltune.schema import Schema

CATALOGUE = load_catalogue()
QUERY_ENTRIES = [e for e in CATALOGUE.values() if e.meta.category != "plan"]


def _codes(entry: CatalogueEntry, case: Case) -> list[str]:
    schema = Schema.from_ddl(case.schema, dialect=case.dialect) if case.schema else None
    config = Config(dialect=case.dialect, select=(entry.meta.code,))
    return [f.code for f in lint_text(case.sql, config, schema)]


def _cases(kind: str) -> list[object]:
    return [
        pytest.param(entry, case, id=f"{entry.meta.code}-{kind}{number}")
        for entry in QUERY_ENTRIES
        for number, case in enumerate(getattr(entry, kind), 1)
    ]


@pytest.mark.parametrize(("entry", "case"), _cases("bad"))
def test_bad_case_fires(entry: CatalogueEntry, case: Case) -> None:
    assert entry.meta.code in _codes(entry, case), f"{entry.meta.code} did not fire on:\n{case.sql}"


@pytest.mark.parametrize(("entry", "case"), _cases("good"))
def test_good_case_is_silent(entry: CatalogueEntry, case: Case) -> None:
    assert entry.meta.code not in _codes(entry, case), f"{entry.meta.code} fired on:\n{case.sql}"


def test_every_rule_is_catalogued_with_cases() -> None:
    for code, registered in all_rules().items():
        entry = CATALOGUE.get(code)
        assert entry is not None, f"{code} has no catalogue entry"
        assert entry.bad and entry.good, f"{code} needs at least one bad and one good case"
        assert registered.meta.what and registered.meta.why


def test_every_catalogue_entry_has_a_rule() -> None:
    assert set(CATALOGUE) <= set(all_rules())
