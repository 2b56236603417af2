"""Storing digits and latent codes as bytes, for real: every size here is a measured length.

Two kinds of storage, both returning (bytes, what a reader gets back):

- Image codecs (`encode_image` / `decode_image`): JPEG, WebP and PNG files as Pillow writes them,
  JPEG XL with `imagecodecs` (libjxl), or the raw pixels. JPEG files are written, and JPEG and PNG
  files read, by imagecodecs (libjpeg-turbo, libpng): the same bytes and pixels as Pillow's, without
  its per-file overhead. Here each 28x28 digit is its own file, headers included, since that is what
  a user storing one digit would keep (`core/ratedistortion/shared.py` puts the whole set in one file
  instead). Each codec runs at its most compact effort that fits the time budget of all records: JPEG
  and PNG with `optimize=True`, lossy WebP with `method=6` (its smallest files), lossless WebP with
  `method=4`, JPEG XL at effort 4 on a single digit and both 3 and 5 on a mosaic, where libjxl is not
  monotone in effort at high distances (the measurements behind each are in bench/design_notes.md).
- Latent codes (`store_codes`): the N x d codes of a set of images as float32, float16 or
  8-bit. 8-bit quantises each dimension separately over the set (its own offset and
  step, so a dimension with a narrow range keeps its precision); the offsets and steps
  (2 x d float32) are stored once for the whole set, so their bytes are amortised over
  its images: with the 10,000 test digits they add 8·d / 10,000 bytes per image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagecodecs
import numpy as np
from PIL import Image

from core.levels import IMAGE_SIDE

#: How a method stores a set: each digit its own file, all digits in one file, or latent codes as bare numbers.
PER_FILE, HEADERS_SHARED, AS_NUMBERS = "per file", "headers shared", "codes as numbers"
FRAMINGS = (HEADERS_SHARED, PER_FILE, AS_NUMBERS)
#: Image codecs and the settings swept for each, a digit per file (None: lossless).
IMAGE_CODECS: dict[str, tuple[float | None, ...]] = {
    "JPEG": (1, 2, 3, 4, 5, 6, 8, 12, 20, 40, 70, 95),
    "WebP": (0, 5, 20, 50, 100),
    "JPEG XL": (10.0, 15.0, 19.0),
    "PNG": (None,),
    "raw": (None,),
}
#: What a codec's setting is (JPEG XL's distance: 0 is lossless, 1 visually lossless, 25 the coarsest).
SETTING_NAME = {"JPEG": "quality", "WebP": "quality", "JPEG XL": "distance"}
LATENT_STORAGE = ("float32", "float16", "8-bit")
#: Readers of JPEG and PNG files (WebP is read by Pillow, told the format so it probes no other plugin).
READERS = {"JPEG": imagecodecs.jpeg8_decode, "PNG": imagecodecs.png_decode}
WEBP_METHOD = {"lossy": 6, "lossless": 4}
#: libjxl's effort: for one digit, for a mosaic of many, and lossless. A JPEG XL setting is a distance (at the
#: effort for its image's size) or a (distance, effort) pair that names the effort, as the mosaic's sweep does.
JPEG_XL_EFFORT = {"digit": 4, "mosaic": 5, "lossless": 7}
#: A codec's setting: quality or distance, JPEG XL's (distance, effort), or None for lossless.
Setting = float | tuple[float, int] | None


def encode_image(image: np.ndarray, codec: str, setting: Setting = None) -> bytes:
    """One image (2-D uint8: a digit, or a mosaic of digits) as the bytes of a file in `codec`.

    `setting` is the codec's quality (JPEG, WebP) or distance (JPEG XL, optionally with its effort); None is
    lossless.
    """
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    if codec == "raw":
        return pixels.tobytes()
    if codec == "JPEG XL":
        if setting is None:
            return imagecodecs.jpegxl_encode(pixels, lossless=True, effort=JPEG_XL_EFFORT["lossless"], numthreads=1)
        if isinstance(setting, tuple):
            distance, effort = setting
        else:
            distance, effort = setting, JPEG_XL_EFFORT["digit" if pixels.size <= IMAGE_SIDE**2 else "mosaic"]
        return imagecodecs.jpegxl_encode(pixels, level=None, distance=float(distance), effort=effort, numthreads=1)
    if codec == "JPEG":  # byte for byte the file Pillow writes with optimize=True, without its per-file overhead
        return imagecodecs.jpeg8_encode(pixels, level=int(setting), optimize=True)
    buf = io.BytesIO()
    img = Image.fromarray(pixels, mode="L")
    if codec == "WebP" and setting is None:
        img.save(buf, format="WEBP", lossless=True, quality=100, method=WEBP_METHOD["lossless"])
    elif codec == "WebP":
        img.save(buf, format="WEBP", quality=int(setting), method=WEBP_METHOD["lossy"])
    elif codec == "PNG":
        img.save(buf, format="PNG", optimize=True)
    else:
        raise ValueError(f"codec must be one of {list(IMAGE_CODECS)}, got {codec!r}")
    return buf.getvalue()


def decode_image(data: bytes, codec: str, shape: tuple[int, int] = (IMAGE_SIDE, IMAGE_SIDE)) -> np.ndarray:
    """The uint8 image a reader gets back from `data` (`shape` is needed only for raw pixels)."""
    if codec == "raw":
        return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()
    if codec == "JPEG XL":
        return np.asarray(imagecodecs.jpegxl_decode(data, numthreads=1), dtype=np.uint8)
    if codec in READERS:
        return np.asarray(READERS[codec](data), dtype=np.uint8)
    if codec != "WebP":
        raise ValueError(f"codec must be one of {list(IMAGE_CODECS)}, got {codec!r}")
    with Image.open(io.BytesIO(data), formats=["WEBP"]) as img:
        return np.asarray(img if img.mode == "L" else img.convert("L"), dtype=np.uint8)


def roundtrip_images(images: np.ndarray, codec: str, setting: Setting = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode each digit as its own file and decode it: (bytes per image (N,), decoded uint8 (N, 28, 28))."""
    sizes = np.empty(len(images), dtype=np.int64)
    decoded = np.empty((len(images), IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    for i, image in enumerate(images):
        data = encode_image(image, codec, setting)
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


def setting_label(codec: str, setting: Setting) -> str:
    """'quality 5', 'distance 20', 'distance 19 · effort 3', or 'lossless'."""
    if isinstance(setting, tuple):
        return f"{SETTING_NAME[codec]} {setting[0]:g} · effort {setting[1]}"
    return "lossless" if setting is None else f"{SETTING_NAME[codec]} {setting:g}"


def setting_params(codec: str, setting: Setting) -> dict:
    """A setting as a record's `params` hold it: {'quality': 5}, {'distance': 19, 'effort': 3}, {'lossless': True}."""
    if setting is None:
        return {"lossless": True}
    if isinstance(setting, tuple):
        return {SETTING_NAME[codec]: setting[0], "effort": setting[1]}
    return {SETTING_NAME[codec]: setting}


def setting_of(params: dict) -> Setting:
    """The setting an image codec's record was made at (None: lossless), read back from its `params`."""
    value = params.get(SETTING_NAME.get(params["codec"], ""))
    return (value, params["effort"]) if value is not None and "effort" in params else value


def method_label(codec: str, framing: str) -> str:
    """An image codec's method name in one framing, e.g. 'WebP · headers shared'."""
    return f"{codec} · {framing}"


def image_record(
    images: np.ndarray, decoded: np.ndarray, codec: str, setting: Setting, framing: str, nbytes: float
) -> dict:
    """The record of an image codec: `nbytes` per digit and the error of `decoded` against `images` (uint8)."""
    n = len(images)
    diff = decoded.reshape(n, -1).astype(np.float64) - images.reshape(n, -1)
    image_mse = ((diff / 255.0) ** 2).mean(axis=1)
    params = {"codec": codec, "framing": framing, **setting_params(codec, setting)}
    return make_record(method_label(codec, framing), codec, setting_label(codec, setting), params, nbytes, image_mse)


def codec_record(images: np.ndarray, codec: str, setting: Setting) -> dict:
    """The rate–distortion record of one codec at one setting over `images` (uint8, N x 28 x 28), a file per digit.

    Lives here, not in core/ratedistortion/records.py, so the worker processes that run it import
    only numpy, Pillow and imagecodecs (not torch): that import alone would cost each worker seconds.
    """
    sizes, decoded = roundtrip_images(images, codec, setting)
    return image_record(images, decoded, codec, setting, PER_FILE, float(sizes.mean()))


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
