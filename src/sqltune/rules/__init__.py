"""Rules: the base class, the catalogue, the plugin registry and the built-in rules."""

from sqltune.core.findings import Severity
from sqltune.rules.base import Rule, RuleMeta, SchemaContext, StatementContext, Violation
from sqltune.rules.registry import RegisteredRule, RegistryError, all_rules, resolve_selection

__all__ = [
    "RegisteredRule",
    "RegistryError",
    "Rule",
    "RuleMeta",
    "SchemaContext",
    "Severity",
    "StatementContext",
    "Violation",
    "all_rules",
    "resolve_selection",
]
