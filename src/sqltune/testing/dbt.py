"""dbt for the workload tests: a virtual environment of its own, a profile for a PostgreSQL DSN, one build.

dbt-core pins its own versions of many libraries (protobuf, networkx, ...), so it runs from a virtual
environment of its own, like fakesnow (:mod:`sqltune.testing.venvs`). The tests build the small project in
``fixtures/workloads/dbt/project`` against the suite's PostgreSQL and read the fresh ``target/`` artifacts.

- :data:`REQUIREMENTS`: the dbt versions used (dbt-core 1.11+ builds a parser from source, so the last
  release line that installs from wheels);
- :func:`ensure_dbt`: the ``dbt`` program, its environment made on first use;
- :data:`SNOWFLAKE_REQUIREMENTS` and :func:`ensure_dbt_snowflake`: dbt with dbt-snowflake, in an environment
  of its own (it pins its own Snowflake connector), which the designer's tests point at the fakesnow server;
- :func:`write_profile`: a ``profiles.yml`` for a libpq DSN and a schema;
- :func:`build`: ``dbt build`` of a project into a target folder (``--vars`` when given); the completed process;
- :func:`project_with`: a copy of a project with more files laid over it (a model added for one test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "PROFILE",
    "REQUIREMENTS",
    "SNOWFLAKE_REQUIREMENTS",
    "build",
    "ensure_dbt",
    "ensure_dbt_snowflake",
    "project_with",
    "write_profile",
]

REQUIREMENTS = ["dbt-core>=1.8,<1.11", "dbt-postgres>=1.8,<1.10"]
SNOWFLAKE_REQUIREMENTS = ["dbt-core>=1.8,<1.11", "dbt-snowflake>=1.8,<1.11"]
#: The profile name the fixture project uses.
PROFILE = "sqltune_test"


def ensure_dbt() -> Path:
    """The ``dbt`` program of a virtual environment holding dbt-core and dbt-postgres."""
    from sqltune.testing import venvs

    return venvs.executable(venvs.ensure_venv("dbt-" + REQUIREMENTS[0].split(",")[-1].lstrip("<"), REQUIREMENTS), "dbt")


def ensure_dbt_snowflake() -> Path:
    """The ``dbt`` program of a virtual environment holding dbt-core and dbt-snowflake."""
    from sqltune.testing import venvs

    name = "dbt-snowflake-" + SNOWFLAKE_REQUIREMENTS[1].split(",")[-1].lstrip("<")
    return venvs.executable(venvs.ensure_venv(name, SNOWFLAKE_REQUIREMENTS), "dbt")


def write_profile(folder: Path, dsn: str, schema: str) -> Path:
    """``folder/profiles.yml`` with profile :data:`PROFILE` for PostgreSQL ``dsn`` (libpq key=value), writing
    into ``schema``."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    lines = [
        f"{PROFILE}:",
        "  target: test",
        "  outputs:",
        "    test:",
        "      type: postgres",
        f"      host: {params.get('host') or '127.0.0.1'}",
        f"      port: {int(params.get('port') or 5432)}",
        f"      user: {params.get('user') or 'postgres'}",
        f'      password: "{params.get("password") or ""}"',
        f"      dbname: {params.get('dbname') or 'postgres'}",
        f"      schema: {schema}",
        "      threads: 1",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build(
    project: Path,
    dsn: str,
    schema: str,
    work: Path,
    timeout_s: float = 120,
    variables: Mapping[str, object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of a copy of ``project`` (dbt writes beside the project) in ``work``, into ``schema``, with
    the project's ``variables`` set (``--vars``); artifacts in ``work/project/target``."""
    copy = work / "project"
    shutil.copytree(project, copy, dirs_exist_ok=True)
    profiles = write_profile(work / "profiles", dsn, schema).parent
    environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    command = [str(ensure_dbt()), "build", "--profiles-dir", str(profiles), "--project-dir", str(copy)]
    if variables:
        command += ["--vars", json.dumps(dict(variables))]
    return subprocess.run(
        command,
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=environment,
    )


def project_with(project: Path, extra: Path, folder: Path) -> Path:
    """A copy of ``project`` in ``folder`` with every file under ``extra`` added at the same relative path."""
    shutil.copytree(project, folder, dirs_exist_ok=True)
    for path in extra.rglob("*"):
        if path.is_file():
            (folder / path.relative_to(extra)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / path.relative_to(extra))
    return folder
