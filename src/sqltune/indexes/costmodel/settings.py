"""The cost model's constants, and what costing a path needs from its backend.

- :class:`CostSettings`: planner cost constants, PostgreSQL's defaults: ``seq_page_cost`` 1,
  ``random_page_cost`` 4, ``cpu_tuple_cost`` 0.01, ``cpu_index_tuple_cost`` 0.005, ``cpu_operator_cost``
  0.0025, 8 kB pages, B-tree fill factor 0.9, 128 heap pages per BRIN range;
- :class:`CostContext`: those settings plus the (cached) size of an index, as
  :class:`~sqltune.indexes.costmodel.backend.CostModelBackend` provides them to
  :mod:`~sqltune.indexes.costmodel.access` and :mod:`~sqltune.indexes.costmodel.query`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqltune.indexes.model import IndexSpec

__all__ = ["CostContext", "CostSettings"]


@dataclass(frozen=True, slots=True)
class CostSettings:
    """Planner cost constants, PostgreSQL's defaults unless told otherwise."""

    seq_page_cost: float = 1.0
    random_page_cost: float = 4.0
    cpu_tuple_cost: float = 0.01
    cpu_index_tuple_cost: float = 0.005
    cpu_operator_cost: float = 0.0025
    page_size: int = 8192
    fill_factor: float = 0.9
    brin_pages_per_range: int = 128


class CostContext(Protocol):
    """What path costing reads from its backend: the cost constants and an index's size in bytes."""

    @property
    def settings(self) -> CostSettings: ...

    def size(self, index: IndexSpec) -> float: ...
