"""One rule for "SQL text or a path" (``sqltune.core.source.sources_from``), the same answer from every API
entry point: lint, analyze, rewrite and advise_indexes (through load_workload) read the same table of inputs
the same way. Each input's expectation: ``text``, the file names read, or the error naming the input."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import sqltune
from sqltune.core.source import is_path, sources_from
from sqltune.indexes.advisor import load_workload

CTE = "WITH x AS (SELECT id FROM typed) SELECT id FROM x"

#: input (with {d} for the test folder) -> what every entry point reads.
TABLE: list[tuple[object, object]] = [
    ("SELECT id FROM typed WHERE id = 1", "text"),
    (CTE, "text"),
    ("SELECT id FROM typed;", "text"),
    ("SELECT id\nFROM typed", "text"),
    ("SELECT(id)FROM(typed)", "text"),  # no whitespace, still SQL
    ("selected.sql", ["selected.sql"]),  # an existing file in the working directory, not SQL
    ("missing.sql", "missing.sql: no such file or directory"),
    ("{d}/queries", ["a.sql", "b.sql"]),
    ("{d}/queries/*.sql", ["a.sql", "b.sql"]),
    ("{d}/empty", "{d}/empty: no SQL files (*.sql) in this directory"),
    ("{d}/notes/*", "{d}/notes/*: no SQL file (*.sql) matches this pattern"),
    (Path("selected.sql"), ["selected.sql"]),
    (["selected.sql", "{d}/queries/a.sql"], ["a.sql", "selected.sql"]),
]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "selected.sql").write_text("SELECT id FROM from_file WHERE id = 1\n")
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "a.sql").write_text("SELECT id FROM from_file WHERE id = 2\n")
    (tmp_path / "queries" / "b.sql").write_text("SELECT id FROM from_file WHERE id = 3\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("SELECT 1\n")
    return tmp_path


def _fill(value: object, folder: Path) -> object:
    if isinstance(value, str):
        return value.replace("{d}", str(folder))
    if isinstance(value, list):
        return [_fill(item, folder) for item in value]
    return value


def _names(paths: list[str]) -> object:
    return "text" if paths == ["<string>"] or paths == ["<workload>"] else sorted(os.path.basename(p) for p in paths)


def _lint(given: object) -> object:
    report = sqltune.lint(given)  # type: ignore[arg-type]
    if report.failed:
        return "; ".join(str(problem) for problem in report.problems if problem.fatal)
    return _names(list(report.sources))


def _analyze(given: object) -> object:
    graphs = sqltune.analyze(given)  # type: ignore[arg-type]
    tables = {table.name for graph in graphs for table in graph.base_tables()}
    return "text" if tables == {"typed"} else tables


def _rewrite(given: object) -> object:
    return _names([sqltune.rewrite(given).path])  # type: ignore[arg-type]


def _workload(given: object) -> object:
    """Statements of files are named ``path:line``; SQL text goes by its first words."""
    ids = [query.id for query in load_workload(given)]  # type: ignore[arg-type]
    paths = [query_id.rsplit(":", 1)[0] for query_id in ids if query_id.endswith(":1")]
    return "text" if not paths else sorted(os.path.basename(path) for path in paths)


ENTRY_POINTS: dict[str, Callable[[object], object]] = {
    "lint": _lint,
    "analyze": _analyze,
    "rewrite": _rewrite,
    "advise_indexes": _workload,
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(("given", "expected"), TABLE, ids=[repr(given)[:40] for given, _ in TABLE])
def test_every_entry_point_reads_the_same_input_the_same_way(
    folder: Path, entry: str, given: object, expected: object
) -> None:
    given, expected = _fill(given, folder), _fill(expected, folder)
    if entry == "analyze" and isinstance(expected, list):
        expected = {"from_file"}
    if entry == "rewrite" and isinstance(expected, list) and len(expected) > 1:
        expected = f"expected SQL text or one SQL file, found {len(expected)} files"
    if isinstance(expected, str) and expected != "text":
        if entry == "lint":
            assert ENTRY_POINTS[entry](given) == expected
        else:
            with pytest.raises(ValueError) as raised:
                ENTRY_POINTS[entry](given)
            assert str(raised.value).endswith(expected)
        return
    assert ENTRY_POINTS[entry](given) == expected


def test_advise_indexes_takes_a_cte_as_sql_and_a_file_name_as_a_file(folder: Path) -> None:
    """The two cases of issue 18: a CTE was "no file matches this pattern", a file name was read as SQL."""
    schema = sqltune.Schema.from_ddl("CREATE TABLE typed (id int); CREATE TABLE from_file (id int)")
    plan = sqltune.advise_indexes(CTE, schema=schema)
    assert [impact.query_id for impact in plan.queries] == ["WITH x AS (SELECT id FROM typed) SELECT…"]
    plan = sqltune.advise_indexes("selected.sql", schema=schema)
    assert [impact.query_id for impact in plan.queries] == ["selected.sql:1"]


def test_the_rule() -> None:
    assert not is_path("SELECT * FROM t") and not is_path("select*from t") and not is_path("")
    assert is_path("q.sql") and is_path("models/**/*.sql") and not is_path("select.sql x")
    with pytest.raises(TypeError):
        sources_from(b"SELECT 1")  # type: ignore[arg-type]
