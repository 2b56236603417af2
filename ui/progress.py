"""A progress bar for work that is really done (a lab model, a setting the shipped records don't cover): it
says what is being computed, how far it is, and about how long is left, instead of a bare spinner.

`core` reports progress as `progress(fraction, message)` callbacks (the shape `core.explore.embedding` takes);
`TimedProgress` is one, drawn with `st.progress`. Callers compute into the disk cache with it first, then read
through their `st.cache_data` helpers, so no widget is drawn inside a cached function.
"""

from __future__ import annotations

import time

import streamlit as st

#: Below this share done, the rate is too young to promise a time.
MIN_FRACTION_FOR_ETA = 0.05


def time_left_text(elapsed_s: float, fraction: float) -> str:
    """'about 40 s left' / 'about 2 min left' from the pace so far; '' while too little is done to say."""
    if fraction < MIN_FRACTION_FOR_ETA or fraction >= 1:
        return ""
    left = elapsed_s * (1 - fraction) / fraction
    return f"about {left:.0f} s left" if left < 90 else f"about {left / 60:.0f} min left"


class TimedProgress:
    """An `st.progress` bar fed by `core`'s progress callbacks; `done()` removes it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.monotonic()
        self.bar = st.progress(0.0, text=f"{what}…")

    def __call__(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        parts = [self.what, message, f"{fraction:.0%}", time_left_text(time.monotonic() - self.start, fraction)]
        self.bar.progress(fraction, text=" · ".join(p for p in parts if p))

    def done(self) -> None:
        self.bar.empty()
