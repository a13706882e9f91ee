"""A real MariaDB for tests, captures and demos: a throwaway server of their own, never the machine's.

The machine may run a MariaDB of its own (on 3306); sqltune's tests never change its settings. They start a
private server instead (:func:`start_server`, shared by the xdist workers through
:mod:`sqltune.testing.services`, stopped when the run ends): a fresh data folder in a temporary directory,
a free port of 127.0.0.1, ``root`` without a password, ``performance_schema`` on (for the digest table)
and the slow query log on with ``long_query_time = 0`` (every statement logged) when asked.

- :func:`server_binaries`: ``mariadbd`` (or ``mysqld``) and ``mariadb-install-db`` (or
  ``mysql_install_db``), from ``$SQLTUNE_MARIADB_BINDIR`` or the ``PATH`` (Debian: ``/usr/sbin``, ``/usr/bin``);
- :func:`start_server`: install a data folder and start a server on it; its :class:`Service` address holds
  ``host``, ``port``, ``user``, ``password``, ``socket``, ``slow_log`` (the slow log's path) and ``url``;
- :func:`wait_until_ready`: connect until the server answers (or its error log says why it will not).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqltune.testing.services import Service, free_port

__all__ = ["Binaries", "server_binaries", "start_server", "wait_until_ready"]

# Durability is worthless for a server deleted at the end of the run.
_SETTINGS = (
    "--skip-log-bin",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-buffer-pool-size=64M",
    "--skip-name-resolve",
    "--performance-schema=ON",
    "--character-set-server=utf8mb4",
)


@dataclass(frozen=True)
class Binaries:
    """A MariaDB installation: the server and the tool that creates a data folder."""

    server: str
    install_db: str


def server_binaries() -> Binaries:
    """The MariaDB to start: ``$SQLTUNE_MARIADB_BINDIR`` if set, else the ``PATH`` plus ``/usr/sbin``."""
    configured = os.environ.get("SQLTUNE_MARIADB_BINDIR")
    search = configured or os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])
    server = shutil.which("mariadbd", path=search) or shutil.which("mysqld", path=search)
    install = shutil.which("mariadb-install-db", path=search) or shutil.which("mysql_install_db", path=search)
    if server is None or install is None:
        raise RuntimeError(
            "no MariaDB server binaries (mariadbd and mariadb-install-db): install Debian's mariadb-server, or "
            "set SQLTUNE_MARIADB_BINDIR to the folder that has them"
        )
    return Binaries(server, install)


def _server_user() -> str | None:
    """The OS user to run MariaDB as: ``None`` (ourselves) unless we are root (then ``mysql``)."""
    if os.geteuid() != 0:
        return None
    for name in ("mysql", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is neither a 'mysql' nor a 'nobody' user to run MariaDB as")


def start_server(*, slow_log: bool = True, binaries: Binaries | None = None) -> Service:
    """Start a throwaway MariaDB (see the module documentation); stop it with ``Service.terminate()``."""
    binaries = binaries or server_binaries()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="sqltune-mariadb-"))
    folder.chmod(0o755)
    data = folder / "data"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    as_user = [f"--user={user}"] if user is not None else []
    install = [binaries.install_db, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal"]
    result = subprocess.run(
        [*install, "--skip-test-db", *as_user], capture_output=True, text=True, timeout=300, cwd=folder
    )
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    socket, error_log, slow = folder / "mysqld.sock", folder / "error.log", folder / "slow.log"
    logging = ["--slow-query-log=1", "--long-query-time=0", f"--slow-query-log-file={slow}"] if slow_log else []
    for attempt in range(3):  # another process may take the free port between choosing and binding it
        port = free_port()
        command = [
            binaries.server,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={socket}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={folder / 'mysqld.pid'}",
            f"--log-error={error_log}",
            *as_user,
            *_SETTINGS,
            *logging,
        ]
        process = subprocess.Popen(
            command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        address = {
            "host": "127.0.0.1",
            "port": port,
            "user": "root",
            "password": "",
            "socket": str(socket),
            "slow_log": str(slow) if slow_log else None,
            "url": f"mariadb://root@127.0.0.1:{port}/",
        }
        service = Service(address, pid=process.pid, folder=str(folder))
        try:
            wait_until_ready(port, process, error_log)
            return service
        except RuntimeError:
            if process.poll() is None:
                service = Service(address, pid=process.pid)
                service.terminate()
            if attempt == 2:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    raise AssertionError("unreachable")


def wait_until_ready(port: int, process: subprocess.Popen[bytes], error_log: Path, timeout_s: float = 60) -> None:
    """Return once the server on ``port`` answers; raise with its error log when it exits or stays silent."""
    import pymysql

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="root", password="", connect_timeout=2).close()
            return
        except pymysql.err.OperationalError:
            time.sleep(0.2)
    detail = error_log.read_text(errors="replace")[-2000:] if error_log.exists() else ""
    raise RuntimeError(f"MariaDB did not start on port {port}: {detail.strip()}")
