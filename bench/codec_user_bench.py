"""The codec as a user holds it: a numbered folder's file with and without names, one-digit files against WebP's
and JPEG's best one-digit files at MSE ≤ 0.01, the text form's length, how often a corruption of a tiny file
passes unnoticed, and the tracked checkpoints' bytes (every clone downloads them)."""

from __future__ import annotations

import subprocess
import time
import zlib

import numpy as np

from bench.report import table
from core.codec import CodecFileError, compress, decompress, qualities, read_header
from core.codec.fileformat import checksum_bytes
from core.codec.latent_codec import encode_file, latents
from core.codec.store import load_rate_model
from core.paths import REPO_ROOT
from core.ratedistortion.codecs import PER_FILE, roundtrip_images, setting_of
from core.ratedistortion.records import TARGET_MSE, cheapest, framing, rd_records

CORRUPTIONS, RESEALED = 100_000, 2_000


def folder_bytes(images: np.ndarray, number: int) -> dict:
    """The 10,000 digits as a folder t00000.png … would be compressed: bytes per digit with and without names."""
    names = [f"t{i:05d}" for i in range(len(images))]
    named, unnamed = compress(images, number, names=names), compress(images, number)
    return {"named": len(named), "unnamed": len(unnamed), "names": read_header(named).names_bytes}


def one_digit_sizes(images: np.ndarray, number: int) -> tuple[np.ndarray, float]:
    """Every digit's own compact file (bytes), and one-digit files written per second (their integers given)."""
    q = qualities()[number - 1]
    model, meta = load_rate_model(q.model)
    tables, codes = model.tables(), latents(model, images, meta["lmbda"])
    start = time.perf_counter()
    sizes = np.array([len(encode_file(q.model, meta["weights_sha256"], tables, r[None], None, number)) for r in codes])
    return sizes, len(codes) / (time.perf_counter() - start)


def classical_single_files(images: np.ndarray) -> dict[str, dict]:
    """WebP's and JPEG's cheapest per-file setting at MSE ≤ 0.01 (from the rate–distortion records), re-encoded
    here to give each file's size: median and worst, beside the mean the records keep."""
    records = rd_records()
    out = {}
    for codec in ("WebP", "JPEG"):
        best = cheapest(records, lambda r, c=codec: r["family"] == c and framing(r) == PER_FILE, TARGET_MSE)
        if best is None:
            continue
        sizes, _ = roundtrip_images(images, codec, setting_of(best["params"]))
        out[codec] = {"setting": best["setting"], "sizes": sizes, "mse": best["mse"]}
    return out


def corruption_passes(images: np.ndarray, number: int, rng: np.random.Generator) -> dict:
    """Random corruptions (1-3 bytes changed) of one-digit files: how many decode; and, with the checksum forged to
    match, what share the reader's other checks (registry, digest, the exact code's canonical form) let through."""
    files = [compress(images[i : i + 1], number) for i in rng.choice(len(images), 50, replace=False)]
    passed = 0
    for k in range(CORRUPTIONS):
        damaged = bytearray(files[k % len(files)])
        for pos in rng.choice(len(damaged), size=rng.integers(1, 4), replace=False):
            damaged[pos] ^= int(rng.integers(1, 256))
        try:
            decompress(bytes(damaged))
            passed += 1
        except CodecFileError:
            pass
    through = 0
    for k in range(RESEALED):
        data = files[k % len(files)]
        n = checksum_bytes(len(data))
        body = bytearray(data[:-n])
        body[rng.integers(len(body))] ^= int(rng.integers(1, 256))
        try:
            decompress(bytes(body) + zlib.crc32(bytes(body)).to_bytes(4, "little")[:n])
            through += 1
        except CodecFileError:
            pass
    bits = 8 * checksum_bytes(len(files[0]))
    return {"passed": passed, "share": through / RESEALED, "bits": bits}


def tracked_checkpoint_bytes() -> tuple[int, int]:
    """(all tracked files under checkpoints/, the codec's rate models among them), in bytes."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "checkpoints"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    paths = [REPO_ROOT / p.decode() for p in listed if p]
    sizes = {p: p.stat().st_size for p in paths if p.is_file()}
    return sum(sizes.values()), sum(v for p, v in sizes.items() if p.name.startswith("codec_"))


def user_section(images: np.ndarray, number: int) -> str:
    n = len(images)
    folder = folder_bytes(images, number)
    sizes, per_s = one_digit_sizes(images, number)
    text = np.ceil(sizes * 4 / 3).astype(int)
    classical = classical_single_files(images)
    fuzz = corruption_passes(images, number, np.random.default_rng(0))
    tracked, codec_bytes = tracked_checkpoint_bytes()
    rows = [["AE codec (compact file)", f"q{number}", f"{np.median(sizes):.0f}", f"{sizes.mean():.2f}", sizes.max()]]
    for codec, c in classical.items():
        s = c["sizes"]
        rows.append([codec, f"{c['setting']} (MSE {c['mse']:.4f})", f"{np.median(s):.0f}", f"{s.mean():.2f}", s.max()])
    bound = fuzz["share"] * 2.0 ** -fuzz["bits"]
    return (
        f"### The codec as a user holds it (q{number})\n\n"
        f"**A folder of {n:,} digits** (t00000.png … as `compress DIR` names them): "
        f"**{folder['named'] / n:.4f} B per digit with names, {folder['unnamed'] / n:.4f} without**; the names "
        f"take {folder['names']} bytes in all ({folder['names'] / n:.4f} B per digit; target ≤ 0.01).\n\n"
        f"**One digit per file** (each of the {n:,} test digits in its own compact file, no name) against the "
        f"cheapest per-file setting of WebP and JPEG that reaches MSE ≤ {TARGET_MSE:g} on average, re-encoded here "
        "(bytes):\n\n"
        + table(["file", "setting", "median", "mean", "worst"], rows)
        + f"\n\nTarget: median ≤ 12 B. **The digit as text** (URL-safe base64 of that file, no padding): median "
        f"**{np.median(text):.0f} characters**, worst {text.max()}. One-digit files written (their integers given, "
        f"the exact coder alone) at {per_s:,.0f} per second on one thread.\n\n"
        f"**Corruption of a tiny file**: {CORRUPTIONS:,} random corruptions (1-3 bytes changed) of one-digit files: "
        f"**{fuzz['passed']} decoded unnoticed** (the file ends with {fuzz['bits']} bits of CRC-32, so the odds of "
        f"passing it are 2^-{fuzz['bits']} = {2.0 ** -fuzz['bits']:.1e}: {CORRUPTIONS * 2.0 ** -fuzz['bits']:.4f} "
        f"expected). With the checksum forged to match, the reader's other checks (model registry, weights digest, "
        f"the exact code's canonical form) still refused {100 * (1 - fuzz['share']):.0f} % of {RESEALED:,}, so a "
        f"random corruption passes unnoticed with odds about {fuzz['share']:.2f} × 2^-{fuzz['bits']} = "
        f"**{bound:.1e}** (one in {1 / bound:,.0f}).\n\n"
        f"**Tracked checkpoints**: {tracked / 1e6:.1f} MB under checkpoints/ ({codec_bytes / 1e6:.1f} MB of them the "
        "codec's rate models); target ≤ 130 MB.\n"
    )
