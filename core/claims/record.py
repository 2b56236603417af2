"""What every claim experiment returns, and the paired bootstrap its intervals come from.

A `ClaimRecord` is the same for every claim (CompressAI's one-schema idea): the page, the CLI and the
tests read any of them the same way. Its verdict is never written by hand: each part is `judge`d
from an estimate and its 95 % interval, and the parts are `combine`d.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.evaluation.metrics import bootstrap_indices, percentile_interval
from core.evaluation.verdicts import Verdict, combine, judge
from core.storage.cache import cached_arrays

Interval = tuple[float, float, float]  # (estimate, low, high)

#: Bootstrap resamples behind every interval here; seeded, so a record is the same on every run.
N_BOOT = 1000
#: Bumped whenever a record's layout or an experiment's arithmetic changes, so no stale record is served.
RECORD_VERSION = 7


@dataclass(frozen=True)
class Part:
    """One judged part of a claim: what is measured, the verdict, and the threshold it was judged against."""

    name: str
    measure: str
    verdict: Verdict
    threshold: float
    holds_above: bool


@dataclass(frozen=True)
class ClaimRecord:
    """One claim tested: the claim in our words, what was measured, its parts and overall verdict, the numbers
    its figure draws, and the command that prints it again."""

    key: str
    title: str
    claim: str
    experiment: str
    parts: list[Part]
    numbers: dict = field(default_factory=dict)
    command: str = ""
    notes: list[str] = field(default_factory=list)
    #: Where the verdict counts training seeds (`core.claims.seeded.over_seeds`): the seeds per level, the
    #: shipped model's own outcomes, and whether counting seeds changed the claim's.
    seeds: dict = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return combine([p.verdict.outcome for p in self.parts])

    @property
    def verdict(self) -> Verdict:
        """The overall outcome, carrying the first (headline) part's estimate and interval."""
        head = self.parts[0].verdict
        return Verdict(self.outcome, head.estimate, head.low, head.high, head.sentence)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "claim": self.claim,
            "experiment": self.experiment,
            "outcome": self.outcome,
            "parts": [
                {
                    "name": p.name,
                    "measure": p.measure,
                    "outcome": p.verdict.outcome,
                    "estimate": p.verdict.estimate,
                    "low": p.verdict.low,
                    "high": p.verdict.high,
                    "threshold": p.threshold,
                    "holds_above": p.holds_above,
                    "sentence": p.verdict.sentence,
                }
                for p in self.parts
            ],
            "numbers": self.numbers,
            "command": self.command,
            "notes": self.notes,
            "seeds": self.seeds,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ClaimRecord:
        parts = [
            Part(
                p["name"],
                p["measure"],
                Verdict(p["outcome"], p["estimate"], p["low"], p["high"], p["sentence"]),
                p["threshold"],
                p["holds_above"],
            )
            for p in d["parts"]
        ]
        fields = (d["key"], d["title"], d["claim"], d["experiment"], parts, d["numbers"], d["command"], d["notes"])
        return cls(*fields, d.get("seeds", {}))


def with_model_card(record: ClaimRecord, variant: str) -> ClaimRecord:
    """The record with its variant's model card (rows of field, value) in its numbers, for the page to show."""
    from dataclasses import replace

    from core.checkpoints.variants import variant_card, variant_stem

    card = {"name": variant_stem(variant), "rows": [list(r) for r in variant_card(variant)]}
    return replace(record, numbers={**record.numbers, "model_card": card})


def cached_record(key: str, compute: Callable[[], ClaimRecord]) -> ClaimRecord:
    """A claim's record, computed once and then read from the disk cache; `key` names every input it is
    computed from (weights digests, data digest, settings), so a changed input is a new entry."""
    arrays = cached_arrays(
        "claims", f"v{RECORD_VERSION}_{key}", lambda: {"record": np.array(json.dumps(compute().to_dict()))}
    )
    return ClaimRecord.from_dict(json.loads(str(arrays["record"])))


def part(name: str, measure: str, interval: Interval, threshold: float, holds_above: bool, fmt: str = ".3g") -> Part:
    """Judge one part: `interval` (estimate, low, high) against `threshold` with the shared rule."""
    est, low, high = (float(v) for v in interval)
    outcome = judge(est, low, high, threshold, holds_above)
    side = "above" if holds_above else "below"
    v = Verdict(outcome, est, low, high, "")
    sentence = f"{name}: {outcome} ({measure} {v.interval_text(fmt)}; the claim needs it {side} {threshold:{fmt}})"
    return Part(name, measure, Verdict(outcome, est, low, high, sentence), threshold, holds_above)


def from_verdict(name: str, measure: str, verdict: Verdict, threshold: float, holds_above: bool) -> Part:
    """A part whose verdict another module has already judged (e.g. `ranking_verdict`)."""
    return Part(name, measure, verdict, threshold, holds_above)


def paired_ratio(num: np.ndarray, den: np.ndarray, seed: int = 0, n_boot: int = N_BOOT) -> Interval:
    """mean(num) / mean(den) over the same images, with a bootstrap interval (images resampled in pairs)."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    idx = bootstrap_indices(len(num), n_boot, seed)
    return percentile_interval(num.mean() / den.mean(), num[idx].mean(1) / den[idx].mean(1))


def paired_difference(a: np.ndarray, b: np.ndarray, seed: int = 0, n_boot: int = N_BOOT) -> Interval:
    """mean(a) - mean(b) over the same images, with a bootstrap interval (images resampled in pairs)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    idx = bootstrap_indices(len(a), n_boot, seed)
    return percentile_interval(a.mean() - b.mean(), a[idx].mean(1) - b[idx].mean(1))


def group_means(values: np.ndarray, groups: list[np.ndarray], seed: int = 0, n_boot: int = N_BOOT) -> np.ndarray:
    """(n_boot, len(groups)) bootstrap means of `values` within each group (a boolean mask), resampled per group
    with the same seed, so the columns of two arrays of values over the same images stay paired."""
    values = np.asarray(values, np.float64)
    out = np.empty((n_boot, len(groups)))
    for j, mask in enumerate(groups):
        v = values[np.asarray(mask)]
        out[:, j] = v[bootstrap_indices(len(v), n_boot, seed + j)].mean(1)
    return out


def as_interval(estimate: float, replicates: np.ndarray) -> Interval:
    return percentile_interval(float(estimate), np.asarray(replicates))
