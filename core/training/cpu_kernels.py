"""Pin training processes to AVX2 kernels, so a seed gives the same weights on every host.

PyTorch picks its CPU kernels by what the processor offers: ATen's own vectorised loops,
oneDNN's convolutions and MKL's matrix products each have AVX2 and AVX-512 code paths,
and the two round differently, so the same seed gives different weights on an AVX-512
machine than on an AVX2 one. With all three libraries capped at AVX2, an AVX-512 machine
rebuilds the shipped checkpoints byte for byte, at a cost the rebuild's time budget can pay
(bench/design_notes.md has the figures).

The libraries read these settings once, when they first run, so they must be in the
environment when the process starts: training entry points re-execute themselves with
them (`reexec_pinned`), and the lab starts its worker with them (`pinned_env`).
Only training processes are pinned; the dashboard and the tests run on the native kernels.
Set AECL_NATIVE_CPU_KERNELS=1 to train on the native kernels (faster, host-specific weights).
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from collections.abc import Mapping

#: The environment that caps ATen, oneDNN and MKL at their AVX2 code paths.
PINNED_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2"}
#: Set to 1 to skip the pinning.
OPT_OUT = "AECL_NATIVE_CPU_KERNELS"


@functools.cache
def cpu_info() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo ("model name", "flags", ...); empty where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_has_avx2() -> bool:
    """The pinning only applies to x86-64 processors with AVX2."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return "avx2" in cpu_info().get("flags", "").split()


def pinned_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the pinning added, where it applies."""
    env = dict(os.environ if base is None else base)
    if env.get(OPT_OUT) != "1" and cpu_has_avx2():
        env.update(PINNED_ENV)
    return env


def reexec_pinned(module: str, argv: list[str]) -> None:
    """Restart `python -m module argv` with the pinned environment, unless it already has it or can't use it.

    Returns only when no restart is needed; otherwise the process is replaced.
    """
    env = pinned_env()
    if env == dict(os.environ):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def kernels_in_use() -> dict[str, str]:
    """The CPU code paths this process runs on, for a checkpoint's JSON: the same seed gives the same
    weights only on the same paths, so a checkpoint says which it was trained with."""
    import torch

    return {
        "aten": torch.backends.cpu.get_cpu_capability(),
        "onednn_max_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "native"),
        "mkl_cbwr": os.environ.get("MKL_CBWR", "native"),
    }
