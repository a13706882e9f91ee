"""The streamed result fingerprint: order-independent multisets, ordered sequences, value normalisation."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from sqltune.rewrites.resulthash import Digest, ResultHash


def digest(rows: list[tuple[Any, ...]], ordered: bool = False, batch: int = 2, digits: int = 12) -> Digest:
    """Fed in batches, as a server-side cursor gives them."""
    hasher = ResultHash(ordered=ordered, float_digits=digits)
    for start in range(0, len(rows), batch):
        hasher.update(rows[start : start + batch])
    return hasher.digest()


ROWS = [(1, "a", None), (2, "b", Decimal("1.50")), (3, None, None), (2, "b", Decimal("1.50"))]


def test_multiset_ignores_order_and_batches() -> None:
    shuffled = ROWS[:]
    random.Random(7).shuffle(shuffled)
    assert digest(ROWS, batch=1) == digest(shuffled, batch=3) == digest(list(reversed(ROWS)), batch=100)


def test_duplicates_count() -> None:
    once = [(1, "a"), (2, "b")]
    assert digest(once) != digest([*once, (1, "a")])
    assert digest([(1, "a"), (1, "a")]) != digest([])  # a sum, not an XOR: a pair does not cancel out
    assert digest([(1, "a"), (1, "a"), (2, "b")]) != digest([(1, "a"), (2, "b"), (2, "b")])  # same count, other rows
    assert digest([(1, "a"), (1, "a")]).rows == 2


def test_nulls_are_values_of_their_own() -> None:
    assert digest([(None,)]) != digest([("",)]) != digest([(0,)])
    assert digest([(None, 1)]) != digest([(1, None)])
    assert digest([(None,), (None,)]) == digest([(None,), (None,)])


def test_decimal_scale_and_numeric_types_do_not_matter() -> None:
    assert digest([(Decimal("1.0"),)]) == digest([(Decimal("1.00"),)]) == digest([(1,)]) == digest([(1.0,)])
    assert digest([(Decimal("0.000"),)]) == digest([(0,)]) == digest([(Decimal("-0"),)])
    assert digest([(Decimal("100"),)]) == digest([(Decimal("1E+2"),)])
    assert digest([(Decimal("1.5"),)]) != digest([(Decimal("1.05"),)])
    assert digest([(1,)]) != digest([("1",)])  # a number is not its text


def test_floats_compare_to_the_given_significant_digits() -> None:
    total = sum([0.1] * 10)  # 0.9999999999999999: a sum in another order differs in its last bits
    assert digest([(total,)]) == digest([(1.0,)])
    assert digest([(total,)], digits=17) != digest([(1.0,)], digits=17)
    assert digest([(1.0000001,)]) != digest([(1.0,)])
    assert digest([(float("nan"),)]) == digest([(float("nan"),)]) != digest([(float("inf"),)])
    with pytest.raises(ValueError, match="float_digits"):
        ResultHash(float_digits=0)


def test_values_are_framed() -> None:
    assert digest([("ab", "c")]) != digest([("a", "bc")])
    assert digest([(["a", "b"],)]) != digest([(["ab"],)])


def test_timestamps_with_a_zone_compare_as_instants() -> None:
    utc = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    paris = utc.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert digest([(utc,)]) == digest([(paris,)])
    assert digest([(dt.date(2024, 1, 1),)]) != digest([("2024-01-01",)])


def test_ordered_comparison_sees_the_order() -> None:
    rows = [(1, "a"), (2, "b"), (2, "b"), (3, None)]
    assert digest(rows, ordered=True) == digest(rows, ordered=True, batch=3)
    assert digest(rows, ordered=True) != digest(list(reversed(rows)), ordered=True)
    assert digest(rows, ordered=True) != digest(rows)  # the two kinds never compare equal
    assert digest(rows, ordered=True).rows == 4 and digest(rows, ordered=True).ordered
