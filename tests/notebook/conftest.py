"""An in-process IPython shell with ``%load_ext sqltune``, reset after each test.

The shell runs in the test's temporary folder, so no ``[tool.sqltune]`` of the repository applies unless a
test writes one there. ``failure`` runs a cell that must fail and returns what the cell showed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def shop() -> str:
    """The bundled shop schema (DDL)."""
    return str(Path(__file__).resolve().parents[2] / "fixtures" / "schemas" / "shop.sql")


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    monkeypatch.chdir(tmp_path)
    shell.run_line_magic("load_ext", "sqltune")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "sqltune")
        shell.config.pop("SqlTune", None)
        shell.reset(new_session=False)


@pytest.fixture
def run(ip: Any) -> Callable[[str], Any]:
    """Run a cell that must succeed; its result (the magic's return value)."""

    def run_cell(cell: str) -> Any:
        result = ip.run_cell(cell)
        result.raise_error()
        return result.result

    return run_cell


@pytest.fixture
def failure(ip: Any, capsys: pytest.CaptureFixture[str]) -> Callable[[str], str]:
    """Run a cell that must fail with sqltune's short message; what the cell showed."""
    from sqltune.notebook.errors import CellError

    def run_cell(cell: str) -> str:
        capsys.readouterr()
        result = ip.run_cell(cell)
        assert isinstance(result.error_in_exec, CellError), result.error_in_exec
        captured = capsys.readouterr()
        shown = (captured.out + captured.err).strip()
        assert "Traceback" not in shown
        assert shown == str(result.error_in_exec)  # the message, and nothing else
        return shown

    return run_cell
