"""The rule catalogue: one TOML file per rule under the project's top-level ``rules/`` folder.

Each file holds the rule's metadata, its documentation in ruff's shape (*What it does / Why is this bad? /
Example / Use instead*) and its cases. The cases are documentation and tests at once: every ``[[bad]]``
case must make the rule fire, no ``[[good]]`` case may. The first bad case is the doc's *Example*, the first
good one its *Use instead*::

    code = "SQ001"
    name = "select-star"
    category = "query"
    severity = "warning"
    summary = "SELECT * reads and ships every column, and breaks when columns change."
    what = "..."
    why = "..."

    [[bad]]
    sql = "SELECT * FROM orders"

    [[good]]
    sql = "SELECT id, status FROM orders"
    dialect = "postgres"         # optional, default "postgres"
    schema = "CREATE TABLE ..."  # optional DDL the case is judged against

Plan rules (category ``plan``) judge EXPLAIN plans: their cases carry ``plan``, a fixture path relative to
the repository root (``fixtures/plan_rules/...``) or the plan itself inline (PostgreSQL text or any JSON
format), and optionally the ``sql`` the plan came from::

    [[bad]]
    plan = "fixtures/plan_rules/postgres/seq-scan-filter.bad.txt"
    sql = "SELECT id, status FROM orders WHERE total > 994"

Installed wheels carry the catalogue as ``sqltune/_catalogue``; a source checkout reads ``rules/``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqltune.core.findings import Severity
from sqltune.rules.base import RuleMeta

__all__ = ["Case", "CatalogueEntry", "CatalogueError", "catalogue_dir", "load_catalogue"]

CATEGORIES = ("query", "design", "physical", "plan")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Case:
    sql: str
    dialect: str = "postgres"
    schema: str = ""
    note: str = ""
    plan: str = ""  # plan rules: a fixture path relative to the repository root, or the plan text inline


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    meta: RuleMeta
    bad: tuple[Case, ...] = ()
    good: tuple[Case, ...] = ()
    path: Path | None = field(default=None, compare=False)


def catalogue_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_catalogue"
    if bundled.is_dir():
        return bundled
    checkout = package.parent.parent / "rules"
    if checkout.is_dir():
        return checkout
    raise CatalogueError(f"rule catalogue not found (looked in {bundled} and {checkout})")


_REQUIRED = ("code", "name", "category", "severity", "summary", "what", "why")
_KNOWN = {*_REQUIRED, "dialects", "needs_schema", "bad", "good"}


def _cases(path: Path, raw: Any, kind: str) -> tuple[Case, ...]:
    if not isinstance(raw, list):
        raise CatalogueError(f"{path}: [[{kind}]] must be an array of tables")
    cases = []
    for number, item in enumerate(raw, 1):
        unknown = set(item) - {"sql", "dialect", "schema", "note", "plan"}
        if not ("sql" in item or "plan" in item) or unknown:
            raise CatalogueError(
                f"{path}: {kind} case {number} needs 'sql' or 'plan' (unknown keys: {sorted(unknown)})"
            )
        cases.append(
            Case(
                item.get("sql", ""),
                item.get("dialect", "postgres"),
                item.get("schema", ""),
                item.get("note", ""),
                item.get("plan", ""),
            )
        )
    return tuple(cases)


def load_entry(path: Path) -> CatalogueEntry:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path}: {error}") from None
    missing = [key for key in _REQUIRED if not data.get(key)]
    unknown = set(data) - _KNOWN
    if missing or unknown:
        raise CatalogueError(f"{path}: missing {missing}, unknown {sorted(unknown)}")
    if data["category"] not in CATEGORIES:
        raise CatalogueError(f"{path}: category must be one of {CATEGORIES}")
    bad = _cases(path, data.get("bad", []), "bad")
    good = _cases(path, data.get("good", []), "good")
    meta = RuleMeta(
        code=data["code"],
        name=data["name"],
        category=data["category"],
        severity=Severity.parse(data["severity"]),
        summary=" ".join(data["summary"].split()),
        what=data["what"].strip(),
        why=data["why"].strip(),
        example=bad[0].sql.strip() if bad else "",
        instead=good[0].sql.strip() if good else "",
        dialects=tuple(data.get("dialects", ())),
        needs_schema=bool(data.get("needs_schema", False)),
    )
    if path.stem != f"{meta.code}-{meta.name}":
        raise CatalogueError(f"{path}: file must be named {meta.code}-{meta.name}.toml")
    return CatalogueEntry(meta, bad, good, path)


@lru_cache(maxsize=4)
def load_catalogue(directory: Path | None = None) -> dict[str, CatalogueEntry]:
    """Entries by code."""
    folder = directory or catalogue_dir()
    entries: dict[str, CatalogueEntry] = {}
    for path in sorted(folder.glob("*.toml")):
        entry = load_entry(path)
        if entry.meta.code in entries:
            raise CatalogueError(f"{path}: code {entry.meta.code} is already used by {entries[entry.meta.code].path}")
        entries[entry.meta.code] = entry
    return entries
