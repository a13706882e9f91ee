"""The corpus of application SQL (fixtures/appsql: Django-captured and ActiveRecord-shaped statements).

Each case's rewrite must be what the file expects (``expected``, ``applied``, ``advised``), and the
rewritten statement, its sample parameters bound, must return the same multiset of rows as the original
on generated data: on PostgreSQL for the PostgreSQL cases, on MariaDB for the MySQL ones and for the
PostgreSQL ones printed in the MySQL dialect (the same tables exist in the MySQL twin of each schema).

``SQLTUNE_UPDATE_APPSQL=1`` writes the current outcomes into the files instead of checking them (run it
without ``-n``, then review the diff): after a rewrite lands, filling the corpus is that one command.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from rw_harness import normalise

from sqltune.core.sqlglot import ParseError
from sqltune.testing.appdata import generate, load_postgres
from sqltune.testing.appsql import (
    CLASSES,
    COUNTERPART,
    NO_REWRITE,
    SCHEMAS,
    Case,
    drop_mysql_world,
    executable_ddl,
    load_cases,
    mysql_world,
    outcome,
    schema,
    to_mysql,
    update_expectations,
)

UPDATE = os.environ.get("SQLTUNE_UPDATE_APPSQL") == "1"
ROWS = 200  # rows of the tables nothing references (a tenth, at least 20, for the others)
CASES = load_cases()
BY_ID = {case.id: case for case in CASES}
PG_CASES = [case.id for case in CASES if case.dialect == "postgres"]
MARIADB_CASES = [case.id for case in CASES if case.dialect == "mysql" or case.fields["schema"] in COUNTERPART]


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 80
    assert len(BY_ID) == len(CASES), "case names are unique within a file"
    sources = Counter(str(case.fields["source"]).split()[0] for case in CASES)
    assert sources["django"] >= 40 and sources["activerecord"] >= 40, sources
    assert {case.dialect for case in CASES} == {"postgres", "mysql"}
    assert sum(bool(case.fields.get("issue_example")) for case in CASES) >= 20
    for case in CASES:
        assert case.fields["schema"] in SCHEMAS, case.id
        assert case.fields["exercises"] in CLASSES, case.id
        assert case.fields.get("note"), case.id
    # Every class of issue 20 is exercised, with both a PostgreSQL and a MySQL case.
    for name in CLASSES:
        dialects = {case.dialect for case in CASES if case.fields["exercises"] == name}
        if name not in ("redundant-group-by", "distinct-join-to-semi-join"):
            assert dialects == {"postgres", "mysql"}, (name, dialects)


def test_update_expectations() -> None:
    """With SQLTUNE_UPDATE_APPSQL=1: write the current outcomes into the corpus files (then review them)."""
    if not UPDATE:
        pytest.skip("set SQLTUNE_UPDATE_APPSQL=1 to rewrite the expectations from the current output")
    print(f"{update_expectations(CASES)} cases updated")


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_rewrite_is_as_expected(case_id: str) -> None:
    if UPDATE:
        pytest.skip("updating the expectations")
    case = BY_ID[case_id]
    now = outcome(case)
    expected = case.fields.get("expected")
    assert expected is not None, f"{case_id} has no expectation: run with SQLTUNE_UPDATE_APPSQL=1 and review"
    if str(expected).startswith(NO_REWRITE):
        assert not now.changed, f"{case_id} is now rewritten ({now.applied}):\n{now.sql}"
    else:
        assert now.sql == expected
    assert now.applied == case.fields.get("applied", []), case_id
    assert now.advised == case.fields.get("advised", []), case_id


# -- results on real engines ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_worlds(pg_dsn: str) -> Iterator[dict[str, psycopg.Connection[Any]]]:
    """Each PostgreSQL schema of the corpus, with generated rows, in a throwaway schema of its own."""
    made: dict[str, psycopg.Connection[Any]] = {}
    names = []
    try:
        for ref, (_, dialect) in SCHEMAS.items():
            if dialect != "postgres":
                continue
            name = f"app_{uuid.uuid4().hex[:10]}"
            names.append(name)
            with psycopg.connect(pg_dsn, autocommit=True) as admin:
                admin.execute(f"CREATE SCHEMA {name}")
            connection = psycopg.connect(pg_dsn, autocommit=True, options=f"-csearch_path={name}")
            connection.execute(executable_ddl(ref).encode())
            load_postgres(connection, generate(schema(ref), ROWS))
            made[ref] = connection
        yield made
    finally:
        for connection in made.values():
            connection.close()
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            for name in names:
                admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(scope="session")
def maria_worlds(mariadb: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each MySQL schema of the corpus, with generated rows, in a throwaway database of the run's MariaDB."""
    made: dict[str, Any] = {}
    try:
        for ref, (_, dialect) in SCHEMAS.items():
            if dialect == "mysql":
                made[ref] = mysql_world(mariadb, ref, ROWS)
        yield made
    finally:
        for connection in made.values():
            drop_mysql_world(connection)


def _check(case: Case, rewritten: str, before: list[tuple[Any, ...]], after: list[tuple[Any, ...]]) -> None:
    """The same multiset of rows -- or, for a case with a ``known_bug``, still not (then the bug is fixed:
    drop the field)."""
    same = Counter(normalise(row) for row in before) == Counter(normalise(row) for row in after)
    bug = case.fields.get("known_bug")
    if bug:
        assert not same, f"{case.id}: the known bug is gone ({bug}): remove known_bug from the case"
        return
    assert same, f"{case.id}: the rewrite changed the result\n{rewritten}\n-- before {before}\n-- after {after}"


def _rows_pg(connection: psycopg.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql.encode()).fetchall()


def _rows_maria(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize("case_id", PG_CASES)
def test_results_agree_on_postgres(pg_worlds: dict[str, psycopg.Connection[Any]], case_id: str) -> None:
    case = BY_ID[case_id]
    connection = pg_worlds[str(case.fields["schema"])]
    now = outcome(case)
    before = _rows_pg(connection, case.bound())
    if now.changed:
        _check(case, now.sql, before, _rows_pg(connection, case.bound(now.sql)))


@pytest.mark.parametrize("case_id", MARIADB_CASES)
def test_results_agree_on_mariadb(maria_worlds: dict[str, Any], case_id: str) -> None:
    case = BY_ID[case_id]
    now = outcome(case)
    original, rewritten = case.bound(), case.bound(now.sql)
    ref = str(case.fields["schema"])
    if case.dialect == "postgres":
        if not case.fields.get("portable", True):
            pytest.skip(f"not portable to MySQL: {case.fields.get('portable_note', '')}")
        try:
            original, rewritten = to_mysql(original), to_mysql(rewritten)
        except ParseError as error:  # pragma: no cover - a corpus error, reported as such
            pytest.fail(f"{case_id} does not print in the MySQL dialect: {error}")
        ref = COUNTERPART[ref]
    connection = maria_worlds[ref]
    before = _rows_maria(connection, original)
    if now.changed:
        _check(case, rewritten, before, _rows_maria(connection, rewritten))


def test_generated_data_meets_the_cases(pg_worlds: dict[str, psycopg.Connection[Any]]) -> None:
    """The sample parameters hit the generated rows: most PostgreSQL cases return rows (else the result check
    compares empty sets)."""
    empty = [
        case_id for case_id in PG_CASES
        if not _rows_pg(pg_worlds[str(BY_ID[case_id].fields["schema"])], BY_ID[case_id].bound())
    ]  # fmt: skip
    assert len(empty) <= len(PG_CASES) // 5, empty
