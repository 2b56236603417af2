"""The codec as a user holds it: the compact file (version 3), its names, the exact code of a few digits, the
digit as text, older files still read, and corruption refused (fuzzed, and counted against the checksum's odds)."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from core.codec import (
    CodecFileError,
    compress,
    decode_text,
    decompress,
    digit_text,
    exact_coder,
    from_text,
    qualities,
    to_text,
)
from core.codec.__main__ import main as codec_cli
from core.codec.entropy import EntropyTables, StreamError, counts_from_probabilities
from core.codec.fileformat import checksum_bytes, parse_file
from core.codec.names import MAX_NAME_BYTES, NamesError, decode_names, encode_names, runs_of
from core.codec.registry import MODEL_INDEX
from core.codec.store import list_codec_models
from core.data.mnist import load_split
from core.explore.round_trip import default_quality
from core.paths import REPO_ROOT

TEST = load_split("test").images
FIXTURES = REPO_ROOT / "tests" / "fixtures"


def _q_for_target() -> int:
    return default_quality(qualities()).number


# --- older files ---------------------------------------------------------------------------------


def test_a_file_of_the_long_form_written_before_the_compact_one_still_decodes_to_its_pixels():
    data = (FIXTURES / "codec_v2_q4_three_digits.aec").read_bytes()
    out = decompress(data)
    assert out.header.version == 2 and out.names == ["t00000", "t00001", "t00002"]
    expected = np.load(FIXTURES / "codec_v2_q4_three_digits.npy", allow_pickle=False)
    assert np.array_equal(np.rint(out.images * 255).astype(np.uint8), expected)


def test_every_shipped_rate_model_has_an_index_in_the_registry():
    assert set(list_codec_models()) <= set(MODEL_INDEX.values())
    assert len(set(MODEL_INDEX.values())) == len(MODEL_INDEX) and all(1 <= i <= 63 for i in MODEL_INDEX)


# --- names ---------------------------------------------------------------------------------------


def test_a_numbered_folders_names_cost_under_a_hundredth_of_a_byte_per_digit():
    names = [f"t{i:05d}" for i in range(10_000)]
    block = encode_names(names)
    assert len(block) / len(names) <= 0.01
    assert decode_names(block, len(names)) == names
    assert runs_of(names) == [("t", "", 5, 0, 10_000)]


def test_any_names_come_back_exactly_and_repetitive_ones_compress():
    tricky = [
        "scan 9",
        "scan 10",
        "scan 11",  # unpadded numbers run on past a digit
        "photo",
        "photo",
        "",
        "é1",
        "x" * 200 + "9" * 55,  # a number as long as a name may be
        "a007b",
        "a008b",
        "a010b",
        "0",
        "12",
    ]
    assert decode_names(encode_names(tricky), len(tricky)) == tricky
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "IMG", "scan", "digit"]
    many = [f"{words[rng.integers(5)]}_{rng.integers(10_000):04d}_{words[rng.integers(5)]}" for _ in range(2000)]
    block = encode_names(many)
    assert decode_names(block, len(many)) == many
    assert len(block) < 0.5 * sum(len(n) + 1 for n in many)  # the stored-raw form's bytes


def test_a_name_too_long_is_cut_to_the_limit_on_a_character_boundary():
    long = "é" * 200
    (back,) = decode_names(encode_names([long]), 1)
    assert len(back.encode("utf-8")) <= MAX_NAME_BYTES and long.startswith(back)


@pytest.mark.timeout(60)
def test_a_damaged_names_block_is_refused_or_spells_as_many_names():
    block = encode_names([f"t{i:05d}" for i in range(50)] + ["odd", "x12"])
    rng = np.random.default_rng(1)
    for _ in range(2000):
        damaged = bytearray(block)
        damaged[rng.integers(len(damaged))] = rng.integers(256)
        with contextlib.suppress(NamesError):
            assert len(decode_names(bytes(damaged), 52)) == 52
    for n in range(len(block)):
        with pytest.raises(NamesError):
            decode_names(block[:n], 52)


# --- the exact code ------------------------------------------------------------------------------


def _tables(rng: np.random.Generator, k: int = 5, d: int = 6) -> EntropyTables:
    counts = np.zeros((k, d, 30), np.int64)
    offsets = rng.integers(-15, 0, size=(k, d))
    for c in range(k):
        for j in range(d):
            width = int(rng.integers(3, 30))
            bell = np.exp(-0.5 * ((np.arange(width) - rng.uniform(0, width)) / rng.uniform(0.5, 5)) ** 2)
            counts[c, j, :width] = counts_from_probabilities(bell)
    return EntropyTables.from_arrays(counts, offsets, counts_from_probabilities(rng.dirichlet(np.ones(k))))


def _marginal_bits(tables: EntropyTables, row: np.ndarray) -> float:
    """-log2 of the row's probability under the whole mixture, in floats, as a reference."""
    p = tables.component_counts / tables.component_counts.sum()
    for j, v in enumerate(row):
        sym = v - tables.offsets[:, j]
        inside = (sym >= 0) & (sym < tables.sizes[:, j])
        count = tables.counts[np.arange(len(p)), j, np.clip(sym, 0, tables.counts.shape[-1] - 1)]
        p = p * np.where(inside, count / 2**16, 0)
    return -math.log2(p.sum())


def test_the_exact_code_decodes_exactly_and_costs_the_mixtures_information_rounded_up_to_a_byte():
    rng = np.random.default_rng(2)
    tables = _tables(rng)
    comp = rng.integers(tables.components, size=400)
    rows = tables.offsets[comp] + (rng.uniform(size=(400, tables.latent_dim)) * tables.sizes[comp]).astype(int)
    for i in range(0, 400, 4):
        code = exact_coder.encode(tables, rows[i : i + 1])
        assert (exact_coder.decode(tables, code, 1) == rows[i]).all()
        assert len(code) <= math.ceil(_marginal_bits(tables, rows[i]) / 8)  # no flush, no words
    several = rows[:12]
    code = exact_coder.encode(tables, several)
    assert (exact_coder.decode(tables, code, 12) == several).all()
    assert len(code) <= math.ceil(sum(_marginal_bits(tables, r) for r in several) / 8)


def test_the_exact_decoder_accepts_only_the_code_the_encoder_writes():
    rng = np.random.default_rng(3)
    tables = _tables(rng)
    accepted = 0
    for _ in range(500):
        data = rng.bytes(int(rng.integers(0, 6)))
        try:
            rows = exact_coder.decode(tables, data, 1)
        except StreamError:
            continue
        accepted += 1
        assert exact_coder.encode(tables, rows) == data
    assert accepted < 400  # most random bytes are not anyone's code


# --- the compact file ----------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_one_test_digit_at_the_quality_meant_for_mse_001_is_a_file_of_at_most_12_bytes_median():
    number = _q_for_target()
    sizes = [len(compress(TEST[i : i + 1], number)) for i in range(0, 10_000, 20)]
    assert np.median(sizes) <= 12 and max(sizes) <= 20
    one = compress(TEST[:1], number)
    assert decompress(one).images.shape == (1, 28, 28)
    assert checksum_bytes(len(one)) == 3


def test_a_small_set_and_a_large_set_round_trip_with_names_at_every_quality():
    for q in qualities():
        for n in (1, 5, 40):
            names = [f"d{i}" for i in range(n)]
            out = decompress(compress(TEST[100 : 100 + n], q.number, names=names))
            assert out.names == names and out.header.quality == q.number and out.header.version == 3


def test_a_file_naming_a_model_the_registry_doesnt_have_is_refused_with_a_message():
    data = bytearray(compress(TEST[:1], 1))
    data[1] = (data[1] & 0xC0) | 62
    body = bytes(data[:-3])
    forged = body + zlib.crc32(body).to_bytes(4, "little")[:3]
    with pytest.raises(CodecFileError, match="model number 62"):
        decompress(forged)


def test_a_file_whose_model_is_missing_names_it_and_the_command_that_trains_it(tmp_path, monkeypatch):
    from core.codec.store import forget_rate_models

    data = compress(TEST[:1], 1)
    monkeypatch.setenv("AECL_CHECKPOINT_DIR", str(tmp_path))
    forget_rate_models()
    try:
        with pytest.raises(CodecFileError, match=r"python -m core.codec train --only codec_"):
            decompress(data)
    finally:
        monkeypatch.delenv("AECL_CHECKPOINT_DIR")
        forget_rate_models()


@pytest.mark.timeout(120)
def test_random_corruptions_of_a_tiny_file_pass_unnoticed_no_more_often_than_the_checksum_allows():
    """A one-digit file ends with 24 bits of CRC-32, so a random corruption passes it with odds 2^-24; 20,000
    corruptions should all be refused (the expected number passing is 0.001). And where the checksum is forged
    to match, the reader's own checks (the registry, the digest, the exact code's canonical form) still refuse
    a share of them: the odds of passing unnoticed are at most 2^-24 times the share they let through."""
    data = compress(TEST[7:8], _q_for_target())
    rng = np.random.default_rng(4)
    passed = 0
    for _ in range(20_000):
        damaged = bytearray(data)
        for pos in rng.choice(len(data), size=rng.integers(1, 4), replace=False):
            damaged[pos] ^= int(rng.integers(1, 256))
        try:
            decompress(bytes(damaged))
            passed += 1
        except CodecFileError:
            pass
    assert passed == 0
    resealed_passed = 0
    for _ in range(300):
        body = bytearray(data[:-3])
        body[rng.integers(len(body))] ^= int(rng.integers(1, 256))
        n = checksum_bytes(len(body) + 3)
        try:
            decompress(bytes(body) + zlib.crc32(bytes(body)).to_bytes(4, "little")[:n])
            resealed_passed += 1
        except CodecFileError:
            pass
    assert resealed_passed < 300 * 0.9


# --- the digit as text ---------------------------------------------------------------------------


def test_a_digit_as_text_is_short_url_safe_and_decodes_to_its_file():
    number = _q_for_target()
    texts = [digit_text(TEST[i], number) for i in range(0, 2000, 20)]
    assert np.median([len(t) for t in texts]) <= 16
    assert all(set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for t in texts)
    assert from_text(texts[0]) == compress(TEST[:1], number) and to_text(from_text(texts[0])) == texts[0]
    out = decode_text(texts[3])
    assert out.header.n_images == 1
    assert np.allclose(out.images[0], decompress(compress(TEST[60:61], number)).images[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc def", "only letters"),
        ("ab+/", "only letters"),
        ("abcde", "cut short"),
        (to_text(b"hello, world"), "not an auto-encoder codec file"),
        ("x" * 200_000, "more than"),
    ],
)
def test_a_malformed_or_foreign_text_is_refused_with_a_message(text, message):
    with pytest.raises(CodecFileError, match=message):
        decode_text(text)


@pytest.mark.timeout(60)
def test_every_truncation_and_random_edit_of_a_digits_text_is_refused_or_decodes():
    text = digit_text(TEST[11], _q_for_target())
    spare = to_text(from_text(text)[:-1] + bytes([from_text(text)[-1] ^ 1]))
    for n in range(len(text)):
        with pytest.raises(CodecFileError):
            decode_text(text[:n])
    assert spare != text
    rng = np.random.default_rng(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(500):
        edited = list(text)
        edited[rng.integers(len(edited))] = alphabet[rng.integers(64)]
        with contextlib.suppress(CodecFileError):
            decode_text("".join(edited))
    last = text[:-1] + alphabet[(alphabet.index(text[-1]) + 1) % 64]
    with pytest.raises(CodecFileError, match=r"last character|checksum"):  # only one spelling is read
        decode_text(last)


# --- the command line ----------------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.codec", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def _one_line_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.timeout(120)
def test_cli_encode_text_prints_the_string_and_decode_text_writes_the_png(tmp_path):
    Image.fromarray(TEST[5], mode="L").save(tmp_path / "t00005.png")
    number = _q_for_target()
    made = _run("encode-text", str(tmp_path / "t00005.png"), "--quality", str(number))
    assert made.returncode == 0, made.stderr
    text = made.stdout.strip()
    assert text == digit_text(TEST[5] / 255.0, number)
    back = _run("decode-text", text, "-o", str(tmp_path / "back.png"))
    assert back.returncode == 0, back.stderr
    png = np.asarray(Image.open(tmp_path / "back.png"))
    assert np.array_equal(png, np.rint(decode_text(text).images[0] * 255).astype(np.uint8))
    assert "not a digit's code" in _one_line_refusal(_run("decode-text", "no such code!", "-o", str(tmp_path / "x")))
    assert "checksum" in _one_line_refusal(_run("decode-text", text[:-2] + "AA", "-o", str(tmp_path / "x.png")))
    assert _one_line_refusal(_run("decode-text", "-x", "-o", str(tmp_path / "x.png")))  # argparse, one line too


def test_cli_text_refusals_in_process(tmp_path, capsys):
    def refused(*args: str) -> str:
        assert codec_cli(list(args)) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ")
        return err[0]

    several = to_text(compress(TEST[:2], 1))
    assert "holds 2 digits" in refused("decode-text", several, "-o", str(tmp_path / "x.png"))
    assert "empty" in refused("decode-text", "", "-o", str(tmp_path / "x.png"))
    assert "no such file" in refused("encode-text", str(tmp_path / "none.png"), "--quality", "1")
    assert "quality" in refused("encode-text", str(tmp_path / "none.png"), "--quality", "99")


@pytest.mark.timeout(120)
def test_cli_no_names_and_info_giving_the_names_bytes_apart(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(30):
        Image.fromarray(TEST[i], mode="L").save(folder / f"t{i:05d}.png")
    named, unnamed = tmp_path / "named.aec", tmp_path / "unnamed.aec"
    assert codec_cli(["compress", str(folder), "-o", str(named), "--quality", "1"]) == 0
    assert codec_cli(["compress", str(folder), "-o", str(unnamed), "--quality", "1", "--no-names"]) == 0
    names_bytes = named.stat().st_size - unnamed.stat().st_size
    assert 0 < names_bytes <= 12
    capsys.readouterr()
    assert codec_cli(["info", str(named)]) == 0
    assert f"names         {names_bytes} " in capsys.readouterr().out
    assert codec_cli(["decompress", str(named), "-o", str(tmp_path / "a"), "--no-names"]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir())[:2] == ["digit00000.png", "digit00001.png"]
    assert codec_cli(["decompress", str(named), "-o", str(tmp_path / "b")]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir())[:2] == ["t00000.png", "t00001.png"]
    assert parse_file(unnamed.read_bytes()).names_block is None


def test_the_codecs_per_file_record_is_the_mean_of_real_one_digit_files_decoded_each_alone():
    from core.codec.records import PER_FILE_METHOD, quality_records

    images = TEST[:40]
    shared, alone = quality_records(images, 1)
    files = [compress(images[i : i + 1], 1) for i in range(len(images))]
    assert alone["method"] == PER_FILE_METHOD and alone["params"]["framing"] == "per file"
    assert alone["bytes_per_image"] == pytest.approx(np.mean([len(f) for f in files]))
    decoded = np.concatenate([decompress(f).images for f in files])
    mse = np.mean((decoded.astype(np.float64) - images / 255.0) ** 2)
    assert alone["mse"] == pytest.approx(mse, rel=1e-4) and shared["mse"] == pytest.approx(mse, rel=1e-4)
    assert shared["bytes_per_image"] < alone["bytes_per_image"]
