"""Turning a user's drawing or photo into an MNIST-style digit, the way MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box (keeping the aspect ratio),
anti-aliased, and placed in a 28x28 field so that the centre of mass of the ink sits at
the centre. A digit that skips any of these steps reconstructs badly for reasons that
have nothing to do with compression, so we repeat each of them:

    original → grey (alpha over white, EXIF rotation applied) → ink white on black
    → cropped to the ink → scaled into 20x20 → centred by mass in 28x28

Everything a user can send is checked before it costs memory or time: files are sniffed
and their pixel count bounded before decoding, and every refusal is an
`InvalidImageError` whose message is written for the person who uploaded the file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest image we decode (pixels). A phone photo is ~12 MP; a decompression bomb is far more.
MAX_PIXELS = 40_000_000
#: Largest upload we read (bytes); Streamlit's own limit (.streamlit/config.toml) is 5 MB.
MAX_BYTES = 5 * 1024 * 1024
MIN_SIDE = 8
BOX, FIELD = 20, 28
ACCEPTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
#: Ink threshold relative to the background-to-ink contrast of the image.
INK_FRACTION = 0.25
MIN_CONTRAST = 0.08


class InvalidImageError(ValueError):
    """An image we can't turn into a digit; the message says why, for the user."""


@dataclass(frozen=True)
class DigitSteps:
    """Every stage of the preparation, for showing on the page; float32 in [0, 1] but `original`."""

    original: np.ndarray  # the input as the user sent it (uint8 RGB), EXIF rotation applied
    grey: np.ndarray  # the input as grey, ink white on black
    cropped: np.ndarray  # cropped to the ink
    scaled: np.ndarray  # fit into 20x20
    centred: np.ndarray  # the final 28x28 digit
    inverted: bool  # whether the input was dark ink on a light background


def _open(source) -> Image.Image:
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        return _from_array(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) == 0:
            raise InvalidImageError("That file is empty.")
        if len(data) > MAX_BYTES:
            mb = len(data) / 1e6
            raise InvalidImageError(f"That file is {mb:.1f} MB; images up to {MAX_BYTES // 2**20} MB work.")
        head = data[:512].lstrip().lower()
        if head.startswith(b"<?xml") or b"<svg" in head:
            raise InvalidImageError("SVG drawings aren't supported: export it as PNG and upload that.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise InvalidImageError(_why_unreadable(exc)) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise InvalidImageError("That file looks damaged: it could not be read as an image.") from exc
        if image.format not in ACCEPTED_FORMATS:
            raise InvalidImageError(f"{image.format} images aren't supported; use PNG, JPEG, BMP, GIF or WebP.")
    else:
        raise InvalidImageError(f"Can't read a digit from a {type(source).__name__}.")
    w, h = image.size
    if w * h > MAX_PIXELS:
        raise InvalidImageError(f"That image is {w}x{h} pixels, too large to be a digit; please resize it.")
    if min(w, h) < MIN_SIDE:
        raise InvalidImageError(f"That image is only {w}x{h} pixels; a digit needs at least {MIN_SIDE}x{MIN_SIDE}.")
    try:
        image.seek(0)  # an animated GIF/WebP: its first frame
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImageError("That file looks damaged or truncated: it could not be decoded.") from exc
    return image


def _why_unreadable(exc: Exception) -> str:
    if isinstance(exc, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
        return "That image is far too large to be a digit (it would expand to too many pixels)."
    return "That file is not an image we can read. Upload a PNG, JPEG, BMP, GIF or WebP picture of a digit."


def _from_array(array: np.ndarray) -> Image.Image:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise InvalidImageError(f"Expected a grey, RGB or RGBA picture, got an array of shape {a.shape}.")
    if min(a.shape[:2]) < MIN_SIDE:
        raise InvalidImageError(f"That picture is only {a.shape[1]}x{a.shape[0]} pixels.")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise InvalidImageError("That picture is too large to be a digit.")
    if a.dtype != np.uint8:  # floats in [0, 1] or [0, 255], or wider integers
        a = a.astype(np.float64)
        a = a * 255.0 if np.nanmax(a) <= 1.0 else a
        a = np.clip(np.nan_to_num(a), 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(a))  # uint8: L, RGB or RGBA from the shape


def _to_grey(image: Image.Image) -> np.ndarray:
    """Grey in [0, 1]; transparency is composited over white (a canvas's empty pixels)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        if alpha.max() > 0 and alpha.min() < 1:
            grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
            # transparent = background; where the canvas is fully transparent, treat as white paper
            return grey * alpha + 1.0 * (1 - alpha)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(image, dtype=np.float32)
        return a / max(float(a.max()), 1.0)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _ink_white_on_black(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    inverted = background > 0.5
    ink = 1.0 - grey if inverted else grey
    bg = 1.0 - background if inverted else background
    ink = np.clip((ink - bg) / max(1.0 - bg, 1e-6), 0.0, 1.0)
    return ink.astype(np.float32), inverted


def _crop(ink: np.ndarray) -> np.ndarray:
    if float(ink.max()) < MIN_CONTRAST:
        raise InvalidImageError("There is no digit here: the picture is blank. Draw or upload a digit.")
    mask = ink >= INK_FRACTION * float(ink.max())
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _scale(cropped: np.ndarray) -> np.ndarray:
    h, w = cropped.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    img = Image.fromarray((cropped * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def _centre(scaled: np.ndarray) -> np.ndarray:
    h, w = scaled.shape
    total = float(scaled.sum())
    ys, xs = np.indices(scaled.shape)
    cy, cx = float((ys * scaled).sum() / total), float((xs * scaled).sum() / total)
    top, left = round((FIELD - 1) / 2 - cy), round((FIELD - 1) / 2 - cx)
    top, left = int(np.clip(top, 0, FIELD - h)), int(np.clip(left, 0, FIELD - w))
    field = np.zeros((FIELD, FIELD), np.float32)
    field[top : top + h, left : left + w] = scaled
    return field


def prepare_digit_steps(source) -> DigitSteps:
    """Every stage of `prepare_digit`, for showing the pipeline."""
    image = ImageOps.exif_transpose(_open(source))
    grey = _to_grey(image)
    ink, inverted = _ink_white_on_black(grey)
    cropped = _crop(ink)
    scaled = _scale(cropped)
    if float(scaled.sum()) <= 0:
        raise InvalidImageError("There is too little ink here to make out a digit.")
    original = np.asarray(image.convert("RGBA").convert("RGB") if image.mode == "RGBA" else image.convert("RGB"))
    return DigitSteps(original, ink, cropped, scaled, _centre(scaled), inverted)


def prepare_digit(source) -> np.ndarray:
    """A 28x28 float32 digit in [0, 1], ink white on black, from bytes, a PIL image or an array."""
    return prepare_digit_steps(source).centred
