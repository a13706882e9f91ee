"""Documentation cannot fall behind: every rule has a current generated page, every option a description."""

from __future__ import annotations

from pathlib import Path

from sqltune.core.config import OPTIONS
from sqltune.rules.docs import reference_pages

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_rule_reference_is_current() -> None:
    stale = []
    for name, content in reference_pages().items():
        path = DOCS / "rules" / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    assert not stale, f"regenerate with `python -m sqltune.rules.docs docs/rules`: {stale}"


def test_no_orphan_rule_pages() -> None:
    expected = set(reference_pages())
    orphans = {p.name for p in (DOCS / "rules").glob("*.md")} - expected
    assert not orphans, f"pages for rules that do not exist: {sorted(orphans)}"


def test_every_option_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [option for option in OPTIONS if f"`{option}`" not in text]
    assert not missing, f"document these options in docs/configuration.md: {missing}"


def test_architecture_names_every_package() -> None:
    """docs/architecture.md draws the tree: a package added without a line there fails here."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    source = DOCS.parent / "src" / "sqltune"
    packages = sorted(p.parent.name for p in source.glob("*/__init__.py"))
    missing = [name for name in packages if f"  {name}/" not in text]
    assert not missing, f"packages missing from docs/architecture.md: {missing}"
