"""prepare_digit: drawings and photos become MNIST-style digits; bad input is refused cleanly."""

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core import InvalidImageError, prepare_digit
from core.data.user_digit import prepare_digit_steps

FONT_FILES = [
    p
    for p in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    )
    if Path(p).exists()
]


def font(size: int, index: int):
    if index < len(FONT_FILES):
        return ImageFont.truetype(FONT_FILES[index], size)
    return ImageFont.load_default(size=size)  # Pillow's bundled font, always there


def render(text="3", size=(200, 160), font_size=120, pos=(40, 10), dark_on_light=True, font_index=0, mode="L"):
    bg, fg = (255, 0) if dark_on_light else (0, 255)
    img = Image.new("L", size, bg)
    ImageDraw.Draw(img).text(pos, text, fill=fg, font=font(font_size, font_index))
    return img.convert(mode)


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def centre_of_mass(d: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(d.shape)
    return float((ys * d).sum() / d.sum()), float((xs * d).sum() / d.sum())


def ink_box(d: np.ndarray, threshold: float = 0.2) -> tuple[int, int]:
    rows, cols = np.flatnonzero((d > threshold).any(1)), np.flatnonzero((d > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def assert_mnist_like(d: np.ndarray) -> None:
    assert d.shape == (28, 28) and d.dtype == np.float32
    assert d.min() >= 0.0 and d.max() <= 1.0 and d.max() > 0.9
    cy, cx = centre_of_mass(d)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1, (cy, cx)
    assert max(ink_box(d)) in (19, 20, 21), ink_box(d)
    assert d[0].max() < 0.05 and d[:, 0].max() < 0.05  # background black


@pytest.mark.parametrize("font_index", [0, 1, 2, 3])
@pytest.mark.parametrize("text,font_size,pos", [("3", 120, (40, 10)), ("7", 60, (5, 5)), ("1", 90, (120, 40))])
def test_rendered_digits_are_scaled_and_centred_like_mnist(font_index, text, font_size, pos):
    assert_mnist_like(prepare_digit(render(text, font_size=font_size, pos=pos, font_index=font_index)))


def test_polarity_does_not_matter():
    dark = prepare_digit(render("5", dark_on_light=True))
    light = prepare_digit(render("5", dark_on_light=False))
    assert np.abs(dark - light).max() < 0.02
    assert prepare_digit_steps(render("5", dark_on_light=True)).inverted


def test_rgba_canvas_with_transparent_background():
    canvas = np.zeros((280, 280, 4), np.uint8)  # transparent everywhere
    canvas[60:220, 130:150] = (0, 0, 0, 255)  # a black vertical stroke: a "1"
    canvas[60:80, 100:150] = (0, 0, 0, 255)
    d = prepare_digit(canvas)
    assert_mnist_like(d)
    white_on_black = np.zeros((280, 280, 4), np.uint8)
    white_on_black[..., 3] = 255
    white_on_black[60:220, 130:150, :3] = 255
    white_on_black[60:80, 100:150, :3] = 255
    assert np.abs(prepare_digit(white_on_black) - d).max() < 0.02


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "WEBP"])
def test_every_accepted_format_from_bytes(fmt):
    img = render("2", mode="RGB")
    assert_mnist_like(prepare_digit(encode(img, fmt)))


def test_odd_but_valid_encodings():
    base = render("4")
    sixteen = Image.fromarray(np.asarray(base, np.uint16) * 257)  # a 16-bit grey PNG
    assert sixteen.mode.startswith("I;16")
    cmyk = base.convert("RGB").convert("CMYK")
    palette = base.convert("P")
    for source in (encode(sixteen, "PNG"), encode(cmyk, "JPEG"), encode(palette, "PNG")):
        assert_mnist_like(prepare_digit(source))


def test_exif_rotation_is_applied():
    upright = render("7", size=(160, 200), pos=(20, 30))
    rotated = upright.rotate(90, expand=True)  # stored sideways...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...with an EXIF tag saying "rotate 90° clockwise to display"
    data = encode(rotated.convert("RGB"), "JPEG", exif=exif.tobytes(), quality=95)
    assert np.abs(prepare_digit(data) - prepare_digit(upright)).mean() < 0.03


def test_animated_gif_uses_its_first_frame():
    frames = [render("1").convert("P"), render("8").convert("P")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert np.abs(prepare_digit(buf.getvalue()) - prepare_digit(render("1"))).max() < 0.05


def _bomb() -> bytes:
    # A PNG whose header claims 30000 x 30000 pixels (900 MP) but holds a few bytes.
    return encode(Image.new("1", (30000, 30000)), "PNG")


BAD_INPUTS = {
    "not an image": (b"hello, this is text", "not an image"),
    "empty": (b"", "empty"),
    "truncated png": (encode(render("3"), "PNG")[:300], "damaged"),
    "corrupt jpeg": (encode(render("3", mode="RGB"), "JPEG")[:200] + b"\x00" * 500, "damaged"),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>3</text></svg>', "SVG"),
    "decompression bomb": (_bomb(), "too large"),
    "blank page": (encode(Image.new("L", (200, 200), 255), "PNG"), "blank"),
    "blank canvas": (np.zeros((280, 280, 4), np.uint8), "blank"),
    "1x1 image": (encode(Image.new("L", (1, 1), 0), "PNG"), "1x1"),
    "tiff": (encode(render("3"), "TIFF"), "TIFF"),
    "wrong array shape": (np.zeros((10, 10, 7)), "shape"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_refused_quickly_with_a_clear_message(name):
    source, words = BAD_INPUTS[name]
    start = time.perf_counter()
    with pytest.raises(InvalidImageError, match=words):
        prepare_digit(source)
    assert time.perf_counter() - start < 1.0  # a generous ceiling: refusals must not decode bombs
    assert issubclass(InvalidImageError, ValueError)
