"""Benchmarks of the rate–distortion records (issues 5 and 21) and the classifier: bench/results/ratedistortion.md.

First computation: `python -m core.ratedistortion --json` in a fresh process whose cache
folder holds only what other features keep there (the decoded MNIST arrays, the PCA fit,
and `core.evaluate`'s per-image errors, which give the float32 codes' errors), so every
code, every 8-bit and float16 decode, every codec pass, the auto-encoder codec's files and
every record are computed. Cached read: `rd_records()` in process, and the CLI in a fresh
process, both from the disk cache. The page's revisit: an AppTest rerun with its caches warm.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import data_digest, load_split
from core.evaluation.evaluate import evaluate
from core.models.pca import pca_basis
from core.paths import REPO_ROOT, cache_dir
from core.ratedistortion.codecs import AS_NUMBERS, HEADERS_SHARED, PER_FILE, encode_image
from core.ratedistortion.records import (
    CLASSICAL,
    CODEC_FAMILY,
    TARGET_MSE,
    cheapest,
    framing,
    rd_records,
    verdict_at,
)
from core.ratedistortion.shared import JPEG_XL_MOSAIC_EFFORTS, decode_set, tile


def _cli(env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (all processes, workers included) of one CLI run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "core.ratedistortion", "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rd_timings(cached_repeats: int = 5) -> dict:
    pca_basis()  # make sure the shared PCA fit exists before copying it
    load_split("test")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        os.symlink(cache_dir() / "mnist", fresh / "mnist")
        pca = f"pca_{data_digest()}.npz"
        os.symlink(cache_dir() / pca, fresh / pca)
        for d in available_latent_dims():
            for method in ("ae", "pca"):
                evaluate(method, d)  # make sure evaluate's cache is complete before sharing it
        os.symlink(cache_dir() / "eval", fresh / "eval")
        load_before = os.getloadavg()[0]
        first_wall, first_cpu = _cli({"AECL_CACHE_DIR": str(fresh)})
        load_after = os.getloadavg()[0]
        cli_cached = statistics.median(_cli({"AECL_CACHE_DIR": str(fresh)})[0] for _ in range(3))
    rd_records()  # the project's own cache (computed once if it isn't yet)
    times = []
    for _ in range(cached_repeats):
        t = time.perf_counter()
        rd_records()
        times.append(time.perf_counter() - t)
    return {
        "first_s": first_wall,
        "first_cpu_s": first_cpu,
        "load_before": load_before,
        "load_after": load_after,
        "cached_s": statistics.median(times),
        "cli_cached_s": cli_cached,
    }


def classifier_figures() -> dict:
    from core.checkpoints.classifier import load_classifier
    from core.models.classifier import accuracy

    model, meta = load_classifier()
    test = load_split("test")
    return {
        "accuracy": accuracy(model, test.images, test.labels),
        "wall_s": meta["wall_time_s"],
        "cpu_s": meta.get("cpu_time_s"),
        "epochs": meta["config"]["epochs"],
        "epoch_s": [h["elapsed_s"] for h in meta["history"]],
    }


def page_revisit(reruns: int = 5) -> dict:
    """Seconds for the Rate–distortion page to rerun with its caches warm (AppTest; the first run warms them)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "pages" / "rate_distortion.py"), default_timeout=600)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    times = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    assert not at.exception, [e.message for e in at.exception]
    return {"first_s": first, "revisit_s": statistics.median(times)}


def jpeg_xl_effort(distance: float = 20.0, effort: int = 9) -> dict:
    """What libjxl's slowest effort would buy on the shared mosaic, against the effort the records use."""
    import imagecodecs

    images = load_split("test").images
    mosaic = tile(images)
    start = time.perf_counter()
    blob = imagecodecs.jpegxl_encode(mosaic, level=None, distance=distance, effort=effort, numthreads=1)
    seconds = time.perf_counter() - start
    back = decode_set(blob, "JPEG XL", len(images))
    mse = float(np.mean((back / 255.0 - images / 255.0) ** 2))
    ours = min(len(encode_image(mosaic, "JPEG XL", (distance, e))) for e in JPEG_XL_MOSAIC_EFFORTS)
    return {"distance": distance, "effort": effort, "bytes": len(blob) / len(images), "mse": mse, "s": seconds,
            "ours_bytes": ours / len(images)}  # fmt: skip


def best_per_framing(records: list[dict], max_mse: float = TARGET_MSE) -> list[list[str]]:
    """Per codec: its cheapest point at MSE ≤ max_mse a file per digit and with headers shared, × the codec's bytes."""
    codec = cheapest(records, lambda r: r["family"] == CODEC_FAMILY, max_mse)
    numbers = cheapest(records, lambda r: framing(r) == AS_NUMBERS, max_mse)

    def cell(r: dict | None) -> str:
        if r is None:
            return "–"
        times = f"; {r['bytes_per_image'] / codec['bytes_per_image']:.1f}×" if codec else ""
        return f"{r['bytes_per_image']:,.1f} B, MSE {r['mse']:.4f} ({r['setting']}{times})"

    rows = []
    if codec:
        rows.append([f"**auto-encoder codec** ({codec['method']})", "–", f"**{cell(codec)}**"])
    for family in CLASSICAL:
        pts = {
            f: cheapest(records, lambda r, f=f, c=family: r["family"] == c and framing(r) == f, max_mse)
            for f in (PER_FILE, HEADERS_SHARED)
        }
        if any(pts.values()):
            rows.append([family, cell(pts[PER_FILE]), cell(pts[HEADERS_SHARED])])
    if numbers:
        rows.append([f"codes as bare numbers ({numbers['method']}, no file format)", "–", cell(numbers)])
    return rows


def all_points(records: list[dict]) -> list[list[str]]:
    """One row per method: its operating points as bytes per digit → MSE, cheapest first."""
    rows = []
    for m in dict.fromkeys(r["method"] for r in records):
        pts = sorted((r for r in records if r["method"] == m), key=lambda r: r["bytes_per_image"])
        text = "; ".join(
            f"{r['bytes_per_image']:,.1f} → " + (f"{r['mse']:.4f}" if r["mse"] else "lossless") for r in pts
        )
        rows.append([m, framing(pts[0]), text])
    return rows


def section() -> str:
    """bench/results/ratedistortion.md: both framings at MSE ≤ 0.01, every operating point, timings, the classifier."""
    from bench.report import stamp, table

    t = rd_timings()
    records = rd_records()
    page = page_revisit()
    jxl = jpeg_xl_effort()
    c = classifier_figures()
    cpu = f", {c['cpu_s']:.0f} CPU-seconds" if c["cpu_s"] else ""
    best_rows = best_per_framing(records)
    measures = [
        [
            "all records, codec included, first computation (CLI, fresh cache but MNIST, PCA fit and per-image "
            "errors; s)",
            f"{t['first_s']:.1f} ({t['first_cpu_s']:.0f} CPU-s; load average {t['load_before']:.1f} before, "
            f"{t['load_after']:.1f} after)",
            "≤ 90 s",
        ],
        ["all records from the disk cache, in process (median of 5, s)", f"{t['cached_s']:.3f}", "≤ 1 s"],
        ["the CLI from the disk cache, fresh process (median of 3, s)", f"{t['cli_cached_s']:.2f}", ""],
        ["Rate–distortion page, first run in this process (AppTest, s)", f"{page['first_s']:.2f}", ""],
        ["Rate–distortion page, revisit (AppTest rerun, caches warm, median of 5, s)", f"{page['revisit_s']:.2f}",
         "≤ 1 s"],
        ["classifier accuracy on the 10,000 clean test digits (evaluated now)", f"{100 * c['accuracy']:.2f} %",
         "≥ 99 %"],
        [
            f"classifier training, {c['epochs']} epochs (recorded when shipped, s)",
            f"{c['wall_s']:.0f}{cpu}; epochs ended at " + ", ".join(f"{e:.0f}" for e in c["epoch_s"]),
            "≤ 180 s",
        ],
    ]  # fmt: skip
    return (
        "## Rate–distortion and recognisability\n\n"
        + stamp()
        + "\n"
        + table(["measure", "value", "target"], measures)
        + f"\n\n### Each codec at its best setting for MSE ≤ {TARGET_MSE:g}, in both framings\n\n"
        + table(["codec", "a file per digit (headers in each)", "one file for all 10,000 digits"], best_rows)
        + f"\n\n{verdict_at(records)} (× : bytes against the auto-encoder codec's.) A file per digit: each digit "
        "encoded alone, headers included; one file: the 10,000 digits as one 100 × 100 mosaic (LZMA: the raw "
        "bytes in a row), bytes per digit = file size / 10,000, each digit's error measured on the decoded "
        "mosaic cut back into digits.\n\n"
        f"JPEG XL runs at efforts {' and '.join(map(str, JPEG_XL_MOSAIC_EFFORTS))} on the mosaic in the records "
        f"(libjxl is not monotone in effort at high distances). At distance {jxl['distance']:g}, libjxl's effort "
        f"{jxl['effort']} gives {jxl['bytes']:.1f} B per digit (MSE {jxl['mse']:.4f}) against "
        f"{jxl['ours_bytes']:.1f} B at the better of the records' efforts, and took "
        f"{jxl['s']:.0f} s for that one file: too slow for a sweep within the records' time budget.\n\n"
        "### Every operating point (bytes per digit → MSE)\n\n"
        + table(["method", "stored as", "operating points"], all_points(records))
        + "\n\nBytes are measured lengths on all 10,000 test digits; for 8-bit codes the per-dimension offsets and "
        "steps are counted once for the set (8·d / 10,000 bytes per image). The machine is shared with other work; "
        "wall times under load are given with the CPU-seconds they used.\n"
    )
