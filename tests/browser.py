"""Helpers for real-browser tests: a Streamlit server on a free loopback port, and Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from core.paths import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    script: str = "app.py", env: dict | None = None, timeout: float = 90, started: list | None = None
) -> Iterator[str]:
    """Start `streamlit run script` on 127.0.0.1:<free port>; yield its URL; stop it after.

    `started`, if given, receives the server's Popen (the load test reads its peak memory).
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "ui.serve",  # `streamlit run`, with deep links working on a fresh server (see ui/serve.py)
        script,
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    if started is not None:
        started.append(proc)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise TimeoutError(f"streamlit did not answer within {timeout} s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_for_app(page, timeout_ms: int = 120_000) -> float:
    """Wait until Streamlit has finished running the page script; return when it finished.

    The running indicator can appear a moment after a navigation, so we require it to be
    absent on several consecutive checks, and report the `time.perf_counter()` of the
    first check of that quiet stretch (benchmarks use it, so the checks are not counted).
    """
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    quiet, quiet_since = 0, time.perf_counter()
    while quiet < 6:
        if time.monotonic() > deadline:
            raise TimeoutError("the page script was still running at the deadline")
        if page.locator("[data-testid='stStatusWidgetRunningIcon']").count():
            quiet = 0
        else:
            if quiet == 0:
                quiet_since = time.perf_counter()
            quiet += 1
        page.wait_for_timeout(150)
    return quiet_since
