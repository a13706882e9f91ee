"""dbt's manifest.json and run_results.json of several schema versions, read into what the dbt step uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_support import RUNS, VERSIONS

from sqltune.dbt.artifacts import read_manifest, read_run_results, run_results_path
from sqltune.linter.dbt import DbtError

MODELS = [
    "model.shop.stg_customers",
    "model.shop.stg_orders",
    "model.shop.customer_revenue",
    "model.shop.order_fan_out",
]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_reads_the_same_models_times_and_code(version: str) -> None:
    manifest_version, results_version = (int(part[1:]) for part in version.split("-"))
    manifest = read_manifest(RUNS / version / "target" / "manifest.json")
    run = read_run_results(RUNS / version / "target" / "run_results.json")
    assert (manifest.info.schema_version, run.info.schema_version) == (manifest_version, results_version)
    assert manifest.info.notices == [] and run.info.notices == []
    assert manifest.adapter_type == "postgres" and manifest.project_name == "shop"
    fan_out = manifest.nodes["model.shop.order_fan_out"]
    assert (fan_out.resource_type, fan_out.materialized) == ("model", "table")
    assert fan_out.original_file_path == "models/marts/order_fan_out.sql"
    assert fan_out.raw_code.startswith("{{ config(materialized='table') }}")
    assert fan_out.compiled_code is not None and "generate_series(1, 1500000)" in fan_out.compiled_code
    assert manifest.nodes["model.shop.stg_orders"].materialized == "view"
    assert manifest.schemas() == ["dbt_step_capture"]
    assert [uid for uid in run.results if uid.startswith("model.")] == MODELS  # run order
    timed = run.results["model.shop.order_fan_out"]
    assert timed.status == "success" and timed.execution_time is not None and timed.execution_time > 1.0
    assert all(result.status in ("success", "pass") for result in run.results.values())
    # Run results carry their own compiled code since v5 (dbt 1.5); v4 has none.
    assert (timed.compiled_code is not None) == (results_version >= 5)


def _rewrite(source: Path, target: Path, change: object) -> Path:
    data = json.loads(source.read_text())
    change(data)  # type: ignore[operator]
    target.write_text(json.dumps(data))
    return target


def test_older_field_names_and_unknown_versions_are_read_with_a_notice(tmp_path: Path) -> None:
    def dbt_1_2(data: dict) -> None:  # before dbt 1.3: raw_sql/compiled_sql, manifest v6
        data["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v6.json"
        for node in data["nodes"].values():
            node["raw_sql"] = node.pop("raw_code")
            if "compiled_code" in node:
                node["compiled_sql"] = node.pop("compiled_code")

    manifest = read_manifest(_rewrite(RUNS / "v12-v6/target/manifest.json", tmp_path / "manifest.json", dbt_1_2))
    assert manifest.info.notices == [
        "manifest v6 is not a version sqltune knows (v9 to v12); read with the fields those share"
    ]
    node = manifest.nodes["model.shop.order_fan_out"]
    assert node.raw_code.startswith("{{ config") and node.compiled_code and "1500000" in node.compiled_code

    def future(data: dict) -> None:
        data["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/run-results/v7.json"

    run = read_run_results(_rewrite(RUNS / "v12-v6/target/run_results.json", tmp_path / "run_results.json", future))
    assert run.info.schema_version == 7 and "v7 is not a version sqltune knows (v4 to v6)" in run.info.notices[0]
    assert len(run.results) == 9

    def unversioned(data: dict) -> None:
        del data["metadata"]

    run = read_run_results(_rewrite(tmp_path / "run_results.json", tmp_path / "bare.json", unversioned))
    assert run.info.notices == ["no dbt schema version in its metadata; read as run-results v6"]


def test_wrong_kind_missing_fields_and_bad_json_are_errors_naming_the_file(tmp_path: Path) -> None:
    manifest = RUNS / "v12-v6" / "target" / "manifest.json"
    with pytest.raises(DbtError, match=r"manifest.json: a dbt manifest artifact; expected dbt run results"):
        read_run_results(manifest)
    (tmp_path / "empty.json").write_text('{"metadata": {}}')
    with pytest.raises(DbtError, match=r'empty.json: not dbt run results \(.*\): it has no "results" list'):
        read_run_results(tmp_path / "empty.json")
    with pytest.raises(DbtError, match=r'empty.json: not a dbt manifest \(.*\): it has no "nodes" object'):
        read_manifest(tmp_path / "empty.json")
    (tmp_path / "broken.json").write_text('{"results": [\n')
    with pytest.raises(DbtError, match=r"broken.json:2:1: invalid JSON"):
        read_run_results(tmp_path / "broken.json")
    with pytest.raises(DbtError, match=r"missing.json: cannot read dbt run-results"):
        read_run_results(tmp_path / "missing.json")


def test_run_results_are_found_from_a_file_a_target_folder_or_a_project(tmp_path: Path) -> None:
    target = RUNS / "v12-v6" / "target"
    assert run_results_path(target / "run_results.json") == target / "run_results.json"
    assert run_results_path(target) == target / "run_results.json"
    assert run_results_path(target.parent) == target / "run_results.json"
    with pytest.raises(DbtError, match=r"no run_results.json in it or in its target/; run `dbt build` first"):
        run_results_path(tmp_path)
    with pytest.raises(DbtError, match="no such file"):
        run_results_path(tmp_path / "nope.json")
