"""Every claim the page tests, in page order, and the calls that give any of them as a record.

`claim_record` computes a record from its exact inputs (cached by them). `shown_record` is what the page
reads: the same record, cached under a fingerprint of every shipped model's sidecar and the data, which
takes no model (and no torch) to compute, so a fresh server paints the page from disk at once.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from core.claims.record import RECORD_VERSION, ClaimRecord
from core.paths import checkpoint_dir
from core.storage.cache import cached_arrays, is_cached

#: The study's five advantages, then its figure claims.
ADVANTAGES = ("adaptability", "feature_learning", "degradation", "nonlinear", "scalability")
FIGURES = ("easiest", "hardest", "reads_as", "tsne_separation")
CLAIMS = ADVANTAGES + FIGURES
#: Each claim's title before its record is read (the picker's labels).
TITLES = {
    "adaptability": "Adaptability",
    "feature_learning": "Feature learning",
    "degradation": "Controlled degradation",
    "nonlinear": "Non-linear compression",
    "scalability": "Scalability",
    "easiest": "Digit 1 is the easiest",
    "hardest": "2 hardest at 95 %, 8 at 99 %",
    "reads_as": "At 99 %, a 2 reads as an 8 and a 4 as a 9",
    "tsne_separation": "Digit 1 separates most on the t-SNE map at 99 %",
}


def claim_record(key: str) -> ClaimRecord:
    """The record of one claim on the shipped models (computed once, then read from the disk cache)."""
    if key == "adaptability":
        from core.claims.adaptability import record
    elif key == "feature_learning":
        from core.claims.feature_learning import record
    elif key == "degradation":
        from core.claims.degradation import record
    elif key == "nonlinear":
        from core.claims.nonlinear import record
    elif key == "scalability":
        from core.claims.scalability import record
    elif key in FIGURES:
        from core.claims.study_figures import record as figure_record

        return figure_record(key)
    else:
        raise ValueError(f"unknown claim {key!r}; one of: {', '.join(CLAIMS)}")
    return record()


def fingerprint() -> str:
    """A digest of every sidecar in the checkpoint folder (each names its weights' digest), the training seeds'
    weights digests, the data and the records' version: it changes whenever anything a claim is computed from does."""
    from core.data.mnist import data_digest

    h = hashlib.sha256(f"{RECORD_VERSION}_{data_digest()}".encode())
    for path in sorted(checkpoint_dir().glob("*.json")):
        h.update(path.name.encode() + path.read_bytes())
    from core.checkpoints.seeds import known_seeds

    for name, meta in sorted(known_seeds().items()):  # the study levels' training seeds count in the verdicts
        h.update(f"{name}{meta['weights_sha256']}".encode())
    return h.hexdigest()[:24]


def shown_record(key: str) -> ClaimRecord:
    """The record the page shows: `claim_record`, kept on disk under the folder's fingerprint."""
    arrays = cached_arrays(
        "claims", f"shown_{key}_{fingerprint()}", lambda: {"record": np.array(json.dumps(claim_record(key).to_dict()))}
    )
    return ClaimRecord.from_dict(json.loads(str(arrays["record"])))


def shown_record_is_cached(key: str) -> bool:
    """Whether `shown_record(key)` would read its record (disk cache or shipped records) rather than test the claim."""
    return is_cached("claims", f"shown_{key}_{fingerprint()}")


def shown_divergence(latent_dims: list[int]) -> list[dict]:
    """The two-sample curve the page draws (`core.evaluation.divergence`), kept on disk under the fingerprint."""

    def compute() -> dict[str, np.ndarray]:
        from core.evaluation.divergence import divergence_curve

        return {"rows": np.array(json.dumps(divergence_curve(latent_dims)))}

    arrays = cached_arrays("claims", f"divergence_{'-'.join(map(str, latent_dims))}_{fingerprint()}", compute)
    return json.loads(str(arrays["rows"]))
