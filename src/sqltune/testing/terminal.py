"""Run the ``sqltune`` command line as a person at a terminal would: stderr on a pseudo-terminal.

What a command draws for people (progress bars) depends on stderr being a terminal, which no in-process
runner imitates: :func:`run_cli` starts a real child process whose stderr is the slave side of a pty (or a
plain pipe, ``terminal=False``), stdout always a pipe, and returns both as text. POSIX only (``pty``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CliRun", "run_cli", "visible_text"]

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class CliRun:
    returncode: int
    stdout: str
    stderr: str  # as written, terminal escapes included


def visible_text(written: str) -> str:
    """What was written with the terminal's escape sequences (colours, cursor moves) taken out."""
    return _ESCAPE.sub("", written)


def run_cli(args: Sequence[str], *, terminal: bool = True, timeout: float = 300) -> CliRun:
    """``sqltune ARGS`` in a child process (this interpreter, this ``sys.path``); stderr on a pty of 120
    columns when ``terminal``, else a pipe."""
    command = [sys.executable, "-c", "from sqltune.cli import main; main()", *args]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("NO_COLOR", None)
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        return CliRun(done.returncode, done.stdout, done.stderr)
    controller, child = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # a full pty would block the child: read while it runs
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: every writer closed its side
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL, env=env
        ) as process:
            os.close(child)
            child = -1
            try:
                stdout, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        reader.join(timeout=10)
    finally:
        if child >= 0:
            os.close(child)
        os.close(controller)
    return CliRun(process.returncode, stdout.decode("utf-8"), b"".join(chunks).decode("utf-8", "replace"))
