"""Keep freed memory in the process for training processes (glibc's malloc only).

A training step allocates and frees the same few-megabyte activation buffers hundreds of
times an epoch. By default glibc hands big freed blocks back to the kernel (mmap'd chunks,
and the heap top past a trim threshold), so the next step takes page faults to get them
back. Keeping them roughly halves those faults, worth a few percent of an epoch; the
weights are bit-identical, only where memory comes from changes. Only the training
processes (`python -m core.train`, `core.rebuild`, the lab's worker) call this; the
dashboard's server keeps glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: mallopt() parameter numbers, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks up to this size come from the heap, not their own mmap (glibc's ceiling is 32 MiB on 64-bit).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: Free memory at the heap's top is kept until it exceeds this.
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Apply the settings above; False (and nothing changed) where the C library isn't glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
