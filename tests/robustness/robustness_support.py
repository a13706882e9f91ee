"""What every robustness test asserts about one CLI run: it answered, and it answered as a user expects.

- no traceback, in stdout or stderr, and no exception escaping the command;
- an exit code of 0 (clean), 1 (findings) or 2 (a problem: bad input, a database error, a crash of ours);
- with exit 2, the run says something (on stderr, or in its report) rather than nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from sqltune.cli import main

EXIT_CODES = {0, 1, 2}

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SQL_FILES = sorted(FIXTURES.rglob("*.sql"))
PLAN_FILES = sorted(p for p in (FIXTURES / "plans").rglob("*") if p.is_file()) + sorted(
    p for p in (FIXTURES / "plan_rules").rglob("*") if p.is_file() and p.suffix in {".json", ".txt"}
)


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    """``sqltune ARGS`` in this process, with the invariants of every run checked."""
    result = CliRunner().invoke(main, list(args), input=stdin)
    command = "sqltune " + " ".join(args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{command} raised {type(result.exception).__name__}: {result.exception}")
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert "Traceback (most recent call last)" not in text, f"{command} printed a traceback on {stream}:\n{text}"
    assert result.exit_code in EXIT_CODES, f"{command} exited {result.exit_code}:\n{result.stderr}"
    if result.exit_code == 2:
        assert result.stderr.strip() or result.stdout.strip(), f"{command} exited 2 and said nothing"
    return result


def lint_json(*args: str, stdin: str | None = None) -> tuple[dict[str, Any], Result]:
    """``sqltune lint --format json ARGS``: the parsed report and the run."""
    result = invoke("lint", "--format", "json", "--no-cache", *args, stdin=stdin)
    if result.exit_code == 2 and not result.stdout.strip():
        # Nothing could be linted at all (a usage error): the run said why on stderr, as a problem would.
        assert result.stderr.strip()
        problem = {"path": args[-1], "message": result.stderr.strip(), "line": 0, "kind": "input"}
        return {"findings": [], "problems": [problem], "summary": {"statements": 0}}, result
    return json.loads(result.stdout), result
