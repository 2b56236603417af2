"""Load test: N browser sessions at once walking the dashboard while one session trains.

    python -m bench.load_bench                 # N = 1, 10, 30 for 60 s each (the short default)
    python -m bench.load_bench --sessions 10 --seconds 120

Traffic goes only to a server it starts on 127.0.0.1, from N pages of one headless Chromium;
every session stops by itself when the time is up (each interaction is capped at 90 s), and
the whole run is bounded by N × the interactions one walk contains. Each session walks the
main pages by the sidebar, changes a level, uploads a digit and opens the embedding. An
error is an exception shown on a page, a "page not found", or an interaction that times out.
The server's peak memory is its VmHWM (peak resident set) from /proc. Beside the times the
browser sees, the server logs how long each page run took (ui.timing), and /proc says how
many cores the server and Chromium used: the browsers share the server's two cores here,
where a class's browsers would not, so Chromium runs at a lower CPU priority (nice 10).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import async_playwright

from core.paths import checkpoint_dir
from core.training.jobs import WORKER_MODULE
from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from ui.timing import RUN_LOG_ENV

STEP_TIMEOUT_MS = 90_000
VIEWPORT = {"width": 1280, "height": 900}
WALK = [  # (sidebar link, heading that proves the page rendered)
    ("Reconstructions", "Original vs reconstructed digits"),
    ("Error vs compression", "Reconstruction error against compression"),
    ("Per-digit error", "Error per digit"),
    ("Your digit", "Your digit"),
    ("Embedding overlay", "Do reconstructions live where the originals do?"),
]


def _digit_png(path: Path) -> Path:
    img = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(img).text((50, 10), "3", fill=0, font=ImageFont.load_default(size=160))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


async def _settled(page) -> None:
    """The page script has finished: no running indicator on several checks in a row."""
    quiet = 0
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while quiet < 4:
        if time.monotonic() > deadline:
            raise TimeoutError("still running")
        quiet = 0 if await page.locator("[data-testid='stStatusWidgetRunningIcon']").count() else quiet + 1
        await page.wait_for_timeout(150)


async def _check(page) -> None:
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(
            "exception on the page: " + (await page.locator("[data-testid='stException']").first.inner_text())[:200]
        )
    if await page.get_by_text("Page not found").count():
        raise RuntimeError("page not found")


async def _interaction(stats: dict, name: str, action) -> None:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(action(), STEP_TIMEOUT_MS / 1000)
        stats["times"].append((name, time.perf_counter() - start))
    except Exception as exc:  # every failure is counted and reported, never hidden
        first_line = (str(exc).splitlines() or [""])[0]  # a timeout's message is empty
        stats["errors"].append(f"{name}: {type(exc).__name__}: {first_line[:120]}")


async def _session(context, url: str, until: float, digit: Path, stats: dict) -> None:
    page = await context.new_page()

    async def open_home():
        await page.goto(url)
        await page.get_by_role("heading", name="Autoencoder Compression Lab").wait_for(timeout=STEP_TIMEOUT_MS)
        await _settled(page)

    await _interaction(stats, "home", open_home)
    while time.monotonic() < until:
        for link, heading in WALK:
            if time.monotonic() >= until:
                break

            async def visit(link=link, heading=heading):
                await page.get_by_role("link", name=link).first.click()
                await page.get_by_role("heading", name=heading).first.wait_for(timeout=STEP_TIMEOUT_MS)
                await _settled(page)
                await _check(page)

            await _interaction(stats, link, visit)
            if link == "Reconstructions":

                async def change_level():
                    await page.locator("[data-testid='stMultiSelect'] button[aria-label^='Remove']").first.click()
                    await page.wait_for_timeout(50)
                    await _settled(page)
                    await _check(page)

                await _interaction(stats, "change level", change_level)
            if link == "Your digit":

                async def upload():
                    await page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(digit))
                    await page.get_by_text("Reconstructed at every level").wait_for(timeout=STEP_TIMEOUT_MS)
                    await _settled(page)
                    await _check(page)

                await _interaction(stats, "upload", upload)
    stats["interactions"] = len(stats["times"]) + len(stats["errors"])
    await page.close()


async def _trainer(context, url: str, until: float, stats: dict) -> None:
    """One more session trains a small model for the whole run (see `train_from_browser`)."""
    from bench.load_training import train_from_browser

    page = await context.new_page()
    try:
        stats["trained"] = await train_from_browser(page, url, until)
    except Exception as exc:
        first_line = (str(exc).splitlines() or [""])[0]  # a timeout's message is empty
        stats["errors"].append(f"training: {type(exc).__name__}: {first_line[:120]}")
    await page.close()


async def _run(n_sessions: int, seconds: float, train: bool) -> dict:
    started: list = []
    scratch = Path(tempfile.mkdtemp(prefix="aecl_load_"))
    digit = _digit_png(scratch / "digit.png")
    # The trainer saves a new model: into a copy of the checkpoints, never the shipped folder.
    folder = shutil.copytree(checkpoint_dir(), scratch / "checkpoints")
    run_log = scratch / "runs.jsonl"
    env = {"AECL_CHECKPOINT_DIR": str(folder), RUN_LOG_ENV: str(run_log)}
    with streamlit_server(env=env, started=started) as url:
        proc = started[0]
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            browser_yields_to_server()
            # One context: the pages share the HTTP cache and compiled scripts, as a class's browsers each
            # hold theirs; Streamlit keeps one session per page (per websocket), so they stay separate visitors.
            context = await browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
            context.set_default_timeout(STEP_TIMEOUT_MS)  # Playwright's 30 s default would cut interactions short
            until = time.monotonic() + seconds
            sessions = [{"times": [], "errors": []} for _ in range(n_sessions)]
            trainer = {"times": [], "errors": []}
            jobs = [_session(context, url, until, digit, s) for s in sessions]
            if train:
                jobs.append(_trainer(context, url, until, trainer))
            meter, stop = CpuMeter(proc.pid), asyncio.Event()
            metering = asyncio.create_task(meter.run(stop))
            wall = time.perf_counter()
            await asyncio.gather(*jobs)
            wall = time.perf_counter() - wall
            stop.set()
            await metering
            await browser.close()
        peak_kib = _peak_rss_kib(proc.pid)
        left_behind = sorted(p.name for p in folder.iterdir() if p.suffix in (".tmp", ".pending"))
    server_runs = _server_runs(run_log)
    shutil.rmtree(scratch, ignore_errors=True)
    times = [t for s in sessions for _, t in s["times"]]
    by_name: dict[str, list[float]] = {}
    for s in sessions:
        for name, t in s["times"]:
            by_name.setdefault(name, []).append(t)
    errors = [e for s in [*sessions, trainer] for e in s["errors"]]
    return {
        "sessions": n_sessions,
        "seconds": round(wall, 1),
        "interactions": sum(s.get("interactions", 0) for s in sessions),
        "errors": errors,
        "median_s": statistics.median(times) if times else float("nan"),
        "p95_s": statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan"),
        "peak_mib": peak_kib / 1024,
        "trained": trainer.get("trained"),
        "left_behind": left_behind,
        "median_by_interaction": {k: round(statistics.median(v), 2) for k, v in by_name.items()},
        "server_runs": len(server_runs),
        "server_median_s": statistics.median(server_runs) if server_runs else float("nan"),
        "server_p95_s": statistics.quantiles(server_runs, n=20)[-1] if len(server_runs) >= 2 else float("nan"),
        "cores_server": meter.seconds("server") / wall,
        "cores_browser": meter.seconds("browser") / wall,
    }


def _server_runs(run_log: Path) -> list[float]:
    """Seconds of each completed page run, as the server logged them (ui.timing)."""
    if not run_log.is_file():
        return []
    records = [json.loads(line) for line in run_log.read_text().splitlines() if line.strip()]
    return [r["s"] for r in records if r["completed"]]


BROWSER_NICENESS = 10


def browser_yields_to_server() -> None:
    """Lower Chromium's CPU priority (its page processes, forked later, inherit it).

    In a classroom the browsers run on the students' machines and take nothing from the
    server; here they share its two cores. Niced, they still get every cycle the server
    leaves, so the times the browsers see include drawing, while the server answers first."""
    for stat in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"chromium" in stat.read_bytes():
                os.setpriority(os.PRIO_PROCESS, int(stat.parent.name), BROWSER_NICENESS)
        except OSError:  # ended meanwhile, or not ours
            continue


class CpuMeter:
    """Cores used by the server, by Chromium and by lab training workers over a run, from /proc, sampled each second.

    Sampled, not read at the ends: Chromium's page processes exit when their pages close,
    taking their CPU counters with them."""

    #: Who a process is, by a mark in its command line (the server is known by its pid).
    MARKS = (("browser", b"chromium"), ("trainer", WORKER_MODULE.encode()))

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.seen: dict[int, tuple[str, float, float]] = {}  # pid -> (who, first seconds, last seconds)
        self._first = True

    def sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:  # a process that ended while we looked
                continue
            pid = int(stat.parent.name)
            who = "server" if pid == self.server_pid else next((w for w, m in self.MARKS if m in cmdline), None)
            if who:
                used = (int(fields[11]) + int(fields[12])) / ticks
                first = self.seen[pid][1] if pid in self.seen else (used if self._first else 0.0)
                self.seen[pid] = (who, first, used)
        self._first = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        self.sample()

    def seconds(self, who: str) -> float:
        return sum(last - first for w, first, last in self.seen.values() if w == who)

    @contextlib.contextmanager
    def sampling(self) -> Iterator[CpuMeter]:
        """Sample every second in a thread for the duration of a `with` (for synchronous callers)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(1.0):
                self.sample()

        self.sample()
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.sample()


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def load_test(session_counts: tuple[int, ...] = (1, 10, 30), seconds: float = 60, train: bool = True) -> list[dict]:
    return [asyncio.run(_run(n, seconds, train)) for n in session_counts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-train", action="store_true")
    args = parser.parse_args(argv)
    counts = tuple(max(1, min(n, 50)) for n in args.sessions)  # bounded: at most 50 pages
    for row in load_test(counts, max(5.0, min(args.seconds, 900)), not args.no_train):
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
