"""Training loop: one function for the CLI, the benchmarks and the Model lab's worker process.

`train(config, progress=callback)` is the library call; `python -m core.train` wraps it
with a tqdm bar and saves the checkpoint. The recipe (AdamW, one-cycle learning rate
peaking at 1e-2, batch 128, 15 epochs; codes of 256 dims and more: 3e-3, 8 epochs) is the
best quality per second found on a 2-core CPU; `core.models.autoencoder` says why, and
bench/recipe_search.md has the runs.

Determinism: with the same seed, data, thread count and CPU kernels, CPU training is
bit-for-bit repeatable (shuffling uses its own seeded generator; no data-loader worker
processes). The CLI pins the kernels to AVX2 so that holds across machines (`core.training.cpu_kernels`).
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from core.data.mnist import load_split
from core.data.pixels import to_unit_float
from core.levels import check_latent_dim, latent_dim_for
from core.models.autoencoder import AutoEncoder, ModelConfig

#: Peak learning rate for models with the BatchNorm'd hidden layer (codes under HIDDEN_WIDTH dims): training is
#: update-limited, so the highest stable rate wins (bench/design_notes.md has the figures).
MAX_LR = 1e-2
#: Peak learning rate for wide codes, which skip the hidden layer: their un-normalised linear maps diverge at 1e-2
#: and are stable at 3e-3.
MAX_LR_WIDE_CODES = 3e-3


#: Epochs for codes with the hidden layer. Their error keeps falling with training, but slowly, so the four study
#: levels' time budget sets it.
EPOCHS = 15
#: Epochs for wide codes: the linear path does most of their work and they converge early, so their share of the
#: rebuild's time goes to the narrow codes.
EPOCHS_WIDE_CODES = 8

#: Test images scored after each epoch but the last (which scores the whole test set): a fixed, evenly spread
#: sample. Scoring all 10,000 every epoch costs a noticeable share of a rebuild, for a curve whose shape a
#: 2,000-image sample already gives.
EPOCH_TEST_IMAGES = 2000


def default_max_lr(model: ModelConfig) -> float:
    return MAX_LR if model.hidden else MAX_LR_WIDE_CODES


def default_epochs(model: ModelConfig) -> int:
    return EPOCHS if model.hidden else EPOCHS_WIDE_CODES


@dataclass
class TrainConfig:
    """One training run. Stored beside the model config in the checkpoint JSON."""

    latent_dim: int
    epochs: int | None = None  # None: by model, see default_epochs
    batch_size: int = 128
    max_lr: float | None = None  # None: by model, see default_max_lr
    weight_decay: float = 1e-4
    seed: int = 0
    device: str = "auto"
    train_fraction: float = 1.0
    #: None: the whole test set after every epoch (what the benchmark's race against the baseline needs).
    epoch_test_images: int | None = EPOCH_TEST_IMAGES
    model: ModelConfig | None = field(default=None)

    def __post_init__(self) -> None:
        check_latent_dim(self.latent_dim)
        if self.model is None:
            self.model = ModelConfig(latent_dim=self.latent_dim)
        elif self.model.latent_dim != self.latent_dim:
            raise ValueError("model.latent_dim and latent_dim disagree")
        if self.epochs is None:
            self.epochs = default_epochs(self.model)
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, got {self.epochs}")
        if not 0 < self.train_fraction <= 1:
            raise ValueError(f"train_fraction must be in (0, 1], got {self.train_fraction}")
        if self.max_lr is None:
            self.max_lr = default_max_lr(self.model)
        if self.epoch_test_images is not None and self.epoch_test_images < 1:
            raise ValueError(f"epoch_test_images must be at least 1, got {self.epoch_test_images}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d.setdefault("epoch_test_images", None)  # runs recorded before the field scored the whole set every epoch
        model = ModelConfig.from_dict(d.pop("model")) if d.get("model") else None
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known, model=model)


@dataclass
class Progress:
    """What a progress callback receives: after every batch (`batch` set) and every epoch."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch; == batches at the end of an epoch
    batches: int
    train_loss: float  # running mean over the epoch so far
    test_mse: float | None = None  # set once per epoch, after evaluation
    test_images: int | None = None  # how many test images test_mse was measured on
    elapsed_s: float = 0.0
    #: The model being trained (read-only for the callback): lets a watcher snapshot reconstructions.
    model: AutoEncoder | None = field(default=None, repr=False, compare=False)

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)


@dataclass
class TrainResult:
    model: AutoEncoder
    config: TrainConfig
    history: list[dict]  # one row per epoch: epoch, train_loss, test_mse, test_images, elapsed_s
    wall_time_s: float
    device: str


class TrainingCancelled(Exception):
    """Raised by `train` when its `cancel` event is set; nothing has been written."""


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA device is available")
    return torch.device(device)


def _as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(to_unit_float(images)).unsqueeze(1)


@torch.no_grad()
def eval_reconstructions(model: AutoEncoder, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Reconstructions in eval mode, in batches so memory stays flat."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = [model(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def mean_mse(model: AutoEncoder, images: torch.Tensor) -> float:
    recon = eval_reconstructions(model, images)
    return float(((recon - images) ** 2).mean(dtype=torch.float64))


def _subset(n: int, fraction: float, seed: int) -> np.ndarray:
    if fraction >= 1:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max(1, round(n * fraction)), replace=False))


def epoch_test_sample(test_x: torch.Tensor, images: int | None) -> torch.Tensor:
    """An evenly spread, fixed sample of about `images` test images (all of them when None or too many)."""
    if images is None or images >= len(test_x):
        return test_x
    return test_x[:: math.ceil(len(test_x) / images)]


def one_cycle(model: nn.Module, max_lr: float, weight_decay: float, epochs: int, batches: int):
    """AdamW with a one-cycle learning rate: the recipe every model here trains with.

    `foreach=True` updates all parameters in a few batched kernels rather than a Python loop
    per tensor (the CPU default): the same arithmetic, so bit-identical weights, a little faster.
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay, foreach=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=batches)
    return optimizer, scheduler


def step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, scheduler) -> float:
    """One optimisation step on `loss`; returns its value."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.item()


def train(
    config: TrainConfig,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    train_images: np.ndarray | None = None,
    test_images: np.ndarray | None = None,
) -> TrainResult:
    """Train an auto-encoder; `progress` is called after every batch and every epoch.

    `train_images`/`test_images` (uint8, N x 28 x 28) default to MNIST's splits; tests
    pass small slices. Setting `cancel` stops at the next batch with TrainingCancelled.
    """
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)

    if train_images is None:
        train_images = load_split("train").images
    if test_images is None:
        test_images = load_split("test").images
    train_x = _as_tensor(train_images[_subset(len(train_images), config.train_fraction, config.seed)])
    test_x = _as_tensor(test_images)
    sample_x = epoch_test_sample(test_x, config.epoch_test_images)

    model = AutoEncoder(config.model)
    model.decoder.start_at_mean(train_x.mean(0))
    model = model.to(device)
    batches = math.ceil(len(train_x) / config.batch_size)
    optimizer, scheduler = one_cycle(model, config.max_lr, config.weight_decay, config.epochs, batches)
    loss_fn = nn.MSELoss()
    history: list[dict] = []
    start = time.perf_counter()

    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total = 0.0
        for b in range(batches):
            if cancel is not None and cancel.is_set():
                raise TrainingCancelled(f"training of latent_dim={config.latent_dim} was cancelled")
            x = train_x[order[b * config.batch_size : (b + 1) * config.batch_size]].to(device)
            total += step(loss_fn(model(x), x), optimizer, scheduler)
            if progress is not None:
                progress(
                    Progress(
                        epoch,
                        config.epochs,
                        b + 1,
                        batches,
                        total / (b + 1),
                        elapsed_s=time.perf_counter() - start,
                        model=model,
                    )
                )
        scored = test_x if epoch == config.epochs else sample_x
        test_mse = mean_mse(model, scored)
        row = {
            "epoch": epoch,
            "train_loss": total / batches,
            "test_mse": test_mse,
            "test_images": len(scored),
            "elapsed_s": time.perf_counter() - start,
        }
        history.append(row)
        if progress is not None:
            progress(
                Progress(
                    epoch,
                    config.epochs,
                    batches,
                    batches,
                    row["train_loss"],
                    test_mse=test_mse,
                    test_images=len(scored),
                    elapsed_s=row["elapsed_s"],
                    model=model,
                )
            )

    model.eval()
    return TrainResult(model.cpu(), config, history, time.perf_counter() - start, str(device))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.train", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--level", type=float, help="compression %% (e.g. 99 → latent_dim 8)")
    size.add_argument("--latent-dim", type=int, help="latent size, 1..784")
    parser.add_argument("--epochs", type=int, default=None, help="default: 15, or 8 for codes of 256+ dims")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu, cuda")
    parser.add_argument("--train-fraction", type=float, default=1.0, help="train on a random subset")
    parser.add_argument("--no-save", action="store_true", help="train and report, write nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    from core.checkpoints.files import save_checkpoint
    from core.training.allocator import keep_freed_memory

    keep_freed_memory()
    args = _parse_args(argv)
    try:
        latent_dim = latent_dim_for(args.level) if args.level is not None else args.latent_dim
        config = TrainConfig(
            latent_dim=latent_dim,
            epochs=args.epochs,
            seed=args.seed,
            device=args.device,
            train_fraction=args.train_fraction,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    bar: tqdm | None = None

    def show(p: Progress) -> None:
        nonlocal bar
        if bar is None or p.batch == 1:
            if bar is not None:
                bar.close()
            bar = tqdm(total=p.batches, desc=f"d={latent_dim} epoch {p.epoch}/{p.epochs}", unit="batch")
        if p.test_mse is None:
            bar.update(1)
            if p.batch % 20 == 0 or p.batch == p.batches:
                bar.set_postfix(loss=f"{p.train_loss:.5f}")
        else:
            bar.set_postfix(loss=f"{p.train_loss:.5f}", test_mse=f"{p.test_mse:.5f}")
            bar.close()
            bar = None

    result = train(config, progress=show)
    final = result.history[-1]
    where = result.device
    if where == "cpu":
        where += f" ({torch.backends.cpu.get_cpu_capability()} kernels)"
    print(f"latent_dim={latent_dim}: test MSE {final['test_mse']:.6f} in {result.wall_time_s:.0f} s on {where}")
    if not args.no_save:
        path = save_checkpoint(result)
        print(f"saved {path}")
    return 0
