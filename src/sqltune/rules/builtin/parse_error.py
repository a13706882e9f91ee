"""SQ000: the engine reports statements that do not parse under this code; the class only registers it."""

from sqltune.rules.base import Rule


class ParseError(Rule):
    code = "SQ000"


RULES = [ParseError]
