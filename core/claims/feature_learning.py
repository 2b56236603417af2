"""Feature learning: an auto-encoder can be taught to keep what matters in a digit and drop what doesn't.

A d=16 auto-encoder fine-tuned to give back the clean digit from a noised one (`ae_d016_denoise`) against
the shipped d=16, both fed the test digits with Gaussian noise (σ = `TEST_SIGMA`, seeded): the error to
the clean digit, and how often the digit classifier reads the right digit in each one's output. Intervals
are paired bootstraps over the test digits.
"""

from __future__ import annotations

import numpy as np
import torch

from core.checkpoints.classifier import classify, read_classifier_meta
from core.checkpoints.variants import VARIANT_LATENT_DIM, variant_reconstruct, variant_source_key
from core.claims.record import ClaimRecord, cached_record, paired_difference, paired_ratio, part, with_model_card
from core.data.mnist import data_digest, load_split
from core.data.noise import TEST_SIGMA, noised
from core.evaluation.evaluate import source_key
from core.evaluation.metrics import per_image_mse
from core.models.inference import ae_reconstruct

COMMAND = "python -m core.claims feature_learning"
#: The seed of the test digits' noise (the denoising model's own test score uses the same draw).
NOISE_SEED = 1


def noisy_test_digits(x: np.ndarray, sigma: float = TEST_SIGMA, seed: int = NOISE_SEED) -> np.ndarray:
    """The test digits (float, [0, 1]) with the experiment's noise: the same draw every time."""
    t = torch.from_numpy(np.asarray(x, np.float32)).unsqueeze(1)
    return noised(t, sigma, torch.Generator().manual_seed(seed)).squeeze(1).numpy()


def inputs_key() -> str:
    """What the experiment is computed from: both auto-encoders', the classifier's weights, the noise, the data."""
    clf = read_classifier_meta()["weights_sha256"][:16]
    return (
        f"{variant_source_key('denoise')}_{source_key('ae', VARIANT_LATENT_DIM)}_clf{clf}"
        f"_s{TEST_SIGMA}_{NOISE_SEED}_{data_digest()}"
    )


def measure() -> dict[str, np.ndarray]:
    """Per-image errors to the clean digit and the classifier's readings (disk-cached, keyed by every input)."""
    from core.storage.cache import cached_arrays

    key = f"v1_{inputs_key()}"

    def compute() -> dict[str, np.ndarray]:
        test = load_split("test")
        clean = test.float_images()
        noisy = noisy_test_digits(clean)
        plain = ae_reconstruct(VARIANT_LATENT_DIM, noisy)
        denoised = variant_reconstruct("denoise", noisy)
        return {
            "labels": np.asarray(test.labels),
            "err_noisy": per_image_mse(clean, noisy),
            "err_plain": per_image_mse(clean, plain),
            "err_denoise": per_image_mse(clean, denoised),
            **{
                f"read_{k}": classify(v).argmax(1)
                for k, v in (("clean", clean), ("noisy", noisy), ("plain", plain), ("denoise", denoised))
            },
        }

    return cached_arrays("claims_feature_learning", key, compute)


def record(data: dict[str, np.ndarray] | None = None, seed: int = 0) -> ClaimRecord:
    """Judge the claim on `data` (as `measure` returns it; tests pass changed copies); without it, on the shipped
    models, read from the disk cache after the first time."""
    if data is None:
        return cached_record(
            f"feature_learning_{inputs_key()}_s{seed}", lambda: with_model_card(record(measure(), seed), "denoise")
        )
    labels = np.asarray(data["labels"])
    right = {
        k: (np.asarray(data[f"read_{k}"]) == labels).astype(np.float64) for k in ("clean", "noisy", "plain", "denoise")
    }
    err = paired_ratio(data["err_denoise"], data["err_plain"], seed)
    acc = paired_difference(right["denoise"], right["plain"], seed)
    parts = [
        part(
            "It gives back a digit closer to the clean one",
            "error to the clean digit, denoising ÷ plain",
            err,
            1.0,
            False,
        ),
        part(
            "The classifier reads its outputs better",
            "accuracy on outputs, denoising − plain (points)",
            tuple(100 * v for v in acc),
            0.0,
            True,
        ),
    ]
    numbers = {
        "sigma": TEST_SIGMA,
        "mse_to_clean": {k: float(np.mean(data[f"err_{k}"])) for k in ("noisy", "plain", "denoise")},
        "accuracy": {k: float(v.mean()) for k, v in right.items()},
        "error_ratio": err,
        "accuracy_gain": acc,
    }
    return ClaimRecord(
        key="feature_learning",
        title="Feature learning",
        claim="An auto-encoder can learn to keep the features that matter in a digit, not just its pixels.",
        experiment=(
            f"The test digits with Gaussian noise (σ = {TEST_SIGMA} on [0, 1] pixels) go through the shipped d=16 "
            "auto-encoder and through a d=16 one trained to return the clean digit from a noised one. We compare "
            "each output's error to the clean digit, and how often the digit classifier reads the right digit in it."
        ),
        parts=parts,
        numbers=numbers,
        command=COMMAND,
    )
