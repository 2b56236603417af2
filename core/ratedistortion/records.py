"""Rate–distortion: bytes per image against error, for every way of storing a digit.

Every method produces the same record per operating point, so one chart and one table
serve them all (CompressAI's idea):

    {"method": "AE 8-bit", "family": "auto-encoder", "setting": "d=8",
     "params": {"latent_dim": 8, "storage": "8-bit"},
     "bytes_per_image": 8.0064, "mse": 0.0171, "psnr": 17.7, "n_images": 10000}

Methods, in three framings (`framing`):
- headers shared: the auto-encoder codec's files (`core.codec`, one file for the set); JPEG, WebP
  and JPEG XL sweeps on one mosaic of the set; PNG, WebP and JPEG XL lossless on it; LZMA over
  the raw bytes (core/ratedistortion/shared.py);
- per file: JPEG, WebP and JPEG XL sweeps, PNG and the raw 784 bytes, each digit its own file;
- codes as numbers: the auto-encoder at every trained level and PCA at the same sizes, codes
  stored as float32, float16 and 8-bit: bare numbers, not a file format.
Bytes are measured lengths, never estimates. Lossless points have `mse` 0 and `psnr` null (infinite).

Records are computed for the whole test set once and kept as JSON in the disk cache,
keyed by everything they depend on (data, each checkpoint's weights digest, the codec
libraries' versions, the sweeps), so a retrained model or a new sweep can't be served stale;
the codec's records have their own cache, keyed by its models. `python -m core.ratedistortion --json`
prints them.
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
from core.models.pca import pca_basis
from core.models.torch_thread import torch_threads
from core.progress import ProgressCallback
from core.ratedistortion.codecs import (
    AS_NUMBERS,
    HEADERS_SHARED,
    IMAGE_CODECS,
    JPEG_XL_EFFORT,
    LATENT_STORAGE,
    PER_FILE,
    WEBP_METHOD,
    make_record,
    roundtrip_images,
    setting_of,
    store_codes,
)
from core.ratedistortion.shared import LZMA_PRESET, SHARED_CODECS, roundtrip_set
from core.ratedistortion.tasks import (
    held_codec_records,
    held_record,
    hold_images,
    image_codec_record,
    image_tasks,
    slowest_first,
)
from core.storage.cache import cached_arrays, is_cached

#: Bumped whenever the way records are computed changes, so old cache entries are ignored.
RD_VERSION = 9
#: The error threshold the targets speak of ("the smallest bytes at which each method reaches MSE ≤ 0.01").
TARGET_MSE = 0.01
LATENT_FAMILIES = ("auto-encoder", "PCA")
SHORT = {"auto-encoder": "AE", "PCA": "PCA"}
#: The auto-encoder codec's family (`core.codec`'s records).
CODEC_FAMILY = "AE codec"
#: Families that are classical codecs (not a learned model).
CLASSICAL = ("JPEG", "WebP", "JPEG XL", "PNG", "raw", "LZMA")


# --- latent methods: codes cached per model, decoded after storage ---------------------------------


def _ae_encode(latent_dim: int, x: np.ndarray) -> np.ndarray:
    from core.models.inference import ae_encode  # torch: only where a model runs, not where records hold

    return ae_encode(latent_dim, x)


def _ae_decode(latent_dim: int, codes: np.ndarray) -> np.ndarray:
    from core.models.inference import ae_decode

    return ae_decode(latent_dim, codes)


def _pca_encode(latent_dim: int, x: np.ndarray) -> np.ndarray:
    return pca_basis().encode(x, latent_dim).astype(np.float32)


def _pca_decode(latent_dim: int, codes: np.ndarray) -> np.ndarray:
    return pca_basis().decode(np.asarray(codes, np.float32)).astype(np.float32)


#: The name `core.evaluation.evaluate` knows each latent family by.
EVALUATE_METHOD = {"auto-encoder": "ae", "PCA": "pca"}
CODERS: dict[str, tuple[Callable, Callable]] = {
    "auto-encoder": (_ae_encode, _ae_decode),
    "PCA": (_pca_encode, _pca_decode),
}


def _source(family: str, latent_dim: int) -> str:
    return source_key(EVALUATE_METHOD[family], latent_dim)


def set_codes(family: str, latent_dim: int, n_images: int | None = None) -> np.ndarray:
    """Codes of the first `n_images` test digits (all by default), disk-cached per model."""
    test, encode = load_split("test"), CODERS[family][0]

    def compute() -> dict[str, np.ndarray]:
        return {"codes": encode(latent_dim, test.float_images(slice(n_images)))}

    key = f"{_source(family, latent_dim)}_n{len(test.images[:n_images])}"
    return cached_arrays("rd_codes", key, compute)["codes"]


# --- records ---------------------------------------------------------------------------------------


def method_name(family: str, storage: str | None = None) -> str:
    return f"{SHORT.get(family, family)} {storage}" if storage else family


def compute_records(
    latent_dims: list[int] | None = None, n_images: int | None = None, progress: ProgressCallback | None = None
) -> list[dict]:
    """Every method's records on the first `n_images` test digits (all 10,000 by default); no cache.

    The auto-encoder codec's qualities (when its own cache, `codec_points`, is cold) and the image codecs run
    in worker processes, one per core, the codec and then the slowest tasks first, while this process computes
    the latent codes' records (float32 codes decode to exactly the model's reconstructions, whose per-image
    errors `core.evaluation.evaluate` already keeps): they overlap, so the cores stay busy. Torch runs on one
    thread in each process meanwhile, since they share the cores.
    """
    dims = available_latent_dims() if latent_dims is None else latent_dims
    images = np.ascontiguousarray(load_split("test").images[:n_images])
    tasks = image_tasks()
    if threading.current_thread() is not threading.main_thread():
        # Inside the dashboard (a Streamlit script thread) worker processes are not started: spawning
        # them from there hung on a fresh cache (seen under AppTest). The records are computed once,
        # one codec after another, then cached; the CLI and the benchmarks use the workers below.
        # `progress` is reported here only: from this thread the page can draw it.
        report = progress or (lambda fraction, message: None)
        report(0.0, "the codes as numbers")
        records = latent_records(dims, images, n_images)
        for i, task in enumerate(tasks):
            report((i + 1) / (len(tasks) + 1), f"{task[1]}, {task[0]} (setting {i + 1} of {len(tasks)})")
            records.append(image_codec_record(images, *task))
        report(1.0, "done")
        return records
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=hold_images, initargs=(images,)) as pool:
        codec = [pool.submit(held_codec_records, n) for n in _codec_qualities_to_measure(n_images)]
        pending = {t: pool.submit(held_record, *t) for t in slowest_first(tasks)}
        with torch_threads(1):
            records = latent_records(dims, images, n_images)
        if codec:
            measured = [r for f in codec for r in f.result()]
            codec_points(n_images, compute=lambda: measured)
        return records + [pending[t].result() for t in tasks]


def latent_records(dims: list[int], images: np.ndarray, n_images: int | None) -> list[dict]:
    """The auto-encoder's and PCA's codes stored as numbers, at every size in `dims`."""
    x = to_unit_float(images)
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
                params = {"latent_dim": d, "storage": storage, "framing": AS_NUMBERS}
                records.append(make_record(method_name(family, storage), family, f"d={d}", params, nbytes, err))
    return records


def codec_points(n_images: int | None = None, compute: Callable[[], list[dict]] | None = None) -> list[dict]:
    """The auto-encoder codec's records (real files, `core.codec`), or none where the codec isn't installed;
    `compute` makes them when they aren't cached (`codec_records`)."""
    try:
        from core.codec import codec_records
    except ImportError:
        return []
    return codec_records(n_images, compute)


def _codec_qualities_to_measure(n_images: int | None) -> list[int]:
    """The codec qualities whose records aren't cached yet (all or none), for the workers to measure."""
    try:
        from core.codec import codec_records_cached, qualities
    except ImportError:
        return []
    return [] if codec_records_cached(n_images) else [q.number for q in qualities()]


def _cache_key(dims: list[int], n_images: int | None) -> str:
    import imagecodecs
    import PIL

    sources = [_source(f, d) for f in CODERS for d in dims]
    libraries = [PIL.__version__, imagecodecs.__version__, imagecodecs.jpegxl_version(), WEBP_METHOD, JPEG_XL_EFFORT]
    sweeps = [IMAGE_CODECS, SHARED_CODECS, LATENT_STORAGE, LZMA_PRESET]
    spec = json.dumps([RD_VERSION, data_digest(), sources, libraries, sweeps, n_images])
    return hashlib.sha256(spec.encode()).hexdigest()[:24]


def rd_records(
    latent_dims: list[int] | None = None, n_images: int | None = None, progress: ProgressCallback | None = None
) -> list[dict]:
    """Every record, the codec's first: read from the disk cache (or the shipped records), else computed once."""
    dims = available_latent_dims() if latent_dims is None else list(latent_dims)
    arrays = cached_arrays(
        "ratedistortion",
        f"records_{_cache_key(dims, n_images)}",
        lambda: {"json": np.array(json.dumps(compute_records(dims, n_images, progress)))},
    )
    return codec_points(n_images) + json.loads(str(arrays["json"]))


def rd_records_are_cached(latent_dims: list[int], n_images: int | None = None) -> bool:
    """Whether `rd_records` would read its records (disk cache or shipped records) rather than compute them."""
    from core.codec import codec_records_cached

    return is_cached("ratedistortion", f"records_{_cache_key(latent_dims, n_images)}") and codec_records_cached(
        n_images
    )


def framing(record: dict) -> str:
    """How a record's method stores the set: per file, headers shared (one file), or codes as numbers."""
    return record["params"].get("framing", HEADERS_SHARED if record["family"] == CODEC_FAMILY else PER_FILE)


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
    return f"{x:,.0f}" if x >= 10 else f"{x:.2f}"


def cheapest(records: list[dict], keep: Callable[[dict], bool], max_mse: float = TARGET_MSE) -> dict | None:
    """The fewest-bytes record among those `keep` accepts with MSE ≤ `max_mse` (None if none gets there)."""
    ok = [r for r in records if keep(r) and r["mse"] <= max_mse]
    return min(ok, key=lambda r: r["bytes_per_image"]) if ok else None


def learned_family(records: list[dict]) -> str:
    """The learned method the verdict speaks for: the codec's real files when present, else the codes as numbers."""
    return CODEC_FAMILY if any(r["family"] == CODEC_FAMILY for r in records) else "auto-encoder"


def _against(classical: dict | None, mine: dict, how: str) -> str:
    if classical is None:
        return f"never gets there {how}"
    ratio = classical["bytes_per_image"] / mine["bytes_per_image"]
    cmp = f"{ratio:.1f}× more" if ratio >= 1 else f"{1 / ratio:.1f}× fewer: it wins here"
    return (
        f"{_b(classical['bytes_per_image'])} B {how} ({classical['method'].split(' · ')[0]}, "
        f"{classical['setting']}; {cmp})"
    )


def verdict_at(records: list[dict], family: str | None = None, max_mse: float = TARGET_MSE) -> str:
    """Bytes per digit the learned `family` and the best classical codec need for MSE ≤ `max_mse`, in both framings."""
    family = family or learned_family(records)
    name = "auto-encoder codec" if family == CODEC_FAMILY else family
    mine = cheapest(records, lambda r: r["family"] == family and framing(r) != PER_FILE, max_mse) or cheapest(
        records, lambda r: r["family"] == family, max_mse
    )
    if mine is None:
        return f"The {name} never reaches MSE ≤ {max_mse:g} here."
    # the codec's own files, one per digit, where it has them: weighed against the classical files of one digit
    mine_alone = cheapest(records, lambda r: r["family"] == family and framing(r) == PER_FILE, max_mse)
    best = {
        f: cheapest(records, lambda r, f=f: r["family"] in CLASSICAL and framing(r) == f, max_mse)
        for f in (PER_FILE, HEADERS_SHARED)
    }
    what = "" if family == CODEC_FAMILY else " stored as bare numbers, no file format"
    alone = (
        f" As a file per digit its own files take **{_b(mine_alone['bytes_per_image'])} B** each."
        if mine_alone is not None and mine_alone is not mine
        else ""
    )
    return (
        f"**At MSE ≤ {max_mse:g}** the {name} needs **{_b(mine['bytes_per_image'])} B per digit** "
        f"({mine['method']}, {mine['setting']}{what}).{alone} The best classical codec needs "
        f"{_against(best[PER_FILE], mine_alone or mine, 'as a file per digit')} and "
        f"{_against(best[HEADERS_SHARED], mine, 'with headers shared, all digits in one file')}."
    )


def where_it_wins(records: list[dict], family: str | None = None, max_mse: float = TARGET_MSE) -> str:
    """The verdict in both framings (`verdict_at`), then where `family` is the best of all methods, from the data.

    `family` defaults to the codec when its records are present (`learned_family`). A method that writes
    files is weighed against files only: codes as bare numbers are left out of its best-of-all curve.
    """
    family = family or learned_family(records)
    name = "auto-encoder codec" if family == CODEC_FAMILY else family
    mine_framing = next((framing(r) for r in records if r["family"] == family), AS_NUMBERS)
    pool = [r for r in records if mine_framing == AS_NUMBERS or framing(r) != AS_NUMBERS]
    front = frontier(pool)
    mine = [r for r in front if r["family"] == family]
    text = verdict_at(records, family, max_mse)
    if not mine:
        return text + f" The {name} is never the best choice here: at every size another method has a lower error."
    lo, hi = mine[0]["bytes_per_image"], mine[-1]["bytes_per_image"]
    after = [r for r in front if r["bytes_per_image"] > hi]
    text += (
        f" **Where the {name} wins:** from {_b(lo)} to {_b(hi)} bytes per digit, its points "
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
            f"(MSE {first['mse']:.5f} at {_b(first['bytes_per_image'])} bytes) than any {name} point"
        )
        text += (
            f", and {lossless['method']} stores the digits exactly in {_b(lossless['bytes_per_image'])} bytes each."
            if lossless
            else "."
        )
    return text


# --- one operating point on a few images (the page's side-by-side view) ----------------------------


#: The page's byte budgets (bytes per image): powers of two up to float32 codes of d=392; and the one it opens on.
BUDGETS = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1568]
DEFAULT_BUDGET = 32


def side_by_side_indices(n: int = 10) -> list[int]:
    """The digits the page shows at a budget: the first test digit of each class."""
    labels = load_split("test").labels
    return [int((labels == d).argmax()) for d in range(n)]


def _point_key(record: dict, indices: list[int]) -> str:
    """The disk cache's key for a point's images: what they are computed from (the latent codes of all digits,
    the codec's model and weights, or the classical codecs' library versions). Every point is kept, so the
    page's side-by-side digits ship with the records: even a point that codes just the digits asked for runs
    a pure-Python exact coder or an image codec per digit on each new server."""
    params = record["params"]
    if "storage" in params:
        inputs = _source(record["family"], params["latent_dim"])
    elif record["family"] == CODEC_FAMILY:
        from core.codec.fileformat import FORMAT_VERSION
        from core.codec.store import read_codec_meta

        inputs = [data_digest(), params["model"], read_codec_meta(params["model"])["weights_sha256"], FORMAT_VERSION]
    else:
        import imagecodecs
        import PIL

        inputs = [data_digest(), PIL.__version__, imagecodecs.__version__, imagecodecs.jpegxl_version()]
    spec = [RD_VERSION, record["method"], record["setting"], params, record["n_images"], inputs, indices]
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


def reconstruct_point(record: dict, indices: list[int]) -> np.ndarray:
    """What a reader gets back for test digits `indices` at this operating point, float32 (k, 28, 28).

    Latent methods store the whole set's codes (8-bit offsets and steps depend on the set)
    and decode just the rows asked for; a shared file is the whole set's, decoded and cut. Per-file
    codecs and the codec (which codes each digit on its own) encode just those digits. Every point is
    kept in the disk cache (`_point_key`).
    """
    idx = [int(i) for i in indices]
    key = _point_key(record, idx)
    return cached_arrays("rd_points", key, lambda: {"images": _reconstruct_point(record, idx)})["images"]


def _reconstruct_point(record: dict, idx: list[int]) -> np.ndarray:
    params = record["params"]
    test = load_split("test")
    if record["family"] == CODEC_FAMILY:
        from core.codec import compress, decompress

        return decompress(compress(np.asarray(test.images)[idx], params["quality"])).images
    if "storage" in params:
        codes = set_codes(record["family"], params["latent_dim"], record["n_images"])
        _, stored = store_codes(codes, params["storage"])
        return CODERS[record["family"]][1](params["latent_dim"], stored[idx])
    if framing(record) == HEADERS_SHARED:
        _, decoded = roundtrip_set(np.asarray(test.images[: record["n_images"]]), params["codec"], setting_of(params))
        return to_unit_float(decoded[idx])
    _, decoded = roundtrip_images(np.asarray(test.images)[idx], params["codec"], setting_of(params))
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
    print(f"{'method':<26} {'setting':<20} {'bytes/image':>11} {'MSE':>9} {'PSNR dB':>8}")
    for r in records:
        p = "inf" if r["psnr"] is None else f"{r['psnr']:.2f}"
        print(f"{r['method']:<26} {r['setting']:<20} {r['bytes_per_image']:>11.2f} {r['mse']:>9.6f} {p:>8}")
    print(f"\n{where_it_wins(records)}\n({time.perf_counter() - start:.1f} s)")
    return 0
