"""Model inference on one long-lived thread.

Streamlit runs every rerun of a page in a fresh thread, and in a fresh thread PyTorch's
first operations pay a one-off set-up (its OpenMP team and oneDNN state are per calling
thread), many times the cost of the pass itself. Sending inference to one worker thread that
lives as long as the process pays that once. The worker is shared by all sessions; each call
is short, and training runs in its own process, never here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_PREFIX = "aecl-torch"
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_PREFIX)


def on_torch_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` on the shared inference thread (directly, if already on it: no self-deadlock)."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if threading.current_thread().name.startswith(_PREFIX):
            return fn(*args, **kwargs)
        return _worker.submit(fn, *args, **kwargs).result()

    return call
