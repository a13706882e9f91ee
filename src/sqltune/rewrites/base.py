"""What a rewrite is and what it reports.

A rewrite is a pure function ``(expression, schema, dialect) -> RewriteOutcome | None`` in the style of
sqlglot's ``optimizer/`` passes: it copies the statement, changes one *site* (one subquery, one predicate,
one join) and says whether the change is **APPLIED** -- proven not to change the result under the schema it
was given -- or only **ADVISED**, safe under conditions the schema does not prove (the outcome names them).
A function prefers a site it can prove safe over one it can only advise, so that the engine, calling it
again on its own output, applies every safe site before it meets the first advisory.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqltune.core.sqlglot import exp
from sqltune.schema import Schema

if TYPE_CHECKING:  # conditions.py prints its names with shown(), defined here
    from sqltune.rewrites.conditions import Condition

__all__ = [
    "Rewrite",
    "RewriteFunction",
    "RewriteOutcome",
    "Site",
    "Status",
    "best_site",
    "show",
    "shown",
    "unified_diff",
]

#: The dialect of the statement being rewritten, so that rationales and conditions quote SQL as the user
#: writes it (set while a :class:`Rewrite` runs; rewrite functions keep their three-argument signature).
_DIALECT: ContextVar[str | None] = ContextVar("sqltune_rewrite_dialect", default=None)


def shown(node: exp.Expression) -> str:
    """``node`` as SQL in the input's dialect, for messages (``date_trunc('month', x)`` stays that in a
    PostgreSQL file instead of sqlglot's generic ``TIMESTAMP_TRUNC(x, MONTH)``)."""
    return str(node.sql(dialect=_DIALECT.get()))


def _in_dialect(
    function: RewriteFunction, expression: exp.Expression, schema: Schema, dialect: str | None
) -> RewriteOutcome | None:
    token = _DIALECT.set(dialect)
    try:
        return function(expression, schema, dialect)
    finally:
        _DIALECT.reset(token)


class Status(enum.Enum):
    """How far a rewrite is proven: APPLIED sites change nothing in any database state the schema allows."""

    APPLIED = "applied"
    ADVISED = "advised"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class RewriteOutcome:
    """One rewritten site: the whole new statement, why the change helps and how far it is proven."""

    rewrite: str  # the rewrite's id, e.g. "RW001"
    expression: exp.Expression  # the whole statement after the change (a new tree)
    status: Status
    rationale: str
    conditions: tuple[str, ...] = ()  # what must hold for an ADVISED change to keep the results
    template: bool = False  # a template the user must complete (never applied, even with --unsafe)
    checks: tuple[Condition, ...] = ()  # the conditions a machine can check (each ``text`` is one of them)

    @property
    def applied(self) -> bool:
        return self.status is Status.APPLIED

    def sql(self, dialect: str | None = None, pretty: bool = False) -> str:
        """The new statement, printed in ``dialect``."""
        return str(self.expression.sql(dialect=dialect, pretty=pretty))

    def diff(self, original: exp.Expression, dialect: str | None = None, path: str = "<string>") -> str:
        """A unified diff from ``original`` (the expression the rewrite was given) to the new statement."""
        before = str(original.sql(dialect=dialect, pretty=True)) + "\n"
        return unified_diff(before, self.sql(dialect, pretty=True) + "\n", path)


RewriteFunction = Callable[[exp.Expression, Schema, str | None], RewriteOutcome | None]


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A registered rewrite: stable id, kebab-case name, one-line summary and the function.

    ``data_dependent``: whether the change pays off depends on the data (row counts, selectivity), not only on
    the query: such a rewrite is one to measure (``sqltune fix --verify``) before trusting it.
    """

    id: str
    name: str
    summary: str
    function: RewriteFunction = field(repr=False)
    data_dependent: bool = False

    def __call__(self, expression: exp.Expression, schema: Schema, dialect: str | None) -> RewriteOutcome | None:
        return _in_dialect(self.function, expression, schema, dialect)


@dataclass(slots=True)
class Site:
    """A place a rewrite can change: ``apply()`` edits the (copied) tree in place.

    ``conditions`` empty means the change is proven (APPLIED); otherwise it is advice under those conditions.
    ``checks`` states those of them a machine can check (:mod:`sqltune.rewrites.conditions`).
    """

    apply: Callable[[], None]
    rationale: str
    conditions: tuple[str, ...] = ()
    template: bool = False
    checks: tuple[Condition, ...] = ()


def best_site(
    rewrite_id: str,
    expression: exp.Expression,
    find: Callable[[exp.Expression], list[Site]],
) -> RewriteOutcome | None:
    """Copy ``expression``, find the sites in the copy, apply the first proven one (else the first advisory).

    The input is never mutated: ``find`` only reads a tree; the sites applied are found again on a copy and
    close over nodes of that copy.
    """
    if not find(expression):  # analysis only reads the tree: copy it only when there is something to change
        return None
    tree = expression.copy()
    holder = exp.Paren(this=tree)  # lets a site replace the statement's root node
    sites = find(tree)
    proven = [site for site in sites if not site.conditions and not site.template]
    chosen = proven[0] if proven else (sites[0] if sites else None)
    if chosen is None:
        return None
    chosen.apply()
    result = holder.this.pop()
    status = Status.ADVISED if chosen.conditions or chosen.template else Status.APPLIED
    return RewriteOutcome(
        rewrite_id, result, status, chosen.rationale, chosen.conditions, chosen.template, chosen.checks
    )


def unified_diff(before: str, after: str, path: str = "<string>") -> str:
    """A unified diff of two texts, as ``git diff`` would show it (empty when they are equal).

    >>> print(unified_diff("SELECT 1\\n", "SELECT 2\\n", "q.sql"), end="")
    --- a/q.sql
    +++ b/q.sql
    @@ -1 +1 @@
    -SELECT 1
    +SELECT 2
    """
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return text


def show(function: RewriteFunction, sql: str, ddl: str = "", dialect: str | None = "postgres") -> None:
    """Print what ``function`` makes of ``sql`` (for the doctest examples of every rewrite).

    Prints ``unchanged``, or the status and the new SQL followed by each condition of an advisory.
    """
    from sqltune.core.sqlglot import parse_one

    schema = Schema.from_ddl(ddl, dialect=dialect) if ddl else Schema()
    outcome = _in_dialect(function, parse_one(sql, dialect), schema, dialect)
    if outcome is None:
        print("unchanged")
        return
    print(_wrap(f"{outcome.status.name}: {outcome.expression.sql(dialect=dialect)}", "    "))
    for condition in outcome.conditions:
        print(_wrap(f"  if: {condition}", "      "))


def _wrap(text: str, indent: str) -> str:
    """Long SQL folded at spaces into lines that fit a docstring (the doctests print through this)."""
    import textwrap

    return textwrap.fill(text, width=100, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
