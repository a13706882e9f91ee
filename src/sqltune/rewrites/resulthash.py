"""A streamed fingerprint of a query's result: two results compare without either being held in memory.

Rows are fed batch by batch (a server-side cursor's ``fetchmany``) into :class:`ResultHash`; each row is
encoded canonically and hashed to 128 bits (BLAKE2b). The fingerprint is

- **multiset** (the default): the row count and the sum of the row hashes modulo 2**128 -- independent of
  row order, and duplicates count (a sum, not an XOR, which would cancel a pair);
- **ordered** (where the query's ORDER BY fixes the order of the output): the row count and a running hash
  over the sequence of row hashes.

Values equal in SQL hash equal whatever type the driver gives them: ``1``, ``Decimal("1.00")`` and ``1.0``
are one number (trailing zeros are scale, not value); floats are rounded to ``float_digits`` significant
digits first (12 by default), because a float sum computed in another order -- a different plan -- may
differ in its last bits. Two floats that differ only past that digit therefore compare equal, and two that
straddle a rounding boundary there compare different: a refusal to be safe, never a false match of values
that really differ before that digit. Timestamps with a time zone compare as instants.

>>> a, b = ResultHash(), ResultHash()
>>> a.update([(1, "x"), (2, None), (2, None)])
>>> b.update([(Decimal("2.00"), None), (1.0, "x"), (2, None)])
>>> a.digest() == b.digest(), a.digest().rows
(True, 3)
>>> c = ResultHash()
>>> c.update([(1, "x"), (2, None)])
>>> a.digest() == c.digest()
False
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from hashlib import blake2b
from typing import Any

__all__ = ["Digest", "ResultHash", "canonical"]

_MODULUS = 1 << 128


@dataclass(frozen=True, slots=True)
class Digest:
    """The fingerprint of one result: how it was compared, its row count and the hash (hex)."""

    ordered: bool
    rows: int
    value: str

    def to_dict(self) -> dict[str, object]:
        return {"ordered": self.ordered, "rows": self.rows, "hash": self.value}


class ResultHash:
    """Fed rows in batches, gives the :class:`Digest` of the whole result; holds 16 bytes, never the rows."""

    def __init__(self, ordered: bool = False, float_digits: int = 12) -> None:
        if not 1 <= float_digits <= 17:
            raise ValueError(f"float_digits must be between 1 and 17, not {float_digits}")
        self.ordered = ordered
        self.float_digits = float_digits
        self.rows = 0
        self._sum = 0
        self._chain = b"\0" * 16

    def update(self, rows: Iterable[Sequence[Any]]) -> None:
        digits = self.float_digits
        for row in rows:
            encoded = b"".join(_framed(canonical(value, digits)) for value in row)
            row_hash = blake2b(encoded, digest_size=16).digest()
            if self.ordered:
                self._chain = blake2b(self._chain + row_hash, digest_size=16).digest()
            else:
                self._sum = (self._sum + int.from_bytes(row_hash, "little")) % _MODULUS
            self.rows += 1

    def digest(self) -> Digest:
        value = self._chain.hex() if self.ordered else f"{self._sum:032x}"
        return Digest(self.ordered, self.rows, value)


def _framed(data: bytes) -> bytes:
    """``data`` with its length in front, so that ("ab", "c") and ("a", "bc") encode differently."""
    return len(data).to_bytes(4, "little") + data


def canonical(value: Any, float_digits: int = 12) -> bytes:
    """The bytes ``value`` hashes as: equal SQL values give equal bytes, different types of value differ.

    >>> canonical(1) == canonical(Decimal("1.000")) == canonical(1.0), canonical(Decimal("0.10"))
    (True, b'n0.1')
    >>> canonical(0.1 + 0.2) == canonical(0.3), canonical(0.1 + 0.2, 17) == canonical(0.3, 17)
    (True, False)
    >>> canonical(None), canonical("1"), canonical(True)
    (b'N', b's1', b'T')
    """
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"n" + str(value).encode()
    if isinstance(value, Decimal):
        return b"n" + _decimal(value).encode()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return b"n" + str(value).encode()
        return b"n" + _decimal(Decimal(f"{value:.{float_digits - 1}e}")).encode()
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        return b"y" + bytes(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return b"z" + value.astimezone(dt.UTC).isoformat().encode()
    if isinstance(value, list | tuple):
        return b"[" + b"".join(_framed(canonical(item, float_digits)) for item in value) + b"]"
    if isinstance(value, dict):
        return b"j" + json.dumps(value, sort_keys=True, default=str).encode()
    return type(value).__name__.encode() + b":" + str(value).encode()


def _decimal(value: Decimal) -> str:
    """A number without its scale: ``1.00`` and ``1`` print alike (``-0`` as ``0``; NaN and infinities as named)."""
    if not value.is_finite():
        return "nan" if value.is_nan() else ("inf" if value > 0 else "-inf")
    if value.is_zero():
        return "0"
    value = value.normalize()
    return str(int(value)) if value.as_tuple().exponent >= 0 else format(value, "f")  # type: ignore[operator]
