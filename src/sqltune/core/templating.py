"""dbt / Jinja SQL rendered with placeholders, keeping every offset where it was.

Linting compiled dbt output loses the link to the model file, and rendering real Jinja needs the project's
macros. Instead each tag is replaced *in place* by text of the same length, so every line and column of
the rendered SQL is the line and column of the original file:

- ``{{ ref('orders') }}`` becomes ``orders`` and ``{{ source('raw', 'orders') }}`` becomes ``raw.orders``,
  padded with spaces;
- ``{{ config(...) }}`` and ``{# comments #}`` become spaces;
- any other ``{{ expression }}`` becomes a placeholder identifier such as ``_j1``;
- ``{% if %}`` keeps its first branch and blanks the ``elif``/``else`` branches; ``{% for %}`` keeps its body
  once (and blanks its ``else``); ``{% macro %}``, ``{% call %}`` and ``{% set x %}...{% endset %}`` bodies
  are blanked; other statement tags (``set x = ...``, ``endfor``...) become spaces.

Newlines inside a tag are kept, so line numbers never shift.

>>> render("select * from {{ ref('orders') }} where x = {{ var('x') }}")
'select * from orders              where x = _j1           '
>>> render("select {{ m }}_total")
'select _j1_____total'
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


def _fit(replacement: str, original: str, glued: bool = False) -> str:
    """``replacement`` in place of the tag ``original``: same length, same line breaks.

    The replacement goes on the first line of the tag with room for it (``{{\n  ref('orders')\n}}`` has
    none on its first line), else on its longest line, cut to fit. ``glued``: the tag touches an identifier
    (``{{ method }}_amount``), so the padding is ``_`` and the result stays one identifier, as the rendered
    name would be.
    """
    if "\n" not in original:
        head = replacement[: len(original)]
        return head + ("_" if glued else " ") * (len(original) - len(head))
    pieces = original.split("\n")
    best = next((i for i, piece in enumerate(pieces) if len(piece) >= len(replacement)), None)
    if best is None:
        best = max(range(len(pieces)), key=lambda i: len(pieces[i]))
    return "\n".join(
        replacement[: len(piece)].ljust(len(piece)) if i == best else " " * len(piece) for i, piece in enumerate(pieces)
    )


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


#: Blocks whose body is not SQL of the model (macro definitions, ``{% set x %}...{% endset %}``): blanked.
_SILENT_BLOCKS = {"macro": "endmacro", "call": "endcall", "set": "endset", "materialization": "endmaterialization"}
#: Blocks with alternative branches: the first is kept, ``elif``/``else`` ones are blanked.
_BRANCHING = {"if": "endif", "for": "endfor"}


def _opens_set_block(tag: str) -> bool:
    """``{% set x %}`` opens a block; ``{% set x = 1 %}`` does not."""
    return "=" not in tag


def render(text: str) -> str:
    """Replace every Jinja tag by same-length SQL (see the module documentation)."""
    if not has_template(text):
        return text
    out: list[str] = []
    position = 0
    placeholders = 0
    # Open blocks: (closing keyword, blanked). Text is blanked while any open block is.
    blocks: list[tuple[str, bool]] = []
    for match in _TAG.finditer(text):
        skipping = any(blanked for _, blanked in blocks)
        between = text[position : match.start()]
        out.append(_blank(between) if skipping else between)
        tag = match.group(0)
        position = match.end()
        statement = _STATEMENT.match(tag)
        if statement:
            keyword = statement.group(1)
            if keyword in _BRANCHING:
                blocks.append((_BRANCHING[keyword], False))
            elif keyword in _SILENT_BLOCKS and (keyword != "set" or _opens_set_block(tag)):
                blocks.append((_SILENT_BLOCKS[keyword], True))
            elif keyword in ("elif", "else") and blocks and blocks[-1][0] in ("endif", "endfor"):
                blocks[-1] = (blocks[-1][0], True)
            elif blocks and keyword == blocks[-1][0]:
                blocks.pop()
            out.append(_blank(tag))
            continue
        if tag.startswith("{#") or skipping or _SILENT.match(tag):
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
            glued = _word_char(text, match.start() - 1) or _word_char(text, match.end())
            out.append(_fit(f"_j{placeholders}", tag, glued))
    tail = text[position:]
    out.append(_blank(tail) if any(blanked for _, blanked in blocks) else tail)
    return "".join(out)
