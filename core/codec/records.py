"""The codec's rate–distortion records: one per quality, measured from a real file of the test digits.

Same schema as `core.ratedistortion.records` (family "AE codec"), so the chart needs no special case; disk-cached
keyed by every rate model's weights digest and the data, so a retrained model is never served stale.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from core.codec.latent_codec import compress, decompress
from core.codec.store import load_rate_model, qualities
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.ratedistortion.codecs import make_record
from core.storage.cache import cached_arrays

FAMILY = "AE codec"
#: Bumped whenever the way records are computed changes.
RECORDS_VERSION = 1


def _compute(n_images: int | None) -> dict[str, np.ndarray]:
    images = load_split("test").images[:n_images]
    x = to_unit_float(images)
    records = []
    for q in qualities():
        data = compress(images, q.number)
        err = np.mean((decompress(data).images.astype(np.float64) - x) ** 2, axis=(1, 2))
        params = {"latent_dim": q.latent_dim, "lmbda": q.lmbda, "quality": q.number, "model": q.model}
        record = make_record(FAMILY, FAMILY, q.label, params, len(data) / len(images), err)
        records.append(record)
    return {"json": np.array(json.dumps(records))}


def codec_records(n_images: int | None = None) -> list[dict]:
    """One record per quality on the first `n_images` test digits (all 10,000 by default), all in one file each."""
    digests = [(q.model, load_rate_model(q.model)[1]["weights_sha256"]) for q in qualities()]
    spec = json.dumps([RECORDS_VERSION, data_digest(), digests, n_images])
    key = "codec_" + hashlib.sha256(spec.encode()).hexdigest()[:24]
    return json.loads(str(cached_arrays("codec_records", key, lambda: _compute(n_images))["json"]))
