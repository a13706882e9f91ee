"""Every rewrite, in the order the engine tries them, and ``--select``/``--ignore`` matching.

The order lets earlier rewrites open the way for later ones: removing a redundant ORDER BY or inlining a CTE
exposes a subquery that can be pushed into or decorrelated; dropping implied conditions and self-subqueries
leaves fewer columns that keep a join alive; OR-splitting, which duplicates the query, runs after everything
that simplifies it.

>>> [entry.id for entry in select_rewrites(["RW00"], ["not-in-to-not-exists"])][:3]
['RW008', 'RW009', 'RW002']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqltune.rewrites import (
    aggregate_comparison,
    aggregate_semi_join,
    anti_join,
    count_to_exists,
    cte_inline,
    distinct,
    group_by,
    having_to_where,
    join_elimination,
    keyset,
    not_in,
    or_in_join,
    or_to_union,
    order_by,
    outer_to_inner,
    pushdown,
    redundant_predicate,
    sargable_arithmetic,
    sargable_casts,
    sargable_dates,
    scalar_subquery,
    self_subquery,
    semi_join,
    union_all,
)
from sqltune.rewrites.base import Rewrite

__all__ = ["REWRITES", "by_id", "register", "registered", "select_rewrites"]

REWRITES: tuple[Rewrite, ...] = (
    order_by.REWRITE,
    cte_inline.REWRITE,
    pushdown.REWRITE,
    having_to_where.REWRITE,
    outer_to_inner.REWRITE,
    redundant_predicate.REWRITE,
    self_subquery.REWRITE,
    join_elimination.REWRITE,
    distinct.REWRITE,
    group_by.REWRITE,
    count_to_exists.REWRITE,
    not_in.REWRITE,
    anti_join.REWRITE,
    aggregate_semi_join.REWRITE,
    semi_join.REWRITE,
    or_in_join.REWRITE,
    scalar_subquery.REWRITE,
    aggregate_comparison.REWRITE,
    sargable_dates.REWRITE,
    sargable_arithmetic.REWRITE,
    sargable_casts.REWRITE,
    union_all.REWRITE,
    or_to_union.REWRITE,
    keyset.REWRITE,
)


#: Rewrites registered at run time (plugins, tests), tried after the built-in ones.
_REGISTERED: list[Rewrite] = []


def registered() -> tuple[Rewrite, ...]:
    """The built-in rewrites, then those added with :func:`register`."""
    return (*REWRITES, *_REGISTERED)


def register(entry: Rewrite) -> Callable[[], None]:
    """Add a rewrite after the built-in ones; returns the function that removes it again.

    An id that is already taken raises ``ValueError``.
    """
    if any(known.id == entry.id for known in registered()):
        raise ValueError(f"rewrite id {entry.id} is already registered")
    _REGISTERED.append(entry)
    return lambda: _REGISTERED.remove(entry)


def by_id() -> dict[str, Rewrite]:
    return {entry.id: entry for entry in sorted(registered(), key=lambda entry: entry.id)}


def _matches(entry: Rewrite, pattern: str) -> bool:
    key = pattern.strip().lower()
    return entry.id.lower().startswith(key) or entry.name == key or key == "all"


def _check(patterns: Iterable[str]) -> list[str]:
    items = [pattern.strip() for pattern in patterns if pattern.strip()]
    for pattern in items:
        if not any(_matches(entry, pattern) for entry in registered()):
            known = ", ".join(f"{entry.id} ({entry.name})" for entry in by_id().values())
            raise ValueError(f"unknown rewrite {pattern!r}; expected an id, id prefix or name: {known}")
    return items


def select_rewrites(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> tuple[Rewrite, ...]:
    """The rewrites ``select`` names (all when ``None``) minus those ``ignore`` names, in engine order."""
    chosen = _check(select) if select is not None else None
    skipped = _check(ignore or ())
    return tuple(
        entry
        for entry in registered()
        if (chosen is None or any(_matches(entry, p) for p in chosen)) and not any(_matches(entry, p) for p in skipped)
    )
