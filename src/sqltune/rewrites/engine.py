"""Run the rewrites over a file: every statement to a fixpoint, only changed statements' spans replaced.

Untouched statements, the comments and whitespace between statements and the file's line endings survive
byte for byte: the new text is the old text with each changed statement's ``[start, end)`` span replaced by
the rewritten statement (printed in the user's dialect, on several lines when the original was).

>>> report = rewrite("SELECT 1;  -- keep me\\nSELECT a FROM t GROUP BY a HAVING a > 1;\\n", dialect="postgres")
>>> print(report.sql, end="")
SELECT 1;  -- keep me
SELECT a FROM t WHERE a > 1 GROUP BY a;
>>> [(change.rewrite, str(change.status)) for change in report.changes]
[('RW011', 'applied')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from sqltune.core.parsing import Statement, parse_source
from sqltune.core.source import Source, Span
from sqltune.core.sqlglot import ParseError, TokenError, exp, get_dialect, parse_one
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Status, unified_diff
from sqltune.rewrites.registry import REWRITES, select_rewrites
from sqltune.schema import Schema, apply_ddl

__all__ = ["Change", "RewriteReport", "rewrite", "rewrite_source"]

#: Bounds that keep a rewrite that keeps finding work from looping forever on a pathological statement.
MAX_SITES_PER_REWRITE = 25
MAX_PASSES = 4


@dataclass(frozen=True)
class Change:
    """One rewrite at one site of one statement, with the statement before and after it.

    The SQL texts are printed on first use: a caller that only wants the new file text never pays for them.
    """

    rewrite: str
    name: str
    status: Status
    rationale: str
    conditions: tuple[str, ...]
    template: bool
    before_tree: exp.Expression = field(repr=False)
    after_tree: exp.Expression = field(repr=False)
    span: Span
    applied: bool  # part of the report's output text
    dialect: str | None = None
    multiline: bool = False

    @cached_property
    def before(self) -> str:
        """The statement's SQL before this change."""
        return _render(self.before_tree, self.dialect, self.multiline)

    @cached_property
    def after(self) -> str:
        """The statement's SQL after this change."""
        return _render(self.after_tree, self.dialect, self.multiline)

    def diff(self) -> str:
        return unified_diff(self.before.rstrip("\n") + "\n", self.after.rstrip("\n") + "\n", self.span.path)

    def describe(self) -> str:
        """One line: where, which rewrite, APPLIED/ADVISED and the conditions of an advisory."""
        what = "applied" if self.applied else ("template" if self.template else str(self.status))
        line = f"{self.span}: {self.rewrite} {self.name} [{what}] {self.rationale}"
        if self.conditions:
            line += " Holds only if: " + "; ".join(self.conditions) + "."
        return line

    def to_dict(self) -> dict[str, object]:
        return {
            "rewrite": self.rewrite,
            "name": self.name,
            "status": str(self.status),
            "applied": self.applied,
            "template": self.template,
            "rationale": self.rationale,
            "conditions": list(self.conditions),
            "before": self.before,
            "after": self.after,
            **self.span.to_dict(),
        }


@dataclass(slots=True)
class RewriteReport:
    """The rewrites of one source: the new text, every change (applied or advised) and unreadable statements."""

    path: str
    original: str
    sql: str  # the text with the applied changes
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path:line:col: message" of statements left alone

    @property
    def applied(self) -> list[Change]:
        return [change for change in self.changes if change.applied]

    @property
    def advised(self) -> list[Change]:
        """Changes not in the output: advisories (and templates) the caller did not allow."""
        return [change for change in self.changes if not change.applied]

    @property
    def changed(self) -> bool:
        return self.sql != self.original

    def diff(self) -> str:
        return unified_diff(self.original, self.sql, self.path)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "changed": self.changed,
            "changes": [change.to_dict() for change in self.changes],
            "problems": list(self.problems),
        }


def rewrite(
    sql: str,
    dialect: str | None = None,
    schema: Schema | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    unsafe: bool = False,
    path: str = "<string>",
) -> RewriteReport:
    """Rewrite every statement of ``sql``; APPLIED changes only, unless ``unsafe`` also allows ADVISED ones.

    ``schema`` adds to what the text's own CREATE TABLE statements define. ``select``/``ignore`` take rewrite
    ids (``RW001``), id prefixes (``RW0``) or names (``not-in-to-not-exists``); unknown ones raise
    ``ValueError``.
    """
    return rewrite_source(Source(path, sql), dialect, schema, rewrites=select_rewrites(select, ignore), unsafe=unsafe)


def rewrite_source(
    source: Source,
    dialect: str | None = None,
    schema: Schema | None = None,
    *,
    rewrites: Sequence[Rewrite] = REWRITES,
    unsafe: bool = False,
) -> RewriteReport:
    get_dialect(dialect)  # an unknown dialect is a user error before any work
    statements = parse_source(source, dialect)
    known = Schema(schema) if schema is not None else Schema()
    report = RewriteReport(source.path, source.text, source.text)
    replacements: list[tuple[Span, str]] = []
    for statement in statements:
        if statement.error is not None:
            report.problems.append(f"{statement.error.span}: {statement.error.message}")
            continue
        if apply_ddl(known, statement, dialect) is not None or statement.expression is None:
            continue
        if "{{" in statement.text or "{%" in statement.text:
            report.problems.append(f"{statement.span}: templated statement left alone (rewrite the rendered SQL)")
            continue
        new_text, changes = _rewrite_statement(statement, known, dialect, rewrites, unsafe)
        if new_text is not None and not _reparses(new_text, dialect):
            # A safety net for SQL the dialect's printer cannot express: keep the statement as written.
            report.problems.append(f"{statement.span}: the rewritten statement does not parse as {dialect}; left alone")
            changes = [change for change in changes if not change.applied]
            new_text = None
        report.changes.extend(changes)
        if new_text is not None:
            replacements.append((statement.span, new_text))
    text = source.text
    for span, new_text in sorted(replacements, key=lambda item: item[0].start, reverse=True):
        text = text[: span.start] + new_text + text[span.end :]
    report.sql = text
    return report


def _reparses(sql: str, dialect: str | None) -> bool:
    try:
        parse_one(sql, dialect)
    except (ParseError, TokenError):
        return False
    return True


def _render(expression: exp.Expression, dialect: str | None, multiline: bool) -> str:
    return str(expression.sql(dialect=dialect, pretty=multiline))


def _same(a: exp.Expression, b: exp.Expression, dialect: str | None) -> bool:
    """Equal trees; sqlglot's structural equality ignores some flags (``NOT MATERIALIZED``), so confirm by text."""
    return bool(a == b) and str(a.sql(dialect=dialect)) == str(b.sql(dialect=dialect))


def _leading_comments(statement: Statement) -> None:
    """Drop comments sqlglot attached to the statement node that stand *before* the statement's span.

    They stay in the file text around the span; printing them again would duplicate them.
    """
    expression = statement.expression
    if expression is None or not expression.comments:
        return
    before = statement.source.text[: statement.span.start]
    kept = [comment for comment in expression.comments if comment not in before]
    expression.comments = kept or None


def _rewrite_statement(
    statement: Statement,
    schema: Schema,
    dialect: str | None,
    rewrites: Sequence[Rewrite],
    unsafe: bool,
) -> tuple[str | None, list[Change]]:
    assert statement.expression is not None
    original = statement.expression.copy()
    probe = Statement(statement.source, statement.span, statement.index, original)
    _leading_comments(probe)
    multiline = "\n" in statement.text.strip()
    tree: exp.Expression = original
    changes: list[Change] = []
    advice: list[Change] = []  # of the last pass only: earlier passes saw trees later rewrites changed
    changed = False
    for _ in range(MAX_PASSES):
        progress = False
        advice = []
        advised_seen: set[tuple[str, int]] = set()
        for entry in rewrites:
            for _ in range(MAX_SITES_PER_REWRITE):
                outcome = entry(tree, schema, dialect)
                if outcome is None:
                    break
                take = outcome.applied or (unsafe and not outcome.template)
                if not take:
                    _collect_advice(entry, tree, outcome, schema, dialect, statement, multiline, advised_seen, advice)
                    break
                if _same(outcome.expression, tree, dialect):
                    break  # a rewrite that changed nothing a user could see
                changes.append(_change(entry, outcome, tree, statement.span, True, dialect, multiline))
                tree = outcome.expression
                changed = progress = True
        if not progress:
            break
    return (_render(tree, dialect, multiline) if changed else None), changes + advice


def _collect_advice(
    entry: Rewrite,
    tree: exp.Expression,
    outcome: RewriteOutcome,
    schema: Schema,
    dialect: str | None,
    statement: Statement,
    multiline: bool,
    seen: set[tuple[str, int]],
    changes: list[Change],
) -> None:
    """Record ``outcome`` and the further advisories of the same rewrite (found on a scratch copy)."""
    current: RewriteOutcome | None = outcome
    shadow = tree
    for _ in range(MAX_SITES_PER_REWRITE):
        if current is None or current.applied:
            return
        key = (entry.id, hash(current.expression))
        if key not in seen and not _same(current.expression, shadow, dialect):
            seen.add(key)
            changes.append(_change(entry, current, shadow, statement.span, False, dialect, multiline))
        shadow = current.expression
        current = entry(shadow, schema, dialect)


def _change(
    entry: Rewrite,
    outcome: RewriteOutcome,
    before: exp.Expression,
    span: Span,
    applied: bool,
    dialect: str | None,
    multiline: bool,
) -> Change:
    return Change(
        entry.id,
        entry.name,
        outcome.status,
        outcome.rationale,
        outcome.conditions,
        outcome.template,
        before,
        outcome.expression,
        span,
        applied,
        dialect,
        multiline,
    )
