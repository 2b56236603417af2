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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """This thread and the shared inference thread use `n` intra-op threads inside the block, then as many as before.

    Torch keeps the count per thread, hence both. One while worker processes hold the other cores: an OpenMP
    thread waiting for a core that a worker holds keeps its team spinning at the next barrier, CPU time that
    does no work.
    """
    import torch

    here, there = torch.get_num_threads(), on_torch_thread(torch.get_num_threads)()
    torch.set_num_threads(n)
    on_torch_thread(torch.set_num_threads)(n)
    try:
        yield
    finally:
        on_torch_thread(torch.set_num_threads)(there)
        torch.set_num_threads(here)
