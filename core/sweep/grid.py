"""The auto-encoder grid: one job per (latent size, seed), the shipped recipe with only the seed changed.

Each size's recipe is its shipped sidecar's `train` config (the default TrainConfig where none ships), so seed 0
is the shipped model itself and already done. Seed 0 lands in the checkpoint folder under the shipped name, the
other seeds in `core.paths.seeds_dir()` as `ae_d008_seed3` (`core.checkpoints.seeds`); `out` puts them all in one
folder instead. A job is done when its sidecar exists, names the same training config and its weights match.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core.checkpoints.seeds import seed_model_name
from core.paths import checkpoint_dir, seeds_dir
from core.sweep.engine import SweepJob


def shipped_recipe(latent_dim: int) -> dict:
    """The shipped model's training config (the default one when it has no sidecar here)."""
    from core.training.trainer import TrainConfig

    path = checkpoint_dir() / f"{seed_model_name(latent_dim, 0)}.json"
    try:
        train = json.loads(path.read_text())["train"]
    except (OSError, ValueError, KeyError):
        return TrainConfig(latent_dim=latent_dim, device="cpu").to_dict()
    return TrainConfig.from_dict(train).to_dict()


def job_config(latent_dim: int, seed: int, epochs: int | None = None, train_fraction: float | None = None) -> dict:
    """The recipe of `latent_dim` with `seed` (and, for a quick sweep, fewer epochs or a share of the data)."""
    from core.training.trainer import TrainConfig

    config = {**shipped_recipe(latent_dim), "seed": seed}
    if epochs is not None:
        config["epochs"] = epochs
    if train_fraction is not None:
        config["train_fraction"] = train_fraction
    return TrainConfig.from_dict(config).to_dict()  # validated: a bad value fails here, before any Ray starts


def trained_with(folder: Path, name: str, config: dict) -> bool:
    """Whether `folder` holds `name` trained with `config`, its weights matching its sidecar."""
    try:
        meta = json.loads((folder / f"{name}.json").read_text())
        weights = (folder / f"{name}.safetensors").read_bytes()
    except (OSError, ValueError):
        return False
    return meta.get("train") == config and hashlib.sha256(weights).hexdigest() == meta.get("weights_sha256")


def train_and_save(config: dict, name: str) -> None:
    """Train one auto-encoder and save it into the checkpoint folder as `name` (what each grid job runs)."""
    from core.checkpoints.files import save_checkpoint
    from core.training.trainer import TrainConfig, train

    result = train(TrainConfig.from_dict(config))
    save_checkpoint(result, name=None if name == seed_model_name(config["latent_dim"], 0) else name)


def grid_jobs(
    sizes: list[int],
    seeds: list[int],
    epochs: int | None = None,
    train_fraction: float | None = None,
    out: Path | None = None,
    resume: bool = True,
) -> list[SweepJob]:
    """Every (size, seed) job, by seed then size (a sweep cut short has whole seeds of the grid); with `resume`,
    those already trained are skipped."""
    jobs = []
    for seed in seeds:
        for d in sizes:
            config = job_config(d, seed, epochs, train_fraction)
            name = seed_model_name(d, seed)
            folder = Path(out) if out is not None else (checkpoint_dir() if seed == 0 else seeds_dir())
            jobs.append(
                SweepJob(
                    name=name,
                    target="core.sweep.grid:train_and_save",
                    kwargs={"config": config, "name": name},
                    folder=folder,
                    done=(lambda f=folder, n=name, c=config: trained_with(f, n, c)) if resume else None,
                )
            )
    return jobs
