"""Run independent training jobs on Ray: one task per job, one CPU and one torch thread each.

A job names a function (`"module:function"`) and its keyword arguments. The task runs it in a worker whose
checkpoint folder is an empty temporary one (holding only the job's `inputs`, e.g. the weights it warm-starts
from), and returns every file the function wrote there as bytes; the driver writes them atomically into the
job's folder, sidecars (`.json`, the commit point) last. So workers need no shared disk, and an interrupted
sweep loses only its unfinished jobs.

Worker processes start with the pinned CPU kernels (`core.training.cpu_kernels`) in their environment, so a
job gives the same weights on Ray as in a pinned process on the same host. Ray is imported here only, when a
sweep runs: the dashboard never starts it.
"""

from __future__ import annotations

import importlib
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.paths import redirected
from core.storage.atomic import atomic_write_bytes

Files = dict[str, bytes]


@dataclass(frozen=True)
class SweepJob:
    """One training run: `target(**kwargs)` writes its checkpoint files into `checkpoint_dir()`."""

    name: str
    target: str  # "module:function"
    kwargs: dict
    folder: Path  # where the driver writes what the job returns
    inputs: dict[str, Path] = field(default_factory=dict)  # file name in the worker's folder -> file here
    done: Callable[[], bool] | None = field(default=None, compare=False)  # already trained with this config?


@dataclass
class SweepReport:
    """What a sweep did: job names that landed, were skipped as done, or failed (name -> error line)."""

    landed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    task_s: dict[str, float] = field(default_factory=dict)  # seconds each landed job's function ran

    @property
    def ok(self) -> bool:
        return not self.failed


def run_job(target: str, kwargs: dict, inputs: Files) -> tuple[Files, float]:
    """Run one job here, on one torch thread, in a fresh checkpoint folder; returns the files it wrote and the
    seconds it took. What a Ray task runs, and what an in-process sweep runs."""
    import torch

    from core.checkpoints.loaded import forget_loaded_models

    module, _, function = target.partition(":")
    fn = getattr(importlib.import_module(module), function)
    threads = torch.get_num_threads()
    with (
        tempfile.TemporaryDirectory(prefix="aecl-sweep-") as tmp,
        redirected(AECL_CHECKPOINT_DIR=tmp, AECL_SEEDS_DIR=tmp),
    ):
        folder = Path(tmp)
        for name, blob in inputs.items():
            (folder / name).write_bytes(blob)
        forget_loaded_models()
        torch.set_num_threads(1)
        start = time.perf_counter()
        try:
            fn(**kwargs)
        finally:
            torch.set_num_threads(threads)
            forget_loaded_models()
        seconds = time.perf_counter() - start
        written = {
            p.name: p.read_bytes()
            for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in inputs and not p.name.endswith((".lock", ".tmp"))
        }
    return written, seconds


def land(job: SweepJob, files: Files) -> None:
    """Write a finished job's files into its folder, each atomically, sidecars last (they commit the pair)."""
    for name in sorted(files, key=lambda n: n.endswith(".json")):
        atomic_write_bytes(job.folder / name, files[name])


def worker_env() -> dict[str, str]:
    """The environment a Ray worker starts with: the pinned kernels where they apply, and this repository on its
    path (on a cluster, every machine holds a clone at the same path, with the data)."""
    from core.paths import REPO_ROOT
    from core.training.cpu_kernels import PINNED_ENV, pinned_env

    env = pinned_env({})
    return {**{k: env[k] for k in PINNED_ENV if k in env}, "PYTHONPATH": str(REPO_ROOT)}


def error_line(exc: BaseException) -> str:
    """A failed task's error as one line: the job's own exception, not Ray's wrapping of it."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}".strip()


def pending_jobs(jobs: list[SweepJob], report: SweepReport) -> list[SweepJob]:
    todo = []
    for job in jobs:
        if job.done is not None and job.done():
            report.skipped.append(job.name)
        else:
            todo.append(job)
    return todo


def run_here(jobs: list[SweepJob], bar=None) -> SweepReport:
    """The same jobs one after another in this process (no Ray): the baseline Ray's overhead is measured against."""
    report, start = SweepReport(), time.perf_counter()
    for job in pending_jobs(jobs, report):
        try:
            files, seconds = run_job(job.target, job.kwargs, {n: p.read_bytes() for n, p in job.inputs.items()})
            land(job, files)
            report.landed.append(job.name)
            report.task_s[job.name] = seconds
        except Exception as exc:  # one job's failure is reported; the others run
            report.failed[job.name] = error_line(exc)
            traceback.print_exc()
        if bar is not None:
            bar.update(1)
    report.wall_s = time.perf_counter() - start
    return report


@contextmanager
def ray_session(address: str | None = None, cpus: int | None = None) -> Iterator[None]:
    """Ray for the block: joined if already up in this process, a cluster's when `address` (or RAY_ADDRESS) names
    one, else a local one on `cpus` of this machine's cores (default all), started here and stopped after."""
    import ray

    if ray.is_initialized():
        yield
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def run_on_ray(
    jobs: list[SweepJob], address: str | None = None, poll_s: float = 1.0, cpus: int | None = None
) -> SweepReport:
    """Run the jobs not yet done as Ray tasks (each lands as soon as it finishes); failures are collected by name.
    `cpus` caps a local Ray's cores (a cluster brings its own)."""
    from tqdm import tqdm

    report, start = SweepReport(), time.perf_counter()
    todo = pending_jobs(jobs, report)
    if not todo:
        return report
    with ray_session(address, cpus):
        import ray

        task = ray.remote(num_cpus=1, runtime_env={"env_vars": worker_env()}, max_retries=0)(run_job)
        refs = {
            task.remote(job.target, job.kwargs, {n: p.read_bytes() for n, p in job.inputs.items()}): job for job in todo
        }
        with tqdm(total=len(todo), unit="job", desc="sweep") as bar:
            waiting = list(refs)
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1, timeout=poll_s)
                for ref in ready:
                    job = refs[ref]
                    try:
                        files, seconds = ray.get(ref)
                        land(job, files)
                        report.landed.append(job.name)
                        report.task_s[job.name] = seconds
                    except Exception as exc:  # a RayTaskError wraps the job's own exception
                        report.failed[job.name] = error_line(exc)
                        tqdm.write(f"failed: {job.name}: {report.failed[job.name]}")
                    bar.update(1)
                bar.set_postfix(running=min(len(waiting), _cpus()), failed=len(report.failed), refresh=True)
    report.wall_s = time.perf_counter() - start
    return report


def _cpus() -> int:
    import ray

    return int(ray.cluster_resources().get("CPU", 1))
