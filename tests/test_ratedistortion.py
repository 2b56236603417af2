"""Rate–distortion: bytes are real encoded lengths, errors are those of what a reader decodes."""

import copy
import io
import itertools
import lzma
import math

import numpy as np
import pytest
from PIL import Image

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import load_split
from core.evaluation.metrics import per_image_mse
from core.ratedistortion.codecs import (
    HEADERS_SHARED,
    JPEG_XL_EFFORT,
    PER_FILE,
    decode_image,
    encode_image,
    quantise,
    roundtrip_images,
    setting_of,
    store_codes,
)
from core.ratedistortion.records import (
    CODEC_FAMILY,
    bytes_to_reach,
    closest_points,
    framing,
    frontier,
    rd_records,
    reconstruct_point,
    set_codes,
    verdict_at,
    where_it_wins,
)
from core.ratedistortion.shared import (
    JPEG_XL_MOSAIC_EFFORTS,
    decode_set,
    encode_set,
    roundtrip_set,
    shared_record,
    tile,
    untile,
)

N = 300  # the first 300 test digits: every method, a few seconds


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return rd_records(n_images=N)


@pytest.mark.parametrize(
    "codec,quality", [("JPEG", 50), ("WebP", 30), ("PNG", None), ("raw", None), ("JPEG XL", 10.0), ("WebP", None)]
)
def test_codec_bytes_are_the_encoded_files_and_decode_to_what_is_scored(codec, quality):
    images = load_split("test").images[:20]
    sizes, decoded = roundtrip_images(images, codec, quality)
    for i, image in enumerate(images):
        blob = encode_image(image, codec, quality)
        assert sizes[i] == len(blob)
        np.testing.assert_array_equal(decoded[i], decode_image(blob, codec))
    if quality is None:
        np.testing.assert_array_equal(decoded, images)  # lossless
    if codec == "JPEG":
        assert blob[:2] == b"\xff\xd8"  # a whole JPEG file, headers included
    if codec == "WebP":
        assert blob[:4] == b"RIFF" and blob[8:12] == b"WEBP"
    if codec == "JPEG XL":
        assert blob[:2] == b"\xff\x0a"  # a bare JPEG XL codestream: the whole file


@pytest.mark.parametrize("codec,quality", [("JPEG", 4), ("JPEG", 95), ("PNG", None)])
def test_jpeg_files_are_pillows_and_jpeg_and_png_read_back_as_pillow_reads_them(codec, quality):
    images = load_split("test").images[:50]
    for image in [*images, tile(images)]:
        blob = encode_image(image, codec, quality)
        if codec == "JPEG":
            written = io.BytesIO()
            Image.fromarray(image, mode="L").save(written, format="JPEG", quality=quality, optimize=True)
            assert blob == written.getvalue()
        with Image.open(io.BytesIO(blob)) as img:
            np.testing.assert_array_equal(decode_image(blob, codec), np.asarray(img))


def test_reported_codec_mse_is_that_of_decoding_each_encoded_digit(records):
    images = load_split("test").images[:N]
    x = images.astype(np.float32) / 255.0
    for r in records:
        if framing(r) == PER_FILE and r["family"] != CODEC_FAMILY and setting_of(r["params"]) in (None, 10, 70):
            codec, q = r["params"]["codec"], setting_of(r["params"])
            blobs = [encode_image(img, codec, q) for img in images]
            assert r["bytes_per_image"] == pytest.approx(np.mean([len(b) for b in blobs]))
            back = np.stack([decode_image(b, codec) for b in blobs]).astype(np.float32) / 255.0
            assert r["mse"] == pytest.approx(per_image_mse(x, back).mean(), rel=1e-6)


def test_8bit_quantisation_is_reversible_within_one_step():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(500, 16)).astype(np.float32) * rng.uniform(0.01, 10, size=16).astype(np.float32)
    codes[:, 3] = 1.5  # a constant dimension
    qz = quantise(codes)
    err = np.abs(qz.dequantise() - codes)
    assert np.all(err <= qz.step / 2 + 1e-5 * np.abs(codes).max())
    assert qz.q.dtype == np.uint8 and qz.q.shape == codes.shape
    real = set_codes("auto-encoder", 8, N)
    qz = quantise(real)
    assert np.all(np.abs(qz.dequantise() - real) <= qz.step / 2 + 1e-5)


def test_latent_bytes_are_measured_buffers_with_the_8bit_header_amortised():
    codes = set_codes("auto-encoder", 8, N)
    assert store_codes(codes, "float32")[0] == 32
    assert store_codes(codes, "float16")[0] == 16
    nbytes, back = store_codes(codes, "8-bit")
    assert nbytes == pytest.approx(8 + 2 * 8 * 4 / N)  # d bytes + (offset, step) float32 per dim, once per set
    assert back.shape == codes.shape


def test_records_share_one_schema_across_methods(records):
    dims = available_latent_dims()
    methods = {r["method"] for r in records}
    for fam in ("AE", "PCA"):
        assert {f"{fam} float32", f"{fam} float16", f"{fam} 8-bit"} <= methods
    for codec in ("JPEG", "WebP", "JPEG XL", "PNG"):
        assert {f"{codec} · per file", f"{codec} · headers shared"} <= methods
    assert {"raw · per file", "LZMA · headers shared"} <= methods
    for r in records:
        assert set(r) == {"method", "family", "setting", "params", "bytes_per_image", "mse", "psnr", "n_images"}
        assert r["n_images"] == N and r["bytes_per_image"] > 0 and r["mse"] >= 0
        if r["mse"] > 0:
            assert r["psnr"] == pytest.approx(10 * math.log10(1 / r["mse"]))
        else:
            assert r["psnr"] is None
    ae = [r for r in records if r["method"] == "AE float32"]
    assert sorted(r["params"]["latent_dim"] for r in ae) == dims
    assert all(r["bytes_per_image"] == 4 * r["params"]["latent_dim"] for r in ae)
    assert next(r for r in records if r["method"] == "raw · per file")["bytes_per_image"] == 784


def test_an_operating_point_reconstructs_to_the_error_it_reports(records):
    x = load_split("test").float_images()[:N]
    for method in ("AE 8-bit", "PCA float16", "WebP · per file", "JPEG XL · headers shared", "JPEG · headers shared"):
        r = next(r for r in records if r["method"] == method)
        back = reconstruct_point(r, list(range(N)))
        assert r["mse"] == pytest.approx(per_image_mse(x, back).mean(), rel=1e-5)


def test_reading_the_records_budget_frontier_and_verdict(records):
    points = closest_points(records, 32)
    assert len(points) == len({r["method"] for r in records})
    assert next(p for p in points if p["method"] == "AE 8-bit")["params"]["latent_dim"] == 32
    front = frontier(records)
    assert all(a["mse"] > b["mse"] for a, b in itertools.pairwise(front))
    reach = bytes_to_reach(records, 0.01)
    assert reach["raw · per file"]["bytes_per_image"] == 784 and reach["AE 8-bit"]["params"]["latent_dim"] <= 32
    text = where_it_wins(records, family="auto-encoder")
    assert "auto-encoder wins" in text and "MSE ≤ 0.01" in text


def test_records_come_from_the_disk_cache_the_second_time(records):
    import time

    start = time.perf_counter()
    again = rd_records(n_images=N)
    assert time.perf_counter() - start < 1.0
    assert again == records


def test_cli_prints_the_records_as_one_json_list(records, capsys):
    import json

    from core.ratedistortion.records import main

    assert main(["--json", "--n-images", str(N)]) == 0
    assert json.loads(capsys.readouterr().out) == records


# --- headers shared: the whole set in one file ------------------------------------------------------


def test_torch_runs_on_one_thread_while_the_workers_run_and_as_before_after():
    import torch

    from core.models.torch_thread import on_torch_thread, torch_threads

    def counts() -> tuple[int, int]:  # torch keeps a count per thread: this one's and the inference thread's
        return torch.get_num_threads(), on_torch_thread(torch.get_num_threads)()

    before = counts()
    with torch_threads(1):
        assert counts() == (1, 1)
    assert counts() == before


def test_a_mosaic_cut_back_gives_the_digits_in_order():
    images = load_split("test").images[:37]  # not a square number: the last row is padded with black tiles
    mosaic = tile(images)
    assert mosaic.shape == (6 * 28, 7 * 28) and not mosaic[5 * 28 :, 2 * 28 :].any()  # 7 a row, 2 in the last
    np.testing.assert_array_equal(mosaic[28:56, 28:56], images[8])  # row 1, column 1 of 7
    np.testing.assert_array_equal(untile(mosaic, 37), images)


def test_shared_header_bytes_are_one_files_size_over_the_number_of_digits(records):
    images = load_split("test").images[:N]
    for method, codec, setting in (
        ("WebP · headers shared", "WebP", 0),
        ("JPEG XL · headers shared", "JPEG XL", (20.0, 5)),
        ("PNG · headers shared", "PNG", None),
    ):
        blob = encode_set(images, codec, setting)
        r = next(r for r in records if r["method"] == method and setting_of(r["params"]) == setting)
        assert r["bytes_per_image"] == pytest.approx(len(blob) / N)
        assert r["n_images"] == N and framing(r) == HEADERS_SHARED
    # one file really is cheaper than a file per digit: the headers are paid once
    per_file = next(r for r in records if r["method"] == "WebP · per file" and r["setting"] == "quality 0")
    shared = next(r for r in records if r["method"] == "WebP · headers shared" and r["setting"] == "quality 0")
    assert shared["bytes_per_image"] < per_file["bytes_per_image"] / 2


def test_jpeg_xl_on_the_mosaic_is_swept_at_both_efforts_and_each_point_names_its_own(records):
    images = load_split("test").images[:N]
    jxl = [r for r in records if r["method"] == "JPEG XL · headers shared" and "effort" in r["params"]]
    assert {r["params"]["effort"] for r in jxl} == set(JPEG_XL_MOSAIC_EFFORTS)
    at_19 = {r["params"]["effort"]: r for r in jxl if r["params"]["distance"] == 19.0}
    for effort, r in at_19.items():
        assert setting_of(r["params"]) == (19.0, effort) and r["setting"] == f"distance 19 · effort {effort}"
        assert r["bytes_per_image"] == pytest.approx(len(encode_set(images, "JPEG XL", (19.0, effort))) / N)
    # the efforts really make different files (else sweeping both would buy nothing)
    assert at_19[3]["bytes_per_image"] != at_19[5]["bytes_per_image"]
    # a bare distance on a mosaic is the mosaic's default effort
    assert encode_set(images, "JPEG XL", 19.0) == encode_set(images, "JPEG XL", (19.0, JPEG_XL_EFFORT["mosaic"]))


def test_a_decoded_mosaic_cut_back_scores_each_digit_as_a_direct_computation_does():
    images = load_split("test").images[:120]
    blob = encode_set(images, "JPEG", 20)
    decoded = decode_set(blob, "JPEG", 120)
    assert decoded.shape == images.shape

    whole = np.asarray(Image.open(io.BytesIO(blob)), dtype=np.float64) / 255.0  # the mosaic as any reader sees it
    direct = [
        np.mean(
            (whole[(i // 11) * 28 : (i // 11 + 1) * 28, (i % 11) * 28 : (i % 11 + 1) * 28] - images[i] / 255.0) ** 2
        )
        for i in range(120)
    ]
    r = shared_record(images, "JPEG", 20)
    assert r["mse"] == pytest.approx(np.mean(direct), rel=1e-9)
    assert r["bytes_per_image"] == len(blob) / 120 and r["setting"] == "quality 20"


def test_jpeg_xl_round_trips_a_digit_and_a_mosaic():
    images = load_split("test").images[:50]
    x = images / 255.0
    for distance, worst in ((1.0, 0.001), (20.0, 0.03)):
        blob = encode_image(images[0], "JPEG XL", distance)
        back = decode_image(blob, "JPEG XL")
        assert back.shape == (28, 28) and back.dtype == np.uint8
        assert np.mean((back / 255.0 - x[0]) ** 2) < worst
    nbytes, back = roundtrip_set(images, "JPEG XL", None)
    np.testing.assert_array_equal(back, images)  # lossless JPEG XL gives back every pixel
    nbytes_lossy, _ = roundtrip_set(images, "JPEG XL", 20.0)
    assert nbytes_lossy < nbytes


def test_lzma_reference_is_lossless_over_the_raw_bytes():
    images = load_split("test").images[:N]
    blob = encode_set(images, "LZMA")
    assert lzma.decompress(blob) == np.ascontiguousarray(images).tobytes()
    np.testing.assert_array_equal(decode_set(blob, "LZMA", N), images)
    r = shared_record(images, "LZMA", None)
    assert r["mse"] == 0 and r["psnr"] is None and r["bytes_per_image"] == len(blob) / N < 784


# --- the verdict, in both framings -----------------------------------------------------------------


def _codec_point(nbytes: float, mse: float) -> dict:
    return {
        "method": CODEC_FAMILY, "family": CODEC_FAMILY, "setting": "q1 · test", "params": {"quality": 1},
        "bytes_per_image": nbytes, "mse": mse, "psnr": 10 * math.log10(1 / mse), "n_images": N,
    }  # fmt: skip


def test_verdict_gives_both_framings_from_the_records_and_flips_when_they_change(records):
    reach_file = min(
        (r for r in records if framing(r) == PER_FILE and r["family"] != CODEC_FAMILY and r["mse"] <= 0.01),
        key=lambda r: r["bytes_per_image"],
    )
    reach_shared = min(
        (r for r in records if framing(r) == HEADERS_SHARED and r["family"] != CODEC_FAMILY and r["mse"] <= 0.01),
        key=lambda r: r["bytes_per_image"],
    )
    classical = [r for r in records if r["family"] != CODEC_FAMILY]
    mine = _codec_point(5.0, 0.009)
    text = verdict_at([*classical, mine])
    assert "auto-encoder codec needs **5.00 B per digit**" in text
    per_file_ratio = reach_file["bytes_per_image"] / 5.0
    shared_ratio = reach_shared["bytes_per_image"] / 5.0
    assert f"as a file per digit ({reach_file['method'].split(' · ')[0]}, {reach_file['setting']}; " in text
    assert f"{per_file_ratio:.1f}× more" in text and f"{shared_ratio:.1f}× more" in text
    # the codec a little worse than every classical codec: the verdict says so
    flipped = verdict_at([*classical, _codec_point(reach_file["bytes_per_image"] * 2, 0.009)])
    assert flipped != text and "fewer: it wins here" in flipped
    # a cheaper shared-header point for a classical codec moves the shared framing's answer, not the per-file one
    cheaper = copy.deepcopy(reach_shared) | {"bytes_per_image": 2.5, "setting": "quality -1"}
    moved = verdict_at([*classical, cheaper, mine])
    assert "2.50 B with headers shared" in moved and "2.0× fewer" in moved
    assert f"{_fmt(reach_file['bytes_per_image'])} B as a file per digit" in moved
    # without the codec, the verdict speaks for the codes as numbers and says they are no file format
    assert "no file format" in verdict_at(classical)
    assert "never reaches" in verdict_at([*classical, _codec_point(5.0, 0.02)])


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.2f}"


# --- the page ---------------------------------------------------------------------------------------


def test_a_retrained_codec_model_changes_the_pages_records_key(tmp_checkpoints):
    import json
    import shutil

    from core.codec.store import codec_paths, list_codec_models
    from core.paths import REPO_ROOT
    from ui.measures import rd_records_key

    for name in list_codec_models(REPO_ROOT / "checkpoints")[:2]:
        shipped = codec_paths(name, REPO_ROOT / "checkpoints")
        for path in (shipped.weights, shipped.meta):
            shutil.copy(path, tmp_checkpoints / path.name)
    first, second = list_codec_models()
    before = rd_records_key([])
    assert rd_records_key([]) == before and len(before[2]) == 2  # unchanged models: the same key

    sidecar = codec_paths(first).meta
    meta = json.loads(sidecar.read_text())
    meta["weights_sha256"] = "0" * 64  # what retraining writes: new weights, a new digest
    sidecar.write_text(json.dumps(meta))
    after = rd_records_key([])
    assert after != before and after[2][1] == before[2][1]  # the retrained one changed, the other did not
    codec_paths(second).meta.unlink()  # a model removed changes it too
    assert rd_records_key([])[2] == after[2][:1]


def test_page_draws_both_framings_and_the_toggle_keeps_only_the_chosen_one():
    import json

    from streamlit.testing.v1 import AppTest

    from core.paths import REPO_ROOT

    at = AppTest.from_file(str(REPO_ROOT / "pages" / "rate_distortion.py"), default_timeout=600)
    at.run()
    assert not at.exception, [e.message for e in at.exception]

    def chart(i: int = 0) -> dict:
        return json.loads(at.get("plotly_chart")[i].proto.spec)

    traces = chart()["data"]
    assert {t["legendgroup"] for t in traces} == {HEADERS_SHARED, PER_FILE, "codes as numbers"}
    for t in traces:  # one file solid, a file per digit dashed: the framing is visible on the chart itself
        assert (
            t["line"]["dash"]
            == {HEADERS_SHARED: "solid", PER_FILE: "dash", "codes as numbers": "dot"}[t["legendgroup"]]
        )
    assert {"JPEG XL · per file", "JPEG XL · headers shared", "WebP · headers shared"} <= {t["name"] for t in traces}
    verdict = " ".join(m.value for m in at.markdown)
    assert "as a file per digit" in verdict and "with headers shared" in verdict
    strip_rows = chart(1)["layout"]["yaxis"]["ticktext"]
    assert any("headers shared" in row for row in strip_rows) and any("per file" in row for row in strip_rows)

    at.button_group(key="rd_framings").set_value([PER_FILE]).run()
    assert not at.exception
    assert {t["legendgroup"] for t in chart()["data"]} == {PER_FILE}
    assert all("per file" in row for row in chart(1)["layout"]["yaxis"]["ticktext"][1:])  # below the originals
    assert " ".join(m.value for m in at.markdown) == verdict  # the verdict weighs every framing, whatever is shown

    at.button_group(key="rd_framings").set_value([]).run()
    assert not at.exception and "Pick at least one" in at.info[0].value


def test_a_methods_line_joins_its_best_settings_and_a_beaten_one_is_a_marker_off_it():
    from figures.ratedistortion import rate_distortion_chart

    def point(setting: tuple[float, int], nbytes: float, mse: float) -> dict:
        params = {"codec": "JPEG XL", "framing": HEADERS_SHARED, "distance": setting[0], "effort": setting[1]}
        return {"method": "JPEG XL · headers shared", "family": "JPEG XL", "setting": f"distance {setting[0]:g}",
                "params": params, "bytes_per_image": nbytes, "mse": mse, "psnr": 10 * math.log10(1 / mse),
                "n_images": 10}  # fmt: skip

    records = [point((10.0, 5), 80.0, 0.003), point((19.0, 3), 45.7, 0.0057), point((19.0, 5), 49.4, 0.0070)]
    traces = rate_distortion_chart(records).data
    line = next(t for t in traces if t.name == "JPEG XL · headers shared")
    assert list(line.x) == [45.7, 80.0]  # the beaten setting (more bytes, more error) is not on the line
    (off,) = [t for t in traces if t.name.endswith("(beaten settings)")]
    assert list(off.x) == [49.4] and off.mode == "markers" and off.showlegend is False
    # with nothing beaten there is no extra trace
    assert len(rate_distortion_chart(records[:2]).data) == 1
