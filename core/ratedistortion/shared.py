"""Headers shared: all the digits of a set in one file, so a codec pays its header once.

The image codecs encode one mosaic of the set (the digits tiled row by row, e.g. 100 × 100
digits for the 10,000 test digits; black tiles pad the last row) and the decoded mosaic is
cut back into digits to score each one. LZMA compresses the raw 784 bytes of every digit
one after another. Bytes per digit are the one file's length divided by the number of digits.
"""

from __future__ import annotations

import lzma
import math

import numpy as np

from core.levels import IMAGE_SIDE
from core.ratedistortion.codecs import HEADERS_SHARED, Setting, decode_image, encode_image, image_record

#: libjxl's efforts swept on the mosaic: 5 is smaller at low distances, 3 at high ones (bench/design_notes.md).
JPEG_XL_MOSAIC_EFFORTS = (3, 5)
#: Codecs and settings swept on the mosaic (None: lossless). JPEG XL's setting is (distance, effort).
SHARED_CODECS: dict[str, tuple[Setting, ...]] = {
    "JPEG": (1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 30, 50, 70, 95),
    "WebP": (0, 1, 2, 5, 10, 30, 70, None),
    "JPEG XL": (*((d, e) for d in (4.0, 10.0, 15.0, 19.0, 20.0, 25.0) for e in JPEG_XL_MOSAIC_EFFORTS), None),
    "PNG": (None,),
    "LZMA": (None,),
}
#: xz's strongest setting: the best a general-purpose compressor does with the raw pixels.
LZMA_PRESET = 9 | lzma.PRESET_EXTREME


def tile(images: np.ndarray) -> np.ndarray:
    """The digits (N, 28, 28) uint8 as one mosaic, ceil(√N) digits a row, row by row; black tiles pad the end."""
    n = len(images)
    cols = max(1, math.isqrt(n - 1) + 1) if n else 1
    rows = max(1, -(-n // cols))
    tiles = np.zeros((rows * cols, IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    tiles[:n] = images
    return tiles.reshape(rows, cols, IMAGE_SIDE, IMAGE_SIDE).transpose(0, 2, 1, 3).reshape(rows * IMAGE_SIDE, -1)


def untile(mosaic: np.ndarray, n: int) -> np.ndarray:
    """The first `n` digits (n, 28, 28) of a mosaic made by `tile`."""
    rows, cols = mosaic.shape[0] // IMAGE_SIDE, mosaic.shape[1] // IMAGE_SIDE
    tiles = mosaic.reshape(rows, IMAGE_SIDE, cols, IMAGE_SIDE).transpose(0, 2, 1, 3).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return np.ascontiguousarray(tiles[:n])


def encode_set(images: np.ndarray, codec: str, setting: Setting = None) -> bytes:
    """The one file holding every digit of `images` (N, 28, 28) uint8."""
    pixels = np.ascontiguousarray(images, dtype=np.uint8)
    if codec == "LZMA":
        return lzma.compress(pixels.tobytes(), preset=LZMA_PRESET)
    return encode_image(tile(pixels), codec, setting)


def decode_set(data: bytes, codec: str, n: int) -> np.ndarray:
    """The `n` digits (n, 28, 28) uint8 a reader gets back from the one file."""
    if codec == "LZMA":
        return np.frombuffer(lzma.decompress(data), dtype=np.uint8).reshape(n, IMAGE_SIDE, IMAGE_SIDE).copy()
    return untile(decode_image(data, codec), n)


def roundtrip_set(images: np.ndarray, codec: str, setting: Setting = None) -> tuple[int, np.ndarray]:
    """(bytes of the one file, the decoded digits uint8 (N, 28, 28))."""
    data = encode_set(images, codec, setting)
    return len(data), decode_set(data, codec, len(images))


def shared_record(images: np.ndarray, codec: str, setting: Setting) -> dict:
    """The rate–distortion record of one codec at one setting, all of `images` in one file."""
    nbytes, decoded = roundtrip_set(images, codec, setting)
    return image_record(images, decoded, codec, setting, HEADERS_SHARED, nbytes / len(images))
