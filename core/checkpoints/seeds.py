"""Extra training seeds of a shipped size: `ae_d008_seed3` is d=8 trained with seed 3, the shipped recipe otherwise.

Seed 0 is the shipped checkpoint itself (`ae_d008`). The others' weights live in `core.paths.seeds_dir()`
(the git-ignored cache, rebuilt by `make seeds`); what the views need of them ships as records
(`core.records.seeds`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.paths import seeds_dir

SEED_NAME = re.compile(r"^ae_d(\d{3})_seed([1-9]\d*)$")


def seed_model_name(latent_dim: int, seed: int) -> str:
    """The model reference of `latent_dim` trained with `seed`: the shipped size itself for seed 0."""
    if seed < 0:
        raise ValueError(f"a seed is a whole number ≥ 0, got {seed}")
    return f"ae_d{latent_dim:03d}" if seed == 0 else f"ae_d{latent_dim:03d}_seed{seed}"


def is_seed_model(ref: object) -> bool:
    return isinstance(ref, str) and SEED_NAME.match(ref) is not None


def seed_of(ref: object) -> int:
    """The training seed a reference names: 0 for a shipped size."""
    match = SEED_NAME.match(ref) if isinstance(ref, str) else None
    return int(match.group(2)) if match else 0


def describe(meta: dict) -> dict:
    """What the shipped records' index keeps of a seed model's sidecar: enough to key and label its records."""
    return {k: meta[k] for k in ("latent_dim", "weights_sha256", "model", "train")} | {"seed": meta["train"]["seed"]}


def seeds_on_disk(folder: Path | None = None) -> dict[str, dict]:
    """Seed models whose weights are here (`seeds_dir()`), by name, with their sidecars (not yet verified)."""
    folder = Path(folder or seeds_dir())
    found = {}
    for path in sorted(folder.glob("ae_d*_seed*.json")) if folder.is_dir() else []:
        if SEED_NAME.match(path.stem) and path.with_suffix(".safetensors").is_file():
            try:
                found[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
    return found


def known_seeds() -> dict[str, dict]:
    """Every seed model there is something of: records shipped (the index's `seeds`) or weights here (these win,
    as they are what would be computed from), by name, as `describe` gives them."""
    from core.storage.records import read_index

    known = dict(read_index().seeds)
    known.update({name: describe(meta) for name, meta in seeds_on_disk().items()})
    return known


def seed_models(latent_dim: int) -> list[int | str]:
    """Model references of `latent_dim`'s training seeds: the shipped size (seed 0) first, then each seed model's
    name by seed."""
    extra = sorted((seed_of(n), n) for n, m in known_seeds().items() if m["latent_dim"] == latent_dim)
    return [latent_dim, *(n for _, n in extra)]
