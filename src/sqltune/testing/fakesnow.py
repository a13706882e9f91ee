"""A fakesnow server for the Snowflake tests, run from a virtual environment of its own.

fakesnow emulates Snowflake on DuckDB, and its server mode answers the HTTP API of Snowflake's connectors.
It pins its own sqlglot and connector versions, which cannot live beside sqltune's, so it gets a separate
virtual environment; the tests then use the real ``snowflake.connector.connect(host=..., port=...,
protocol="http")`` of sqltune's environment, exactly the client code a real account runs.

- :data:`FAKESNOW` and :func:`venv_path`: the version used and where its environment is cached
  (``$SQLTUNE_CACHE`` or ``~/.cache/sqltune``, one folder per version);
- :func:`ensure_venv`: make that environment once (``pip install`` from the package index), under a file lock;
- :func:`start_server`: start a server on a free port of 127.0.0.1; its :class:`Service` address holds
  ``host``, ``port`` and ``protocol`` for ``snowflake.connector.connect``;
- :data:`QUERY_HISTORY_COLUMNS`: the columns of ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` sqltune reads, to
  create the view as a table in fakesnow and seed it.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqltune.testing import venvs
from sqltune.testing.services import Service, free_port

__all__ = ["FAKESNOW", "QUERY_HISTORY_COLUMNS", "ensure_venv", "start_server", "venv_path"]

FAKESNOW = "0.12.1"
#: ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY``'s columns that sqltune reads, with Snowflake's types.
QUERY_HISTORY_COLUMNS = {
    "query_id": "VARCHAR",
    "query_text": "VARCHAR",
    "database_name": "VARCHAR",
    "schema_name": "VARCHAR",
    "query_type": "VARCHAR",
    "user_name": "VARCHAR",
    "role_name": "VARCHAR",
    "warehouse_name": "VARCHAR",
    "warehouse_size": "VARCHAR",
    "query_tag": "VARCHAR",
    "execution_status": "VARCHAR",
    "total_elapsed_time": "NUMBER(38,0)",
    "compilation_time": "NUMBER(38,0)",
    "execution_time": "NUMBER(38,0)",
    "queued_provisioning_time": "NUMBER(38,0)",
    "queued_overload_time": "NUMBER(38,0)",
    "bytes_scanned": "NUMBER(38,0)",
    "percentage_scanned_from_cache": "FLOAT",
    "rows_produced": "NUMBER(38,0)",
    "partitions_scanned": "NUMBER(38,0)",
    "partitions_total": "NUMBER(38,0)",
    "bytes_spilled_to_local_storage": "NUMBER(38,0)",
    "bytes_spilled_to_remote_storage": "NUMBER(38,0)",
    "query_parameterized_hash": "VARCHAR",
    "start_time": "TIMESTAMP_LTZ",
}
# fakesnow 0.12.1's server imports snowflake.connector, and does not import beside connector 5.x.
_REQUIREMENTS = [f"fakesnow[server]=={FAKESNOW}", "snowflake-connector-python<5"]


def venv_path() -> Path:
    return venvs.venv_path(f"fakesnow-{FAKESNOW}")


def ensure_venv() -> Path:
    """The Python of a virtual environment holding fakesnow's server, made on first use."""
    return venvs.executable(venvs.ensure_venv(f"fakesnow-{FAKESNOW}", _REQUIREMENTS))


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
