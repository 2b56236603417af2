"""Benchmarks of the rate–distortion records and the classifier (issue 5).

First computation: `python -m core.ratedistortion --json` in a fresh process whose cache
folder holds only what other features keep there (the decoded MNIST arrays, the PCA fit,
and `core.evaluate`'s per-image errors, which give the float32 codes' errors), so every
code, every 8-bit and float16 decode, every codec pass and every record is computed. Cached read: `rd_records()`
in process, and the CLI in a fresh process, both from the disk cache.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import data_digest, load_split
from core.evaluation.evaluate import evaluate
from core.models.pca import pca_basis
from core.paths import REPO_ROOT, cache_dir
from core.ratedistortion.records import TARGET_MSE, bytes_to_reach, rd_records


def _cli(env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (all processes, workers included) of one CLI run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "core.ratedistortion", "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rd_timings(cached_repeats: int = 5) -> dict:
    pca_basis()  # make sure the shared PCA fit exists before copying it
    load_split("test")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        os.symlink(cache_dir() / "mnist", fresh / "mnist")
        pca = f"pca_{data_digest()}.npz"
        os.symlink(cache_dir() / pca, fresh / pca)
        for d in available_latent_dims():
            for method in ("ae", "pca"):
                evaluate(method, d)  # make sure evaluate's cache is complete before sharing it
        os.symlink(cache_dir() / "eval", fresh / "eval")
        load_before = os.getloadavg()[0]
        first_wall, first_cpu = _cli({"AECL_CACHE_DIR": str(fresh)})
        cli_cached = statistics.median(_cli({"AECL_CACHE_DIR": str(fresh)})[0] for _ in range(3))
    rd_records()  # the project's own cache (computed once if it isn't yet)
    times = []
    for _ in range(cached_repeats):
        t = time.perf_counter()
        rd_records()
        times.append(time.perf_counter() - t)
    return {
        "first_s": first_wall,
        "first_cpu_s": first_cpu,
        "load_before": load_before,
        "cached_s": statistics.median(times),
        "cli_cached_s": cli_cached,
    }


def bytes_at_target(max_mse: float = TARGET_MSE) -> list[dict]:
    """Per method, its cheapest point with MSE ≤ max_mse."""
    records = rd_records()
    return [
        {"method": m, "record": r}
        for m, r in sorted(bytes_to_reach(records, max_mse).items(), key=lambda kv: (kv[1] is None, kv[0]))
    ]


def classifier_figures() -> dict:
    from core.checkpoints.classifier import load_classifier
    from core.models.classifier import accuracy

    model, meta = load_classifier()
    test = load_split("test")
    return {
        "accuracy": accuracy(model, test.images, test.labels),
        "wall_s": meta["wall_time_s"],
        "cpu_s": meta.get("cpu_time_s"),
        "epochs": meta["config"]["epochs"],
        "epoch_s": [h["elapsed_s"] for h in meta["history"]],
    }
