"""Configuration: ``[tool.sqltune]`` in ``pyproject.toml`` or the top level of ``.sqltune.toml``.

The nearest such file at or above the working directory is used (``.sqltune.toml`` wins in one folder)::

    [tool.sqltune]
    dialect = "postgres"
    schema = "db/schema.sql"      # DDL or a JSON snapshot, relative to the config file
    select = ["ALL"]              # codes, code prefixes, rule names or categories
    ignore = ["SQ001"]
    exclude = ["migrations/**"]   # globs of files not to lint
    fail-on = "warning"           # lowest severity that makes `lint` exit 1
    timeout = 5                   # seconds per statement (parse, then checks); 0: no limit

    [tool.sqltune.severity]
    SQ012 = "error"

Unknown keys are errors: a misspelt option must not silently do nothing.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqltune.core.budget import DEFAULT_TIMEOUT
from sqltune.core.findings import Severity
from sqltune.core.sqlglot import get_dialect

__all__ = ["OPTIONS", "Config", "ConfigError", "find_config", "load_config"]


class ConfigError(ValueError):
    pass


#: Every option with its documentation (a test checks each is documented in docs/configuration.md).
OPTIONS: dict[str, str] = {
    "dialect": "SQL dialect of the files (any sqlglot dialect name); default: sqlglot's generic dialect.",
    "schema": "Path of a DDL file or JSON schema snapshot that queries are checked against.",
    "select": "Rules to run: codes, code prefixes, rule names, categories, or ALL (the default).",
    "ignore": "Rules not to run, in the same forms as select.",
    "exclude": "Glob patterns of files that are never linted.",
    "severity": "Table of code = severity overrides (error, warning, info).",
    "fail-on": "Lowest severity that makes lint exit with code 1 (error, warning or info; default info).",
    "timeout": "Seconds one statement's parse, and then its checks, may take before it is skipped as a problem "
    "(default 5; 0: no limit).",
}


@dataclass(frozen=True, slots=True)
class Config:
    dialect: str | None = None
    schema: str | None = None
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.INFO
    timeout: float = DEFAULT_TIMEOUT  # seconds per statement; 0 means no limit
    path: str | None = None  # the file it was read from

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the given (non-None) options replaced, as the CLI's flags do."""
        return replace(self, **{key: value for key, value in changes.items() if value is not None})

    def is_excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        relative = os.path.relpath(path, os.path.dirname(self.path)) if self.path else path
        return any(fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path, pattern) for pattern in self.exclude)

    def fingerprint(self) -> str:
        """Stable text of everything that changes findings (for caches)."""
        severity = ",".join(f"{k}={v}" for k, v in sorted(self.severity.items()))
        return "|".join([str(self.dialect), str(self.schema), ",".join(self.select), ",".join(self.ignore), severity])


def _strings(path: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: '{key}' must be a string or a list of strings")
    return tuple(value)


def _locator(path: str, text: str | None) -> Callable[[str], str]:
    """``where(key)``: ``path:line:col`` of the line that sets ``key`` in the config text, else ``path``."""

    def where(key: str) -> str:
        if text:
            pattern = re.compile(rf"""^([ \t]*)(["']?){re.escape(key)}\2[ \t]*=""", re.MULTILINE | re.IGNORECASE)
            match = pattern.search(text)
            if match:
                line = text.count("\n", 0, match.start()) + 1
                return f"{path}:{line}:{len(match.group(1)) + 1}"
        return path

    return where


def config_from_mapping(data: dict[str, Any], path: str = "<config>", text: str | None = None) -> Config:
    """A :class:`Config` from the ``[tool.sqltune]`` table; ``text`` (the file's content) lets errors name the
    line of the offending key."""
    where = _locator(path, text)
    unknown = sorted(set(data) - set(OPTIONS))
    if unknown:
        raise ConfigError(
            f"{where(unknown[0])}: unknown option(s) {', '.join(unknown)}; expected one of: {', '.join(OPTIONS)}"
        )
    base = os.path.dirname(path) if path != "<config>" else ""
    schema = data.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise ConfigError(f"{where('schema')}: 'schema' must be a path")
    dialect = data.get("dialect")
    if dialect is not None and not isinstance(dialect, str):
        raise ConfigError(f"{where('dialect')}: 'dialect' must be a dialect name")
    if dialect:
        try:
            get_dialect(dialect)
        except ValueError as error:
            raise ConfigError(f"{where('dialect')}: {error}") from None
    severities = data.get("severity", {})
    if not isinstance(severities, dict):
        raise ConfigError(f"{where('severity')}: 'severity' must be a table of code = severity")
    severity: dict[str, Severity] = {}
    for code, value in severities.items():
        try:
            severity[code.upper()] = Severity.parse(value) if isinstance(value, str) else Severity.parse(str(value))
        except ValueError as error:
            raise ConfigError(f"{where(code)}: {error}") from None
    try:
        fail_on = Severity.parse(data.get("fail-on", "info"))
    except (ValueError, AttributeError) as error:
        raise ConfigError(f"{where('fail-on')}: {error}") from None
    timeout = data.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise ConfigError(f"{where('timeout')}: 'timeout' must be a number of seconds (0: no limit)")
    return Config(
        dialect=dialect,
        schema=os.path.join(base, schema) if schema and base else schema,
        select=_strings(where("select"), "select", data.get("select", ["ALL"])),
        ignore=_strings(where("ignore"), "ignore", data.get("ignore", [])),
        exclude=_strings(where("exclude"), "exclude", data.get("exclude", [])),
        severity=severity,
        fail_on=fail_on,
        timeout=float(timeout),
        path=path if path != "<config>" else None,
    )


def find_config(start: str | os.PathLike[str] = ".") -> Path | None:
    """The nearest ``.sqltune.toml``, or ``pyproject.toml`` with a ``[tool.sqltune]`` table."""
    folder = Path(start).resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        dotfile = candidate / ".sqltune.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "sqltune" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
                    return pyproject
            except tomllib.TOMLDecodeError:
                continue
    return None


def load_config(path: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] = ".") -> Config:
    """Read ``path``, or the nearest config file; defaults when there is none."""
    found = Path(path) if path is not None else find_config(start)
    if found is None:
        return Config()
    try:
        text = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{found}: cannot read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = _TOML_POSITION.search(str(error))
        where = f"{found}:{position.group(1)}:{position.group(2)}" if position else str(found)
        raise ConfigError(f"{where}: invalid TOML: {_TOML_POSITION.sub('', str(error))}") from None
    if found.name == "pyproject.toml":
        data = data.get("tool", {}).get("sqltune", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{found}: [tool.sqltune] must be a table")
    return config_from_mapping(data, str(found), text)


_TOML_POSITION = re.compile(r" \(at line (\d+), column (\d+)\)")
