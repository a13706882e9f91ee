"""SQ006 stays quiet when the table its OR filters is read another way: by an index on another conjunct, or
looked up by its primary key from a join (found by the reviewed precision corpus on TPC-DS)."""

from __future__ import annotations

import pytest

from sqltune.core.config import Config
from sqltune.linter.engine import lint_text
from sqltune.schema import Schema

SCHEMA = Schema.from_ddl(
    """
    CREATE TABLE promotion (p_promo_sk bigint PRIMARY KEY, p_channel_email text, p_channel_tv text);
    CREATE TABLE sales (s_id bigint PRIMARY KEY, s_promo_sk bigint, qty int, price numeric, coupon numeric);
    CREATE TABLE people (id bigint PRIMARY KEY, email text, phone text);
    """,
    dialect="postgres",
)


def codes(sql: str) -> list[str]:
    return [f.code for f in lint_text(sql, Config(dialect="postgres", select=("SQ006",)), SCHEMA).findings]


@pytest.mark.parametrize(
    "sql",
    [
        # promotion is reached by its primary key from sales: the OR only checks the rows the join fetches
        "SELECT s.qty FROM sales s, promotion p WHERE s.s_promo_sk = p.p_promo_sk "
        "AND (p.p_channel_email = 'N' OR p.p_channel_tv = 'N')",
        # qty BETWEEN can use an index; the OR is checked on the rows it leaves
        "SELECT count(*) FROM sales WHERE qty BETWEEN 0 AND 5 AND (price > 10 OR coupon > 5)",
    ],
)
def test_or_on_a_table_read_another_way_is_quiet(sql: str) -> None:
    assert codes(sql) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM people WHERE email = 'a@b.c' OR phone = '123'",
        # joined, but not by its primary key: the OR still decides how sales is read
        "SELECT s.qty FROM sales s JOIN promotion p ON s.s_promo_sk = p.p_promo_sk WHERE s.price > 10 OR s.coupon > 5",
    ],
)
def test_or_that_decides_the_access_path_is_reported(sql: str) -> None:
    assert codes(sql) == ["SQ006"]
