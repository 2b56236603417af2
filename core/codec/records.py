"""The codec's rate–distortion records: two per quality, one real file of all the test digits and one of each.

Same schema as `core.ratedistortion.records` (family "AE codec"), so the chart needs no special case; disk-cached
keyed by every rate model's weights digest and the data, so a retrained model is never served stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import numpy as np

from core.codec.store import load_rate_model, qualities, quality_by_number, read_codec_meta
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.ratedistortion.codecs import PER_FILE, make_record
from core.storage.cache import cached_arrays, is_cached

FAMILY = "AE codec"
#: The method name of the codec's points with a file per digit (the set's one file is FAMILY's own).
PER_FILE_METHOD = f"{FAMILY} · {PER_FILE}"
#: Bumped whenever the way records are computed changes.
RECORDS_VERSION = 2


def quality_records(images: np.ndarray, number: int) -> list[dict]:
    """Quality `number`'s two records over `images` (uint8 digits): one real file of them all, decoded; and a real
    one-digit file of each (its mean size). The encoder chooses each digit's integers alone, so every one-digit
    file holds the integers the set's file holds for that digit: both decode to the same images."""
    from core.codec.latent_codec import decompress, encode_file, latents  # torch: only where records are computed

    q = quality_by_number(number)
    model, meta = load_rate_model(q.model)
    tables, codes = model.tables(), latents(model, images, meta["lmbda"])
    data = encode_file(q.model, meta["weights_sha256"], tables, codes, None, q.number)
    alone = [len(encode_file(q.model, meta["weights_sha256"], tables, row[None], None, q.number)) for row in codes]
    err = np.mean((decompress(data).images.astype(np.float64) - to_unit_float(images)) ** 2, axis=(1, 2))
    params = {"latent_dim": q.latent_dim, "lmbda": q.lmbda, "quality": q.number, "model": q.model}
    return [
        make_record(FAMILY, FAMILY, q.label, params, len(data) / len(images), err),
        make_record(PER_FILE_METHOD, FAMILY, q.label, {**params, "framing": PER_FILE}, float(np.mean(alone)), err),
    ]


def _key(n_images: int | None) -> str:
    """Names the models by their sidecars' weights digests: no model is loaded to find whether records exist."""
    digests = [(q.model, read_codec_meta(q.model)["weights_sha256"]) for q in qualities()]
    spec = json.dumps([RECORDS_VERSION, data_digest(), digests, n_images])
    return "codec_" + hashlib.sha256(spec.encode()).hexdigest()[:24]


def codec_records(n_images: int | None = None, compute: Callable[[], list[dict]] | None = None) -> list[dict]:
    """One record per quality on the first `n_images` test digits (all 10,000 by default), all in one file each;
    `compute` makes them when they aren't cached (by default one quality after another, here)."""

    def make() -> dict[str, np.ndarray]:
        images = load_split("test").images[:n_images]
        records = compute() if compute else [r for q in qualities() for r in quality_records(images, q.number)]
        return {"json": np.array(json.dumps(records))}

    return json.loads(str(cached_arrays("codec_records", _key(n_images), make)["json"]))


def codec_records_cached(n_images: int | None = None) -> bool:
    return is_cached("codec_records", _key(n_images))
