"""The seeds section: the training sweep on Ray (its grid's wall and CPU time, Ray's overhead against the same
jobs in one process, Ray's memory, the grid on a cluster on paper) and what the seeds ship (records' bytes).

The grid's figures are read from the seed models' sidecars (each job's own time, and when it landed), so the
hour-long sweep is not rerun. The overhead is measured here on short jobs, both ways at the same parallelism
(one job at a time on one core: a local Ray of one CPU against the jobs one after another in one process),
whole commands timed, repeats interleaved so that the host's drift falls on both alike.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from core.paths import REPO_ROOT

JOBS = 8
FRACTION = 0.5  # of the training digits, one epoch at d=39: a job of seconds, not the shipped recipe's minutes
SHORT = ["--sizes", "39", "--seeds", f"1-{JOBS}", "--epochs", "1", "--train-fraction", str(FRACTION)]
REPEATS = 3


def tree_usage(pid: int) -> tuple[float, dict[int, float]]:
    """A process and all its descendants (from /proc): their resident memory in MiB, and each one's CPU seconds so
    far (user + system) by pid."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    total, seen, todo = 0, {}, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        seen[p] = cpu.get(p, 0.0)
        todo += children.get(p, [])
    return total / 2**20, seen


def run_sweep(args: list[str]) -> tuple[float, float, float, str]:
    """Run `python -m core.sweep args`; (the command's wall seconds, start to exit; the CPU seconds of its process
    tree, sampled every 0.2 s, so each process's last fraction of a second is missed; the tree's peak memory, MiB;
    its output)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.sweep", *args], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak, cpu = [0.0], {}

    def watch() -> None:
        while proc.poll() is None:
            rss, seen = tree_usage(proc.pid)
            peak[0] = max(peak[0], rss)
            for p, seconds in seen.items():
                cpu[p] = max(cpu.get(p, 0.0), seconds)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = proc.communicate()[0].decode()
    wall = time.perf_counter() - start
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"the sweep failed: {out[-500:]}")
    return wall, sum(cpu.values()), peak[0], out


PROBE = """
import time
t = time.perf_counter()
import ray
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
started = time.perf_counter()
from core.sweep.engine import worker_env
task = ray.remote(num_cpus=1, runtime_env={"env_vars": worker_env()})(lambda: __import__("torch").__version__)
ray.get(task.remote())
first = time.perf_counter()
ray.get(task.remote())
second = time.perf_counter()
ray.shutdown()
print(started - t, first - started, second - first, time.perf_counter() - second)
"""


def ray_fixed_costs() -> list[float]:
    """Seconds for: importing and starting a local Ray, its first task (a worker with the pinned environment
    started, torch imported), a second task on that worker, and stopping Ray; in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    ).stdout
    return [float(x) for x in out.split()[-4:]]


def grid_from_sidecars() -> dict:
    """Per level: each seed model's own training seconds and the span from the first job's start to the last's
    end (the sweep's wall time), read from the seeds' sidecars."""
    from core.checkpoints.seeds import seeds_on_disk
    from core.paths import seeds_dir

    jobs = []
    for name, meta in seeds_on_disk().items():
        landed = (seeds_dir() / f"{name}.json").stat().st_mtime
        jobs.append((meta["latent_dim"], meta["train"]["seed"], float(meta["wall_time_s"]), landed))
    if not jobs:
        return {}
    start = min(landed - s for _, _, s, landed in jobs)
    return {"jobs": jobs, "wall_s": max(j[3] for j in jobs) - start, "cpu_s": sum(j[2] for j in jobs)}


def records_bytes() -> tuple[int, int]:
    """(the seed models' shipped records' bytes, the tracked checkpoint files' bytes, records aside)."""
    from core.records.seeds import seed_digest
    from core.storage.records import read_index

    index = read_index()
    keys = [seed_digest(m) for m in index.seeds.values()]
    seeds = sum(int(r["bytes"]) for e, r in index.records.items() if any(k in e for k in keys))
    tracked = subprocess.run(["git", "ls-files", "checkpoints"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    files = [REPO_ROOT / p for p in tracked.split() if not p.startswith("checkpoints/records/")]
    return seeds, sum(p.stat().st_size for p in files if p.is_file())


def section() -> str:
    from bench.report import stamp

    lines = ["## Training seeds on Ray\n", stamp()]
    grid = grid_from_sidecars()
    if grid:
        by_level: dict[int, list[float]] = {}
        for d, _, s, _ in grid["jobs"]:
            by_level.setdefault(d, []).append(s)
        lines.append(
            f"The extra seeds' sweep on this machine ({os.cpu_count()} cores, shared): {len(grid['jobs'])} jobs in "
            f"{grid['wall_s'] / 60:.1f} min wall, {grid['cpu_s'] / 60:.1f} CPU-min of training (one thread each).\n"
        )
        lines.append("| level | seeds trained | training s per job (mean) |\n| --- | --- | --- |")
        for d in sorted(by_level, reverse=True):
            lines.append(f"| d={d} | {len(by_level[d])} | {sum(by_level[d]) / len(by_level[d]):.0f} |")
        longest = {d: max(v) for d, v in by_level.items()}
        per_job = sum(sum(v) / len(v) for v in by_level.values()) / len(by_level)
        n_jobs = 5 * 4
        lines.append(
            f"\nOn paper, the 4 levels x 5 seeds ({n_jobs} jobs, {n_jobs * per_job / 60:.0f} CPU-min at this "
            "machine's pace) on N machines of 16 cores (one job per core, no job split):\n"
        )
        lines.append("| N | rounds of jobs | wall (min) |\n| --- | --- | --- |")
        for n in (1, 2, 4):
            rounds = math.ceil(n_jobs / (16 * n))
            lines.append(f"| {n} | {rounds} | {rounds * max(longest.values()) / 60:.1f} |")
    walls: dict[str, list[float]] = {"here": [], "ray": []}
    cpus: dict[str, list[float]] = {"here": [], "ray": []}
    peaks: dict[str, list[float]] = {"here": [], "ray": []}
    digests: list[dict[str, str]] = []
    for _ in range(REPEATS):
        for way, extra in (("here", ["--in-process"]), ("ray", ["--cpus", "1"])):
            with tempfile.TemporaryDirectory() as out:
                wall, cpu, peak, _ = run_sweep([*SHORT, "--out", out, *extra])
                walls[way].append(wall)
                cpus[way].append(cpu)
                peaks[way].append(peak)
                digests.append({f.name: json.loads(f.read_text())["weights_sha256"] for f in Path(out).glob("*.json")})
    same = all(d == digests[0] for d in digests) and len(digests[0]) == JOBS
    med = {way: statistics.median(walls[way]) for way in walls}
    low = {way: min(walls[way]) for way in walls}
    cpu = {way: statistics.median(cpus[way]) for way in cpus}
    start, first, again, stop = ray_fixed_costs()
    lines.append(
        f"\nRay's overhead: {JOBS} jobs (d={SHORT[1]}, 1 epoch on {FRACTION:.0%} of the digits, one torch thread "
        f"each) run one at a time both ways, so both use one core for training: on a local Ray of 1 CPU "
        "(`python -m core.sweep --cpus 1`) and one after another in one pinned process (`--in-process`). Each "
        "whole command is timed from start to exit (Ray's start and stop, the driver's imports and the checkpoints' "
        "landing included), "
        f"{REPEATS} repeats interleaved (in process, Ray, in process, ...) so that the shared host's drift falls on "
        f"both alike. CPU seconds are the whole process tree's (Ray's head processes, worker and driver).\n"
    )
    lines.append(
        "| | wall per repeat (s) | median wall (s) | fastest (s) | CPU s (median) |\n| --- | --- | --- | --- | --- |"
    )
    for way, label in (("here", "in process"), ("ray", "Ray, 1 CPU")):
        runs = ", ".join(f"{w:.1f}" for w in walls[way])
        lines.append(f"| {label} | {runs} | {med[way]:.1f} | {low[way]:.1f} | {cpu[way]:.1f} |")
    lines.append(
        f"\n**Ratio Ray ÷ in process: {med['ray'] / med['here']:.3f} on the median wall time** "
        f"({low['ray'] / low['here']:.3f} on the fastest runs, {cpu['ray'] / cpu['here']:.3f} on CPU seconds). "
        f"Identical weights both ways, every repeat: {'yes' if same else 'NO'}.\n"
    )
    lines.append(
        f"Where Ray's extra time goes (a fresh process, measured apart): importing and starting a local Ray "
        f"{start:.1f} s, its first task {first:.1f} s (a worker started with the pinned environment and torch imported "
        f"in it; the in-process run imports torch once too), a later task on the same worker {again * 1000:.0f} ms, "
        f"stopping Ray {stop:.1f} s. So Ray costs about {start + first + stop:.0f} s once a sweep, not per job: the "
        f"worker is reused and keeps the digits loaded (one load per worker), and a job's checkpoint comes back in "
        "milliseconds. "
        + (
            f"On the seeds' real jobs ({grid['cpu_s'] / len(grid['jobs']) / 60:.0f} min each on average) that fixed "
            f"cost is {(start + first + stop) / grid['wall_s']:.2%} of the {len(grid['jobs'])}-job sweep's wall time."
            if grid
            else ""
        )
        + "\n"
    )
    lines.append(
        f"Peak memory of the process tree (median): {statistics.median(peaks['here']):.0f} MiB in process, "
        f"{statistics.median(peaks['ray']):.0f} MiB with a 1-CPU Ray (its head, one worker, the driver).\n"
    )
    seeds_b, tracked_b = records_bytes()
    lines.append(
        f"What the seeds ship: {seeds_b / 1e6:.2f} MB of records (no weights); the tracked checkpoints (weights and "
        f"sidecars, records aside) are {tracked_b / 1e6:.1f} MB.\n"
    )
    return "\n".join(lines)
