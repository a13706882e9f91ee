"""The built-in rules, registered through the ``sqltune.rules`` entry point like any plugin."""

from sqltune.rules.builtin import columns, parse_error

RULES = [
    *parse_error.RULES,
    *columns.RULES,
]

__all__ = ["RULES"]
