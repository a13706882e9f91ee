"""Progress on standard error for long runs: a rich bar while stderr is a terminal, nothing otherwise.

Every command draws its bar here (``workload`` reading logs, ``indexes`` going through its phases, ``fix``
and ``explain`` over many files), so that they look and behave alike: drawn on stderr only when it is a
terminal (a pipe, a log file or CI gets the results alone, as before), erased when the work is done, never
mixed into stdout. Messages printed on stderr meanwhile appear above the bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqltune.indexes.progress import Progress

__all__ = ["byte_progress", "item_progress", "on_terminal", "phase_progress"]


def on_terminal() -> bool:
    """True when stderr is a terminal someone watches."""
    return sys.stderr.isatty()


@contextmanager
def _bar(*columns: Any) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(*columns, transient=True, console=Console(stderr=True)) as bar:
        yield bar


@contextmanager
def byte_progress(sources: tuple[str, ...]) -> Iterator[Callable[[int], None] | None]:
    """A bar counting the bytes the workload readers went through (``None`` off a terminal)."""
    if not on_terminal():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn, TransferSpeedColumn

    total = sum(_size(Path(source)) for source in sources if Path(source).exists())
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with _bar(*columns, TimeRemainingColumn()) as bar:
        task = bar.add_task("reading", total=total or None)
        yield lambda position: bar.update(task, completed=position)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _step_columns() -> tuple[Any, ...]:
    from rich.progress import BarColumn, ProgressColumn, Task, TimeElapsedColumn
    from rich.text import Text

    class Steps(ProgressColumn):
        """``12/99`` when the steps are known, ``473`` (what-if calls so far) when not, nothing before one."""

        def render(self, task: Task) -> Text:
            if task.total:
                return Text(f"{task.completed:.0f}/{task.total:.0f}", style="progress.download")
            return Text(f"{task.completed:.0f}" if task.completed else "", style="progress.download")

    return ("[progress.description]{task.description}", BarColumn(), Steps(), TimeElapsedColumn())


class _Phases:
    """The index advisor's :class:`~sqltune.indexes.progress.Progress` as one bar a phase."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._task: Any = None

    def phase(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(name, total=total)
        self._bar.refresh()  # every phase is seen, even one shorter than a refresh

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)


@contextmanager
def phase_progress() -> Iterator[Progress | None]:
    """A bar for each phase the advisor reports, with its steps (``None`` off a terminal)."""
    if not on_terminal():
        yield None
        return
    with _bar(*_step_columns()) as bar:
        yield _Phases(bar)


@contextmanager
def item_progress(total: int, what: str) -> Iterator[Callable[[str], None]]:
    """``start(name)`` as each of ``total`` items begins: the bar says ``what`` and the item at work and counts
    those done. Nothing is drawn off a terminal, or for a single item."""
    if total < 2 or not on_terminal():
        yield lambda name: None
        return
    with _bar(*_step_columns()) as bar:
        task = bar.add_task(what, total=total)
        started = 0

        def start(name: str) -> None:
            nonlocal started
            bar.update(task, completed=started, description=f"{what} {name}")
            bar.refresh()  # each item is named, even one done between two refreshes
            started += 1

        yield start
