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
from typing import TYPE_CHECKING, Protocol

from sqltune.core.display import Displayable
from sqltune.core.parsing import Statement, parse_source
from sqltune.core.source import Source, Span
from sqltune.core.sqlglot import ParseError, TokenError, exp, get_dialect, parse_one
from sqltune.rewrites.base import Rewrite, RewriteOutcome, Status, unified_diff
from sqltune.rewrites.parameters import keeps_order, mark
from sqltune.rewrites.registry import registered, select_rewrites
from sqltune.rewrites.splice import same, splice
from sqltune.schema import Schema, apply_ddl

if TYPE_CHECKING:  # the verified mode's model; it imports Change from here
    from sqltune.rewrites.conditions import Condition
    from sqltune.rewrites.verification import StatementVerification, Verification

__all__ = ["Change", "Judge", "RewriteReport", "rewrite", "rewrite_source"]

#: Bounds that keep a rewrite that keeps finding work from looping forever on a pathological statement.
MAX_SITES_PER_REWRITE = 25
MAX_PASSES = 4


@dataclass(frozen=True)
class Change(Displayable):
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
    checks: tuple[Condition, ...] = ()  # the conditions a machine can check
    data_dependent: bool = False  # whether it pays off depends on the data (see Rewrite.data_dependent)
    verification: Verification | None = None  # what the verified mode found (None: not verified)

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
        if self.verification is not None:
            line += f" Verified: {self.verification.describe()}."
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
            "checks": [check.to_dict() for check in self.checks],
            "data_dependent": self.data_dependent,
            "verification": self.verification.to_dict() if self.verification is not None else None,
            "before": self.before,
            "after": self.after,
            **self.span.to_dict(),
        }


@dataclass(slots=True)
class RewriteReport(Displayable):
    """The rewrites of one source: the new text, every change (applied or advised) and unreadable statements."""

    path: str
    original: str
    sql: str  # the text with the applied changes
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path:line:col: message": unreadable, or we failed
    notes: list[str] = field(default_factory=list)  # statements left alone by design (templated ones)
    verified: list[StatementVerification] = field(default_factory=list)  # per statement, with a Judge

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
            "notes": list(self.notes),
            "verified": [statement.to_dict() for statement in self.verified],
        }


class Judge(Protocol):
    """Decides which candidate changes are kept, e.g. by running them (:class:`sqltune.rewrites.verifier.Verifier`).

    With a judge, the engine offers it every change it finds (APPLIED or ADVISED, templates aside) instead of
    taking the APPLIED ones: :meth:`consider` returns the change with ``applied`` set to whether it is taken,
    and a statement is rewritten only if :meth:`settle` keeps its changes (all of them or none).
    """

    def begin(self, statement: Statement) -> None:
        """A statement's changes are about to be offered."""
        ...

    def consider(self, change: Change) -> Change:
        """``change`` (not applied) as decided: ``applied`` and ``verification`` set."""
        ...

    def settle(self, changes: list[Change]) -> tuple[list[Change], StatementVerification | None]:
        """The statement's changes with the final say on the taken ones (all kept or all revoked)."""
        ...


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
    rewrites: Sequence[Rewrite] | None = None,
    unsafe: bool = False,
    judge: Judge | None = None,
) -> RewriteReport:
    """Rewrite every statement of ``source`` with ``rewrites`` (all registered ones when ``None``).

    A statement that does not parse, or on which a rewrite (or the engine) fails, is left as written and
    reported in ``problems``; a templated statement is left alone with a note. A ``judge`` decides which
    changes are taken (``unsafe`` is then the judge's business); its statement verdicts are ``verified``.
    """
    rewrites = registered() if rewrites is None else rewrites
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
            report.notes.append(f"left alone: templated statement at {statement.span.path}:{statement.span.line}")
            continue
        failures: list[str] = []
        try:
            if judge is not None:
                judge.begin(statement)
            new_text, changes = _rewrite_statement(statement, known, dialect, rewrites, unsafe, failures, judge)
            if judge is not None:
                changes, verdict = judge.settle(changes)
                report.verified.extend([verdict] if verdict is not None else [])
                new_text = new_text if any(change.applied for change in changes) else None
        except Exception as error:  # RecursionError included  # our own failure: this statement stays as written
            failures.append(f"{statement.span}: the rewrite engine failed: {_one_line(error)}")
            new_text, changes = None, []
        if failures:  # a rewrite that failed leaves the statement as written; the others still advise
            report.problems.extend(failures)
            changes = [change for change in changes if not change.applied]
            new_text = None
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


def _one_line(error: BaseException) -> str:
    """``Type: message`` on one line, at most 200 characters of message."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message[:200]}" if message else type(error).__name__


def _attempt(
    entry: Rewrite, tree: exp.Expression, schema: Schema, dialect: str | None, statement: Statement, failures: list[str]
) -> RewriteOutcome | None:
    """``entry`` on ``tree``; a rewrite that raises is a problem naming it, and does nothing."""
    try:
        return entry(tree, schema, dialect)
    except Exception as error:  # RecursionError included
        failures.append(f"{statement.span}: {entry.id} {entry.name} failed: {_one_line(error)}")
        return None


def _reparses(sql: str, dialect: str | None) -> bool:
    try:
        parse_one(sql, dialect)
    except (ParseError, TokenError):
        return False
    return True


def _render(expression: exp.Expression, dialect: str | None, multiline: bool) -> str:
    return str(expression.sql(dialect=dialect, pretty=multiline))


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
    failures: list[str],
    judge: Judge | None = None,
) -> tuple[str | None, list[Change]]:
    assert statement.expression is not None
    original = statement.expression.copy()
    probe = Statement(statement.source, statement.span, statement.index, original)
    _leading_comments(probe)
    multiline = "\n" in statement.text.strip()
    positional = mark(original, dialect)  # ``?`` parameters: a rewrite must keep their order
    tree: exp.Expression = original
    changes: list[Change] = []
    advice: list[Change] = []  # of the last pass only: earlier passes saw trees later rewrites changed
    changed = False
    for _ in range(MAX_PASSES):
        progress = False
        advice = []
        advised_seen: set[tuple[str, int]] = set()
        for entry in rewrites:
            if any(failure.startswith(f"{statement.span}: {entry.id} ") for failure in failures):
                continue  # failed once on this statement
            for _ in range(MAX_SITES_PER_REWRITE):
                outcome = _attempt(entry, tree, schema, dialect, statement, failures)
                if outcome is None or (positional and not keeps_order(outcome.expression, dialect, positional)):
                    break
                if judge is not None and not outcome.template:
                    if same(outcome.expression, tree, dialect):
                        break
                    change = judge.consider(_change(entry, outcome, tree, statement.span, False, dialect, multiline))
                    if not change.applied:  # refused: reported with its evidence, the rewrite tried no further
                        if (entry.id, hash(outcome.expression)) not in advised_seen:
                            advised_seen.add((entry.id, hash(outcome.expression)))
                            advice.append(change)
                        break
                    changes.append(change)
                    tree = outcome.expression
                    changed = progress = True
                    continue
                take = outcome.applied or (unsafe and not outcome.template)
                if not take:
                    _collect_advice(
                        entry, tree, outcome, schema, dialect, statement, multiline, advised_seen, advice, failures
                    )
                    break
                if same(outcome.expression, tree, dialect):
                    break  # a rewrite that changed nothing a user could see
                changes.append(_change(entry, outcome, tree, statement.span, True, dialect, multiline))
                tree = outcome.expression
                changed = progress = True
        if not progress:
            break
    if not changed:
        return None, changes + advice
    text = statement.text
    spliced = splice(text, statement.span.start, statement.expression, tree, dialect)
    return (spliced if spliced is not None else _render(tree, dialect, multiline)), changes + advice


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
    failures: list[str],
) -> None:
    """Record ``outcome`` and the further advisories of the same rewrite (found on a scratch copy)."""
    current: RewriteOutcome | None = outcome
    shadow = tree
    for _ in range(MAX_SITES_PER_REWRITE):
        if current is None or current.applied:
            return
        key = (entry.id, hash(current.expression))
        if key not in seen and not same(current.expression, shadow, dialect):
            seen.add(key)
            changes.append(_change(entry, current, shadow, statement.span, False, dialect, multiline))
        shadow = current.expression
        current = _attempt(entry, shadow, schema, dialect, statement, failures)


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
        outcome.checks,
        entry.data_dependent,
    )
