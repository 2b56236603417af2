"""The shipped rate models on disk: `checkpoints/codec_dNNN_l<λ>.safetensors` + `.json`, loaded once per digest.

Written like every checkpoint here (`core.checkpoints.files.write_pair`: safetensors + JSON sidecar naming the
weights' SHA-256, under a lock); the entropy tables are integer tensors in the safetensors file. The sidecar
records the codec's measured bytes per digit and MSE on the 10,000 test digits, which `qualities()` reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from core.checkpoints.files import CheckpointError, load_pair
from core.checkpoints.paths import CheckpointPaths
from core.models.config import ModelConfig
from core.paths import checkpoint_dir

if TYPE_CHECKING:  # torch loads with a model: listing the qualities and reading sidecars never wait for it
    from core.codec.model import RateModel

NAME_PATTERN = re.compile(r"^codec_d(\d{3})_l([0-9.e+-]+)$")
#: The safetensors "format" tag of a rate model.
WEIGHTS_FORMAT = "aecl-codec"


def codec_name(latent_dim: int, lmbda: float) -> str:
    """A rate model's id, e.g. codec_d016_l0.0001."""
    return f"codec_d{latent_dim:03d}_l{lmbda:g}"


def train_command(name: str) -> str:
    """The command that trains (or retrains) one rate model."""
    return f"python -m core.codec train --only {name}"


def codec_paths(name: str, folder: Path | None = None) -> CheckpointPaths:
    folder = Path(folder or checkpoint_dir())
    return CheckpointPaths(folder / f"{name}.safetensors", folder / f"{name}.json")


def list_codec_models(folder: Path | None = None) -> list[str]:
    """Names of the rate models with a pair on disk (not yet verified)."""
    folder = Path(folder or checkpoint_dir())
    return sorted(
        p.stem
        for p in folder.glob("codec_*.json")
        if NAME_PATTERN.match(p.stem) and p.with_suffix(".safetensors").is_file()
    )


def read_codec_meta(name: str, folder: Path | None = None) -> dict:
    """A rate model's sidecar, checked for the fields the codec relies on; CheckpointError otherwise."""
    paths = codec_paths(name, folder)
    hint = f"Train it with: {train_command(name)}"
    if not paths.meta.is_file():
        raise CheckpointError(f"There is no rate model {name} in {paths.meta.parent}. {hint}")
    try:
        meta = json.loads(paths.meta.read_text())
        ModelConfig.from_dict(meta["model"])
        if "decoder_model" in meta:
            ModelConfig.from_dict(meta["decoder_model"])
        meta["weights_sha256"], meta["latent_dim"], meta["lmbda"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{paths.meta.name} is unreadable ({type(exc).__name__}: {exc}). {hint}") from exc
    return meta


@lru_cache(maxsize=32)
def _load(name: str, weights_sha256: str, folder: Path) -> tuple[RateModel, dict]:
    from core.codec.model import RateModel

    model, meta = load_pair(
        codec_paths(name, folder),
        lambda: read_codec_meta(name, folder),
        lambda meta: RateModel(
            ModelConfig.from_dict(meta["model"]),
            int(meta.get("components", 1)),
            ModelConfig.from_dict(meta["decoder_model"]) if "decoder_model" in meta else None,
        ),
        f"Retrain it with: {train_command(name)}",
    )
    for p in model.parameters():
        p.requires_grad_(False)
    model.tables()  # refuse a model without tables now, not halfway through a file
    return model, meta


def load_rate_model(name: str, folder: Path | None = None) -> tuple[RateModel, dict]:
    """A rate model (eval mode, CPU, shared) and its sidecar; CheckpointError with a message if it can't be had."""
    folder = Path(folder or checkpoint_dir())
    meta = read_codec_meta(name, folder)
    try:
        return _load(name, meta["weights_sha256"], folder)
    except ValueError as exc:
        raise CheckpointError(f"{name} is unusable ({exc}). Retrain it with: {train_command(name)}") from exc


def forget_rate_models() -> None:
    """Drop the rate models this process has loaded (tests that point the folders elsewhere start clean)."""
    _load.cache_clear()


@dataclass(frozen=True)
class Quality:
    """One shipped operating point of the codec; bytes and MSE measured on the 10,000 test digits in one file."""

    number: int
    model: str
    latent_dim: int
    lmbda: float
    bytes_per_digit: float
    mse: float
    label: str


def qualities(folder: Path | None = None) -> list[Quality]:
    """The shipped rate models whose pair is on disk with a readable sidecar, fewest bytes per digit first (number 1).

    Only the sidecars are read (cheap: pages and the CLI list qualities often); a model's weights are verified
    against their digest when it is first used, and a damaged one is refused then, with the command that retrains it.
    """
    found = []
    for name in list_codec_models(folder):
        try:
            meta = read_codec_meta(name, folder)
            found.append((float(meta["metrics"]["bytes_per_digit"]), name, meta))
        except (CheckpointError, KeyError, TypeError, ValueError):
            continue
    out = []
    for number, (nbytes, name, meta) in enumerate(sorted(found), start=1):
        d, lmbda = int(meta["latent_dim"]), float(meta["lmbda"])
        label = f"q{number} · d={d} · λ={lmbda:g}"
        out.append(Quality(number, name, d, lmbda, nbytes, float(meta["metrics"]["test_mse"]), label))
    return out


def quality_by_number(number: int, folder: Path | None = None) -> Quality:
    """The quality numbered `number`; ValueError naming the choices otherwise."""
    known = qualities(folder)
    if not known:
        raise ValueError("No codec models are installed here. Train them with: python -m core.codec train")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(known):
        raise ValueError(f"quality must be a whole number from 1 (fewest bytes) to {len(known)}, got {number!r}")
    return known[number - 1]
