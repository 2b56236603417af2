"""Class mode under load: simulated students join, draw and send digits while the projector refreshes.

    python -m bench.classroom_load --students 100 --seconds 120 --processes 2
    python -m bench.run --only classroom      # 30 and 100 students, on 1 and on 2 processes

No browser per student: each is a coroutine speaking Streamlit's websocket protocol
(bench/classroom_protocol.py), doing what a phone's page sends. A student joins by the link (the
page's first run), then for each digit draws 1-3 strokes (the pad sends its picture after each), taps
the digit and taps Send, then watches the projector for 5-15 s; the class arrives over the first 10 s.
One projector session reruns the live view's fragment every 2 s, as a browser does. Traffic goes
only to servers started here on 127.0.0.1; every action is capped at 30 s and the run at `seconds`.

Reported: errors (exceptions on a page, refusals, timeouts, dropped connections), digits
acknowledged against digits in the database for each student (lost = acknowledged but absent),
p50/p95 per action, the server processes' CPU (cores) and peak memory, the load generator's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import resource
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench.classroom_protocol import ProtocolSession
from core.classroom import RoomLimits, my_digits, open_room
from tests.browser import free_port, streamlit_server
from ui.balancer import STICKY_COOKIE, balanced

ACTION_TIMEOUT_S = 30.0
REFRESH_S = 2.0
ARRIVAL_S = 10.0
ACTIONS = ("join", "draw", "label", "send", "projector")


def digit_pictures(seed: int = 0) -> list[tuple[int, str]]:
    """Forty digits as a phone's pad sends them: black strokes on a white 300-pixel square, as PNG data URLs."""
    rng = random.Random(seed)
    out = []
    for k in range(40):
        d = k % 10
        img = Image.new("RGBA", (300, 300), "white")
        size = rng.randint(170, 250)
        ImageDraw.Draw(img).text(
            (rng.randint(40, 110), rng.randint(-10, 40)), str(d), fill="black", font=ImageFont.load_default(size=size)
        )
        buf = io.BytesIO()
        img.rotate(rng.uniform(-12, 12), fillcolor="white").save(buf, format="PNG")
        out.append((d, "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()))
    return out


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # student secret -> digits
    projector_digits: int = 0

    def error(self, action: str, what: str) -> None:
        self.errors[action] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{action}: {what[:160]}")


class Node(ProtocolSession):
    """A session pinned to one process behind the balancer (the cookie a browser would have been given)."""

    def __init__(self, *args, node: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node = node

    def _sticky_cookie(self) -> str:
        return f"{STICKY_COOKIE}={self.node}" if self.node else super()._sticky_cookie()


async def timed(tally: Tally, action: str, coro):
    try:
        result = await coro
    except TimeoutError:
        tally.error(action, "timed out")
        return None
    except Exception as exc:  # a dropped connection is an error of the run, not of the generator
        tally.error(action, f"{type(exc).__name__}: {exc}")
        return None
    if result.exceptions:
        tally.error(action, result.exceptions[0])
        return None
    tally.times[action].append(result.seconds)
    return result


async def student(url: str, code: str, deadline: float, pictures, rng: random.Random, tally: Tally) -> None:
    await asyncio.sleep(rng.uniform(0, ARRIVAL_S))
    session = ProtocolSession(url, "join", f"room={code}", timeout_s=ACTION_TIMEOUT_S)
    start = time.perf_counter()
    try:
        await asyncio.wait_for(session.connect(), ACTION_TIMEOUT_S)
    except Exception as exc:
        tally.error("join", f"connect: {type(exc).__name__}: {exc}")
        return
    first = await timed(tally, "join", session.run())
    if first is None:
        await session.close()
        return
    tally.times["join"][-1] = time.perf_counter() - start  # the connection is part of joining
    secret = dict(p.split("=", 1) for p in session.query.split("&") if "=" in p).get("me", "")
    try:
        while time.monotonic() < deadline:
            label, picture = rng.choice(pictures)
            canvas, pills = session.widgets["canvas"][1], session.widgets["button_group"][1]
            drawn = {canvas: {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": picture}}}
            for _ in range(rng.randint(1, 3)):
                await asyncio.sleep(rng.uniform(1, 3))
                if time.monotonic() > deadline or await timed(tally, "draw", session.run(drawn)) is None:
                    return
            await asyncio.sleep(rng.uniform(0.5, 2.5))
            chosen = {**drawn, pills: [str(label)]}
            if time.monotonic() > deadline or await timed(tally, "label", session.run(chosen)) is None:
                return
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            if time.monotonic() > deadline:
                return
            sent = await timed(tally, "send", session.run({**chosen, session.widgets["Send my digit"][1]: True}))
            if sent is None:
                return
            if any(t.startswith("Sent your") for t in sent.texts):
                tally.acknowledged[secret] += 1
            else:
                tally.error("send", "not acknowledged: " + " | ".join(sent.texts)[:160])
            await asyncio.sleep(rng.uniform(5, 15))
    finally:
        await session.close()


async def projector(url: str, code: str, token: str, class_done: asyncio.Event, tally: Tally, node: str | None) -> None:
    session = Node(url, "class-room", f"room={code}&key={token}", timeout_s=ACTION_TIMEOUT_S, node=node)
    await session.connect()
    try:
        if await timed(tally, "projector", session.run()) is None:
            return
        fragment = next(iter(session.fragments))
        while not class_done.is_set():
            began = time.monotonic()
            result = await timed(tally, "projector", session.run(fragment_id=fragment))
            if result is not None:
                tally.projector_digits = int(result.metrics.get("digits on screen", 0))
            await asyncio.sleep(max(0.0, REFRESH_S - (time.monotonic() - began)))
        # the last refresh after the class stops: does the projector show every digit?
        result = await timed(tally, "projector", session.run(fragment_id=fragment))
        if result is not None:
            tally.projector_digits = int(result.metrics.get("digits on screen", 0))
    finally:
        await session.close()


async def warm(url: str, code: str, token: str, nodes: list[str | None]) -> None:
    """Each process loads its models and builds the projector's map once, before the clock starts."""
    for node in nodes:
        p = Node(url, "class-room", f"room={code}&key={token}", timeout_s=300, node=node)
        await p.connect()
        await p.run()
        await p.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def scenario(students: int, seconds: float, processes: int, seed: int = 0) -> dict:
    """One load run; returns its record (times in seconds, CPU in cores)."""
    folder = tempfile.mkdtemp(prefix="aecl-classroom-load-")
    os.environ["AECL_CLASSROOM_DIR"] = folder  # this process opens the room in the servers' database
    env = {"AECL_CLASSROOM_DIR": folder}
    room = open_room(RoomLimits(max_students=students + 10, max_digits=100_000, max_digits_per_student=10_000))
    pictures = digit_pictures(seed)
    procs: list = []
    server = (
        streamlit_server(env=env, started=procs)
        if processes == 1
        else balanced(processes, free_port(), env=env, started=procs)
    )
    with server as url:
        nodes = [None] if processes == 1 else [f"s{i}" for i in range(1, processes + 1)]
        asyncio.run(warm(url, room.code, room.token, nodes))
        tally = Tally()
        load_before = os.getloadavg()[0]
        pids = [p.pid for p in procs]
        cpu0, own0, t0 = [_cpu_seconds(p) for p in pids], _own_cpu(), time.monotonic()

        async def lesson() -> None:
            deadline = time.monotonic() + seconds
            rng = random.Random(seed)
            class_done = asyncio.Event()
            shown = asyncio.create_task(projector(url, room.code, room.token, class_done, tally, nodes[-1]))
            await asyncio.gather(
                *(
                    student(url, room.code, deadline, pictures, random.Random(rng.random()), tally)
                    for _ in range(students)
                )
            )
            class_done.set()
            await shown

        asyncio.run(lesson())
        wall = time.monotonic() - t0
        server_cpu = sum(_cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)) / wall
        per_process = [(_cpu_seconds(p) - c) / wall for p, c in zip(pids, cpu0, strict=True)]
        peak = [_peak_rss_mb(p) for p in pids]
        own = (_own_cpu() - own0) / wall
    stored = {s: len(my_digits(room.code, s)) for s in tally.acknowledged}
    from core.classroom import class_digits

    total_stored = len(class_digits(room.code, room.token))
    lost = sum(max(0, n - stored.get(s, 0)) for s, n in tally.acknowledged.items())
    return {
        "students": students,
        "processes": processes,
        "seconds": round(wall, 1),
        "actions": {a: len(tally.times[a]) for a in ACTIONS},
        "p50": {a: float(np.percentile(tally.times[a], 50)) if tally.times[a] else None for a in ACTIONS},
        "p95": {a: float(np.percentile(tally.times[a], 95)) if tally.times[a] else None for a in ACTIONS},
        "errors": dict(tally.errors),
        "error_examples": tally.examples,
        "acknowledged": sum(tally.acknowledged.values()),
        "stored": total_stored,
        "lost": lost,
        "projector_shows": tally.projector_digits,
        "server_cpu_cores": round(server_cpu, 2),
        "server_cpu_per_process": [round(c, 2) for c in per_process],
        "server_peak_rss_mb": [round(m) for m in peak],
        "load_generator_cpu_cores": round(own, 2),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classroom_load", description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(scenario(args.students, args.seconds, args.processes), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


RUNS = ((30, 1), (100, 1), (30, 2), (100, 2))  # (students, processes)
TARGET_P95_S = 1.5


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v * 1000:.0f}"


def section(seconds: float = 120) -> str:
    """bench/results.md's class mode section: each run of RUNS for `seconds`."""
    from bench.report import stamp, table

    records = [scenario(students, seconds, processes) for students, processes in RUNS]
    rows = []
    for r in records:
        worst = max(r["p95"][a] or 0 for a in ("join", "draw", "label", "send"))
        rows.append(
            [
                r["processes"],
                r["students"],
                sum(r["actions"].values()),
                sum(r["errors"].values()),
                f"{r['acknowledged']} / {r['stored']} / {r['lost']}",
                r["projector_shows"],
                *(f"{_ms(r['p50'][a])} / {_ms(r['p95'][a])}" for a in ACTIONS),
                "yes" if worst <= TARGET_P95_S else "**no**",
                f"{r['server_cpu_cores']:.2f} ({' + '.join(f'{c:.2f}' for c in r['server_cpu_per_process'])})",
                " + ".join(str(m) for m in r["server_peak_rss_mb"]),
                f"{r['load_generator_cpu_cores']:.2f}",
                f"{r['load_average_before']:.1f}",
            ]
        )
    examples = sorted({e for r in records for e in r["error_examples"]})
    return (
        "## Class mode under load (`python -m bench.run --only classroom`)\n\n"
        + stamp()
        + f"\nSimulated students speak Streamlit's websocket protocol (no browser each; `bench/classroom_load.py`) "
        f"for {seconds:.0f} s per run: they arrive over {ARRIVAL_S:.0f} s, then per digit 1-3 strokes (the pad "
        "sends its picture after each), tap the digit, tap Send, and watch for 5-15 s; one projector reruns the "
        f"live view every {REFRESH_S:.0f} s. N = 2 is two Streamlit processes behind haproxy (sticky cookie), "
        "sharing the SQLite file; the projector sits on the last process, so most digits reach it through "
        "another. Times are from sending `rerun_script` to `script_finished`, in ms (join includes opening "
        "the websocket). Digits: acknowledged (the page said “Sent”) / in the database / lost (acknowledged, "
        "absent). CPU in cores over the run; memory is each process's peak resident set (MB). The last column "
        "is the machine's 1-minute load average when the run began: other work shared these "
        f"{records[0]['cores']} cores.\n\n"
        + table(
            [
                "processes",
                "students",
                "actions",
                "errors",
                "digits ack / stored / lost",
                "projector shows",
                *(f"{a} p50 / p95" for a in ACTIONS),
                f"students' p95 ≤ {TARGET_P95_S} s",
                "server CPU",
                "server peak MB",
                "load generator CPU",
                "load before",
            ],
            rows,
        )
        + ("\n\nErrors seen: " + "; ".join(examples) if examples else "")
        + "\n"
    )
