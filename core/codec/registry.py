"""The rate models a compact codec file can name: one byte each, owned by the file format.

Append only: an index, once given, always means that model id (a file names its model by index), and a retired
model keeps its number. A model without an index is written in the long form, which spells its id out.
"""

from __future__ import annotations

#: index → rate model id; 1-63 (the index shares its byte with two flags).
MODEL_INDEX: dict[int, str] = {
    1: "codec_d016_l0.003",
    2: "codec_d016_l0.0012",
    3: "codec_d016_l0.0005",
    4: "codec_d016_l0.00035",
    5: "codec_d016_l0.00025",
    6: "codec_d032_l8e-05",
    7: "codec_d032_l3e-05",
    8: "codec_d064_l5e-06",
}
MAX_INDEX = 63


def index_of(model: str) -> int | None:
    """The model's index, or None where the registry has none (the file is then written in the long form)."""
    return next((i for i, name in MODEL_INDEX.items() if name == model), None)
