"""The one pixel convention: digits are float32 in [0, 1], stored as uint8 (0-255) on disk and in MNIST."""

from __future__ import annotations

import numpy as np


def to_unit_float(images: np.ndarray) -> np.ndarray:
    """float32 in [0, 1]: uint8 images are divided by 255, float images are taken as already in [0, 1]."""
    x = np.asarray(images)
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
