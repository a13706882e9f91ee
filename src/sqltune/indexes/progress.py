"""How the index advisor says what it is doing, for a surface to show: a port, not a display.

A long advice (a hundred queries, thousands of what-if calls, runtime validation) goes through phases; the
advisor names each one as it starts, with its number of steps when known, and counts the steps done. The
command line draws a bar from these calls (``sqltune.cli.progress``); the advisor itself never prints and
never imports a terminal library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

__all__ = ["CANDIDATES", "PLANNING", "READING", "REPORTING", "SELECTING", "VALIDATING", "Progress", "Silent", "each"]

T = TypeVar("T")

#: The advisor's phases, in the order they run (selection and validation may repeat).
READING = "reading the workload"
PLANNING = "planning the queries"
CANDIDATES = "generating candidates"
SELECTING = "choosing indexes (what-if calls)"
VALIDATING = "validating"
REPORTING = "writing the plan"


class Progress(Protocol):
    """What the advisor reports as it works."""

    def phase(self, name: str, total: int | None = None) -> None:
        """A phase starts (the previous one is over); ``total`` is its number of steps, when known."""
        ...

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current phase are done."""
        ...


class Silent:
    """No one is watching: every report is dropped."""

    def phase(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


def each(items: Iterable[T], progress: Progress) -> Iterator[T]:
    """``items``, one step of the current phase counted after each.

    >>> done = []
    >>> class Count(Silent):
    ...     def advance(self, steps=1): done.append(steps)
    >>> list(each("ab", Count())), done
    (['a', 'b'], [1, 1])
    """
    for item in items:
        yield item
        progress.advance()
