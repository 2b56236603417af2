"""Verdicts over training seeds: intervals that count a second training run as well as the test digits.

A two-level bootstrap: each replicate draws the seeds with replacement, then the test digits within each drawn
seed (within each digit class, as the one-seed intervals do), and averages over the drawn seeds. With one seed
it is the digit-only bootstrap (`core.claims.record.group_means`, the same resamples). A claim whose experiment
uses a study-level model is judged this way where seeds are known (`core.evaluation.seeds`), and its record
says whether counting them changed the verdict of the shipped model alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from core.claims.record import N_BOOT, ClaimRecord, Part, as_interval, from_verdict, part
from core.evaluation.metrics import bootstrap_indices
from core.evaluation.verdicts import ranking_verdict


def two_level(
    estimates: np.ndarray, replicates: np.ndarray, seed: int = 0, resample_seeds: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """`estimates` (S, ...): one per seed; `replicates` (S, n_boot, ...): each seed's digit bootstrap. Returns (the
    mean over seeds, shape (...); the two-level replicates, (n_boot, ...)): each replicate draws S seeds with
    replacement and averages their replicates of that draw. One seed, or `resample_seeds=False`: the digit-only
    replicates of the seeds' mean."""
    estimates, replicates = np.asarray(estimates, np.float64), np.asarray(replicates, np.float64)
    n_seeds, n_boot = replicates.shape[:2]
    if n_seeds == 1 or not resample_seeds:
        return estimates.mean(0), replicates.mean(0)
    picks = np.random.default_rng(seed).integers(0, n_seeds, size=(n_boot, n_seeds))
    return estimates.mean(0), replicates[picks, np.arange(n_boot)[:, None]].mean(1)


def seeded_group_means(
    per_seed: Sequence[Sequence[np.ndarray]], n_boot: int = N_BOOT, seed: int = 0, resample_seeds: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """`per_seed[s][j]`: seed s's values in group j, shape (n_j,) or (n_j, K) (columns resampled together).
    Returns (the mean over seeds of each group's mean, shape (G, ...); the two-level replicates, (n_boot, G, ...)).
    `resample_seeds=False` keeps every seed in every replicate: the digit-only interval of the same models."""
    means = np.stack([np.stack([np.asarray(v, np.float64).mean(0) for v in groups]) for groups in per_seed])
    reps = np.stack(
        [
            np.stack(
                [
                    np.asarray(v, np.float64)[bootstrap_indices(len(v), n_boot, seed + j + 1000 * s)].mean(1)
                    for j, v in enumerate(groups)
                ],
                axis=1,
            )
            for s, groups in enumerate(per_seed)
        ]
    )  # (S, n_boot, G, ...)
    return two_level(means, reps, seed, resample_seeds)


def by_digit(errors: np.ndarray, labels: np.ndarray) -> list[list[np.ndarray]]:
    """(S, N) per-image values as each seed's ten digit groups."""
    return [[e[labels == k] for k in range(10)] for e in np.atleast_2d(errors)]


def ranking_part(errors: np.ndarray, labels: np.ndarray, leader: int, lowest: bool, claim: str, seed: int = 0) -> Part:
    """ "`leader` has the lowest (highest) mean error" over the seeds in `errors` (S, N)."""
    est, rep = seeded_group_means(by_digit(errors, labels), seed=seed)
    diffs = {k: as_interval(est[leader] - est[k], rep[:, leader] - rep[:, k]) for k in range(10) if k != leader}
    v = ranking_verdict(claim, diffs, lowest=lowest, measure=f"digit {leader}'s mean error, difference")
    rival = next(k for k, d in diffs.items() if d == (v.estimate, v.low, v.high))
    return from_verdict(claim, f"digit {leader}'s error − digit {rival}'s (its nearest rival)", v, 0.0, not lowest)


def reads_as_part(readings: np.ndarray, labels: np.ndarray, true: int, as_: int, claim: str, seed: int = 0) -> Part:
    """ "A misread `true` is most often read as `as_`" over the seeds' readings (S, N)."""
    onehot = [[(r[labels == true][:, None] == np.arange(10)).astype(np.float64)] for r in np.atleast_2d(readings)]
    est, rep = seeded_group_means(onehot, seed=seed + true)
    rivals = [k for k in range(10) if k not in (true, as_)]
    diffs = {k: as_interval(est[0, as_] - est[0, k], rep[:, 0, as_] - rep[:, 0, k]) for k in rivals}
    v = ranking_verdict(claim, diffs, lowest=False, measure=f"share read as {as_}, difference")
    rival = next(k for k, d in diffs.items() if d == (v.estimate, v.low, v.high))
    return from_verdict(claim, f"share read as {as_} − share read as {rival} (the nearest)", v, 0.0, True)


def ratio_part(ae: np.ndarray, pca: np.ndarray, name: str, seed: int = 0) -> Part:
    """The auto-encoder's mean error over PCA's (same digits), over the seeds in `ae` (S, N)."""
    per_seed = [[np.stack([a, pca], axis=1)] for a in np.atleast_2d(ae)]
    est, rep = seeded_group_means(per_seed, seed=seed)
    ratio = as_interval(est[0, 0] / est[0, 1], rep[:, 0, 0] / rep[:, 0, 1])
    return part(name, "error, auto-encoder ÷ PCA", ratio, 1.0, False)


def overlap_part(mixings: Sequence, leader: int, claim: str, seed: int = 0) -> Part:
    """ "`leader`'s reconstructions mix least with its originals" over the seeds' maps (`OverlapResult`s, one per
    seed, each with its digit bootstrap's per-digit replicates)."""
    digits = sorted(set.intersection(*(set(m.per_digit) for m in mixings)))
    est = np.array([[m.per_digit[d][0] for d in digits] for m in mixings])
    reps = np.stack([np.asarray(m.replicates)[:, digits] for m in mixings])
    est, rep = two_level(est, reps, seed)
    at = digits.index(leader)
    diffs = {d: as_interval(est[at] - est[j], rep[:, at] - rep[:, j]) for j, d in enumerate(digits) if d != leader}
    v = ranking_verdict(claim, diffs, lowest=True, measure=f"digit {leader}'s overlap, difference")
    rival = next(k for k, d in diffs.items() if d == (v.estimate, v.low, v.high))
    return from_verdict(claim, f"digit {leader}'s overlap − digit {rival}'s (its nearest rival)", v, 0.0, False)


def seed_list(seeds: Sequence[int]) -> str:
    """`[0, 1, 2, 3, 4, 7]` as "0–4, 7"."""
    runs: list[list[int]] = []
    for s in sorted(seeds):
        if runs and s == runs[-1][-1] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def counted_seeds(seeds: dict[int, list[int]]) -> str:
    """The seeds counted at each level, levels with the same seeds together: "seeds 0–4 at d=8, 39 and 78"."""
    by_seeds: dict[str, list[int]] = {}
    for d, s in sorted(seeds.items()):
        by_seeds.setdefault(seed_list(s), []).append(d)
    phrases = []
    for listed, dims in by_seeds.items():
        where = ", ".join(map(str, dims[:-1])) + f" and {dims[-1]}" if len(dims) > 1 else str(dims[0])
        phrases.append(f"seed{'s' if len(listed) > 1 else ''} {listed} at d={where}")
    return "; ".join(phrases)


def over_seeds(record: ClaimRecord, seeded: dict[str, Part], seeds: dict[int, list[int]]) -> ClaimRecord:
    """`record` with the parts named in `seeded` judged over training seeds (`seeds`: level -> its seeds); the
    shipped model's own verdicts kept in its `seeds`, and a note saying whether counting seeds changed
    the claim's verdict."""
    if not seeded or all(len(s) < 2 for s in seeds.values()):
        return record
    parts = [seeded.get(p.name, p) for p in record.parts]
    new = replace(record, parts=parts)
    counted = counted_seeds(seeds)
    changed = [
        f"{p.name}: {p.verdict.outcome} over seeds (seed 0 alone: {old.verdict.outcome})"
        for p, old in zip(parts, record.parts, strict=True)
        if p.verdict.outcome != old.verdict.outcome
    ]
    if new.outcome != record.outcome:
        note = f"Counting training seeds changed the verdict: {record.outcome} on seed 0 alone, {new.outcome} over "
    else:
        note = f"Counting training seeds did not change the verdict ({new.outcome}) over "
    note += f"{counted}" + (f". Parts that moved: {'; '.join(changed)}." if changed else ".")
    counting = {
        "levels": {str(d): s for d, s in seeds.items()},
        "seed_0": {"outcome": record.outcome, "parts": {p.name: p.verdict.outcome for p in record.parts}},
        "changed_verdict": new.outcome != record.outcome,
    }
    return replace(new, seeds=counting, notes=[*record.notes, note])
