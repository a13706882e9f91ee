"""The lint engine: sources -> statements -> schema -> rules -> a :class:`Report`.

Each statement is walked once; every node is handed to the rules that asked for its type. Statement-level
rules see the lazily built :class:`QueryGraph`; schema rules run once over the tables that the linted files
define. A statement that does not parse becomes an ``SQ000`` finding (``SQ998``, info, when it is valid SQL
beyond the parser) and the others are still linted. Each statement's parse, then its checks, run under
``Config.timeout`` on a worker thread with room for deep nesting (:mod:`sqltune.core.budget`); a statement
that overruns is a problem naming its file:line, and the run goes on.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.budget import Overrun, run_each
from sqltune.core.config import Config
from sqltune.core.findings import Finding, Report, Severity
from sqltune.core.parsing import Statement, overrun_message, parse_source, parse_sources
from sqltune.core.source import InputProblem, Problem, ProblemKind, Source, read_sources
from sqltune.core.sqlglot import exp, get_dialect
from sqltune.linter.suppress import Suppressions
from sqltune.rules.base import Rule, SchemaContext, StatementContext, Violation
from sqltune.rules.registry import RegisteredRule, all_rules, resolve_selection
from sqltune.schema import Schema, Table
from sqltune.schema.migrations import apply_statements, is_ddl

__all__ = [
    "NOT_ANALYSED",
    "PARSE_ERROR",
    "Linter",
    "fewer_collections",
    "lint_paths",
    "lint_text",
    "nothing_to_lint",
    "overrun_problem",
]

PARSE_ERROR = "SQ000"
#: Valid SQL beyond the parser: reported at info, and never failing a run unless its severity is raised.
NOT_ANALYSED = "SQ998"
#: The young-generation threshold of the cyclic garbage collector while linting (CPython's default: 700).
GC_THRESHOLD = 20_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the cyclic garbage collector triggered less often; restored afterwards.

    Syntax trees are cyclic (every node links to its parent) and a run keeps the trees of all its files
    alive, so with CPython's default thresholds (a collection every 700 allocations, and full collections
    that traverse every live tree) a lint run spent a third of its time in the collector. Garbage is still
    collected, in larger batches. Nested uses, and a collector the caller disabled or tuned, are left alone.
    """
    threshold = gc.get_threshold()
    if not gc.isenabled() or threshold[0] >= GC_THRESHOLD:
        yield
        return
    gc.set_threshold(GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@dataclass(slots=True)
class ParsedSource:
    source: Source
    statements: list[Statement]


@dataclass
class Linter:
    """Rules selected by a :class:`Config`, ready to lint any number of sources."""

    config: Config = field(default_factory=Config)
    schema: Schema | None = None  # overrides config.schema when given

    def __post_init__(self) -> None:
        get_dialect(self.config.dialect)  # fail early, with the list of dialects, on an unknown name
        registered = all_rules()
        selected = resolve_selection(self.config.select, registered) - resolve_selection(self.config.ignore, registered)
        self.selected: dict[str, RegisteredRule] = {code: registered[code] for code in sorted(selected)}
        for code in self.config.severity:
            if code not in registered:
                resolve_selection([code], registered)  # raises the unknown-rule error
        # A statement that does not parse cannot be checked by any selected rule, so SQ000 is reported
        # whatever `select` says; only an explicit `ignore` silences it.
        ignored = resolve_selection(self.config.ignore, registered)
        self._parse_errors = PARSE_ERROR not in ignored
        self._not_analysed = NOT_ANALYSED not in ignored
        self._instances: dict[str, Rule] = {code: r.rule() for code, r in self.selected.items()}
        self._visitors: dict[type[exp.Expression], list[tuple[str, Rule]]] = {}
        self._has_visitors = any(rule.node_types for rule in self._instances.values())
        self._crashes: list[InputProblem] = []
        self._checkers = [(c, r) for c, r in self._instances.items() if "check" in type(r).hooks()]
        self._schema_checkers = [(c, r) for c, r in self._instances.items() if "check_schema" in type(r).hooks()]
        if self.schema is None and self.config.schema:
            self.schema = Schema.load(self.config.schema, self.config.dialect)
        # What rules derive from the schema (StatementContext.memo), kept across runs whose files hold no DDL:
        # a worker lints file after file against one schema.
        self._memo: dict[str, Any] = {}
        self._memo_key: tuple[int, int] = (0, -1)

    # -- dispatch -------------------------------------------------------------------------------------
    def _rules_for(self, node_type: type[exp.Expression]) -> list[tuple[str, Rule]]:
        rules = self._visitors.get(node_type)
        if rules is None:
            rules = [
                (code, rule)
                for code, rule in self._instances.items()
                if rule.node_types and issubclass(node_type, rule.node_types)
            ]
            self._visitors[node_type] = rules
        return rules

    def _finding(self, code: str, violation: Violation, statement: Statement | None, fallback: Source) -> Finding:
        meta = self.selected[code].meta if code in self.selected else all_rules()[code].meta
        severity = self.config.severity.get(code, meta.severity)
        if violation.span is not None:
            span = violation.span
        elif statement is not None:
            span = statement.node_span(violation.node)
        else:
            span = fallback.span(0, 0)
        return Finding(
            code,
            meta.name,
            severity,
            violation.message,
            span,
            violation.fix,
            statement.text if statement is not None else "",
        )

    # -- linting --------------------------------------------------------------------------------------
    def _statement_findings(self, statement: Statement, schema: Schema, memo: dict[str, Any]) -> list[Finding]:
        failure = statement.error
        if failure is not None:
            if failure.kind in ("timeout", "too-deep"):
                self._crashes.append(overrun_problem(statement, failure.message, failure.kind))
                return []
            code = NOT_ANALYSED if failure.kind == "unsupported" else PARSE_ERROR
            if not self._parse_errors or (code == NOT_ANALYSED and not self._not_analysed):
                return []
            violation = Violation(failure.message, span=failure.span)
            return [self._finding(code, violation, statement, statement.source)]
        ctx = StatementContext(statement, schema, self.config.dialect, memo)
        findings: list[Finding] = []
        if self._has_visitors:
            # The hot loop (every node of every statement): a dict lookup per node, the dispatch list built
            # once per node class. The classes seen are kept for the checks' preconditions (``ctx.has``).
            visitors = self._visitors
            rules_for = self._rules_for
            seen: set[type[exp.Expression]] = set()
            for node in ctx.expression.walk():
                node_type = type(node)
                rules = visitors.get(node_type)
                if rules is None:
                    rules = rules_for(node_type)
                seen.add(node_type)
                for code, rule in rules:
                    try:
                        for violation in rule.visit(node, ctx):
                            findings.append(self._finding(code, violation, statement, statement.source))
                    except Exception as error:  # a rule's bug must not lose the other files' findings
                        self._crashed(code, statement, error)
            ctx.node_types = seen
        for code, rule in self._checkers:
            try:
                for violation in rule.check(ctx):
                    findings.append(self._finding(code, violation, statement, statement.source))
            except Exception as error:
                self._crashed(code, statement, error)
        return findings

    def _crashed(self, code: str, statement: Statement, error: Exception) -> None:
        """A rule raised: reported as a problem (exit code 2), never silently skipped."""
        self._crashes.append(
            Problem.crash(
                "rule", code, error, statement.source.path, statement.span.line, statement.span.column, "this statement"
            )
        )

    def parse(self, source: Source) -> ParsedSource:
        return ParsedSource(source, parse_source(source, self.config.dialect, self.config.timeout))

    def parse_all(self, sources: Sequence[Source]) -> list[ParsedSource]:
        """:meth:`parse` of each source, in one budgeted job (one hand-over to the worker thread per run)."""
        statements = parse_sources(sources, self.config.dialect, self.config.timeout)
        return [ParsedSource(source, parsed) for source, parsed in zip(sources, statements, strict=True)]

    def lint_parsed(self, parsed: Sequence[ParsedSource]) -> Report:
        """Lint already parsed sources together: DDL in any of them informs the queries in all."""
        with fewer_collections():
            return self._lint_parsed(parsed)

    def _lint_parsed(self, parsed: Sequence[ParsedSource]) -> Report:
        report = Report()
        self._crashes = []
        schema = Schema(self.schema or ())
        everything = [statement for item in parsed for statement in item.statements]
        ddl = any(is_ddl(statement) for statement in everything)
        # One schema from every file's DDL, in migration order; a table is judged on its final state.
        created = apply_statements(schema, everything, self.config.dialect) if ddl else []
        defined = [table for table in created if table.origin and schema.defined_at(*_at(table)) == (True, table)]
        by_path: dict[str, list[Finding]] = {}
        memo = self._schema_memo() if not ddl else {}  # shared by the statements of this run
        checked = run_each(lambda s: self._statement_findings(s, schema, memo), everything, self.config.timeout)
        outcomes = dict(zip(map(id, everything), checked, strict=True))
        for item in parsed:
            report.sources[item.source.path] = item.source
            report.statements += len(item.statements)
            findings = by_path.setdefault(item.source.path, [])
            for statement in item.statements:
                outcome = outcomes[id(statement)]
                if isinstance(outcome, Overrun):
                    self._crashes.append(overrun_problem(statement, overrun_message(outcome), outcome.kind))
                else:
                    findings.extend(outcome)
        if self._schema_checkers and defined:
            ctx = SchemaContext(defined, schema, self.config.dialect)
            statements = {(s.source.path, s.span.start): s for item in parsed for s in item.statements if s.expression}
            for code, rule in self._schema_checkers:
                try:
                    for violation in rule.check_schema(ctx):
                        span = violation.span
                        owner = statements.get((span.path, span.start)) if span is not None else None
                        source = report.sources[span.path] if span is not None else parsed[0].source
                        by_path.setdefault(source.path, []).append(self._finding(code, violation, owner, source))
                except Exception as error:
                    self._crashes.append(Problem.crash("rule", code, error, parsed[0].source.path, on="the schema"))
        for item in parsed:
            kept = self._unsuppressed(item, by_path.get(item.source.path, []))
            report.findings.extend(kept)
        report.sort()
        report.problems.extend(self._crashes)
        return report

    def _schema_memo(self) -> dict[str, Any]:
        """The memo of runs without DDL: their schema is :attr:`schema` (re-made if its tables changed)."""
        key = (id(self.schema), sum(len(table.columns) + 1 for table in self.schema or ()))
        if key != self._memo_key:
            self._memo, self._memo_key = {}, key
        return self._memo

    def _unsuppressed(self, item: ParsedSource, findings: list[Finding]) -> list[Finding]:
        suppressions = Suppressions.scan(item.source.text)
        if not suppressions:
            return findings
        ranges = []
        previous_end = 0
        for statement in item.statements:
            codes = suppressions.statement_codes(statement.span.line, previous_end)
            ranges.append((statement.span.start, statement.span.end, codes))
            previous_end = statement.span.end_pos.line
        kept = []
        for finding in findings:
            codes = next((c for start, end, c in ranges if start <= finding.span.start <= max(end, start)), frozenset())
            if not suppressions.hides(finding, codes):
                kept.append(finding)
        return kept

    def lint_sources(self, sources: Iterable[Source | InputProblem]) -> Report:
        with fewer_collections():
            return self._lint_sources(sources)

    def _lint_sources(self, sources: Iterable[Source | InputProblem]) -> Report:
        inputs: list[Source | InputProblem] = [
            source for source in sources if isinstance(source, InputProblem) or not self.config.is_excluded(source.path)
        ]
        parsed = self.parse_all([source for source in inputs if isinstance(source, Source)])
        statements = {id(item.source): item.statements for item in parsed}
        problems: list[InputProblem] = []
        for source in inputs:  # in input order, as the files were read
            if isinstance(source, InputProblem):
                problems.append(source)
            elif not statements[id(source)]:
                problems.append(
                    Problem(source.path, nothing_to_lint(source.text), fatal=False, kind=ProblemKind.SKIPPED)
                )
        report = self.lint_parsed(parsed)
        report.problems.extend(problems)
        return report


def _at(table: Table) -> tuple[str, int]:
    assert table.origin is not None
    return table.origin.path, table.origin.start


def nothing_to_lint(text: str) -> str:
    """The notice for a file without statements: empty, or only comments (it does not change the exit code)."""
    if not text.strip():
        return "empty file; expected SQL statements"
    return "no SQL statements (only comments); expected SQL statements"


def lint_text(sql: str, config: Config | None = None, schema: Schema | None = None, path: str = "<string>") -> Report:
    return Linter(config or Config(), schema).lint_sources([Source(path, sql)])


def lint_paths(
    paths: Iterable[str | os.PathLike[str]], config: Config | None = None, schema: Schema | None = None
) -> Report:
    return Linter(config or Config(), schema).lint_sources(read_sources(paths))


def overrun_problem(statement: Statement, message: str, overrun: str) -> Problem:
    """The problem for a statement that overran its time (``timeout``) or depth (``too-deep``) budget."""
    kind = ProblemKind.TIMEOUT if overrun == "timeout" else ProblemKind.LIMIT
    return Problem(statement.source.path, message, statement.span.line, statement.span.column, kind=kind)


def fails(report: Report, fail_on: Severity) -> bool:
    """Whether the findings fail the run; an ``SQ998`` note (valid SQL beyond the parser) does not, unless the
    configuration raised its severity above info."""
    return any(
        finding.severity >= fail_on and not (finding.code == NOT_ANALYSED and finding.severity == Severity.INFO)
        for finding in report.findings
    )
