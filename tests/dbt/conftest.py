"""Fixtures of the dbt step's tests: a copy of the step's project with the recorded artifacts of one schema
version in its target/, and the previous run's results beside it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path; the test modules here
# share paths through dbt_support, so its folder is added once, before any of them is imported.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbt_support import OVERLAY, PROJECT, RUNS, Recorded

from sqltune.testing.dbt import project_with


@pytest.fixture
def recorded(tmp_path: Path) -> Recorded:
    def make(version: str = "v12-v6") -> tuple[Path, Path]:
        project = project_with(PROJECT, OVERLAY, tmp_path / version / "shop")
        shutil.copytree(RUNS / version / "target", project / "target")
        previous = tmp_path / version / "previous"
        shutil.copytree(RUNS / version / "previous", previous)
        return project, previous / "run_results.json"

    return make
