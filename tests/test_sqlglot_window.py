"""The whole sqlglot window: the suite runs on one end of ``SUPPORTED_SQLGLOT`` (whatever this environment
holds); this test runs the parsing- and rules-relevant subset on the *other* end, pure-Python sqlglot in a
virtual environment of its own (cached like fakesnow's, made on first use), against this checkout's code.

Together the two cover the lowest and the highest sqlglot that ``pyproject.toml`` accepts; a plain install on
the platforms where ``sqlglotc`` has wheels gets the lowest (sqlglotc pins sqlglot==30.30.0).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqltune.core.sqlglot import SUPPORTED_SQLGLOT, sqlglot_version
from sqltune.testing import venvs

ROOT = Path(__file__).resolve().parents[1]
#: Tests that exercise parsing and every rule without a database (no fixture of tests/conftest.py).
SUBSET = [
    "tests/test_parsing.py",
    "tests/test_migrations.py",
    "tests/test_precision.py",
    "tests/rules",
    "tests/test_dialects.py",
]


def _other_end() -> tuple[int, int]:
    (low, high) = SUPPORTED_SQLGLOT
    highest = (high[0], high[1] - 1)
    return highest if sqlglot_version() == low else low


def test_subset_passes_on_the_other_end_of_the_window() -> None:
    major, minor = _other_end()
    requirement = f"sqlglot>={major}.{minor},<{major}.{minor + 1}"
    python = venvs.executable(
        venvs.ensure_venv(
            f"sqlglot-{major}.{minor}",
            [requirement, "networkx>=3.2", "numpy>=1.26", "click>=8.1", "rich>=13", "pytest>=8", "hypothesis"],
        )
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "-o",
            "addopts=",
            "--import-mode=importlib",
            *SUBSET,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    version = subprocess.run(
        [str(python), "-c", "import sqlglot; print(sqlglot.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version.startswith(f"{major}.{minor}."), version
    assert done.returncode == 0, f"sqlglot {version}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
