"""SQ000 and SQ998: the engine reports statements that do not parse under these codes; the classes only
register them (SQ000 for broken SQL, SQ998 for valid SQL beyond the parser, see ``sqltune.core.triage``)."""

from sqltune.rules.base import Rule


class ParseError(Rule):
    code = "SQ000"


class NotAnalysed(Rule):
    code = "SQ998"


RULES = [ParseError, NotAnalysed]
