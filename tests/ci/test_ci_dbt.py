"""dbt: compiled SQL from target/manifest.json is linted, findings land on the model files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ci_support import DATA, run_cli

from sqltune.core.source import Source
from sqltune.linter.dbt import LineMap, find_manifest, load_manifest


@pytest.fixture
def dbt_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(DATA / "dbt_project", root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SQLTUNE_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _lint(*args: str) -> tuple[int, list[str], str]:
    result = run_cli("lint", "--no-cache", "--select", "SQ001", "--format", "concise", *args)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_manifest_is_found_and_findings_map_to_model_files(dbt_project: Path) -> None:
    assert find_manifest(["models"]) == str(dbt_project / "target" / "manifest.json")
    code, lines, _ = _lint("models")
    assert code == 1
    assert lines == [
        "models/marts/not_compiled.sql:1:8: SQ001 `*` selects every column of `orders`; "
        "name the columns the caller needs",
        # `*` only exists in the compiled SQL: the macro call that produced it is reported.
        "models/marts/orders_wide.sql:1:8: SQ001 `*` selects every column of `orders`; "
        "name the columns the caller needs",
    ]
    text = run_cli("lint", "--no-cache", "--select", "SQ001", "models/marts/orders_wide.sql").stdout
    assert "    1 | select {{ all_columns('orders') }}\n      |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^" in text


def test_without_paths_the_manifest_models_are_linted(dbt_project: Path) -> None:
    code, lines, _ = _lint("--dbt-manifest", "target/manifest.json")
    assert code == 1 and len(lines) == 2


def test_no_dbt_lints_placeholders(dbt_project: Path) -> None:
    code, lines, _ = _lint("models", "--no-dbt")
    assert code == 1
    assert [line.split(":")[0] for line in lines] == ["models/marts/not_compiled.sql"]


def test_stale_manifest_falls_back_to_the_file_with_a_notice(dbt_project: Path) -> None:
    model = dbt_project / "models" / "marts" / "orders_wide.sql"
    model.write_text("select id\nfrom {{ ref('orders') }}\n")
    code, lines, err = _lint("models")
    assert [line.split(":")[0] for line in lines] == ["models/marts/not_compiled.sql"]
    assert "notice: models/marts/orders_wide.sql: changed since the dbt manifest was written" in err
    assert code == 1


def test_manifest_loading_skips_packages_seeds_and_missing_files(dbt_project: Path) -> None:
    manifest = load_manifest("target/manifest.json")
    assert sorted(model.original_file_path for model in manifest.models.values()) == [
        "models/marts/customer_revenue.sql",
        "models/marts/not_compiled.sql",
        "models/marts/orders_wide.sql",
    ]
    assert manifest.model_for("models/marts/not_compiled.sql").compiled_code is None  # type: ignore[union-attr]
    assert manifest.model_for("models/marts/orders_wide.sql").compiled_code.startswith("select *")  # type: ignore[union-attr]


def test_bad_manifest_is_one_error_line(dbt_project: Path) -> None:
    (dbt_project / "target" / "manifest.json").write_text('{"nodes": {\n  "x": }\n')
    result = run_cli("lint", "models")
    assert result.exit_code == 2
    assert result.stderr.startswith("sqltune: error: ")
    assert "target/manifest.json:2:8: invalid JSON" in result.stderr
    (dbt_project / "target" / "manifest.json").write_text(json.dumps({"metadata": {}}))
    result = run_cli("lint", "models")
    assert result.exit_code == 2 and 'not a dbt manifest (expected a "nodes" object' in result.stderr


def test_line_map_equal_shifted_and_expanded_lines() -> None:
    raw = Source("m.sql", (DATA / "dbt_project" / "models" / "marts" / "customer_revenue.sql").read_text())
    manifest = json.loads((DATA / "dbt_project" / "target" / "manifest.json").read_text())
    compiled = Source("m.sql", manifest["nodes"]["model.shop.customer_revenue"]["compiled_code"])
    line_map = LineMap(compiled, raw)
    # Equal lines map to themselves although the compiled text has three more lines above them.
    assert compiled.line_text(16).strip() == "join paid p on p.customer_id = c.customer_id"
    assert line_map.position(16, 6, "paid") == (13, 6)
    # The four lines dbt_utils.star expanded to map to the macro call's line.
    assert [line_map.position(n, 12)[0] for n in (4, 5, 6, 7)] == [4, 4, 4, 4]
    # A compiled ref on a line of its own maps to the ref, found by the text at the finding.
    assert line_map.position(15, 6, '"analytics"') == (12, 6)


def test_line_map_without_common_lines_points_at_the_first_line() -> None:
    line_map = LineMap(Source("m.sql", "select 1\nfrom x"), Source("m.sql", "{{ macro() }}"))
    assert line_map.position(2, 3, "x") == (1, 1)
