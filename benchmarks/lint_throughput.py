"""Lint throughput: sqltune against SQLFluff, and sqltune's analysis cost against bare sqlglot parsing.

Workload: the 22 TPC-H and 99 TPC-DS queries in ``fixtures/workloads/`` (PostgreSQL dialect), with the
TPC-H and TPC-DS schemas from ``fixtures/schemas/`` given to sqltune as its schema (as ``--schema`` would), so
schema-aware rules do their work.

Three measurements, all in this one process on one core, timed in CPU seconds of this process
(``time.process_time``) so that other load on the machine does not count:

1. **sqltune lint**: ``Linter.lint_sources`` over every file (read, parse, every selected rule, graph building,
   suppression); no cache and no worker processes. Median of ``--runs`` runs.
2. **bare sqlglot parse**: ``sqlglot.parse(text, read=dialect)`` of the same files, nothing else. Median of
   ``--runs`` runs, alternating with (1). ``analysis/parse`` = (1) / (2), the median of the per-round ratios;
   the target is at most 2.0. The linter raises the garbage collector's threshold while it runs
   (:func:`sqltune.linter.engine.fewer_collections`) while bare parsing pays CPython's default collection cost, so
   the same ratio is also measured with the collector paused in both (``collector paused``): that one is the
   cost of the analysis itself.
3. **SQLFluff lint**: ``sqlfluff.core.Linter.lint_string`` of the same files with the same dialect, one run
   (it is slow). ``speed-up`` = sqltune statements/s / SQLFluff statements/s; the target is at least 200 (issue 11).

Run ``python benchmarks/lint_throughput.py`` (``--skip-sqlfluff`` for the sqltune figures only,
``--profile`` to print where sqltune's time goes, ``--json FILE`` to keep the figures).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import glob
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlglot

from sqltune.core.config import Config
from sqltune.core.parsing import parse_source
from sqltune.core.source import Source
from sqltune.core.sqlglot import sqlglot_compiled
from sqltune.graph import QueryGraph
from sqltune.linter.engine import Linter
from sqltune.rules.registry import all_rules
from sqltune.schema import Schema

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("tpch", "tpcds")


def load_workload() -> list[Source]:
    paths = [p for name in WORKLOADS for p in sorted(glob.glob(str(ROOT / "fixtures" / "workloads" / name / "*.sql")))]
    return [Source(os.path.relpath(p, ROOT), Path(p).read_text(encoding="utf-8")) for p in paths]


def load_schema(dialect: str) -> Schema:
    schema = Schema()
    for name in WORKLOADS:
        loaded = Schema.load(str(ROOT / "fixtures" / "schemas" / f"{name}.sql"), dialect)
        for table in loaded:
            schema.add(table)
    return schema


#: CPU time of this process: on a shared machine wall-clock time mostly measures the neighbours.
clock = time.process_time


def median_time(function: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """Median CPU seconds of ``function``; each run starts from a collected heap, so that no run pays for
    the garbage (syntax trees are cyclic) that the previous measurement left behind."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = clock()
        function()
        times.append(clock() - start)
    return statistics.median(times), times


def measure_sqltune(sources: list[Source], dialect: str, schema: Schema, runs: int) -> dict[str, Any]:
    linter = Linter(Config(dialect=dialect), schema)
    report = linter.lint_sources(sources)  # warm-up: imports, dispatch tables, dialect objects
    statements = report.statements

    def bare_parse() -> None:
        for source in sources:
            sqlglot.parse(source.text, read=dialect)

    bare_parse()
    # Lint and parse alternate, so that both see the same machine load; the ratio is the median of the
    # per-round ratios.
    lint_times, parse_times, ratios = [], [], []
    for _ in range(runs):
        lint_time, _ = median_time(lambda: linter.lint_sources(sources), 1)
        parse_time, _ = median_time(bare_parse, 1)
        lint_times.append(lint_time)
        parse_times.append(parse_time)
        ratios.append(lint_time / parse_time)
    lint_time, parse_time = statistics.median(lint_times), statistics.median(parse_times)
    paused = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            paused.append(median_time(lambda: linter.lint_sources(sources), 1)[0] / median_time(bare_parse, 1)[0])
    finally:
        gc.enable()

    def sqltune_parse() -> None:
        for source in sources:
            parse_source(source, dialect)

    split_time, _ = median_time(sqltune_parse, runs)
    parsed = [s for source in sources for s in parse_source(source, dialect) if s.expression is not None]

    def graphs() -> None:
        for statement in parsed:
            assert statement.expression is not None
            QueryGraph.build(statement.expression, schema)

    graph_time, _ = median_time(graphs, runs)
    return {
        "files": len(sources),
        "statements": statements,
        "findings": len(report.findings),
        "parse_errors": report.codes().get("SQ000", 0),
        "rules": len(linter.selected),
        "lint_seconds": lint_time,
        "lint_runs": lint_times,
        "statements_per_second": statements / lint_time,
        "bare_parse_seconds": parse_time,
        "bare_parse_runs": parse_times,
        "sqltune_parse_seconds": split_time,
        "graph_build_seconds": graph_time,
        "analysis_over_parse": statistics.median(ratios),
        "analysis_over_parse_runs": ratios,
        "analysis_over_parse_collector_paused": statistics.median(paused),
        "ms_per_statement": 1000 * lint_time / statements,
        "bare_parse_ms_per_statement": 1000 * parse_time / statements,
    }


def measure_sqlfluff(sources: list[Source], dialect: str) -> dict[str, Any]:
    try:
        import sqlfluff
        from sqlfluff.core import FluffConfig
        from sqlfluff.core import Linter as FluffLinter
    except ImportError:
        return {"error": "sqlfluff is not installed (pip install sqlfluff, or the bench extra)"}
    linter = FluffLinter(config=FluffConfig(overrides={"dialect": dialect}))
    statements = 0
    violations = 0
    start = clock()
    for source in sources:
        result = linter.lint_string(source.text, fname=source.path)
        violations += len(result.get_violations())
    elapsed = clock() - start
    # Count statements the way sqltune does, so both rates are per the same statements.
    statements = sum(len(parse_source(source, dialect)) for source in sources)
    return {
        "version": sqlfluff.__version__,
        "seconds": elapsed,
        "statements": statements,
        "violations": violations,
        "statements_per_second": statements / elapsed,
    }


def profile_sqltune(sources: list[Source], dialect: str, schema: Schema, limit: int = 25) -> str:
    linter = Linter(Config(dialect=dialect), schema)
    linter.lint_sources(sources)
    profiler = cProfile.Profile()
    profiler.enable()
    linter.lint_sources(sources)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def per_rule_times(sources: list[Source], dialect: str, schema: Schema, runs: int) -> dict[str, float]:
    """CPU seconds per rule hook over the workload (median of ``runs``), with QueryGraph building counted
    apart (as ``(graph)``) rather than charged to whichever rule asked for the graph first."""
    linter = Linter(Config(dialect=dialect), schema)
    totals: dict[str, list[float]] = {}
    graph_time = [0.0]
    original_build = QueryGraph.build.__func__  # type: ignore[attr-defined]

    def timed_build(cls: type[QueryGraph], *args: Any, **kwargs: Any) -> QueryGraph:
        start = clock()
        try:
            return original_build(cls, *args, **kwargs)  # type: ignore[no-any-return]
        finally:
            graph_time[0] += clock() - start

    current: dict[str, float] = {}

    def wrap(code: str, hook: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> list[Any]:
            start, graph_before = clock(), graph_time[0]
            result = list(hook(*args))
            current[code] = current.get(code, 0.0) + (clock() - start) - (graph_time[0] - graph_before)
            return result

        return timed

    for code, rule in linter._instances.items():
        for hook in ("visit", "check", "check_schema"):
            setattr(rule, hook, wrap(code, getattr(rule, hook)))
    QueryGraph.build = classmethod(timed_build)  # type: ignore[assignment, method-assign]
    try:
        for _ in range(runs):
            current.clear()
            graph_time[0] = 0.0
            linter.lint_sources(sources)
            for code, seconds in current.items():
                totals.setdefault(code, []).append(seconds)
            totals.setdefault("(graph)", []).append(graph_time[0])
    finally:
        QueryGraph.build = classmethod(original_build)  # type: ignore[assignment, method-assign]
    return dict(sorted(((c, statistics.median(t)) for c, t in totals.items()), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dialect", default="postgres")
    parser.add_argument("--runs", type=int, default=7, help="runs per sqltune / sqlglot measurement (median)")
    parser.add_argument("--skip-sqlfluff", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one sqltune run")
    parser.add_argument("--per-rule", action="store_true", help="print CPU time per rule (slowest first)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)

    sources = load_workload()
    schema = load_schema(args.dialect)
    print(f"workload: {len(sources)} files from fixtures/workloads/{{{','.join(WORKLOADS)}}}, dialect {args.dialect}")
    print(
        f"python {platform.python_version()}, sqlglot {sqlglot.__version__}"
        f"{' (compiled)' if sqlglot_compiled() else ''}, "
        f"{len(all_rules())} rules registered, {os.cpu_count()} CPUs"
    )
    figures: dict[str, Any] = {"sqltune": measure_sqltune(sources, args.dialect, schema, args.runs)}
    ours = figures["sqltune"]
    print(
        f"sqltune lint:      {ours['lint_seconds']:.3f} s for {ours['statements']} statements "
        f"({ours['statements_per_second']:.0f} statements/s, {ours['ms_per_statement']:.2f} ms each), "
        f"{ours['rules']} rules, {ours['findings']} findings, {ours['parse_errors']} parse errors"
    )
    print(
        f"bare sqlglot parse: {ours['bare_parse_seconds']:.3f} s ({ours['bare_parse_ms_per_statement']:.2f} ms each); "
        f"sqltune parse alone {ours['sqltune_parse_seconds']:.3f} s; graph building {ours['graph_build_seconds']:.3f} s"
    )
    verdict = "OK" if ours["analysis_over_parse"] <= 2.0 else "MISSED"
    print(f"analysis/parse:     {ours['analysis_over_parse']:.2f}x bare parsing (target <= 2.0x: {verdict})")
    paused = ours["analysis_over_parse_collector_paused"]
    print(f"  collector paused: {paused:.2f}x (the analysis itself, like for like)")
    if not args.skip_sqlfluff:
        fluff = measure_sqlfluff(sources, args.dialect)
        figures["sqlfluff"] = fluff
        if "error" in fluff:
            print(f"sqlfluff:           {fluff['error']}")
        else:
            ratio = ours["statements_per_second"] / fluff["statements_per_second"]
            figures["speedup_over_sqlfluff"] = ratio
            print(
                f"sqlfluff {fluff['version']} lint: {fluff['seconds']:.1f} s "
                f"({fluff['statements_per_second']:.2f} statements/s, {fluff['violations']} violations)"
            )
            verdict = "OK" if ratio >= 200 else "MISSED"
            print(f"speed-up:           {ratio:.0f}x SQLFluff (target >= 200x, issue 11: {verdict})")
    if args.per_rule:
        timings = per_rule_times(sources, args.dialect, schema, max(1, min(args.runs, 3)))
        figures["per_rule_seconds"] = timings
        parse_seconds = ours["bare_parse_seconds"]
        print("CPU time per rule over the workload (x = multiples of bare parsing):")
        for code, seconds in timings.items():
            print(f"  {code:8} {seconds:7.3f} s  {seconds / parse_seconds:6.2f}x")
    if args.profile:
        print(profile_sqltune(sources, args.dialect, schema))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
