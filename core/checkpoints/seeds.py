"""Extra training seeds of a shipped size: `ae_d008_seed3` is d=8 trained with seed 3, the shipped recipe otherwise.

Seed 0 is the shipped checkpoint itself (`ae_d008`). The others' weights live in `core.paths.seeds_dir()`
(the git-ignored cache, rebuilt by `make seeds`); what the views need of them ships as records
(`core.records.seeds`).
"""

from __future__ import annotations

import re

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
