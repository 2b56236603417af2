"""The training processes keep freed memory instead of faulting it back in every step."""

import json
import subprocess
import sys

import pytest

from core.paths import REPO_ROOT

#: A training-like loop whose activations (26 MB) are bigger than glibc's default mmap threshold can grow to.
#: It prints the minor page faults of each of 20 steps after a warm-up.
LOOP = """
import json, resource, sys, torch
if sys.argv[1] == "keep":
    from core.training.allocator import keep_freed_memory
    assert keep_freed_memory()
x = torch.rand(128, 1, 28, 28)
m = torch.nn.Sequential(torch.nn.Conv2d(1, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(64, 1, 3, padding=1))
for _ in range(3):
    m(x).sum().backward()
faults = []
for _ in range(20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    m(x).sum().backward()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(faults))
"""

#: One activation buffer is 6,272 pages; a step under this re-faulted none of them.
FAULTED_STEP_PAGES = 1_000


def _page_faults_per_step(mode: str) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", LOOP, mode], cwd=REPO_ROOT, check=True, capture_output=True, text=True, timeout=120
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_keeping_freed_memory_stops_the_page_faults_of_repeated_big_allocations():
    # By default every step hands its activations back to the kernel and faults them in again.
    default = _page_faults_per_step("default")
    assert all(pages > FAULTED_STEP_PAGES for pages in default), default
    # Kept, steps reuse them. Now and then one step still faults a buffer back in (seen: 1 or 2
    # steps in 10, on some runs, which is why this counts steps rather than comparing totals).
    kept = _page_faults_per_step("keep")
    clean_steps = sum(pages < FAULTED_STEP_PAGES for pages in kept)
    assert clean_steps >= 15, kept
