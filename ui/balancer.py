"""Serve the dashboard as N Streamlit processes behind haproxy, all sharing the one classroom database.

    python -m ui.balancer --processes 2 --port 8501      # what `make class` runs

One Streamlit process runs Python on one core at a time, so a class of 100 phones saturates it; N
processes use N cores. haproxy (Debian's package) sends each browser to one process and keeps it there:
a cookie it sets on the first answer (`AECL_NODE`) pins the page, its websocket and its uploads to that
process, where its session lives. Rooms live in SQLite (core.classroom), so the projector on one process
sees the digits sent through another. haproxy appends the phone's address to X-Forwarded-For, which
the processes trust (AECL_TRUST_PROXY=1) to slow down code guessers per phone rather than per balancer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from core.paths import REPO_ROOT

STICKY_COOKIE = "AECL_NODE"
HAPROXY = "haproxy"

CONFIG = """global
    maxconn 4096
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
frontend dashboard
    bind {address}:{port}
    default_backend streamlit
backend streamlit
    balance roundrobin
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET /_stcore/health
{servers}
"""


def haproxy_config(address: str, port: int, backend_ports: list[int]) -> str:
    servers = "\n".join(f"    server s{i} 127.0.0.1:{p} cookie s{i} check" for i, p in enumerate(backend_ports, 1))
    return CONFIG.format(address=address, port=port, cookie=STICKY_COOKIE, servers=servers)


def _wait_healthy(url: str, procs: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a process behind the balancer exited; see its log ({url})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def balanced(
    processes: int,
    port: int,
    address: str = "127.0.0.1",
    env: dict | None = None,
    timeout: float = 120,
    started: list | None = None,
    log_dir: Path | None = None,
) -> Iterator[str]:
    """N Streamlit processes on the ports after `port`, haproxy on `port`; yields the balancer's URL.

    `started`, if given, receives the Streamlit processes' Popens (the load test reads their CPU time).
    """
    haproxy = shutil.which(HAPROXY) or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise RuntimeError("haproxy is missing: `make haproxy` installs Debian's package")
    folder = Path(tempfile.mkdtemp(prefix="aecl-balancer-"))
    log_dir = log_dir or folder
    backend_ports = [port + i for i in range(1, processes + 1)]
    env = {**os.environ, "AECL_TRUST_PROXY": "1", **(env or {})}
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for p in backend_ports:
            log = open(log_dir / f"streamlit-{p}.log", "w")  # noqa: SIM115 - closed in finally
            logs.append(log)
            cmd = [
                sys.executable,
                "-m",
                "ui.serve",
                "app.py",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(p),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ]
            procs.append(subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        for p in backend_ports:
            _wait_healthy(f"http://127.0.0.1:{p}", procs, timeout)
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(address, port, backend_ports))
        proxy_log = open(log_dir / "haproxy.log", "w")  # noqa: SIM115
        logs.append(proxy_log)
        proxy = subprocess.Popen([haproxy, "-f", str(config), "-db"], stdout=proxy_log, stderr=subprocess.STDOUT)
        procs.append(proxy)
        if started is not None:
            started.extend(procs[:-1])
        url = f"http://{'127.0.0.1' if address in ('0.0.0.0', '') else address}:{port}"
        _wait_healthy(url, procs, timeout)
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.balancer", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="Streamlit processes (one per core)")
    parser.add_argument("--port", type=int, default=8501, help="the balancer's port; the processes take the next N")
    parser.add_argument("--address", default="0.0.0.0", help="where phones reach it (0.0.0.0: the whole network)")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    with balanced(args.processes, args.port, args.address) as url:
        print(f"{args.processes} Streamlit processes behind haproxy at {url} (Ctrl-C stops them all)", flush=True)
        stop = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # wait for either, then stop every process cleanly
        signal.sigwait(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
