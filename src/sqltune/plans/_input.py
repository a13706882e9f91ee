"""Reading plan text as users paste it: psql's table decoration, GUI-client quoting, JSON with positions.

Line numbers are preserved (removed decoration becomes empty lines), so an error in the cleaned text
names the line of the original.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqltune.plans.errors import PlanError, json_error

__all__ = ["clean_lines", "load_json"]

_RULE = re.compile(r"^\s*[-+]{3,}\s*$")
_ROWS_FOOTER = re.compile(r"^\s*\(\d+ rows?\)\s*$")
_HEADER = re.compile(r"^\s*(QUERY PLAN|EXPLAIN|ANALYZE)\s*$", re.IGNORECASE)


def clean_lines(text: str) -> list[str]:
    """The lines of ``text`` without psql's header, rule, ``(N rows)`` footer and ``+`` wrap markers.

    >>> clean_lines("  QUERY PLAN\\n-----------\\n Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\\n(1 row)")
    ['', '', ' Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)', '']
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    decorated = any(_HEADER.match(line) for line in lines[:3])
    out: list[str] = []
    for index, line in enumerate(lines):
        first = line.lstrip()[:1]
        if (
            (first in ("-", "+") and _RULE.match(line))
            or (first == "(" and _ROWS_FOOTER.match(line))
            or (decorated and index < 3 and _HEADER.match(line))
        ):
            out.append("")
            continue
        if decorated and line.endswith("+") and (len(line) < 2 or line[-2] == " "):
            line = line[:-1]
        out.append(line.rstrip())
    # GUI clients (pgAdmin, DBeaver) copy each row in double quotes.
    content = [line for line in out if line.strip()]
    if content and all(line.strip().startswith('"') and line.strip().endswith('"') for line in content):
        out = [line.strip()[1:-1].replace('""', '"') if line.strip() else line for line in out]
    return out


def load_json(text: str, path: str | None, what: str = "EXPLAIN plan") -> Any:
    """Parse JSON text (psql decoration tolerated) or raise a one-line :class:`PlanError`."""
    cleaned = "\n".join(clean_lines(text)) if "QUERY PLAN" in text[:400] else text
    if not cleaned.strip():  # pragma: no cover - callers check for empty input first
        raise PlanError(f"empty input: expected an {what}", path=path)
    try:
        return json.loads(cleaned)
    except json.JSONDecodeError as error:
        raise json_error(error, path, what) from None
    except RecursionError:
        raise PlanError(f"the {what} is nested too deeply to read", path=path) from None
