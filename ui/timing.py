"""How long the server spends on each page run, for the load test; off unless AECL_RUN_LOG names a file.

A load test whose browsers share the server's cores measures both at once. This log is the
server's side alone: from the script starting to its last element sent, which is what a class
whose browsers run on their own machines waits for.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

RUN_LOG_ENV = "AECL_RUN_LOG"
_LOCK = threading.Lock()


@contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Append {page, seconds, completed} to the run log; `completed` is False for a run cut short by a rerun."""
    path = os.environ.get(RUN_LOG_ENV)
    if not path:
        yield
        return
    start = time.perf_counter()
    completed = False
    try:
        yield
        completed = True
    finally:
        record = {"page": page, "s": round(time.perf_counter() - start, 4), "completed": completed, "t": time.time()}
        with _LOCK, open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
