"""A headless Chromium for the tests of the HTML views, driven over the DevTools protocol on a pipe.

``--remote-debugging-pipe`` makes Chromium read protocol messages (JSON, each ended by a NUL byte) on file
descriptor 3 and write its answers and events on 4: no port, no websocket, no Python package beyond the
standard library. One :class:`Browser` serves a whole test session; :meth:`Browser.open` gives a
:class:`Page` per file, which runs scripts (:meth:`Page.evaluate`) and takes screenshots.

The browser is Debian's ``chromium`` (``.ci/setup-packages.sh`` installs it); ``SQLTUNE_CHROMIUM`` names
another executable.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["Browser", "BrowserError", "Page", "find_chromium"]

#: Moves the pipe's ends to descriptors 3 and 4 in the child, then runs the browser (``subprocess`` keeps
#: only the descriptors it is given, at their own numbers; which may be 3 or 4 already, hence the detour).
_TRAMPOLINE = (
    "import fcntl, os, sys\n"
    "read, write = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])\n"
    "os.dup2(read, 3); os.dup2(write, 4); os.close(read); os.close(write)\n"
    "os.execvp(sys.argv[3], sys.argv[3:])\n"
)


class BrowserError(RuntimeError):
    """The browser could not be started, went away, or answered a command with an error."""


def find_chromium() -> str | None:
    """The Chromium executable: ``SQLTUNE_CHROMIUM``, else ``chromium`` (Debian) or its other names."""
    configured = os.environ.get("SQLTUNE_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium process; use as a context manager (it is closed, and its profile removed)."""

    def __init__(self, executable: str | None = None, timeout: float = 30.0, width: int = 1280, height: int = 900):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError("no Chromium found: install Debian's chromium (.ci/setup-packages.sh does)")
        self.timeout = timeout
        self.size = (width, height)
        self._profile = tempfile.mkdtemp(prefix="sqltune-chromium-")
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        ours_read, theirs_write = os.pipe()
        theirs_read, ours_write = os.pipe()
        arguments = [
            self.executable,
            "--headless",
            "--no-sandbox",  # tests run as root in CI containers, where the sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            "--mute-audio",
            f"--window-size={width},{height}",
            f"--user-data-dir={self._profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(theirs_read), str(theirs_write), *arguments],
            pass_fds=(theirs_read, theirs_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # D-Bus and GPU chatter of a headless browser
        )
        os.close(theirs_read)
        os.close(theirs_write)
        self._read_fd, self._write_fd = ours_read, ours_write
        try:
            self.version = str(self.call("Browser.getVersion")["product"])
        except BrowserError:
            self.close()
            raise

    # -- the protocol -------------------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept for :meth:`wait`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        try:
            os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise BrowserError(f"the browser went away ({error})") from None
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message', answer['error'])}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self._events.append(answer)

    def wait(self, event: str, session: str | None = None) -> dict[str, Any]:
        """The next event named ``event`` (of ``session``), kept or still to come."""
        deadline = time.monotonic() + self.timeout
        while True:
            for index, message in enumerate(self._events):
                if message.get("method") == event and (session is None or message.get("sessionId") == session):
                    del self._events[index]
                    return dict(message.get("params", {}))
            message = self._receive(deadline)
            if "method" in message:
                self._events.append(message)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer from the browser within {self.timeout:.0f} s")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise BrowserError(f"the browser exited (code {self.process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    # -- pages ----------------------------------------------------------------------------------------------
    def open(self, url: str | Path) -> Page:
        """A new tab showing ``url`` (a path is opened as a ``file://`` URL), once its load event has fired."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, str(target), str(session))
        self.call("Page.enable", session=session)
        address = Path(url).resolve().as_uri() if isinstance(url, Path) else url
        navigation = self.call("Page.navigate", {"url": address}, session)
        if navigation.get("errorText"):
            raise BrowserError(f"cannot open {address}: {navigation['errorText']}")
        self.wait("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrowserError):
                self.call("Browser.close")
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for descriptor in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(descriptor)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Page:
    """A tab of a :class:`Browser`."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values; promises are awaited)."""
        result = self.browser.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, self.session
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"script failed: {details.get('exception', {}).get('description', details)}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: str | Path, max_height: int = 1200) -> Path:
        """A PNG of the page from its top, as tall as its content up to ``max_height`` CSS pixels (encoding a
        tall page costs a good half second)."""
        metrics = self.browser.call("Page.getLayoutMetrics", session=self.session)
        content = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        width = max(int(content.get("width", self.browser.size[0])), 1)
        height = min(max(int(content.get("height", self.browser.size[1])), 1), max_height)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.browser.call(
            "Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}, self.session
        )["data"]
        target = Path(path)
        target.write_bytes(base64.b64decode(data))
        return target

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target})
