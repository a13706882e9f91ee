"""Pipeline checks: snapshots of what a database runs and how, and what got slower between two of them.

- :mod:`~sqltune.regressions.model`: :class:`Snapshot` and its records, saved as versioned JSON;
- :mod:`~sqltune.regressions.select`: which of a workload's templates a snapshot records;
- :mod:`~sqltune.regressions.capture`: a template's record from its plan (cost, shape, relations);
- :mod:`~sqltune.regressions.compare`: :func:`compare_snapshots`, the diff;
- :mod:`~sqltune.regressions.report`: :class:`Regression` findings and the :class:`RegressionReport`.

Taking a snapshot needs a connection (:mod:`sqltune.connectors.postgres.snapshot`,
:mod:`sqltune.connectors.snowflake.snapshot`, and :func:`sqltune.take_snapshot`); comparing works offline.
See ``docs/pipeline-checks.md``.
"""

from sqltune.regressions.compare import Thresholds, compare_snapshots
from sqltune.regressions.model import ClusteringInfo, IndexUsage, Snapshot, TableStatistics, TemplateSnapshot
from sqltune.regressions.report import CODES, Regression, RegressionReport

__all__ = [
    "CODES",
    "ClusteringInfo",
    "IndexUsage",
    "Regression",
    "RegressionReport",
    "Snapshot",
    "TableStatistics",
    "TemplateSnapshot",
    "Thresholds",
    "compare_snapshots",
]
