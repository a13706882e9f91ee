"""The HTML views, without a browser: self-contained, well formed, the structure each view promises, escaping,
and the display protocol (``_repr_mimebundle_``) the notebook front ends call."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from view_dom import Element, parse
from view_payloads import TABLE, TEXT

from sqltune.core.display import JSON_MIME, Displayable, register
from sqltune.plans import PlanGraph, PlanNode
from sqltune.reporters.html._base import Mark, highlight_sql
from sqltune.reporters.html._svg import layered
from sqltune.reporters.html.plan import MAX_NODES
from sqltune.reporters.html.rewrite import side_by_side
from sqltune.rules.plan import hot_path


def _dom(obj: Any) -> Element:
    return parse(obj._repr_html_())


def _ids(dom: Element) -> set[str]:
    return {e.attrs["id"] for e in dom.iter() if "id" in e.attrs}


@pytest.mark.parametrize(
    "name",
    [
        "report", "finding", "plan", "plan_graph", "rewrite", "change", "graph", "schema", "design", "indexes",
        "workload", "usage", "layout",
    ],
)  # fmt: skip
def test_every_view_is_self_contained_well_formed_html(views: dict[str, Any], name: str) -> None:
    obj = views[name]
    html = obj._repr_html_()
    assert "could not show" not in html
    dom = parse(html)
    (view,) = dom.children
    assert view.tag == "div" and "sqltune-view" in view.classes
    assert view.find_all("style"), "the view carries its own stylesheet"
    # Nothing fetched, nothing run: no script, no external file or URL, no event handler.
    assert not dom.find_all("script") and not dom.find_all("link") and not dom.find_all("img")
    assert not re.search(r"(?i)\b(?:src|srcset)\s*=|url\((?!#)|@import|https?://(?!www\.w3\.org/2000/svg)", html)
    assert not any(name.startswith("on") for e in dom.iter() for name in e.attrs)
    # Every link is an anchor inside the view, and it resolves.
    ids = _ids(dom)
    for link in dom.find_all("a"):
        assert link.attrs["href"].startswith("#") and link.attrs["href"][1:] in ids, link.attrs
    for use in [e for e in dom.iter() if "marker-end" in e.attrs]:
        assert use.attrs["marker-end"][5:-1] in ids


def test_the_mime_bundle_keeps_repr_as_text_and_sends_json_under_its_own_type(views: dict[str, Any]) -> None:
    report = views["report"]
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", JSON_MIME}
    assert bundle["text/plain"] == repr(report)
    assert bundle[JSON_MIME] == json.loads(json.dumps(report.to_dict()))
    # application/json only on request: JupyterLab would show its JSON tree instead of the view.
    asked = report._repr_mimebundle_(include=["application/json"])
    assert set(asked) == {"application/json"}
    assert set(report._repr_mimebundle_(exclude=[JSON_MIME, "text/html"])) == {"text/plain"}
    # A plan report has no to_dict of its own: its JSON is the plan-json reporter's.
    plan_bundle = views["plan"]._repr_mimebundle_()
    assert plan_bundle[JSON_MIME]["hot_path"] == views["plan"].hot_path


def test_a_view_that_fails_shows_one_line_instead_of_raising() -> None:
    class Broken(Displayable):
        def __repr__(self) -> str:
            return "Broken()"

    def fail(_: object) -> str:
        raise ZeroDivisionError("boom")

    register(Broken, fail)
    bundle = Broken()._repr_mimebundle_()
    assert bundle["text/plain"] == "Broken()"
    assert "could not show this Broken (ZeroDivisionError: boom)" in bundle["text/html"]


def test_report_findings_table_links_to_each_highlighted_span(views: dict[str, Any]) -> None:
    report = views["report"]
    dom = _dom(report)
    (findings,) = dom.find_all("table", "findings")
    rows = findings.find_all("tr")[1:]
    assert len(rows) == len(report.findings) == 3
    (sql,) = dom.find_all("pre", "sql")
    for row, finding in zip(rows, report.findings, strict=True):
        assert finding.code in row.all_text() and finding.message in row.all_text()
        (link,) = row.find_all("a")
        anchor = next(e for e in sql.iter() if e.attrs.get("id") == link.attrs["href"][1:])
        # The mark right after the anchor holds the finding's span of the source.
        marks = [e for e in sql.iter() if e.tag == "mark" and finding.code in e.attrs.get("title", "")]
        text = report.sources["<string>"].text[finding.span.start : finding.span.end]
        assert "".join(m.all_text() for m in marks) == text
        assert anchor.parent is not None and "line" in anchor.parent.classes
        assert anchor.parent.attrs["data-n"] == str(finding.span.line)


def test_long_sources_show_the_lines_around_their_findings() -> None:
    text = "\n".join(f"SELECT {n} AS c{n};" for n in range(1, 101))
    start = text.index("SELECT 50 ")
    dom = parse(highlight_sql(text, [Mark(start, start + 6, "warning", "SQ999", "x")], context=2))
    numbers = [int(e.attrs["data-n"]) for e in dom.find_all("span", "line")]
    assert numbers == [48, 49, 50, 51, 52]
    gaps = [e.all_text() for e in dom.find_all("span", "gap")]
    assert gaps == ["⋮ 47 lines", "⋮ 48 lines"]


def test_plan_view_is_a_nested_tree_with_hot_path_badges_and_findings_beside_nodes(views: dict[str, Any]) -> None:
    report = views["plan"]
    plan = report.plan
    dom = _dom(report)
    nodes = dom.find_all("details", "node")
    assert len(nodes) == len(plan)
    for element, node in zip(nodes, plan, strict=True):  # pre-order, as the plan
        assert element.find_all("span", "label")[0].all_text().endswith(node.label)
        parent = next((a for a in element.ancestors() if a.tag == "details" and "node" in a.classes), None)
        assert (parent is None) == (node.parent is None)
        if parent is not None:
            assert parent.attrs["id"].endswith(f"-n{node.parent}")
        assert ("hot" in element.classes) == (node.id in report.hot_path)
    (finding,) = report.findings
    flagged = nodes[finding.node_id]
    summary = flagged.children[0]
    assert summary.tag == "summary" and finding.code in summary.all_text()
    assert finding.suggestion in flagged.find_all("div", "nf")[0].all_text()
    (entry,) = dom.find_all("ol", "pfindings")[0].find_all("li")
    assert finding.message in entry.all_text()
    assert any(a.attrs["href"].endswith(f"-n{finding.node_id}") for a in entry.find_all("a"))
    # The statement, with the finding's span marked.
    marks = [m for m in dom.find_all("mark") if finding.code in m.attrs.get("title", "")]
    assert marks and "rhs" in "".join(m.all_text() for m in marks)


def test_plan_view_of_a_bare_plan_marks_the_hot_path_and_shows_estimates_and_buffers(views: dict[str, Any]) -> None:
    plan = views["plan_graph"]
    dom = _dom(plan)
    hot = {e.attrs["id"].rsplit("-n", 1)[1] for e in dom.find_all("details", "hot")}
    assert hot == {str(i) for i in hot_path(plan)} and hot
    text = dom.all_text()
    assert "buffers hit" in text
    assert any(node.est_error and node.est_error >= 2 for node in plan) == bool(
        re.search(r"×[\d.,]+ (under|over)", text)
    )


def test_plan_view_draws_very_deep_plans_without_recursion_up_to_its_limit() -> None:
    depth = MAX_NODES + 500
    nodes = [PlanNode(i, "Nested Loop", "Nested Loop", "join", parent=i - 1 if i else None) for i in range(depth)]
    plan = PlanGraph.build(nodes, format="example", dialect="postgres")
    dom = parse(plan._repr_html_())
    assert len(dom.find_all("details", "node")) == MAX_NODES
    assert "500 more nodes not drawn." in dom.all_text()


def test_rewrite_view_shows_each_change_side_by_side_with_status_and_conditions(views: dict[str, Any]) -> None:
    report = views["rewrite"]
    dom = _dom(report)
    cards = dom.find_all("div", "change")
    assert len(cards) == len(report.changes) == 2
    for card, change in zip(cards, report.changes, strict=True):
        badges = [e.all_text() for e in card.find_all("span", "badge")]
        assert ("applied" if change.applied else str(change.status)) in badges
        for condition in change.conditions:
            assert condition in card.all_text()
        (diff,) = card.find_all("table", "diff")
        old = "".join(e.all_text() for e in diff.find_all("td", "del"))
        new = "".join(e.all_text() for e in diff.find_all("td", "add"))
        assert old.lstrip("-") == change.before.strip() and new.lstrip("+") == change.after.strip()
        assert diff.find_all("del") and diff.find_all("ins")  # the words that differ
    whole = dom.find_all("details")[-1]
    assert "whole file" in whole.children[0].all_text() and whole.find_all("table", "diff")


def test_rewrite_view_shows_a_verification_when_the_change_carries_one(views: dict[str, Any]) -> None:
    change = views["change"]
    assert "Verification" not in change._repr_html_()  # no attribute: nothing said
    object.__setattr__(change, "verification", None)
    try:
        assert "not verified" in change._repr_html_()
        object.__setattr__(change, "verification", {"passed": True, "rows": 42, "engines": ["postgres", "duckdb"]})
        html = change._repr_html_()
        assert 'class="badge ok">verified<' in html and "duckdb" in html and ">42<" in html
        object.__setattr__(change, "verification", {"status": "different", "detail": "row 3 differs"})
        assert 'class="badge error">different<' in change._repr_html_()
        object.__setattr__(change, "verification", _Evidence("kept", "8.5× faster, same 42 rows"))
        html = change._repr_html_()
        assert 'class="badge ok">kept<' in html and "<p>kept: 8.5× faster, same 42 rows</p>" in html
    finally:
        object.__delattr__(change, "verification")


@dataclasses.dataclass(frozen=True)
class _Evidence:
    """Evidence shaped as ``fix --verify`` hands it over: a verdict, a reason, ``describe()`` and ``to_dict()``."""

    verdict: str
    reason: str

    def describe(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {"verdict": self.verdict, "reason": self.reason, "before": None}


def test_side_by_side_folds_long_unchanged_runs() -> None:
    before = "\n".join(f"line {n}" for n in range(1, 21))
    after = before.replace("line 10", "line ten")
    dom = parse(side_by_side(before, after, context=2))
    folds = [e.all_text() for e in dom.find_all("tr", "fold")]
    assert folds == ["⋯ 7 unchanged lines", "⋯ 8 unchanged lines"]
    assert [e.all_text() for e in dom.find_all("del")] == ["10"]
    assert [e.all_text() for e in dom.find_all("ins")] == ["ten"]


def test_query_graph_view_draws_scopes_relations_and_joins(views: dict[str, Any]) -> None:
    graph = views["graph"]
    dom = _dom(graph)
    (svg,) = dom.find_all("svg", "qgraph")
    assert len(svg.find_all("g", "relation")) == len(graph.relations)
    assert len(svg.find_all("g", "scope")) == len(graph.scopes)
    assert len(svg.find_all("g", "join")) == len(graph.joins) == 1
    names = svg.all_text()
    assert all(relation.name in names for relation in graph.relations.values())
    assert "customer_id" in dom.find_all("table", "joins")[0].all_text()


def test_schema_view_is_an_er_diagram_with_keys(views: dict[str, Any]) -> None:
    schema = views["schema"]
    dom = _dom(schema)
    (svg,) = dom.find_all("svg", "er")
    assert len(svg.find_all("g", "table")) == len(schema)
    assert len(svg.find_all("g", "link")) == sum(len(table.foreign_keys) for table in schema)
    keys = [e.all_text().strip() for e in svg.find_all("tspan", "key")]
    assert "PK" in keys and "FK" in keys


def test_star_design_view_draws_the_star_and_the_bus_matrix(views: dict[str, Any]) -> None:
    result = views["design"]
    design = result.design
    dom = _dom(result)
    (svg,) = dom.find_all("svg", "er")
    assert len(svg.find_all("g", "fact")) == len(design.facts)
    assert len(svg.find_all("g", "dimension")) == len(design.dimensions)
    assert len(svg.find_all("g", "link")) == sum(len(f.dimensions) for f in design.facts) + sum(
        1 for b in design.bridges for _, parent, _ in b.keys if design.dimension(parent) is not None
    )
    (bus,) = dom.find_all("table", "bus")
    assert len(bus.find_all("tr")) == len(design.facts) + 1
    assert "of the analytic workload answered" in dom.all_text()


def test_index_workload_and_layout_views_list_what_they_hold(views: dict[str, Any]) -> None:
    plan = views["indexes"]
    dom = _dom(plan)
    assert len(dom.find_all("table", "create")[0].find_all("tr")) == len(plan.create) + 1 > 1
    workload = views["workload"]
    rows = _dom(workload).find_all("table", "templates")[0].find_all("tr")[1:]
    assert len(rows) == min(len(workload), 50)
    assert workload.top(1)[0].location in rows[0].all_text()
    usage = _dom(views["usage"])
    assert usage.find_all("table", "usage") and usage.find_all("table", "tables")
    layout = _dom(views["layout"])
    assert len(layout.find_all("div", "card")) == 2
    assert "created_at" in layout.find_all("pre", "sql")[0].all_text()


@pytest.mark.parametrize("name", ["report", "plan", "rewrite", "graph", "schema", "workload"])
def test_identifiers_and_sql_text_are_escaped(hostile: dict[str, Any], name: str) -> None:
    html = hostile[name]._repr_html_()
    dom = parse(html)  # balanced: no payload closed or opened an element
    assert not dom.find_all("script") and not dom.find_all("img")
    assert "<script" not in html and "<img" not in html and TEXT not in html and TABLE not in html
    text = dom.all_text() + " ".join(v for e in dom.iter() for v in e.attrs.values())
    assert TABLE in text or TEXT in text  # shown, as text


def test_element_ids_differ_between_outputs_on_one_page(views: dict[str, Any]) -> None:
    first, second = views["report"]._repr_html_(), views["report"]._repr_html_()
    assert _ids(parse(first)).isdisjoint(_ids(parse(second)))


def test_the_layout_keeps_boxes_apart_and_survives_cycles() -> None:
    boxes = {name: (40.0 + 10 * len(name), 30.0) for name in "abcdefgh"}
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "e"), ("b", "e"), ("f", "f"), ("g", "e")]
    placed, width, height = layered(boxes, edges)
    assert set(placed) == set(boxes)
    rects = [(x, y, x + boxes[n][0], y + boxes[n][1]) for n, (x, y) in placed.items()]
    for i, a in enumerate(rects):
        assert a[2] <= width + 1e-6 and a[3] <= height + 1e-6
        for b in rects[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    assert placed["a"][0] < placed["d"][0] < placed["e"][0]


def test_overlapping_and_line_crossing_marks_keep_every_anchor() -> None:
    text = "SELECT a,\n  b\nFROM t"
    marks = [
        Mark(0, 14, "info", "whole select", "m0"),
        Mark(7, 12, "error", "a and b", "m1"),
        Mark(9, 10, "warning", "at the line break", "m2"),
    ]
    dom = parse(highlight_sql(text, marks))
    anchors = [e.attrs["id"] for e in dom.find_all("span", "anchor")]
    assert anchors == ["<sqid>-m0", "<sqid>-m1", "<sqid>-m2"]
    marked = "".join(m.all_text() for m in dom.find_all("mark"))
    assert marked == "SELECT a,  b"  # the text the marks cover, line breaks aside
    worst = {m.all_text(): m.attrs["class"] for m in dom.find_all("mark")}
    assert worst["a,"] == "sev-error" and worst["SELECT"] == "sev-info"
    assert [e.attrs["class"] for e in dom.find_all("span", "line")] == ["line hl", "line hl", "line"]


def test_every_displayable_class_has_a_view_registered_under_its_current_name() -> None:
    import importlib

    from sqltune.reporters.html import VIEWS

    for name in VIEWS:  # each name still names a class (a class moved or renamed fails here)
        module, _, qualname = name.rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), qualname), Displayable), name
    found, stack = set(), list(Displayable.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("sqltune."):
            found.add(f"{cls.__module__}.{cls.__qualname__}")
    assert found <= set(VIEWS), found - set(VIEWS)


def test_the_views_are_imported_on_the_first_display_only() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sqltune\n"
        "report = sqltune.lint('SELECT * FROM t')\n"
        "before = 'sqltune.reporters.html' in sys.modules\n"
        "html = report._repr_html_()\n"
        "print(before, 'sqltune.reporters.html' in sys.modules, 'SQ001' in html)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.split() == ["False", "True", "True"]
