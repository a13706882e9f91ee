"""Edits, not reprints: the rewritten statement as the user's text with only the changed spans replaced.

The map, from the outside in:

1. :func:`_changed` walks the original tree and the rewritten one in parallel and returns the smallest pairs
   of nodes that differ (a different node type, a changed flag such as UNION's ``distinct``, a list that
   grew or shrank); everything else is the same subtree in both.
2. :class:`_Text` finds where an original node stands in the statement's tokens. sqlglot records token
   offsets on leaves only (identifiers, literals, function names), so the span of the leaves is widened to
   the node's own keywords and brackets by matching the first and last tokens the node prints as; a node
   whose ends cannot be matched hands its change to its parent, up to the statement.
3. Each changed node is printed in the input's dialect (``pretty=False``, no comments), with every subtree
   it shares with the original printed as the user's text (:func:`_generator`), and then merged token by
   token with the text it replaces (:func:`_merge`): tokens both sides have keep the user's spelling,
   casing, spacing and comments; only the tokens that differ come from the printer. ``UNION`` becoming
   ``UNION ALL`` keeps ``Union`` and its line breaks and inserts ``ALL``.
4. :func:`splice` checks that the spliced statement parses to the rewritten tree (printed the same way);
   if not, it tries plainer edits (the changed nodes reprinted whole, then the statement merged token by
   token) before giving up and returning ``None`` (the caller then reprints the statement).

>>> from sqltune.core.sqlglot import parse_one
>>> text = "select a\\nFrom t  -- c\\nUnion\\nselect b from u"
>>> before = parse_one(text, "postgres")
>>> after = before.copy()
>>> after.set("distinct", False)
>>> print(splice(text, 0, before, after, "postgres"))
select a
From t  -- c
Union ALL
select b from u
"""

from __future__ import annotations

import difflib
from typing import Any

from sqltune.core.sqlglot import ParseError, Token, TokenError, TokenType, exp, get_dialect, parse_one, tokenize

__all__ = ["same", "splice"]

_Pair = tuple[exp.Expression, exp.Expression]
#: Token types compared by their exact text (quoted names, string literals); the rest in any casing.
_EXACT = {TokenType.IDENTIFIER, *(kind for kind in TokenType if "STRING" in kind.name)}


def same(a: exp.Expression, b: exp.Expression, dialect: str | None) -> bool:
    """Equal trees; sqlglot's structural equality ignores some flags (``NOT MATERIALIZED``), so confirm by text."""
    return bool(a == b) and _print(a, dialect) == _print(b, dialect)


def _print(node: exp.Expression, dialect: str | None) -> str:
    return str(node.sql(dialect=dialect, comments=False))


def _key(token: Token) -> tuple[Any, str]:
    """What makes two tokens the same token: quoted text exactly, keywords and names in any casing."""
    return token.token_type, token.text if token.token_type in _EXACT else token.text.upper()


def _children(a: exp.Expression, b: exp.Expression) -> list[_Pair] | None:
    """The child pairs of two same-typed nodes, or ``None`` when their own arguments differ."""
    pairs: list[_Pair] = []
    for key in a.args.keys() | b.args.keys():
        x, y = a.args.get(key), b.args.get(key)
        if isinstance(x, exp.Expression) and isinstance(y, exp.Expression):
            pairs.append((x, y))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for p, q in zip(x, y, strict=True):
                if isinstance(p, exp.Expression) and isinstance(q, exp.Expression):
                    pairs.append((p, q))
                elif p != q:
                    return None
        elif (x in (None, False, []) and y in (None, False, [])) or (
            not isinstance(x, exp.Expression | list) and x == y
        ):
            continue
        else:
            return None
    return pairs


def _changed(original: exp.Expression, rewritten: exp.Expression, dialect: str | None) -> list[_Pair]:
    """The smallest differing (original, rewritten) node pairs, found by walking both trees in step."""
    found: list[_Pair] = []
    stack: list[_Pair] = [(original, rewritten)]
    while stack:
        a, b = stack.pop()
        if same(a, b, dialect):
            continue
        pairs = _children(a, b) if type(a) is type(b) else None
        differing = [pair for pair in pairs or () if not same(*pair, dialect)]
        if not differing:  # a different node, its own arguments changed, or a difference only its printing shows
            found.append((a, b))
        else:
            stack.extend(differing)
    return found


def _leaf_spans(tree: exp.Expression) -> dict[int, tuple[int, int]]:
    """Every node's ``[start, end]`` (inclusive, absolute offsets) over the leaves sqlglot gave positions,
    computed bottom-up in one pass (``id(node)`` keys)."""
    spans: dict[int, tuple[int, int]] = {}
    for node in reversed(list(tree.walk(bfs=True))):
        meta = node._meta  # sqlglot keeps token offsets here; .meta would allocate a dict per node
        start, end = (meta["start"], meta["end"]) if meta and "start" in meta else (-1, -1)
        for child in node.iter_expressions():
            span = spans.get(id(child))
            if span is not None:
                start = span[0] if start < 0 else min(start, span[0])
                end = max(end, span[1])
        if start >= 0:
            spans[id(node)] = (start, end)
    return spans


class _Text:
    """One statement's text and tokens, and where its original nodes stand among those tokens."""

    def __init__(self, text: str, offset: int, original: exp.Expression, dialect: str | None) -> None:
        self.text, self.offset, self.dialect = text, offset, dialect
        self.tokens = tokenize(text, dialect)
        self.keys = [_key(token) for token in self.tokens]
        self.first = {token.start: index for index, token in enumerate(self.tokens)}
        self.last = {token.end: index for index, token in enumerate(self.tokens)}
        self.spans = _leaf_spans(original)
        self.by_span: dict[tuple[type, int, int], exp.Expression] = {}
        for node in original.walk():
            span = self.spans.get(id(node))
            if span is not None:
                self.by_span.setdefault((type(node), *span), node)  # the outermost of equal spans

    def extent(self, node: exp.Expression) -> tuple[int, int] | None:
        """The token range ``[i, j)`` of an original node, or ``None`` when it cannot be told reliably."""
        span = self.spans.get(id(node))
        if span is None:
            return None
        i, last = self.first.get(span[0] - self.offset), self.last.get(span[1] - self.offset)
        if i is None or last is None:
            return None
        try:
            printed = [_key(token) for token in tokenize(_print(node, self.dialect), self.dialect)]
        except TokenError:
            return None
        j = last + 1
        lead = next((n for n in range(min(len(printed), i + 1)) if self._matches(printed, n, i, -1)), None)
        trail = next(
            (n for n in range(min(len(printed), len(self.tokens) - j + 1)) if self._matches(printed, n, j, 1)), None
        )
        if lead is None or trail is None or i - lead > j + trail:
            return None
        return i - lead, j + trail

    def _matches(self, printed: list[tuple[Any, str]], count: int, at: int, direction: int) -> bool:
        """Whether ``count`` printed tokens before (``-1``) / after (``1``) the leaves' span are the text's."""
        if direction < 0:
            return printed[count] == self.keys[at] and printed[:count] == self.keys[at - count : at]
        return (
            printed[-1 - count] == self.keys[at - 1] and printed[len(printed) - count :] == self.keys[at : at + count]
        )

    def slice(self, i: int, j: int) -> str:
        return self.text[self.tokens[i].start : self.tokens[j - 1].end + 1]

    def kept(self, tree: exp.Expression) -> dict[int, str]:
        """The maximal subtrees of a rewritten ``tree`` that are unchanged original nodes, with their text."""
        spans = _leaf_spans(tree)
        kept: dict[int, str] = {}
        stack = list(tree.iter_expressions())
        while stack:
            node = stack.pop()
            span = spans.get(id(node))
            origin = self.by_span.get((type(node), *span)) if span else None
            extent = self.extent(origin) if origin is not None and same(origin, node, self.dialect) else None
            if extent is not None:
                kept[id(node)] = self.slice(*extent)
            else:
                stack.extend(node.iter_expressions())
        return kept


#: Nodes whose generator adds the separator before them (" WHERE ...", " GROUP BY ..."): never placeholders.
_CLAUSES = (
    exp.Where, exp.Having, exp.Group, exp.Order, exp.Limit, exp.Offset, exp.From, exp.Join, exp.Qualify, exp.With,
    exp.Fetch, exp.Lateral,
)  # fmt: skip


def _render(node: exp.Expression, dialect: str | None, kept: dict[int, str]) -> str:
    """``node`` printed in ``dialect``, with each descendant listed in ``kept`` printed as the user's text.

    The kept descendants stand in as placeholder names while the dialect's generator prints (compiled sqlglot
    takes no subclass of its generator), then the user's text replaces each placeholder; the tree is restored.
    """
    if id(node) in kept:
        return kept[id(node)]
    generator = get_dialect(dialect)
    swaps: list[tuple[exp.Expression, exp.Expression, str]] = []
    clauses: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        for child in list(stack.pop().iter_expressions()):
            text = kept.get(id(child))
            if text is None:
                stack.append(child)
                continue
            if isinstance(child, _CLAUSES):  # a clause prints its own separator: swap its printed text after
                clauses.append((generator.generate(child, copy=True, comments=False, pretty=False).strip(), text))
                continue
            marker = exp.Var(this=f"sqltune_kept_{len(swaps)}_")
            child.replace(marker)
            swaps.append((marker, child, text))
    try:
        printed = str(generator.generate(node, copy=False, comments=False, pretty=False))
    finally:
        for marker, child, _ in swaps:
            marker.replace(child)
    for marker, _, text in reversed(swaps):  # the last placeholders first: _10_ before _1_ cannot clash anyway
        printed = printed.replace(str(marker.this), text, 1)
    for plain, text in clauses:
        printed = printed.replace(plain, text, 1)
    return printed


def _gap(text: str, tokens: list[Token], index: int) -> str:
    return text[tokens[index - 1].end + 1 : tokens[index].start] if index > 0 else ""


def _comment(gap: str) -> str:
    """The comments in a gap that is dropped with its token, so that they stay in the file once."""
    comment = gap.strip()
    if not comment:
        return ""
    last = comment.rsplit("\n", 1)[-1].lstrip()
    return comment + ("\n" if last.startswith(("--", "#", "//")) else " ")


def _spacing(old_gap: str, new_gap: str) -> str:
    """Where old and new text meet: the user's comments win, then the printer's gluing (``COALESCE(``),
    then the user's line breaks, else the printer's spacing."""
    return old_gap if old_gap.strip() or ("\n" in old_gap and new_gap) else new_gap


def _merge(old: _Text, i: int, j: int, new_text: str, dialect: str | None) -> str:
    """``new_text`` written over ``old``'s tokens ``[i, j)``: shared tokens keep the old text and spacing.

    Between two tokens that were neighbours in the old text the old gap stays; where old and new text meet,
    the old gap stays if it holds a line break or a comment, else the printer's spacing is used. Comments
    in the gaps of dropped tokens are written before the next token.
    """
    new = tokenize(new_text, dialect)
    keys = [_key(token) for token in new]
    out: list[str] = []
    pending = ""
    previous = -1  # old index of the last token written if it was an old one

    def put(gap: str, token: str) -> None:
        nonlocal pending
        out.append((gap + pending if out else pending) + token)
        pending = ""

    def old_gap(index: int) -> str:
        return _gap(old.text, old.tokens, index) if index > i else ""

    matcher = difflib.SequenceMatcher(None, old.keys[i:j], keys, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(range(i + a1, i + a2), range(b1, b2), strict=True):
                gap = old_gap(a) if previous == a - 1 else _spacing(old_gap(a), _gap(new_text, new, b))
                put(gap, old.slice(a, a + 1))
                previous = a
            continue
        for a in range(i + a1, i + a2):  # dropped old tokens: keep their comments
            pending += _comment(old_gap(a)) if a > i + a1 or tag == "delete" else ""
        for b in range(b1, b2):
            gap = _gap(new_text, new, b)
            if b == b1 and tag == "replace":
                gap = _spacing(old_gap(i + a1), gap)
            put(gap, new_text[new[b].start : new[b].end + 1])
        previous = -1
    tail = pending if pending.endswith("\n") else pending.rstrip()  # a line comment keeps its line end
    return "".join(out) + (" " + tail if tail else "")


def _edits(old: _Text, pairs: list[_Pair], dialect: str | None, merge: bool) -> list[tuple[int, int, str]]:
    """Each change as ``(first token, end token, new text)``; a node without a reliable extent hands its
    change to its parent (the rewritten side's parent is the matching node: the walk went in step), and a
    change inside another one's extent is part of that one."""
    located: list[tuple[int, int, exp.Expression]] = []
    for a, b in pairs:
        extent = old.extent(a)
        while extent is None and a.parent is not None and b.parent is not None:
            a, b = a.parent, b.parent
            extent = old.extent(a)
        located.append((*(extent or (0, len(old.tokens))), b))
    outer = [(i, j, b) for i, j, b in located if not any(p <= i and j <= q and (p, q) != (i, j) for p, q, _ in located)]
    edits = {}
    for i, j, b in outer:
        if (i, j) not in edits:
            new_text = _render(b, dialect, old.kept(b) if merge else {})
            edits[(i, j)] = _merge(old, i, j, new_text, dialect) if merge else new_text
    return [(i, j, text) for (i, j), text in edits.items()]


def _apply(old: _Text, edits: list[tuple[int, int, str]]) -> str | None:
    text = old.text
    previous_start = len(old.tokens) + 1
    for i, j, new_text in sorted(edits, reverse=True):
        if j > previous_start:
            return None  # overlapping edits: the caller tries a plainer way
        previous_start = i
        text = text[: old.tokens[i].start] + new_text + text[old.tokens[j - 1].end + 1 :]
    return text


def _canonical(sql: str, dialect: str | None) -> str | None:
    try:
        return _print(parse_one(sql, dialect), dialect)
    except (ParseError, TokenError):
        return None


def splice(
    text: str, offset: int, original: exp.Expression, rewritten: exp.Expression, dialect: str | None
) -> str | None:
    """``text`` (one statement, starting at file ``offset``, parsed as ``original``) edited to ``rewritten``.

    Returns ``None`` when no edit could be verified (the caller reprints the statement).
    """
    try:
        old = _Text(text, offset, original, dialect)
    except (TokenError, ValueError):
        return None
    if not old.tokens:
        return None
    want = _canonical(_print(rewritten, dialect), dialect)
    pairs = _changed(original, rewritten, dialect)
    root = [(original, rewritten)]
    for candidates, merge in ((pairs, True), (pairs, False), (root, True)):
        try:
            spliced = _apply(old, _edits(old, candidates, dialect, merge))
        except (TokenError, ValueError):
            continue
        if spliced is not None and want is not None and _canonical(spliced, dialect) == want:
            return spliced
    return None
