"""Rate–distortion: bytes are real encoded lengths, errors are those of what a reader decodes."""

import itertools
import math

import numpy as np
import pytest

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import load_split
from core.evaluation.metrics import per_image_mse
from core.ratedistortion.codecs import IMAGE_CODECS, decode_image, encode_image, quantise, roundtrip_images, store_codes
from core.ratedistortion.records import (
    bytes_to_reach,
    closest_points,
    frontier,
    rd_records,
    reconstruct_point,
    set_codes,
    where_it_wins,
)

N = 300  # the first 300 test digits: every method, a few seconds


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return rd_records(n_images=N)


@pytest.mark.parametrize("codec,quality", [("JPEG", 50), ("WebP", 30), ("PNG", None), ("raw", None)])
def test_codec_bytes_are_the_encoded_files_and_decode_to_what_is_scored(codec, quality):
    images = load_split("test").images[:20]
    sizes, decoded = roundtrip_images(images, codec, quality)
    for i, image in enumerate(images):
        blob = encode_image(image, codec, quality)
        assert sizes[i] == len(blob)
        np.testing.assert_array_equal(decoded[i], decode_image(blob, codec))
    if codec in ("PNG", "raw"):
        np.testing.assert_array_equal(decoded, images)  # lossless
    if codec == "JPEG":
        assert blob[:2] == b"\xff\xd8"  # a whole JPEG file, headers included
    if codec == "WebP":
        assert blob[:4] == b"RIFF" and blob[8:12] == b"WEBP"


def test_reported_codec_mse_is_that_of_decoding_each_encoded_digit(records):
    images = load_split("test").images[:N]
    x = images.astype(np.float32) / 255.0
    for r in records:
        if r["family"] in IMAGE_CODECS and r["params"]["quality"] in (None, 10, 70):
            codec, q = r["params"]["codec"], r["params"]["quality"]
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
    assert {"JPEG", "WebP", "PNG", "raw"} <= methods
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
    assert next(r for r in records if r["method"] == "raw")["bytes_per_image"] == 784


def test_an_operating_point_reconstructs_to_the_error_it_reports(records):
    x = load_split("test").float_images()[:N]
    for method in ("AE 8-bit", "PCA float16", "WebP"):
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
    assert reach["raw"]["bytes_per_image"] == 784 and reach["AE 8-bit"]["params"]["latent_dim"] <= 32
    text = where_it_wins(records)
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
