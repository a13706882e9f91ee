"""Noise guard: every finding on the precision corpus (TPC-H, TPC-DS, dbt fixtures, migrations folder) is in the
reviewed file ``tests/fixtures/precision/findings.tsv`` with a verdict, and every reviewed finding still appears;
the actionable share stays at or above the target (see ``benchmarks/precision.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _precision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("precision_benchmark", ROOT / "benchmarks" / "precision.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_findings_match_the_reviewed_corpus() -> None:
    precision = _precision()
    found = [precision.key(f) for f in precision.current_findings()]
    reviewed = precision.reviewed()
    new = sorted(set(found) - set(reviewed))
    vanished = sorted(set(reviewed) - set(found))
    assert not new, f"findings not reviewed yet (add them to findings.tsv with a verdict): {new}"
    assert not vanished, f"reviewed findings that no longer appear (remove them from findings.tsv): {vanished}"
    assert len(found) == len(set(found))
    assert {verdict for verdict, _ in reviewed.values()} <= {"actionable", "noise"}
    assert all(reason.strip() for _, reason in reviewed.values())
    actionable = sum(1 for k in found if reviewed[k][0] == "actionable")
    assert actionable / len(found) >= precision.TARGET
