"""``sqltune rules`` lists the lint rules, plan rules and rewrites; ``sqltune rule CODE`` prints the
documentation of one of them (a rule's from the catalogue, a rewrite's from its module)."""

from __future__ import annotations

import click

from sqltune.cli import main, user_errors
from sqltune.cli.catalogue import rewrite_markdown, select
from sqltune.rules.catalogue import load_catalogue
from sqltune.rules.docs import rule_markdown


@main.command("rules")
@click.option(
    "--select",
    "selectors",
    default="ALL",
    show_default=True,
    help="Codes, prefixes, names, categories or kinds (lint, plan, rewrite).",
)
@user_errors
def list_rules(selectors: str) -> None:
    """List the lint rules, plan rules and rewrites with code, kind, name, category, severity and summary."""
    for entry in select(selectors.split(",")):
        click.echo(
            f"{entry.code}  {entry.kind:<8} {entry.name:<32} {entry.category:<9} {entry.severity:<8} {entry.summary}"
        )


@main.command("rule")
@click.argument("code")
@user_errors
def show_rule(code: str) -> None:
    """Show the documentation of one rule or rewrite (by code or name)."""
    catalogue = load_catalogue()
    for entry in select([code]):
        if entry.kind == "rewrite":
            click.echo(rewrite_markdown(entry.code))
        elif entry.code in catalogue:
            click.echo(rule_markdown(catalogue[entry.code]))
        else:
            click.echo(f"{entry.code} {entry.name}: {entry.summary}")
