"""Large logs read in blocks of whole entries, so that a block can be matched by one regular expression."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["blocks"]


def blocks(handle: BinaryIO, size: int, last_end: Callable[[bytes], int]) -> Iterator[tuple[bytes, bool]]:
    """``handle`` in blocks of about ``size`` bytes, each cut after the newline at ``last_end(data)`` (where
    the last whole entry of ``data`` ends; negative when no entry ends in it: then more is read), and whether
    the block is the file's last (the rest, which may end in a cut-off entry)."""
    rest = b""
    while True:
        read = handle.read(size)
        if not read:
            if rest:
                yield rest, True
            return
        data = rest + read if rest else read
        cut = last_end(data)
        if cut < 0:  # one entry longer than a block: read on
            rest = data
            continue
        yield data[: cut + 1], False
        rest = data[cut + 1 :]
