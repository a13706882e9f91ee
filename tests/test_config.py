"""Configuration: discovery, validation with file:line:col errors, rule selection, severities, exclusion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sqltune.core.config import OPTIONS, Config, ConfigError, config_from_mapping, find_config, load_config
from sqltune.core.findings import Severity
from sqltune.linter.engine import Linter, lint_paths, lint_text
from sqltune.rules.registry import RegistryError, all_rules

SQL = "SELECT * FROM orders;\nINSERT INTO t VALUES (1);\nSELEC x FROM t;\n"


def codes(config: Config, sql: str = SQL) -> set[str]:
    return set(lint_text(sql, config).codes())


# -- discovery -------------------------------------------------------------------------------------------------


def test_pyproject_tool_table_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sqltune]\ndialect = "snowflake"\nignore = ["SQ001"]\n')
    (tmp_path / "models" / "deep").mkdir(parents=True)
    assert find_config(tmp_path / "models" / "deep") == tmp_path / "pyproject.toml"
    config = load_config(start=tmp_path / "models" / "deep")
    assert (config.dialect, config.ignore, config.path) == ("snowflake", ("SQ001",), str(tmp_path / "pyproject.toml"))


def test_pyproject_without_the_tool_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sqltune]\ndialect = "duckdb"\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert load_config(start=tmp_path / "pkg").dialect == "duckdb"


def test_dotfile_wins_over_pyproject_in_the_same_folder_and_nearest_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sqltune]\ndialect = "duckdb"\n')
    (tmp_path / ".sqltune.toml").write_text('dialect = "tsql"\n')
    assert load_config(start=tmp_path).dialect == "tsql"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.sqltune]\ndialect = "mysql"\n')
    assert load_config(start=tmp_path / "sub").dialect == "mysql"


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    config = load_config(start=tmp_path)
    if config.path is None:  # nothing above the temporary folder
        assert config == Config()


def test_explicit_path_and_schema_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "lint.toml"
    path.write_text('schema = "db/schema.sql"\nexclude = "migrations/**"\n')
    config = load_config(path)
    assert config.schema == str(tmp_path / "conf" / "db" / "schema.sql")
    assert config.exclude == ("migrations/**",)


# -- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('dialect = "postgres"\n  selekt = ["SQ001"]\n', ":2:3", "unknown option(s) selekt; expected one of: dialect"),
        ('dialect = "klingon"\n', ":1:1", "unknown dialect 'klingon'; expected one of:"),
        ('fail-on = "fatal"\n', ":1:1", "unknown severity 'fatal'; expected one of: error, warning, info"),
        ('[severity]\nSQ001 = "loud"\n', ":2:1", "unknown severity 'loud'"),
        ("select = [1, 2]\n", ":1:1", "'select' must be a string or a list of strings"),
        ("schema = 3\n", ":1:1", "'schema' must be a path"),
        ('severity = "error"\n', ":1:1", "'severity' must be a table"),
        ('dialect = "postgres\n', ":1:", "invalid TOML"),
    ],
)
def test_bad_config_is_one_error_naming_file_line_and_column(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / ".sqltune.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    error = str(raised.value)
    assert error.startswith(f"{path}{where}"), error
    assert message in error
    assert "\n" not in error


def test_unknown_key_in_pyproject_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.sqltune]\ndialect = "postgres"\nfail_on = "error"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml:6:1: unknown option\(s\) fail_on"):
        load_config(start=tmp_path)


def test_every_option_is_accepted() -> None:
    data = {
        "dialect": "bigquery",
        "schema": "s.sql",
        "select": ["SQ0"],
        "ignore": "SQ019",
        "exclude": ["x/**"],
        "severity": {"sq001": "error"},
        "fail-on": "warning",
        "timeout": 2,
    }
    assert set(data) == set(OPTIONS)
    config = config_from_mapping(data)
    assert config.severity == {"SQ001": Severity.ERROR}
    assert config.timeout == 2.0
    assert (config.ignore, config.fail_on) == (("SQ019",), Severity.WARNING)


def test_with_overrides_keeps_unset_options() -> None:
    config = Config(dialect="mysql", ignore=("SQ001",)).with_overrides(dialect=None, select=("SQ019",))
    assert (config.dialect, config.select, config.ignore) == ("mysql", ("SQ019",), ("SQ001",))


# -- selection -------------------------------------------------------------------------------------------------


def test_select_and_ignore_by_code_prefix_name_and_category() -> None:
    rules = all_rules()
    # SQ000 (the statement does not parse) is reported whatever `select` says; only `ignore` hides it.
    assert codes(Config(select=("SQ001",))) == {"SQ000", "SQ001"}
    assert codes(Config(select=("SQ001",), ignore=("SQ000",))) == {"SQ001"}
    assert codes(Config(select=("select-star", "insert-without-columns"))) == {"SQ000", "SQ001", "SQ019"}
    assert codes(Config(select=("SQ00",))) >= {"SQ000", "SQ001"}
    assert "SQ019" not in codes(Config(select=("SQ00",)))
    assert "SQ000" not in codes(Config(ignore=("parse-error",)))
    assert codes(Config(select=("query",))) >= {"SQ001", "SQ019"}
    assert codes(Config(ignore=("SQ001",))) >= {"SQ000", "SQ019"}
    assert "SQ001" not in codes(Config(ignore=("select-star",)))
    assert not codes(Config(ignore=(rules["SQ001"].meta.category, rules["SQ000"].meta.category)))
    assert codes(Config(select=("ALL",), ignore=("SQ0",))) <= {c for c in rules if not c.startswith("SQ0")}


@pytest.mark.parametrize("field", ["select", "ignore"])
def test_unknown_selector_is_an_error(field: str) -> None:
    with pytest.raises(RegistryError, match=r"unknown rule 'nonsense'; expected a code such as"):
        Linter(Config(**{field: ("nonsense",)}))  # type: ignore[arg-type]


def test_severity_override_and_unknown_code_in_it() -> None:
    overrides = {"SQ001": Severity.ERROR, "SQ000": Severity.INFO}
    report = lint_text(SQL, Config(select=("SQ001",), severity=overrides))
    assert [(f.code, str(f.severity)) for f in report.findings] == [("SQ001", "error"), ("SQ000", "info")]
    with pytest.raises(RegistryError, match="SQ999"):
        Linter(Config(severity={"SQ999": Severity.INFO}))


def test_exclude_globs_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text("SELECT * FROM a;\n")
    (tmp_path / "q.sql").write_text("SELECT * FROM b;\n")
    (tmp_path / ".sqltune.toml").write_text('exclude = ["migrations/*"]\nselect = ["SQ001"]\n')
    config = load_config(start=tmp_path)
    report = lint_paths([tmp_path], config)
    assert [os.path.basename(f.path) for f in report.findings] == ["q.sql"]
    assert config.is_excluded(str(tmp_path / "migrations" / "001.sql"))
    assert not config.is_excluded(str(tmp_path / "q.sql"))
