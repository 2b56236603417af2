"""AppTest for the "Your digit" page: uploads, bad files, the table for several uploads."""

import html
import io
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from streamlit.testing.v1 import AppTest

from core.paths import REPO_ROOT

PAGE = str(REPO_ROOT / "pages" / "your_digit.py")


def digit_png(text: str = "3") -> bytes:
    img = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(img).text((30, 5), text, fill=0, font=ImageFont.load_default(size=100))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


INLINE_IMAGE = re.compile(r'<img src="data:image/png;base64,[^"]+"[^>]*>.*?<figcaption[^>]*>(.*?)</figcaption>', re.S)


def image_captions(at) -> list[str]:
    """Captions of the inline image rows (ui.widgets.image_row), each under an inline PNG."""
    return [html.unescape(m.group(1)) for block in at.html for m in INLINE_IMAGE.finditer(block.value)]


def start(method: str = "PCA") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.session_state["digit_map_method"] = method  # PCA map: quick; t-SNE placement is tested in core
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_page_asks_for_a_digit_until_one_arrives():
    at = start()
    assert any("Draw a digit" in i.value for i in at.info)


def test_uploaded_digit_is_reconstructed_at_every_level():
    at = start()
    at.file_uploader(key="uploads").set_value(("three.png", digit_png("3"), "image/png")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    captions = image_captions(at)
    assert "your digit" in captions
    assert sum("MSE" in c for c in captions) >= 4  # one reconstruction per shipped study level at least
    code = at.get("plotly_chart")[0]
    assert "code at" in code.proto.spec
    assert any("MNIST" in m.value for m in at.markdown)


def test_bad_upload_gets_a_message_not_a_traceback():
    at = start()
    at.file_uploader(key="uploads").set_value(("notes.png", b"this is not a picture", "image/png")).run()
    assert not at.exception
    assert "notes.png" in at.error[0].value and "not an image" in at.error[0].value


def test_several_uploads_give_a_table_with_every_level():
    at = start()
    files = [(f"{d}.png", digit_png(str(d)), "image/png") for d in (1, 4, 7)]
    at.file_uploader(key="uploads").set_value(files).run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert table["file"].tolist() == ["1.png", "4.png", "7.png"]
    mse_cols = [c for c in table.columns if c.startswith("MSE")]
    assert len(mse_cols) >= 4 and np.isfinite(table[mse_cols].to_numpy(float)).all()


def test_the_classifier_reads_the_digit_and_each_reconstruction():
    at = start()
    at.file_uploader(key="uploads").set_value(("three.png", digit_png("3"), "image/png")).run()
    assert not at.exception, [e.message for e in at.exception]
    reading = next(m.value for m in at.markdown if "The classifier reads" in m.value)
    assert "your digit → **" in reading and reading.count("→") >= 5  # the digit and at least the 4 study levels


def two_digit_png() -> bytes:
    img = Image.new("L", (260, 130), 255)
    draw = ImageDraw.Draw(img)
    for x, text in ((20, "4"), (150, "7")):
        draw.text((x, 5), text, fill=0, font=ImageFont.load_default(size=100))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def dust_png() -> bytes:
    img = Image.new("L", (300, 300), 245)
    draw = ImageDraw.Draw(img)
    for x, y in ((40, 60), (200, 45), (120, 230), (260, 180), (80, 150)):
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=40)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_a_picture_of_two_digits_says_so_and_offers_each():
    at = start()
    at.file_uploader(key="uploads").set_value(("pair.png", two_digit_png(), "image/png")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("pair.png" in i.value and "2 digits" in i.value and "largest" in i.value for i in at.info)
    assert at.selectbox(key="digit_choice").options == ["pair.png", "pair.png · digit 2 of 2"]


def test_a_dusty_blank_page_is_refused_as_holding_no_digit():
    at = start()
    at.file_uploader(key="uploads").set_value(("dust.png", dust_png(), "image/png")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "dust.png" in at.error[0].value and "There is no digit here" in at.error[0].value
    assert not image_captions(at)  # nothing reconstructed


def test_the_digits_code_is_shown_as_bits_and_text_at_every_quality_with_a_link():
    from core.codec import compress, decode_text, qualities, to_text
    from core.codec.fileformat import parse_file
    from core.data.user_digit import prepare_digit
    from core.explore.round_trip import default_quality
    from ui.codec import grouped_hex

    at = start()
    at.file_uploader(key="uploads").set_value(("three.png", digit_png("3"), "image/png")).run()
    assert not at.exception, [e.message for e in at.exception]
    block, link = [c.value for c in at.code]
    lines = block.splitlines()
    found = qualities()
    assert len(lines) == 3 * len(found) >= 3  # per quality: what it costs, the code in hex, the file as text
    digit = prepare_digit(digit_png("3"))
    for q, line, hex_line, text_line in zip(found, lines[0::3], lines[1::3], lines[2::3], strict=True):
        data = compress(digit[None], q.number)
        code = parse_file(data).stream
        assert line.startswith(q.label)
        assert f"{len(code)} B = {8 * len(code)} bits, in a file of {len(data)} B" in " ".join(line.split())
        assert hex_line.strip() == grouped_hex(code)
        assert text_line.strip() == f"as text: {to_text(data)}"
    target = to_text(compress(digit[None], default_quality(found).number))
    assert link.endswith(f"/compress?code={target}")
    assert any(target in m.value and "open it as a link" in m.value for m in at.markdown)
    assert np.allclose(decode_text(target).images[0], decode_text(link.rsplit("=", 1)[1]).images[0])
