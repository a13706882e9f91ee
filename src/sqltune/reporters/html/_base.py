"""What every HTML view shares: escaping, the stylesheet, element ids, figures, bars, and the SQL highlighter.

A view is self-contained HTML: one ``<div class="sqltune-view">`` with its own ``<style>`` (every rule scoped
under that class), no script, no external file, no network. Collapsing is ``<details>/<summary>``, which works
where notebook JavaScript is sandboxed (VS Code, rendered notebooks). Everything that comes from the user
(SQL text, identifiers, messages that quote them) goes through :func:`esc`; the views build HTML from escaped
pieces only.

Element ids (anchors between a table and the SQL it points into) are written with the placeholder
:data:`ID`, which escaped text can never contain (it holds a ``<``); :func:`view` replaces it with a prefix
derived from the content, so that a notebook run twice stores the same output, and distinct outputs on one
page never share an id.

>>> esc('<script>alert("x")</script>')
'&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
>>> print(highlight_sql("SELECT 1 -- one", [Mark(7, 8, "error", "SQ999: one", "m1")]).replace("><", ">\\n<"))
<pre class="sql">
<span class="line hl" data-n="1">
<span class="kw">SELECT</span> <span class="anchor" id="<sqid>-m1">
</span>
<mark class="sev-error" title="SQ999: one">
<span class="num">1</span>
</mark> <span class="com">-- one</span>
</span>
</pre>
"""

from __future__ import annotations

import bisect
import hashlib
import html
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ID",
    "Mark",
    "badge",
    "bar",
    "count",
    "esc",
    "figure",
    "highlight_sql",
    "inline_sql",
    "percent",
    "plural",
    "table",
    "view",
]

#: The id placeholder (see the module documentation).
ID = "<sqid>"


def esc(value: object) -> str:
    """The one escaping function: text and attribute values alike (quotes included)."""
    return html.escape(str(value), quote=True)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` and the word, in the plural unless the count is one.

    >>> plural(1, "finding"), plural(3, "finding"), plural(2, "index", "indexes")
    ('1 finding', '3 findings', '2 indexes')
    """
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def figure(value: float | None, digits: int = 2) -> str:
    """A figure as people read it: thousands separated, few decimals; ``-`` when unknown.

    >>> figure(1234567.8), figure(12.345), figure(0.5), figure(3.0), figure(None)
    ('1,234,568', '12.3', '0.50', '3', '-')
    """
    if value is None:
        return "-"
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.{digits}f}"


def count(value: float | None) -> str:
    """A large count shortened: ``1.2k``, ``3.4M``.

    >>> count(950), count(1234), count(5_600_000), count(None)
    ('950', '1.2k', '5.6M', '-')
    """
    if value is None:
        return "-"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return figure(value)


def percent(share: float | None) -> str:
    """A share as a percentage, with one more decimal below 0.1 %.

    >>> percent(0.4567), percent(0.0004), percent(None)
    ('45.7%', '0.04%', '-')
    """
    if share is None:
        return "-"
    return f"{share:.1%}" if share >= 0.001 or share == 0 else f"{share:.2%}"


def badge(text: str, kind: str = "", title: str = "") -> str:
    """A small label; ``kind`` picks its colour (``error``, ``warning``, ``info``, ``ok``, ``hot``...)."""
    title_attr = f' title="{esc(title)}"' if title else ""
    return f'<span class="badge {esc(kind)}"{title_attr}>{esc(text)}</span>'


def bar(share: float | None, kind: str = "", title: str = "") -> str:
    """A horizontal bar filled to ``share`` (0..1); the figure itself is written beside it by the caller."""
    width = 0.0 if share is None else max(0.0, min(1.0, share)) * 100
    title_attr = f' title="{esc(title)}"' if title else ""
    return f'<span class="bar {esc(kind)}"{title_attr}><span style="width:{width:.1f}%"></span></span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], kind: str = "") -> str:
    """A table of ready-made (escaped) cells; ``headers`` are plain text."""
    head = "".join(f"<th>{esc(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="grid {esc(kind)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# -- the SQL highlighter ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Mark:
    """A span of the text to highlight: ``[start, end)`` offsets, a severity (the colour), a tooltip, and the
    id (without the prefix) of an anchor placed where it starts."""

    start: int
    end: int
    severity: str = "info"
    title: str = ""
    anchor: str = ""


_TOKENS = re.compile(
    r"(?P<com>--[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<str>'(?:[^']|'')*(?:'|\Z))"
    r"|(?P<ident>\"(?:[^\"]|\"\")*(?:\"|\Z)|`[^`\n]*(?:`|\Z))"
    r"|(?P<num>\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"
    r"|(?P<word>[A-Za-z_][A-Za-z_0-9$]*)",
    re.DOTALL,
)

#: Words coloured as keywords. Colour only: the text is never parsed here (spans come from the core).
_KEYWORD_TEXT = """
    all alter and any as asc between by case cast check cluster column constraint create cross current_date
    current_timestamp database default delete desc distinct drop else end except exists explain false fetch
    filter first for foreign from full group having if ilike in index inner insert intersect interval into is
    join key last lateral left like limit materialized merge natural not null nulls offset on only or order outer
    over partition primary qualify range recursive references replace returning right rollup row rows select set
    table then to true truncate union unique unnest update using values view when where window with within
    """
KEYWORDS = frozenset(_KEYWORD_TEXT.split())

_SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


def _tokens(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or ""
        if kind == "word":
            if match.group().lower() not in KEYWORDS:
                continue
            kind = "kw"
        found.append((match.start(), match.end(), kind))
    return found


def highlight_sql(text: str, marks: Sequence[Mark] = (), context: int | None = None, first_line: int = 1) -> str:
    """``text`` as a ``<pre>`` of numbered lines, keywords, strings and comments coloured, each mark highlighted
    (a ``<mark>`` with its severity and tooltip, an anchor where it starts). With ``context``, only the lines
    within that many lines of a mark are shown, the others folded into a "N lines" gap."""
    marks = [_clamp(mark, len(text)) for mark in marks]
    line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    shown = _shown_lines(line_starts, marks, context)
    tokens = _tokens(text)
    bounds = {0, len(text)}
    for start, end, _ in tokens:
        bounds.update((start, end))
    for mark in marks:
        bounds.update((mark.start, mark.end))
    for start in line_starts[1:]:
        bounds.update((start - 1, start))
    points = sorted(bound for bound in bounds if 0 <= bound <= len(text))
    starting: dict[int, list[Mark]] = {}
    for mark in marks:
        starting.setdefault(mark.start, []).append(mark)
    out: list[str] = ['<pre class="sql">']
    line = 0
    line_parts: list[str] = []
    line_marked = False
    token_index = 0
    skipped = 0
    active: list[Mark] = []  # the marks covering the current piece

    def close_line() -> None:
        nonlocal line_parts, line_marked, skipped
        if line in shown:
            if skipped:
                out.append(f'<span class="gap">⋮ {plural(skipped, "line")}</span>\n')
                skipped = 0
            cls = "line hl" if line_marked else "line"
            out.append(f'<span class="{cls}" data-n="{line + first_line}">{"".join(line_parts)}</span>\n')
        else:
            skipped += 1
        line_parts = []
        line_marked = False

    for start, end in itertools.pairwise(points):
        if start == end:
            continue
        piece = text[start:end]
        for mark in starting.get(start, ()):
            active.append(mark)
            if mark.anchor:
                line_parts.append(f'<span class="anchor" id="{ID}-{esc(mark.anchor)}"></span>')
        if active:  # marks are boundaries: one that ends here has ended for every later piece too
            active = [mark for mark in active if mark.end > start]
        if piece == "\n":
            line_marked = line_marked or bool(active)
            close_line()
            line += 1
            continue
        while token_index < len(tokens) and tokens[token_index][1] <= start:
            token_index += 1
        token = tokens[token_index][2] if token_index < len(tokens) and tokens[token_index][0] <= start else ""
        cell = esc(piece) if not token else f'<span class="{token}">{esc(piece)}</span>'
        if active:
            line_marked = True
            worst = max(active, key=lambda mark: _SEVERITY_RANK.get(mark.severity, 0)).severity
            title = "\n".join(dict.fromkeys(mark.title for mark in active if mark.title))
            cell = f'<mark class="sev-{esc(worst)}" title="{esc(title)}">{cell}</mark>'
        line_parts.append(cell)
    for mark in starting.get(len(text), ()):  # a mark at the very end of the text
        line_marked = True
        if mark.anchor:
            line_parts.append(f'<span class="anchor" id="{ID}-{esc(mark.anchor)}"></span>')
    close_line()
    if skipped:
        out.append(f'<span class="gap">⋮ {plural(skipped, "line")}</span>\n')
    out.append("</pre>")
    return "".join(out)


def inline_sql(text: str) -> str:
    """A short statement as one ``<code>`` (wrapping in its cell), keywords, strings and comments coloured.

    >>> inline_sql("DROP INDEX i_<x>")
    '<code class="sql"><span class="kw">DROP</span> <span class="kw">INDEX</span> i_&lt;x&gt;</code>'
    """
    parts, position = [], 0
    for start, end, kind in _tokens(text):
        parts.append(esc(text[position:start]))
        parts.append(f'<span class="{kind}">{esc(text[start:end])}</span>')
        position = end
    parts.append(esc(text[position:]))
    return f'<code class="sql">{"".join(parts)}</code>'


def _clamp(mark: Mark, size: int) -> Mark:
    start = max(0, min(mark.start, size))
    end = max(start, min(mark.end, size))
    if end == start and end < size:  # an empty span still shows one character
        end += 1
    return Mark(start, end, mark.severity, mark.title, mark.anchor)


def _shown_lines(line_starts: list[int], marks: Sequence[Mark], context: int | None) -> range | set[int]:
    if context is None or not marks:
        return range(len(line_starts))
    shown: set[int] = set()
    for mark in marks:
        first = bisect.bisect_right(line_starts, mark.start) - 1
        last = bisect.bisect_right(line_starts, max(mark.start, mark.end - 1)) - 1
        shown.update(range(max(0, first - context), min(len(line_starts), last + context + 1)))
    return shown


# -- the page ---------------------------------------------------------------------------------------------
_seen: dict[str, int] = {}


def view(kind: str, body: str) -> str:
    """The finished view: scoped stylesheet and body in one ``div``, ids given their prefix."""
    document = f'<div class="sqltune-view sqltune-{esc(kind)}"><style>{STYLE}</style>{body}</div>'
    digest = hashlib.sha1(document.encode("utf-8")).hexdigest()[:10]
    _seen[digest] = _seen.get(digest, 0) + 1  # the same object shown twice on a page: distinct ids
    prefix = f"sq{digest}" + (f"-{_seen[digest]}" if _seen[digest] > 1 else "")
    return document.replace(ID, prefix)


#: One stylesheet for every view; every rule is scoped under ``.sqltune-view``. Colours are translucent or
#: taken from the notebook's theme variables (JupyterLab ``--jp-*``, VS Code ``--vscode-*``), so that a view
#: reads on light and dark themes alike.
STYLE = """
.sqltune-view{font-family:var(--jp-ui-font-family,var(--vscode-font-family,system-ui,-apple-system,"Segoe UI",
 sans-serif));font-size:13px;line-height:1.45;color:inherit;max-width:100%;overflow-x:auto}
.sqltune-view *{box-sizing:border-box}
.sqltune-view h3{font-size:15px;margin:.3em 0 .4em}
.sqltune-view h4{font-size:13px;margin:.8em 0 .3em}
.sqltune-view p{margin:.3em 0}
.sqltune-view .muted{opacity:.7}
.sqltune-view .summary{margin:.2em 0 .6em}
.sqltune-view code,.sqltune-view pre{font-family:var(--jp-code-font-family,var(--vscode-editor-font-family,
 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace));font-size:12px}
.sqltune-view table.grid{border-collapse:collapse;margin:.3em 0 .8em;width:auto}
.sqltune-view table.grid th,.sqltune-view table.grid td{border:1px solid rgba(127,127,127,.3);padding:3px 7px;
 text-align:left;vertical-align:top}
.sqltune-view table.grid th{background:rgba(127,127,127,.12);font-weight:600}
.sqltune-view .fig{white-space:nowrap;font-variant-numeric:tabular-nums}
.sqltune-view a{color:var(--jp-content-link-color,var(--vscode-textLink-foreground,#0969da));text-decoration:none}
.sqltune-view a:hover{text-decoration:underline}
.sqltune-view .badge{display:inline-block;padding:0 6px;margin:0 2px;border-radius:8px;font-size:11px;
 line-height:17px;white-space:nowrap;border:1px solid rgba(127,127,127,.45);background:rgba(127,127,127,.1)}
.sqltune-view .badge.error{background:rgba(215,58,73,.16);border-color:rgba(215,58,73,.7)}
.sqltune-view .badge.warning{background:rgba(227,160,8,.2);border-color:rgba(200,140,0,.8)}
.sqltune-view .badge.info{background:rgba(3,102,214,.13);border-color:rgba(3,102,214,.6)}
.sqltune-view .badge.ok{background:rgba(40,167,69,.15);border-color:rgba(40,167,69,.7)}
.sqltune-view .badge.hot{background:rgba(255,94,0,.22);border-color:rgba(255,94,0,.85);font-weight:600}
.sqltune-view .bar{display:inline-block;width:90px;height:9px;border-radius:3px;vertical-align:middle;
 background:rgba(127,127,127,.18);overflow:hidden;margin-right:5px}
.sqltune-view .bar>span{display:block;height:100%;background:#3b82f6}
.sqltune-view .bar.hot>span{background:#f97316}
.sqltune-view .bar.ok>span{background:#22a559}
.sqltune-view .bar.error>span{background:#d73a49}
.sqltune-view pre.sql{margin:.3em 0 .8em;padding:6px 0;background:rgba(127,127,127,.07);border-radius:4px;
 overflow-x:auto;white-space:pre}
.sqltune-view pre.sql .line{padding-right:8px}
.sqltune-view code.sql{white-space:pre-wrap;word-break:break-word}
.sqltune-view pre.sql .line::before{content:attr(data-n);display:inline-block;width:3.5em;padding-right:.8em;
 text-align:right;opacity:.45;user-select:none}
.sqltune-view pre.sql .line.hl{background:rgba(227,160,8,.08)}
.sqltune-view pre.sql .gap{padding-left:1.2em;opacity:.55;font-style:italic}
.sqltune-view .kw{color:var(--jp-mirror-editor-keyword-color,#a626a4);font-weight:600}
.sqltune-view .str{color:var(--jp-mirror-editor-string-color,#50a14f)}
.sqltune-view .num{color:var(--jp-mirror-editor-number-color,#986801)}
.sqltune-view .com{color:var(--jp-mirror-editor-comment-color,#8a8a8a);font-style:italic}
.sqltune-view .ident{color:var(--jp-mirror-editor-variable-color,inherit)}
.sqltune-view mark{color:inherit;border-radius:2px;padding:0}
.sqltune-view mark.sev-error{background:rgba(215,58,73,.25);border-bottom:2px solid #d73a49}
.sqltune-view mark.sev-warning{background:rgba(227,160,8,.28);border-bottom:2px solid #d39e00}
.sqltune-view mark.sev-info{background:rgba(3,102,214,.18);border-bottom:2px solid #0366d6}
.sqltune-view .card{border:1px solid rgba(127,127,127,.3);border-radius:6px;padding:6px 10px;margin:.5em 0}
.sqltune-view details>summary{cursor:pointer}
.sqltune-view .kv{display:grid;grid-template-columns:max-content auto;gap:1px 12px;margin:.3em 0}
.sqltune-view .kv>dt{opacity:.75}
.sqltune-view .kv>dd{margin:0}
.sqltune-view svg{max-width:none;font-family:inherit}
.sqltune-view ul{margin:.2em 0;padding-left:1.4em}
"""
