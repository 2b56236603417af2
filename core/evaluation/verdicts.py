"""Verdicts on the study's claims, computed from an estimate and its interval, never written by hand.

Every page that says whether a claim holds (the claims page, per-digit error, recognisability,
the embedding) asks `judge` with the claim's threshold, so one rule decides everywhere: a claim
holds only where the whole 95 % interval is on its side of the threshold, does not hold where the
whole interval is on the other side, and is left open where the interval straddles it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.evaluation.metrics import GroupStats

HOLDS = "holds"
HOLDS_PARTLY = "holds partly"
DOES_NOT_HOLD = "does not hold here"
CANT_TELL = "can't tell from this data"
OUTCOMES = (HOLDS, HOLDS_PARTLY, DOES_NOT_HOLD, CANT_TELL)


@dataclass(frozen=True)
class Verdict:
    """One claim judged: the outcome, the estimate and its interval, and a sentence for the page."""

    outcome: str
    estimate: float
    low: float
    high: float
    sentence: str

    def interval_text(self, fmt: str = ".3g") -> str:
        return f"{self.estimate:{fmt}} (95 % interval {self.low:{fmt}} to {self.high:{fmt}})"


def judge(estimate: float, low: float, high: float, threshold: float, holds_above: bool = True) -> str:
    """HOLDS when [low, high] lies wholly on the claim's side of `threshold` (above it when `holds_above`),
    DOES_NOT_HOLD when wholly on the other side, CANT_TELL when the interval straddles it."""
    if not low <= estimate <= high:
        raise ValueError(f"the estimate {estimate} lies outside its interval [{low}, {high}]")
    above, below = low > threshold, high < threshold
    if above or below:
        return HOLDS if above == holds_above else DOES_NOT_HOLD
    return CANT_TELL


def combine(outcomes: Sequence[str]) -> str:
    """One outcome for a claim made of parts: HOLDS if every part holds, DOES_NOT_HOLD if none holds and at
    least one is refuted, HOLDS_PARTLY if some hold and others don't, CANT_TELL otherwise."""
    if not outcomes:
        raise ValueError("a claim needs at least one part")
    if all(o == HOLDS for o in outcomes):
        return HOLDS
    if any(o in (HOLDS, HOLDS_PARTLY) for o in outcomes):
        return HOLDS_PARTLY
    if any(o == DOES_NOT_HOLD for o in outcomes):
        return DOES_NOT_HOLD
    return CANT_TELL


def every(outcomes: Sequence[str]) -> str:
    """One outcome for a claim that needs every part, such as "digit 1 is the easiest" (easier than each
    other digit): HOLDS if all parts hold, DOES_NOT_HOLD if any part is refuted, CANT_TELL otherwise."""
    if not outcomes:
        raise ValueError("a claim needs at least one part")
    if all(o == HOLDS for o in outcomes):
        return HOLDS
    return DOES_NOT_HOLD if DOES_NOT_HOLD in outcomes else CANT_TELL


def verdict(
    claim: str,
    estimate: float,
    low: float,
    high: float,
    threshold: float,
    holds_above: bool = True,
    measure: str = "measured",
    fmt: str = ".3g",
) -> Verdict:
    """`judge` with the sentence a page prints: the claim, the outcome, the estimate and its interval."""
    outcome = judge(estimate, low, high, threshold, holds_above)
    side = "above" if holds_above else "below"
    v = Verdict(outcome, float(estimate), float(low), float(high), "")
    sentence = (
        f"{claim}: **{outcome}** ({measure} {v.interval_text(fmt)}; the claim needs it {side} {threshold:{fmt}})."
    )
    return Verdict(outcome, v.estimate, v.low, v.high, sentence)


def ranking_verdict(
    claim: str,
    differences: Mapping[int, tuple[float, float, float]],
    lowest: bool = True,
    measure: str = "difference from",
    fmt: str = ".3g",
) -> Verdict:
    """A claim that one group ranks first (lowest when `lowest`, else highest), from its difference to each
    other group as (estimate, low, high), e.g. digit 1's error minus digit d's. It holds when every difference
    is on its side of 0, fails when any is wholly on the other side; the Verdict carries the closest rival."""
    outcomes = {g: judge(*d, threshold=0.0, holds_above=not lowest) for g, d in differences.items()}
    outcome = every(list(outcomes.values()))
    sign = 1.0 if lowest else -1.0
    rival = max(differences, key=lambda g: sign * differences[g][0])  # the group nearest to (or past) the first
    refuters = [g for g in differences if outcomes[g] == DOES_NOT_HOLD]
    if refuters:  # name the group that clearly ranks ahead, by the widest margin
        rival = max(refuters, key=lambda g: sign * differences[g][0])
    est, low, high = differences[rival]
    v = Verdict(outcome, float(est), float(low), float(high), "")
    role = "which ranks ahead" if refuters else "the closest"
    sentence = f"{claim}: **{outcome}** ({measure} {rival}, {role}: {v.interval_text(fmt)})."
    return Verdict(outcome, v.estimate, v.low, v.high, sentence)


def per_digit_rank_verdicts(stats: GroupStats, easiest: int, hardest: int, where: str) -> list[Verdict]:
    """The study's two per-digit claims at one level, e.g. "1 is the easiest digit and 8 the hardest at 99 %",
    judged on per-digit means with 95 % intervals (`core.evaluation.metrics.per_digit`)."""
    from core.evaluation.metrics import difference_ci

    others = [int(d) for d in stats.digit]
    return [
        ranking_verdict(
            f"The study's {easiest} as the easiest digit {where}",
            {d: difference_ci(stats, easiest, d) for d in others if d != easiest},
            lowest=True,
            measure=f"error of {easiest} minus that of",
        ),
        ranking_verdict(
            f"The study's {hardest} as the hardest digit {where}",
            {d: difference_ci(stats, hardest, d) for d in others if d != hardest},
            lowest=False,
            measure=f"error of {hardest} minus that of",
        ),
    ]
