"""How long work tells its caller how far it is: `progress(fraction done, what it is doing now)`.

The CLI draws it with tqdm and the dashboard with `st.progress` (`ui/progress.py`); `core` only calls it."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[float, str], None]
