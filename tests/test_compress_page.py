"""AppTest for the Compress page: test digits into a real file, the file downloaded and decoded, uploads."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.codec import CodecFileError, compress, decompress, qualities, read_header
from core.data.mnist import load_split
from core.data.user_digit import prepare_digit
from core.evaluation.metrics import per_image_mse
from core.paths import REPO_ROOT
from tests.test_your_digit_page import digit_png, image_captions
from ui.codec import grouped_hex

PAGE = str(REPO_ROOT / "pages" / "compress.py")


@pytest.fixture
def downloads(monkeypatch):
    """Reads a download button's bytes as the browser would receive them (AppTest keeps them in memory)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    stores = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    return lambda button: stores[-1].get_file(button.proto.url.rsplit("/", 1)[-1]).content


def start(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_test_digits_compress_into_a_file_that_downloads_and_decodes_to_the_same_pixels(downloads):
    best = qualities()[-1]
    at = start(n=200, order="first", q=best.number)
    assert not at.error
    assert any("200 test digits in one file" in h.value for h in at.subheader)
    (button,) = [b for b in at.get("download_button") if b.proto.label.startswith("Download the file")]
    data = downloads(button)
    shown = metrics(at)
    assert shown["file size"] == f"{len(data):,} B"
    assert shown["bytes per digit"] == f"{len(data) / 200:,.2f} B"
    header = read_header(data)
    assert (header.n_images, header.quality, header.model) == (200, best.number, best.model)
    originals = load_split("test").images[:200]
    decoded = decompress(data).images
    assert np.array_equal(decoded, decompress(compress(originals, best.number)).images)  # same process: exact
    mse = per_image_mse(originals / 255.0, decoded)
    assert shown["mean MSE once decoded"] == f"{mse.mean():.4f}"
    grid = at.get("plotly_chart")[0].proto.spec
    assert f"{mse[0]:.4f}" in grid and "#0 (7)" in grid  # the first test digit (a 7) beside its decoded self
    assert at.query_params["n"] == "200" and at.query_params["q"] == str(best.number)


def test_fewer_bytes_at_a_lower_quality_and_the_worst_digits_on_request():
    found = qualities()
    at = start(n=300, order="random", seed=5, q=found[0].number)
    low = metrics(at)["file size"]
    at.selectbox(key="compress_quality").set_value(found[-1].number).run()
    high = metrics(at)["file size"]
    if len(found) > 1:
        assert int(low[:-2].replace(",", "")) < int(high[:-2].replace(",", ""))
    at.radio(key="compress_show").set_value("worst").run()
    assert not at.exception
    assert "The worst 12" in at.get("plotly_chart")[0].proto.spec


def test_a_corrupt_or_foreign_file_gets_the_codecs_message_not_a_traceback():
    good = compress(load_split("test").images[:3], qualities()[0].number)
    at = start(n=1)
    for name, bad in (("cut.aecl", good[: len(good) // 2]), ("photo.png", digit_png()), ("empty.aecl", b"")):
        with pytest.raises(CodecFileError) as refusal:
            decompress(bad)
        at.file_uploader(key="decode_upload").set_value((name, bad, "application/octet-stream")).run()
        assert not at.exception, [e.message for e in at.exception]
        assert f"**{name}**: {refusal.value}" in [e.value for e in at.error]


def test_a_file_uploaded_back_shows_its_header_and_its_digits():
    images = load_split("test").images[:4]
    names = ["t00000", "t00001", "t00002", "t00003"]
    data = compress(images, qualities()[0].number, names=names)
    at = start(n=1)
    at.file_uploader(key="decode_upload").set_value(("four.aecl", data, "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("4 digits decoded" in s.value for s in at.success)
    assert names == [c for c in image_captions(at) if c.startswith("t0000")]
    shown = at.dataframe[-1].value.iloc[0]
    header = read_header(data)
    assert (shown["model"], shown["digits"]) == (header.model, 4)
    assert shown["header bytes"] + shown["names bytes"] == header.header_bytes and shown["names bytes"] > 0


def test_an_uploaded_drawing_is_compressed_and_a_bad_upload_refused_as_on_your_digit():
    at = start(source="uploads")
    assert any("Upload a picture" in i.value for i in at.info)
    files = [("three.png", digit_png("3"), "image/png"), ("notes.png", b"not a picture", "image/png")]
    at.file_uploader(key="compress_uploads").set_value(files).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "notes.png" in at.error[0].value and "not an image" in at.error[0].value
    captions = image_captions(at)
    assert captions[0] == "three.png" and captions[1].startswith("decoded · MSE ")
    q = {q.number: q for q in qualities()}[int(at.query_params["q"])]
    expected = compress(prepare_digit(digit_png("3"))[None], q.number, names=["three.png"])
    assert metrics(at)["file size"] == f"{len(expected):,} B"


def test_hex_is_grouped_for_reading_and_loses_nothing():
    code = bytes(range(7))
    assert grouped_hex(code) == "0001 0203 0405 06"
    assert bytes.fromhex(grouped_hex(code).replace(" ", "")) == code


def test_a_code_link_opens_its_digit_decoded_with_nothing_stored_on_the_server():
    from core.codec import digit_text

    number = qualities()[0].number
    text = digit_text(load_split("test").images[9], number)
    at = start(code=text)
    assert not at.exception and not at.warning
    assert any("The digit from the link" in h.value for h in at.subheader)
    assert "#1" in image_captions(at)
    assert any(f"Decoded from `{text}`" in c.value for c in at.caption)


@pytest.mark.parametrize("bad", ["hello world", "oAAAAAAAAAAA", "abcde"])
def test_a_bad_code_in_the_link_is_ignored_with_the_codecs_message(bad):
    at = start(code=bad)
    assert not at.exception
    assert any("Ignored `code=" in w.value for w in at.warning)
    assert not any("The digit from the link" in h.value for h in at.subheader)


def test_a_pasted_code_decodes_and_a_bad_one_is_refused_with_a_message():
    from core.codec import digit_text

    text = digit_text(load_split("test").images[3], qualities()[0].number)
    at = start(n=1)
    at.text_input(key="decode_text").set_value(text).run()
    assert not at.exception and any("The digit from the code" in h.value for h in at.subheader)
    at.text_input(key="decode_text").set_value(text[:-3]).run()
    assert not at.exception and any("**That code**" in e.value for e in at.error)


def test_one_digit_compressed_shows_its_file_as_text_that_decodes_to_it():
    from core.codec import decode_text, from_text

    at = start(n=1, order="first", q=qualities()[0].number)
    (line,) = [m.value for m in at.markdown if "as text" in m.value]
    text = line.split("`")[1]
    assert decode_text(text).header.n_images == 1
    assert metrics(at)["file size"] == f"{len(from_text(text)):,} B"


def test_a_round_trip_read_back_from_the_cache_is_the_one_computed(tmp_cache):
    """The Compress page's set ships as a record: what comes back from the cache must be what coding gives."""
    from core.explore.round_trip import default_quality, pick_test_digits, round_trip, round_trip_test_digits

    quality = default_quality(qualities()).number
    direct = round_trip(load_split("test").images[pick_test_digits(40, "random", 3)], quality)
    first = round_trip_test_digits(40, quality, "random", 3)  # computed, and written to the cache
    assert any(tmp_cache.rglob("*.npz"))
    again = round_trip_test_digits(40, quality, "random", 3)  # read back
    for result in (first, again):
        assert result.data == direct.data and result.header == direct.header
        assert np.array_equal(result.mse, direct.mse) and np.array_equal(result.worst, direct.worst)
        assert sorted(result.decoded) == sorted(direct.decoded)
        for i in direct.decoded:
            assert np.array_equal(result.decoded[i], direct.decoded[i])
            assert np.array_equal(result.originals[i], direct.originals[i])
    assert again.names[0].startswith("t") and len(again.names) == 40
