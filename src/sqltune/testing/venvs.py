"""Virtual environments of their own for test tools whose pins cannot live beside sqltune's (fakesnow, dbt).

- :func:`venv_path`: where an environment is cached (``$SQLTUNE_CACHE`` or ``~/.cache/sqltune``, one folder
  per name and version);
- :func:`ensure_venv`: make one once (``pip install`` from the package index), under a file lock, and return
  its Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock

__all__ = ["ensure_venv", "executable", "venv_path"]


def venv_path(name: str) -> Path:
    cache = Path(os.environ.get("SQLTUNE_CACHE") or Path.home() / ".cache" / "sqltune")
    return cache / f"venv-{name}"


def executable(environment: Path, name: str = "python") -> Path:
    """A program of the environment (its ``python``, or a console script such as ``dbt``)."""
    return (
        environment
        / ("Scripts" if sys.platform == "win32" else "bin")
        / (name + (".exe" if sys.platform == "win32" else ""))
    )


def ensure_venv(name: str, requirements: Sequence[str], timeout_s: float = 900) -> Path:
    """The folder of virtual environment ``name`` holding ``requirements``, made on first use."""
    target = venv_path(name)
    complete = target / ".complete"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=timeout_s):
        if complete.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)  # a half-made one from an interrupted run
        venv.create(target, with_pip=True, clear=True)
        result = subprocess.run(
            [str(executable(target)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise RuntimeError(f"pip install {' '.join(requirements)} failed: {result.stderr.strip()[-2000:]}")
        complete.write_text(" ".join(requirements) + "\n")
    return target
