"""One throwaway server per test run, shared by every pytest-xdist worker, stopped when the run ends.

A *service* is a server process a test run starts for itself (a PostgreSQL, a fakesnow). Workers share it
through a folder every process of the run can see (:func:`run_folder`); the first worker to ask starts it
under a file lock and writes what it started to ``<name>.json`` there, the others read that file. The
process that owns the run (the xdist controller, or the only process without xdist) calls
:func:`stop_services` at the end of the session; a service started outside pytest is stopped ``atexit``.

- :class:`Service`: what a started service tells the others (its address) and how to stop it;
- :func:`free_port`: a port of 127.0.0.1 for a new server;
- :func:`as_user`: ``subprocess`` arguments that run a command as another OS user (servers refuse root);
- :func:`shared_service`: the service of this run, started at most once;
- :func:`stop_services`: stop every service recorded in a run's folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

__all__ = ["Service", "as_user", "free_port", "shared_service", "stop_services"]


@dataclass(frozen=True)
class Service:
    """A started server: ``address`` is what clients need (a DSN, a port...). To stop it, ``stop`` is run
    (as OS ``user``) if given (``pg_ctl stop``), else ``pid`` is sent SIGTERM; then ``folder`` (its data) is
    deleted."""

    address: dict[str, Any]
    pid: int | None = None
    stop: list[str] = field(default_factory=list)
    folder: str | None = None
    user: str | None = None

    def terminate(self) -> None:
        if self.stop:
            cwd = self.folder if self.folder and os.path.isdir(self.folder) else "/"
            subprocess.run(self.stop, check=False, capture_output=True, timeout=60, cwd=cwd, **as_user(self.user))
        elif self.pid is not None:
            _terminate(self.pid)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_user(user: str | None) -> dict[str, Any]:
    """Keyword arguments for :func:`subprocess.run` that run the command as OS ``user`` (``None``: as we are)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _terminate(pid: int, grace_s: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # our own child (no xdist): reap it, or it lingers as a zombie that kill(pid, 0) still finds
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def shared_service(folder: Path, name: str, start: Callable[[], Service]) -> Service:
    """The run's service ``name``: read from ``folder/<name>.json``, or started by ``start()`` (under a file
    lock, so concurrent workers start it once) and recorded there for the others and for
    :func:`stop_services`. A failed start is recorded too, so every worker reports it without retrying."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{name}.json"
    with FileLock(str(record) + ".lock", timeout=600):
        if record.exists():
            state = json.loads(record.read_text())
            if "error" in state:
                raise RuntimeError(state["error"])
            return Service(**state)
        try:
            service = start()
        except Exception as error:
            record.write_text(json.dumps({"error": f"{name} did not start: {error}"}))
            raise
        record.write_text(json.dumps(asdict(service)))
        return service


def stop_services(folder: Path) -> list[str]:
    """Stop every service recorded in ``folder`` (see :func:`shared_service`); their names."""
    stopped = []
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        with FileLock(str(record) + ".lock", timeout=600):
            state = json.loads(record.read_text())
            record.unlink()
        if "error" not in state:
            Service(**state).terminate()
            stopped.append(record.stem)
    return stopped
