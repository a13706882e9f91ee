"""``{var}`` in a magic's SQL and option values: the value of a notebook variable, as text.

A placeholder is a Python name, optionally followed by attributes (``{cfg.region}``); its value is inserted
with ``str()``, as IPython's own ``{var}`` expansion does: text substitution, not parameter binding, so a
value from an untrusted source is not made safe by it. ``{{`` and ``}}`` stand for literal braces. Braces
around anything that is not a name (a JSON literal ``'{"a": 1}'``, an array ``'{1,2}'``) are left as written.
A name the notebook does not define is an error naming it and where it stands, never a silent blank.

>>> substitute("SELECT * FROM {table} WHERE region = '{where.region}'",
...            {"table": "orders", "where": type("W", (), {"region": "EU"})})
"SELECT * FROM orders WHERE region = 'EU'"
>>> print(substitute("SELECT '{{x}}', '{1,2}'::int[]", {"x": "not used"}))
SELECT '{x}', '{1,2}'::int[]
>>> try:
...     substitute("SELECT *\\nFROM {missing}", {}, "<cell>")
... except SubstitutionError as error:
...     print(error)
<cell>:2:6: {missing}: no variable named 'missing' in the notebook (write {{ and }} for literal braces)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SubstitutionError", "substitute"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACEHOLDER = re.compile(rf"\{{\{{|\}}\}}|\{{({_NAME}(?:\.{_NAME})*)\}}")


class SubstitutionError(ValueError):
    """A placeholder names a variable (or attribute) the notebook does not have."""


def substitute(text: str, namespace: Mapping[str, Any], where: str = "<cell>") -> str:
    """``text`` with each ``{name}`` replaced by ``str(namespace[name])`` and ``{{``/``}}`` by one brace.

    ``where`` names the text in errors (``<cell>:line:column``)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group()[0]
        first, *attributes = name.split(".")
        if first not in namespace:
            raise _error(text, match, f"no variable named {first!r} in the notebook", where)
        value = namespace[first]
        for attribute in attributes:
            try:
                value = getattr(value, attribute)
            except AttributeError:
                raise _error(
                    text, match, f"{type(value).__name__} object has no attribute {attribute!r}", where
                ) from None
        return str(value)

    return _PLACEHOLDER.sub(replace, text)


def _error(text: str, match: re.Match[str], reason: str, where: str) -> SubstitutionError:
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return SubstitutionError(
        f"{where}:{line}:{column}: {match.group()}: {reason} (write {{{{ and }}}} for literal braces)"
    )
