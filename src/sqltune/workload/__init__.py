"""Workloads: what runs, how often and how expensively, from logs, pg_stat_statements, warehouse history
and dbt runs, fingerprinted into query templates and usage statistics that the advisors consume.

- :mod:`~sqltune.workload.fingerprint`: the template key of one execution, without a parse;
- :mod:`~sqltune.workload.model`: :class:`Execution` (what a source reads) and :class:`Template`;
- :mod:`~sqltune.workload.workload`: the :class:`Workload` (add, merge, filter, save, load, constructors);
- :mod:`~sqltune.workload.usage`: :class:`UsageStats`, per table and column, weighted by calls and time;
- :mod:`~sqltune.workload.sources`: one reader per file format, and sniffing;
- :mod:`~sqltune.workload.ports`: what a live connection provides to read a database's own statistics.
"""

from sqltune.workload.model import Execution, Template
from sqltune.workload.usage import ColumnUsage, TableUsage, UsageStats, Weight
from sqltune.workload.workload import Workload

__all__ = ["ColumnUsage", "Execution", "TableUsage", "Template", "UsageStats", "Weight", "Workload"]
