"""Only what changed: baselines (`baseline create`, `--baseline`) and `--diff REF` over a temporary git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_support import git, run_cli

from sqltune.linter.baseline import Baseline, normalise_statement, statement_hash
from sqltune.linter.changes import changed_lines


def _concise(*args: str) -> tuple[int, list[str], str]:
    result = run_cli("lint", "--no-cache", "--format", "concise", *args)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_normalisation_ignores_layout_case_and_comments_but_not_literals() -> None:
    assert statement_hash("SELECT *\n  FROM Orders -- all\n") == statement_hash("select * from orders")
    assert statement_hash("select * from t where s = 'A'") != statement_hash("select * from t where s = 'a'")
    assert statement_hash('select "Id" from t') != statement_hash('select "id" from t')
    assert normalise_statement("SELECT a /* x */ FROM t;") == "select a from t"


def test_baseline_hides_known_findings_and_reports_new_ones(project: Path) -> None:
    created = run_cli("baseline", "create", ".", "--no-cache", "--output", ".sqltune-baseline.json")
    assert created.exit_code == 0, created.stderr
    assert "Wrote 6 findings (6 distinct)" in created.stdout
    data = json.loads((project / ".sqltune-baseline.json").read_text())
    assert {entry["path"] for entry in data["findings"]} >= {"queries/load.sql", "queries/open_orders.sql"}
    assert all("line" not in entry for entry in data["findings"])

    code, lines, err = _concise(".", "--baseline", ".sqltune-baseline.json")
    assert (code, lines) == (0, [])
    assert "6 known findings hidden by the baseline" in err

    # Moving and re-indenting known statements keeps them known; a new statement is new.
    orders = project / "queries" / "open_orders.sql"
    orders.write_text(
        "\n\n-- moved down\n" + orders.read_text().replace("SELECT * FROM orders", "select *\n  from orders")
    )
    with (project / "queries" / "load.sql").open("a") as handle:
        handle.write("\nSELECT * FROM customers;\n")
    code, lines, _ = _concise(".", "--baseline", ".sqltune-baseline.json")
    assert code == 1
    assert lines == [
        "./queries/load.sql:6:8: SQ001 `*` selects every column of `customers`; name the columns the caller needs"
    ]


def test_baseline_counts_allow_that_many_identical_findings(project: Path) -> None:
    (project / "dup.sql").write_text("SELECT * FROM a UNION ALL SELECT * FROM b;\n")
    assert run_cli("baseline", "create", "dup.sql", "--no-cache", "-o", "b.json").exit_code == 0
    [entry] = json.loads((project / "b.json").read_text())["findings"]
    assert entry["count"] == 2
    assert _concise("dup.sql", "--baseline", "b.json")[:2] == (0, [])
    (project / "dup.sql").write_text("SELECT * FROM a UNION ALL SELECT * FROM b UNION ALL SELECT * FROM c;\n")
    # A changed statement is a new statement: all three stars are reported.
    assert len(_concise("dup.sql", "--baseline", "b.json")[1]) == 3


def test_baseline_paths_are_relative_to_the_baseline_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = run_cli("baseline", "create", "queries", "--no-cache", "-o", "ci/baseline.json")
    assert missing.exit_code == 2  # the folder of --output must exist: no silent mkdir
    assert missing.stderr == "sqltune: error: ci/baseline.json: cannot write baseline: No such file or directory\n"
    (project / "ci").mkdir()
    assert run_cli("baseline", "create", "queries", "--no-cache", "-o", "ci/baseline.json").exit_code == 0
    paths = {path for _, path, _ in Baseline.load(project / "ci" / "baseline.json").counts}
    assert paths == {"../queries/load.sql", "../queries/open_orders.sql", "../queries/broken.sql"}
    monkeypatch.chdir(project / "queries")
    code, lines, _ = _concise(".", "--baseline", "../ci/baseline.json")
    assert (code, lines) == (0, [])


def test_bad_baseline_is_one_error_line_with_position(project: Path) -> None:
    (project / "bad.json").write_text('{"version": 1,\n "findings": [}\n')
    result = run_cli("lint", ".", "--baseline", "bad.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("sqltune: error: bad.json:2:15: invalid JSON")
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "initial")
    return project


def test_diff_reports_only_changed_lines(repo: Path) -> None:
    assert _concise(".", "--diff", "HEAD")[:2] == (0, [])
    orders = repo / "queries" / "open_orders.sql"
    text = orders.read_text().replace("WHERE total > 100", "WHERE total > 200")  # line 7 changes
    orders.write_text(text)
    code, lines, _ = _concise(".", "--diff", "HEAD")
    assert code == 1
    assert lines == [
        "./queries/open_orders.sql:7:8: SQ001 `*` selects every column of `orders`; name the columns the caller needs"
    ]


def test_diff_counts_staged_committed_and_untracked_changes(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    load = repo / "queries" / "load.sql"
    load.write_text(load.read_text().replace("SELECT * FROM staging_orders", "SELECT *  FROM staging_orders2"))
    git(repo, "commit", "-qam", "committed change")
    clean = repo / "queries" / "clean.sql"
    clean.write_text("SELECT * FROM orders;\n")
    git(repo, "add", "queries/clean.sql")  # staged only
    (repo / "queries" / "new.sql").write_text("-- untracked\nSELECT 1;\nSELECT * FROM t;\n")
    code, lines, _ = _concise(".", "--diff", base)
    assert code == 1
    assert [line.split(": ")[0] for line in lines] == [
        "./queries/clean.sql:1:8",
        "./queries/load.sql:4:8",
        "./queries/new.sql:3:8",
    ]


def test_diff_with_a_deleted_line_reports_the_statement_around_it(repo: Path) -> None:
    orders = repo / "queries" / "open_orders.sql"
    orders.write_text(orders.read_text().replace("JOIN customers c ON c.id = o.customer_id\n", ""))
    changed = changed_lines("HEAD", str(repo))
    assert changed.lines[str((repo / "queries" / "open_orders.sql").resolve())] == {3, 4}


def test_diff_with_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    result = run_cli("lint", ".", "--diff", "no-such-branch")
    assert result.exit_code == 2
    assert "unknown revision 'no-such-branch'" in result.stderr


def test_diff_outside_a_repository_is_a_usage_error(project: Path) -> None:
    result = run_cli("lint", ".", "--diff", "HEAD")
    assert result.exit_code == 2
    assert result.stderr.startswith("sqltune: error: --diff:")
