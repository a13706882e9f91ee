"""docs/notebooks/quickstart.ipynb, executed end to end in a real kernel (ipykernel, through nbclient) against the
suite's PostgreSQL: every cell runs, the outputs hold the expected findings, rewrites, index advice and plan,
the error cell shows one short line, and the demo schema is gone afterwards. In git its outputs are stripped."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

import sqltune

pytestmark = pytest.mark.postgres

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "quickstart.ipynb"


def _text(cell: Any) -> str:
    """Everything a cell showed: streams, results and displays (every text format), errors."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.extend(output.traceback)
        else:
            parts.extend(str(value) for key, value in output.data.items() if key.startswith("text/"))
    return "\n".join(parts)


def _codes(text: str) -> set[str]:
    return set(re.findall(r"\bSQ\d{3}\b", text))


def test_the_notebook_is_committed_without_outputs() -> None:
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_quickstart_notebook_runs_end_to_end(pg_dsn: str, hypopg: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    monkeypatch.setenv("SQLTUNE_QUICKSTART_DSN", pg_dsn)
    source = str(Path(sqltune.__file__).resolve().parents[1])  # the kernel imports this sqltune
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
    started = time.monotonic()
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    elapsed = time.monotonic() - started
    cells = {cell.id: cell for cell in notebook.cells if cell.cell_type == "code"}
    shown = {name: _text(cell) for name, cell in cells.items()}

    assert {"SQ001", "SQ002", "SQ007"} <= _codes(shown["lint"])
    assert shown["codes"] == "['SQ017']"  # status is text; carts.customer_id NOT NULL makes NOT IN safe
    assert "SQ002" in _codes(shown["substitution"])
    assert "NOT EXISTS" in shown["diff"] and "WHERE status <> 'cancelled' GROUP BY status" in shown["diff"]
    assert "CREATE INDEX" in shown["advice"] and "orders (customer_id" in shown["advice"]

    explain = cells["explain"].outputs
    assert [output.output_type for output in explain] == ["display_data", "display_data"]  # one per statement
    # The rich view, not a repr: the plan as a collapsible tree with the hot path marked (reporters.html).
    html = explain[0].data.get("text/html", "")
    assert "<details" in html and "sqltune-view" in html and "Seq Scan" in html
    assert "SQ301" in _codes(shown["explain"])  # the sequential scan that discards nearly every row
    assert "Seq Scan on orders" in shown["plan-text"]
    assert "SQ301" in _codes(shown["analyze"])
    assert shown["rolled-back"].strip() == "cancelled orders: 0"
    assert "planner costs via hypopg" in shown["live-advice"] and "(customer_id" in shown["live-advice"]

    (error,) = cells["error"].outputs
    assert error.output_type == "error" and error.ename == "CellError"
    assert error.traceback == [
        "sqltune: error: <cell>:1:23: syntax error: incomplete WHERE clause: expected a condition after WHERE"
    ]
    assert all(
        output.output_type != "error" for name, cell in cells.items() if name != "error" for output in cell.outputs
    )

    with psycopg.connect(pg_dsn) as connection:
        left = connection.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sqltune_quickstart%'")
        assert left.fetchall() == []
    assert elapsed < 30, f"the quickstart took {elapsed:.1f} s"
