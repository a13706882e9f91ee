"""Which snapshot a new one is compared with when the DAG names none: the one before it in the same folder.

The snapshot operator writes one folder per run under a common parent (``.../snapshots/{{ ds_nodash }}``),
named so that they sort by time; the previous run's snapshot is the sibling whose name sorts last before the
new one's, among the folders holding a ``snapshot.json``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SNAPSHOT_FILE", "previous_snapshot"]

SNAPSHOT_FILE = "snapshot.json"


def previous_snapshot(new: str | Path) -> Path | None:
    """The snapshot folder beside ``new`` whose name sorts last before ``new``'s; ``None`` on a first run.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("20240101", "20240102", "20240103", "notes"):
    ...     (root / name).mkdir()
    >>> for name in ("20240101", "20240102", "20240103"):
    ...     _ = (root / name / SNAPSHOT_FILE).write_text("{}")
    >>> previous_snapshot(root / "20240103").name, previous_snapshot(root / "20240101")
    ('20240102', None)
    """
    folder = Path(new)
    if folder.name == SNAPSHOT_FILE:
        folder = folder.parent
    earlier = [
        sibling
        for sibling in folder.parent.iterdir()
        if sibling.name < folder.name and (sibling / SNAPSHOT_FILE).is_file()
    ]
    return max(earlier, key=lambda sibling: sibling.name, default=None)
