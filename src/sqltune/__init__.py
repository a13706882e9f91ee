"""sqltune: make SQL fast and schemas sound.

>>> import sqltune
>>> report = sqltune.lint("SELECT * FROM orders", dialect="postgres")
>>> [finding.code for finding in report]
['SQ001']

The public names are imported on first use, so ``import sqltune`` (and the CLI's start-up, which a warm
cached lint run is mostly made of) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sqltune.core.version import __version__

_EXPORTS = {
    "advise_indexes": "sqltune.indexes.advisor",
    "advise_layout": "sqltune.layout.advisor",
    "design_star_schema": "sqltune.design",
    "analyze": "sqltune.api",
    "check_dbt": "sqltune.api",
    "lint": "sqltune.api",
    "Config": "sqltune.core.config",
    "load_config": "sqltune.core.config",
    "connect": "sqltune.connectors",
    "Finding": "sqltune.core.findings",
    "Fix": "sqltune.core.findings",
    "InputProblem": "sqltune.core.source",
    "Problem": "sqltune.core.source",
    "Report": "sqltune.core.findings",
    "Severity": "sqltune.core.findings",
    "ColumnRole": "sqltune.graph",
    "QueryGraph": "sqltune.graph",
    "rewrite": "sqltune.api",
    "Workload": "sqltune.workload",
    "Schema": "sqltune.schema",
    "take_snapshot": "sqltune.api",
    "compare_snapshots": "sqltune.api",
    "Snapshot": "sqltune.regressions",
    "RegressionReport": "sqltune.regressions",
}

__all__ = [
    "ColumnRole",
    "Config",
    "Finding",
    "Fix",
    "InputProblem",
    "Problem",
    "QueryGraph",
    "RegressionReport",
    "Report",
    "Schema",
    "Severity",
    "Snapshot",
    "Workload",
    "__version__",
    "advise_indexes",
    "advise_layout",
    "analyze",
    "check_dbt",
    "compare_snapshots",
    "connect",
    "design_star_schema",
    "lint",
    "load_config",
    "rewrite",
    "take_snapshot",
]

if TYPE_CHECKING:
    from sqltune.api import analyze, check_dbt, compare_snapshots, lint, rewrite, take_snapshot
    from sqltune.connectors import connect
    from sqltune.core.config import Config, load_config
    from sqltune.core.findings import Finding, Fix, Report, Severity
    from sqltune.core.source import InputProblem, Problem
    from sqltune.design import design_star_schema
    from sqltune.graph import ColumnRole, QueryGraph
    from sqltune.indexes.advisor import advise_indexes
    from sqltune.layout.advisor import advise_layout
    from sqltune.regressions import RegressionReport, Snapshot
    from sqltune.schema import Schema
    from sqltune.workload import Workload


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sqltune``: the ``%sqltune`` and ``%%sqltune`` magics (see :mod:`sqltune.notebook`)."""
    from sqltune.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sqltune``."""
    from sqltune.notebook import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sqltune' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
