"""Parallel linting and the cache give exactly the findings of one in-process run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ci_support import run_cli

from sqltune.core.config import Config
from sqltune.core.findings import Report
from sqltune.core.source import Source, read_sources
from sqltune.linter.engine import Linter
from sqltune.linter.parallel import LintStats, lint_sources, merged_schema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _tpch_repo(root: Path) -> list[str]:
    """TPC-H split the way real repositories are: tables, keys and foreign keys in separate files (so
    queries depend on DDL in other files), the 22 queries, and dbt-style models over them."""
    ddl = (FIXTURES / "schemas" / "tpch.sql").read_text().split(";")
    tables = [s for s in ddl if "CREATE TABLE" in s]
    keys = [s for s in ddl if "PRIMARY KEY" in s]
    fks = [s for s in ddl if "FOREIGN KEY" in s]
    (root / "db").mkdir(parents=True)
    (root / "db" / "01_tables.sql").write_text(";".join(tables) + ";\n")
    (root / "db" / "03_foreign_keys.sql").write_text(";".join(fks) + ";\n")
    (root / "db" / "02_keys.sql").write_text(
        ";".join(keys) + ";\nCREATE INDEX lineitem_ship ON lineitem (l_shipdate);\n"
    )
    (root / "queries").mkdir()
    for query in sorted((FIXTURES / "workloads" / "tpch").glob("*.sql")):
        (root / "queries" / query.name).write_text(query.read_text())
    (root / "models").mkdir()
    for n in range(12):
        (root / "models" / f"m{n:02}.sql").write_text(
            "{{ config(materialized='table') }}\n"
            f"select o.*, c.c_name from {{{{ ref('orders') }}}} o join customer c on c.c_custkey = o.o_custkey\n"
            "{% if is_incremental() %}where o.o_orderdate > (select max(o_orderdate) from {{ this }}){% endif %}\n"
            f"and o.o_totalprice > {n}\n"
        )
    (root / "queries" / "empty.sql").write_text("-- nothing here\n")
    (root / "queries" / "broken.sql").write_text("SELECT FROM WHERE;\nSELECT * FROM nation;\n")
    return [str(root)]


def _same(single: Report, split: Report) -> None:
    def key(report: Report) -> list[tuple[object, ...]]:
        return sorted((f.path, f.span.start, f.span.end, f.code, f.message, f.severity) for f in report.findings)

    assert key(split) == key(single)
    assert split.statements == single.statements
    assert sorted(map(str, split.problems)) == sorted(map(str, single.problems))
    assert split.sources.keys() == single.sources.keys()


@pytest.mark.parametrize("jobs", [1, 2])
def test_split_run_equals_single_run(tmp_path: Path, jobs: int) -> None:
    paths = _tpch_repo(tmp_path / "repo")
    config = Config(dialect="postgres")
    single = Linter(config).lint_sources(read_sources(paths))
    stats = LintStats()
    split = lint_sources(read_sources(paths), config, jobs=jobs, stats=stats)
    _same(single, split)
    assert single.findings, "the fixture repository should have findings"
    assert stats.ddl_files == 3 and stats.files == 39
    assert stats.workers == (2 if jobs == 2 else 0)


def test_query_files_see_ddl_from_every_file(tmp_path: Path) -> None:
    paths = _tpch_repo(tmp_path / "repo")
    linter = Linter(Config(dialect="postgres"))
    items = [linter.parse(s) for s in read_sources(paths) if isinstance(s, Source) and "/db/" in s.path]
    schema = merged_schema(None, items, "postgres")
    lineitem = schema.table("lineitem")
    assert lineitem is not None
    assert lineitem.primary_key == ("l_orderkey", "l_linenumber")  # ALTER in 02_keys.sql
    assert [index.name for index in lineitem.indexes] == ["lineitem_ship"]
    assert len(lineitem.foreign_keys) == 2  # ALTER in 03_foreign_keys.sql


def _run(paths: list[str], cache: Path, config: Config | None = None) -> tuple[Report, LintStats]:
    stats = LintStats()
    report = lint_sources(
        read_sources(paths), config or Config(dialect="postgres"), jobs=1, cache_dir=cache, stats=stats
    )
    return report, stats


def test_cache_reuses_files_and_invalidates_what_changed(tmp_path: Path) -> None:
    paths = _tpch_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    cold, stats = _run(paths, cache)
    assert (stats.cached, stats.linted) == (0, 39)
    assert (cache / "CACHEDIR.TAG").is_file()
    warm, stats = _run(paths, cache)
    assert (stats.cached, stats.linted) == (39, 0)
    _same(cold, warm)
    assert [f.span for f in warm.findings] == [f.span for f in cold.findings]

    query = tmp_path / "repo" / "queries" / "q01.sql"
    query.write_text(query.read_text() + "\n;SELECT * FROM region;\n")
    report, stats = _run(paths, cache)
    assert (stats.cached, stats.linted) == (38, 1)
    assert any(f.path.endswith("q01.sql") and "`*`" in f.message for f in report.findings)

    keys = tmp_path / "repo" / "db" / "02_keys.sql"
    keys.write_text(keys.read_text() + "CREATE INDEX orders_date ON orders (o_orderdate);\n")
    _, stats = _run(paths, cache)
    assert (stats.cached, stats.linted) == (0, 39)  # DDL informs every query: everything is linted again

    _, stats = _run(paths, cache, Config(dialect="postgres", ignore=("SQ001",)))
    assert stats.cached == 0  # another config, other findings


def test_broken_cache_entries_are_ignored(tmp_path: Path) -> None:
    paths = _tpch_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    cold, _ = _run(paths, cache)
    [pack] = cache.glob("lint-*.json")
    pack.write_text("{not json")
    again, stats = _run(paths, cache)
    assert stats.linted == 39
    _same(cold, again)


def test_cli_cache_location_and_no_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQLTUNE_CACHE_DIR")
    first = run_cli("lint", ".", "--format", "json", "-v")
    assert re.search(r"6 files: 6 linted, 0 from the cache", first.stderr)
    assert (project / ".sqltune_cache" / "CACHEDIR.TAG").is_file()  # the folder of .sqltune.toml
    second = run_cli("lint", ".", "--format", "json", "-v")
    assert "6 files: 0 linted, 6 from the cache" in second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout)
    third = run_cli("lint", ".", "--format", "json", "-v", "--no-cache")
    assert "6 files: 6 linted, 0 from the cache" in third.stderr
