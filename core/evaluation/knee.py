"""The error-vs-compression curve, and where it turns steep.

The knee. Error grows slowly as compression rises, then climbs steeply near 99 %. We
find the turn with the Kneedle algorithm (`kneed`) on log10(MSE) against compression %:
the point of a convex increasing curve farthest below the straight line joining its
ends. The log scale matters: on a linear scale the last point dominates and the knee is
always the second-to-last point; in log terms we find where the *relative* growth
takes off. The knee is taken on the AE points only. It is kept in the disk cache (and so ships with the
records), keyed by the curve's own numbers: the page then needn't import kneed and its scipy.
"""

from __future__ import annotations

import hashlib

import numpy as np

from core.checkpoints.loaded import available_latent_dims
from core.evaluation.evaluate import evaluate, evaluation_is_cached
from core.levels import compression_pct, latent_bytes
from core.progress import ProgressCallback
from core.storage.cache import cached_arrays

KNEE_VERSION = 1  # bump when the knee's method or settings change, so no stale knee is served


def curve_records(latent_dims: list[int] | None = None, progress: ProgressCallback | None = None) -> list[dict]:
    """One row per (method, latent size): AE from its checkpoint, PCA of the same size."""
    dims = available_latent_dims() if latent_dims is None else latent_dims
    rows = []
    for d in dims:
        for method in ("ae", "pca"):
            if progress is not None:
                progress(len(rows) / (2 * len(dims)), f"{method.upper()} at d = {d}")
            rec = evaluate(method, d).record()
            rec["bytes_float16"] = latent_bytes(d, "float16")
            rec["bytes_uint8"] = latent_bytes(d, "uint8")
            rows.append(rec)
    if progress is not None:
        progress(1.0, "done")
    return rows


def curve_is_cached(latent_dims: list[int]) -> bool:
    """Whether every row of the curve can be read without evaluating (disk cache or shipped records)."""
    return all(evaluation_is_cached(m, d) for d in latent_dims for m in ("ae", "pca"))


def find_knee(compression: np.ndarray, mse: np.ndarray) -> float | None:
    """Compression % where log-MSE starts to climb steeply; None with fewer than 3 points."""
    x, y = np.asarray(compression, float), np.asarray(mse, float)
    if len(x) < 3:
        return None
    order = np.argsort(x)
    x, y = x[order], np.log10(y[order])

    def kneedle() -> dict[str, np.ndarray]:
        from kneed import KneeLocator

        knee = KneeLocator(x, y, curve="convex", direction="increasing").knee
        return {"knee": np.asarray(np.nan if knee is None else float(knee))}

    key = f"v{KNEE_VERSION}_" + hashlib.sha256(np.stack([x, y]).tobytes()).hexdigest()[:32]
    knee = float(cached_arrays("knee", key, kneedle)["knee"])
    return None if np.isnan(knee) else knee


def knee_of_records(rows: list[dict], method: str = "ae") -> float | None:
    pts = [(r["compression_pct"], r["mse"]) for r in rows if r["method"] == method]
    if not pts:
        return None
    x, y = zip(*pts, strict=True)
    return find_knee(np.array(x), np.array(y))


def knee_latent_dim(knee_pct: float | None) -> int | None:
    if knee_pct is None:
        return None
    return min(available_latent_dims(), key=lambda d: abs(compression_pct(d) - knee_pct), default=None)
