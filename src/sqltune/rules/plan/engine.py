"""The plan rule engine: run every plan rule over a :class:`~sqltune.plans.PlanGraph`, grade and rank the
findings, find the hot path, and point each finding at the SQL when the statement is known.

>>> from sqltune.plans import parse_plan
>>> plan = parse_plan('''Seq Scan on orders  (cost=0..745 rows=540 width=61) (actual time=0.1..3.9 rows=540 loops=1)
...   Filter: (o_totalprice > '1490'::numeric)
...   Rows Removed by Filter: 29460''')
>>> report = analyze_plan(plan)
>>> [(f.code, str(f.severity), round(f.saving, 2)) for f in report]
[('SQ301', 'error', 0.98)]
>>> report.findings[0].suggestion
'Add `CREATE INDEX ON orders (o_totalprice)` so that only the matching rows are read'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from sqltune.core.findings import Severity
from sqltune.core.parsing import Statement
from sqltune.core.source import Span
from sqltune.core.sqlglot import exp
from sqltune.plans import PlanGraph, link_plan
from sqltune.rules.base import RuleMeta
from sqltune.rules.catalogue import load_catalogue
from sqltune.rules.plan.base import PlanContext, PlanFinding, PlanReport, PlanRule, share_severity
from sqltune.rules.plan.builtin import RULES
from sqltune.schema import Schema

__all__ = ["analyze_plan", "hot_path", "plan_rules"]


@lru_cache(maxsize=1)
def plan_rules() -> dict[str, tuple[type[PlanRule], RuleMeta]]:
    """Every plan rule by code with its metadata: the built-in ones, plus plugins' rules registered through
    the ``sqltune.rules`` entry points that implement ``check_plan``."""
    catalogue = load_catalogue()
    found: dict[str, tuple[type[PlanRule], RuleMeta]] = {}
    for rule in RULES:
        meta = rule.meta or catalogue[rule.code].meta
        found[rule.code] = (rule, meta)
    from sqltune.rules.registry import all_rules

    for code, registered in all_rules().items():
        plugin = registered.rule
        if code not in found and issubclass(plugin, PlanRule):
            found[code] = (plugin, registered.meta)
    return dict(sorted(found.items()))


def hot_path(plan: PlanGraph, ctx: PlanContext | None = None) -> list[int]:
    """The root-to-leaf chain of nodes whose summed exclusive time (cost when not timed) is largest.

    >>> from sqltune.plans import parse_plan
    >>> plan = parse_plan('''Hash Join  (cost=1.0..100.0 rows=1 width=8)
    ...   ->  Seq Scan on a  (cost=0.0..80.0 rows=1 width=4)
    ...   ->  Hash  (cost=5.0..5.0 rows=1 width=4)
    ...         ->  Seq Scan on b  (cost=0.0..5.0 rows=1 width=4)''')
    >>> [plan[i].label for i in hot_path(plan)]
    ['Hash Join', 'Seq Scan on a']
    """
    context = ctx or PlanContext(plan)
    if not len(plan) or context.basis is None:
        return []
    best: dict[int, tuple[float, list[int]]] = {}
    for node in reversed(plan.nodes):  # children before parents
        own = context.share(node) or 0.0
        below = max((best[c] for c in node.children), key=lambda item: item[0], default=(0.0, []))
        best[node.id] = (own + below[0], [node.id, *below[1]])
    return best[plan.root.id][1]


def _locator(ctx: PlanContext) -> Mapping[int, Span]:
    """Node id -> the SQL it came from: relations by :func:`~sqltune.plans.link_plan`, sorts to ORDER BY,
    aggregates to GROUP BY, limits to LIMIT; other nodes to the first linked node below them."""
    statement, plan = ctx.statement, ctx.plan
    if statement is None or statement.expression is None:
        return {}
    spans: dict[int, Span] = {}
    graph = ctx.query_graph
    links: dict[int, str] = {}
    if graph is not None:
        try:
            links = link_plan(plan, graph)
        except (KeyError, ValueError, AttributeError):
            links = {}
        for node_id, relation_id in links.items():
            spans[node_id] = statement.node_span(graph.relations[relation_id].node)
    # The SELECT each linked node reads in: a sort, aggregate or limit above it maps to that SELECT's clause.
    selects: dict[int, exp.Expression] = {}
    if graph is not None:
        for node_id, relation_id in links.items():
            select = graph.relations[relation_id].node.find_ancestor(exp.Select)
            if select is not None:
                selects[node_id] = select
    clause_of = {"sort": "order", "aggregate": "group"}
    for node in reversed(plan.nodes):
        if node.id in spans:
            continue
        key = "limit" if node.operator == "Limit" else clause_of.get(node.kind)
        if node.parent is None and key is None:
            spans[node.id] = statement.span
            continue
        select = next((selects[n.id] for n in plan.subtree(node) if n.id in selects), None)
        if select is not None:
            selects[node.id] = select
        clause = select.args.get(key) if select is not None and key else None
        if clause is None and key is not None:
            clause = statement.expression.find(_CLAUSES[key])
        if clause is not None:
            spans[node.id] = statement.node_span(clause)
        elif node.parent is None:
            spans[node.id] = statement.span
        else:
            below = next((spans[c] for c in node.children if c in spans), None)
            spans[node.id] = below or statement.span
    return spans


_CLAUSES: dict[str, type[exp.Expression]] = {"order": exp.Order, "group": exp.Group, "limit": exp.Limit}


def analyze_plan(
    plan: PlanGraph,
    statement: Statement | None = None,
    schema: Schema | None = None,
    settings: Mapping[str, str] | None = None,
    *,
    select: Iterable[str] | None = None,
) -> PlanReport:
    """Run the plan rules (all, or the codes in ``select``) over ``plan``; findings ranked by saving.

    ``statement`` (the parsed SQL the plan is for) links findings to SQL spans; ``schema`` lets rules check
    column types and table statistics; ``settings`` are server settings (``work_mem``, ``jit_above_cost``,
    ``max_parallel_workers``, ``server_version_num``...) that the plan's own SETTINGS list may not show.
    """
    ctx = PlanContext(plan, statement, schema, dict(settings or {}))
    chosen = set(select) if select is not None else None
    report = PlanReport(plan, basis=ctx.basis, statement=statement, hot_path=hot_path(plan, ctx))
    spans = _locator(ctx)
    text = statement.text if statement is not None else ""
    for code, (rule_class, meta) in plan_rules().items():
        if chosen is not None and code not in chosen:
            continue
        rule = rule_class()
        if meta.dialects and plan.dialect not in meta.dialects:  # the catalogue's `dialects`
            continue
        try:
            violations = list(rule.check_plan(ctx))
        except Exception as error:  # a rule's bug must not hide the other rules' findings
            detail = str(error).splitlines()[0] if str(error) else ""
            report.problems.append(
                f"plan rule {code} failed ({type(error).__name__}{': ' + detail if detail else ''}); "
                "this is a sqltune bug, please report it"
            )
            continue
        for violation in violations:
            severity = violation.severity
            if severity is None:
                # No timings and no costs: shown as info, ranked last.
                severity = Severity.INFO if violation.saving is None else share_severity(violation.saving)
            if severity is None:
                continue  # below the lowest band: not worth the reader's time
            report.findings.append(
                PlanFinding(
                    code,
                    meta.name,
                    severity,
                    violation.message,
                    violation.suggestion,
                    violation.node.id,
                    violation.node.label,
                    violation.saving,
                    ctx.basis,
                    statement.span if violation.whole_plan and statement else spans.get(violation.node.id),
                    text,
                )
            )
    report.findings.sort(key=PlanFinding.sort_key)
    return report
