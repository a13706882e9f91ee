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


def test_every_command_and_option_is_documented() -> None:
    """Each ``sqltune`` command and each of its options is named somewhere in the docs or the README."""
    from importlib import import_module

    import click

    from sqltune.cli import COMMANDS, main

    for module in set(COMMANDS.values()):
        import_module(module)
    text = (DOCS.parent / "README.md").read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8") for path in DOCS.rglob("*.md")
    )
    context = click.Context(main)
    missing: list[str] = []

    def walk(command: click.Command, words: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                if sub is not None:
                    walk(sub, [*words, name])
            return
        if f"sqltune {' '.join(words)}" not in text:
            missing.append(" ".join(words))
        for param in command.params:
            if isinstance(param, click.Option):
                flag = max(param.opts, key=len)
                if flag not in text:
                    missing.append(f"{' '.join(words)} {flag}")

    walk(main, [])
    assert not missing, f"document these commands and options: {missing}"
