"""Benchmark: parse and derive EXPLAIN plans.

Run: ``python benchmarks/plan_parse.py [--nodes 10000] [--runs 7]``.

1. A synthetic PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` plan of ``--nodes`` operators, wide
   (an Append over 30 branches) and deep (each branch a left-deep chain of hash joins, ~110 joins), with
   every field ANALYZE + BUFFERS prints; also rendered as psql text. Timed: bare ``json.loads`` of the same
   text (the floor), ``parse_plan`` on the JSON text (load + build + derive) and on the text plan.
2. The fixture corpus (fixtures/plans, all formats): every file parsed, ``--runs`` times.

Figures are the median of ``--runs`` runs, in ms per plan and µs per node. Target: 10,000 nodes < 1 s.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqltune.plans import load_plan, parse_plan

ROOT = Path(__file__).resolve().parents[1]
BRANCHES = 30


def _timed(node: dict[str, Any], rows: int, loops: int, start: float, total: float) -> dict[str, Any]:
    node.update(
        {
            "Startup Cost": round(start * 3.1, 2),
            "Total Cost": round(total * 3.7 + 10, 2),
            "Plan Rows": rows + 7,
            "Plan Width": 16,
            "Actual Startup Time": round(start, 3),
            "Actual Total Time": round(total, 3),
            "Actual Rows": rows,
            "Actual Loops": loops,
            "Shared Hit Blocks": rows // 3,
            "Shared Read Blocks": rows // 11,
            "Shared Dirtied Blocks": 0,
            "Shared Written Blocks": 0,
            "Local Hit Blocks": 0,
            "Local Read Blocks": 0,
            "Local Dirtied Blocks": 0,
            "Local Written Blocks": 0,
            "Temp Read Blocks": 0,
            "Temp Written Blocks": 0,
        }
    )
    return node


def synthetic_plan(nodes: int) -> dict[str, Any]:
    """A plan of exactly ``nodes`` operators: Append over BRANCHES left-deep hash-join chains."""
    remaining = nodes - 1
    branches = []
    per_branch = remaining // BRANCHES
    for branch in range(BRANCHES):
        budget = per_branch + (1 if branch < remaining % BRANCHES else 0)
        # A chain of k joins has 3k + 1 nodes (join, hash, inner scan per level, one outer scan at the bottom).
        joins, extra = divmod(budget - 1, 3)
        table = f"t{branch}_0"
        current = _timed(
            {
                "Node Type": "Seq Scan",
                "Parent Relationship": "Outer",
                "Relation Name": table,
                "Alias": table,
                "Filter": f"({table}.flag = {branch})",
                "Rows Removed by Filter": 900,
            },
            100,
            1,
            0.01,
            1.0,
        )
        for level in range(1, joins + 1):
            inner_table = f"t{branch}_{level}"
            inner = _timed(
                {
                    "Node Type": "Seq Scan",
                    "Parent Relationship": "Outer",
                    "Relation Name": inner_table,
                    "Alias": inner_table,
                },
                50,
                1,
                0.01,
                0.5,
            )
            hashed = _timed(
                {
                    "Node Type": "Hash",
                    "Parent Relationship": "Inner",
                    "Hash Buckets": 1024,
                    "Original Hash Buckets": 1024,
                    "Hash Batches": 1 + level % 3,
                    "Original Hash Batches": 1,
                    "Peak Memory Usage": 40,
                    "Plans": [inner],
                },
                50,
                1,
                0.6,
                0.6,
            )
            current = _timed(
                {
                    "Node Type": "Hash Join",
                    "Parent Relationship": "Outer",
                    "Join Type": "Inner",
                    "Hash Cond": f"({table}.id = {inner_table}.id)",
                    "Plans": [current, hashed],
                },
                100 + level,
                1,
                0.7,
                1.0 + level * 1.2,
            )
        for _ in range(extra):  # pad to the exact node count with single-child Sorts
            current = _timed(
                {
                    "Node Type": "Sort",
                    "Parent Relationship": "Outer",
                    "Sort Key": [f"{table}.id"],
                    "Sort Method": "quicksort",
                    "Sort Space Used": 30,
                    "Sort Space Type": "Memory",
                    "Plans": [current],
                },
                100,
                1,
                1.0,
                current["Actual Total Time"] + 0.5,
            )
        current["Parent Relationship"] = "Member"
        branches.append(current)
    total = sum(b["Actual Total Time"] for b in branches) + 1.0
    root = _timed({"Node Type": "Append", "Plans": branches}, 100 * BRANCHES, 1, 0.01, total)
    return {"Plan": root, "Planning Time": 12.5, "Triggers": [], "Execution Time": total + 0.3}


def render_text(document: dict[str, Any]) -> str:
    """The plan as psql prints EXPLAIN (ANALYZE, BUFFERS) text: details two columns past the operator's name."""
    lines: list[str] = []
    stack: list[tuple[dict[str, Any], int, bool]] = [(document["Plan"], 0, True)]  # (node, name column, root)
    while stack:
        node, column, is_root = stack.pop()
        name = node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
        blocks = (
            f"  (cost={node['Startup Cost']:.2f}..{node['Total Cost']:.2f} rows={node['Plan Rows']} "
            f"width={node['Plan Width']}) (actual time={node['Actual Startup Time']:.3f}.."
            f"{node['Actual Total Time']:.3f} rows={node['Actual Rows']} loops={node['Actual Loops']})"
        )
        arrow = "" if is_root else " " * (column - 4) + "->  "
        lines.append(f"{arrow}{' ' * column if is_root else ''}{name}{blocks}")
        detail = " " * (column + 2)
        for key in ("Hash Cond", "Filter", "Rows Removed by Filter"):
            if key in node:
                lines.append(f"{detail}{key}: {node[key]}")
        if "Sort Key" in node:
            lines.append(f"{detail}Sort Key: {', '.join(node['Sort Key'])}")
            lines.append(f"{detail}Sort Method: {node['Sort Method']}  Memory: {node['Sort Space Used']}kB")
        if "Hash Buckets" in node:
            lines.append(
                f"{detail}Buckets: {node['Hash Buckets']}  Batches: {node['Hash Batches']}"
                f" (originally {node['Original Hash Batches']})  Memory Usage: {node['Peak Memory Usage']}kB"
            )
        lines.append(f"{detail}Buffers: shared hit={node['Shared Hit Blocks']} read={node['Shared Read Blocks']}")
        for child in reversed(node.get("Plans", [])):
            stack.append((child, column + 6, False))
    lines.append(f"Planning Time: {document['Planning Time']} ms")
    lines.append(f"Execution Time: {document['Execution Time']:.3f} ms")
    return "\n".join(lines)


def median_ms(function: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter) -> float:
    samples = []
    for _ in range(runs):
        start = clock()
        function()
        samples.append((clock() - start) * 1000.0)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    document = synthetic_plan(args.nodes)
    json_text = json.dumps([document], indent=2)
    text_plan = render_text(document)
    plan = parse_plan(json_text)
    assert len(plan) == args.nodes, (len(plan), args.nodes)
    assert len(parse_plan(text_plan)) == args.nodes
    depth = max(node.depth for node in plan)
    print(
        f"synthetic plan: {len(plan):,} nodes, depth {depth}, JSON {len(json_text) / 1e6:.1f} MB, "
        f"text {len(text_plan) / 1e6:.1f} MB; median of {args.runs} runs"
    )
    cases: list[tuple[str, Callable[[], object]]] = [
        ("json.loads only (baseline)", lambda: json.loads(json_text)),
        ("parse_plan(JSON text)", lambda: parse_plan(json_text)),
        ("parse_plan(loaded JSON)", lambda: parse_plan([document])),
        ("parse_plan(psql text)", lambda: parse_plan(text_plan)),
    ]
    rows = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"  load average {load:.1f} on {os.cpu_count()} CPUs: wall-clock includes waiting for other processes")
    print(f"  {'':<28} {'wall':>9}          {'':>7}          {'CPU':>9}")
    for label, function in cases:
        wall = median_ms(function, args.runs)
        cpu = median_ms(function, args.runs, time.process_time)
        rows.append((label, cpu))
        print(
            f"  {label:<28} {wall:9.1f} ms/plan  {wall * 1000 / len(plan):7.2f} us/node"
            f"  {cpu:9.1f} ms/plan  {cpu * 1000 / len(plan):7.2f} us/node"
        )
    worst = max(ms for label, ms in rows[1:])
    verdict = "met" if worst < 1000 else "MISSED"
    print(f"  target < 1000 ms CPU for {args.nodes:,} nodes: {verdict} (worst {worst:.0f} ms CPU)")

    corpus = sorted(
        p
        for p in (ROOT / "fixtures" / "plans").rglob("*")
        if p.suffix in (".json", ".txt") and p.parent.name != "malformed"
    )
    texts = [(p, p.read_text()) for p in corpus]
    node_count = sum(len(load_plan(p)) for p in corpus)
    per_plan = []
    for path, text in texts:
        per_plan.append(median_ms(functools.partial(parse_plan, text, path=str(path)), args.runs))
    total = sum(per_plan)
    print(f"fixture corpus: {len(corpus)} plans, {node_count} nodes; all formats")
    print(
        f"  total {total:.1f} ms, median {statistics.median(per_plan):.3f} ms/plan, "
        f"max {max(per_plan):.3f} ms/plan, {total * 1000 / node_count:.1f} us/node"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
