"""Verdicts on the study's claims, computed from an estimate and its interval, never written by hand.

Every page that says whether a claim holds (the claims page, per-digit error, recognisability,
the embedding) asks `judge` with the claim's threshold, so one rule decides everywhere: a claim
holds only where the whole 95 % interval is on its side of the threshold, does not hold where the
whole interval is on the other side, and is left open where the interval straddles it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
