"""Every claim the page tests, in page order, and the one call that gives any of them as a record."""

from __future__ import annotations

from core.claims.record import ClaimRecord

#: The study's five advantages, then its figure claims.
ADVANTAGES = ("adaptability", "feature_learning", "degradation", "nonlinear", "scalability")
FIGURES = ("easiest", "hardest", "reads_as", "tsne_separation")
CLAIMS = ADVANTAGES + FIGURES


def claim_record(key: str) -> ClaimRecord:
    """The record of one claim on the shipped models (computed once, then read from the disk cache)."""
    if key == "adaptability":
        from core.claims.adaptability import record
    elif key == "feature_learning":
        from core.claims.feature_learning import record
    elif key == "degradation":
        from core.claims.degradation import record
    elif key == "nonlinear":
        from core.claims.nonlinear import record
    elif key == "scalability":
        from core.claims.scalability import record
    elif key in FIGURES:
        from core.claims.study_figures import record as figure_record

        return figure_record(key)
    else:
        raise ValueError(f"unknown claim {key!r}; one of: {', '.join(CLAIMS)}")
    return record()
