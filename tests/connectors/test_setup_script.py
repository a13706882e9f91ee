"""``.ci/setup-postgres.sh``: valid bash, and harmless where there is no Debian cluster to set up."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "setup-postgres.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the CI setup script is a bash script")


def test_script_is_valid_bash_and_executable() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert os.access(SCRIPT, os.X_OK)


def test_without_a_debian_cluster_it_defers_to_the_embedded_server() -> None:
    # Version 99 exists nowhere: the same branch a laptop without Debian's PostgreSQL takes.
    result = subprocess.run(
        ["bash", str(SCRIPT)], env={**os.environ, "PG_VERSION": "99"}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "no Debian PostgreSQL 99/main cluster here; the tests will use the embedded server." in result.stdout
