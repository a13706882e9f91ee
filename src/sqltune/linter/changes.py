"""Which lines changed since a git revision, for ``sqltune lint --diff REF``.

``git diff -U0 REF`` compares the revision with the working tree, so committed, staged and unstaged edits all
count; untracked files (not ignored) count as wholly changed. A finding is reported when any line of its span
is a changed line. A pure deletion marks the lines on both sides of the gap: removing a ``WHERE`` line changes
the statement around it.

>>> changed = parse_diff('''diff --git a/q.sql b/q.sql
... --- a/q.sql
... +++ b/q.sql
... @@ -3 +3,2 @@ select
... @@ -9,2 +10,0 @@
... ''', "/repo")
>>> sorted(changed.lines["/repo/q.sql"])
[3, 4, 10, 11]
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field

from sqltune.core.findings import Finding, Report

__all__ = ["ChangedLines", "DiffError", "changed_lines", "parse_diff"]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class DiffError(ValueError):
    """git could not tell what changed (not a repository, unknown revision); the message says why."""


def _unquote(path: str) -> str:
    """git's C-style quoting of unusual file names (``"caf\\303\\251.sql"``)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1]
    out = bytearray()
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            following = raw[index + 1]
            if following in "01234567":
                out.append(int(raw[index + 1 : index + 4], 8))
                index += 4
                continue
            out += _ESCAPES.get(following, following).encode()
            index += 2
            continue
        out += char.encode()
        index += 1
    return out.decode("utf-8", errors="surrogateescape")


@dataclass(slots=True)
class ChangedLines:
    """Changed line numbers by absolute path; ``whole`` files (untracked) count as changed everywhere."""

    lines: dict[str, set[int]] = field(default_factory=dict)
    whole: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        path = os.path.realpath(finding.path)
        if path in self.whole:
            return True
        changed = self.lines.get(path)
        if not changed:
            return False
        return any(line in changed for line in range(finding.span.line, finding.span.end_pos.line + 1))

    def filter(self, report: Report) -> int:
        """Keep only findings on changed lines; returns how many were dropped."""
        kept = [finding for finding in report.findings if self.covers(finding)]
        dropped = len(report.findings) - len(kept)
        report.findings = kept
        return dropped


def parse_diff(text: str, root: str) -> ChangedLines:
    """Changed lines from ``git diff -U0`` output; paths are joined to the work tree ``root``."""
    changed = ChangedLines()
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            name = line[4:].rstrip("\t")
            if name == "/dev/null":
                current = None
                continue
            name = _unquote(name)
            name = name[2:] if name.startswith("b/") else name
            current = changed.lines.setdefault(os.path.realpath(os.path.join(root, name)), set())
        elif current is not None and line.startswith("@@"):
            match = _HUNK.match(line)
            if match is None:
                continue
            start, count = int(match.group(1)), int(match.group(2) or 1)
            if count:
                current.update(range(start, start + count))
            else:  # lines were deleted after line `start`
                current.update(line for line in (start, start + 1) if line > 0)
    return changed


def _git(args: list[str], cwd: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise DiffError("--diff needs git, and no `git` executable was found on PATH") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or [f"git {' '.join(args)} failed"])[-1]
        raise DiffError(f"--diff: {message}")
    return done.stdout


def changed_lines(ref: str, cwd: str = ".") -> ChangedLines:
    """Lines changed between ``ref`` and the working tree of the repository holding ``cwd``."""
    if ref.startswith("-"):
        raise DiffError(f"--diff: {ref!r} is not a revision; expected a branch, tag or commit such as origin/main")
    root = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except DiffError:
        raise DiffError(
            f"--diff: unknown revision {ref!r}; expected a branch, tag or commit of this repository "
            "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
        ) from None
    diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--find-renames", ref, "--"], root)
    changed = parse_diff(diff, root)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    changed.whole.update(os.path.realpath(os.path.join(root, name)) for name in untracked.split("\0") if name)
    return changed
