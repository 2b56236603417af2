"""Training jobs side by side: one single-threaded process each, as many at once as there are cores.

Small models on a CPU train faster as separate single-threaded processes than one after another on every
core (their batches are too small to keep two threads busy), and one thread keeps their weights independent
of the host's core count. The rebuild's claims variants and the codec's rate models train this way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def run_side_by_side(modules_and_args: list[list[str]], poll_s: float = 0.2) -> int:
    """Run `python -m MODULE ARGS...` for each entry, in order, one per core at a time (a freed core takes the next
    job); returns the first non-zero exit status (0 when all succeed). Interrupted, it stops the ones still running."""
    slots = max(1, min(len(modules_and_args), os.cpu_count() or 1))
    pending = list(modules_and_args)
    running: list[subprocess.Popen] = []
    code = 0
    try:
        while pending or running:
            while pending and len(running) < slots:
                running.append(subprocess.Popen([sys.executable, "-m", *pending.pop(0)]))
            done = [p for p in running if p.poll() is not None]
            for process in done:
                code = code or process.returncode
                running.remove(process)
            if not done:
                time.sleep(poll_s)
    finally:
        for process in running:  # interrupted: no orphan keeps training
            process.terminate()
    return code
