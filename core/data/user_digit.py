"""Turning a user's drawing or photo into an MNIST-style digit, the way MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box (keeping the aspect ratio),
anti-aliased, and placed in a 28x28 field so that the centre of mass of the ink sits at
the centre. A digit that skips any of these steps reconstructs badly for reasons that
have nothing to do with compression, so we repeat each of them:

    original (EXIF rotation applied) → ink white on black → the digit among the ink's pieces
    → cropped to it → scaled into 20x20 → centred by mass in 28x28

What counts as ink. On a transparent sheet the alpha channel is the ink, whatever its
colour. On paper the ink is what differs from the paper, after the paper's light has been
evened out (a grey opening wider than any stroke estimates it), so a shadow is not ink.
The ink's connected pieces (scikit-image's `measure.label`) are grouped into digits:
specks, blots and marks too faint to tell from the paper's grain are no digit, and a
picture of several digits says so instead of being cropped to a fragment in silence.

Everything a user can send is checked before it costs memory or time: files are sniffed
and their pixel count bounded before decoding, and every refusal is an
`InvalidImageError` whose message is written for the person who uploaded the file.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage
from skimage import filters, measure, morphology

from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE

#: Largest image we decode (pixels). A phone photo is ~12 MP; a decompression bomb is far more.
MAX_PIXELS = 40_000_000
#: Largest upload we read (bytes); Streamlit's own limit (.streamlit/config.toml) is 5 MB.
MAX_BYTES = 5 * 1024 * 1024
MIN_SIDE = 8
BOX, FIELD = 20, IMAGE_SIDE
ACCEPTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
#: Ink threshold relative to the background-to-ink contrast of the image.
INK_FRACTION = 0.25
MIN_CONTRAST = 0.08
#: Larger pictures are reduced to this long side first: a 20-pixel digit needs no more.
WORK_SIDE = 1600
#: The paper's light is estimated on a copy this size, with a disk this share of its long
#: side: wider than a stroke, so strokes drop out, narrower than a shadow's sweep.
PAPER_SIDE, PAPER_RADIUS, PAPER_SMOOTHING = 128, 0.18, 2.0
#: Room for ink above the paper: dividing by less would blow the paper's grain up into ink.
MIN_PAPER_CONTRAST = 0.2
#: On a transparent sheet, at most this share of opaque pixels: more is a picture of paper.
MAX_ALPHA_INK_SHARE = 0.5
#: A digit's box is at least this share of the picture's long side, and this many pixels.
MIN_DIGIT_SHARE, MIN_DIGIT_PIXELS = 0.04, 6
#: Strokes stand at least this many times the grain of the paper around them (measured at
#: least this share of the long side away) above it, and at least MIN_STROKE.
MIN_SIGNAL_TO_GRAIN, GRAIN_REACH, MIN_STROKE = 5.0, 0.05, 0.15
#: Another piece counts as a digit when its box is this share of the largest's, and its ink this share.
DIGIT_SIDE_RATIO, DIGIT_INK_RATIO = 0.5, 0.15
#: Pieces of one digit: nearer than this share of the larger's size, or stacked (sharing
#: this share of the narrower's width) with a gap under that share; a piece smaller than
#: SMALL_PIECE of the other joins only when near.
NEAR_GAP, STACK_OVERLAP, STACK_GAP, SMALL_PIECE = 0.06, 0.3, 0.35, 0.25
#: Only the heaviest pieces are grouped; the rest of a grainy picture is noise.
MAX_PIECES = 60


class InvalidImageError(ValueError):
    """An image we can't turn into a digit; the message says why, for the user."""


@dataclass(frozen=True)
class DigitSteps:
    """Every stage of the preparation, for showing on the page; float32 in [0, 1] but `original`."""

    original: np.ndarray  # the input as the user sent it (uint8 RGB; transparency over a checkerboard)
    grey: np.ndarray  # the ink, white on black (alpha, or grey with the paper's light evened out)
    cropped: np.ndarray  # cropped to the digit
    scaled: np.ndarray  # fit into 20x20
    centred: np.ndarray  # the final 28x28 digit
    inverted: bool  # whether the ink is darker than its background (or, on a transparent sheet, dark)
    digit_count: int = 1  # how many digits the picture seems to hold
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # this digit's top, left, bottom, right in `grey`
    notes: tuple[str, ...] = ()  # what the person should know about the preparation


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


def _working(image: Image.Image) -> Image.Image:
    """The picture reduced to WORK_SIDE on its long side, if larger; modes kept where possible."""
    if max(image.size) <= WORK_SIDE:
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        image = image.convert("RGBA" if _has_alpha(image) else ("I" if image.mode.startswith("I") else "RGB"))
    return image.reduce(math.ceil(max(image.size) / WORK_SIDE))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info)


def _to_grey(image: Image.Image) -> np.ndarray:
    """Grey in [0, 1] of an opaque picture."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(image, dtype=np.float32)
        return a / max(float(a.max()), 1.0)
    return to_unit_float(np.asarray(image.convert("L")))


def _paper(d: np.ndarray) -> np.ndarray:
    """The paper's level under the ink (ink bright): a grey opening of a small copy, wider than any stroke.

    An opening keeps every feature wider than its disk, so a ramp of light (a shadow) survives
    while strokes, narrower than the disk, drop out.
    """
    h, w = d.shape
    small = _small(d)
    radius = max(1, round(PAPER_RADIUS * max(small.shape)))
    # Continuing the light past the edges (odd reflection) keeps a ramp that peaks there.
    # Smoothing first keeps the opening off the grain's low end.
    small = ndimage.gaussian_filter(small, PAPER_SMOOTHING, mode="nearest")
    padded = np.pad(small, radius + 1, mode="reflect", reflect_type="odd")
    opened = morphology.opening(padded, morphology.disk(radius, decomposition="sequence"))
    opened = opened[radius + 1 : -(radius + 1), radius + 1 : -(radius + 1)]
    return np.asarray(Image.fromarray(opened.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))


def _small(a: np.ndarray) -> np.ndarray:
    """A copy at most PAPER_SIDE on its long side (area-averaged), for estimating the paper."""
    h, w = a.shape
    scale = min(1.0, PAPER_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(a, mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32)


def _dark_ink(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the paper: the side on which pixels stray far from their neighbourhood.

    The paper is most of any neighbourhood (a local median), whatever its light, so ink is
    the long tail of the differences from it; a shadow over half the page can't flip this
    the way it flips the border's median.
    """
    small = _small(grey)
    radius = max(1, round(PAPER_RADIUS * max(small.shape)))
    local = filters.rank.median((np.clip(small, 0, 1) * 255).astype(np.uint8), morphology.disk(radius))
    dev = small - to_unit_float(local)
    darker, lighter = float(np.sum(np.clip(-dev, 0, None) ** 2)), float(np.sum(np.clip(dev, 0, None) ** 2))
    if darker == lighter:  # no ink at all: the border's median decides, as for a blank page
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        return float(np.median(border)) > 0.5
    return darker > lighter


def _ink_on_paper(grey: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray]:
    """Ink white on black with the paper's uneven light divided out; its polarity; and the same unclipped.

    The unclipped map keeps the paper's grain (both signs), which judges whether a mark stands out.
    """
    inverted = _dark_ink(grey)
    d = 1.0 - grey if inverted else grey
    paper = _paper(d)
    flat = (d - paper) / np.maximum(1.0 - paper, MIN_PAPER_CONTRAST)
    # The opening sits at the grain's low end; what most of the border is, is paper.
    edge = np.concatenate([flat[0], flat[-1], flat[:, 0], flat[:, -1]])
    level = float(np.clip(np.median(edge), 0.0, 0.99))
    flat = ((flat - level) / (1.0 - level)).astype(np.float32)
    return np.clip(flat, 0.0, 1.0), inverted, flat


def _ink(image: Image.Image) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    """The ink (white on black, [0, 1]), whether it is dark, the ink unclipped, and the picture to show.

    Transparent pixels are background: on a transparent sheet the ink is the alpha channel,
    whatever the colour. A picture that is mostly opaque (paper with transparent corners) is
    composited over its own paper colour and read as paper.
    """
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        alpha = to_unit_float(np.asarray(rgba.getchannel("A")))
        if alpha.min() < 1.0:
            grey = to_unit_float(np.asarray(rgba.convert("L")))
            opaque = alpha >= 0.5
            if opaque.mean() <= MAX_ALPHA_INK_SHARE:
                dark = not opaque.any() or float(np.median(grey[opaque])) < 0.5
                return alpha, dark, alpha, _over_checkerboard(rgba, dark)
            paper = float(np.median(grey[opaque]))
            ink, inverted, flat = _ink_on_paper(grey * alpha + paper * (1.0 - alpha))
            return ink, inverted, flat, np.asarray(rgba.convert("RGB"))
    ink, inverted, flat = _ink_on_paper(_to_grey(image))
    return ink, inverted, flat, np.asarray(image.convert("RGB"))


def _over_checkerboard(rgba: Image.Image, dark_ink: bool) -> np.ndarray:
    """A transparent picture as a viewer shows one: over checks that the ink stands out on."""
    w, h = rgba.size
    cell = max(4, max(w, h) // 16)
    ys, xs = np.indices((h, w))
    checks = ((ys // cell + xs // cell) % 2).astype(bool)
    light, shade = (255, 226) if dark_ink else (40, 64)
    board = Image.fromarray(np.where(checks, light, shade).astype(np.uint8)).convert("RGBA")
    return np.asarray(Image.alpha_composite(board, rgba).convert("RGB"))


@dataclass
class _Group:
    """Connected pieces of ink that make one mark: their labels, box (top, left, bottom, right) and ink."""

    labels: list[int]
    box: tuple[int, int, int, int]
    mass: float

    @property
    def side(self) -> int:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


def _one_mark(a: _Group, b: _Group) -> bool:
    """Whether two pieces belong to one digit: near each other, or one above the other (a 5's bar)."""
    size = max(a.side, b.side)
    gap_y = max(a.box[0], b.box[0]) - min(a.box[2], b.box[2])
    gap_x = max(a.box[1], b.box[1]) - min(a.box[3], b.box[3])
    if max(gap_x, gap_y) <= NEAR_GAP * size:
        return True
    if min(a.side, b.side) < SMALL_PIECE * size:
        return False
    narrower = min(a.box[3] - a.box[1], b.box[3] - b.box[1])
    return -gap_x >= STACK_OVERLAP * narrower and gap_y <= STACK_GAP * size


def _groups(labels: np.ndarray, ink: np.ndarray) -> list[_Group]:
    """The heaviest pieces of ink, joined into marks (union-find over `_one_mark`), heaviest first."""
    n = int(labels.max())
    mass = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n + 1)[1:]
    slices = ndimage.find_objects(labels)
    keep = np.argsort(-mass)[:MAX_PIECES]
    pieces = [
        _Group([int(i) + 1], (slices[i][0].start, slices[i][1].start, slices[i][0].stop, slices[i][1].stop), mass[i])
        for i in keep
    ]
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces)):
            if root(i) != root(j) and _one_mark(pieces[i], pieces[j]):
                parent[root(j)] = root(i)
    joined: dict[int, _Group] = {}
    for i, p in enumerate(pieces):
        g = joined.get(root(i))
        if g is None:
            joined[root(i)] = _Group(list(p.labels), p.box, p.mass)
        else:
            g.labels += p.labels
            g.box = (min(g.box[0], p.box[0]), min(g.box[1], p.box[1]), max(g.box[2], p.box[2]), max(g.box[3], p.box[3]))
            g.mass += p.mass
    return sorted(joined.values(), key=lambda g: -g.mass)


def _is_blot(group: _Group, labels: np.ndarray) -> bool:
    """A round, solid mark without holes: a blot or smudge, not the strokes of a digit."""
    t, left, b, r = group.box
    mask = np.isin(labels[t:b, left:r], group.labels)
    (props,) = measure.regionprops(mask.astype(np.uint8))
    roundness = props.axis_minor_length / max(props.axis_major_length, 1e-6)
    return props.euler_number == 1 and props.solidity >= 0.9 and roundness >= 0.5


def _is_faint(group: _Group, labels: np.ndarray, ink: np.ndarray, flat: np.ndarray) -> bool:
    """Strokes that don't stand clear of the grain of the paper around them (a robust sigma)."""
    t, left, b, r = group.box
    strokes = ink[t:b, left:r][np.isin(labels[t:b, left:r], group.labels)]
    reach = max(GRAIN_REACH * max(ink.shape), MIN_DIGIT_PIXELS)
    dy, dx = round(max((b - t) / 2, reach)), round(max((r - left) / 2, reach))
    near = (slice(max(0, t - dy), b + dy), slice(max(0, left - dx), r + dx))
    paper = flat[near][labels[near] == 0]
    grain = 1.4826 * float(np.median(np.abs(paper - np.median(paper)))) if paper.size else 0.0
    return float(np.percentile(strokes, 95)) < max(MIN_STROKE, MIN_SIGNAL_TO_GRAIN * grain)


def _find_digits(ink: np.ndarray, flat: np.ndarray) -> tuple[list[_Group], np.ndarray]:
    """The marks that look like digits, heaviest first, and the piece labels; InvalidImageError if none."""
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise InvalidImageError("There is no digit here: the picture is blank. Draw or upload a digit.")
    labels = measure.label(ink >= INK_FRACTION * peak, connectivity=2)
    groups = _groups(labels, ink)
    smallest = max(MIN_DIGIT_PIXELS, MIN_DIGIT_SHARE * max(ink.shape))
    big = [g for g in groups if g.side >= smallest]
    if not big:
        raise InvalidImageError(
            "There is no digit here: only specks too small to be a digit's strokes (dust or grain?). "
            "If your digit is small in the photo, crop the photo around it."
        )
    marks = [g for g in big if not _is_blot(g, labels)]
    if not marks:
        raise InvalidImageError("There is no digit here: only a blot or smudge, not the strokes of a digit.")
    digits = [g for g in marks if not _is_faint(g, labels, ink, flat)]
    if not digits:
        raise InvalidImageError("There is no digit here: the marks are too faint to tell from the paper's grain.")
    first = digits[0]
    return [
        g for g in digits if g.side >= DIGIT_SIDE_RATIO * first.side and g.mass >= DIGIT_INK_RATIO * first.mass
    ], labels


def _crop(ink: np.ndarray, labels: np.ndarray, group: _Group) -> np.ndarray:
    """The ink inside the digit's box, with any other mark's pieces (and their fringe) wiped out."""
    t, left, b, r = group.box
    cropped = ink[t:b, left:r].copy()
    box_labels = labels[t:b, left:r]
    others = (box_labels > 0) & ~np.isin(box_labels, group.labels)
    if others.any():
        fringe = ndimage.binary_dilation(others, iterations=2) & ~np.isin(box_labels, group.labels)
        cropped[fringe] = 0.0
    return cropped


def _scale(cropped: np.ndarray) -> np.ndarray:
    h, w = cropped.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    img = Image.fromarray((cropped * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
    return to_unit_float(np.asarray(img))


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


def _prepare_all(source) -> tuple[list[DigitSteps], int]:
    """Every digit the picture seems to hold, prepared, left to right; and which is the largest."""
    image = _working(ImageOps.exif_transpose(_open(source)))
    ink, inverted, flat, original = _ink(image)
    digits, labels = _find_digits(ink, flat)
    largest = digits[0]
    ordered = sorted(digits, key=lambda g: (g.box[1], g.box[0]))
    steps = []
    for group in ordered:
        cropped = _crop(ink, labels, group)
        scaled = _scale(cropped)
        if float(scaled.sum()) <= 0:
            raise InvalidImageError("There is too little ink here to make out a digit.")
        steps.append(DigitSteps(original, ink, cropped, scaled, _centre(scaled), inverted, len(ordered), group.box))
    return steps, ordered.index(largest)


def several_digits_note(count: int) -> str:
    """What to tell the person when their picture holds `count` digits and one was used."""
    return f"This picture seems to hold {count} digits; we used the largest."


def prepare_digit_steps(source) -> DigitSteps:
    """Every stage of `prepare_digit`, for showing the pipeline; `notes` say if there were several digits."""
    steps, largest = _prepare_all(source)
    chosen = steps[largest]
    if len(steps) > 1:
        return replace(chosen, notes=(several_digits_note(len(steps)),))
    return chosen


def split_digits(source) -> list[DigitSteps]:
    """Each digit a picture of several holds, prepared on its own, left to right (one for a single digit)."""
    return _prepare_all(source)[0]


def prepare_digit(source) -> np.ndarray:
    """A 28x28 float32 digit in [0, 1], ink white on black, from bytes, a PIL image or an array."""
    return prepare_digit_steps(source).centred
