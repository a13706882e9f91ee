"""The one error the plan parsers raise: :class:`PlanError`, a single line that says what and where.

A plan pasted from a terminal, copied from a log or fetched by a driver is user input: when it is not a
plan, or is cut short, the user gets one line naming the place (file, line and column for text; the JSON
path for a structure that parsed but is not the expected shape) and what was expected, never a traceback.

>>> str(PlanError("invalid JSON: expected ',' delimiter", path="plan.json", line=3, column=5))
"plan.json: line 3 column 5: invalid JSON: expected ',' delimiter"
>>> str(PlanError("expected a 'Plan' key", path="plan.json", where="$[0]"))
"plan.json: $[0]: expected a 'Plan' key"
"""

from __future__ import annotations

import json

__all__ = ["PlanError", "json_error"]

#: The path shown for plans given as a string or an object.
DEFAULT_PATH = "<plan>"


class PlanError(ValueError):
    """A plan that cannot be read. ``str(error)`` is the one line to show the user."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int = 0, column: int = 0, where: str = ""
    ) -> None:
        self.message = message
        self.path = path or DEFAULT_PATH
        self.line = line
        self.column = column
        self.where = where  # a JSON path such as $[0].Plan.Plans[1], for structural problems
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.path]
        if self.line:
            parts.append(f"line {self.line} column {self.column}" if self.column else f"line {self.line}")
        if self.where:
            parts.append(self.where)
        return ": ".join([*parts, self.message])


def json_error(error: json.JSONDecodeError, path: str | None, what: str = "EXPLAIN plan") -> PlanError:
    """A :class:`json.JSONDecodeError` as a :class:`PlanError`; a cut-off document says so.

    >>> try:
    ...     json.loads('[{"Plan": {"Node Type": "Seq Scan"')
    ... except json.JSONDecodeError as error:
    ...     print(json_error(error, "p.json"))
    p.json: line 1 column 35: invalid JSON: the EXPLAIN plan is truncated (expected ',' delimiter)
    """
    message = error.msg.replace("Expecting", "expected").replace(" starting at", "")
    message = message[0].lower() + message[1:] if message else "malformed document"
    if error.pos >= len(error.doc.rstrip()) or _unclosed(error.doc):
        message = f"the {what} is truncated ({message})"
    return PlanError(f"invalid JSON: {message}", path=path, line=error.lineno, column=error.colno)


def _unclosed(doc: str) -> bool:
    """Whether the document ends inside a string or with brackets left open: it was cut short.

    >>> _unclosed('{"a": [1, 2'), _unclosed('{"a": 1 "b": 2}')
    (True, False)
    """
    depth = 0
    in_string = escaped = False
    for char in doc:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return in_string or depth > 0
