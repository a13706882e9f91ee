"""What every sqltune operator does with its result: a small JSON summary in XCom, the full report in a file,
a readable report in the task log, and a failed task when the check fails.

A task that fails still leaves its summary in XCom (``return_value``), so a notification task downstream can
say what failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from airflow.sdk.exceptions import AirflowFailException

__all__ = ["fail", "write_text"]


def write_text(path: str | Path, text: str) -> str:
    """Write ``text`` to ``path`` (its folder made as needed); the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return str(target)


def fail(context: Mapping[str, Any], summary: Mapping[str, Any], message: str) -> NoReturn:
    """Push ``summary`` as the task's return value, then fail the task without retries: a failed check does
    not pass on a second try."""
    context["ti"].xcom_push(key="return_value", value=dict(summary))
    raise AirflowFailException(message)
