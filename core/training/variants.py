"""Training the claims page's variants (`core.checkpoints.variants`): d=16 on digits 0–4, and d=16 denoising.

The same recipe as the shipped models (`core.training.trainer`: AdamW, one-cycle, batch 128, seeded,
CPU kernels pinned by the entry point). `digits04` trains from scratch, so it never sees a 5–9;
`denoise` starts from the shipped d=16 and learns, in a few epochs at a lower rate, to map a noised
digit to its clean self, so the two d=16 models differ only in what they were asked to undo.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from core.checkpoints.files import library_versions, write_pair
from core.checkpoints.variants import VARIANT_LATENT_DIM, VARIANTS, variant_paths, variant_stem
from core.data.mnist import data_digest, load_split
from core.data.noise import TEST_SIGMA, TRAIN_SIGMA_RANGE, noised, train_sigmas
from core.data.pixels import to_unit_float
from core.levels import compression_pct
from core.models.autoencoder import AutoEncoder, ModelConfig
from core.models.torch_thread import torch_threads
from core.training.cpu_kernels import kernels_in_use
from core.training.trainer import (
    Progress,
    TrainConfig,
    TrainResult,
    eval_reconstructions,
    one_cycle,
    step,
)

#: Threads each variant trains on: one, so their weights don't depend on the host's core count; the rebuild
#: trains the variants side by side, one process each (`main`), so two cores are both used.
TORCH_THREADS = 1
#: Epochs and peak rate per variant. `digits04` has the shipped d=16's recipe from scratch, over twice its epochs
#: of half the digits: the same number of updates, so the adaptability experiment compares two models that differ
#: only in their data; `denoise` is a short fine-tune of the shipped weights, at the wide codes' gentler rate so
#: it adapts without forgetting.
RECIPES = {"digits04": dict(epochs=30, max_lr=1e-2), "denoise": dict(epochs=3, max_lr=3e-3)}


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(to_unit_float(images)).unsqueeze(1)


def train_variant(
    name: str,
    progress: Callable[[Progress], None] | None = None,
    split: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    start_from: AutoEncoder | None = None,
    epochs: int | None = None,
    seed: int = 0,
) -> TrainResult:
    """Train one variant on the CPU. `split` (train images, train labels, test images, test labels; uint8)
    defaults to MNIST; `start_from` is the model `denoise` fine-tunes (default: the shipped d=16)."""
    with torch_threads(TORCH_THREADS):
        return _train(name, progress, split, start_from, epochs, seed)


def _train(name, progress, split, start_from, epochs, seed) -> TrainResult:
    variant = VARIANTS[name]
    recipe = RECIPES[name]
    config = TrainConfig(
        latent_dim=VARIANT_LATENT_DIM, epochs=epochs or recipe["epochs"], max_lr=recipe["max_lr"], seed=seed
    )
    if split is None:
        train, test = load_split("train"), load_split("test")
        split = (train.images, train.labels, test.images, test.labels)
    train_images, train_labels, test_images, test_labels = split
    keep = np.isin(train_labels, variant.digits)
    train_x = _tensor(train_images[keep])
    test_x = _tensor(test_images[np.isin(test_labels, variant.digits)])
    test_in = noised(test_x, TEST_SIGMA, torch.Generator().manual_seed(seed + 1)) if variant.noisy_inputs else test_x

    torch.manual_seed(config.seed)
    order_gen = torch.Generator().manual_seed(config.seed)
    noise_gen = torch.Generator().manual_seed(config.seed + 2)
    model = AutoEncoder(ModelConfig(latent_dim=VARIANT_LATENT_DIM))
    if variant.noisy_inputs:
        if start_from is None:
            from core.checkpoints.loaded import load_model

            start_from = load_model(VARIANT_LATENT_DIM)
        model.load_state_dict(start_from.state_dict())
        for p in model.parameters():
            p.requires_grad_(True)
    else:
        model.decoder.start_at_mean(train_x.mean(0))
    batches = math.ceil(len(train_x) / config.batch_size)
    optimizer, scheduler = one_cycle(model, config.max_lr, config.weight_decay, config.epochs, batches)
    loss_fn = nn.MSELoss()
    history: list[dict] = []
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=order_gen)
        total = 0.0
        for b in range(batches):
            x = train_x[order[b * config.batch_size : (b + 1) * config.batch_size]]
            inputs = noised(x, train_sigmas(len(x), noise_gen), noise_gen) if variant.noisy_inputs else x
            total += step(loss_fn(model(inputs), x), optimizer, scheduler)
            if progress is not None:
                progress(Progress(epoch, config.epochs, b + 1, batches, total / (b + 1)))
        test_mse = float(((eval_reconstructions(model, test_in) - test_x) ** 2).mean(dtype=torch.float64))
        row = {
            "epoch": epoch,
            "train_loss": total / batches,
            "test_mse": test_mse,
            "test_images": len(test_x),
            "elapsed_s": time.perf_counter() - start,
        }
        history.append(row)
        if progress is not None:
            progress(Progress(epoch, config.epochs, batches, batches, row["train_loss"], test_mse, len(test_x)))
    model.eval()
    return TrainResult(model, config, history, time.perf_counter() - start, "cpu")


def save_variant(name: str, result: TrainResult, folder=None, warm_start_sha256: str | None = None) -> dict:
    """Write a trained variant as its checkpoint pair (never a shipped size's); returns the sidecar."""
    variant = VARIANTS[name]
    final = result.history[-1] if result.history else {}
    meta = {
        "format_version": 1,
        "name": variant_stem(name),
        "latent_dim": VARIANT_LATENT_DIM,
        "compression_pct": compression_pct(VARIANT_LATENT_DIM),
        "model": result.model.config.to_dict(),
        "train": result.config.to_dict(),
        "history": result.history,
        # test MSE on the variant's own test digits (noised inputs, clean targets for `denoise`)
        "metrics": {"test_mse": final.get("test_mse")},
        "variant": {
            "name": name,
            "digits": list(variant.digits),
            "noise": {"train_sigma_range": list(TRAIN_SIGMA_RANGE), "test_sigma": TEST_SIGMA}
            if variant.noisy_inputs
            else None,
            "warm_start_weights_sha256": warm_start_sha256,
        },
        "n_parameters": result.model.n_parameters(),
        "data_digest": data_digest(),
        "wall_time_s": result.wall_time_s,
        "device": "cpu",
        "cpu_kernels": kernels_in_use(),
        "torch_threads": TORCH_THREADS,
        "versions": library_versions(),
    }
    return write_pair(variant_paths(name, folder), result.model, meta, "aecl-autoencoder")


def main(names: list[str]) -> int:
    """Train and save the named variants on Ray, one single-threaded task each (`core.sweep.engine`); returns an
    exit status."""
    from core.checkpoints.paths import CheckpointPaths
    from core.paths import checkpoint_dir
    from core.sweep.engine import SweepJob, run_on_ray

    warm = CheckpointPaths.for_latent_dim(VARIANT_LATENT_DIM)
    jobs = [
        SweepJob(
            name=variant_stem(n),
            target="core.training.variants:train_and_save_variant",
            kwargs={"name": n},
            folder=checkpoint_dir(),
            inputs={p.name: p for p in (warm.weights, warm.meta)} if VARIANTS[n].noisy_inputs else {},
        )
        for n in names
    ]
    report = run_on_ray(jobs)
    for name, error in report.failed.items():
        print(f"error: {name}: {error}", file=sys.stderr)
    return 0 if report.ok else 1


def train_and_save_variant(name: str) -> None:
    """Train and save one variant in this process (what each of `main`'s jobs runs); CheckpointError when the model
    it starts from can't be read."""
    from core.checkpoints.loaded import model_meta

    warm = model_meta(VARIANT_LATENT_DIM)["weights_sha256"] if VARIANTS[name].noisy_inputs else None
    save_variant(name, train_variant(name), warm_start_sha256=warm)


def train_and_save(names: list[str], position: int = 0) -> int:
    """Train and save each named variant in this process, with a tqdm bar at `position`; returns an exit status."""
    from tqdm import tqdm

    from core.checkpoints.files import CheckpointError
    from core.checkpoints.loaded import model_meta

    for name in names:
        bar: tqdm | None = None

        def show(p: Progress, stem: str = variant_stem(name)) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=p.batches, desc=f"{stem} epoch {p.epoch}/{p.epochs}", unit="batch", position=position)
            if p.test_mse is None:
                bar.update(1)
            else:
                bar.set_postfix(loss=f"{p.train_loss:.5f}", test_mse=f"{p.test_mse:.5f}")
                bar.close()
                bar = None

        warm = None
        try:
            if VARIANTS[name].noisy_inputs:
                warm = model_meta(VARIANT_LATENT_DIM)["weights_sha256"]
            result = train_variant(name, progress=show)
        except CheckpointError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        save_variant(name, result, warm_start_sha256=warm)
        print(
            f"{variant_stem(name)}: test MSE {result.history[-1]['test_mse']:.6f} in {result.wall_time_s:.0f} s "
            f"on cpu ({torch.backends.cpu.get_cpu_capability()} kernels); saved {variant_paths(name).weights}"
        )
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m core.training.variants", description="Train claims variants.")
    parser.add_argument("names", nargs="+", choices=list(VARIANTS))
    parser.add_argument("--position", type=int, default=0, help="the tqdm bar's line, when several run at once")
    args = parser.parse_args()
    sys.exit(train_and_save(args.names, args.position))
