"""The study's digit grid: which test digits, and the rows of reconstructions under them.

Shared by the Reconstructions page, the lesson and the slide export, so the three always
show the same digits for the same seed and the same MSE under each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import plotly.graph_objects as go

from core.checkpoints.lab import latent_dim_of
from core.data.mnist import load_split
from core.evaluation.metrics import per_image_mse
from core.models.inference import ae_reconstruct
from figures.study import level_label, reconstruction_grid

Reconstructor = Callable[[int, np.ndarray], np.ndarray]  # (latent_dim, test indices) -> images


def _reconstruct_from_test(latent_dim: int, indices: np.ndarray) -> np.ndarray:
    return ae_reconstruct(latent_dim, load_split("test").float_images(indices))


def digit_grid(
    indices: Sequence[int],
    latent_dims: Sequence[int],
    show_error: bool = False,
    reconstruct: Reconstructor = _reconstruct_from_test,
    title: str | None = None,
) -> tuple[go.Figure, dict[int, np.ndarray]]:
    """The grid figure, most latent dims first, and each level's per-image MSE."""
    indices = np.asarray(indices)
    test = load_split("test")
    originals = test.float_images(indices)
    labels = np.asarray(test.labels)[indices]
    rows, mse_by_dim = [], {}
    for d in sorted(latent_dims, key=lambda ref: (latent_dim_of(ref), isinstance(ref, int), str(ref)), reverse=True):
        recon = reconstruct(d, indices)
        mse = per_image_mse(originals, recon)
        mse_by_dim[d] = mse
        shown = np.abs(originals - recon) if show_error else recon
        rows.append((f"{level_label(d)}<br>mean MSE {mse.mean():.4f}", shown, mse))
    what = "absolute error |original − reconstruction|" if show_error else "reconstructions"
    fig = reconstruction_grid(
        originals, rows, indices.tolist(), labels.tolist(), title or f"{len(indices)} test digits and their {what}"
    )
    return fig, mse_by_dim
