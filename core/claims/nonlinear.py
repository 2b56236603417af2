"""Non-linear compression: at the same code size the auto-encoder should rebuild digits better than PCA.

Each shipped size's auto-encoder against PCA with as many components, on the 10,000 test digits
(`core.evaluation.evaluate`, cached): the ratio of mean errors with a paired bootstrap interval. It holds
at a size when the whole interval is under 1; overall when it holds at every size.
"""

from __future__ import annotations

import numpy as np

from core.claims.record import ClaimRecord, cached_record, paired_ratio, part
from core.levels import STUDY_LATENT_DIMS, compression_pct

COMMAND = "python -m core.claims nonlinear"


def inputs_key(latent_dims: list[int]) -> str:
    """Every size's auto-encoder weights and PCA's data, as one cache key."""
    import hashlib

    from core.evaluation.evaluate import source_key

    sources = [source_key(m, d) for d in latent_dims for m in ("ae", "pca")]
    return hashlib.sha256("_".join(sources).encode()).hexdigest()[:24]


def measure(latent_dims: list[int] | None = None) -> dict[str, np.ndarray]:
    """Per-image test MSE of the auto-encoder and PCA at each size: arrays `ae_dNNN`, `pca_dNNN`, and `dims`."""
    from core.checkpoints.loaded import available_latent_dims
    from core.evaluation.evaluate import evaluate

    dims = available_latent_dims() if latent_dims is None else latent_dims
    out = {"dims": np.array(dims)}
    for d in dims:
        out[f"ae_d{d:03d}"] = evaluate("ae", d).image_mse
        out[f"pca_d{d:03d}"] = evaluate("pca", d).image_mse
    return out


def with_seeds(rec: ClaimRecord, errors: dict[str, np.ndarray], seed: int = 0) -> ClaimRecord:
    """`rec` with each study level's ratio judged over its training seeds, where it has more than one."""
    from core.claims.seeded import over_seeds, ratio_part
    from core.evaluation.seeds import seed_errors

    seeded, seeds = {}, {}
    for d in sorted(STUDY_LATENT_DIMS):
        if f"pca_d{d:03d}" not in errors:
            continue
        seeds[d], ae = seed_errors(d)
        seeded[f"d={d} (a study level)"] = ratio_part(ae, errors[f"pca_d{d:03d}"], f"d={d} (a study level)", seed)
    return over_seeds(rec, seeded, seeds)


def record(errors: dict[str, np.ndarray] | None = None, seed: int = 0) -> ClaimRecord:
    """Judge the claim at every size in `errors` (as `measure` returns them; tests pass changed copies); without
    them, at every shipped size, read from the disk cache after the first time."""
    if errors is None:
        from core.checkpoints.loaded import available_latent_dims
        from core.evaluation.seeds import seeds_key

        dims = available_latent_dims()
        key = f"nonlinear_{inputs_key(dims)}{seeds_key(sorted(STUDY_LATENT_DIMS))}_s{seed}"
        return cached_record(key, lambda: with_seeds(record(measure(dims), seed), measure(dims), seed))
    dims = [int(d) for d in errors["dims"]]
    rows, parts = [], []
    for d in sorted(dims):
        ratio = paired_ratio(errors[f"ae_d{d:03d}"], errors[f"pca_d{d:03d}"], seed)
        study = " (a study level)" if d in STUDY_LATENT_DIMS else ""
        parts.append(part(f"d={d}{study}", "error, auto-encoder ÷ PCA", ratio, 1.0, False))
        rows.append(
            {
                "latent_dim": d,
                "compression_pct": compression_pct(d),
                "ae_mse": float(np.mean(errors[f"ae_d{d:03d}"])),
                "pca_mse": float(np.mean(errors[f"pca_d{d:03d}"])),
                "ratio": ratio,
            }
        )
    # largest code first: there PCA comes closest, so the headline part is the claim's hardest test
    parts.reverse()
    return ClaimRecord(
        key="nonlinear",
        title="Non-linear compression",
        claim="A non-linear auto-encoder compresses digits better than a linear method such as PCA at the same size.",
        experiment=(
            "At every trained code size, the auto-encoder's mean test error over PCA's with as many components, on "
            "all 10,000 test digits. It holds at a size when the whole interval of the ratio is below 1."
        ),
        parts=parts,
        numbers={"levels": rows},
        command=COMMAND,
    )
