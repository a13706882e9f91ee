"""PostgreSQL scenarios that provoke each plan rule, and the fix that silences it.

Each scenario builds a small data set in a schema of its own, runs the query with session settings that
bring the problem out on small tables (a tiny work_mem, join methods switched off...), then applies the fix
(an index, ANALYZE, CREATE STATISTICS, a setting, or the rewritten query) and runs it again. When
``apply_suggestion`` is set the fix *is* the finding's own suggestion: the SQL between its first backticks
is run (``SET`` statements become session settings), so the test proves the advice works.

Used by ``test_plan_live_postgres.py`` and, to refresh ``fixtures/plan_rules/postgres/``, by running
``python tests/plan_rules/plan_scenarios.py [DSN]``.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

#: Settings every scenario starts from, so plans do not depend on the machine: no parallelism, no JIT.
BASE_SETTINGS = {"max_parallel_workers_per_gather": "0", "jit": "off"}


@dataclass(frozen=True)
class Scenario:
    name: str  # fixture stem
    code: str  # the rule it provokes
    setup: tuple[str, ...]
    query: str
    settings: Mapping[str, str] = field(default_factory=dict)
    fix: tuple[str, ...] = ()  # statements run after the first EXPLAIN
    fixed_query: str | None = None  # the rewritten query, when the fix is a rewrite
    fixed_settings: Mapping[str, str] | None = None  # replaces `settings` for the second run
    apply_suggestion: bool = False  # also run what the finding suggests
    # Run in a database of its own: VACUUM can only mark pages all-visible once no transaction in the same
    # database is older than the rows, and other test sessions may hold long transactions in the shared one.
    isolated: bool = False

    def session(self, fixed: bool) -> dict[str, str]:
        chosen = self.fixed_settings if fixed and self.fixed_settings is not None else self.settings
        return {**BASE_SETTINGS, **chosen}


_NO_JOINS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "seq_scan_filter",
        "SQ301",
        (
            "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL, status text NOT NULL)",
            "INSERT INTO orders SELECT i, (i % 1000), 'open' FROM generate_series(1, 50000) i",
            "ANALYZE orders",
        ),
        "SELECT id, status FROM orders WHERE total > 994",
        apply_suggestion=True,
    ),
    Scenario(
        "correlated_estimate",
        "SQ302",
        (
            "CREATE TABLE events (id int PRIMARY KEY, city int NOT NULL, zip int NOT NULL, payload text)",
            "INSERT INTO events SELECT i, i % 50, i % 50, 'x' FROM generate_series(1, 50000) i",
            "CREATE TABLE visits (event_id int NOT NULL, seen date NOT NULL)",
            "INSERT INTO visits SELECT (i % 50000) + 1, DATE '2024-01-01' + i % 30 FROM generate_series(1, 30000) i",
            "ANALYZE",
        ),
        "SELECT e.id, v.seen FROM events e JOIN visits v ON v.event_id = e.id WHERE e.city = 7 AND e.zip = 7",
        apply_suggestion=True,
    ),
    Scenario(
        "sort_spill",
        "SQ303",
        (
            "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)",
            "INSERT INTO notes SELECT i, md5(i::text) FROM generate_series(1, 40000) i",
            "ANALYZE notes",
        ),
        "SELECT id, body FROM notes ORDER BY body",
        settings={"work_mem": "64kB"},
        apply_suggestion=True,
    ),
    Scenario(
        "hash_spill",
        "SQ303",
        (
            "CREATE TABLE parts (id int PRIMARY KEY, name text NOT NULL)",
            "INSERT INTO parts SELECT i, md5(i::text) FROM generate_series(1, 20000) i",
            "CREATE TABLE stock (part_id int NOT NULL, qty int NOT NULL)",
            "INSERT INTO stock SELECT (i % 20000) + 1, i % 7 FROM generate_series(1, 40000) i",
            "ANALYZE",
        ),
        "SELECT p.name, s.qty FROM stock s JOIN parts p ON p.id = s.part_id",
        settings={"work_mem": "64kB", "enable_mergejoin": "off", "enable_nestloop": "off"},
        apply_suggestion=True,
    ),
    Scenario(
        "nested_loop_many_rows",
        "SQ304",
        (
            "CREATE TABLE customers (id int PRIMARY KEY, region int NOT NULL)",
            "INSERT INTO customers SELECT i, i % 10 FROM generate_series(1, 20000) i",
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL)",
            "INSERT INTO orders SELECT i, (i % 20000) + 1 FROM generate_series(1, 20000) i",
            "ANALYZE",
        ),
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id",
        settings=_NO_JOINS,
        fixed_settings={},
    ),
    Scenario(
        "index_filter",
        "SQ305",
        (
            "CREATE TABLE readings (id int PRIMARY KEY, sensor int NOT NULL, kind int NOT NULL, value float8)",
            "INSERT INTO readings SELECT i, i % 50, i % 997, random() FROM generate_series(1, 60000) i",
            "CREATE INDEX readings_sensor ON readings (sensor)",
            "ANALYZE readings",
        ),
        "SELECT id, value FROM readings WHERE sensor = 7 AND kind = 11",
        settings={"enable_seqscan": "off"},
        apply_suggestion=True,
    ),
    Scenario(
        "lossy_bitmap",
        "SQ306",
        (
            "CREATE TABLE lines (id int PRIMARY KEY, shipped date NOT NULL, qty int NOT NULL, filler text)",
            "INSERT INTO lines SELECT i, DATE '2020-01-01' + (i % 1500), i % 50, repeat('x', 300)"
            " FROM generate_series(1, 60000) i",
            "CREATE INDEX lines_shipped ON lines (shipped)",
            "ANALYZE lines",
        ),
        "SELECT count(*) FROM lines WHERE shipped BETWEEN DATE '2020-01-01' AND DATE '2023-01-01'",
        settings={"work_mem": "64kB", "enable_seqscan": "off", "enable_indexscan": "off"},
        apply_suggestion=True,
    ),
    Scenario(
        "heap_fetches",
        "SQ307",
        (
            "CREATE TABLE audit (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = off)",
            "INSERT INTO audit SELECT i, 'n' FROM generate_series(1, 30000) i",
            "ANALYZE audit",
        ),
        "SELECT id FROM audit WHERE id BETWEEN 100 AND 20000",
        settings={"enable_seqscan": "off", "enable_bitmapscan": "off"},
        fix=("VACUUM audit",),
        isolated=True,
    ),
    Scenario(
        "materialized_cte",
        "SQ308",
        (
            "CREATE TABLE sales (id int PRIMARY KEY, shop int NOT NULL, amount numeric NOT NULL)",
            "INSERT INTO sales SELECT i, i % 200, i % 97 FROM generate_series(1, 40000) i",
            "CREATE INDEX sales_shop ON sales (shop)",
            "ANALYZE sales",
        ),
        "WITH recent AS MATERIALIZED (SELECT id, shop, amount FROM sales) SELECT id, amount FROM recent WHERE shop = 3",
        fixed_query=(
            "WITH recent AS NOT MATERIALIZED (SELECT id, shop, amount FROM sales) "
            "SELECT id, amount FROM recent WHERE shop = 3"
        ),
    ),
    Scenario(
        "workers_not_launched",
        "SQ309",
        (
            "CREATE TABLE facts (id int, v int)",
            "INSERT INTO facts SELECT i, i % 10 FROM generate_series(1, 200000) i",
            "ANALYZE facts",
        ),
        "SELECT v, count(*) FROM facts GROUP BY v",
        settings={
            "max_parallel_workers_per_gather": "2",
            "max_parallel_workers": "0",
            "parallel_setup_cost": "0",
            "parallel_tuple_cost": "0",
            "min_parallel_table_scan_size": "0",
        },
        fixed_settings={
            "max_parallel_workers_per_gather": "2",
            "max_parallel_workers": "8",
            "parallel_setup_cost": "0",
            "parallel_tuple_cost": "0",
            "min_parallel_table_scan_size": "0",
        },
    ),
    Scenario(
        "planning_slow",
        "SQ310",
        tuple(f"CREATE TABLE r{i} (id int PRIMARY KEY, ref int)" for i in range(10)),
        "SELECT count(*) FROM r0 "
        + " ".join(f"JOIN r{i} ON r{i}.ref = r{i - 1}.id AND r{i}.id = r0.ref" for i in range(1, 10)),
        settings={"join_collapse_limit": "10", "from_collapse_limit": "10", "geqo": "off"},
        fixed_settings={"join_collapse_limit": "1"},
    ),
    Scenario(
        "jit_short_query",
        "SQ311",
        (
            "CREATE TABLE metrics (id int, a int, b int)",
            "INSERT INTO metrics SELECT i, i % 7, i % 11 FROM generate_series(1, 5000) i",
            "ANALYZE metrics",
        ),
        "SELECT a, sum(b * 2 + a), avg(b) FROM metrics GROUP BY a",
        settings={"jit": "on", "jit_above_cost": "0", "jit_inline_above_cost": "0", "jit_optimize_above_cost": "0"},
        apply_suggestion=True,
    ),
    Scenario(
        "join_fan_out",
        "SQ312",
        (
            "CREATE TABLE lhs (id int PRIMARY KEY, k int NOT NULL)",
            "CREATE TABLE rhs (id int PRIMARY KEY, k int NOT NULL)",
            "INSERT INTO lhs SELECT i, i % 10 FROM generate_series(1, 2000) i",
            "INSERT INTO rhs SELECT i, i % 10 FROM generate_series(1, 2000) i",
            "ANALYZE",
        ),
        "SELECT count(*) FROM lhs JOIN rhs ON rhs.k = lhs.k",
        fixed_query="SELECT count(*) FROM lhs JOIN rhs ON rhs.k = lhs.k AND rhs.id = lhs.id",
    ),
    Scenario(
        "implicit_cast",
        "SQ313",
        (
            "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL)",
            "INSERT INTO accounts SELECT i, 'a' || i FROM generate_series(1, 50000) i",
            "ANALYZE accounts",
        ),
        "SELECT name FROM accounts WHERE id = 4242.0",
        fixed_query="SELECT name FROM accounts WHERE id = 4242",
    ),
    Scenario(
        "materialize_rescanned",
        "SQ314",
        (
            "CREATE TABLE slots (id int PRIMARY KEY, k int NOT NULL, starts int NOT NULL)",
            "CREATE TABLE bookings (id int PRIMARY KEY, k int NOT NULL, at int NOT NULL)",
            "INSERT INTO slots SELECT i, i % 50, i FROM generate_series(1, 1100) i",
            "INSERT INTO bookings SELECT i, i % 50, i FROM generate_series(1, 1100) i",
            "ANALYZE",
        ),
        "SELECT count(*) FROM slots s JOIN bookings b ON b.at < s.starts AND b.k + 0 <> s.k",
        fixed_query="SELECT count(*) FROM slots s JOIN bookings b ON b.k = s.k AND b.at < s.starts",
    ),
    Scenario(
        "memoize_misses",
        "SQ315",
        (
            "CREATE TABLE items (id int PRIMARY KEY, label text) WITH (autovacuum_enabled = off)",
            "INSERT INTO items SELECT i, 'i' || i FROM generate_series(1, 5000) i",
            "CREATE TABLE picks (id int PRIMARY KEY, item_id int NOT NULL) WITH (autovacuum_enabled = off)",
            "INSERT INTO picks SELECT i, (i % 20) + 1 FROM generate_series(1, 5000) i",
            "ANALYZE",
            "UPDATE picks SET item_id = id",
        ),
        "SELECT count(i.label) FROM picks p JOIN items i ON i.id = p.item_id",
        settings=_NO_JOINS,
        fix=("ANALYZE picks",),
    ),
    Scenario(
        "hash_build_underestimated",
        "SQ316",
        (
            "CREATE TABLE dims (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int NOT NULL)",
            "INSERT INTO dims SELECT i, i % 5, i % 5, i % 5 FROM generate_series(1, 50000) i",
            "CREATE TABLE facts (dim_id int NOT NULL, v int NOT NULL)",
            "INSERT INTO facts SELECT (i % 50000) + 1, i FROM generate_series(1, 30000) i",
            "ANALYZE",
        ),
        "SELECT sum(f.v) FROM facts f JOIN dims d ON d.id = f.dim_id WHERE d.a = 1 AND d.b = 1 AND d.c = 1",
        settings={"enable_mergejoin": "off", "enable_nestloop": "off"},
        fix=("CREATE STATISTICS dims_abc (dependencies, mcv) ON a, b, c FROM dims", "ANALYZE dims"),
    ),
    Scenario(
        "sort_for_limit",
        "SQ317",
        (
            "CREATE TABLE posts (id int PRIMARY KEY, created timestamptz NOT NULL, title text)",
            "INSERT INTO posts SELECT i, now() - i * interval '1 minute', 't' FROM generate_series(1, 50000) i",
            "ANALYZE posts",
        ),
        "SELECT id, title FROM posts ORDER BY created DESC LIMIT 10",
        apply_suggestion=True,
    ),
    Scenario(
        "seq_scan_in_loop",
        "SQ318",
        (
            "CREATE TABLE teams (id int PRIMARY KEY, code int NOT NULL)",
            "INSERT INTO teams SELECT i, i FROM generate_series(1, 100) i",
            "CREATE TABLE members (id int PRIMARY KEY, team_code int NOT NULL)",
            "INSERT INTO members SELECT i, i % 500 FROM generate_series(1, 5000) i",
            "ANALYZE",
        ),
        "SELECT t.id, m.id FROM teams t JOIN members m ON m.team_code = t.code",
        settings={**_NO_JOINS, "enable_material": "off"},
        apply_suggestion=True,
    ),
)


def by_code() -> dict[str, list[Scenario]]:
    found: dict[str, list[Scenario]] = {}
    for scenario in SCENARIOS:
        found.setdefault(scenario.code, []).append(scenario)
    return found


_BACKTICKED = re.compile(r"`([^`]+)`")
_SET = re.compile(r"^\s*SET\s+(?:LOCAL\s+)?(\w+)\s*(?:=|TO)\s*'?([^';]+?)'?\s*$", re.IGNORECASE)


def suggestion_statements(suggestion: str) -> tuple[dict[str, str], list[str]]:
    """The settings and statements in a finding's first backticked snippet.

    >>> suggestion_statements("Run it with `SET LOCAL work_mem = '4MB'` (now 64kB)")
    ({'work_mem': '4MB'}, [])
    >>> suggestion_statements("x: `CREATE STATISTICS s ON a, b FROM t; ANALYZE t`")
    ({}, ['CREATE STATISTICS s ON a, b FROM t', 'ANALYZE t'])
    """
    match = _BACKTICKED.search(suggestion)
    settings: dict[str, str] = {}
    statements: list[str] = []
    if match is None:
        return settings, statements
    for part in match.group(1).split(";"):
        if not part.strip():
            continue
        setting = _SET.match(part)
        if setting:
            settings[setting.group(1)] = setting.group(2)
        else:
            statements.append(part.strip())
    return settings, statements


def conninfo(dsn: str, schema: str, settings: Mapping[str, str]) -> str:
    from psycopg.conninfo import make_conninfo

    options = " ".join([f"-csearch_path={schema}", *(f"-c{k}={v}" for k, v in settings.items())])
    return make_conninfo(dsn, options=options)


def run_setup(dsn: str, schema: str, statements: tuple[str, ...] | list[str]) -> None:
    import psycopg

    with psycopg.connect(conninfo(dsn, schema, {}), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@contextmanager
def temporary_schema(dsn: str) -> Iterator[str]:
    import psycopg

    name = f"plan_capture_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {name} CASCADE")


@contextmanager
def temporary_database(dsn: str) -> Iterator[str]:
    """A database of its own for one scenario (see ``Scenario.isolated``): yields its DSN; dropped after."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"sqltune_plan_rules_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield make_conninfo(dsn, dbname=name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def scenario_schema(dsn: str, scenario: Scenario) -> Iterator[tuple[str, str]]:
    """``(dsn, schema)`` to run ``scenario`` in, its tables created."""
    if scenario.isolated:
        with temporary_database(dsn) as isolated:
            run_setup(isolated, "public", scenario.setup)
            yield isolated, "public"
    else:
        with temporary_schema(dsn) as schema:
            run_setup(dsn, schema, scenario.setup)
            yield dsn, schema


def explain_text(dsn: str, schema: str, settings: Mapping[str, str], query: str) -> str:
    import psycopg

    with psycopg.connect(conninfo(dsn, schema, settings), autocommit=True) as connection:
        connection.execute(f"EXPLAIN {query}")  # warm the catalog caches
        rows = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS, SETTINGS) {query}").fetchall()
    return "\n".join(str(row[0]) for row in rows) + "\n"


def _scrub(plan: str, schema: str) -> str:
    """The plan without the throwaway schema's name (``search_path`` in the Settings line)."""
    return plan.replace(f"search_path = '{schema}'", "search_path = 'app'").replace(schema, "app")


def capture(dsn: str, folder: Path) -> None:
    """Write ``<name>.bad.txt``, ``<name>.good.txt`` and ``<name>.sql`` for every scenario."""
    from sqltune.plans import parse_plan
    from sqltune.rules.plan import analyze_plan

    folder.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        with scenario_schema(dsn, scenario) as (where, schema):
            bad = explain_text(where, schema, scenario.session(False), scenario.query)
            fixed_settings = scenario.session(True)
            if scenario.apply_suggestion:
                finding = next(f for f in analyze_plan(parse_plan(bad)) if f.code == scenario.code)
                settings, statements = suggestion_statements(finding.suggestion)
                fixed_settings.update(settings)
                run_setup(where, schema, statements)
            run_setup(where, schema, scenario.fix)
            good = explain_text(where, schema, fixed_settings, scenario.fixed_query or scenario.query)
        name = scenario.name.replace("_", "-")
        (folder / f"{name}.bad.txt").write_text(_scrub(bad, schema), encoding="utf-8")
        (folder / f"{name}.good.txt").write_text(_scrub(good, schema), encoding="utf-8")
        sql = scenario.query + ";\n" + (f"-- fixed:\n{scenario.fixed_query};\n" if scenario.fixed_query else "")
        (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
        print(f"captured {name}")


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    target = sys.argv[1] if len(sys.argv) > 1 else "host=127.0.0.1 dbname=test user=postgres"
    capture(target, Path(__file__).resolve().parents[2] / "fixtures" / "plan_rules" / "postgres")
