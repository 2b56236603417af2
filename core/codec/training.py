"""Rate–distortion training of the codec's models: MSE + λ · bits per digit (Ballé et al. 2017), warm-started.

Each rate model starts from the shipped auto-encoder of its latent size (its weights digest goes into the
sidecar), its quantisation step at a fraction of each dimension's spread and its density at the moments of the
training codes, then trains a few epochs (seeded, CPU, tqdm progress). Afterwards the density becomes the integer
tables, and the codec's real file for the 10,000 test digits is measured (bytes per digit, MSE) for the sidecar.
`SWEEP` is what `python -m core.codec train` and `make checkpoints` ship.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from core.checkpoints.files import library_versions, load_checkpoint, write_pair
from core.checkpoints.paths import checkpoint_name
from core.codec.fileformat import Header, write_file
from core.codec.latent_codec import latents, reconstruct
from core.codec.model import RateModel
from core.codec.store import WEIGHTS_FORMAT, codec_name, codec_paths
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE
from core.training.cpu_kernels import kernels_in_use

#: The shipped operating points, fewest bytes first: (latent size, λ in MSE per bit per digit, first quantisation
#: step in standard deviations of each dimension). The steps start near where each λ ends, so a short run suffices.
SWEEP: tuple[tuple[int, float, float], ...] = (
    (8, 2e-3, 1.0),
    (16, 1e-3, 1.2),
    (16, 5e-4, 0.8),
    (16, 3.5e-4, 0.65),
    (16, 2.5e-4, 0.5),
    (32, 8e-5, 0.4),
    (32, 3e-5, 0.25),
    (64, 5e-6, 0.3),
)


@dataclass
class RateTrainConfig:
    """One rate model's training; stored in its sidecar."""

    latent_dim: int
    lmbda: float
    epochs: int = 1
    batch_size: int = 128
    max_lr: float = 1e-3  # the warm-started auto-encoder's peak rate (one-cycle)
    density_lr: float = 1e-2  # the gains' and the density's peak rate
    init_step: float = 0.3  # first quantisation step, in each dimension's standard deviations
    seed: int = 0
    train_fraction: float = 0.3  # warm-started: a third of an epoch moves the rate most of the way

    @property
    def name(self) -> str:
        return codec_name(self.latent_dim, self.lmbda)


def sweep_configs() -> list[RateTrainConfig]:
    """The training configs of every shipped rate model."""
    return [RateTrainConfig(d, lmbda, init_step=step) for d, lmbda, step in SWEEP]


def _warm_start(config: RateTrainConfig, train_x: torch.Tensor) -> tuple[RateModel, dict]:
    ae, ae_meta = load_checkpoint(config.latent_dim)
    model = RateModel(ae.config)
    model.ae.load_state_dict(ae.state_dict())
    model.eval()
    with torch.no_grad():
        y = torch.cat([model.ae.encoder(train_x[i : i + 1000]) for i in range(0, min(len(train_x), 10_000), 1000)])
        model.log_gain.copy_(-(y.std(0) * config.init_step).clamp_min(1e-6).log())
        model.fit_density(y * model.log_gain.exp())
    return model, {"name": checkpoint_name(config.latent_dim), "weights_sha256": ae_meta["weights_sha256"]}


def measure(model: RateModel, name: str, images: np.ndarray) -> dict:
    """The codec's real file for `images` with this model: bytes per digit, MSE, and the density's estimate."""
    q = latents(model, images)
    tables = model.tables()
    stream = tables.encode(q)
    header = Header(1, name, "0" * 64, len(images), (IMAGE_SIDE, IMAGE_SIDE), 1)
    nbytes = len(write_file(header, None, stream))
    decoded = reconstruct(model, tables.decode(stream, len(images)))
    with torch.no_grad():
        estimate = float(model.bits(torch.from_numpy(tables.clamp(q).astype(np.float32))).sum()) / 8
    mse = float(np.mean((decoded.astype(np.float64) - to_unit_float(images)) ** 2))
    return {
        "test_mse": mse,
        "bytes_per_digit": nbytes / len(images),
        "file_bytes": nbytes,
        "stream_bytes": len(stream),
        "estimated_bytes": estimate,
        "n_images": len(images),
    }


def train_rate_model(config: RateTrainConfig, progress: Callable[[int, int, float], None] | None = None) -> dict:
    """Train one rate model and save it as a checkpoint pair; returns its sidecar. `progress(step, steps, loss)`."""
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    train_images = load_split("train").images
    if config.train_fraction < 1:
        keep = np.random.default_rng(config.seed).permutation(len(train_images))
        train_images = train_images[np.sort(keep[: max(1, round(len(train_images) * config.train_fraction))])]
    train_x = torch.from_numpy(to_unit_float(train_images)).unsqueeze(1)
    model, warm = _warm_start(config, train_x)
    batches = math.ceil(len(train_x) / config.batch_size)
    rate_params = [model.log_gain, model.loc, model.log_scale]
    optimizer = torch.optim.AdamW(
        [
            {"params": model.ae.parameters(), "lr": config.max_lr},
            {"params": rate_params, "lr": config.density_lr, "weight_decay": 0},
        ],
        weight_decay=1e-4,
        foreach=True,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[config.max_lr, config.density_lr], epochs=max(config.epochs, 1), steps_per_epoch=batches
    )
    history = []
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        totals = np.zeros(3)
        for b in range(batches):
            x = train_x[order[b * config.batch_size : (b + 1) * config.batch_size]]
            recon, bits = model(x)
            mse = torch.mean((recon - x) ** 2)
            loss = mse + config.lmbda * bits.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            totals += (loss.item(), mse.item(), bits.mean().item())
            if progress is not None:
                progress((epoch - 1) * batches + b + 1, config.epochs * batches, totals[0] / (b + 1))
        history.append(
            {
                "epoch": epoch,
                "train_loss": totals[0] / batches,
                "train_mse": totals[1] / batches,
                "train_bits_per_digit": totals[2] / batches,
                "elapsed_s": time.perf_counter() - start,
            }
        )
    model.eval()
    model.build_tables()
    metrics = measure(model, config.name, load_split("test").images)
    wall = time.perf_counter() - start
    meta = {
        "format_version": 1,
        "name": config.name,
        "latent_dim": config.latent_dim,
        "lmbda": config.lmbda,
        "model": model.config.to_dict(),
        "train": asdict(config),
        "warm_start": warm,
        "history": history,
        "metrics": metrics,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "data_digest": data_digest(),
        "wall_time_s": wall,
        "device": "cpu",
        "cpu_kernels": kernels_in_use(),
        "versions": library_versions(),
    }
    return write_pair(codec_paths(config.name), model, meta, WEIGHTS_FORMAT)


def train_sweep(names: list[str] | None = None, epochs: int | None = None) -> list[dict]:
    """Train the shipped rate models (or those named), one tqdm bar each; returns their sidecars."""
    from tqdm import tqdm

    configs = sweep_configs()
    if names:
        unknown = sorted(set(names) - {c.name for c in configs})
        if unknown:
            raise ValueError(
                f"unknown rate model {unknown[0]}; the shipped ones are {', '.join(c.name for c in configs)}"
            )
        configs = [c for c in configs if c.name in names]
    metas = []
    start = time.perf_counter()
    for c in configs:
        if epochs is not None:
            c.epochs = epochs
        with tqdm(desc=c.name, unit="batch") as bar:

            def show(step: int, steps: int, loss: float, bar=bar) -> None:
                bar.total = steps
                bar.update(1)
                if step % 20 == 0:
                    bar.set_postfix(loss=f"{loss:.5f}")

            meta = train_rate_model(c, progress=show)
        m = meta["metrics"]
        print(
            f"{c.name}: {m['bytes_per_digit']:.3f} bytes/digit, MSE {m['test_mse']:.5f} in {meta['wall_time_s']:.0f} s"
        )
        metas.append(meta)
    print(f"trained {len(metas)} rate models in {time.perf_counter() - start:.0f} s")
    return metas
