"""Do the reconstructions follow the originals? The partner-free overlap with its bootstrap interval, and the
map-independent divergence per level: their figures, and how long each takes cold (target ≤ 60 s).

Cold means nothing of that computation on disk: the overlap from a map already built (the map's own time is the
dashboard section's), the divergence in an empty cache folder (after MNIST and the libraries are loaded, which
every page has done before it asks)."""

from __future__ import annotations

import os
import tempfile
import time

from bench.report import stamp, table
from core.levels import STUDY_LATENT_DIMS

EXTRA_DIMS = (2,)


def _pct(interval) -> str:
    est, low, high = interval
    return f"{est:.1%} ({low:.1%}–{high:.1%})"


def overlap_rows() -> list[list]:
    from core.explore.embedding import DEFAULT_PER_SOURCE, embed, overlap

    rows = []
    for d in (8, 2):
        emb = embed(d, "t-SNE", DEFAULT_PER_SOURCE, 0)
        start = time.perf_counter()
        result = overlap(emb.xy, emb.source, emb.labels, emb.partner)
        seconds = time.perf_counter() - start
        lowest = min(result.per_digit, key=lambda k: result.per_digit[k][0])
        highest = max(result.per_digit, key=lambda k: result.per_digit[k][0])
        rows.append(
            [
                d,
                f"{emb.overlap:.1%}",
                _pct(result.overall),
                f"{lowest}: {_pct(result.per_digit[lowest])}",
                f"{highest}: {_pct(result.per_digit[highest])}",
                f"{seconds:.2f}",
            ]
        )
    return rows


def divergence_rows() -> list[list]:
    from core.data.mnist import load_split
    from core.evaluation import divergence

    load_split("test")
    load_split("train")
    divergence.two_sample_test  # noqa: B018  (module imported: its libraries load on the first call below)
    rows = []
    saved = os.environ.get("AECL_CACHE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AECL_CACHE_DIR"] = tmp
        try:
            for d in sorted({*STUDY_LATENT_DIMS, *EXTRA_DIMS}, reverse=True):
                start = time.perf_counter()
                result = divergence.two_sample(d)
                seconds = time.perf_counter() - start
                acc, fd = result.accuracy(), divergence.frechet_distance(d)
                per = result.per_digit()
                low, high = min(per, key=lambda k: per[k][0]), max(per, key=lambda k: per[k][0])
                rows.append(
                    [
                        d,
                        _pct(acc),
                        f"{low}: {per[low][0]:.0%}, {high}: {per[high][0]:.0%}",
                        f"{fd[0]:.3g} ({fd[1]:.3g}–{fd[2]:.3g})",
                        f"{seconds:.1f}",
                    ]
                )
        finally:
            if saved is None:
                os.environ.pop("AECL_CACHE_DIR", None)
            else:
                os.environ["AECL_CACHE_DIR"] = saved
    return rows


def section() -> str:
    from core.evaluation.divergence import DEFAULT_N, INDISTINGUISHABLE
    from core.explore.embedding import MIXING_THRESHOLD, OVERLAP_BOOTSTRAP

    return (
        "## Mixing and divergence: do the reconstructions follow the originals?\n\n"
        + stamp()
        + f"\nOverlap on the shipped t-SNE maps (2 × 2,000 points), each point's own partner left out, with a "
        f"{OVERLAP_BOOTSTRAP}-resample bootstrap 95 % interval over test digits (original and reconstruction "
        f'drawn together); "mixes" needs it above {MIXING_THRESHOLD:.0%}. '
        "The time is the overlap and its bootstrap on a map already built.\n\n"
        + table(
            ["latent dims", "old number (partner counted)", "overlap", "lowest digit", "highest digit", "cold s"],
            overlap_rows(),
        )
        + f"\n\nTwo-sample test (a linear discriminant on the digit classifier's features, learnt on half of "
        f'{DEFAULT_N:,} test digits, scored on the other half; Wilson 95 % interval; "indistinguishable" needs '
        f"it below {INDISTINGUISHABLE:.0%}) and Fréchet distance in the same features (bootstrap interval). "
        "Cold: an empty cache folder, target ≤ 60 s.\n\n"
        + table(
            ["latent dims", "told apart", "per digit: least, most", "Fréchet distance", "cold s"],
            divergence_rows(),
        )
        + "\n"
    )
