"""Time limits, driver-free: every connector runs every statement under one (see ``statement_timeout=``).

- :data:`Timeout`: the spellings of a time limit;
- :func:`timeout_ms`: a limit in whole milliseconds (each connector converts it to its server's setting).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["Timeout", "timeout_ms"]

#: A time limit: seconds (``30``, ``0.5``), a ``timedelta``, or PostgreSQL's spelling (``"30s"``, ``"500ms"``,
#: ``"2min"``; a bare number in a string is milliseconds, as in ``SET statement_timeout``).
Timeout = str | int | float | timedelta

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_TIMEOUT_TEXT = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>us|ms|s|min|h|d)?\s*$")


def timeout_ms(value: Timeout) -> int:
    """A time limit in whole milliseconds (rounded up); zero or negative is refused, since sqltune never
    runs a statement without a limit.

    >>> timeout_ms("30s"), timeout_ms("250ms"), timeout_ms(1.5), timeout_ms(timedelta(minutes=2)), timeout_ms("40")
    (30000, 250, 1500, 120000, 40)
    >>> timeout_ms("soon")
    Traceback (most recent call last):
    ...
    ValueError: invalid timeout 'soon': expected seconds (30), a timedelta, or text like '30s', '500ms', '2min'
    """
    if isinstance(value, timedelta):
        milliseconds = value.total_seconds() * 1000
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"invalid timeout {value!r}: expected seconds, a timedelta, or text like '30s'")
    elif isinstance(value, str):
        match = _TIMEOUT_TEXT.match(value)
        if match is None:
            raise ValueError(
                f"invalid timeout {value!r}: expected seconds (30), a timedelta, or text like '30s', '500ms', '2min'"
            )
        milliseconds = float(match.group("number")) * _UNITS_MS[match.group("unit") or "ms"]
    else:
        milliseconds = float(value) * 1000
    if not milliseconds > 0 or math.isinf(milliseconds):
        raise ValueError(f"invalid timeout {value!r}: must be a positive, finite duration")
    return max(1, math.ceil(milliseconds))
