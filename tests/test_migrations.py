"""One schema per lint run: DDL spread over files (a migrations folder, ``schema.sql`` + ``pkeys.sql``) is
applied in migration order before any schema-aware rule runs, and each table is judged on its final state,
in process and with worker processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqltune.cli import main
from sqltune.core.config import Config
from sqltune.core.source import read_sources
from sqltune.linter.engine import Linter, lint_paths
from sqltune.linter.parallel import MIN_FILES_FOR_WORKERS, LintStats, lint_sources
from sqltune.schema import Schema
from sqltune.schema.migrations import apply_statements, migration_order

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHOP = FIXTURES / "migrations" / "shop"


def _codes(report: object) -> list[tuple[str, str]]:
    return sorted((Path(f.path).name, f.code) for f in report.findings)  # type: ignore[attr-defined]


def test_migration_order_numbers_versions_not_names() -> None:
    names = ["V10__rename.sql", "V2__keys.sql", "R__views.sql", "V1.1__fix.sql", "V1__create.sql", "notes.sql"]
    assert migration_order(names) == [
        "V1__create.sql",
        "V1.1__fix.sql",
        "V2__keys.sql",
        "V10__rename.sql",
        "R__views.sql",
        "notes.sql",
    ]
    stamps = ["20240301_b.sql", "20231231235959_a.sql", "schema.sql"]
    assert migration_order(stamps) == ["20240301_b.sql", "20231231235959_a.sql", "schema.sql"]


def _shop_schema() -> Schema:
    linter = Linter(Config(dialect="postgres"))
    statements = [s for source in read_sources([SHOP]) for s in linter.parse(source).statements]  # type: ignore[arg-type]
    schema = Schema()
    apply_statements(schema, statements, "postgres")
    return schema


def test_migrations_folder_gives_the_final_schema() -> None:
    schema = _shop_schema()
    assert schema.table("orders") is None and schema.table("audit_scratch") is None
    purchases = schema.table("purchases")
    assert purchases is not None
    assert purchases.primary_key == ("id",)
    assert list(purchases.columns) == ["id", "customer_id", "placed_at", "amount"]
    assert [(fk.columns, fk.ref_table) for fk in purchases.foreign_keys] == [(("customer_id",), "customers")]
    assert sorted(index.name for index in purchases.indexes) == ["orders_placed_idx", "purchases_customer_idx"]
    assert all(index.table == "purchases" for index in purchases.indexes)
    lines = schema.table("order_lines")
    assert lines is not None and lines.foreign_keys[0].ref_table == "purchases"  # follows the rename
    customers = schema.table("customers")
    assert customers is not None and customers.indexes == [] and customers.unique_keys == [("email",)]


def test_migrations_folder_is_judged_on_its_final_state() -> None:
    report = lint_paths([SHOP], Config(dialect="postgres"))
    # No SQ101 on the keys added in V2, none on the table V4 drops, no SQ106 on the index V4 drops; the
    # queries use the renamed table and column. What stays: `id` named twice (SQ113, info).
    assert _codes(report) == [("V1__create_tables.sql", "SQ113"), ("V1__create_tables.sql", "SQ113")]
    assert not report.problems


def test_a_later_drop_constraint_counts(tmp_path: Path) -> None:
    shutil.copytree(SHOP, tmp_path / "shop")
    (tmp_path / "shop" / "V11__drop_key.sql").write_text("ALTER TABLE purchases DROP CONSTRAINT orders_pkey;\n")
    (tmp_path / "shop" / "V12__drop_unique.sql").write_text(
        "ALTER TABLE customers DROP CONSTRAINT customers_email_key;\n"
        "ALTER TABLE customers ALTER COLUMN email DROP NOT NULL;\n"
    )
    report = lint_paths([tmp_path / "shop"], Config(dialect="postgres", select=("SQ101",)))
    found = [(Path(f.path).name, f.code, f.span.line) for f in report.findings]
    assert found == [("V1__create_tables.sql", "SQ101", 8)]


def _tpcds_split(root: Path, queries: int) -> Path:
    """The TPC-DS schema as a project keeps it: tables in schema.sql, keys in pkeys.sql (which sorts first)."""
    ddl = [s.strip() for s in (FIXTURES / "schemas" / "tpcds.sql").read_text().split(";") if s.strip()]
    root.mkdir()
    body = [s.split("\n", 1)[-1] if s.startswith("--") else s for s in ddl]
    (root / "schema.sql").write_text(";\n".join(s for s in body if "CREATE TABLE" in s) + ";\n")
    (root / "pkeys.sql").write_text(";\n".join(s for s in body if s.startswith("ALTER")) + ";\n")
    for query in sorted((FIXTURES / "workloads" / "tpcds").glob("*.sql"))[:queries]:
        shutil.copy(query, root / query.name)
    return root


def test_tpcds_schema_and_keys_in_two_files(tmp_path: Path) -> None:
    root = _tpcds_split(tmp_path / "tpcds", 0)
    report = lint_paths([root], Config(dialect="postgres", select=("SQ101",)))
    assert report.statements == 48 and not report.findings


@pytest.mark.parametrize("jobs", [1, 2])
def test_split_schema_with_worker_processes(tmp_path: Path, jobs: int) -> None:
    root = _tpcds_split(tmp_path / "tpcds", MIN_FILES_FOR_WORKERS + 4)
    shutil.copytree(SHOP, root / "shop")
    config = Config(dialect="postgres")
    single = Linter(config).lint_sources(read_sources([root]))
    stats = LintStats()
    split = lint_sources(read_sources([root]), config, jobs=jobs, stats=stats)
    assert stats.workers == (2 if jobs == 2 else 0) and stats.ddl_files == 7
    key = sorted((f.path, f.span.start, f.code, f.message) for f in split.findings)
    assert key == sorted((f.path, f.span.start, f.code, f.message) for f in single.findings)
    assert not any(f.code in {"SQ101", "SQ106"} for f in split.findings)


def test_cli_with_jobs_two_has_no_sq101(tmp_path: Path) -> None:
    root = _tpcds_split(tmp_path / "tpcds", MIN_FILES_FOR_WORKERS + 4)
    result = CliRunner().invoke(main, ["lint", "--jobs", "2", "--no-cache", "--format", "concise", str(root)])
    assert result.exit_code in (0, 1), result.output
    assert "SQ101" not in result.output and "tpcds/q01.sql" in result.output
