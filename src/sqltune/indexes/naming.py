"""How the index advisor names a query: as the user would find it again.

A statement of a SQL file is ``path:line`` (the path as given: ``queries/q07.sql:1``); a workload template
is where it was first seen (``postgresql.log:1042``, a dbt model's file); a statement nothing else names (SQL
text, ``pg_stat_statements``) goes by its first words. Names are keys too (the what-if cache, validation),
so a name given twice gets a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqltune.indexes.model import WorkloadQuery

__all__ = ["first_words", "number_repeats"]

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def first_words(sql: str, width: int = 40) -> str:
    """The statement's first words on one line, cut at a word within ``width`` characters.

    >>> first_words("-- daily\\nSELECT id, total\\n  FROM orders WHERE customer_id = $1;")
    'SELECT id, total FROM orders WHERE…'
    >>> first_words("SELECT 1;")
    'SELECT 1'
    """
    flat = " ".join(_COMMENT.sub(" ", sql).split()).rstrip(";").rstrip()
    if len(flat) <= width:
        return flat
    head = flat[: width + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else flat[:width]
    return cut.rstrip(",(") + "…"


def number_repeats(queries: Iterable[WorkloadQuery]) -> None:
    """Give the second and later queries of one name a number: ``SELECT count(*) FROM orders (2)``."""
    taken: set[str] = set()
    for query in queries:
        name, number = query.id, 1
        while name in taken:
            number += 1
            name = f"{query.id} ({number})"
        query.id = name
        taken.add(name)
