"""Rate–distortion: bytes per image against error, for every way of storing a digit.

Every method produces the same record per operating point, so one chart and one table
serve them all (CompressAI's idea):

    {"method": "AE 8-bit", "family": "auto-encoder", "setting": "d=8",
     "params": {"latent_dim": 8, "storage": "8-bit"},
     "bytes_per_image": 8.0064, "mse": 0.0171, "psnr": 17.7, "n_images": 10000}

Methods: the auto-encoder at every trained level and PCA at the same sizes, each with its
codes stored as float32, float16 and 8-bit (core/ratedistortion/codecs.py); JPEG and WebP over a quality
sweep; PNG; the raw 784 bytes. Bytes are measured lengths, never estimates. Lossless
points have `mse` 0 and `psnr` null (infinite).

Records are computed for the whole test set once and kept as JSON in the disk cache,
keyed by everything they depend on (data, each checkpoint's weights digest, Pillow's
version, the sweep), so a retrained model or a new sweep can't be served stale.
`python -m core.ratedistortion --json` prints them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.evaluation.evaluate import evaluate, source_key
from core.evaluation.metrics import per_image_mse
from core.models.inference import ae_decode, ae_encode
from core.models.pca import pca_basis
from core.paths import cache_dir
from core.ratedistortion.codecs import (
    IMAGE_CODECS,
    LATENT_STORAGE,
    codec_record,
    make_record,
    roundtrip_images,
    store_codes,
)
from core.storage.atomic import atomic_write_text, locked
from core.storage.cache import cached_arrays

#: Bumped whenever the way records are computed changes, so old cache entries are ignored.
RD_VERSION = 3
#: The error threshold the targets speak of ("the smallest bytes at which each method reaches MSE ≤ 0.01").
TARGET_MSE = 0.01
LATENT_FAMILIES = ("auto-encoder", "PCA")
SHORT = {"auto-encoder": "AE", "PCA": "PCA"}


# --- latent methods: codes cached per model, decoded after storage ---------------------------------


def _pca_encode(latent_dim: int, x: np.ndarray) -> np.ndarray:
    return pca_basis().encode(x, latent_dim).astype(np.float32)


def _pca_decode(latent_dim: int, codes: np.ndarray) -> np.ndarray:
    return pca_basis().decode(np.asarray(codes, np.float32)).astype(np.float32)


#: The name `core.evaluation.evaluate` knows each latent family by.
EVALUATE_METHOD = {"auto-encoder": "ae", "PCA": "pca"}
CODERS: dict[str, tuple[Callable, Callable]] = {
    "auto-encoder": (ae_encode, ae_decode),
    "PCA": (_pca_encode, _pca_decode),
}


def _source(family: str, latent_dim: int) -> str:
    return source_key(EVALUATE_METHOD[family], latent_dim)


def set_codes(family: str, latent_dim: int, n_images: int | None = None) -> np.ndarray:
    """Codes of the first `n_images` test digits (all by default), disk-cached per model."""
    x = load_split("test").float_images(slice(n_images))
    encode = CODERS[family][0]
    key = f"{_source(family, latent_dim)}_n{len(x)}"
    return cached_arrays("rd_codes", key, lambda: {"codes": encode(latent_dim, x)})["codes"]


# --- records ---------------------------------------------------------------------------------------


def method_name(family: str, storage: str | None = None) -> str:
    return f"{SHORT.get(family, family)} {storage}" if storage else family


def compute_records(latent_dims: list[int] | None = None, n_images: int | None = None) -> list[dict]:
    """Every method's records on the first `n_images` test digits (all 10,000 by default); no cache.

    Latent codes first (torch, in this process; float32 codes decode to exactly the model's
    reconstructions, whose per-image errors `core.evaluation.evaluate` already keeps), then the image
    codecs (Pillow, one digit at a time) in worker processes, one per core.
    """
    dims = available_latent_dims() if latent_dims is None else latent_dims
    images = np.ascontiguousarray(load_split("test").images[:n_images])
    x = to_unit_float(images)
    tasks = [(codec, q) for codec, qualities in IMAGE_CODECS.items() for q in qualities]
    records = []
    for family, (_, decode) in CODERS.items():
        for d in dims:
            codes = set_codes(family, d, n_images)
            for storage in LATENT_STORAGE:
                nbytes, stored = store_codes(codes, storage)
                if storage == "float32":  # stored exactly: the decoded image is the model's own reconstruction,
                    err = evaluate(EVALUATE_METHOD[family], d).image_mse[: len(x)]  # whose error evaluate() keeps
                else:
                    err = per_image_mse(x, decode(d, stored))
                params = {"latent_dim": d, "storage": storage}
                records.append(make_record(method_name(family, storage), family, f"d={d}", params, nbytes, err))
    args = list(zip(*[(images, c, q) for c, q in tasks], strict=True))
    if threading.current_thread() is not threading.main_thread():
        # Inside the dashboard (a Streamlit script thread) worker processes are not started: spawning
        # them from there hung on a fresh cache (seen under AppTest). The records are computed once,
        # one codec after another, then cached; the CLI and the benchmarks use the workers below.
        return records + list(map(codec_record, *args))
    # After torch is done, so its threads and the codec workers don't fight over the cores.
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return records + list(pool.map(codec_record, *args))


def _cache_key(dims: list[int], n_images: int | None) -> str:
    import PIL

    sources = [_source(f, d) for f in CODERS for d in dims]
    spec = json.dumps([RD_VERSION, data_digest(), sources, PIL.__version__, IMAGE_CODECS, LATENT_STORAGE, n_images])
    return hashlib.sha256(spec.encode()).hexdigest()[:24]


def rd_records(latent_dims: list[int] | None = None, n_images: int | None = None) -> list[dict]:
    """The records, from the disk cache when present (atomic JSON under a lock), else computed once."""
    dims = available_latent_dims() if latent_dims is None else list(latent_dims)
    path = cache_dir() / "ratedistortion" / f"records_{_cache_key(dims, n_images)}.json"

    def read() -> list[dict] | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    hit = read()
    if hit is not None:
        return hit
    with locked(path):
        hit = read()  # another process may have written it while we waited
        if hit is not None:
            return hit
        records = compute_records(dims, n_images)
        atomic_write_text(path, json.dumps(records) + "\n")
        return records


# --- reading the records ---------------------------------------------------------------------------


def methods(records: list[dict]) -> list[str]:
    """Method names in the order they first appear."""
    return list(dict.fromkeys(r["method"] for r in records))


def closest_points(records: list[dict], budget: float) -> list[dict]:
    """Each method's operating point closest to `budget` bytes per image (in log terms)."""
    out = []
    for m in methods(records):
        pts = [r for r in records if r["method"] == m]
        out.append(min(pts, key=lambda r: (abs(math.log(r["bytes_per_image"] / budget)), r["mse"])))
    return out


def bytes_to_reach(records: list[dict], max_mse: float = TARGET_MSE) -> dict[str, dict | None]:
    """Per method, its cheapest operating point with MSE ≤ `max_mse` (None if it never gets there)."""
    out: dict[str, dict | None] = {}
    for m in methods(records):
        ok = [r for r in records if r["method"] == m and r["mse"] <= max_mse]
        out[m] = min(ok, key=lambda r: r["bytes_per_image"]) if ok else None
    return out


def frontier(records: list[dict]) -> list[dict]:
    """The best-of-all curve: points no other point beats with as few bytes and a lower error, cheapest first."""
    best, out = math.inf, []
    for r in sorted(records, key=lambda r: (r["bytes_per_image"], r["mse"])):
        if r["mse"] < best:
            out.append(r)
            best = r["mse"]
    return out


def _b(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def where_it_wins(records: list[dict], family: str = "auto-encoder", max_mse: float = TARGET_MSE) -> str:
    """Where `family` (the auto-encoder by default) is the best of all methods and where it isn't, from the data."""
    front = frontier(records)
    mine = [r for r in front if r["family"] == family]
    if not mine:
        return f"The {family} is never the best choice here: at every size another method has a lower error."
    lo, hi = mine[0]["bytes_per_image"], mine[-1]["bytes_per_image"]
    after = [r for r in front if r["bytes_per_image"] > hi]
    text = (
        f"**Where the {family} wins:** from {_b(lo)} to {_b(hi)} bytes per image, its points "
        f"({', '.join(sorted({r['method'] for r in mine}))}) make up the best-of-all curve: no other method "
        f"gets as low an error with as few bytes."
    )
    others = [r for r in front if r["family"] != family and lo <= r["bytes_per_image"] <= hi]
    if others:
        text += f" (Inside that range {', '.join(sorted({r['method'] for r in others}))} also lead at some sizes.)"
    if after:
        first = after[0]
        lossless = next((r for r in after if r["mse"] == 0), None)
        text += (
            f" **Where it doesn't:** above {_b(hi)} bytes, {first['method']} ({first['setting']}) has a lower error "
            f"(MSE {first['mse']:.5f} at {_b(first['bytes_per_image'])} bytes) than any {family} point"
        )
        text += (
            f", and {lossless['method']} stores the digit exactly in {_b(lossless['bytes_per_image'])} bytes."
            if lossless
            else "."
        )
    reach = bytes_to_reach(records, max_mse)
    fam = [r for m, r in reach.items() if r and r["family"] == family]
    if fam:
        best = min(fam, key=lambda r: r["bytes_per_image"])
        rivals = [r for r in reach.values() if r and r["family"] != family]
        rival = min(rivals, key=lambda r: r["bytes_per_image"]) if rivals else None
        text += (
            f" To reach MSE ≤ {max_mse:g} it needs {_b(best['bytes_per_image'])} bytes ({best['method']}, "
            f"{best['setting']})"
        )
        text += (
            f"; the cheapest other method, {rival['method']} ({rival['setting']}), needs "
            f"{_b(rival['bytes_per_image'])} ({rival['bytes_per_image'] / best['bytes_per_image']:.1f}×)."
            if rival
            else "."
        )
    return text


# --- one operating point on a few images (the page's side-by-side view) ----------------------------


def reconstruct_point(record: dict, indices: list[int]) -> np.ndarray:
    """What a reader gets back for test digits `indices` at this operating point, float32 (k, 28, 28).

    Latent methods store the whole set's codes (8-bit offsets and steps depend on the set)
    and decode just the rows asked for; image codecs encode and decode those digits.
    """
    params, idx = record["params"], list(indices)
    if "latent_dim" in params:
        codes = set_codes(record["family"], params["latent_dim"], record["n_images"])
        _, stored = store_codes(codes, params["storage"])
        return CODERS[record["family"]][1](params["latent_dim"], stored[idx])
    _, decoded = roundtrip_images(np.asarray(load_split("test").images)[idx], params["codec"], params["quality"])
    return to_unit_float(decoded)


def main(argv: list[str] | None = None) -> int:
    from core.checkpoints.files import CheckpointError
    from core.data.mnist import DataError

    parser = argparse.ArgumentParser(prog="python -m core.ratedistortion", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the records as one JSON list")
    parser.add_argument("--n-images", type=int, default=None, help="only the first N test digits (default: all)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        records = rd_records(n_images=args.n_images)
    except (CheckpointError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    print(f"{'method':<12} {'setting':<12} {'bytes/image':>11} {'MSE':>9} {'PSNR dB':>8}")
    for r in records:
        p = "inf" if r["psnr"] is None else f"{r['psnr']:.2f}"
        print(f"{r['method']:<12} {r['setting']:<12} {r['bytes_per_image']:>11.2f} {r['mse']:>9.6f} {p:>8}")
    print(f"\n{where_it_wins(records)}\n({time.perf_counter() - start:.1f} s)")
    return 0
