"""How a bench section writes itself into bench/results.md: markdown tables, and the stamp that says where
and when its figures were measured (hosts of this machine kind differ, and so do their timings)."""

from __future__ import annotations

import datetime as dt
import platform

import torch


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def cpu_name() -> str:
    """The processor's model name: hosts of this machine kind differ (AVX2 or AVX-512), and so do their timings."""
    from core.training.cpu_kernels import cpu_info

    info = cpu_info()
    flags = info.get("flags", "").split()
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{info.get('model name') or platform.machine()}, {vector}"


def stamp() -> str:
    return (
        f"_Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu_name()} ({platform.machine()}), "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}._\n"
    )
