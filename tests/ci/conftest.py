"""Fixtures of the CI-integration tests: a fresh copy of the fixture project as the working directory."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib, which puts no test folder on sys.path; the test modules here
# share helpers through ci_support, so its folder is added once, before any of them is imported.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ci_support import PROJECT


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of ``tests/ci/data/project`` as the working directory, with a private cache and no
    GitHub Actions variables from the environment running the tests."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SQLTUNE_CACHE_DIR", str(tmp_path / "cache"))
    for name in list(os.environ):
        if name.startswith("GITHUB_"):
            monkeypatch.delenv(name)
    yield root
