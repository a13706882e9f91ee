"""The verified mode: every candidate rewrite runs on the user's database before anything is written.

:class:`Verifier` is the engine's :class:`~sqltune.rewrites.engine.Judge` over a
:class:`~sqltune.rewrites.verification.VerifyConnection` (the PostgreSQL connector is one). For each change
the engine finds, APPLIED or ADVISED, in the order it finds them:

1. **Conditions.** An advisory's machine-checkable conditions (:mod:`sqltune.rewrites.conditions`) are
   checked: on the data (``t.x`` has no NULL, ``t.k`` no duplicate, every ``o.c_id`` a partner) and on the
   server (its version). One that is false refuses the change before anything runs.
2. **Results.** The original statement and the changed one run read-only, rolled back, each under a time
   limit, their rows streamed into fingerprints (:mod:`sqltune.rewrites.resulthash`): compared in order
   when the original's ORDER BY fixes the order of the output, as multisets otherwise. When the results
   differ and the ORDER BY leaves ties at a LIMIT, both are compared again without the LIMIT (the tied rows
   a LIMIT keeps may legitimately differ). Different results refuse the change.
3. **Speed.** Each runs ``runs`` times (``EXPLAIN ANALYZE``, planning plus execution); the medians count.
   The original is bounded by the timeout (a stopped original gives a lower bound, ``≥ 14× faster``), the
   change by ``max_slowdown`` times the statement before it, so a slow rewrite is stopped early. A change
   more than ``noise`` slower than the statement before it is refused; one that is not slower is kept in the
   chain, so that a change that only opens the way for another (inlining a CTE, then decorrelating) can.
4. **The statement.** It is rewritten only when all its kept changes together are at least ``min_speedup``
   faster than the original; otherwise every change is refused as not faster, and the report says so.

An APPLIED change (or an advisory whose only conditions are the server's version and its own benefit: CTE
``NOT MATERIALIZED``) is *proven*: kept when faster. An advisory whose conditions hold on today's data --
checked, or, for conditions no query states, shown by identical results -- is reported as
``holds on today's data`` with the constraints that would make it a proof, and written only with ``unsafe``.
A proven change whose original ran past the timeout is kept on its proof (results not compared); an
advisory needs compared results or checked conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqltune.core.parsing import Statement
from sqltune.core.sqlglot import exp
from sqltune.rewrites.base import Status
from sqltune.rewrites.conditions import BENEFIT, SERVER_VERSION
from sqltune.rewrites.engine import Change
from sqltune.rewrites.resulthash import ResultHash
from sqltune.rewrites.verification import (
    ConditionCheck,
    Fetch,
    Progress,
    ResultCheck,
    Speedup,
    StatementVerification,
    Timing,
    Verdict,
    Verification,
    VerifyConnection,
    VerifyOptions,
)
from sqltune.schema import fold

__all__ = ["Verifier", "order_is_total"]

_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Lock, exp.Into)


def order_is_total(query: exp.Expression) -> bool:
    """Whether ``query``'s ORDER BY fixes the order of its output: every output column is a sort key, so rows
    that tie are equal rows and the sequence is the same whatever the plan.

    >>> from sqltune.core.sqlglot import parse_one
    >>> order_is_total(parse_one("SELECT a, b AS c FROM t ORDER BY c, 1"))
    True
    >>> order_is_total(parse_one("SELECT a, b FROM t ORDER BY a"))
    False
    >>> order_is_total(parse_one("SELECT * FROM t ORDER BY a"))
    False
    """
    order = query.args.get("order") if isinstance(query, exp.Query) else None
    if not isinstance(order, exp.Order) or not isinstance(query, exp.Query):
        return False
    keys = [ordered.this for ordered in order.expressions]
    for position, projection in enumerate(query.selects, start=1):
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return False
        name, value = fold(projection.alias_or_name), projection.unalias().sql()
        if not any(_sorts_by(key, position, name, value) for key in keys):
            return False
    return True


def _sorts_by(key: exp.Expression, position: int, name: str, value: str) -> bool:
    if isinstance(key, exp.Literal) and key.is_int:
        return bool(int(key.name) == position)
    if isinstance(key, exp.Column) and not key.table and fold(key.name) == name:
        return True
    return bool(key.sql() == value)


def _limited(query: exp.Expression) -> bool:
    return any(query.args.get(key) is not None for key in ("limit", "offset", "fetch"))


def _without_limit(query: exp.Expression) -> str:
    bare = query.copy()
    for key in ("limit", "offset", "fetch"):
        bare.set(key, None)
    return str(bare.sql(dialect="postgres"))


def _unverifiable(tree: exp.Expression) -> str | None:
    """Why a statement cannot be run to verify it, or ``None``."""
    if not isinstance(tree, exp.Query) or any(isinstance(node, _WRITES) for node in tree.walk()):
        return "only queries are verified: the statement is not a read-only SELECT"
    if tree.find(exp.Placeholder, exp.Parameter) is not None:
        return "the statement has parameters ($1, ?): it cannot run without values"
    return None


@dataclass
class _Statement:
    """What is known about the statement at work: the original's results and times, and the current chain's."""

    path: str
    line: int
    sql: str
    tree: exp.Expression
    ordered: bool
    ties: bool  # a LIMIT cuts through ties of a non-total ORDER BY
    unverifiable: str | None
    original: Fetch | None = None
    original_timing: Timing | None = None
    current_fetch_ms: float | None = None
    current: Timing | None = None  # the statement with the changes kept so far
    considered: int = 0
    last_results: ResultCheck | None = None


@dataclass
class Verifier:
    """The engine's judge that runs every candidate change on ``connection`` (see the module docstring)."""

    connection: VerifyConnection
    options: VerifyOptions = field(default_factory=VerifyOptions)
    progress: Progress | None = None
    statements: list[StatementVerification] = field(default_factory=list)
    _state: _Statement | None = None
    _decided: dict[tuple[str, str, str], Change] = field(default_factory=dict)
    _facts: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    _fetch_ms: float | None = None  # how long the last change verified took to read

    # -- the Judge protocol ----------------------------------------------------------------------------
    def begin(self, statement: Statement) -> None:
        tree = statement.expression
        assert tree is not None
        ordered = order_is_total(tree)
        self._decided = {}  # a decision names its statement: never reused for another one
        self._state = _Statement(
            path=statement.span.path,
            line=statement.span.line,
            sql=statement.text,
            tree=tree,
            ordered=ordered,
            ties=_limited(tree) and not ordered,
            unverifiable=_unverifiable(tree),
        )

    def consider(self, change: Change) -> Change:
        state = self._current()
        before_sql, after_sql = self._sql(change.before_tree), self._sql(change.after_tree)
        key = (change.rewrite, before_sql, after_sql)
        if key in self._decided:  # offered again in a later pass of the engine, on the same tree
            return self._decided[key]
        state.considered += 1
        self._phase(f"verifying {state.path}:{state.line} {change.rewrite}", 2 + 2 * self.options.runs)
        verification = self._verify(change, after_sql)
        taken = verification.verdict is Verdict.KEPT or (
            verification.verdict is Verdict.HOLDS_ON_DATA and self.options.unsafe
        )
        decided = replace(change, applied=taken, verification=verification)
        if taken:
            state.current = verification.after
            state.current_fetch_ms = self._fetch_ms
            state.last_results = verification.results
        self._decided[key] = decided
        return decided

    def settle(self, changes: list[Change]) -> tuple[list[Change], StatementVerification | None]:
        state = self._current()
        if not state.considered:
            return changes, None
        kept = [change for change in changes if change.applied and change.verification is not None]
        verdicts: dict[str, int] = {}
        before, after = state.original_timing, state.current
        total = Speedup.between(before, after) if kept and before and after else None
        if kept and (total is None or not total.at_least(self.options.min_speedup)):
            text = total.text() if total else "not measured"
            reason = (
                f"with every change kept the statement is {text}, below --min-speedup "
                f"{self.options.min_speedup:g}×: left as written"
            )
            revoked = {id(change) for change in kept}
            changes = [_revoked(change, reason) if id(change) in revoked else change for change in changes]
            kept = []
        for change in changes:
            if change.verification is not None:
                verdict = str(change.verification.verdict)
                verdicts[verdict] = verdicts.get(verdict, 0) + 1
        reason = (
            f"{len(kept)} change(s) kept, {total.text() if total else ''}".rstrip(", ")
            if kept
            else _left_reason(changes)
        )
        summary = StatementVerification(
            path=state.path,
            line=state.line,
            written=bool(kept),
            reason=reason,
            rewrites=tuple(change.rewrite for change in kept),
            before=before,
            after=after if kept else None,
            results=state.last_results if kept else None,
            verdicts=verdicts,
        )
        self.statements.append(summary)
        return changes, summary

    # -- one change ------------------------------------------------------------------------------------
    def _verify(self, change: Change, after_sql: str) -> Verification:
        state = self._current()
        if state.unverifiable:
            return Verification(Verdict.UNVERIFIABLE, state.unverifiable)
        conditions = self._conditions(change)
        failed = [check for check in conditions if check.holds is False]
        if failed:
            return Verification(
                Verdict.CONDITION_FAILS, f"false on this database: {failed[0].condition.text}", conditions=conditions
            )
        self._baseline()
        if state.unverifiable:
            return Verification(Verdict.UNVERIFIABLE, state.unverifiable, conditions=conditions)
        before = state.current
        assert before is not None and state.original is not None
        fetched = self._fetch(after_sql, self.options.bound(state.current_fetch_ms))
        if fetched.error is not None:
            return Verification(
                Verdict.FAILED, f"the rewritten query fails on the database: {fetched.error}", conditions=conditions
            )
        if fetched.ms is None:
            stopped = Timing((), self.options.bound(state.current_fetch_ms), stopped=True)
            return self._stopped(before, stopped, conditions)
        results = self._compare(state.original, fetched, after_sql)
        if results.match is False:
            reason = "the results differ on today's data"
            return Verification(Verdict.RESULTS_DIFFER, reason, before, None, results, conditions)
        after = self._time(after_sql, self.options.bound(before.median_ms))
        if after.stopped:
            return self._stopped(before, after, conditions, results)
        speedup = Speedup.between(before, after)
        before_ms, after_ms = before.median_ms, after.median_ms
        if (
            before_ms is not None
            and after_ms is not None
            and after_ms > before_ms * self.options.noise + self.options.slack_ms
        ):
            return Verification(Verdict.SLOWER, f"{speedup.text()} on today's data", before, after, results, conditions)
        self._fetch_ms = fetched.ms
        return self._verdict(change, before, after, results, conditions, speedup)

    def _verdict(
        self,
        change: Change,
        before: Timing,
        after: Timing,
        results: ResultCheck,
        conditions: tuple[ConditionCheck, ...],
        speedup: Speedup,
    ) -> Verification:
        """KEPT for a proven change, HOLDS_ON_DATA for an advisory true today, UNVERIFIABLE when neither shows."""
        stated = {check.condition.text for check in conditions}
        unchecked = [text for text in change.conditions if text not in stated]
        proven = change.status is Status.APPLIED or (
            not unchecked and all(check.condition.kind in {SERVER_VERSION, BENEFIT} for check in conditions)
        )
        how = speedup.text()
        if proven:
            return Verification(Verdict.KEPT, how, before, after, results, conditions)
        checked = not unchecked and all(check.holds is True for check in conditions if check.condition.kind != BENEFIT)
        if results.match is True or checked:
            constraints = [ddl for check in conditions if check.holds and (ddl := check.condition.proving_ddl())]
            proof = f"; a proof: {'; '.join(constraints)}" if constraints else ""
            return Verification(Verdict.HOLDS_ON_DATA, f"{how}{proof}", before, after, results, conditions)
        return Verification(
            Verdict.UNVERIFIABLE,
            f"{how}, but its conditions are not proven and the results could not be compared",
            before,
            after,
            results,
            conditions,
        )

    def _stopped(
        self,
        before: Timing,
        after: Timing,
        conditions: tuple[ConditionCheck, ...],
        results: ResultCheck | None = None,
    ) -> Verification:
        """The rewritten query ran past its bound: slower, or as slow as an original stopped at the timeout."""
        if before.stopped:
            return Verification(
                Verdict.NOT_FASTER,
                "stopped at the timeout like the original: no measurable gain",
                before,
                after,
                results,
                conditions,
            )
        text = Speedup.between(before, after).text()
        return Verification(Verdict.SLOWER, f"{text}: stopped at its bound", before, after, results, conditions)

    # -- the database ---------------------------------------------------------------------------------
    def _baseline(self) -> None:
        """The original statement's fingerprint and times, once per statement."""
        state = self._current()
        if state.original is not None:
            return
        fetched = self._fetch(state.sql, self.options.timeout_ms)
        if fetched.error is not None:
            state.unverifiable = f"the original statement fails on the database: {fetched.error}"
            return
        state.original = fetched
        state.current_fetch_ms = fetched.ms
        if fetched.ms is None:  # ran past the timeout: every run would
            state.original_timing = Timing((), self.options.timeout_ms, stopped=True, plan=None)
        else:
            state.original_timing = self._time(state.sql, self.options.timeout_ms)
        state.current = state.original_timing

    def _fetch(self, sql: str, bound_ms: int) -> Fetch:
        state = self._current()
        hasher = ResultHash(ordered=state.ordered, float_digits=self.options.float_digits)
        fetched = self.connection.verify_fetch(sql, hasher, timeout_ms=bound_ms)
        self._advance()
        return fetched

    def _time(self, sql: str, bound_ms: int) -> Timing:
        """``runs`` timed runs; the first one stopped ends them (a lower bound is all more runs would give)."""
        times: list[float] = []
        plan = None
        for _ in range(self.options.runs):
            run = self.connection.verify_run(sql, timeout_ms=bound_ms)
            self._advance()
            plan = run.plan if run.plan is not None else plan
            if run.ms is None:
                return Timing(tuple(times), bound_ms, stopped=True, plan=plan)
            times.append(run.ms)
        return Timing(tuple(times), bound_ms, plan=plan)

    def _compare(self, original: Fetch, fetched: Fetch, after_sql: str) -> ResultCheck:
        state = self._current()
        digits = self.options.float_digits
        check = ResultCheck(state.ordered, original.digest, fetched.digest, digits)
        if original.ms is None:
            return replace(check, note="the original ran past the timeout")
        if check.match is False and state.ties:
            # A LIMIT over a non-total ORDER BY may keep either of two tied rows: compare what it cuts from.
            from sqltune.core.sqlglot import parse_one

            before = self._fetch(_without_limit(state.tree), self.options.timeout_ms)
            after = self._fetch(_without_limit(parse_one(after_sql, "postgres")), self.options.timeout_ms)
            note = "compared without the LIMIT, whose ORDER BY leaves ties"
            return ResultCheck(False, before.digest, after.digest, digits, note)
        return check

    def _conditions(self, change: Change) -> tuple[ConditionCheck, ...]:
        checks = []
        for condition in change.checks if change.status is Status.ADVISED else ():
            if condition.kind == SERVER_VERSION:
                version = self.connection.server_version
                checks.append(ConditionCheck(condition, version >= condition.version, f"server_version {version}"))
                continue
            query = condition.check_query()
            if query is None:  # a benefit: measured below
                checks.append(ConditionCheck(condition, None, "measured"))
                continue
            if query not in self._facts:
                fact = self.connection.verify_fact(query, timeout_ms=self.options.timeout_ms)
                self._advance()
                self._facts[query] = (fact.holds, fact.detail)
            holds, detail = self._facts[query]
            checks.append(ConditionCheck(condition, holds, detail))
        return tuple(checks)

    # -- helpers --------------------------------------------------------------------------------------
    def _current(self) -> _Statement:
        if self._state is None:
            raise RuntimeError("Verifier.begin() was not called for this statement")
        return self._state

    @staticmethod
    def _sql(tree: exp.Expression) -> str:
        return str(tree.sql(dialect="postgres"))

    def _phase(self, name: str, total: int) -> None:
        if self.progress is not None:
            self.progress.phase(name, total)

    def _advance(self) -> None:
        if self.progress is not None:
            self.progress.advance()


def _revoked(change: Change, reason: str) -> Change:
    assert change.verification is not None
    verification = replace(change.verification, verdict=Verdict.NOT_FASTER, reason=reason)
    return replace(change, applied=False, verification=verification)


def _left_reason(changes: list[Change]) -> str:
    verified = [change.verification for change in changes if change.verification is not None]
    if not verified:
        return "no change to verify"
    first = verified[0]
    return f"no change kept ({first.verdict}: {first.reason})" if len(verified) == 1 else "no change kept"
