"""Baselines: accept the findings a project already has, report only new ones.

A baseline entry is keyed on the rule code, the file (relative to the baseline file's folder) and a hash of the
*normalised* statement text the finding is about -- never on line numbers, so adding a line above a known
finding, re-indenting a query or changing keyword case keeps it known. Each key carries a count: a statement
with two known ``SELECT *`` findings allows two, and a third one is new.

The same normalisation gives SARIF results their ``partialFingerprints`` (:func:`fingerprints`), so GitHub code
scanning keeps tracking an alert when the code around it moves.

>>> normalise_statement("SELECT  a,b\\nFROM T -- why\\nWHERE x = 'A'")
"select a,b from t where x='A'"
>>> normalise_statement("select a , b from t where x='A'") == normalise_statement("SELECT a,b FROM t WHERE x = 'A'")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqltune.core.findings import Finding, Report
from sqltune.core.source import read_json

__all__ = [
    "BASELINE_VERSION",
    "Baseline",
    "BaselineError",
    "finding_key",
    "fingerprints",
    "normalise_statement",
    "relative_path",
    "statement_hash",
]

BASELINE_VERSION = 1

# One token of SQL text: comments (dropped), quoted strings and identifiers (kept verbatim), words
# (lower-cased), whitespace (collapsed) and any other single character.
_TOKEN = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
      |(?P<quoted>'(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?|\[[^\]\n]*\])
      |(?P<word>[^\W]+)
      |(?P<space>\s+)
      |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file (and line:column for bad JSON)."""


def normalise_statement(text: str) -> str:
    """The statement as a key: comments dropped, words lower-cased, whitespace collapsed.

    Quoted strings and identifiers keep their case (``'A'`` and ``'a'`` are different values). A space is kept
    only between two words, so ``a = b`` and ``a=b`` normalise alike.
    """
    out: list[str] = []
    previous_word = False
    pending_space = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("comment", "space"):
            pending_space = True
            continue
        token = match.group()
        is_word = kind == "word"
        if pending_space and previous_word and is_word:
            out.append(" ")
        out.append(token.lower() if is_word else token)
        previous_word = is_word or kind == "quoted"
        pending_space = False
    return "".join(out).rstrip(";").strip()


def statement_hash(text: str) -> str:
    """A short, stable hash of :func:`normalise_statement` (16 hex digits)."""
    return hashlib.sha256(normalise_statement(text).encode("utf-8")).hexdigest()[:16]


def relative_path(path: str, root: str, outside: bool = False) -> str:
    """``path`` relative to ``root`` with ``/`` separators; a path outside ``root`` stays absolute unless
    ``outside`` allows ``../`` (a baseline in a subfolder names the files beside it that way).

    >>> relative_path("/repo/models/a.sql", "/repo"), relative_path("/repo/models/a.sql", "/repo/ci", outside=True)
    ('models/a.sql', '../models/a.sql')
    """
    if path.startswith("<"):  # <stdin>, <string>
        return path
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return absolute.replace(os.sep, "/")
    if not outside and (relative == os.pardir or relative.startswith(os.pardir + os.sep)):
        return absolute.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def finding_key(finding: Finding, root: str, outside: bool = False) -> tuple[str, str, str]:
    """``(code, relative path, statement hash)``; a finding outside any statement hashes its message."""
    path = relative_path(finding.path, root, outside)
    return finding.code, path, statement_hash(finding.statement or finding.message)


def fingerprints(findings: Sequence[Finding], root: str) -> list[str]:
    """One fingerprint per finding: rule, path, normalised statement and the occurrence index among findings
    with that same key (so two identical findings in one statement stay distinct), hashed."""
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for finding in findings:
        key = finding_key(finding, root)
        occurrence = seen[key]
        seen[key] += 1
        text = "\0".join((*key, str(occurrence)))
        result.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])
    return result


@dataclass(slots=True)
class Baseline:
    """Known findings: ``(code, path, statement hash) -> count``, paths relative to ``root``."""

    root: str
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    samples: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding], root: str) -> Baseline:
        baseline = cls(root)
        for finding in findings:
            key = finding_key(finding, root, outside=True)
            baseline.counts[key] += 1
            baseline.samples.setdefault(key, finding.message)
        return baseline

    def __len__(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": BASELINE_VERSION,
            "tool": "sqltune",
            "findings": [
                {"code": code, "path": path, "statement": digest, "count": count, "message": self.samples.get(key, "")}
                for key, count in sorted(self.counts.items())
                for code, path, digest in [key]
            ],
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.to_dict(), handle, indent=2)
                handle.write("\n")
        except OSError as error:
            raise BaselineError(f"{os.fspath(path)}: cannot write baseline: {error.strerror or error}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline written by :meth:`save`; paths in it are relative to the file's folder."""
        name = os.fspath(path)
        data = read_json(name, "baseline", "a sqltune baseline written by `sqltune baseline create`", BaselineError)
        root = os.path.dirname(os.path.abspath(name))
        baseline = cls(root)
        if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
            raise BaselineError(f'{name}: not a sqltune baseline (expected "version": {BASELINE_VERSION})')
        entries = data.get("findings")
        if not isinstance(entries, list):
            raise BaselineError(f'{name}: expected a "findings" list')
        for number, entry in enumerate(entries, 1):
            try:
                key = (str(entry["code"]), str(entry["path"]), str(entry["statement"]))
                count = int(entry.get("count", 1))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise BaselineError(
                    f"{name}: finding #{number}: expected an object with code, path, statement and count"
                ) from None
            baseline.counts[key] += count
            baseline.samples.setdefault(key, str(entry.get("message", "")))
        return baseline

    def filter(self, report: Report) -> int:
        """Drop known findings from ``report`` (at most ``count`` per key); returns how many were hidden."""
        allowance = Counter(self.counts)
        kept: list[Finding] = []
        for finding in report.findings:
            key = finding_key(finding, self.root, outside=True)
            if allowance[key] > 0:
                allowance[key] -= 1
            else:
                kept.append(finding)
        hidden = len(report.findings) - len(kept)
        report.findings = kept
        return hidden
