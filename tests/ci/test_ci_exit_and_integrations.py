"""Exit policy, the pre-commit hooks run by pre-commit in a git repository, and the GitHub Action's steps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ci_support import git, run_cli

ROOT = Path(__file__).resolve().parents[2]
BIN = str(Path(sys.executable).parent)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((".",), 1),  # the fixture project has an error finding (queries/broken.sql does not parse)
        ((".", "--fail-on", "error"), 1),
        (("queries/load.sql", "queries/open_orders.sql", "--fail-on", "error"), 0),  # warnings and info only
        (("queries/load.sql", "--fail-on", "warning", "--select", "SQ019"), 0),  # SQ019 is info in this project
        (("queries/load.sql", "--fail-on", "info", "--select", "SQ019"), 1),
        ((".", "--exit-zero"), 0),
        (("queries/clean.sql",), 0),
    ],
)
def test_exit_policy(project: Path, args: tuple[str, ...], code: int) -> None:
    result = run_cli("lint", "--no-cache", "--format", "concise", *args)
    assert result.exit_code == code, result.stderr


def test_fail_on_from_config(project: Path) -> None:
    config = project / ".sqltune.toml"
    config.write_text(config.read_text().replace('dialect = "postgres"', 'dialect = "postgres"\nfail-on = "error"'))
    assert run_cli("lint", "queries/load.sql", "--no-cache").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lint",), "expected at least one PATH"),
        (("lint", ".", "--format", "xml"), "expected one of: concise, github, json, junit, rdjson, sarif, text"),
        (("lint", "missing.sql"), "missing.sql: no such file or directory"),
        (("lint", ".", "--jobs", "-1"), "-1 is not in the range x>=0"),
        (("lint", ".", "--fail-on", "fatal"), "'fatal' is not one of 'error', 'warning', 'info'"),
    ],
)
def test_usage_errors_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args, "--no-cache")
    assert result.exit_code == 2
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unreadable_input_exits_2_even_with_exit_zero(project: Path) -> None:
    (project / "queries" / "latin1.sql").write_bytes(b"SELECT 'caf\xe9';\n")
    result = run_cli("lint", ".", "--no-cache", "--exit-zero", "--format", "concise")
    assert result.exit_code == 2
    assert "./queries/latin1.sql:1:12: invalid UTF-8 byte 0xe9" in result.stderr


# -- pre-commit ------------------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRE_COMMIT", "SQLTUNE_"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def test_pre_commit_manifest_is_valid() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pip install pre-commit (dev extra)")
    hooks = clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert {hook["id"]: hook["entry"] for hook in hooks} == {
        "sqltune-lint": "sqltune lint",
        "sqltune-fix": "sqltune fix",
    }
    assert all(hook["types"] == ["sql"] and hook["language"] == "python" for hook in hooks)


def test_pre_commit_runs_the_lint_hook(tmp_path: Path) -> None:
    """pre-commit runs the hook's entry and args on the staged .sql files. The hook environment is the test's
    own (``language: system``): building the ``python`` environment would install sqltune from an index."""
    if shutil.which("pre-commit", path=_env()["PATH"]) is None:
        pytest.fail("pre-commit is not installed: pip install pre-commit (it is in the dev extra)")
    [lint_hook] = [
        h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "sqltune-lint"
    ]
    local = {**lint_hook, "language": "system"}
    local.pop("description", None)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    (repo / "ok.sql").write_text("SELECT id FROM t;\n")
    (repo / "notes.txt").write_text("SELECT * FROM not_sql_file;\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pre-commit", "run", "--color", "never"],
            cwd=repo,
            capture_output=True,
            text=True,
            env={**_env(), "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "SQLTUNE_CACHE_DIR": str(tmp_path / "c")},
            check=False,
        )

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "sqltune lint" in clean.stdout and "Passed" in clean.stdout
    (repo / "bad.sql").write_text("SELECT 1;\nSELECT * FROM t;\n")
    git(repo, "add", "bad.sql")
    failed = run()
    assert failed.returncode == 1
    assert "bad.sql:2:8: SQ001 `*` selects every column" in failed.stdout
    assert "not_sql_file" not in failed.stdout


# -- the GitHub Action -----------------------------------------------------------------------------------
def _action_steps() -> list[dict[str, object]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    return list(action["runs"]["steps"])


def _run_action(workspace: Path, inputs: dict[str, str]) -> tuple[list[subprocess.CompletedProcess[str]], Path]:
    """Run the action's ``run:`` steps in order, as the runner would: ``${{ inputs.x }}`` in ``env`` replaced
    by the inputs (defaults from action.yml), GITHUB_OUTPUT/GITHUB_ENV files, and ``uses:`` steps skipped."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | inputs
    github_env = workspace.parent / "github_env"
    output = workspace.parent / "github_output"
    summary = workspace.parent / "summary.md"
    for file in (github_env, output, summary):
        file.write_text("")
    results = []
    for step in _action_steps():
        if "run" not in step:
            continue
        env = _env() | {
            "GITHUB_OUTPUT": str(output),
            "GITHUB_ENV": str(github_env),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(workspace),
            "SQLTUNE_CACHE_DIR": str(workspace.parent / "cache"),
        }
        for line in github_env.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        for key, value in dict(step.get("env", {})).items():  # type: ignore[call-overload]
            expression = str(value)
            for name, given in values.items():
                expression = expression.replace("${{ inputs." + name + " }}", given)
            assert "${{" not in expression, f"unexpanded expression in {key}: {expression}"
            env[key] = expression
        done = subprocess.run(
            ["bash", "-e", "-c", str(step["run"])], cwd=workspace, env=env, capture_output=True, text=True, check=False
        )
        results.append(done)
        if done.returncode != 0:
            break
    return results, output


def test_action_sarif_mode(project: Path) -> None:
    steps, output = _run_action(project, {"install": "false", "paths": "queries models", "fail-on": "warning"})
    install, lint, fail = steps
    assert install.returncode == 0 and "using the installed sqltune" in install.stdout
    assert lint.returncode == 0, lint.stderr  # findings do not stop the job before the upload step
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs == {"exit-code": "1", "sarif-file": "sqltune.sarif"}
    results = json.loads((project / "sqltune.sarif").read_text())["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "models/customer_orders.sql",
        "queries/broken.sql",
        "queries/load.sql",
        "queries/open_orders.sql",
    }
    assert fail.returncode == 1 and "::error title=sqltune::findings" in fail.stdout


def test_action_annotations_mode_with_diff(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    (project / "queries" / "new.sql").write_text("SELECT * FROM customers;\n")
    steps, output = _run_action(project, {"install": "false", "mode": "annotations", "diff": "HEAD"})
    lint = steps[1]
    assert lint.returncode == 1
    annotations = [line for line in lint.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::warning file=queries/new.sql,line=1,col=8,endLine=1,endColumn=9,title=SQ001 select-star::"
        "`*` selects every column of `customers`; name the columns the caller needs"
    ]
    assert "queries/new.sql:1:8" in (project.parent / "summary.md").read_text()
    assert "exit-code=1" in output.read_text()


def test_action_rejects_an_unknown_mode(project: Path) -> None:
    steps, _ = _run_action(project, {"install": "false", "mode": "pdf"})
    assert steps[-1].returncode == 2
    assert "mode must be sarif or annotations" in steps[-1].stdout
