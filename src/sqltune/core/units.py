"""Durations as people read them, one format for every report (workloads, measured index runtimes)."""

from __future__ import annotations

__all__ = ["format_duration"]


def format_duration(ms: float | None) -> str:
    """``812 µs``, ``19.0 ms``, ``2.1 s``, ``3 min 12 s``, ``5 h 04 min``; ``-`` when unknown.

    >>> format_duration(0.8125), format_duration(19), format_duration(2_100), format_duration(192_000)
    ('812 µs', '19.0 ms', '2.1 s', '3 min 12 s')
    """
    if ms is None:
        return "-"
    if ms < 1:
        return f"{ms * 1000:.0f} µs"
    if ms < 1000:
        return f"{ms:.1f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
