"""The codec for real: round trips, the model's estimate against the file, decoding in another process, the CLI's
exact forms, and a reader that refuses every damaged file cleanly (fuzzed)."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from core.codec import CodecFileError, compress, decompress, digit_code, qualities, read_header
from core.codec.__main__ import main as codec_cli
from core.codec.entropy import EntropyTables, counts_from_probabilities
from core.codec.fileformat import SMALL_SET, Header, parse_file, write_file
from core.codec.latent_codec import latents, rounded_latents
from core.codec.long_format import MAGIC, write_long_file
from core.codec.model import count_tables
from core.codec.store import load_rate_model
from core.data.mnist import load_split
from core.paths import REPO_ROOT

PY = sys.executable
TEST = load_split("test").images


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def small_file() -> bytes:
    return compress(TEST[:3], 1, names=["a", "b", "c"])


@pytest.fixture(scope="module")
def range_coded_file() -> bytes:
    """More digits than the exact code takes: the range coder's stream."""
    return compress(TEST[: SMALL_SET + 4], 1, names=[f"t{i:05d}" for i in range(SMALL_SET + 4)])


def test_qualities_are_numbered_from_fewest_bytes_and_span_the_range():
    qs = qualities()
    assert [q.number for q in qs] == list(range(1, len(qs) + 1))
    assert [q.bytes_per_digit for q in qs] == sorted(q.bytes_per_digit for q in qs)
    assert all(q.label.startswith(f"q{q.number} ") for q in qs)


@pytest.mark.timeout(60)
def test_round_trip_keeps_shape_names_and_the_recorded_error():
    names = [f"t{i:05d}" for i in range(300)]
    for q in qualities():
        data = compress(TEST[:300], q.number, names=names)
        out = decompress(data)
        assert out.images.shape == (300, 28, 28) and out.images.dtype == np.float32
        assert out.images.min() >= 0 and out.images.max() <= 1
        assert out.names == names
        assert out.header.model == q.model and out.header.quality == q.number and out.header.n_images == 300
        mse = float(np.mean((out.images - TEST[:300] / 255.0) ** 2))
        assert mse < 2 * q.mse  # the same model, on 300 of the digits its recorded MSE was measured on
    assert decompress(compress(TEST[:5], 1)).names == [""] * 5  # no names given: none stored


def test_more_bytes_buy_a_lower_error():
    qs = qualities()
    assert qs[-1].mse < qs[0].mse / 3
    assert qs[-1].bytes_per_digit > 5 * qs[0].bytes_per_digit


@pytest.mark.timeout(60)
def test_the_models_estimated_bits_match_the_files_size_within_3_percent():
    x = TEST[:2000]
    for q in qualities():
        model, _ = load_rate_model(q.model)
        estimate = model.estimated_bytes(latents(model, x, q.lmbda))
        real = len(compress(x, q.number))
        assert abs(real - estimate) / real < 0.03, (q.model, real, estimate)


def test_the_encoder_keeps_for_each_digit_the_rounding_that_codes_it_best():
    """Plain rounding is one of the encoder's candidates, so no digit's MSE + λ·bits gets worse; over many digits
    the choice buys fewer bytes at no higher error."""
    import torch

    x = TEST[:1000]
    q = next(q for q in qualities() if q.latent_dim == 16 and 0.008 < q.mse < 0.012)  # the one meant for MSE 0.01
    model, _ = load_rate_model(q.model)
    tables = model.tables()

    def loss(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        component, bits = tables.price(codes)
        with torch.no_grad():
            decoded = model.synthesis(torch.from_numpy(tables.clamp(codes, component).astype(np.float32)))
        mse = ((decoded.numpy().reshape(len(x), -1) - x.reshape(len(x), -1) / 255.0) ** 2).mean(1)
        return mse + q.lmbda * bits, mse, bits

    chosen, plain = latents(model, x, q.lmbda), rounded_latents(model, x)
    (best, mse, bits), (rounded, mse0, bits0) = loss(chosen), loss(plain)
    assert (best <= rounded + 1e-6).all()
    assert (chosen != plain).any(1).mean() > 0.1  # the choice is made, not just allowed
    assert bits.sum() < 0.98 * bits0.sum() and mse.mean() <= mse0.mean()
    assert len(compress(x, q.number)) * 8 < 0.99 * (bits0.sum() + 8 * 64)


def _mixture_tables(rng: np.random.Generator) -> EntropyTables:
    """Three components over four dimensions, each a bell of its own centre and width, weighted unequally."""
    counts = np.zeros((3, 4, 40), np.int64)
    offsets = rng.integers(-20, 0, size=(3, 4))
    for c in range(3):
        for j in range(4):
            width = int(rng.integers(5, 40))
            bell = np.exp(-0.5 * ((np.arange(width) - width / 2) / (1 + c + j)) ** 2)
            counts[c, j, :width] = counts_from_probabilities(bell)
    return EntropyTables.from_arrays(counts, offsets, counts_from_probabilities(np.array([0.6, 0.3, 0.1])))


def test_mixture_tables_code_each_row_with_its_cheapest_component_and_decode_it_exactly():
    rng = np.random.default_rng(0)
    tables = _mixture_tables(rng)
    q = rng.integers(-25, 25, size=(500, 4))
    component = tables.choose(q)
    for c in range(3):  # brute force: no other component whose support holds the row codes it cheaper
        rows = np.flatnonzero(component == c)[:20]
        for r in rows:
            costs = []
            for k in range(3):
                sym = q[r] - tables.offsets[k]
                if ((sym >= 0) & (sym < tables.sizes[k])).all():
                    costs.append(sum(-np.log2(tables.probabilities(k, j)[s]) for j, s in enumerate(sym)))
                    costs[-1] -= np.log2(tables.component_counts[k] / tables.component_counts.sum())
            chosen = q[r] - tables.offsets[c]
            if costs and ((chosen >= 0) & (chosen < tables.sizes[c])).all():
                mine = sum(-np.log2(tables.probabilities(c, j)[s]) for j, s in enumerate(chosen))
                mine -= np.log2(tables.component_counts[c] / tables.component_counts.sum())
                assert mine <= min(costs) + 1e-9
    stream = tables.encode(q)
    decoded = tables.decode(stream, len(q))
    assert (decoded == tables.clamp(q, component)).all()  # rows outside every support come back clamped
    inside = np.array(
        [
            ((q[i] - tables.offsets[c] >= 0) & (q[i] - tables.offsets[c] < tables.sizes[c])).all()
            for i, c in enumerate(component)
        ]
    )
    assert inside.mean() > 0.1 and (decoded[inside] == q[inside]).all()
    assert abs(len(stream) * 8 - tables.bits(q)) < 64  # the coder spends what the tables say, within a word or two


def test_tables_from_the_training_codes_counts_code_unseen_codes_like_them_in_fewer_bits():
    """The density's tables are a fit; where the codes fall otherwise, the counted tables follow the codes, and a
    fresh draw from the same source costs fewer bits under them. The supports stay the density's."""
    rng = np.random.default_rng(1)
    density = _mixture_tables(rng)
    centre = density.offsets + density.sizes // 3  # off the bells' centres: the density is wrong about them

    def draw(n: int) -> np.ndarray:
        c = rng.choice(3, size=n, p=[0.2, 0.3, 0.5])
        return centre[c] + rng.integers(-1, 2, size=(n, 4))

    counted = count_tables(density, draw(5000))
    unseen = draw(2000)
    assert counted.bits(unseen) < 0.8 * density.bits(unseen)
    assert (counted.offsets == density.offsets).all() and (counted.sizes == density.sizes).all()
    assert (counted.decode(counted.encode(unseen), len(unseen)) == unseen).all()
    same = count_tables(density, np.zeros((0, 4), np.int64))  # no codes: the density alone, as integers
    assert abs(same.bits(unseen) - density.bits(unseen)) < 0.01 * density.bits(unseen)


def test_one_digit_alone_and_its_code():
    code = digit_code(TEST[42], 1)
    alone = compress(TEST[42:43], 1)
    parsed = parse_file(alone)
    assert parsed.stream == code and parsed.header.n_images == 1
    assert len(alone) - len(code) == 7  # mark, model index and flags, 2 bytes of digest, 3 of checksum
    assert np.allclose(decompress(alone).images[0], decompress(compress(TEST[40:45], 1)).images[2], atol=1e-5)


def test_bad_images_and_qualities_are_refused_with_a_message():
    with pytest.raises(ValueError, match="shape"):
        compress(np.zeros((2, 27, 28), np.uint8), 1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compress(np.full((1, 28, 28), 2.0, np.float32), 1)
    with pytest.raises(ValueError, match="quality"):
        compress(TEST[:1], len(qualities()) + 1)
    with pytest.raises(ValueError, match="names"):
        compress(TEST[:2], 1, names=["one"])


WRITE_AND_DECODE = """
import sys, numpy as np, torch
torch.set_num_threads({threads})
from core.codec import compress, decompress
from core.data.mnist import load_split
if {write}:
    open(sys.argv[1], "wb").write(compress(load_split("test").images[:400], {quality}))
np.save(sys.argv[2], np.rint(decompress(open(sys.argv[1], "rb").read()).images * 255).astype(np.uint8))
"""


@pytest.mark.timeout(120)
def test_a_file_written_in_one_process_decodes_to_the_same_pixels_in_another(tmp_path):
    top = len(qualities())
    f, a, b = tmp_path / "digits.aec", tmp_path / "a.npy", tmp_path / "b.npy"
    writer = _run("-c", WRITE_AND_DECODE.format(threads=2, write=True, quality=top), str(f), str(a))
    assert writer.returncode == 0, writer.stderr
    reader = _run("-c", WRITE_AND_DECODE.format(threads=1, write=False, quality=top), str(f), str(b))
    assert reader.returncode == 0, reader.stderr
    assert np.array_equal(np.load(a), np.load(b))


def _refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.timeout(120)
def test_cli_forms_compress_decompress_info_and_qualities(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in (42, 7, 1000):
        Image.fromarray(TEST[i], mode="L").save(inputs / f"t{i:05d}.png")
    big = Image.fromarray(TEST[3], mode="L").resize((112, 112))  # not 28x28: prepared like an upload
    big.save(tmp_path / "upload.png")
    listed = _run("-m", "core.codec", "qualities")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(1, len(qualities()) + 1))
    assert all("bytes/digit" in line and "MSE" in line for line in lines)
    out = tmp_path / "d.aec"
    made = _run(
        "-m", "core.codec", "compress", str(inputs), str(tmp_path / "upload.png"), "-o", str(out), "--quality", "2"
    )
    assert made.returncode == 0, made.stderr
    assert read_header(out.read_bytes()).n_images == 4
    back = _run("-m", "core.codec", "decompress", str(out), "-o", str(tmp_path / "out"))
    assert back.returncode == 0, back.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "t00007.png",
        "t00042.png",
        "t01000.png",
        "upload.png",
    ]
    decoded = np.asarray(Image.open(tmp_path / "out" / "t00042.png"))
    assert decoded.shape == (28, 28) and np.mean((decoded / 255.0 - TEST[42] / 255.0) ** 2) < 0.05
    info = _run("-m", "core.codec", "info", str(out))
    assert info.returncode == 0 and "images          4" in info.stdout and "model           codec_" in info.stdout


def _refused_in_process(capsys, *args: str) -> str:
    assert codec_cli(list(args)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


@pytest.mark.timeout(60)
def test_cli_refuses_bad_files_and_inputs_with_one_line(tmp_path, capsys, small_file):
    header = Header(2, "codec_d099_l0.5", "ab" * 32, 1, (28, 28), 1)
    (tmp_path / "alien.aec").write_bytes(write_long_file(header, None, b"\0" * 8))
    alien = _refused(_run("-m", "core.codec", "decompress", str(tmp_path / "alien.aec"), "-o", str(tmp_path / "o")))
    assert "codec_d099_l0.5" in alien and "python -m core.codec train" in alien
    # the same code path in this process, for the other refusals
    (tmp_path / "empty.aec").write_bytes(b"")
    (tmp_path / "cut.aec").write_bytes(small_file[:-7])
    (tmp_path / "noise.aec").write_bytes(np.random.default_rng(0).bytes(500))
    wrong = bytearray(small_file)
    wrong[0] = 0xA9
    (tmp_path / "v9.aec").write_bytes(bytes(wrong))
    (tmp_path / "dust.png").write_bytes(b"not an image at all")
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    assert "empty" in _refused_in_process(capsys, "info", str(tmp_path / "empty.aec"))
    assert "truncated" in _refused_in_process(capsys, "decompress", str(tmp_path / "cut.aec"), "-o", str(tmp_path))
    assert "not an auto-encoder codec file" in _refused_in_process(capsys, "info", str(tmp_path / "noise.aec"))
    assert "version 9" in _refused_in_process(capsys, "info", str(tmp_path / "v9.aec"))
    assert "no such file" in _refused_in_process(capsys, "info", str(tmp_path / "missing.aec"))
    out = str(tmp_path / "x.aec")
    assert "dust.png" in _refused_in_process(
        capsys, "compress", str(tmp_path / "dust.png"), "-o", out, "--quality", "1"
    )
    assert "blank.png" in _refused_in_process(capsys, "compress", str(blank), "-o", out, "--quality", "1")
    good = tmp_path / "good"
    good.mkdir()
    Image.fromarray(TEST[0], mode="L").save(good / "t00000.png")
    assert "quality" in _refused_in_process(capsys, "compress", str(good), "-o", out, "--quality", "99")


def _refuses_or_decodes(data: bytes) -> None:
    try:
        out = decompress(data)
    except CodecFileError:
        return
    assert out.images.shape == (out.header.n_images, 28, 28)


@pytest.mark.timeout(60)
def test_truncation_at_every_offset_is_refused(small_file, range_coded_file):
    for data in (small_file, range_coded_file):
        for n in range(len(data)):
            with pytest.raises(CodecFileError):
                decompress(data[:n])


@pytest.mark.timeout(60)
def test_random_bit_flips_and_random_bytes_are_refused_or_decode_to_the_declared_shape(small_file, range_coded_file):
    rng = np.random.default_rng(0)
    for data in (small_file, range_coded_file):
        for _ in range(300):
            flipped = bytearray(data)
            for bit in rng.integers(0, len(flipped) * 8, size=rng.integers(1, 4)):
                flipped[bit // 8] ^= 1 << (bit % 8)
            _refuses_or_decodes(bytes(flipped))
    for n in rng.integers(0, 400, size=200):
        _refuses_or_decodes(rng.bytes(int(n)))
        _refuses_or_decodes(MAGIC + bytes([2]) + rng.bytes(int(n)))
        _refuses_or_decodes(bytes([0xA3]) + rng.bytes(int(n)))


@pytest.mark.timeout(20)
def test_a_forged_image_count_cannot_make_a_huge_allocation(range_coded_file):
    parsed = parse_file(range_coded_file)
    model, digest, names = parsed.header.model, parsed.header.weights_sha256, parsed.names_block
    full_digest = load_rate_model(model)[1]["weights_sha256"]
    for n in (10**6, 10**7):
        forged = write_file(model, digest, n, names, parsed.stream)
        with pytest.raises(CodecFileError, match="claims"):
            decompress(forged)
        long_form = write_long_file(Header(2, model, full_digest, n, (28, 28), 1), None, parsed.stream)
        with pytest.raises(CodecFileError, match="claims"):
            decompress(long_form)
    with pytest.raises(CodecFileError, match="claims"):
        read_header(write_file(model, digest, 10**8, None, parsed.stream))


def test_a_file_for_other_weights_of_the_same_model_is_refused(small_file):
    parsed = parse_file(small_file)
    other = write_file(parsed.header.model, "00" * 32, 3, parsed.names_block, parsed.stream)
    with pytest.raises(CodecFileError, match="another version"):
        decompress(other)


def test_the_checksum_covers_every_byte_and_is_sized_to_the_file(small_file, range_coded_file):
    assert len(small_file) <= 32 and len(range_coded_file) > 32
    assert small_file[-3:] == zlib.crc32(small_file[:-3]).to_bytes(4, "little")[:3]
    assert int.from_bytes(range_coded_file[-4:], "little") == zlib.crc32(range_coded_file[:-4])


def test_the_shipped_rate_models_are_the_sweep_that_make_checkpoints_trains():
    """What `make checkpoints` would rebuild is what ships: one pair per sweep config, trained as it says."""
    from core.codec.store import list_codec_models, read_codec_meta
    from core.codec.training import sweep_configs

    configs = {c.name: c for c in sweep_configs()}
    assert sorted(configs) == list_codec_models()
    for name, config in configs.items():
        train = read_codec_meta(name)["train"]
        for field in ("latent_dim", "lmbda", "epochs", "components", "from_scratch", "init_step"):
            assert train[field] == getattr(config, field), (name, field)


def test_a_rate_model_with_its_own_wider_decoder_loads_back_and_writes_the_file_its_trainer_measured(
    tmp_path, monkeypatch
):
    """`RateTrainConfig.decoder` builds the decoder apart from the encoder; the sidecar says how, so the model
    loads back as trained: the same bytes and error on the 10,000 test digits as the trainer recorded."""
    from core.codec.store import forget_rate_models
    from core.codec.training import RateTrainConfig, measure, train_rate_model

    monkeypatch.setenv("AECL_CHECKPOINT_DIR", str(tmp_path))
    decoder = {"channels": [40, 56], "hidden": 320}
    config = RateTrainConfig(
        12, 3e-3, max_lr=1e-2, components=4, from_scratch=True, train_fraction=0.01, decoder=decoder
    )
    meta = train_rate_model(config)
    assert meta["decoder_model"]["channels"] == [40, 56] and meta["model"]["channels"] == [32, 48]
    forget_rate_models()
    model, loaded = load_rate_model(config.name)
    assert model.ae.decoder.c2 == 56 and model.ae.decoder.from_latent[0].out_features == 320
    again = measure(model, config.name, config.lmbda, TEST)
    assert again["file_bytes"] == loaded["metrics"]["file_bytes"]
    assert again["test_mse"] == pytest.approx(loaded["metrics"]["test_mse"], rel=1e-6)
    forget_rate_models()
