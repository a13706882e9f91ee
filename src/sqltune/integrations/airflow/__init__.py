"""The Apache Airflow provider: sqltune's checks as tasks of a DAG (docs/airflow.md).

Airflow finds it through the ``apache_airflow_provider`` entry point, which names :func:`get_provider_info`;
importing this package never imports Airflow, so that discovery stays cheap. The operators and the hook are
imported on first use:

- :class:`~sqltune.integrations.airflow.operators.snapshot.SqlTuneSnapshotOperator`: record a snapshot of a
  database's hottest templates, their plans, index usage and table statistics into a folder;
- :class:`~sqltune.integrations.airflow.operators.regression.SqlTuneRegressionOperator`: compare two snapshots
  and fail the task on regressions;
- :class:`~sqltune.integrations.airflow.operators.lint.SqlTuneLintOperator`: lint SQL files;
- :class:`~sqltune.integrations.airflow.hooks.SqlTuneHook`: a read-only sqltune connection from an Airflow
  connection id, its credentials read through Airflow's Postgres or Snowflake hook.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sqltune.integrations.airflow.provider import get_provider_info

__all__ = [
    "SqlTuneHook",
    "SqlTuneLintOperator",
    "SqlTuneRegressionOperator",
    "SqlTuneSnapshotOperator",
    "get_provider_info",
]

_LAZY = {
    "SqlTuneHook": "sqltune.integrations.airflow.hooks",
    "SqlTuneLintOperator": "sqltune.integrations.airflow.operators.lint",
    "SqlTuneRegressionOperator": "sqltune.integrations.airflow.operators.regression",
    "SqlTuneSnapshotOperator": "sqltune.integrations.airflow.operators.snapshot",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
