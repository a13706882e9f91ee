"""The layering and typing promises, checked on every run of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_import_contracts_hold() -> None:
    """Layers one way, sqlglot only through sqltune.core.sqlglot, no driver/IPython/click in the core."""
    executable = shutil.which("lint-imports")
    assert executable, "import-linter is part of the dev extra"
    result = _run(executable)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_strict_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout[-6000:]


def test_no_import_cycles() -> None:
    """No module imports, even inside a function, a module that imports it back (type-only imports aside)."""
    import grimp  # import-linter's graph builder, part of the dev extra
    import networkx as nx

    graph = grimp.build_graph("sqltune", exclude_type_checking_imports=True)
    edges = [(module, target) for module in graph.modules for target in graph.find_modules_directly_imported_by(module)]
    cycles = sorted(" -> ".join(cycle) for cycle in nx.simple_cycles(nx.DiGraph(edges)))
    assert not cycles, "\n".join(cycles)


def test_top_level_holds_only_the_public_entry_points() -> None:
    """Every module lives in the folder of its layer or capability; the package root only exports."""
    top = sorted(path.name for path in (ROOT / "src/sqltune").glob("*.py"))
    assert top == ["__init__.py", "api.py"]
