"""The pruning simulator and what feeds it: bounds read from templates, literal samples put back in,
candidate keys from usage. Pure functions on small generated data."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from sqltune.core.sqlglot import parse_one
from sqltune.graph import QueryGraph
from sqltune.layout.candidates import candidate_keys, key_columns
from sqltune.layout.predicates import constant, literal_slots, scans_of
from sqltune.layout.probes import probes, scanned_fraction
from sqltune.layout.simulate import Layout, Sample
from sqltune.workload import Execution, Workload
from sqltune.workload.fingerprint import literals


def _bounds(sql: str, table: str = "t") -> list[list[tuple[str, str]]]:
    return [[(b.column, b.op) for b in scan] for scan in scans_of(QueryGraph.build(parse_one(sql, "postgres")), table)]


def test_only_conjuncts_prune() -> None:
    assert _bounds("SELECT * FROM t WHERE a = 1 AND (b < 2 OR c > 3)") == [[("a", "=")]]
    assert _bounds("SELECT * FROM t WHERE NOT a = 1") == [[]]


def test_outer_join_on_prunes_the_null_supplying_side_only() -> None:
    sql = "SELECT * FROM s LEFT JOIN t ON t.id = s.id AND t.d > 5 AND s.e < 3"
    assert _bounds(sql, "t") == [[("d", ">")]]
    assert _bounds(sql, "s") == [[]]


def test_each_read_of_a_table_is_its_own_scan() -> None:
    sql = "SELECT * FROM t a JOIN t b ON a.id = b.id WHERE a.d = 1"
    assert sorted(_bounds(sql)) == [[], [("d", "=")]]


def test_literal_samples_replace_the_example_literals_by_position() -> None:
    sql = "SELECT * FROM t WHERE x BETWEEN 5 AND 5 AND y > -5"
    tree = parse_one(sql, "postgres")
    slots = literal_slots(tree, literals(sql))
    [scan] = scans_of(QueryGraph.build(tree), "t")
    resolved = {b.column: [constant(v, slots, ("1", "9", "7")) for v in b.values] for b in scan}
    assert resolved == {"x": [1, 9], "y": [-7]}


def test_interval_arithmetic() -> None:
    tree = parse_one("SELECT DATE '1998-12-01' - INTERVAL '90' DAY, DATE '1995-01-31' + INTERVAL '1' MONTH")
    values = [constant(e, {}, ()) for e in tree.expressions]
    assert values == [date(1998, 9, 2), date(1995, 2, 28)]


@pytest.fixture
def sample() -> Sample:
    rng = np.random.default_rng(3)
    days = np.arange(20_000) // 20
    ts = [datetime(2024, 1, 1) + (datetime(2024, 1, 2) - datetime(2024, 1, 1)) * (int(d) / 3) for d in days]
    kinds = rng.choice(["alpha", "beta", "gamma"], 20_000)
    return Sample.from_columns({"d": [date.fromordinal(730_000 + int(x)) for x in days], "ts": ts, "k": list(kinds)})


def _probe(sql: str, sample: Sample) -> float:
    workload = Workload("postgres")
    workload.add(Execution(sql, 1.0))
    usage = workload.usage()
    [probe] = probes(workload.templates, usage, "t", sample, timed=True)
    return scanned_fraction(Layout(sample, ("d",), 100), [probe])[0]


def test_predicate_kinds_prune_in_key_order(sample: Sample) -> None:
    assert _probe("SELECT * FROM t WHERE d BETWEEN DATE '2000-08-01' AND DATE '2000-08-10'", sample) <= 0.02
    assert _probe("SELECT * FROM t WHERE d IN (DATE '2000-08-01', DATE '2001-08-01')", sample) <= 0.02
    assert _probe("SELECT * FROM t WHERE k LIKE 'al%'", sample) == 1.0  # k is not the key: every range has it
    assert _probe("SELECT * FROM t WHERE date_trunc('day', ts) = '2024-02-01'", sample) <= 0.02
    assert _probe("SELECT * FROM t WHERE k = 'zeta'", sample) == 0.0  # no row: nothing to scan


def test_text_key_prunes_like_prefix(sample: Sample) -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT * FROM t WHERE k LIKE 'be%'", 1.0))
    [probe] = probes(workload.templates, workload.usage(), "t", sample, timed=True)
    fraction = scanned_fraction(Layout(sample, ("k",), 100), [probe])[0]
    assert 0.3 < fraction < 0.36


def test_candidates_follow_the_rules() -> None:
    workload = Workload("postgres")
    workload.add(Execution("SELECT * FROM ev WHERE date_trunc('day', ts) = '2024-01-01' AND flag = true", 90.0))
    workload.add(Execution("SELECT * FROM ev JOIN u ON u.id = ev.uid", 50.0))
    workload.add(Execution("SELECT region, count(*) FROM ev GROUP BY region", 10.0))
    ranked = key_columns(workload.usage(), "ev", {"ts": 1e6, "flag": 2, "uid": 1e4, "region": 40}, 1e6)
    assert [(c.column, c.tier, c.text) for c in ranked] == [
        ("flag", 0, "flag"),
        ("ts", 0, "DATE_TRUNC('DAY', ts)"),
        ("uid", 1, "uid"),
        ("region", 2, "region"),
    ]
    keys = [tuple(c.column for c in key) for key in candidate_keys(ranked, max_key_columns=2)]
    assert ("flag",) not in keys  # a boolean never forms a key alone
    assert ("flag", "ts") in keys and ("ts", "flag") not in keys  # lowest cardinality first
    assert all(len(key) <= 2 for key in keys)


@pytest.mark.parametrize("seed", range(5))
def test_sort_order_is_lexsort(seed: int) -> None:
    from sqltune.layout.simulate import sort_order

    rng = np.random.default_rng(seed)
    n = 5_000
    integral = rng.integers(-50, 50, n).astype(float)
    fractional = rng.random(n).round(2)
    huge = rng.integers(0, 2**40, n).astype(float)
    for column in (integral, fractional, huge):
        column[rng.random(n) < 0.05] = np.nan
    for key in ([integral], [integral, fractional], [fractional, integral], [huge, huge, integral]):
        assert sort_order(key).tolist() == np.lexsort(list(reversed(key))).tolist()


def test_bigquery_date_arithmetic() -> None:
    sql = (
        "SELECT TIMESTAMP_ADD(TIMESTAMP '2024-10-01', INTERVAL 1 DAY), DATE_SUB(DATE '2024-03-31', INTERVAL 1 MONTH),"
        " TIMESTAMP_ADD(TIMESTAMP '2024-10-01 23:00:00', INTERVAL 2 HOUR)"
    )
    values = [constant(e, {}, ()) for e in parse_one(sql, "bigquery").expressions]
    assert values == [datetime(2024, 10, 2), date(2024, 2, 29), datetime(2024, 10, 2, 1)]
