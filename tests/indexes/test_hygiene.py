"""Index hygiene on schemas built by hand (the live-catalog version is in test_hygiene_live.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sqltune.indexes.hygiene import (
    DUPLICATE,
    INVALID,
    REDUNDANT,
    UNINDEXED_FOREIGN_KEY,
    UNUSED,
    HygieneAdvice,
    index_hygiene,
)
from sqltune.schema import ForeignKey, Index, Schema, Table, TableStats

RESET = datetime(2024, 3, 1, 6, 30, tzinfo=UTC)


def table(*indexes: Index, foreign_keys: tuple[ForeignKey, ...] = (), name: str = "orders") -> Schema:
    found = Table(name, "public", stats=TableStats(rows=50_000))
    found.indexes = list(indexes)
    found.foreign_keys = list(foreign_keys)
    return Schema([found])


def index(name: str, *columns: str, **options: object) -> Index:
    options.setdefault("scans", 10.0)
    options.setdefault("size_bytes", 1_048_576.0)
    return Index(name, "public.orders", columns, **options)  # type: ignore[arg-type]


def kinds(schema: Schema, stats_reset: datetime | None = None) -> list[tuple[str, str | None]]:
    return [(advice.kind, advice.index_name) for advice in index_hygiene(schema, stats_reset)]


def only(schema: Schema, stats_reset: datetime | None = None) -> HygieneAdvice:
    (advice,) = index_hygiene(schema, stats_reset)
    return advice


def test_unused_index_says_since_when() -> None:
    advice = only(table(index("orders_note", "note", scans=0.0)), RESET)
    assert (advice.kind, advice.index_name, advice.table) == (UNUSED, "orders_note", "public.orders")
    assert advice.statement == "DROP INDEX CONCURRENTLY public.orders_note"
    assert "since the statistics were reset on 2024-03-01 06:30" in advice.evidence
    assert "1.0 MB" in advice.evidence
    assert advice.size_bytes == 1_048_576.0
    never = only(table(index("orders_note", "note", scans=0.0)))
    assert "never reset" in never.evidence


def test_used_or_unknown_usage_is_not_unused() -> None:
    assert kinds(table(index("a", "a", scans=3.0), index("b", "b", scans=None))) == []


def test_constraint_indexes_are_never_unused() -> None:
    schema = table(
        index("orders_pkey", "id", primary=True, unique=True, scans=0.0),
        index("orders_code_key", "code", unique=True, scans=0.0),
    )
    assert kinds(schema) == []


def test_duplicate_keeps_the_constraint_then_the_most_used() -> None:
    schema = table(
        index("orders_pkey", "id", primary=True, unique=True),
        index("orders_id_copy", "id", unique=True),
        index("orders_id_plain", "id"),
        index("by_customer_a", "customer_id", scans=5.0),
        index("by_customer_b", "customer_id", scans=500.0),
    )
    assert kinds(schema) == [  # by name within a kind
        (DUPLICATE, "by_customer_a"),
        (DUPLICATE, "orders_id_copy"),
        (DUPLICATE, "orders_id_plain"),
    ]
    evidence = {advice.index_name: advice.evidence for advice in index_hygiene(schema)}
    assert "duplicates primary key orders_pkey (id)" in evidence["orders_id_copy"]
    assert "duplicates index by_customer_b (customer_id)" in evidence["by_customer_a"]
    assert "scanned 5 times" in evidence["by_customer_a"]


def test_equal_duplicates_keep_the_first_name() -> None:
    assert kinds(table(index("b_idx", "a"), index("a_idx", "a"))) == [(DUPLICATE, "b_idx")]


def test_left_prefix_is_redundant() -> None:
    schema = table(index("by_customer", "customer_id"), index("by_customer_date", "customer_id", "created_at"))
    advice = only(schema)
    assert (advice.kind, advice.index_name) == (REDUNDANT, "by_customer")
    assert "is served by index by_customer_date (customer_id, created_at)" in advice.evidence


@pytest.mark.parametrize(
    ("short", "long"),
    [
        (index("u", "customer_id", unique=True), index("l", "customer_id", "created_at")),  # enforces uniqueness
        (index("s", "created_at"), index("l", "customer_id", "created_at")),  # not a left prefix
        (index("s", "customer_id", method="hash"), index("l", "customer_id", "created_at")),  # other method
        (index("s", "customer_id", where="status = 'open'"), index("l", "customer_id", "created_at")),
        (index("s", "customer_id", include=("total",)), index("l", "customer_id", "created_at")),
    ],
)
def test_not_redundant(short: Index, long: Index) -> None:
    assert kinds(table(short, long)) == []


def test_same_predicate_and_available_include_are_redundant() -> None:
    schema = table(
        index("s", "customer_id", where="(status = 'open'::text)", include=("total",)),
        index("l", "customer_id", "total", where="status = 'open'::text"),
    )
    assert kinds(schema) == [(REDUNDANT, "s")]


def test_fewer_include_columns_on_the_same_key_is_redundant() -> None:
    schema = table(index("narrow", "customer_id"), index("wide", "customer_id", include=("total",)))
    assert kinds(schema) == [(REDUNDANT, "narrow")]


def test_invalid_index_is_dropped_and_serves_nothing() -> None:
    schema = table(
        index("broken", "customer_id", "created_at", valid=False, scans=0.0),
        index("by_customer", "customer_id"),
        foreign_keys=(ForeignKey(("customer_id",), "public.customers", ("id",), "orders_customer_fk"),),
    )
    advice = only(schema)  # by_customer is not "redundant" to the invalid index; the FK is served
    assert (advice.kind, advice.index_name, advice.statement) == (
        INVALID,
        "broken",
        "DROP INDEX CONCURRENTLY public.broken",
    )
    assert "INVALID" in advice.evidence and "CONCURRENTLY" in advice.evidence


def test_foreign_key_without_index() -> None:
    fk = ForeignKey(("customer_id",), "public.customers", ("id",), "orders_customer_fk")
    advice = only(table(foreign_keys=(fk,)))
    assert advice.kind == UNINDEXED_FOREIGN_KEY
    assert advice.statement == ("CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id)")
    assert advice.index_name == "orders_customer_id_idx"
    assert "public.customers" in advice.evidence and "50,000 rows" in advice.evidence
    assert advice.size_bytes is not None and advice.size_bytes > 0


@pytest.mark.parametrize(
    "serving",
    [
        index("pk", "customer_id", "line", primary=True, unique=True),  # leading columns
        index("rev", "line", "customer_id"),  # any order of the foreign key's columns
        index("part", "customer_id", "line", where="customer_id IS NOT NULL"),
    ],
)
def test_foreign_key_served_by(serving: Index) -> None:
    fk = ForeignKey(("customer_id", "line"), "public.lines", ("customer_id", "line"))
    assert [a.kind for a in index_hygiene(table(serving, foreign_keys=(fk,)))] == []


@pytest.mark.parametrize(
    "not_serving",
    [
        index("later", "created_at", "customer_id"),
        index("partial", "customer_id", where="status = 'open'"),
        index("gin", "customer_id", method="gin"),
    ],
)
def test_foreign_key_not_served_by(not_serving: Index) -> None:
    fk = ForeignKey(("customer_id",), "public.customers", ("id",))
    assert UNINDEXED_FOREIGN_KEY in [a.kind for a in index_hygiene(table(not_serving, foreign_keys=(fk,)))]


def test_the_only_index_of_a_foreign_key_is_kept_even_unused() -> None:
    fk = ForeignKey(("customer_id",), "public.customers", ("id",))
    assert kinds(table(index("by_customer", "customer_id", scans=0.0), foreign_keys=(fk,))) == []
    # With a second index serving the key, the unused one can go.
    schema = table(
        index("by_customer", "customer_id", scans=0.0, method="hash"),
        index("by_customer_date", "customer_id", "created_at"),
        foreign_keys=(fk,),
    )
    assert kinds(schema) == [(UNUSED, "by_customer")]


def test_one_advice_per_index() -> None:
    # b_idx is a duplicate (and unused: said once, as a duplicate); a_idx, kept, is unused on its own account.
    schema = table(index("a_idx", "a", scans=0.0), index("b_idx", "a", scans=0.0))
    assert kinds(schema, RESET) == [(DUPLICATE, "b_idx"), (UNUSED, "a_idx")]
    assert "scanned 0 times since the statistics were reset" in index_hygiene(schema, RESET)[0].evidence


def test_names_are_quoted_and_qualified() -> None:
    advice = only(table(index("Orders By Note", "note", scans=0.0)))
    assert advice.statement == 'DROP INDEX CONCURRENTLY public."Orders By Note"'
    bare = Table("t")
    bare.indexes = [Index("t_x", "t", ("x",), scans=0.0)]
    assert only(Schema([bare])).statement == "DROP INDEX CONCURRENTLY t_x"


def test_tables_in_name_order() -> None:
    first, second = Table("b_table"), Table("a_table")
    first.indexes = [Index("b_x", "b_table", ("x",), scans=0.0)]
    second.indexes = [Index("a_x", "a_table", ("x",), scans=0.0)]
    assert [a.table for a in index_hygiene(Schema([first, second]))] == ["a_table", "b_table"]
    assert str(index_hygiene(Schema([second]))[0]).startswith("unused: DROP INDEX CONCURRENTLY a_x; -- index a_x (x)")
