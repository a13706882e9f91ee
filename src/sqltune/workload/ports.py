"""What the workload layer asks of a live database connection: the connectors implement it, the workload
never imports a connector (or a driver).

``read_workload(source=..., **options)`` yields the same records as a file reader: an
:class:`~sqltune.workload.model.Execution` per statement the database reports (aggregated rows carry their
``calls``), and an :class:`~sqltune.core.source.InputProblem` for a row it could not read. Warehouses group by
their own parameterized hash in SQL before anything leaves the warehouse (see ``docs/workload.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from sqltune.core.source import InputProblem
from sqltune.workload.model import Execution

__all__ = ["WorkloadConnection"]


class WorkloadConnection(Protocol):
    @property
    def dialect(self) -> str:
        """The sqlglot dialect of the statements it reports (``postgres``, ``mysql``, ``snowflake``, ...)."""
        ...

    def read_workload(self, **options: Any) -> Iterator[Execution | InputProblem]:
        """The database's statements as workload records; ``source=`` names the view when it has several."""
        ...

    def describe_workload(self, **options: Any) -> str:
        """What :meth:`read_workload` reads, for the workload's list of sources (no credentials)."""
        ...
