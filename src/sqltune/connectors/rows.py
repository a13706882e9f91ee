"""Warehouse rows as workload records: what the Snowflake and BigQuery workload readers share.

- :func:`moment`: a timestamp cell as a tz-aware datetime (drivers return datetimes, recorded rows ISO text);
- :func:`records`: rows mapped to :class:`~sqltune.workload.model.Execution` records, a row that cannot be
  read becoming an :class:`~sqltune.core.source.InputProblem` naming the view and row, the rest still loading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqltune.core.source import InputProblem
from sqltune.workload.model import Execution

__all__ = ["moment", "records"]


def moment(value: Any) -> datetime | None:
    """A timestamp as a driver returns it (a datetime), or as recorded rows hold it (ISO 8601); naive is UTC."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def records(
    rows: Iterable[Mapping[str, Any]], to_execution: Callable[[Mapping[str, Any]], Execution], where: str
) -> Iterator[Execution | InputProblem]:
    """``to_execution`` of each row; its ``ValueError`` (or a missing key) is a problem naming ``where`` and
    the row number."""
    for number, row in enumerate(rows, 1):
        try:
            yield to_execution(row)
        except (KeyError, TypeError, ValueError) as error:
            yield InputProblem(where, f"row {number}: {error}; row skipped", number, 0)
