"""What a rule is: a class with a stable code that looks at statements and yields :class:`Violation` s.

A rule never opens a connection and never reads files: it gets everything through its context. Three hooks,
each optional:

- ``visit(node, ctx)`` for every node of a type in ``node_types`` (the engine walks each statement once and
  dispatches, so thirty rules cost one walk);
- ``check(ctx)`` once per parsed statement, for rules that reason over the whole :class:`QueryGraph`;
- ``check_schema(ctx)`` once per run, over the tables the linted files define (DDL rules).

Metadata (name, severity, rationale, examples) lives in the rule catalogue, ``rules/<code>-<name>.toml``;
a third-party rule may instead set ``meta`` on the class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from sqltune.core.findings import Fix, Severity
from sqltune.core.parsing import Statement
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.graph import QueryGraph
from sqltune.schema import Schema, Table

__all__ = ["Rule", "RuleMeta", "SchemaContext", "StatementContext", "Violation"]


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    category: str  # "query", "design", "physical", "plan"
    severity: Severity
    summary: str  # one line: why this matters
    what: str = ""
    why: str = ""
    example: str = ""
    instead: str = ""
    dialects: tuple[str, ...] = ()  # empty: every dialect
    needs_schema: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule's finding before the engine adds code, severity and suppression: where, and what is wrong."""

    message: str
    node: exp.Expression | None = None  # the offending node; its span is computed by the engine
    span: Span | None = None  # or an explicit span (DDL rules, whole statements)
    fix: Fix | None = None


@dataclass
class StatementContext:
    statement: Statement
    schema: Schema
    dialect: str | None
    #: Shared by every statement of one run (one schema): rules keep what they derive from the schema here,
    #: under a key starting with their code, instead of recomputing it per statement.
    memo: dict[str, Any] = field(default_factory=dict)
    #: The classes of the statement's nodes, recorded by the engine's walk (computed on demand otherwise).
    node_types: set[type[exp.Expression]] | None = None

    @property
    def expression(self) -> exp.Expression:
        assert self.statement.expression is not None
        return self.statement.expression

    def has(self, *types: type[exp.Expression]) -> bool:
        """Whether the statement holds a node of one of ``types`` (subclasses count).

        A cheap precondition for :meth:`Rule.check`: the engine has already walked the statement, so this
        costs a few ``issubclass`` calls, where ``expression.find()`` would walk the tree again and the
        :attr:`graph` costs more than parsing.

        >>> from sqltune.core.sqlglot import parse_one
        >>> from sqltune.core.source import Source
        >>> source = Source("q.sql", "SELECT a FROM t JOIN u USING (id)")
        >>> statement = Statement(source, source.span(0, len(source.text)), 0, parse_one(source.text))
        >>> ctx = StatementContext(statement, Schema(), None)
        >>> ctx.has(exp.Join), ctx.has(exp.Subquery, exp.Exists)
        (True, False)
        """
        seen = self.node_types
        if seen is None:
            seen = self.node_types = {type(node) for node in self.expression.walk()}
        return any(issubclass(node_type, types) for node_type in seen)

    @cached_property
    def graph(self) -> QueryGraph:
        """Built on first use: most statements are judged by node visitors alone."""
        return QueryGraph.build(self.expression, self.schema)

    def table(self, node: exp.Table) -> Table | None:
        return self.schema.table(exp.table_name(node)) if self.schema else None

    def span(self, node: exp.Expression | None) -> Span:
        return self.statement.node_span(node)


@dataclass(slots=True)
class SchemaContext:
    """The tables the linted files define (each with its ``origin`` span) and the full schema for lookups."""

    defined: list[Table] = field(default_factory=list)
    schema: Schema = field(default_factory=Schema)
    dialect: str | None = None


class Rule:
    """Base class of every rule. Subclasses set ``code`` and implement one or more hooks."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    #: Node classes ``visit`` is called for (subclasses match too).
    node_types: ClassVar[tuple[type[exp.Expression], ...]] = ()
    #: Set by third-party rules that ship no catalogue entry.
    meta: ClassVar[RuleMeta | None] = None

    def visit(self, node: exp.Expression, ctx: StatementContext) -> Iterable[Violation]:
        return ()

    def check(self, ctx: StatementContext) -> Iterable[Violation]:
        return ()

    def check_schema(self, ctx: SchemaContext) -> Iterable[Violation]:
        return ()

    @classmethod
    def hooks(cls) -> Iterator[str]:
        for hook in ("visit", "check", "check_schema"):
            if getattr(cls, hook) is not getattr(Rule, hook):
                yield hook
