"""Airflow for the provider's tests: a virtual environment of its own, sqltune built into it, one Airflow home.

Airflow pins much of what it depends on, so it runs from a virtual environment of its own, like dbt and
fakesnow (:mod:`sqltune.testing.venvs`): Airflow, its Postgres provider, hatchling and sqltune's own
dependencies, made once and cached (about a minute and 500 MB). sqltune itself is built from the work tree
into a folder of the test session (:func:`install_sqltune`: a real wheel install, so Airflow discovers the
provider through its entry point), put on ``PYTHONPATH``.

- :data:`AIRFLOW`, :func:`requirements`: the versions used;
- :func:`ensure_airflow`: the environment, made on first use;
- :func:`install_sqltune`: sqltune built and installed into a folder for ``PYTHONPATH``;
- :class:`AirflowHome`: ``AIRFLOW_HOME`` in a folder (SQLite metadata database, ``airflow db migrate`` run
  once), the ``airflow`` program with a clean environment, ``airflow dags test``, the XCom table.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AIRFLOW", "AirflowHome", "ensure_airflow", "install_sqltune", "requirements"]

#: The Airflow release the provider is tested with, and its Postgres provider.
AIRFLOW = "3.3.2"
POSTGRES_PROVIDER = "7.1.1"


def requirements(repo: Path) -> list[str]:
    """What the environment holds: Airflow, the Postgres provider, hatchling (to build sqltune without
    fetching it per run) and sqltune's dependencies with its ``postgres`` extra, read from ``pyproject.toml``."""
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    own = [*project["dependencies"], *project["optional-dependencies"]["postgres"]]
    return [
        f"apache-airflow=={AIRFLOW}",
        f"apache-airflow-providers-postgres=={POSTGRES_PROVIDER}",
        "hatchling>=1.24",
        *own,
    ]


def ensure_airflow(repo: Path) -> Path:
    """The folder of a virtual environment holding :func:`requirements`, made on first use (named by their
    digest, so a change of sqltune's dependencies makes a new one)."""
    from sqltune.testing import venvs

    wanted = requirements(repo)
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:10]
    return venvs.ensure_venv(f"airflow-{AIRFLOW}-{digest}", wanted)


def install_sqltune(environment: Path, repo: Path, target: Path, timeout_s: float = 300) -> Path:
    """Build sqltune from ``repo`` with the environment's hatchling and install it, without dependencies, into
    ``target`` (a folder for ``PYTHONPATH``: the package and its ``dist-info`` with the entry points)."""
    from sqltune.testing import venvs

    command = [str(venvs.executable(environment)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps", "--no-build-isolation", "--no-index", "--target", str(target), str(repo)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"installing sqltune into {target} failed: {result.stderr.strip()[-2000:]}")
    return target


@dataclass(frozen=True)
class AirflowHome:
    """An Airflow home: ``home/airflow.db`` (SQLite), ``home/dags``; ``site`` holds sqltune (``PYTHONPATH``)."""

    environment: Path
    home: Path
    site: Path

    @property
    def dags(self) -> Path:
        return self.home / "dags"

    @property
    def database(self) -> Path:
        return self.home / "airflow.db"

    @classmethod
    def create(cls, environment: Path, home: Path, site: Path) -> AirflowHome:
        """Make the home and its metadata database (``airflow db migrate``)."""
        made = cls(environment, home, site)
        made.dags.mkdir(parents=True, exist_ok=True)
        result = made.airflow("db", "migrate", timeout_s=300)
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed: {(result.stdout + result.stderr)[-3000:]}")
        return made

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of an ``airflow`` command: this home's settings, none inherited from the caller's
        (``AIRFLOW*``, ``PYTHONPATH``), then ``extra`` (connections as ``AIRFLOW_CONN_*``, the DAG's settings)."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "PYTHONPATH"}
        return {
            **inherited,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.database}",
            "PYTHONPATH": str(self.site),
            **(extra or {}),
        }

    def airflow(
        self, *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the environment's ``airflow`` program in this home."""
        from sqltune.testing import venvs

        return subprocess.run(
            [str(venvs.executable(self.environment, "airflow")), *args],
            cwd=self.home,
            env=self.environ(env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def dags_test(
        self, dag_id: str, logical_date: str, env: Mapping[str, str] | None = None, timeout_s: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """``airflow dags test DAG_ID LOGICAL_DATE``: one run of the DAG in this process, no scheduler; the
        task logs go to its output."""
        return self.airflow("dags", "test", dag_id, logical_date, env=env, timeout_s=timeout_s)

    def xcoms(self, dag_id: str) -> list[dict[str, Any]]:
        """Every XCom of ``dag_id``'s runs, from the metadata database: ``day`` (the run's logical date,
        ``YYYY-MM-DD``), ``task_id``, ``key``, ``raw`` (the stored text) and ``value`` (decoded)."""
        rows = self._query(
            "SELECT substr(r.logical_date, 1, 10), x.task_id, x.key, x.value FROM xcom x"
            " JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id WHERE x.dag_id = ? ORDER BY x.timestamp",
            dag_id,
        )
        return [
            {"day": day, "task_id": task, "key": key, "raw": raw, "value": json.loads(raw) if raw else None}
            for day, task, key, raw in rows
        ]

    def task_states(self, dag_id: str) -> dict[tuple[str, str], str]:
        """``(day, task_id) -> state`` of every task instance of ``dag_id`` (day: the run's logical date)."""
        rows = self._query(
            "SELECT substr(r.logical_date, 1, 10), t.task_id, t.state FROM task_instance t"
            " JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id WHERE t.dag_id = ?",
            dag_id,
        )
        return {(day, task): state for day, task, state in rows}

    def _query(self, sql: str, *params: Any) -> list[Any]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def dump(self) -> str:
        """Every text value of the metadata database's tables, for a search for secrets."""
        with sqlite3.connect(self.database) as connection:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return "\n".join(
                repr(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"').fetchall()
            )
