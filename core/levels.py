"""The compression levels of the study, and the arithmetic that links % to latent size.

"Compression" here is the study's: latent dimensions over the 784 pixels of a digit.
It counts numbers, not bytes (a float32 latent of 392 dims is 1,568 bytes, twice the raw
784-byte digit); `latent_bytes` gives the byte view so the UI can show both.
"""

from __future__ import annotations

#: The side of an MNIST digit, in pixels.
IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE

#: The study's four levels, in % compression.
STUDY_LEVELS_PCT: tuple[int, ...] = (50, 90, 95, 99)

#: Extra latent sizes trained so that the error-vs-compression curve has a real shape: below the study's
#: smallest code, and (64, 128, 256) across the long stretch between its 50 % and 90 % levels.
SWEEP_LATENT_DIMS: tuple[int, ...] = (2, 4, 16, 32, 64, 128, 256)

MIN_LATENT_DIM = 1
MAX_LATENT_DIM = N_PIXELS

#: Bytes per latent number for each way of storing it.
BYTES_PER_VALUE = {"float32": 4, "float16": 2, "uint8": 1}


def latent_dim_for(compression_pct: float) -> int:
    """Latent size for a compression %: round(784 * (1 - pct/100))."""
    if not 0 <= compression_pct < 100:
        raise ValueError(f"compression % must be in [0, 100), got {compression_pct}")
    return max(MIN_LATENT_DIM, round(N_PIXELS * (1 - compression_pct / 100)))


def compression_pct(latent_dim: int) -> float:
    """The study's compression % for a latent size (1 - d/784, in %)."""
    check_latent_dim(latent_dim)
    return 100.0 * (1 - latent_dim / N_PIXELS)


def check_latent_dim(latent_dim: int) -> int:
    """Refuse latent sizes outside 1..784 with a message a user can act on."""
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int):
        raise ValueError(f"latent size must be a whole number, got {latent_dim!r}")
    if not MIN_LATENT_DIM <= latent_dim <= MAX_LATENT_DIM:
        raise ValueError(f"latent size must be between {MIN_LATENT_DIM} and {MAX_LATENT_DIM}, got {latent_dim}")
    return latent_dim


def latent_bytes(latent_dim: int, dtype: str = "float32") -> int:
    """Bytes one image's latent code takes when stored as `dtype`."""
    return check_latent_dim(latent_dim) * BYTES_PER_VALUE[dtype]


STUDY_LATENT_DIMS: tuple[int, ...] = tuple(latent_dim_for(p) for p in STUDY_LEVELS_PCT)

#: Every latent size `make checkpoints` ships, smallest first.
SHIPPED_LATENT_DIMS: tuple[int, ...] = tuple(sorted(set(STUDY_LATENT_DIMS + SWEEP_LATENT_DIMS)))
