"""``sqltune rules`` lists the rules; ``sqltune rule CODE`` prints one rule's documentation."""

from __future__ import annotations

import click

from sqltune.cli import main, user_errors
from sqltune.rules.catalogue import load_catalogue
from sqltune.rules.docs import rule_markdown
from sqltune.rules.registry import all_rules, resolve_selection


@main.command("rules")
@click.option("--select", default="ALL", show_default=True, help="Codes, prefixes, names or categories.")
@user_errors
def list_rules(select: str) -> None:
    """List the rules with code, category, severity and summary."""
    registered = all_rules()
    for code in sorted(resolve_selection(select.split(","), registered)):
        meta = registered[code].meta
        click.echo(f"{code}  {meta.name:<32} {meta.category:<9} {meta.severity!s:<8} {meta.summary}")


@main.command("rule")
@click.argument("code")
@user_errors
def show_rule(code: str) -> None:
    """Show the documentation of one rule (by code or name)."""
    registered = all_rules()
    codes = sorted(resolve_selection([code], registered))
    catalogue = load_catalogue()
    for found in codes:
        entry = catalogue.get(found)
        if entry is None:
            meta = registered[found].meta
            click.echo(f"{meta.code} {meta.name}: {meta.summary}")
        else:
            click.echo(rule_markdown(entry))
