"""Benchmarks of the core issue: training speed, inference speed, start-up, quality.

Every figure is measured here, in this run; medians over repeats where repeats are cheap.
The time-to-quality race trains the plain baseline (bench/baseline.py) and our recipe
one after the other on the same data, so both see the same machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from bench.baseline import BaselineAutoEncoder, train_baseline
from core.checkpoints.loaded import available_latent_dims, load_model_and_meta
from core.data.mnist import load_split
from core.evaluation.evaluate import evaluate
from core.levels import STUDY_LATENT_DIMS
from core.models.autoencoder import AutoEncoder, ModelConfig
from core.paths import REPO_ROOT
from core.training.allocator import keep_freed_memory
from core.training.cpu_kernels import PINNED_ENV, pinned_env
from core.training.trainer import EPOCH_TEST_IMAGES, TrainConfig, epoch_test_sample, mean_mse, one_cycle, train


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _seconds_per_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, x_all: torch.Tensor, batch_size: int
) -> float:
    """Median time of one training step (forward, backward, optimizer) after 5 warm-up steps."""
    batches = len(x_all) // batch_size
    steps = iter(range(batches))

    def step() -> None:
        i = next(steps)
        x = x_all[i * batch_size : (i + 1) * batch_size]
        loss = nn.functional.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(5):
        step()
    return _median_time(step, batches - 5)


def _train_slice(batches: int, batch_size: int) -> torch.Tensor:
    return torch.from_numpy(load_split("train").images[: batches * batch_size, None] / 255.0).float()


def baseline_seconds_per_epoch(latent_dim: int = 39, batches: int = 40, batch_size: int = 128) -> float:
    """The plain baseline's epoch time now: the yardstick for how fast this host is running today.

    Shared hosts drift (the same step has taken 40-90 ms here on different hours); the issue's
    figures were taken when the baseline ran at bench.targets.ISSUE_BASELINE_S_PER_EPOCH.
    """
    torch.manual_seed(0)
    model = BaselineAutoEncoder(latent_dim).train()
    per_step = _seconds_per_step(
        model, torch.optim.Adam(model.parameters(), lr=1e-3), _train_slice(batches, batch_size), batch_size
    )
    return per_step * 60000 / batch_size


def in_fresh_process(call: str, env: dict[str, str] | None = None):
    """`call` (an expression over this module's names) evaluated in a new process, its result back as JSON.

    A new process runs as it was started: plain PyTorch's allocator, and the kernels its environment
    pins or not (core/training/cpu_kernels.py), whatever this process has set for itself.
    """
    code = f"import json; from bench.core_bench import *; print(json.dumps({call}))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.splitlines()[-1])


def baseline_seconds_per_epoch_fresh_process() -> float:
    """The yardstick on the native kernels, as plain PyTorch runs it (the issue's baseline figures were)."""
    return in_fresh_process("baseline_seconds_per_epoch()", native_env())


def native_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in PINNED_ENV}


def training_speed_on(kernels: str, latent_dims) -> list[dict]:
    """`training_speed` on "pinned" kernels (what training processes use) or the processor's "native" ones."""
    env = pinned_env(native_env()) if kernels == "pinned" else native_env()
    return in_fresh_process(f"training_speed({list(latent_dims)!r})", env)


def training_speed(latent_dims, batches: int = 40, batch_size: int = 128) -> list[dict]:
    """Seconds per epoch extrapolated from the median time of one training step; the time to score the
    per-epoch test sample and the whole test set (training scores the sample after every epoch but the last).

    Measured as the training processes run: with their allocator setting (core/training/allocator.py).
    """
    keep_freed_memory()
    x_all = _train_slice(batches, batch_size)
    test_x = torch.from_numpy(load_split("test").images[:, None] / 255.0).float()
    sample_x = epoch_test_sample(test_x, EPOCH_TEST_IMAGES)
    rows = []
    for d in latent_dims:
        model = AutoEncoder(ModelConfig(latent_dim=d)).train()
        optimizer, _ = one_cycle(model, 1e-3, 1e-4, 1, batches)  # the optimizer training uses
        per_step = _seconds_per_step(model, optimizer, x_all, batch_size)
        model.eval()
        repeats = 3 if d in STUDY_LATENT_DIMS else 1
        eval_s = _median_time(lambda model=model: mean_mse(model, test_x), repeats)
        sample_eval_s = _median_time(lambda model=model: mean_mse(model, sample_x), repeats)
        _, meta = load_model_and_meta(d)
        hist = meta["history"]
        recorded = statistics.median(
            [b["elapsed_s"] - a["elapsed_s"] for a, b in zip([{"elapsed_s": 0.0}, *hist[:-1]], hist, strict=True)]
        )
        rows.append(
            {
                "latent_dim": d,
                "s_per_epoch": per_step * 60000 / batch_size,
                "test_eval_s": eval_s,
                "sample_eval_s": sample_eval_s,
                "train_images_per_s": batch_size / per_step,
                "s_per_epoch_recorded": recorded,
                "epochs": meta["train"]["epochs"],
                "train_wall_s": meta["wall_time_s"],
                "network": "narrow codes'" if ModelConfig(latent_dim=d).res_blocks_14 else "wider codes'",
                "kernels": torch.backends.cpu.get_cpu_capability(),
            }
        )
    return rows


@torch.no_grad()
def inference_speed(latent_dims) -> list[dict]:
    test = torch.from_numpy(load_split("test").images[:1024, None] / 255.0).float()
    rows = []
    for d in latent_dims:
        model, _ = load_model_and_meta(d)
        one = test[:1]
        for _ in range(10):
            model(one)
        t1 = _median_time(lambda: model(one), 200)  # noqa: B023
        model(test)
        t1024 = _median_time(lambda: model(test), 7)  # noqa: B023
        rows.append({"latent_dim": d, "batch1_images_per_s": 1 / t1, "batch1024_images_per_s": 1024 / t1024})
    return rows


def startup_times(repeats: int = 5) -> dict:
    """Fresh process: import + load both splits (cached), then the first model."""
    code = (
        "import time; t0 = time.perf_counter();"
        "from core.data.mnist import load_split; load_split('train'); load_split('test');"
        "t1 = time.perf_counter();"
        "from core.checkpoints.loaded import load_model; load_model(8);"
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm the disk cache
    data_s, model_s = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        a, b = map(float, out.stdout.split())
        data_s.append(a)
        model_s.append(b)
    return {"data_load_s": statistics.median(data_s), "first_model_s": statistics.median(model_s)}


#: One-cycle schedules the race also tries, shortest first: the recipe's epochs are its time budget.
SHORT_SCHEDULES = (2, 3, 4, 5)


def _race(config: TrainConfig, target: float, train_images, test_images) -> dict:
    """Train `config` until an epoch's test MSE is at or below `target`; when and where it got there."""
    reached: dict = {}

    class Reached(Exception):
        pass

    def watch(p) -> None:
        if p.test_mse is not None and p.test_mse <= target:
            reached.update(epoch=p.epoch, elapsed_s=p.elapsed_s, test_mse=p.test_mse)
            raise Reached

    with contextlib.suppress(Reached):
        train(config, progress=watch, train_images=train_images, test_images=test_images)
    return reached


def quality_and_time_to_quality(race_dims=(8, 39), baseline_dims=STUDY_LATENT_DIMS, epochs: int = 10) -> dict:
    """Baseline 10 epochs at each study level; our recipe raced against it at `race_dims`."""
    train_images, test_images = load_split("train").images, load_split("test").images
    baseline = {d: train_baseline(d, train_images, test_images, epochs=epochs) for d in baseline_dims}
    race = {}
    for d in race_dims:
        target = baseline[d][-1]["test_mse"]
        base_time = baseline[d][-1]["elapsed_s"]
        shipped_config = TrainConfig(latent_dim=d, epoch_test_images=None)  # the baseline scores all, every epoch
        shipped = {"schedule_epochs": shipped_config.epochs, **_race(shipped_config, target, train_images, test_images)}
        short = {}
        for epochs in SHORT_SCHEDULES:  # shortest first: the first one that gets there is the answer
            config = TrainConfig(latent_dim=d, epochs=epochs, epoch_test_images=None)
            short = {"schedule_epochs": epochs, **_race(config, target, train_images, test_images)}
            if "elapsed_s" in short:
                break
        race[d] = {
            "baseline_mse": target,
            "baseline_s": base_time,
            "shipped": {**shipped, "ratio": shipped.get("elapsed_s", float("inf")) / base_time},
            "short": {**short, "ratio": short.get("elapsed_s", float("inf")) / base_time},
        }
    quality = []
    for d in sorted(set(baseline_dims) | set(available_latent_dims()) & set(STUDY_LATENT_DIMS)):
        ours = evaluate("ae", d).mse
        quality.append(
            {
                "latent_dim": d,
                "ours": ours,
                "baseline": baseline[d][-1]["test_mse"],
                "pca": evaluate("pca", d).mse,
                "baseline_s": baseline[d][-1]["elapsed_s"],
            }
        )
    return {"race": race, "quality": quality, "baseline_history": baseline}
