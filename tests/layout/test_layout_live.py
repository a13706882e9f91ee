"""The layout advisor against the real PostgreSQL: BRIN where rows lie in date order, CLUSTER (and why no
BRIN) where they do not, a refused write-heavy table, measured validation on a rolled-back copy, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.connectors.postgres import connect
from sqltune.layout.advisor import advise_layout
from sqltune.layout.model import LayoutConfig
from sqltune.layout.simulate import Layout, Probe, Sample
from sqltune.workload import Execution, Workload

SMALL = LayoutConfig(brin_min_bytes=0, sample_rows=100_000)


@pytest.fixture
def events(pg_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """Two 60,000-row tables: ``ev_ordered`` inserted in day order, ``ev_shuffled`` in random order."""
    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"SET search_path = {schema}")
        for name, order in (("ev_ordered", "g"), ("ev_shuffled", "md5(g::text)")):
            connection.execute(
                f"CREATE TABLE {name} AS SELECT g AS id, DATE '2020-01-01' + g / 100 AS day, "
                f"(g % 7)::text AS kind, g % 1000 AS amount FROM generate_series(1, 60000) g ORDER BY {order}"
            )
            connection.execute(f"ANALYZE {name}")
        connection.execute("ALTER TABLE ev_shuffled ADD PRIMARY KEY (id)")
    yield f"{dsn} options='-csearch_path={schema}'", schema


def _workload(table: str, writes: int = 0) -> Workload:
    workload = Workload("postgres")
    for start in ("2020-02-01", "2020-06-10", "2021-03-01"):
        sql = f"SELECT sum(amount) FROM {table} WHERE day >= DATE '{start}' AND day < DATE '{start}' + INTERVAL '7' DAY"
        workload.add(Execution(sql, 40.0))
    for _ in range(writes):
        workload.add(Execution(f"UPDATE {table} SET amount = 1 WHERE id = 5", 1.0))
    return workload


def test_brin_where_rows_lie_in_date_order(events: tuple[str, str]) -> None:
    dsn, schema = events
    with connect(dsn) as connection:
        plan = advise_layout(_workload("ev_ordered"), connection, schemas=[schema], config=SMALL, validate=True)
    [rec] = plan.recommendations
    assert rec.kind == "brin" and rec.key == ("day",), plan.to_text()
    assert rec.ddl[0].startswith("CREATE INDEX ev_ordered_day_brin ON ev_ordered USING brin (day)")
    [evidence] = rec.evidence
    assert evidence.after * 20 < evidence.before  # a week of 600 days
    [measured] = rec.measured
    assert measured.before_ms is not None and measured.after_ms is not None
    with psycopg.connect(dsn) as connection:  # the copy is gone, the user's table untouched
        assert connection.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sqltune_layout_%'"
        ).fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'ev_ordered'").fetchone() == (0,)


def test_no_brin_on_shuffled_rows_says_why_and_clusters(events: tuple[str, str]) -> None:
    dsn, schema = events
    with connect(dsn) as connection:
        plan = advise_layout(_workload("ev_shuffled"), connection, schemas=[schema], config=SMALL)
    [rec] = plan.recommendations
    assert rec.kind == "cluster" and rec.key[-1] == "day", plan.to_text()
    assert any(note.startswith("no BRIN: correlation of day is") for note in rec.notes)
    assert "CLUSTER ev_shuffled USING" in " ".join(rec.ddl)


def test_write_heavy_table_is_refused_by_its_gate(events: tuple[str, str]) -> None:
    dsn, schema = events
    with connect(dsn) as connection:
        plan = advise_layout(_workload("ev_ordered", writes=100), connection, schemas=[schema], config=SMALL)
    [rec] = plan.recommendations
    assert rec.kind == "none" and not rec.ddl
    assert rec.gates[0].name == "read_write" and not rec.gates[0].passed


def test_small_table_fails_the_size_gate(events: tuple[str, str]) -> None:
    dsn, schema = events
    with connect(dsn) as connection:
        plan = advise_layout(_workload("ev_ordered"), connection, schemas=[schema])
    assert plan.recommendations[0].failed[0].name == "size"


def test_cli_layout_json(events: tuple[str, str], tmp_path: object) -> None:
    dsn, schema = events
    path = f"{tmp_path}/w.sql"
    with open(path, "w") as handle:
        handle.write("SELECT count(*) FROM ev_ordered WHERE day BETWEEN '2020-03-01' AND '2020-03-05';\n")
    result = CliRunner().invoke(
        main, ["layout", "--dsn", dsn, "--schema", schema, "--workload", path, "--min-size", "0", "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["recommendations"][0]["kind"] == "brin"


def test_a_table_read_twice_in_one_query_counts_once() -> None:
    days = np.arange(10_000, dtype=np.float64)
    sample = Sample.from_columns({"day": days})
    from sqltune.layout.simulate import Condition

    one = Condition("day", np.array([[0.0, 99.0]]))
    twice = Probe("self-join", 1.0, [[[one], [one]]])
    layout = Layout(sample, ("day",), 100)
    assert layout.scanned(twice) == layout.scanned(Probe("once", 1.0, [[[one]]])) == 1.0


def test_partitioning_when_larger_than_the_memory_gate(events: tuple[str, str]) -> None:
    dsn, schema = events
    lowered = LayoutConfig(brin_min_bytes=0, pg_partition_min_bytes=0)
    with connect(dsn) as connection:
        [rec] = advise_layout(_workload("ev_shuffled"), connection, schemas=[schema], config=lowered).recommendations
    assert rec.kind == "partition" and rec.key == ("day",), rec
    assert rec.ddl[0] == (
        "CREATE TABLE ev_shuffled_partitioned (LIKE ev_shuffled INCLUDING DEFAULTS) PARTITION BY RANGE (day)"
    )
    monthly = [s for s in rec.ddl if "PARTITION OF" in s and "DEFAULT" not in s]
    assert monthly[0].endswith("FOR VALUES FROM ('2020-01-01') TO ('2020-02-01')") and 19 <= len(monthly) <= 21
    assert any("unique key (id) does not include day" in w for w in rec.warnings)
    assert next(g for g in rec.gates if g.name == "partition_size").passed
    for evidence in rec.evidence:  # a week falls in one or two of the ~20 monthly partitions
        assert 19 <= evidence.partitions <= 21 and evidence.before == evidence.partitions and evidence.after <= 2
