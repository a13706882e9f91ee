"""Helpers of the CI-integration tests: the CLI in-process, git in a temporary repository, snapshots."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

import sqltune.cli.baseline  # noqa: F401  (registers `sqltune baseline` until the lead imports it in sqltune.cli)
from sqltune.cli import main

DATA = Path(__file__).parent / "data"
PROJECT = DATA / "project"
SNAPSHOTS = Path(__file__).parent.parent / "snapshots"


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """``sqltune ARGS`` in this process; stdout and stderr apart (click 8.2+)."""
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def snapshot(name: str, actual: str) -> None:
    """Compare with ``tests/snapshots/<name>``; ``SQLTUNE_UPDATE_SNAPSHOTS=1`` (re)writes it instead."""
    path = SNAPSHOTS / name
    if os.environ.get("SQLTUNE_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"snapshot {path} is missing; run with SQLTUNE_UPDATE_SNAPSHOTS=1, review and commit it"
    assert actual == path.read_text(encoding="utf-8"), f"output differs from snapshot {path}"
