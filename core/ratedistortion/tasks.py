"""The image codecs' part of the rate–distortion records, as tasks for worker processes.

Every (framing, codec, setting) point is one task. A worker imports this module, which needs only numpy,
Pillow and imagecodecs (importing torch, as core/ratedistortion/records.py does, would cost each worker
seconds), and is handed the test digits once, when it starts, rather than with each task.
"""

from __future__ import annotations

import numpy as np

from core.ratedistortion.codecs import HEADERS_SHARED, IMAGE_CODECS, PER_FILE, Setting, codec_record
from core.ratedistortion.shared import SHARED_CODECS, shared_record

Task = tuple[str, str, Setting]
#: The kinds of task, the slowest first: the workers start with these so that they finish together.
SLOWEST_FIRST = [
    (HEADERS_SHARED, "LZMA"),
    (PER_FILE, "JPEG XL"),
    (PER_FILE, "WebP"),
    (HEADERS_SHARED, "PNG"),
    (HEADERS_SHARED, "WebP"),
    (HEADERS_SHARED, "JPEG XL"),
    (PER_FILE, "PNG"),
    (PER_FILE, "JPEG"),
    (HEADERS_SHARED, "JPEG"),
    (PER_FILE, "raw"),
]

_held: np.ndarray | None = None  # the digits a worker process scores, from `hold_images`


def image_tasks() -> list[Task]:
    """(framing, codec, setting) of every image-codec point, in the order their records are listed."""
    per_file = [(PER_FILE, c, q) for c, qs in IMAGE_CODECS.items() for q in qs]
    shared = [(HEADERS_SHARED, c, q) for c, qs in SHARED_CODECS.items() for q in qs]
    return sorted(per_file, key=lambda t: ["JPEG XL", "WebP", "PNG", "JPEG", "raw"].index(t[1])) + shared


def slowest_first(tasks: list[Task]) -> list[Task]:
    """`tasks` in the order the workers should take them."""
    return sorted(tasks, key=lambda t: SLOWEST_FIRST.index(t[:2]))


def image_codec_record(images: np.ndarray, framing: str, codec: str, setting: Setting) -> dict:
    """One image codec's record over `images` (uint8, N x 28 x 28) in one framing."""
    return (codec_record if framing == PER_FILE else shared_record)(images, codec, setting)


def hold_images(images: np.ndarray) -> None:
    """A worker's initializer: keep the digits that its tasks score."""
    global _held
    _held = images


def held_record(framing: str, codec: str, setting: Setting) -> dict:
    """`image_codec_record` over the digits this worker holds (run in a worker process)."""
    if _held is None:
        raise RuntimeError("hold_images must run first, as the worker's initializer")
    return image_codec_record(_held, framing, codec, setting)


def held_codec_records(number: int) -> list[dict]:
    """The auto-encoder codec's records at quality `number` over the digits this worker holds (run in a worker
    process, on one torch thread: the workers share the cores). Torch is imported here, by the workers that take
    such a task only."""
    from core.codec.records import quality_records
    from core.models.torch_thread import torch_threads

    if _held is None:
        raise RuntimeError("hold_images must run first, as the worker's initializer")
    with torch_threads(1):
        return quality_records(_held, number)
