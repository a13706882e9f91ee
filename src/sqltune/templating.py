"""dbt / Jinja SQL rendered with placeholders, keeping every offset where it was.

Linting compiled dbt output loses the link to the model file, and rendering real Jinja needs the project's
macros. Instead each tag is replaced *in place* by text of the same length, so every line and column of
the rendered SQL is the line and column of the original file:

- ``{{ ref('orders') }}`` becomes ``orders`` and ``{{ source('raw', 'orders') }}`` becomes ``raw.orders``,
  padded with spaces;
- ``{{ config(...) }}`` and ``{# comments #}`` become spaces;
- any other ``{{ expression }}`` becomes a placeholder identifier such as ``_j1``;
- ``{% if %}`` keeps its first branch and blanks the ``elif``/``else`` branches; ``{% for %}`` keeps its body
  once; other statement tags (``set``, ``macro`` calls, ``endfor``...) become spaces.

Newlines inside a tag are kept, so line numbers never shift.

>>> render("select * from {{ ref('orders') }} where x = {{ var('x') }}")
'select * from orders              where x = _j1           '
"""

from __future__ import annotations

import re

__all__ = ["has_template", "render"]

_TAG = re.compile(r"\{\{.*?\}\}|\{%-?.*?-?%\}|\{#.*?#\}", re.DOTALL)
_REF = re.compile(r"""^\{\{-?\s*ref\(\s*(?:['"][^'"]*['"]\s*,\s*)?['"]([^'"]+)['"]\s*(?:,[^)]*)?\)\s*-?\}\}$""")
_SOURCE = re.compile(r"""^\{\{-?\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*-?\}\}$""")
_SILENT = re.compile(r"^\{\{-?\s*config\(", re.DOTALL)
_STATEMENT = re.compile(r"^\{%-?\s*(\w+)")


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def _blank(text: str) -> str:
    """Spaces of the same length, keeping line breaks."""
    return re.sub(r"[^\n]", " ", text)


def _fit(replacement: str, original: str) -> str:
    """``replacement`` on the tag's first line, the rest blanked: same length, same line breaks."""
    first_line = original.find("\n")
    room = len(original) if first_line == -1 else first_line
    head = replacement[:room]
    return head + _blank(original[len(head) :])


def render(text: str) -> str:
    """Replace every Jinja tag by same-length SQL (see the module documentation)."""
    if not has_template(text):
        return text
    out: list[str] = []
    position = 0
    placeholders = 0
    # A stack of open {% if %} blocks: True while inside a branch that is blanked.
    skipping: list[bool] = []
    for match in _TAG.finditer(text):
        between = text[position : match.start()]
        out.append(_blank(between) if any(skipping) else between)
        tag = match.group(0)
        position = match.end()
        statement = _STATEMENT.match(tag)
        if statement:
            keyword = statement.group(1)
            if keyword == "if":
                skipping.append(False)
            elif keyword in ("elif", "else") and skipping:
                skipping[-1] = True
            elif keyword == "endif" and skipping:
                skipping.pop()
            out.append(_blank(tag))
            continue
        if tag.startswith("{#") or any(skipping) or _SILENT.match(tag):
            out.append(_blank(tag))
            continue
        ref = _REF.match(tag)
        source = _SOURCE.match(tag)
        if ref:
            out.append(_fit(ref.group(1), tag))
        elif source:
            out.append(_fit(f"{source.group(1)}.{source.group(2)}", tag))
        else:
            placeholders += 1
            out.append(_fit(f"_j{placeholders}", tag))
    tail = text[position:]
    out.append(_blank(tail) if any(skipping) else tail)
    return "".join(out)
