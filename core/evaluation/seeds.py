"""The study levels over training seeds: each seed model's per-image error and readings, and what they agree on.

Seed 0 is the shipped model; the others come from their records (or their weights, where `make seeds` built
them here), keyed by each one's weights digest like every per-model result (`core.checkpoints.seeds`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checkpoints.seeds import seed_models, seed_of
from core.evaluation.metrics import N_DIGITS


def seeded(latent_dim: int) -> bool:
    """Whether `latent_dim` has more than the shipped seed."""
    return len(seed_models(latent_dim)) > 1


def seed_errors(latent_dim: int) -> tuple[list[int], np.ndarray]:
    """(the seeds, their per-image test MSE as an (S, 10,000) array), seed 0 first."""
    from core.evaluation.evaluate import evaluate

    refs = seed_models(latent_dim)
    return [seed_of(r) for r in refs], np.stack([evaluate("ae", r).image_mse for r in refs])


def seed_readings(latent_dim: int) -> tuple[list[int], np.ndarray]:
    """(the seeds, the classifier's reading of each reconstruction as an (S, 10,000) array), seed 0 first."""
    from core.evaluation.recognition import predictions

    refs = seed_models(latent_dim)
    return [seed_of(r) for r in refs], np.stack([predictions("ae", r) for r in refs])


@dataclass(frozen=True)
class SeedSpread:
    """Per-digit mean error of each seed at one level, and how many seeds agree on the hardest and easiest."""

    latent_dim: int
    seeds: list[int]
    means: np.ndarray  # (S, 10)

    @property
    def hardest(self) -> np.ndarray:
        return self.means.argmax(1)

    @property
    def easiest(self) -> np.ndarray:
        return self.means.argmin(1)

    def agreement(self, which: str) -> tuple[int, int]:
        """(the digit most seeds call hardest/easiest, how many of them do)."""
        picks = self.hardest if which == "hardest" else self.easiest
        counts = np.bincount(picks, minlength=N_DIGITS)
        return int(counts.argmax()), int(counts.max())

    def sentence(self, where: str) -> str:
        (h, nh), (e, ne) = self.agreement("hardest"), self.agreement("easiest")
        n = len(self.seeds)
        return f"{h} is hardest at {where} in {nh} of {n} seeds; {e} is easiest in {ne} of {n}."


def seed_spread(latent_dim: int) -> SeedSpread:
    from core.data.mnist import load_split

    seeds, errors = seed_errors(latent_dim)
    labels = np.asarray(load_split("test").labels)
    means = np.stack([[e[labels == k].mean() for k in range(N_DIGITS)] for e in errors])
    return SeedSpread(latent_dim, seeds, means)


def seeds_key(latent_dims: list[int]) -> str:
    """The extra seeds' weights digests at these sizes as a short cache-key part ("" when there are none)."""
    import hashlib

    from core.evaluation.evaluate import source_key

    sources = [source_key("ae", r) for d in latent_dims for r in seed_models(d)[1:]]
    return "_seeds" + hashlib.sha256("_".join(sources).encode()).hexdigest()[:16] if sources else ""


def seed_curve_rows(latent_dims: list[int]) -> list[dict]:
    """For each size with extra seeds: its mean test MSE over the seeds, their lowest and highest, and how many."""
    from core.levels import compression_pct

    rows = []
    for d in latent_dims:
        if not seeded(d):
            continue
        seeds, errors = seed_errors(d)
        per_seed = errors.mean(1)
        rows.append(
            {
                "latent_dim": d,
                "compression_pct": compression_pct(d),
                "mse": float(per_seed.mean()),
                "low": float(per_seed.min()),
                "high": float(per_seed.max()),
                "seeds": seeds,
                "per_seed": [float(v) for v in per_seed],
            }
        )
    return rows


def seed_confusions(latent_dim: int, top: int = 3) -> list[tuple[int, list]]:
    """Each seed's most confused pairs at one level, from its readings: [(seed, [ConfusedPair, ...]), ...]."""
    from core.evaluation.recognition import confusion, most_confused

    return [(seed_of(r), most_confused(confusion("ae", r), top)) for r in seed_models(latent_dim)]
