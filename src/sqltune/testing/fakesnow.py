"""A fakesnow server for the Snowflake tests, run from a virtual environment of its own.

fakesnow emulates Snowflake on DuckDB, and its server mode answers the HTTP API of Snowflake's connectors.
It pins its own sqlglot and connector versions, which cannot live beside sqltune's, so it gets a separate
virtual environment; the tests then use the real ``snowflake.connector.connect(host=..., port=...,
protocol="http")`` of sqltune's environment, exactly the client code a real account runs.

- :data:`FAKESNOW` and :func:`venv_path`: the version used and where its environment is cached
  (``$SQLTUNE_CACHE`` or ``~/.cache/sqltune``, one folder per version);
- :func:`ensure_venv`: make that environment once (``pip install`` from the package index), under a file lock;
- :func:`start_server`: start a server on a free port of 127.0.0.1; its :class:`Service` address holds
  ``host``, ``port`` and ``protocol`` for ``snowflake.connector.connect``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from filelock import FileLock

from sqltune.testing.services import Service, free_port

__all__ = ["FAKESNOW", "ensure_requirements_venv", "ensure_venv", "start_server", "venv_path"]

FAKESNOW = "0.12.1"
# fakesnow 0.12.1's server imports snowflake.connector, and does not import beside connector 5.x.
_REQUIREMENTS = [f"fakesnow[server]=={FAKESNOW}", "snowflake-connector-python<5"]


def _cache() -> Path:
    return Path(os.environ.get("SQLTUNE_CACHE") or Path.home() / ".cache" / "sqltune")


def venv_path() -> Path:
    return _cache() / f"venv-fakesnow-{FAKESNOW}"


def _python(environment: Path) -> Path:
    return environment / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_venv() -> Path:
    """The Python of a virtual environment holding fakesnow's server, made on first use."""
    return ensure_requirements_venv(f"fakesnow-{FAKESNOW}", _REQUIREMENTS)


def ensure_requirements_venv(name: str, requirements: list[str]) -> Path:
    """The Python of the cached virtual environment ``venv-<name>`` holding ``requirements``, made once (``pip
    install`` from the package index) under a file lock; also used for the other end of the sqlglot window."""
    target = _cache() / f"venv-{name}"
    complete = target / ".complete"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=900):
        if complete.exists():
            return _python(target)
        shutil.rmtree(target, ignore_errors=True)  # a half-made one from an interrupted run
        venv.create(target, with_pip=True, clear=True)
        result = subprocess.run(
            [str(_python(target)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise RuntimeError(f"pip install {' '.join(requirements)} failed: {result.stderr.strip()[-2000:]}")
        complete.write_text(" ".join(requirements) + "\n")
    return _python(target)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_server(timeout_s: float = 60) -> Service:
    """Start ``fakesnow -s`` on a free port; it keeps running after this process exits (another xdist
    worker may still use it) until its :class:`Service` is terminated."""
    python = ensure_venv()
    folder = Path(tempfile.mkdtemp(prefix="sqltune-fakesnow-"))
    port = free_port()
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(python), "-m", "fakesnow", "-s", "--host", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
            start_new_session=True,  # not killed with the worker that started it, nor by its Ctrl-C
        )
    service = Service({"host": "127.0.0.1", "port": port, "protocol": "http"}, pid=process.pid, folder=str(folder))
    deadline = time.monotonic() + timeout_s
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            output = (folder / "server.log").read_text(errors="replace").strip()[-2000:]
            service.terminate()
            raise RuntimeError(f"fakesnow {FAKESNOW} did not start on port {port}: {output}")
        time.sleep(0.1)
    return service
