"""The differential-testing harness for the rewrites: generated schemas and data, real engines, both queries.

A *world* is 32 schema variants of two tables, ``p`` (parent) and ``c`` (child), that differ in exactly the
facts the rewrites' preconditions read: whether ``p.a``, ``c.v`` and ``c.p_id`` are NOT NULL, whether
``c.p_id`` is a foreign key to ``p.id``, and whether ``p.k`` is UNIQUE. Every variant exists as real tables
``p_NN``/``c_NN`` in a dedicated PostgreSQL schema (and in an in-memory DuckDB, and in a throwaway database of
the run's private MariaDB), created once per session; each generated example inserts its rows inside a
transaction, runs the original and the rewritten query in one round trip and rolls back. Rows are drawn from
tiny domains so that NULLs, duplicates, empty tables and skew are common.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sqltune.core.sqlglot import parse_one
from sqltune.rewrites import RewriteReport, rewrite
from sqltune.schema import Schema

#: Examples per rule in the regular suite; the "thorough" hypothesis profile runs the slow marker instead.
EXAMPLES = int(os.environ.get("SQLTUNE_REWRITE_EXAMPLES", "300"))
DUCKDB_EXAMPLES = int(os.environ.get("SQLTUNE_REWRITE_DUCKDB_EXAMPLES", "120"))
MARIADB_EXAMPLES = int(os.environ.get("SQLTUNE_REWRITE_MARIADB_EXAMPLES", "100"))

FLAGS = ("a_nn", "k_unique", "pid_nn", "fk", "v_nn")

TIMESTAMPS = [
    dt.datetime(2023, 12, 31, 23, 59, 59),
    dt.datetime(2024, 1, 1, 0, 0, 0),
    dt.datetime(2024, 2, 29, 12, 30, 0),
    dt.datetime(2024, 3, 1, 0, 0, 0),
    dt.datetime(2024, 3, 1, 0, 0, 1),
    dt.datetime(2024, 3, 31, 23, 59, 59, 999000),
    dt.datetime(2024, 4, 1, 0, 0, 0),
    dt.datetime(2024, 12, 31, 23, 59, 59),
    dt.datetime(2025, 1, 1, 0, 0, 0),
]
DATES = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 2, 29), dt.date(2024, 3, 1), dt.date(2024, 12, 31)]
NUMERICS = [Decimal("1.0"), Decimal("1.00"), Decimal("2.5"), Decimal("-1"), Decimal("0")]
FLOATS = [0.1, 0.2, 0.3, 0.7, 1.0, 1.5, -0.5]
TAGS = ["a", "b", "ab", "B", ""]
GROUPS = ["x", "y", "z"]
SMALL = [0, 1, 2, 3]


@dataclass(frozen=True)
class Variant:
    """One combination of the precondition flags and its table names."""

    index: int
    a_nn: bool
    k_unique: bool
    pid_nn: bool
    fk: bool
    v_nn: bool

    @property
    def p(self) -> str:
        return f"p_{self.index:02d}"

    @property
    def c(self) -> str:
        return f"c_{self.index:02d}"

    def ddl(self, dialect: str = "postgres") -> list[str]:
        """The variant's two tables. MySQL: ``datetime(3)`` (its ``timestamp`` updates itself), a scaled
        decimal (a bare one has no fraction) and the foreign key as a table constraint (InnoDB ignores an
        inline ``REFERENCES``)."""
        mysql = dialect == "mysql"
        ts, n = ("datetime(3)", "decimal(12, 2)") if mysql else ("timestamp", "numeric")
        inline = f" REFERENCES {self.p} (id)" if self.fk and not mysql else ""
        constraint = f", FOREIGN KEY (p_id) REFERENCES {self.p} (id)" if self.fk and mysql else ""
        return [
            f"CREATE TABLE {self.p} (id int PRIMARY KEY, a int{' NOT NULL' if self.a_nn else ''}, b int, "
            f"k int{' UNIQUE' if self.k_unique else ''}, g varchar(5) NOT NULL, ts {ts}, d date, "
            f"n {n}, f double precision)",
            f"CREATE TABLE {self.c} (id int PRIMARY KEY, p_id int{' NOT NULL' if self.pid_nn else ''}"
            f"{inline}, v int{' NOT NULL' if self.v_nn else ''}, w int, tag varchar(5){constraint})",
        ]


VARIANTS = [Variant(i, *(bool(i >> bit & 1) for bit in range(len(FLAGS)))) for i in range(2 ** len(FLAGS))]


def literal(value: object, dialect: str = "postgres") -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        return repr(value) + "E0" if dialect == "mysql" else f"CAST({value!r} AS DOUBLE PRECISION)"
    return str(value)


@dataclass
class Case:
    variant: Variant
    p_rows: list[tuple[Any, ...]]
    c_rows: list[tuple[Any, ...]]
    sql: str = ""

    def inserts(self, dialect: str = "postgres") -> list[str]:
        statements = []
        for table, rows in ((self.variant.p, self.p_rows), (self.variant.c, self.c_rows)):
            if rows:
                values = ", ".join("(" + ", ".join(literal(v, dialect) for v in row) + ")" for row in rows)
                statements.append(f"INSERT INTO {table} VALUES {values}")
        return statements


#: Bytes one case needs at most: variant and row counts, 6 parent rows of 8 values, 8 child rows of 4.
CASE_BYTES = 3 + 6 * 8 + 8 * 4


class _Bytes:
    """Reads small choices from hypothesis-drawn bytes (zeros once exhausted, so shorter data shrinks)."""

    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def byte(self) -> int:
        value = self.raw[self.at] if self.at < len(self.raw) else 0
        self.at += 1
        return value

    def choice(self, options: list[Any], nullable: bool = False) -> Any:
        value = self.byte()
        if nullable and value % 4 == 3:  # NULL a quarter of the time
            return None
        return options[value % len(options)]


def decode_case(raw: bytes) -> Case:
    """A variant and rows satisfying its constraints, decoded from bytes.

    One ``st.binary()`` draw per example instead of dozens of structured draws keeps hypothesis' own cost
    per example small; shrinking the bytes shrinks the tables (fewer rows, smaller values, variant 0).
    Duplicate UNIQUE keys become NULL (UNIQUE admits any number of NULLs); a foreign key takes one of the
    parents' ids, and a child that has no parent to reference is dropped.
    """
    data = _Bytes(raw)
    variant = VARIANTS[data.byte() % len(VARIANTS)]
    p_count, c_count = data.byte() % 7, data.byte() % 9
    p_rows: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    for index in range(p_count):
        a = data.choice(SMALL, nullable=not variant.a_nn)
        b = data.choice(SMALL, nullable=True)
        k = data.choice(list(range(6)) if variant.k_unique else SMALL, nullable=True)
        if variant.k_unique and k is not None:
            k = None if k in seen else k
            seen.add(k if k is not None else -1)
        row = (index + 1, a, b, k, data.choice(GROUPS), data.choice(TIMESTAMPS, True), data.choice(DATES, True))
        p_rows.append((*row, data.choice(NUMERICS, True), data.choice(FLOATS, True)))
    c_rows: list[tuple[Any, ...]] = []
    for index in range(c_count):
        ref = data.choice(list(range(8)), nullable=not variant.pid_nn)
        if variant.fk and ref is not None:
            if not p_rows:
                if variant.pid_nn:
                    continue
                ref = None
            else:
                ref = p_rows[ref % len(p_rows)][0]
        v = data.choice(SMALL, nullable=not variant.v_nn)
        c_rows.append((index + 1, ref, v, data.choice(list(range(7)), True), data.choice(TAGS, True)))
    return Case(variant, p_rows, c_rows)


#: A schema variant and rows for it: NULLs, duplicates, empty tables and skewed values are all common.
CASES: st.SearchStrategy[Case] = st.builds(decode_case, st.binary(min_size=CASE_BYTES, max_size=CASE_BYTES))


def normalise(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(normalise(v) for v in value)
    if isinstance(value, float):
        return round(value, 9)
    return value


@dataclass
class Outcome:
    status: str  # "applied", "advised" or "none"
    original: str
    rewritten: str
    report: RewriteReport


@dataclass
class Stats:
    examples: int = 0
    applied: int = 0
    advised: int = 0
    advised_disagree: int = 0
    untouched: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"{self.examples} examples: {self.applied} applied, {self.advised} advised "
            f"({self.advised_disagree} disagreeing), {self.untouched} not rewritten"
        )


def to_mysql(sql: str) -> str:
    """A template's PostgreSQL text printed in the MySQL dialect (backticks, MySQL's casts and functions)."""
    return parse_one(sql, "postgres").sql(dialect="mysql")


class MariaWorld:
    """The world in a throwaway database of a MariaDB (the run's private server), dropped on close."""

    def __init__(self, address: dict[str, Any]) -> None:
        import pymysql
        from pymysql.constants import CLIENT

        self.database = f"rw_{uuid.uuid4().hex[:10]}"
        options = {"host": address["host"], "port": address["port"], "user": address["user"]}
        self.connection = pymysql.connect(
            **options, password=address["password"], client_flag=CLIENT.MULTI_STATEMENTS, autocommit=False
        )
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {self.database}")
            cursor.execute(f"USE {self.database}")
            for variant in VARIANTS:
                for statement in variant.ddl("mysql"):
                    cursor.execute(statement)
        self.schemas = {v.index: Schema.from_ddl(";".join(v.ddl("mysql")), dialect="mysql") for v in VARIANTS}

    def run(self, case: Case, queries: list[str]) -> list[list[tuple[Any, ...]]]:
        """Insert the case's rows, run ``queries`` in one round trip, roll back; rows of each query."""
        import pymysql

        script = ";\n".join([*case.inserts("mysql"), *queries])
        results: list[list[tuple[Any, ...]]] = []
        with self.connection.cursor() as cursor:
            try:
                cursor.execute(script)
                while True:
                    if cursor.description is not None:
                        results.append(list(cursor.fetchall()))
                    if not cursor.nextset():
                        break
            except pymysql.Error as error:
                raise AssertionError(f"MariaDB failed: {error}\n{script}") from error
            finally:
                self.connection.rollback()
        return results

    def close(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {self.database}")
        self.connection.close()


class Engines:
    """The PostgreSQL world (and the DuckDB and MariaDB ones), with every variant's tables created once."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.schema_name = f"rw_{uuid.uuid4().hex[:10]}"
        self.dsn = dsn
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {self.schema_name}")
        self.pg = psycopg.connect(dsn, options=f"-csearch_path={self.schema_name}")
        self.pg.execute("SET TIME ZONE 'Europe/Berlin'")
        self.pg.execute(";".join(statement for variant in VARIANTS for statement in variant.ddl()))
        self.pg.commit()
        self.schemas = {v.index: Schema.from_ddl(";".join(v.ddl()), dialect="postgres") for v in VARIANTS}
        self._duck: Any = None
        self.maria: MariaWorld | None = None  # set by the ``maria_engines`` fixture

    @property
    def duck(self) -> Any:
        if self._duck is None:
            import duckdb

            self._duck = duckdb.connect()
            for variant in VARIANTS:
                for statement in variant.ddl():
                    self._duck.execute(statement)
        return self._duck

    def close(self) -> None:
        import psycopg

        self.pg.close()
        if self._duck is not None:
            self._duck.close()
        if self.maria is not None:
            self.maria.close()
        with psycopg.connect(self.dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {self.schema_name} CASCADE")

    # -- running --------------------------------------------------------------------------------------
    def run_pg(self, case: Case, queries: list[str]) -> list[list[tuple[Any, ...]]]:
        """Insert the case's rows, run ``queries`` in one round trip, roll back; rows of each query."""
        import psycopg

        script = ";\n".join([*case.inserts(), *queries])
        results: list[list[tuple[Any, ...]]] = []
        try:
            cursor = self.pg.execute(script.encode())
            while True:
                if cursor.description is not None:
                    results.append(cursor.fetchall())
                if not cursor.nextset():
                    break
        except psycopg.Error as error:
            self.pg.rollback()
            raise AssertionError(f"PostgreSQL failed: {error}\n{script}") from error
        self.pg.rollback()
        return results

    def run_duck(self, case: Case, queries: list[str]) -> list[list[tuple[Any, ...]]]:
        duck = self.duck
        duck.execute("BEGIN")
        try:
            for statement in case.inserts():
                duck.execute(statement)
            return [duck.execute(query).fetchall() for query in queries]
        except Exception as error:
            raise AssertionError(f"DuckDB failed: {error}\n{case.inserts()}\n{queries}") from error
        finally:
            duck.execute("ROLLBACK")

    def run_maria(self, case: Case, queries: list[str]) -> list[list[tuple[Any, ...]]]:
        assert self.maria is not None, "the MariaDB world is attached by the maria_engines fixture"
        return self.maria.run(case, queries)

    # -- checking -------------------------------------------------------------------------------------
    def rewritten(self, case: Case, rule: str, dialect: str) -> Outcome:
        schemas = self.maria.schemas if dialect == "mysql" and self.maria is not None else self.schemas
        schema = schemas[case.variant.index]
        safe = rewrite(case.sql, dialect=dialect, schema=schema, select=[rule])
        if any(change.rewrite == rule for change in safe.applied):
            return Outcome("applied", case.sql, safe.sql, safe)
        if any(change.rewrite == rule and not change.template for change in safe.advised):
            unsafe = rewrite(case.sql, dialect=dialect, schema=schema, select=[rule], unsafe=True)
            return Outcome("advised", case.sql, unsafe.sql, unsafe)
        return Outcome("none", case.sql, case.sql, safe)

    def check(self, case: Case, rule: str, stats: Stats, engine: str = "postgres", ordered: bool = False) -> None:
        """Run the original and the rewrite; an APPLIED rewrite that changes the result fails the test."""
        if engine == "mariadb":
            case.sql = to_mysql(case.sql)
        outcome = self.rewritten(case, rule, "mysql" if engine == "mariadb" else engine)
        stats.examples += 1
        stats.statuses[outcome.status] += 1
        if outcome.status == "none":
            stats.untouched += 1
            return
        runner = {"postgres": self.run_pg, "duckdb": self.run_duck}.get(engine) or self.run_maria
        before, after = runner(case, [outcome.original, outcome.rewritten])
        same = _same(before, after, ordered)
        if outcome.status == "applied":
            stats.applied += 1
            assert same, (
                f"{rule} changed the result on {engine}\n-- variant {case.variant}\n-- data p={case.p_rows} "
                f"c={case.c_rows}\n-- original\n{outcome.original}\n-- rewritten\n{outcome.rewritten}\n"
                f"-- before {before}\n-- after {after}"
            )
        else:
            stats.advised += 1
            stats.advised_disagree += not same


def _same(before: list[tuple[Any, ...]], after: list[tuple[Any, ...]], ordered: bool) -> bool:
    left = [normalise(row) for row in before]
    right = [normalise(row) for row in after]
    return left == right if ordered else Counter(left) == Counter(right)
