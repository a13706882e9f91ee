"""The lint cache: findings of a file, reused while nothing that could change them has changed.

A file's entry is keyed on a hash of

- the file's path and content,
- the sqltune version and a stamp of its installed code and rule catalogue (so editing a rule, or upgrading,
  never serves stale findings),
- the sqlglot version, the config fingerprint (:meth:`Config.fingerprint`) and the selected rules,
- the schema: the ``--schema`` file's content and the hash of every DDL file linted in the same run (DDL in one
  file informs queries in all of them).

Entries are small JSON files under ``.sqltune_cache/`` at the project root (the folder of the config file, else
the git work tree's root, else the working directory), or under ``$SQLTUNE_CACHE_DIR``. Only the main process
writes, each entry atomically; a broken or unwritable cache is ignored, never an error -- linting just runs cold.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from sqltune.core.findings import Finding, Fix, Severity
from sqltune.core.source import Position, Span
from sqltune.core.version import __version__

__all__ = [
    "CACHE_DIRNAME",
    "CACHE_ENV",
    "Cache",
    "code_stamp",
    "default_cache_dir",
    "finding_from_record",
    "finding_to_record",
    "project_root",
]

CACHE_ENV = "SQLTUNE_CACHE_DIR"
CACHE_DIRNAME = ".sqltune_cache"
_FORMAT = "1"  # bump when the record layout changes


def project_root(config_path: str | None = None, start: str = ".") -> Path:
    """The folder of the config file, else the nearest folder holding ``.git``, else ``start``."""
    if config_path:
        return Path(config_path).resolve().parent
    folder = Path(start).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def default_cache_dir(config_path: str | None = None, environ: dict[str, str] | None = None) -> Path:
    """``$SQLTUNE_CACHE_DIR`` or ``<project root>/.sqltune_cache``."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    return project_root(config_path) / CACHE_DIRNAME


@cache
def code_stamp() -> str:
    """A hash of the version and of every installed sqltune module and catalogue file (path, size, mtime).

    Statting some hundred files costs about a millisecond and keeps a cache from outliving an edit to a rule.
    """
    from sqltune.core.sqlglot import sqlglot_version
    from sqltune.rules.catalogue import catalogue_dir

    digest = hashlib.sha256(f"{__version__}|{sqlglot_version()}|{_FORMAT}".encode())
    package = Path(__file__).resolve().parent
    folders = [package]
    with contextlib.suppress(ValueError):
        folders.append(catalogue_dir())
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".toml")):
                    stat = os.stat(os.path.join(root, name))
                    digest.update(f"{root}/{name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def hash_text(*parts: str | bytes) -> str:
    """sha256 over the parts, each length-prefixed so that ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _span_record(span: Span) -> list[int]:
    return [span.start, span.end, span.start_pos.line, span.start_pos.column, span.end_pos.line, span.end_pos.column]


def _span(path: str, record: list[int]) -> Span:
    start, end, line, column, end_line, end_column = record
    return Span(path, start, end, Position(line, column), Position(end_line, end_column))


def finding_to_record(finding: Finding) -> dict[str, Any]:
    """A finding as JSON-ready data without its path (the cache entry belongs to one file)."""
    record: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": int(finding.severity),
        "message": finding.message,
        "span": _span_record(finding.span),
        "statement": finding.statement,
    }
    if finding.fix is not None:
        fix = finding.fix
        record["fix"] = [_span_record(fix.span), fix.replacement, fix.description, fix.safe]
    return record


def finding_from_record(record: dict[str, Any], path: str) -> Finding:
    """The inverse of :func:`finding_to_record`, placing the finding in ``path``.

    >>> from sqltune.core.source import Source
    >>> span = Source("a.sql", "SELECT *").span(7, 8)
    >>> finding = Finding("SQ001", "select-star", Severity.WARNING, "star", span, statement="SELECT *")
    >>> finding_from_record(finding_to_record(finding), "a.sql") == finding
    True
    """
    fix = None
    if "fix" in record:
        fix_span, replacement, description, safe = record["fix"]
        fix = Fix(_span(path, fix_span), replacement, description, bool(safe))
    return Finding(
        record["code"],
        record["name"],
        Severity(record["severity"]),
        record["message"],
        _span(path, record["span"]),
        fix,
        record.get("statement", ""),
    )


class Cache:
    """The entries of one salt, in one JSON pack file ``lint-<salt>.json`` under ``directory``.

    One file instead of one per entry: a warm run over 2,000 files reads one file instead of opening 2,000
    (about 0.4 s saved) and writes nothing. The pack keeps the entries this run used plus older ones, until it
    holds four times as many as the run used; then the unused ones are dropped. At most :attr:`PACKS` packs
    (other configs, other versions) are kept, the least recently written are deleted.
    """

    PACKS = 8

    def __init__(self, directory: str | os.PathLike[str], salt: str) -> None:
        self.directory = Path(directory)
        self.salt = salt
        self.path = self.directory / f"lint-{salt[:24]}.json"
        self._entries: dict[str, Any] | None = None
        self._new: dict[str, Any] = {}
        self._used: set[str] = set()

    def key(self, *parts: str | bytes) -> str:
        return hash_text(self.salt, *parts)

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    data = json.load(handle)
                self._entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._entries = {}
        return self._entries

    def get(self, key: str) -> Any | None:
        value = self._new.get(key)
        if value is None:
            value = self._load().get(key)
        if value is not None:
            self._used.add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        self._new[key] = value
        self._used.add(key)

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        for key, value in items:
            self.put(key, value)

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        marker = self.directory / "CACHEDIR.TAG"
        if not marker.exists():
            marker.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# sqltune lint cache\n", encoding="utf-8")
            (self.directory / ".gitignore").write_text("*\n", encoding="utf-8")

    def save(self) -> None:
        """Write the pack if this run added entries; failing to write (read-only checkout, full disk) is not
        an error, the next run is just cold."""
        if not self._new:
            return
        entries = {**self._load(), **self._new}
        if len(entries) > max(4 * len(self._used), 1000):
            entries = {key: value for key, value in entries.items() if key in self._used}
        try:
            self._prepare()
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".lint-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entries, stream, separators=(",", ":"))
            os.replace(temporary, self.path)
            self._entries, self._new = entries, {}
            packs = sorted(self.directory.glob("lint-*.json"), key=lambda pack: pack.stat().st_mtime, reverse=True)
            for stale in packs[self.PACKS :]:
                stale.unlink()
        except OSError:
            return
