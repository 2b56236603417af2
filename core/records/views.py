"""What the views compute from the shipped models at their default settings, as a list of named jobs.

Each job calls the same `core` function a page calls, so the disk cache entries it fills are exactly
the ones the page reads. `make records` runs them all and ships the entries they read
(`core.storage.records`); the suite runs them with computing forbidden, so a shipped model without its
records fails a test instead of bringing the wait back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Cache namespaces that are inputs to other results, not results a view shows: big, and cheap to recompute
#: next to what they feed. Latent codes are kept for the narrow codes only (`SHIPPED_CODE_DIMS`).
NOT_SHIPPED = ("rd_codes",)
SHIPPED_CODE_DIMS = (2, 4, 8)
#: The embedding maps shipped: both default methods at every study level (the page's default sample).
SHIPPED_MAP_METHODS = ("t-SNE", "PCA")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]


def _curve() -> None:
    from core.evaluation.knee import curve_records, knee_of_records

    knee_of_records(curve_records())


def _recognition() -> None:
    from core.evaluation.recognition import (
        SHOWN_EXAMPLES,
        SHOWN_PAIRS,
        confusion,
        most_confused,
        pair_reconstructions,
        recognition_records,
    )
    from core.levels import STUDY_LATENT_DIMS

    recognition_records(_dims())
    for d in STUDY_LATENT_DIMS:  # the Recognisability page's examples, auto-encoder (its default) at each level
        for pair in most_confused(confusion("ae", d), SHOWN_PAIRS):
            pair_reconstructions("ae", d, pair.true, pair.read_as, SHOWN_EXAMPLES)


def _maps() -> None:
    from core.explore.embedding import DEFAULT_PER_SOURCE, embed
    from core.levels import STUDY_LATENT_DIMS

    for d in STUDY_LATENT_DIMS:
        for method in SHIPPED_MAP_METHODS:
            emb = embed(d, method, DEFAULT_PER_SOURCE, 0)
            _ = emb.mixing, emb.overlap  # the map and its overlap figures, without and with partners


def _two_sample() -> None:
    from core.evaluation.divergence import two_sample
    from core.levels import STUDY_LATENT_DIMS

    for d in STUDY_LATENT_DIMS:
        two_sample(d)


def _codes() -> None:
    from core.explore.latent import codes_of_test_digits

    for d in SHIPPED_CODE_DIMS:
        if d in _dims():
            codes_of_test_digits(d)


def _showcase() -> None:
    from core.explore.showcase import FIRST_DIGIT, showcase

    showcase(FIRST_DIGIT)


def _rate_distortion() -> None:
    from core.ratedistortion.records import BUDGETS, closest_points, rd_records, reconstruct_point, side_by_side_indices

    records = [r for r in rd_records(_dims()) if r["mse"] > 0]
    for budget in BUDGETS:  # the page's side-by-side digits at every budget, all framings shown (its default)
        for point in closest_points(records, budget):
            reconstruct_point(point, side_by_side_indices())


def _compress() -> None:
    from core.codec import qualities
    from core.explore.round_trip import DEFAULT_TEST_DIGITS, ORDERS, default_quality, round_trip_test_digits

    found = qualities()
    if found:  # the Compress page's default file: its default number of test digits, sampled, at its default quality
        round_trip_test_digits(DEFAULT_TEST_DIGITS, default_quality(found).number, ORDERS[0], 0)


def _claims() -> None:
    from core.claims.catalogue import CLAIMS, claim_record, shown_divergence, shown_record
    from core.levels import STUDY_LATENT_DIMS

    for key in CLAIMS:
        claim_record(key)  # what `python -m core.claims` reads (a reused shown record would hide it)
        shown_record(key)
    shown_divergence(sorted(STUDY_LATENT_DIMS))


def _lesson() -> None:
    from teaching.steps import PRESENTER_SEED, STEP_KEYS, lesson_step

    for key in STEP_KEYS:
        lesson_step(key, PRESENTER_SEED)


def _seeds() -> None:
    from core.records.seeds import seed_records

    seed_records(SHIPPED_CODE_DIMS)


def _dims() -> list[int]:
    from core.checkpoints.loaded import available_latent_dims

    return available_latent_dims()


JOBS = (
    Job("error curve and per-digit errors", _curve),
    Job("the classifier's readings", _recognition),
    Job("embedding maps", _maps),
    Job("two-sample tests", _two_sample),
    Job("latent codes of the narrow models", _codes),
    Job("the home page's digit", _showcase),
    Job("rate–distortion records", _rate_distortion),
    Job("the Compress page's default file", _compress),
    Job("the study's claims", _claims),
    Job("the lesson's steps", _lesson),
    Job("the extra training seeds", _seeds),
)


def shipped(namespace: str, key: str) -> bool:
    """Whether an entry a job read belongs in the shipped records."""
    if namespace in NOT_SHIPPED:
        return False
    if namespace == "codes":
        return any(key.startswith(f"ae_d{d:03d}_") for d in SHIPPED_CODE_DIMS)
    return True
