"""How far the reconstructions are from the originals as a distribution, measured without a 2-D map.

A t-SNE map can put every reconstruction on top of its original and still hide a gap a
classifier sees. Two measures, both in the digit classifier's feature space (its last hidden
layer, `core.checkpoints.classifier.classifier_features`):

- Two-sample test (classifier two-sample test, Lopez-Paz & Oquab 2017): a linear discriminant
  (closed form, so it fits in a fraction of a second where a logistic regression takes seconds
  for the same held-out accuracy) learns to tell originals from reconstructions on half the
  sampled test digits and is scored on the other half. 50 % means it can't tell them apart;
  the interval is Wilson's, per level and per digit.
- Fréchet distance between the two clouds of features (as in FID, Heusel et al. 2017), with a
  bootstrap interval (pairs of original and reconstruction resampled).

Results are cached on disk, keyed by the model's weights digest, the classifier's and the sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checkpoints.classifier import classifier_features, read_classifier_meta
from core.checkpoints.lab import ModelRef, latent_dim_of
from core.data.mnist import load_split
from core.evaluation.evaluate import reconstruct, source_key
from core.evaluation.metrics import binomial_ci, bootstrap_indices, percentile_interval
from core.levels import compression_pct
from core.storage.cache import cached_arrays, is_cached

Interval = tuple[float, float, float]  # (estimate, low, high)

CHANCE = 0.5
#: A two-sample accuracy below this reads as "indistinguishable": within 5 points of chance.
INDISTINGUISHABLE = 0.55
#: Test digits sampled: the held-out half gives ±1.5 points overall, ±5 per digit, in a cold run well under 60 s.
DEFAULT_N = 4000
FRECHET_BOOTSTRAP = 50
CACHE_VERSION = 1


@dataclass(frozen=True)
class TwoSampleResult:
    """The held-out half of a two-sample test: for each point whether its source was named right, its digit."""

    correct: np.ndarray  # (m,) bool
    digit: np.ndarray  # (m,)

    def accuracy(self, digits: list[int] | None = None) -> Interval:
        """Held-out accuracy (over the given digits, or all) and its Wilson 95 % interval."""
        mask = np.ones(len(self.correct), bool) if digits is None else np.isin(self.digit, digits)
        return binomial_ci(int(self.correct[mask].sum()), int(mask.sum()))

    def per_digit(self) -> dict[int, Interval]:
        return {d: self.accuracy([d]) for d in range(10) if np.any(self.digit == d)}


def two_sample_test(
    originals: np.ndarray, reconstructions: np.ndarray, labels: np.ndarray, seed: int = 0
) -> TwoSampleResult:
    """Can a linear model on the classifier's features tell originals from reconstructions?

    The digits are split in two halves (seeded); it learns on the originals and reconstructions of one
    half and is scored on those of the other, so no digit is both learnt and scored.
    """
    if len(originals) < 4 or len(reconstructions) != len(originals):
        raise ValueError("a two-sample test needs the same number (at least 4) of originals and reconstructions")
    return two_sample_test_on_features(
        classifier_features(originals), classifier_features(reconstructions), labels, seed
    )


def two_sample_test_on_features(
    original_features: np.ndarray, reconstruction_features: np.ndarray, labels: np.ndarray, seed: int = 0
) -> TwoSampleResult:
    """`two_sample_test` on features already computed (row i of each belongs to test digit i)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    n = len(original_features)
    order = np.random.default_rng(seed).permutation(n)
    learn, score = order[: n // 2], order[n // 2 :]

    def both(i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([original_features[i], reconstruction_features[i]]), np.repeat([0, 1], len(i))

    model = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(*both(learn))
    x, y = both(score)
    labels = np.asarray(labels)
    return TwoSampleResult(model.predict(x) == y, np.concatenate([labels[score], labels[score]]))


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two clouds of features (rows are points)."""
    mu = a.mean(0) - b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr sqrt(ca cb) = sum of sqrt eigenvalues of ca^½ cb ca^½, which is symmetric: eigh, no sqrtm.
    w, v = np.linalg.eigh(ca)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cb @ root), 0, None)).sum()
    return float(mu @ mu + np.trace(ca) + np.trace(cb) - 2 * cross)


def frechet_interval(a: np.ndarray, b: np.ndarray, n_boot: int = FRECHET_BOOTSTRAP, seed: int = 0) -> Interval:
    """Fréchet distance between paired clouds a[i] ↔ b[i], with a bootstrap interval (pairs resampled).

    On one BLAS thread: for 128 x 128 matrices the threads' hand-offs cost many times the arithmetic
    (an eigh is 20 x slower on two busy cores than on one)."""
    from threadpoolctl import threadpool_limits

    idx = bootstrap_indices(len(a), n_boot, seed)
    with threadpool_limits(1):
        return percentile_interval(frechet(a, b), [frechet(a[i], b[i]) for i in idx])


def _key(model: ModelRef, method: str, n: int, seed: int) -> str:
    clf = read_classifier_meta()["weights_sha256"][:16]  # the sidecar: no classifier loaded to name it
    return f"v{CACHE_VERSION}_{source_key(method, model)}_clf{clf}_n{n}_s{seed}"


def is_divergence_cached(model: ModelRef, method: str = "ae", n: int = DEFAULT_N, seed: int = 0) -> bool:
    """Whether the divergence of this model is on disk (a page shows a progress line only when it is not)."""
    return is_cached("divergence", _key(model, method, n, seed))


def _divergence(model: ModelRef, method: str, n: int, seed: int) -> dict[str, np.ndarray]:
    """The cached record of one model: held-out two-sample outcomes, and Fréchet rows (all digits, then 0-9)."""

    def compute() -> dict[str, np.ndarray]:
        test = load_split("test")
        count = int(np.clip(n, 20, len(test)))
        indices = np.sort(np.random.default_rng(seed).choice(len(test), size=count, replace=False))
        originals = test.float_images(indices)
        recon = reconstruct(method, model, originals)
        labels = np.asarray(test.labels)[indices]
        fo, fr = classifier_features(originals), classifier_features(recon)
        result = two_sample_test_on_features(fo, fr, labels, seed)
        groups = [np.ones(count, bool)] + [labels == d for d in range(10)]
        rows = [frechet_interval(fo[g], fr[g], seed=seed) for g in groups]
        return {"correct": result.correct, "digit": result.digit, "frechet": np.array(rows)}

    return cached_arrays("divergence", _key(model, method, n, seed), compute)


def two_sample(model: ModelRef, method: str = "ae", n: int = DEFAULT_N, seed: int = 0) -> TwoSampleResult:
    """The two-sample test of one model's reconstructions of n test digits (disk-cached)."""
    record = _divergence(model, method, n, seed)
    return TwoSampleResult(record["correct"].astype(bool), record["digit"])


def two_sample_accuracy(
    model: ModelRef, method: str = "ae", digits: list[int] | None = None, n: int = DEFAULT_N, seed: int = 0
) -> Interval:
    """How often a model tells originals from reconstructions on held-out digits (50 % = it can't)."""
    return two_sample(model, method, n, seed).accuracy(digits)


def frechet_distance(
    model: ModelRef, method: str = "ae", digit: int | None = None, n: int = DEFAULT_N, seed: int = 0
) -> Interval:
    """Fréchet distance between originals and reconstructions in the classifier's features (one digit, or all).

    It shrinks towards 0 as reconstructions approach their originals; on a few hundred digits (one digit's
    share) it reads higher than on thousands, so compare digits with digits, levels with levels."""
    row = _divergence(model, method, n, seed)["frechet"][0 if digit is None else digit + 1]
    return float(row[0]), float(row[1]), float(row[2])


def divergence_curve(latent_dims: list[ModelRef], method: str = "ae", n: int = DEFAULT_N, seed: int = 0) -> list[dict]:
    """One record per level: the two-sample accuracy and the Fréchet distance, each with its interval."""
    rows = []
    for model in latent_dims:
        acc, fd = two_sample_accuracy(model, method, n=n, seed=seed), frechet_distance(model, method, n=n, seed=seed)
        d = latent_dim_of(model)
        rows.append(
            {
                "method": method,
                "latent_dim": d,
                "compression_pct": compression_pct(d),
                "two_sample_accuracy": acc[0],
                "two_sample_low": acc[1],
                "two_sample_high": acc[2],
                "frechet": fd[0],
                "frechet_low": fd[1],
                "frechet_high": fd[2],
            }
        )
    return rows
