"""The rewrite view: every change of a :class:`~sqltune.rewrites.engine.RewriteReport` as a card with its status
(applied, advised, template), its rationale, the conditions an advised change depends on, the verification
result when the change carries one, and a side-by-side diff of the statement before and after; the whole
file's diff below, folded.

The diff pairs lines with :mod:`difflib` and marks, within a changed line, the words that differ (a
rewritten statement is often one line). Changed lines carry ``-``/``+`` signs as well as colours.

Verification: a change may carry a ``verification`` attribute (``sqltune fix --verify`` adds evidence that
the rewritten query returns the same rows, and how much faster it ran). Any object is shown: its verdict
(a ``verdict``/``status``/``passed``-like entry) as a badge coloured by its meaning (``kept``: green;
``results differ``, ``slower``, ``condition fails``: red; ``not faster``, ``holds on today's data``: amber),
its ``describe()`` line, and its ``to_dict()`` (or dataclass fields) folded as the evidence; ``None`` shows
"not verified". A report's ``verified`` statements (one line each) follow the changes.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqltune.reporters.html._base import badge, esc, plural, view

if TYPE_CHECKING:
    from sqltune.rewrites.engine import Change, RewriteReport

__all__ = ["render_change", "render_rewrite_report", "side_by_side"]

#: Unchanged lines kept around a change in the whole file's diff; longer unchanged runs are folded.
CONTEXT_LINES = 3
_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


def render_rewrite_report(report: RewriteReport) -> str:
    applied, advised = len(report.applied), len(report.advised)
    summary = [f"<code>{esc(report.path)}</code>", esc(plural(len(report.changes), "change"))]
    if applied:
        summary.append(badge(f"{applied} applied", "ok"))
    if advised:
        summary.append(badge(f"{advised} advised", "warning", "not in the output: needs --unsafe or a review"))
    summary.append("text changed" if report.changed else '<span class="muted">text unchanged</span>')
    parts = ["<h3>sqltune rewrite</h3>", f'<p class="summary">{" · ".join(summary)}</p>']
    parts.extend(f"<p>{badge('problem', 'error')} {esc(problem)}</p>" for problem in report.problems)
    parts.extend(f"<p>{badge('note', 'info')} {esc(note)}</p>" for note in report.notes)
    parts.extend(_card(change) for change in report.changes)
    verified = list(getattr(report, "verified", None) or ())  # per statement, from sqltune fix --verify
    if verified:
        items = "".join(f"<li>{esc(_described(item))}</li>" for item in verified)
        parts.append(f"<h4>Verified statements</h4><ul>{items}</ul>")
    if report.changed:
        parts.append(
            "<details><summary><b>The whole file</b>, before and after</summary>"
            f"{side_by_side(report.original, report.sql, CONTEXT_LINES)}</details>"
        )
    return view("rewrite", REWRITE_STYLE + "".join(parts))


def render_change(change: Change) -> str:
    return view("rewrite", REWRITE_STYLE + _card(change))


def _status(change: Change) -> str:
    if change.applied:
        return badge("applied", "ok", "in the rewritten text")
    if change.template:
        return badge("template", "info", "a template to complete by hand; never applied")
    return badge(str(change.status), "warning", "advised: not applied unless allowed (--unsafe)")


def _card(change: Change) -> str:
    head = (
        f"{_status(change)} <b><code>{esc(change.rewrite)}</code> {esc(change.name)}</b> "
        f'<span class="muted"><code>{esc(change.span)}</code></span>'
    )
    parts = [f'<div class="card change"><p>{head}</p><p>{esc(change.rationale)}</p>']
    if change.conditions:
        items = "".join(f"<li>{esc(condition)}</li>" for condition in change.conditions)
        parts.append(f'<div class="conditions"><b>Holds only if</b><ul>{items}</ul></div>')
    parts.append(_verification(change))
    parts.append(side_by_side(change.before, change.after))
    parts.append("</div>")
    return "".join(parts)


# -- verification ---------------------------------------------------------------------------------------------
_VERDICT_KEYS = ("status", "verdict", "outcome", "result")
_PASSED_KEYS = ("passed", "ok", "equivalent", "verified", "same")
_GOOD = {"passed", "pass", "ok", "equivalent", "verified", "same", "identical", "true", "kept"}
_BAD = {"failed", "fail", "different", "mismatch", "error", "false", "regressed", "slower"}
_BAD |= {"results differ", "condition fails"}  # the verified mode's verdicts (besides kept, slower, failed)
_DOUBTFUL = {"not faster", "holds on today's data", "unverifiable"}


def _verification(change: Change) -> str:
    if not hasattr(change, "verification"):
        return ""
    verification = change.verification
    if verification is None:
        return f'<div class="verify">{badge("not verified", "", "run sqltune fix --verify")}</div>'
    data = _as_dict(verification)
    verdict = _verdict(data)
    describe = getattr(verification, "describe", None)
    line = f"<p>{esc(describe())}</p>" if callable(describe) else ""
    rows = "".join(
        f"<dt>{esc(key)}</dt><dd>{_value(value)}</dd>" for key, value in data.items() if value not in (None, [], {})
    )
    evidence = f'<details><summary>evidence</summary><dl class="kv">{rows}</dl></details>' if rows else ""
    return f'<div class="verify"><b>Verification</b> {verdict}{line}{evidence}</div>'


def _described(item: Any) -> str:
    describe = getattr(item, "describe", None)
    return str(describe()) if callable(describe) else str(item)


def _as_dict(value: Any) -> dict[str, Any]:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, dict):
            return data
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return value
    return {"result": value}


def _verdict(data: dict[str, Any]) -> str:
    for key in _PASSED_KEYS:
        if isinstance(data.get(key), bool):
            return badge("verified" if data[key] else "verification failed", "ok" if data[key] else "error")
    for key in _VERDICT_KEYS:
        value = data.get(key)
        if isinstance(value, str | bool) or hasattr(value, "value"):
            text = str(getattr(value, "value", value))
            lowered = text.lower()
            kind = (
                "ok"
                if lowered in _GOOD
                else "error"
                if lowered in _BAD
                else "warning"
                if lowered in _DOUBTFUL
                else "info"
            )
            return badge(text, kind)
    return ""


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        if not value:
            return '<span class="muted">none</span>'
        return "<ul>" + "".join(f"<li>{_value(item)}</li>" for item in value[:50]) + "</ul>"
    if isinstance(value, dict):
        return "; ".join(f"{esc(key)}: {esc(item)}" for key, item in value.items())
    text = str(value)
    if "\n" in text:
        return f"<pre>{esc(text)}</pre>"
    return esc(text)


# -- the diff -----------------------------------------------------------------------------------------------------
def side_by_side(before: str, after: str, context: int | None = None) -> str:
    """A two-column diff table: old line number and text, new line number and text; changed lines marked
    (``-``/``+`` and colours) with the differing words inside them; with ``context``, unchanged runs longer
    than twice that are folded into one "N unchanged lines" row."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(_equal(old, i1, i2, j1, context))
            continue
        left, right = old[i1:i2], new[j1:j2]
        for offset in range(max(len(left), len(right))):
            a = left[offset] if offset < len(left) else None
            b = right[offset] if offset < len(right) else None
            if a is not None and b is not None:
                a_html, b_html = _words(a, b)
            else:
                a_html = esc(a) if a is not None else ""
                b_html = esc(b) if b is not None else ""
            rows.append(
                "<tr>"
                + _cell(i1 + offset + 1 if a is not None else None, a_html, "del" if a is not None else "none", "-")
                + _cell(j1 + offset + 1 if b is not None else None, b_html, "add" if b is not None else "none", "+")
                + "</tr>"
            )
    head = '<thead><tr><th colspan="2">before</th><th colspan="2">after</th></tr></thead>'
    return f'<table class="diff">{head}<tbody>{"".join(rows)}</tbody></table>'


def _equal(old: Sequence[str], i1: int, i2: int, j1: int, context: int | None) -> Iterator[str]:
    def row(index: int) -> str:
        text = esc(old[index])
        other = j1 + (index - i1) + 1
        return "<tr>" + _cell(index + 1, text, "same", " ") + _cell(other, text, "same", " ") + "</tr>"

    size = i2 - i1
    if context is None or size <= 2 * context + 1:
        yield from (row(index) for index in range(i1, i2))
        return
    head = context if i1 > 0 else 0
    tail = context if i2 < len(old) else 0
    yield from (row(index) for index in range(i1, i1 + head))
    hidden = size - head - tail
    yield f'<tr class="fold"><td colspan="4">⋯ {esc(plural(hidden, "unchanged line"))}</td></tr>'
    yield from (row(index) for index in range(i2 - tail, i2))


def _cell(number: int | None, text: str, kind: str, sign: str) -> str:
    shown = "" if number is None else str(number)
    mark = sign if kind in ("del", "add") else " "
    return f'<td class="ln">{shown}</td><td class="code {kind}"><span class="sign">{mark}</span>{text}</td>'


def _words(a: str, b: str) -> tuple[str, str]:
    """Both lines, escaped, with the words that differ wrapped in ``del`` (old) and ``ins`` (new)."""
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_text, new_text = esc("".join(left[i1:i2])), esc("".join(right[j1:j2]))
        if tag == "equal":
            old_parts.append(old_text)
            new_parts.append(new_text)
            continue
        if old_text:
            old_parts.append(f"<del>{old_text}</del>")
        if new_text:
            new_parts.append(f"<ins>{new_text}</ins>")
    return "".join(old_parts), "".join(new_parts)


REWRITE_STYLE = """<style>
.sqltune-rewrite table.diff{border-collapse:collapse;width:100%;table-layout:fixed;margin:.4em 0;font-size:12px;
 font-family:var(--jp-code-font-family,var(--vscode-editor-font-family,ui-monospace,Menlo,Consolas,monospace))}
.sqltune-rewrite table.diff th{text-align:left;font-weight:600;padding:2px 6px;background:rgba(127,127,127,.12)}
.sqltune-rewrite table.diff td{padding:1px 6px;vertical-align:top}
.sqltune-rewrite table.diff td.ln{width:3.2em;text-align:right;opacity:.5;user-select:none}
.sqltune-rewrite table.diff td.code{white-space:pre-wrap;word-break:break-word}
.sqltune-rewrite table.diff td.del{background:rgba(215,58,73,.12)}
.sqltune-rewrite table.diff td.add{background:rgba(40,167,69,.13)}
.sqltune-rewrite table.diff td.none{background:rgba(127,127,127,.06)}
.sqltune-rewrite table.diff .sign{display:inline-block;width:1.1em;opacity:.6;user-select:none}
.sqltune-rewrite table.diff del{background:rgba(215,58,73,.3);text-decoration:line-through}
.sqltune-rewrite table.diff ins{background:rgba(40,167,69,.32);text-decoration:none}
.sqltune-rewrite table.diff tr.fold td{text-align:center;opacity:.6;font-style:italic}
.sqltune-rewrite .conditions{margin:.3em 0;padding:3px 8px;border-left:3px solid #d39e00;background:rgba(227,160,8,.08)}
.sqltune-rewrite .verify{margin:.3em 0;padding:3px 8px;border-left:3px solid rgba(127,127,127,.5)}
</style>"""
