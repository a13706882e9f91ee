"""``.ci/setup-packages.sh``: valid bash that installs packages and never touches a server of the machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parents[2] / ".ci"
SCRIPT = CI / "setup-packages.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the CI setup script is a bash script")

# What reconfigures or restarts a server: the suite starts its own and must never do any of this.
SERVER_CONTROL = re.compile(r"pg_ctlcluster|pg_ctl\b|ALTER SYSTEM|systemctl|service postgresql|psql|postgresql\.conf")


def test_script_is_valid_bash_and_executable() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert os.access(SCRIPT, os.X_OK)


@pytest.mark.parametrize("script", [SCRIPT, CI / "run"])
def test_ci_never_controls_a_server(script: Path) -> None:
    code = "\n".join(line for line in script.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert not SERVER_CONTROL.search(code), SERVER_CONTROL.search(code)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="Debian's package tools are not here")
def test_installed_packages_are_left_alone() -> None:
    installed = subprocess.run(
        [
            "dpkg-query",
            "-W",
            "-f=${Package} ${Status}\\n",
            "postgresql-*-hypopg",
            "mariadb-server",
            "pgbadger",
            "percona-toolkit",
            "openjdk-17-jre-headless",
            "chromium",
        ],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    ready = [line.split()[0] for line in installed if line.endswith("install ok installed")]
    hypopg = [name for name in ready if name.endswith("-hypopg")]
    if len(ready) < 6 or not hypopg:
        pytest.skip(f"not every package the script installs is here (found {ready}); .ci/run installs them")
    version = hypopg[0].split("-")[1]
    result = subprocess.run(
        ["bash", str(SCRIPT)], env={**os.environ, "PG_VERSION": version}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"setup-packages: {name} already installed"
        for name in (
            f"postgresql-{version}-hypopg",
            "mariadb-server",
            "pgbadger",
            "percona-toolkit",
            "openjdk-17-jre-headless",
            "chromium",
        )
    ]
