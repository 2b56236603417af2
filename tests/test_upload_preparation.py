"""Uploads that see the ink: transparent sheets, shadowed paper, pictures with no digit or several.

Each case is built here from a real MNIST test digit (one the shipped classifier reads
right as it is), enlarged and rendered the way a drawing app, a phone or a scanner would.
The prepared digit must be MNIST-shaped (mass centred, a ~20-pixel box), match what the
same digit gives as a clean scan, and be read as its true label.
"""

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.checkpoints.classifier import classify
from core.data.mnist import load_split
from core.data.user_digit import InvalidImageError, prepare_digit, prepare_digit_steps, split_digits
from tests.test_digit import assert_mnist_like, centre_of_mass, ink_box


@cache
def mnist_strokes(label: int, side: int = 240) -> np.ndarray:
    """A test digit of `label` that the classifier reads right, enlarged to side x side, ink in [0, 1]."""
    test = load_split("test")
    candidates = np.flatnonzero(test.labels == label)[:20]
    images = test.float_images(candidates)
    index = int(np.flatnonzero(classify(images).argmax(1) == label)[0])
    enlarged = Image.fromarray((images[index] * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(enlarged, np.float32) / 255.0


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def jpeg(grey: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(grey, 0, 1) * 255).astype(np.uint8)).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def on_transparent(strokes: np.ndarray, colour, hidden=(0, 0, 0)) -> bytes:
    """Ink of one colour on a transparent sheet; anti-aliased edges live in alpha, as canvases export."""
    rgba = np.zeros((*strokes.shape, 4), np.uint8)
    rgba[..., :3] = hidden  # the colour stored under fully transparent pixels
    rgba[strokes > 0, :3] = colour
    rgba[..., 3] = np.round(strokes * 255).astype(np.uint8)
    return png(Image.fromarray(rgba, "RGBA"))


def on_sheet(strokes: np.ndarray, size=(400, 320), at=(80, 40)) -> np.ndarray:
    sheet = np.zeros(size[::-1], np.float32)
    h, w = strokes.shape
    sheet[at[1] : at[1] + h, at[0] : at[0] + w] = strokes
    return sheet


def paper_photo(ink: np.ndarray, light: np.ndarray | float = 1.0, seed: int = 0) -> bytes:
    """Dark ink on off-white paper under `light`, with sensor grain, as a JPEG."""
    grey = 0.92 * (1 - 0.85 * ink) * light
    return jpeg(grey + np.random.default_rng(seed).normal(0, 0.01, grey.shape))


def shadow(shape, kind: str) -> np.ndarray:
    """Light over the page: a ramp into deep shadow on the left, or a soft shadow edge across it."""
    w = shape[1]
    ys, xs = np.indices(shape)
    if kind == "ramp":
        return 0.3 + 0.7 * (xs / w) ** 0.8
    return 0.35 + 0.65 / (1 + np.exp(-(xs - 0.45 * w - 0.3 * ys) / (0.06 * w)))


def assert_mnist_geometry(d: np.ndarray) -> None:
    """Mass at the field's centre, a ~20-pixel box, black margins; a photo's ink may stop short of 1."""
    cy, cx = centre_of_mass(d)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1, (cy, cx)
    assert max(ink_box(d)) in (19, 20, 21), ink_box(d)
    assert d[0].max() < 0.05 and d[-1].max() < 0.05 and d[:, 0].max() < 0.05 and d[:, -1].max() < 0.05


def reads_as(digit: np.ndarray) -> int:
    return int(classify(digit[None]).argmax())


def clean(label: int) -> np.ndarray:
    return prepare_digit(Image.fromarray((mnist_strokes(label) * 255).astype(np.uint8)))


# --- transparency -----------------------------------------------------------------------------

INKS = {
    "white ink": ((255, 255, 255), (0, 0, 0)),
    "white ink over hidden white": ((255, 255, 255), (255, 255, 255)),
    "light grey ink": ((200, 200, 200), (0, 0, 0)),
    "red ink": ((210, 30, 30), (0, 0, 0)),
    "blue ink": ((30, 40, 220), (255, 255, 255)),
    "black ink": ((0, 0, 0), (255, 255, 255)),
}


@pytest.mark.parametrize("label", [3, 7])
@pytest.mark.parametrize("ink", list(INKS))
def test_ink_of_any_colour_on_a_transparent_sheet_is_the_digit(ink, label):
    colour, hidden = INKS[ink]
    digit = prepare_digit(on_transparent(mnist_strokes(label), colour, hidden))
    assert_mnist_like(digit)
    assert np.abs(digit - clean(label)).max() < 0.02  # alpha is the ink, whatever its colour
    assert reads_as(digit) == label


def test_a_transparent_upload_is_shown_over_checks_the_ink_stands_out_on():
    strokes = mnist_strokes(3)
    steps = prepare_digit_steps(on_transparent(strokes, (255, 255, 255)))
    ink, paper = steps.original[strokes > 0.9], steps.original[strokes == 0]
    assert ink.mean() > paper.mean() + 100  # white ink shown on dark checks, not white on white


def test_paper_with_transparent_corners_is_still_read_as_paper():
    photo = np.full((320, 400, 4), 240, np.uint8)
    photo[..., 3] = 255
    photo[on_sheet(mnist_strokes(5)) > 0.5, :3] = 20
    photo[:40, :40, 3] = photo[-40:, -40:, 3] = 0  # rounded-off corners, say
    digit = prepare_digit(png(Image.fromarray(photo, "RGBA")))
    assert_mnist_like(digit)
    assert reads_as(digit) == 5


# --- uneven light -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ramp", "edge"])
@pytest.mark.parametrize("label", [0, 1, 3, 4, 6, 9])
def test_a_shadow_across_the_paper_is_not_ink(kind, label):
    sheet = on_sheet(mnist_strokes(label))
    digit = prepare_digit(paper_photo(sheet, shadow(sheet.shape, kind), seed=label))
    assert_mnist_geometry(digit)
    evenly_lit = prepare_digit(paper_photo(sheet, seed=label))
    assert np.abs(digit - evenly_lit).mean() < 0.03  # as the same digit on evenly lit paper
    assert reads_as(digit) == label


def test_a_page_with_only_a_shadow_on_it_holds_no_digit():
    light = shadow((320, 400), "ramp")
    for source in (jpeg(0.92 * light), paper_photo(np.zeros((320, 400)), light)):
        with pytest.raises(InvalidImageError, match="There is no digit here"):
            prepare_digit(source)


def test_an_evenly_lit_photo_comes_out_as_the_clean_digit():
    digit = prepare_digit(paper_photo(on_sheet(mnist_strokes(2))))
    assert_mnist_geometry(digit)
    assert np.abs(digit / digit.max() - clean(2)).mean() < 0.02 and reads_as(digit) == 2


# --- no digit ---------------------------------------------------------------------------------


def dust(seed: int, specks: int) -> bytes:
    rng = np.random.default_rng(seed)
    page = Image.new("L", (300, 300), 245)
    draw = ImageDraw.Draw(page)
    for _ in range(specks):
        x, y = rng.integers(10, 290, 2)
        r = int(rng.integers(1, 4))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.integers(20, 90)))
    return png(page)


def smudge() -> bytes:
    ys, xs = np.indices((300, 300))
    blot = np.exp(-((ys - 150) ** 2 + (xs - 160) ** 2) / (2 * 35**2))
    return png(Image.fromarray(((0.95 - 0.35 * blot) * 255).astype(np.uint8)))


def grain(seed: int = 1) -> bytes:
    return jpeg(0.85 + np.random.default_rng(seed).normal(0, 0.03, (300, 400)))


NO_DIGIT = {
    "dust specks on white": (dust(0, 7), "too small"),
    "more dust specks": (dust(2, 15), "too small"),
    "a smudge": (smudge(), "smudge"),
    "grainy blank paper": (grain(), "There is no digit here"),
}


@pytest.mark.parametrize("name", list(NO_DIGIT))
def test_a_picture_without_a_stroke_is_refused_as_holding_no_digit(name):
    source, words = NO_DIGIT[name]
    with pytest.raises(InvalidImageError, match="There is no digit here") as refusal:
        prepare_digit(source)
    assert words in str(refusal.value)


# --- several digits ---------------------------------------------------------------------------


def two_digits(left: int, right: int, gap: int = 40) -> np.ndarray:
    a, b = mnist_strokes(left), mnist_strokes(right)
    row = np.zeros((a.shape[0], a.shape[1] + gap + b.shape[1]), np.float32)
    row[:, : a.shape[1]] = a
    row[:, a.shape[1] + gap :] = b
    return row


def test_two_digits_side_by_side_are_counted_and_the_largest_is_used_whole():
    steps = prepare_digit_steps(paper_photo(two_digits(3, 7)))
    assert steps.digit_count == 2
    assert steps.notes == ("This picture seems to hold 2 digits; we used the largest.",)
    assert_mnist_geometry(steps.centred)  # one whole digit, not a squeezed pair or a fragment
    assert reads_as(steps.centred) in (3, 7)


def test_each_of_several_digits_is_offered_left_to_right():
    digits = split_digits(on_transparent(two_digits(4, 1), (255, 255, 255)))
    assert [d.digit_count for d in digits] == [2, 2]
    assert digits[0].box[1] < digits[1].box[1]
    for d, label in zip(digits, (4, 1), strict=True):
        assert_mnist_like(d.centred)
        assert reads_as(d.centred) == label


def handwritten_five(bar_gap: int) -> Image.Image:
    """A 5 whose top bar was drawn as a separate stroke, `bar_gap` pixels above the rest."""
    page = Image.new("L", (200, 240), 255)
    draw = ImageDraw.Draw(page)
    draw.line([(70, 40), (150, 40)], fill=0, width=14)
    draw.line([(68, 40 + bar_gap), (62, 115)], fill=0, width=14)
    draw.arc([50, 95, 160, 205], start=-110, end=150, fill=0, width=14)
    return page


@pytest.mark.parametrize("bar_gap", [12, 25])
def test_a_digit_drawn_in_two_strokes_is_one_digit(bar_gap):
    steps = prepare_digit_steps(handwritten_five(bar_gap))
    assert steps.digit_count == 1 and steps.notes == ()
    assert_mnist_like(steps.centred)
    assert reads_as(steps.centred) == 5


def test_a_speck_beside_the_digit_does_not_stretch_its_box():
    page = Image.fromarray(((1 - on_sheet(mnist_strokes(7))) * 255).astype(np.uint8))
    ImageDraw.Draw(page).ellipse([370, 290, 376, 296], fill=0)  # a speck in the far corner
    steps = prepare_digit_steps(page)
    assert steps.digit_count == 1
    assert_mnist_like(steps.centred)
    assert np.abs(steps.centred - clean(7)).max() < 0.05
