"""The dbt step: after ``dbt build``, the slowest models linted and explained, and the regressions since the
previous run, with every finding on the model file people edit (``sqltune dbt``, :func:`sqltune.check_dbt`).

- :mod:`~sqltune.dbt.artifacts`: ``manifest.json`` (v9 to v12) and ``run_results.json`` (v4 to v6) read into
  what the step uses, nothing more;
- :mod:`~sqltune.dbt.compare`: two runs compared: slower, failed, new and removed models;
- :mod:`~sqltune.dbt.model`: :class:`ModelRun`, :class:`Regression` and :class:`DbtReport`;
- :mod:`~sqltune.dbt.ports`: what the step calls on a live database (EXPLAIN, settings, the catalog);
- :mod:`~sqltune.dbt.step`: :func:`check_project`, the step itself.

It sits above the lint pipeline (it lints the models through :mod:`sqltune.linter.dbt`) and below the
reporters; it never imports a connector.
"""

from __future__ import annotations

from sqltune.dbt.artifacts import read_manifest, read_run_results
from sqltune.dbt.compare import compare_runs
from sqltune.dbt.model import REGRESSION_RULES, DbtReport, ModelRun, Regression
from sqltune.dbt.step import check_project

__all__ = [
    "REGRESSION_RULES",
    "DbtReport",
    "ModelRun",
    "Regression",
    "check_project",
    "compare_runs",
    "read_manifest",
    "read_run_results",
]
