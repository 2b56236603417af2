"""Storing digits and latent codes as bytes, for real: every size here is a measured length.

Two kinds of storage, both returning (bytes, what a reader gets back):

- Image codecs (`encode_image` / `decode_image`): each 28x28 digit is encoded with Pillow
  as its own file (JPEG, WebP, PNG, or the raw 784 pixels), headers included, since that
  is what a user storing one digit would keep. JPEG and PNG are written with Pillow's
  `optimize=True` (smaller Huffman tables / best zlib effort). WebP uses libwebp's default
  effort (`method=4`): its slowest `method=6` saves a few percent of the bytes at twice
  the encoding time, which the time budget for all records can't afford.
- Latent codes (`store_codes`): the N x d codes of a set of images as float32, float16 or
  8-bit. 8-bit quantises each dimension separately over the set (its own offset and
  step, so a dimension with a narrow range keeps its precision); the offsets and steps
  (2 x d float32) are stored once for the whole set, so their bytes are amortised over
  its images: with the 10,000 test digits they add 8·d / 10,000 bytes per image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.levels import IMAGE_SIDE

#: Image codecs and the settings swept for each (None: the codec has no setting).
IMAGE_CODECS: dict[str, tuple[int | None, ...]] = {
    "JPEG": (2, 5, 10, 20, 40, 70, 90, 100),
    "WebP": (0, 5, 10, 20, 40, 70, 100),
    "PNG": (None,),
    "raw": (None,),
}
LATENT_STORAGE = ("float32", "float16", "8-bit")
PILLOW_FORMATS = {"JPEG": "JPEG", "WebP": "WEBP", "PNG": "PNG"}


def encode_image(image: np.ndarray, codec: str, quality: int | None = None) -> bytes:
    """One digit (28x28 uint8) as the bytes of a file in `codec`."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    if codec == "raw":
        return pixels.tobytes()
    buf = io.BytesIO()
    img = Image.fromarray(pixels, mode="L") if pixels.ndim == 2 else Image.fromarray(pixels)
    if codec == "JPEG":
        img.save(buf, format="JPEG", quality=int(quality), optimize=True)
    elif codec == "WebP":
        img.save(buf, format="WEBP", quality=int(quality), method=4)
    elif codec == "PNG":
        img.save(buf, format="PNG", optimize=True)
    else:
        raise ValueError(f"codec must be one of {list(IMAGE_CODECS)}, got {codec!r}")
    return buf.getvalue()


def decode_image(data: bytes, codec: str) -> np.ndarray:
    """The 28x28 uint8 digit a reader gets back from `data`."""
    if codec == "raw":
        return np.frombuffer(data, dtype=np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE).copy()
    # naming the format skips Pillow's probing of every plugin (much faster for WebP)
    with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[codec]]) as img:
        return np.asarray(img if img.mode == "L" else img.convert("L"), dtype=np.uint8)


def roundtrip_images(images: np.ndarray, codec: str, quality: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode each digit as its own file and decode it: (bytes per image (N,), decoded uint8 (N, 28, 28))."""
    sizes = np.empty(len(images), dtype=np.int64)
    decoded = np.empty((len(images), IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    for i, image in enumerate(images):
        data = encode_image(image, codec, quality)
        sizes[i] = len(data)
        decoded[i] = decode_image(data, codec)
    return sizes, decoded


@dataclass(frozen=True)
class Quantised:
    """Codes quantised per dimension to 0..255: code ≈ offset + q · step."""

    q: np.ndarray  # (N, d) uint8
    offset: np.ndarray  # (d,) float32, the smallest value of each dimension over the set
    step: np.ndarray  # (d,) float32, (max - min) / 255 of each dimension (1 where constant)

    def header(self) -> bytes:
        """What is stored once for the whole set: offsets and steps as float32."""
        return self.offset.astype(np.float32).tobytes() + self.step.astype(np.float32).tobytes()

    def dequantise(self) -> np.ndarray:
        return (self.offset + self.q.astype(np.float32) * self.step).astype(np.float32)


def quantise(codes: np.ndarray) -> Quantised:
    """8-bit codes: each dimension's range over the set split into 255 equal steps."""
    c = np.asarray(codes, dtype=np.float32)
    lo, hi = c.min(axis=0), c.max(axis=0)
    step = np.where(hi > lo, (hi - lo) / 255.0, 1.0).astype(np.float32)
    q = np.clip(np.rint((c - lo) / step), 0, 255).astype(np.uint8)
    return Quantised(q, lo.astype(np.float32), step)


def store_codes(codes: np.ndarray, storage: str) -> tuple[float, np.ndarray]:
    """(measured bytes per image, the codes a reader decodes) for a set's codes stored as `storage`.

    Sizes are the lengths of the actual byte strings: the codes' buffer, plus for 8-bit
    the set's offsets and steps, divided by the number of images.
    """
    c = np.asarray(codes, dtype=np.float32)
    n = max(len(c), 1)
    if storage == "float32":
        blob = c.astype("<f4").tobytes()
        return len(blob) / n, np.frombuffer(blob, dtype="<f4").reshape(c.shape).copy()
    if storage == "float16":
        blob = c.astype("<f2").tobytes()
        return len(blob) / n, np.frombuffer(blob, dtype="<f2").reshape(c.shape).astype(np.float32)
    if storage == "8-bit":
        qz = quantise(c)
        return (len(qz.q.tobytes()) + len(qz.header())) / n, qz.dequantise()
    raise ValueError(f"storage must be one of {LATENT_STORAGE}, got {storage!r}")


def codec_record(images: np.ndarray, codec: str, quality: int | None) -> dict:
    """The rate–distortion record of one codec at one setting over `images` (uint8, N x 28 x 28).

    Lives here, not in core/ratedistortion/records.py, so the worker processes that run it import
    only numpy and Pillow (not torch): that import alone would cost each worker seconds.
    """
    sizes, decoded = roundtrip_images(images, codec, quality)
    diff = decoded.reshape(len(images), -1).astype(np.float64) - images.reshape(len(images), -1)
    image_mse = ((diff / 255.0) ** 2).mean(axis=1)
    setting = "lossless" if quality is None else f"quality {quality}"
    return make_record(codec, codec, setting, {"codec": codec, "quality": quality}, sizes.mean(), image_mse)


def make_record(method: str, family: str, setting: str, params: dict, nbytes: float, image_mse: np.ndarray) -> dict:
    """The one record every rate–distortion method produces (see core/ratedistortion/records.py)."""
    mse = float(np.mean(image_mse))
    return {
        "method": method,
        "family": family,
        "setting": setting,
        "params": params,
        "bytes_per_image": float(nbytes),
        "mse": mse,
        "psnr": float(10 * np.log10(1 / mse)) if mse > 0 else None,  # None: lossless, PSNR infinite
        "n_images": len(image_mse),
    }
