"""Workloads: what runs, how often and how expensively, from logs, pg_stat_statements, warehouse history
and dbt runs, fingerprinted into query templates and usage statistics that the advisors consume.

- :mod:`~sqltune.workload.fingerprint`: the template key of one execution, without a parse;
- :mod:`~sqltune.workload.model`: :class:`Execution` (what a source reads) and :class:`Template`;
- :mod:`~sqltune.workload.batch`: executions column by column, the large logs' path, folded with numpy;
- :mod:`~sqltune.workload.workload`: the :class:`Workload` (add, merge, filter, save, load, constructors);
- :mod:`~sqltune.workload.usage`: :class:`UsageStats`, per table and column, weighted by calls and time;
- :mod:`~sqltune.workload.sources`: one reader per file format, and sniffing;
- :mod:`~sqltune.workload.ports`: what a live connection provides to read a database's own statistics.
"""

from typing import TYPE_CHECKING, Any

from sqltune.workload.model import Execution, Template
from sqltune.workload.workload import Workload

if TYPE_CHECKING:
    from sqltune.workload.usage import ColumnUsage, TableUsage, UsageStats, Weight

__all__ = ["ColumnUsage", "Execution", "TableUsage", "Template", "UsageStats", "Weight", "Workload"]
_USAGE = {"ColumnUsage", "TableUsage", "UsageStats", "Weight"}


def __getattr__(name: str) -> Any:
    # Usage statistics parse SQL: imported on first use, so that reading a log never loads the parser.
    if name in _USAGE:
        from sqltune.workload import usage

        return getattr(usage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
