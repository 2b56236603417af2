"""Rate–distortion training of the codec's models: MSE + λ · bits per digit (Ballé et al. 2017).

A rate model trains from scratch (its decoder starting at the mean digit), or warm-starts from the shipped
auto-encoder of its latent size (whose weights digest goes into the sidecar). Its quantisation step starts at a
fraction of each dimension's spread and its mixture density at k-means clusters of its first latents; then it
trains (seeded, one CPU thread, tqdm progress). Afterwards the density, refined by what the training digits'
rounded codes count under it, becomes the integer tables, and the codec's real file for the 10,000 test digits is
measured (bytes per digit, MSE) for the sidecar. `SWEEP` is what `python -m core.codec train` and
`make checkpoints` ship; the sweep trains its models side by side.
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
from core.codec.latent_codec import encode_file, latents, reconstruct, rounded_latents
from core.codec.model import RateModel
from core.codec.store import WEIGHTS_FORMAT, codec_name, codec_paths
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.models.autoencoder import ModelConfig
from core.models.torch_thread import torch_threads
from core.training.cpu_kernels import kernels_in_use

#: The shipped operating points, fewest bytes first: (latent size, λ in MSE per bit per digit, first quantisation
#: step in standard deviations of each dimension, epochs, mixture components; 0 epochs: warm-started from the
#: shipped auto-encoder for a third of an epoch). The low rates train from scratch, where an MSE-trained start
#: would hold them back (bench/codec_notes.md); the one meant to meet MSE 0.01 trains longest, with the most
#: components.
SWEEP: tuple[tuple[int, float, float, int, int], ...] = (
    (16, 3e-3, 1.0, 12, 64),
    (16, 1.2e-3, 0.8, 12, 64),
    (16, 5e-4, 0.6, 12, 64),
    (16, 3.5e-4, 0.5, 30, 128),
    (16, 2.5e-4, 0.5, 15, 64),
    (32, 8e-5, 0.4, 0, 64),
    (32, 3e-5, 0.25, 0, 64),
    (64, 5e-6, 0.3, 0, 64),
)


#: The peak learning rate from scratch: the shipped auto-encoders' (`core.training.trainer`).
SCRATCH_LR = 1e-2


@dataclass
class RateTrainConfig:
    """One rate model's training; stored in its sidecar."""

    latent_dim: int
    lmbda: float
    epochs: int = 1
    batch_size: int = 128
    max_lr: float = 1e-3  # the network's peak rate (one-cycle): gentle for a warm start
    density_lr: float = 1e-2  # the gains' and the density's peak rate
    init_step: float = 0.3  # first quantisation step, in each dimension's standard deviations
    components: int = 64  # the density's mixture components (core.codec.model)
    from_scratch: bool = False  # else warm-started from the shipped auto-encoder of its size
    seed: int = 0
    train_fraction: float = 0.3  # warm-started: a third of an epoch moves the rate most of the way
    decoder: dict | None = None  # from scratch: ModelConfig fields the decoder alone has otherwise (e.g. wider)

    @property
    def name(self) -> str:
        return codec_name(self.latent_dim, self.lmbda)


def sweep_configs() -> list[RateTrainConfig]:
    """The training configs of every shipped rate model."""
    return [
        RateTrainConfig(d, lmbda, init_step=step, components=k)
        if epochs == 0
        else RateTrainConfig(
            d,
            lmbda,
            epochs=epochs,
            max_lr=SCRATCH_LR,
            init_step=step,
            components=k,
            from_scratch=True,
            train_fraction=1.0,
        )
        for d, lmbda, step, epochs, k in SWEEP
    ]


def _start(config: RateTrainConfig, train_x: torch.Tensor) -> tuple[RateModel, dict | None]:
    """The untrained rate model: from scratch (decoder at the mean digit) or the shipped auto-encoder of its size
    (returned: what it started from); its quantisation step and its mixture set from its first latents."""
    warm = None
    if config.from_scratch:
        network = ModelConfig(latent_dim=config.latent_dim)
        decoder = ModelConfig.from_dict({**network.to_dict(), **config.decoder}) if config.decoder else None
        model = RateModel(network, config.components, decoder)
        model.ae.decoder.start_at_mean(train_x.mean(0))
    else:
        if config.decoder:
            raise ValueError("a warm start keeps the shipped auto-encoder's decoder; a new one trains from scratch")
        ae, ae_meta = load_checkpoint(config.latent_dim)
        model = RateModel(ae.config, config.components)
        model.ae.load_state_dict(ae.state_dict())
        warm = {"name": checkpoint_name(config.latent_dim), "weights_sha256": ae_meta["weights_sha256"]}
    model.eval()
    with torch.no_grad():
        y = torch.cat([model.ae.encoder(train_x[i : i + 1000]) for i in range(0, min(len(train_x), 10_000), 1000)])
        model.log_gain.copy_(-(y.std(0) * config.init_step).clamp_min(1e-6).log())
        model.fit_density(y * model.log_gain.exp(), config.seed)
    return model, warm


def measure(model: RateModel, name: str, lmbda: float, images: np.ndarray) -> dict:
    """The codec's real file for `images` with this model: bytes per digit, MSE, and the density's estimate."""
    q = latents(model, images, lmbda)
    tables = model.tables()
    stream = tables.encode(q)
    nbytes = len(encode_file(name, "0" * 64, tables, q, None, 1))
    decoded = reconstruct(model, tables.decode(stream, len(images)))
    estimate = model.estimated_bytes(q)
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
    model, warm = _start(config, train_x)
    batches = math.ceil(len(train_x) / config.batch_size)
    rate_params = [model.log_gain, model.loc, model.log_scale, model.logits]
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
    model.build_tables(rounded_latents(model, load_split("train").images))
    metrics = measure(model, config.name, config.lmbda, load_split("test").images)
    wall = time.perf_counter() - start
    meta = {
        "format_version": 1,
        "name": config.name,
        "latent_dim": config.latent_dim,
        "lmbda": config.lmbda,
        "components": model.components,
        "model": model.config.to_dict(),
        **({"decoder_model": model.decoder_config.to_dict()} if model.decoder_config else {}),
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


#: Threads each rate model trains on: one, so its weights don't depend on the host's core count; the sweep trains
#: its models side by side, one Ray task each (`core.sweep.engine`).
TORCH_THREADS = 1


def select_configs(names: list[str] | None = None) -> list[RateTrainConfig]:
    """The shipped rate models' configs, or those named; ValueError naming the shipped ones for an unknown name."""
    configs = sweep_configs()
    if names:
        unknown = sorted(set(names) - {c.name for c in configs})
        if unknown:
            raise ValueError(
                f"unknown rate model {unknown[0]}; the shipped ones are {', '.join(c.name for c in configs)}"
            )
        configs = [c for c in configs if c.name in names]
    return configs


def train_one(name: str, epochs: int | None = None, position: int = 0) -> dict:
    """Train and save one shipped rate model on one thread, with a tqdm bar at `position`; returns its sidecar."""
    from tqdm import tqdm

    (config,) = select_configs([name])
    if epochs is not None:
        config.epochs = epochs
    with torch_threads(TORCH_THREADS), tqdm(desc=config.name, unit="batch", position=position) as bar:

        def show(step: int, steps: int, loss: float) -> None:
            bar.total = steps
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{loss:.5f}")

        meta = train_rate_model(config, progress=show)
    m = meta["metrics"]
    print(f"{name}: {m['bytes_per_digit']:.3f} bytes/digit, MSE {m['test_mse']:.5f} in {meta['wall_time_s']:.0f} s")
    return meta


def train_sweep(names: list[str] | None = None, epochs: int | None = None) -> list[dict]:
    """Train the shipped rate models (or those named) on Ray, one task each; returns their sidecars."""
    from core.checkpoints.paths import CheckpointPaths
    from core.codec.store import read_codec_meta
    from core.paths import checkpoint_dir
    from core.sweep.engine import SweepJob, run_on_ray

    configs = select_configs(names)
    start = time.perf_counter()
    jobs = []
    for c in configs:
        warm = CheckpointPaths.for_latent_dim(c.latent_dim)
        inputs = {} if c.from_scratch else {p.name: p for p in (warm.weights, warm.meta)}
        kwargs = {"name": c.name, "epochs": epochs}
        jobs.append(SweepJob(c.name, "core.codec.training:train_one", kwargs, checkpoint_dir(), inputs))
    report = run_on_ray(jobs)
    if not report.ok:
        raise RuntimeError("rate models failed to train: " + "; ".join(f"{n}: {e}" for n, e in report.failed.items()))
    print(f"trained {len(configs)} rate models in {time.perf_counter() - start:.0f} s")
    return [read_codec_meta(c.name) for c in configs]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m core.codec.training", description="Train one rate model.")
    parser.add_argument("name")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--position", type=int, default=0, help="the tqdm bar's line, when several run at once")
    args = parser.parse_args()
    train_one(args.name, args.epochs, args.position)
