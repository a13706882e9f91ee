"""A workload saved by sqltune (``sqltune workload --out FILE.json``): aggregated templates, loaded whole by
:meth:`sqltune.workload.Workload.load`; listed here so that sniffing recognises it among the sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqltune.core.source import InputProblem
from sqltune.workload.model import WORKLOAD_FORMAT, Execution

__all__ = ["read", "sniff"]


def sniff(name: str, path: Path, head: str) -> bool:
    return path.is_file() and f'"format": "{WORKLOAD_FORMAT}"' in head[:200]


def read(path: Path, name: str, **options: Any) -> Iterator[Execution | InputProblem]:
    raise ValueError(f"{path}: a saved workload holds templates, not executions; load it with Workload.load()")
