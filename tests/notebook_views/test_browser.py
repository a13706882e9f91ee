"""The HTML views in a real browser: headless Chromium (one process for the session, driven over the DevTools
protocol) opens each view, the DOM is checked as the browser built it, the collapsible parts collapse without
any script of ours, injection attempts stay inert, and a screenshot of each view is written."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from view_payloads import TABLE, TEXT

from sqltune.testing.browser import Browser, Page

#: What every page reports: the payloads' flag, and the elements and attributes a payload would create.
PROBE = """({
  pwned: window.__pwned === undefined ? null : window.__pwned,
  scripts: document.querySelectorAll("script").length,
  images: document.querySelectorAll("img, image").length,
  handlers: [...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
  views: document.querySelectorAll("body > div.sqltune-view").length,
})"""


def _open(browser: Browser, folder: Path, name: str, html: str) -> Page:
    """The view alone on a page (no script of our own: any script in the DOM came from the view)."""
    path = folder / f"{name}.html"
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head><body>{html}</body></html>"
    )
    return browser.open(path)


def _check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 60 and len(data) > 4000, (path, width, height, len(data))


def _finish(page: Page, path: Path) -> dict[str, Any]:
    probe: dict[str, Any] = page.evaluate(PROBE)
    page.screenshot(path)
    page.close()
    _check_png(path)
    return probe


def test_findings_table_links_into_the_highlighted_sql(browser: Browser, views: dict[str, Any], tmp_path: Path) -> None:
    report = views["report"]
    page = _open(browser, tmp_path, "report", report._repr_html_())
    rows = page.evaluate("""[...document.querySelectorAll("table.findings tbody tr")].map(row => {
        const target = document.getElementById(row.querySelector("a").getAttribute("href").slice(1));
        const mark = target && target.nextElementSibling;
        return [row.cells[1].textContent, target && target.closest("pre.sql") !== null, mark && mark.textContent,
                mark && getComputedStyle(mark).backgroundColor !== "rgba(0, 0, 0, 0)"];
    })""")
    text = report.sources["<string>"].text
    expected = [[f.code, True, text[f.span.start : f.span.end][: len(text)], True] for f in report.findings]
    # A mark can be split where a keyword or a line begins; its first piece starts the span.
    assert [row[:2] for row in rows] == [row[:2] for row in expected]
    assert all(row[3] and exp[2].startswith(row[2]) for row, exp in zip(rows, expected, strict=True))
    probe = _finish(page, tmp_path / "report.png")
    assert probe == {"pwned": None, "scripts": 0, "images": 0, "handlers": 0, "views": 1}


def test_plan_tree_nests_and_collapses_without_script(browser: Browser, views: dict[str, Any], tmp_path: Path) -> None:
    report = views["plan"]
    page = _open(browser, tmp_path, "plan", report._repr_html_())
    tree = page.evaluate("""[...document.querySelectorAll("details.node")].map(node => [
        node.querySelector(":scope > summary .label b").textContent,
        node.parentElement.closest("details.node")?.id.split("-n").pop() ?? null,
        node.classList.contains("hot"),
    ])""")
    plan = report.plan
    assert tree == [
        [node.label, None if node.parent is None else str(node.parent), node.id in report.hot_path] for node in plan
    ]
    # Closing the root hides everything below it: <details> does it, no script needed.
    seen = page.evaluate("""(() => {
        const root = document.querySelector("details.node");
        const leaf = [...document.querySelectorAll("details.node")].pop();
        const before = [leaf.checkVisibility(), root.getBoundingClientRect().height];
        root.open = false;
        return [...before, leaf.checkVisibility(), root.getBoundingClientRect().height];
    })()""")
    leaf_shown, tall, leaf_shown_after, short = seen
    assert leaf_shown and not leaf_shown_after and 0 < short < tall
    page.evaluate('document.querySelector("details.node").open = true')
    probe = _finish(page, tmp_path / "plan.png")
    assert probe["scripts"] == probe["images"] == probe["handlers"] == 0


def test_rewrite_diff_is_side_by_side(browser: Browser, views: dict[str, Any], tmp_path: Path) -> None:
    report = views["rewrite"]
    page = _open(browser, tmp_path, "rewrite", report._repr_html_())
    cells = page.evaluate("""[...document.querySelectorAll("div.change table.diff")].map(table => {
        const removed = table.querySelector("td.del"), added = table.querySelector("td.add");
        return [removed.getBoundingClientRect().left < added.getBoundingClientRect().left,
                table.querySelectorAll("del").length > 0, table.querySelectorAll("ins").length > 0];
    })""")
    assert cells == [[True, True, True]] * len(report.changes)
    _finish(page, tmp_path / "rewrite.png")


@pytest.mark.parametrize(
    "name, selector",
    [
        ("plan_graph", "details.node"),
        ("graph", "svg.qgraph g.relation"),
        ("schema", "svg.er g.table"),
        ("design", "svg.er g.table"),
        ("indexes", "table.create tbody tr"),
        ("workload", "table.templates tbody tr"),
        ("usage", "table.usage tbody tr"),
        ("layout", "div.card"),
        ("finding", "div.card"),
    ],
)
def test_each_view_renders_in_chromium(
    browser: Browser, views: dict[str, Any], tmp_path: Path, name: str, selector: str
) -> None:
    page = _open(browser, tmp_path, name, views[name]._repr_html_())
    # Drawn, not just present: the elements have a size on the page.
    sizes = page.evaluate(f"""[...document.querySelectorAll({selector!r})].map(e => {{
        const box = e.getBoundingClientRect(); return box.width > 0 && box.height > 0; }})""")
    assert sizes and all(sizes), sizes
    probe = _finish(page, tmp_path / f"{name}.png")
    assert probe == {"pwned": None, "scripts": 0, "images": 0, "handlers": 0, "views": 1}


def test_injection_attempts_stay_inert(browser: Browser, hostile: dict[str, Any], tmp_path: Path) -> None:
    """Every view with a payload in its identifiers and SQL text, on one page: nothing runs, nothing is made."""
    page = _open(browser, tmp_path, "hostile", "".join(obj._repr_html_() for obj in hostile.values()))
    shown = page.evaluate('[...document.querySelectorAll("body > div.sqltune-view")].map(view => view.textContent)')
    probe = _finish(page, tmp_path / "hostile.png")
    assert probe == {"pwned": None, "scripts": 0, "images": 0, "handlers": 0, "views": len(hostile)}
    assert all("window.__pwned" in text for text in shown)  # the payloads are there, as text


def test_the_probe_sees_a_payload_that_is_not_escaped(browser: Browser, tmp_path: Path) -> None:
    """The control: the same payloads written raw do run, and the probe says so."""

    page = _open(browser, tmp_path, "raw", f'<div class="sqltune-view">{TABLE}{TEXT}</div>')
    probe = page.evaluate(PROBE)
    page.close()
    assert probe["pwned"] == 2 and probe["scripts"] == 1 and probe["images"] == 1 and probe["handlers"] == 1
