"""The daily pipeline check (docs/airflow.md): snapshot the database, compare with yesterday's snapshot, lint.

1. ``snapshot`` records the hottest templates of the database behind Airflow connection
   ``sqltune_conn_id``, their plans, index usage and table statistics into ``<snapshot_dir>/<ds_nodash>``;
2. ``regressions`` compares it with the previous run's snapshot (the folder before it in ``snapshot_dir``)
   and fails, with the report in its log, when a plan got worse, a template got slower or an index went
   unused or missing;
3. ``lint`` lints the SQL the pipeline runs and fails on errors.

Settings are Airflow Variables (``AIRFLOW_VAR_<NAME>`` in the environment works too), each with a default:

=======================  ======================================================================================
``sqltune_conn_id``      the connection to check (type postgres or snowflake), ``sqltune_postgres``
``sqltune_snapshot_dir`` where the snapshots go, one folder per run, ``/var/lib/sqltune/snapshots``
``sqltune_workload``     files to read the workload from; empty for ``pg_stat_statements`` (the default)
``sqltune_sql_dir``      the SQL files to lint, ``/opt/airflow/sql``
``sqltune_dialect``      their dialect, ``postgres``
=======================  ======================================================================================
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from sqltune.integrations.airflow import SqlTuneLintOperator, SqlTuneRegressionOperator, SqlTuneSnapshotOperator


def setting(name: str, default: str) -> str:
    """A template that reads Airflow Variable ``name`` at run time (not when the DAG file is parsed)."""
    return "{{ var.value.get('" + name + "', '" + default + "') }}"


with DAG(
    dag_id="sqltune_daily_check",
    description="sqltune: plan and time regressions since yesterday, and lint",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sqltune"],
) as dag:
    snapshot = SqlTuneSnapshotOperator(
        task_id="snapshot",
        conn_id=setting("sqltune_conn_id", "sqltune_postgres"),
        out_dir=setting("sqltune_snapshot_dir", "/var/lib/sqltune/snapshots") + "/{{ ds_nodash }}",
        workload=setting("sqltune_workload", ""),
        schemas=setting("sqltune_schemas", ""),  # comma-separated; empty: every schema
        top=50,
    )
    regressions = SqlTuneRegressionOperator(
        task_id="regressions",
        new="{{ ti.xcom_pull(task_ids='snapshot')['path'] }}",
        fail_on_regression=True,
        time_factor=1.5,
        min_mean_ms=1.0,
    )
    lint = SqlTuneLintOperator(
        task_id="lint",
        paths=setting("sqltune_sql_dir", "/opt/airflow/sql"),
        dialect=setting("sqltune_dialect", "postgres"),
        fail_on="error",
    )
    snapshot >> regressions >> lint
