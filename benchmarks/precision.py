"""Precision of sqltune's findings on real query sets, against a reviewed verdict for each.

The corpus: the 22 TPC-H and 99 TPC-DS queries (with their schemas, as ``--schema`` gives them), the dbt models
of ``fixtures/dbt`` and the migrations folder ``fixtures/migrations/shop``, PostgreSQL dialect, every rule.
``tests/fixtures/precision/findings.tsv`` holds one reviewed line per finding: where, the code, the verdict
(``actionable`` or ``noise``) and a one-line reason. ``tests/test_precision.py`` fails when a finding appears
that is not in the file, or one in the file no longer appears, until the file is reviewed again.

    python benchmarks/precision.py            # the actionable share, per rule and overall (target >= 90 %)
    python benchmarks/precision.py --draft    # the current findings as TSV lines (verdict "unreviewed")
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from sqltune.core.config import Config
from sqltune.core.findings import Finding
from sqltune.linter.engine import lint_paths
from sqltune.schema import Schema

ROOT = Path(__file__).resolve().parents[1]
REVIEWED = ROOT / "tests" / "fixtures" / "precision" / "findings.tsv"
TARGET = 0.90
#: (name, paths, schema file or None), each linted as one run.
CORPUS = [
    ("tpch", ["fixtures/workloads/tpch"], "fixtures/schemas/tpch.sql"),
    ("tpcds", ["fixtures/workloads/tpcds"], "fixtures/schemas/tpcds.sql"),
    ("dbt", ["fixtures/dbt"], None),
    ("migrations", ["fixtures/migrations/shop"], None),
]
Key = tuple[str, int, int, str]


def current_findings() -> list[Finding]:
    """Every finding sqltune gives on the corpus, in corpus order."""
    found: list[Finding] = []
    for _, paths, schema_path in CORPUS:
        schema = Schema.load(ROOT / schema_path, "postgres") if schema_path else None
        report = lint_paths([ROOT / p for p in paths], Config(dialect="postgres"), schema)
        if report.problems:
            raise SystemExit(f"problems on the corpus: {report.problems}")
        found += report.findings
    return found


def key(finding: Finding) -> Key:
    return (
        Path(finding.path).resolve().relative_to(ROOT).as_posix(),
        finding.span.line,
        finding.span.column,
        finding.code,
    )


def reviewed() -> dict[Key, tuple[str, str]]:
    """The reviewed file: key -> (verdict, reason)."""
    with REVIEWED.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]
    return {(path, int(line), int(col), code): (verdict, reason) for path, line, col, code, verdict, reason in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draft", action="store_true", help="print the current findings as unreviewed TSV lines")
    args = parser.parse_args(argv)
    findings = current_findings()
    if args.draft:
        for finding in findings:
            print("\t".join(map(str, key(finding))), "unreviewed", finding.message[:100], sep="\t")
        return 0
    verdicts = reviewed()
    keys = [key(f) for f in findings]
    missing = [k for k in keys if k not in verdicts]
    if missing:
        print(f"{len(missing)} findings not reviewed yet (run with --draft): {missing[:3]}", file=sys.stderr)
        return 2
    per_rule: Counter[tuple[str, str]] = Counter((k[3], verdicts[k][0]) for k in keys)
    print(f"{'rule':<7} {'findings':>8} {'actionable':>10}")
    for code in sorted({k[3] for k in keys}):
        total = per_rule[(code, "actionable")] + per_rule[(code, "noise")]
        print(f"{code:<7} {total:>8} {per_rule[(code, 'actionable')]:>10}")
    actionable = sum(1 for k in keys if verdicts[k][0] == "actionable")
    share = actionable / len(keys) if keys else 1.0
    status = "meets" if share >= TARGET else "MISSES"
    print(f"actionable: {actionable} of {len(keys)} findings = {share:.1%} ({status} the {TARGET:.0%} target)")
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
