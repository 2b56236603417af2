"""The training processes keep freed memory instead of faulting it back in every step."""

import subprocess
import sys

import pytest

from core.paths import REPO_ROOT

#: A training-like loop whose activations (26 MB) are bigger than glibc's default mmap threshold can grow to.
LOOP = """
import resource, sys, torch
if sys.argv[1] == "keep":
    from core.allocator import keep_freed_memory
    assert keep_freed_memory()
x = torch.rand(128, 1, 28, 28)
m = torch.nn.Sequential(torch.nn.Conv2d(1, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(64, 1, 3, padding=1))
for _ in range(3):
    m(x).sum().backward()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    m(x).sum().backward()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", LOOP, mode], cwd=REPO_ROOT, check=True, capture_output=True, text=True, timeout=120
    )
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_keeping_freed_memory_stops_the_page_faults_of_repeated_big_allocations():
    default, kept = _page_faults("default"), _page_faults("keep")
    assert default > 10_000  # each step re-faults its activations in
    assert kept < default / 20
