"""Controlled degradation: how finely can quality be set, and does error always fall as the knob gives more?

Operating points are what a user can pick: the auto-encoder's trained latent sizes (and the codec's
qualities when `core.codec` has some), JPEG's and WebP's integer quality settings 0–100 (identical
outputs counted once). Fineness is distinct points per decade of error the method spans; a violation
is a step up the knob (more numbers, higher quality) whose mean error rises. Intervals: bootstrap over
the test digits (the same resamples for every method).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from core.claims.record import N_BOOT, ClaimRecord, Part, as_interval, cached_record, part
from core.data.mnist import data_digest, load_split
from core.evaluation.metrics import bootstrap_indices

COMMAND = "python -m core.claims degradation"
#: Every integer quality Pillow takes: the knob's own resolution, not a sweep we chose.
QUALITIES = tuple(range(0, 101))
#: Test digits each setting is scored on (every `SAMPLE_STEP`-th): 101 settings x 2 codecs fit the 60 s budget.
SAMPLE_STEP = 50
IMAGE_CODECS = ("JPEG", "WebP")


def codec_points() -> list[dict]:
    """The learned codec's qualities (`core.codec`), or none while it isn't there or doesn't load."""
    try:
        from core.codec.store import qualities
    except ImportError:
        return []
    try:
        return [{"setting": q.label, "knob": float(q.number), "mse": float(q.mse)} for q in qualities()]
    except (AttributeError, KeyError, TypeError, ValueError, RuntimeError):  # a codec that doesn't load: skip it
        return []


def inputs_key(dims: list[int]) -> str:
    import PIL

    from core.evaluation.evaluate import source_key

    spec = [source_key("ae", d) for d in dims] + [PIL.__version__, data_digest(), SAMPLE_STEP, len(QUALITIES)]
    spec += [(p["setting"], p["mse"]) for p in codec_points()]
    return hashlib.sha256(repr(spec).encode()).hexdigest()[:24]


def measure(latent_dims: list[int] | None = None) -> dict[str, np.ndarray]:
    """Per-image errors (settings x digits) of each method on the sample, with each setting's knob value."""
    from core.checkpoints.loaded import available_latent_dims
    from core.evaluation.evaluate import evaluate
    from core.ratedistortion.codecs import roundtrip_images
    from core.storage.cache import cached_arrays

    dims = available_latent_dims() if latent_dims is None else latent_dims

    def compute() -> dict[str, np.ndarray]:
        sample = np.arange(0, len(load_split("test")), SAMPLE_STEP)
        images = load_split("test").images[sample]
        out = {
            "ae_knob": np.array(dims, float),
            "ae_err": np.stack([evaluate("ae", d).image_mse[sample] for d in dims]),
        }
        ref = images.reshape(len(images), -1).astype(np.float64) / 255.0
        for codec in IMAGE_CODECS:
            rows = []
            for q in QUALITIES:
                decoded = roundtrip_images(images, codec, q)[1].reshape(len(images), -1) / 255.0
                rows.append(((decoded - ref) ** 2).mean(1))
            out[f"{codec}_knob"], out[f"{codec}_err"] = np.array(QUALITIES, float), np.stack(rows)
        return out

    return cached_arrays("claims_degradation", f"v1_{inputs_key(dims)}", compute)


def fineness(mse: np.ndarray) -> float:
    """Distinct operating points per decade of the error they span (`mse`: one mean per setting)."""
    distinct = np.unique(np.round(np.asarray(mse, np.float64), 12))
    distinct = distinct[distinct > 0]
    if len(distinct) < 2:
        return 0.0
    return float(len(distinct) / math.log10(distinct.max() / distinct.min()))


def violations(knob: np.ndarray, mse: np.ndarray) -> int:
    """Steps up the knob whose error rises (ties, i.e. the same output, are not violations)."""
    order = np.argsort(knob, kind="stable")
    return int((np.diff(np.asarray(mse)[order]) > 1e-12).sum())


def ae_curve(data: dict[str, np.ndarray], idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The auto-encoder's mean error per trained size (settings,) and its digit bootstrap (n_boot, settings)."""
    err = np.asarray(data["ae_err"], np.float64)
    return err.mean(1), err[:, idx].mean(2).T


def seeded_ae_curve(
    data: dict[str, np.ndarray], idx: np.ndarray, seed_errs: dict[int, np.ndarray], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """`ae_curve` with each size in `seed_errs` (latent size -> its seeds' errors on the sample, (S, digits), seed
    0 first) averaged over its seeds, and bootstrapped on two levels: its seeds drawn (each size's apart, as they
    are separate training runs), then the sample's digits (the same draw for every model and codec: paired)."""
    from core.claims.seeded import two_level

    mean, rep = ae_curve(data, idx)
    mean, rep = mean.copy(), rep.copy()
    for i, d in enumerate(np.asarray(data["ae_knob"]).astype(int)):
        if int(d) in seed_errs:
            errs = np.asarray(seed_errs[int(d)], np.float64)
            mean[i], rep[:, i] = two_level(errs.mean(1), errs[:, idx].mean(2), seed + int(d))
    return mean, rep


def judged_parts(data: dict[str, np.ndarray], idx: np.ndarray, ae: tuple[np.ndarray, np.ndarray]) -> list[Part]:
    """The claim's parts from the auto-encoder's curve `ae` (mean, replicates) against the image codecs'."""
    knob = np.asarray(data["ae_knob"])
    ae_mean, ae_rep = ae
    ae_fine = [fineness(r) for r in ae_rep]
    parts = []
    for codec in IMAGE_CODECS:
        err = np.asarray(data[f"{codec}_err"])
        c_rep = [fineness(r) for r in err[:, idx].mean(2).T]
        ratio = as_interval(fineness(ae_mean) / fineness(err.mean(1)), np.array(ae_fine) / np.array(c_rep))
        parts.append(
            part(f"Finer than {codec}'s quality knob", f"points per decade, auto-encoder ÷ {codec}", ratio, 1.0, True)
        )
    bad = as_interval(violations(knob, ae_mean), [violations(knob, r) for r in ae_rep])
    parts.append(
        part("Error falls at every step of the auto-encoder's knob", "steps where error rises", bad, 0.5, False)
    )
    return parts


def sample_seed_errors(dims: list[int]) -> tuple[dict[int, list[int]], dict[int, np.ndarray]]:
    """Per size with more than one training seed: (its seeds, their errors on the claim's sample (S, digits))."""
    from core.evaluation.seeds import seed_errors, seeded

    sample = np.arange(0, len(load_split("test")), SAMPLE_STEP)
    seeds, errs = {}, {}
    for d in dims:
        if seeded(d):
            seeds[d], all_errors = seed_errors(d)
            errs[d] = all_errors[:, sample]
    return seeds, errs


def with_seeds(
    rec: ClaimRecord,
    data: dict[str, np.ndarray],
    seeds: dict[int, list[int]],
    seed_errs: dict[int, np.ndarray],
    seed: int = 0,
) -> ClaimRecord:
    """`rec` (judged on seed 0) with every part judged over the trained sizes' seeds (`core.claims.seeded`)."""
    from core.claims.seeded import over_seeds

    idx = bootstrap_indices(np.asarray(data["ae_err"]).shape[1], N_BOOT, seed)
    parts = judged_parts(data, idx, seeded_ae_curve(data, idx, seed_errs, seed))
    return over_seeds(rec, {p.name: p for p in parts}, seeds)


def record(data: dict[str, np.ndarray] | None = None, seed: int = 0) -> ClaimRecord:
    """Judge the claim on `data` (as `measure` returns it; tests pass changed copies); without it, on the shipped
    sizes over their training seeds, read from the disk cache after the first time."""
    if data is None:
        from core.checkpoints.loaded import available_latent_dims
        from core.evaluation.seeds import seeds_key

        dims = available_latent_dims()

        def compute() -> ClaimRecord:
            measured = measure(dims)
            return with_seeds(record(measured, seed), measured, *sample_seed_errors(dims), seed)

        return cached_record(f"degradation_{inputs_key(dims)}{seeds_key(dims)}_s{seed}", compute)
    methods = {"auto-encoder": "ae", **{c: c for c in IMAGE_CODECS}}
    extra = codec_points()
    n_images = data["ae_err"].shape[1]
    idx = bootstrap_indices(n_images, N_BOOT, seed)
    stats: dict[str, dict] = {}
    for label, prefix in methods.items():
        knob, err = np.asarray(data[f"{prefix}_knob"]), np.asarray(data[f"{prefix}_err"])
        rep = err[:, idx].mean(2).T  # (n_boot, settings)
        fine = as_interval(fineness(err.mean(1)), [fineness(r) for r in rep])
        bad = as_interval(violations(knob, err.mean(1)), [violations(knob, r) for r in rep])
        stats[label] = {
            "points": len(np.unique(np.round(err.mean(1), 12))),
            "settings": len(knob),
            "mse_range": [float(err.mean(1).min()), float(err.mean(1).max())],
            "per_decade": fine,
            "violations": bad,
            "curve": [[float(k), float(m)] for k, m in zip(knob, err.mean(1), strict=True)],
        }
    if extra:
        mses = [p["mse"] for p in extra]
        stats["auto-encoder codec"] = {
            "points": len(extra),
            "settings": len(extra),
            "mse_range": [min(mses), max(mses)],
            "per_decade": (fineness(mses),) * 3,
            "violations": (float(violations(np.array([p["knob"] for p in extra]), np.array(mses))),) * 3,
            "curve": [[p["knob"], p["mse"]] for p in extra],
        }
    parts = judged_parts(data, idx, ae_curve(data, idx))
    return ClaimRecord(
        key="degradation",
        title="Controlled degradation",
        claim=("An auto-encoder's quality can be set finely, where traditional codecs offer only a few fixed presets."),
        experiment=(
            "Count the operating points a user can pick, per decade of test error they cover: the auto-encoder's "
            "trained latent sizes against every integer quality of JPEG and WebP (identical outputs counted once), "
            f"scored on every {SAMPLE_STEP}th test digit. Then count the knob's steps where error rises."
        ),
        parts=parts,
        numbers={"methods": stats},
        command=COMMAND,
        notes=[
            "The auto-encoder's knob is as fine as the sizes one trains (any of 1–784, each a training run); "
            "what ships is what a user can pick today."
        ]
        + (["The learned codec's qualities are shown beside it (their recorded test error)."] if extra else []),
    )
