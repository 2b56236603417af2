"""The seeds section: the training sweep on Ray (its grid's wall and CPU time, Ray's overhead against the same
jobs in one process, Ray's memory, the grid on a cluster on paper) and what the seeds ship (records' bytes).

The grid's figures are read from the seed models' sidecars (each job's own time, and when it landed), so the
hour-long sweep is not rerun; the overhead is measured here on tiny jobs, both ways.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from core.paths import REPO_ROOT

TINY_JOBS = 8
TINY = ["--sizes", "2", "--seeds", f"1-{TINY_JOBS}", "--epochs", "1", "--train-fraction", "0.05"]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (from /proc), MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 2**20


def run_sweep(args: list[str]) -> tuple[float, float, str]:
    """Run `python -m core.sweep args`; (its own wall seconds, the peak memory of its process tree, its output)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.sweep", *args], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak = [0.0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = proc.communicate()[0].decode()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"the sweep failed: {out[-500:]}")
    return float(re.findall(r"failed in (\d+) s", out)[-1]), peak[0], out


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
    from core.storage.records import read_index

    index = read_index()
    keys = [f"ae_d{m['latent_dim']:03d}_{m['weights_sha256'][:16]}" for m in index.seeds.values()]
    seeds = sum(int(r["bytes"]) for e, r in index.records.items() if any(e.endswith(k) for k in keys))
    tracked = subprocess.run(["git", "ls-files", "checkpoints"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    files = [REPO_ROOT / p for p in tracked.split() if not p.startswith("checkpoints/records/")]
    return seeds, sum(p.stat().st_size for p in files if p.is_file())


def section() -> str:
    lines = ["## Training seeds on Ray\n"]
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
    with tempfile.TemporaryDirectory() as here, tempfile.TemporaryDirectory() as ray:
        wall_here, mem_here, _ = run_sweep([*TINY, "--out", here, "--in-process"])
        wall_ray, mem_ray, _ = run_sweep([*TINY, "--out", ray])
        digests = [
            {f.name: json.loads(f.read_text())["weights_sha256"] for f in Path(folder).glob("*.json")}
            for folder in (here, ray)
        ]
        same = digests[0] == digests[1] and len(digests[0]) == TINY_JOBS
    cpus = os.cpu_count() or 1
    lines.append(
        f"\nRay against the same {TINY_JOBS} tiny jobs (d=2, 1 epoch on 5 % of the digits) in one pinned process: "
        f"{wall_here:.0f} s in process, {wall_ray:.0f} s on a local Ray of {cpus} CPUs, Ray's start and stop "
        f"included: ratio {wall_ray / wall_here:.2f} (the jobs ran {min(cpus, TINY_JOBS)} at a time). "
        f"Identical weights both ways: {'yes' if same else 'NO'}. Peak memory of the process tree: "
        f"{mem_here:.0f} MiB in process, {mem_ray:.0f} MiB with Ray (its head, workers and driver).\n"
    )
    seeds_b, tracked_b = records_bytes()
    lines.append(
        f"What the seeds ship: {seeds_b / 1e6:.2f} MB of records (no weights); the tracked checkpoints (weights and "
        f"sidecars, records aside) are {tracked_b / 1e6:.1f} MB.\n"
    )
    return "\n".join(lines)
