"""The latent codec: images → rounded latents → entropy-coded stream in a codec file, and back.

Encoding runs the rate model's encoder (batched, on the shared inference thread), rounds (choosing among a few
roundings per digit the one that codes it best, `latents`), clamps each dimension into its table's support (no
escape symbols: a latent past the table's edge is coded as the edge) and range-codes the integers. Decoding needs
only the file, the integer tables and the decoder; the decoder's float output is the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from core.checkpoints.files import CheckpointError
from core.codec import exact_coder
from core.codec.entropy import EntropyTables, StreamError
from core.codec.fileformat import SMALL_SET, CodecFile, CodecFileError, Header, parse_file, write_file
from core.codec.long_format import write_long_file
from core.codec.model import RateModel
from core.codec.names import NamesError, decode_names, encode_names
from core.codec.registry import index_of
from core.codec.store import codec_paths, load_rate_model, qualities, quality_by_number, train_command
from core.levels import IMAGE_SIDE
from core.models.inference import as_input, in_batches
from core.models.torch_thread import on_torch_thread


@dataclass(frozen=True)
class Decoded:
    """A decoded file: `images` float32 (N, 28, 28) in [0, 1], `names` ("" where none), its `header`."""

    images: np.ndarray
    names: list[str]
    header: Header


def check_images(images: np.ndarray) -> np.ndarray:
    """Images as (N, 28, 28), uint8 or float in [0, 1]; ValueError with a message otherwise."""
    x = np.asarray(images)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"expected digits of shape (N, {IMAGE_SIDE}, {IMAGE_SIDE}), got {x.shape}")
    if x.dtype != np.uint8:
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"expected uint8 or float pixels, got {x.dtype}")
        if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
            raise ValueError("float pixels must be finite and in [0, 1]")
    return x


#: How far past the half-way point a latent may lie and still be rounded towards its component's most likely value,
#: for each candidate the encoder weighs (0: plain rounding).
DEAD_ZONES = (0.0, 0.1, 0.2)


@on_torch_thread
@torch.no_grad()
def rounded_latents(model: RateModel, images: np.ndarray) -> np.ndarray:
    """The encoder's latents for `images`, rounded to the nearest integers (N, d): what training saw."""
    out = in_batches(lambda x: torch.round(model.analysis(x)), as_input(images))
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros((0, model.latent_dim), np.int64)


def _chosen(model: RateModel, x: torch.Tensor, lmbda: float) -> torch.Tensor:
    """One batch's coded integers: each digit's candidate (`DEAD_ZONES`) of least MSE + λ · bits, as decoded.
    Candidates are priced under the component plain rounding picks (the coder may then find a cheaper one), and
    only the digits a candidate changes are decoded again."""
    tables = model.tables()
    y = model.analysis(x).double().numpy()
    plain = np.round(y).astype(np.int64)
    component, _ = tables.price(plain)
    mode = tables.modes[component]
    target = x.reshape(len(x), -1)
    best, best_cost = plain, np.full(len(x), np.inf)
    previous, mse, off = None, np.zeros(len(x)), y - mode
    for zone in DEAD_ZONES:
        q = plain if zone == 0 else mode + (np.sign(off) * np.floor(np.abs(off) + 0.5 - zone)).astype(np.int64)
        q = tables.clamp(q, component)
        changed = np.ones(len(x), bool) if previous is None else (q != previous).any(1)
        if changed.any():
            rows = torch.from_numpy(q[changed].astype(np.float32))
            decoded = model.synthesis(rows).reshape(len(rows), -1)
            mse = mse.copy()
            mse[changed] = ((decoded - target[changed]) ** 2).mean(1).double().numpy()
        cost = mse + lmbda * tables.price_under(q, component)
        better = cost < best_cost
        best, best_cost, previous = np.where(better[:, None], q, best), np.where(better, cost, best_cost), q
    return torch.from_numpy(best)


@on_torch_thread
@torch.no_grad()
def latents(model: RateModel, images: np.ndarray, lmbda: float) -> np.ndarray:
    """The integers (N, d) the codec codes for `images` with a rate model trained at `lmbda`.

    Rounding each latent to its nearest integer is not what codes a digit best: the decoder is not linear, and
    a latent just past half-way costs bits to round away from its component's most likely value. So the encoder
    decodes a few candidates per digit (`DEAD_ZONES`) and keeps the one of least MSE + λ · bits, the loss the
    model was trained for (rate–distortion optimised quantisation). The decoder reads only the integers, so
    this changes no file's format, only which integers are written (bench/codec_notes.md)."""
    out = in_batches(lambda x: _chosen(model, x, lmbda), as_input(images))
    return torch.cat(out).numpy() if out else np.zeros((0, model.latent_dim), np.int64)


@on_torch_thread
@torch.no_grad()
def reconstruct(model: RateModel, q: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) float32 in [0, 1] from integer latents (N, d)."""
    z = torch.from_numpy(np.asarray(q, np.float32).reshape(-1, model.latent_dim))
    out = in_batches(model.synthesis, z)
    if not out:
        return np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    return torch.cat(out).numpy().reshape(-1, IMAGE_SIDE, IMAGE_SIDE).clip(0, 1)


def encode_file(
    model: str, weights_sha256: str, tables: EntropyTables, q: np.ndarray, names: Sequence[str] | None, number: int
) -> bytes:
    """The file for integer latents q (N, d): the compact form where the registry has the model (the exact code for
    a small set, else the range coder's), the long form otherwise (`number`, the quality, goes into its header)."""
    named = list(names) if names is not None and any(names) else None
    if index_of(model) is None:
        header = Header(2, model, weights_sha256, len(q), (IMAGE_SIDE, IMAGE_SIDE), number)
        return write_long_file(header, named, tables.encode(q))
    small = len(q) <= SMALL_SET
    stream = exact_coder.encode(tables, tables.clamp(q, tables.choose(q))) if small else tables.encode(q)
    return write_file(model, weights_sha256, len(q), encode_names(named) if named else None, stream)


def compress_with(model: RateModel, meta: dict, images: np.ndarray, number: int, names: Sequence[str] | None) -> bytes:
    """One codec file for `images` with this rate model."""
    x = check_images(images)
    if names is not None and len(names) != len(x):
        raise ValueError(f"got {len(names)} names for {len(x)} digits")
    q = latents(model, x, meta["lmbda"])
    return encode_file(meta["name"], meta["weights_sha256"], model.tables(), q, names, number)


def compress(images: np.ndarray, quality: int, names: Sequence[str] | None = None) -> bytes:
    """One file (header + entropy-coded stream) for all N digits (N, 28, 28) at quality `quality` (1 = fewest bytes)."""
    q = quality_by_number(quality)
    model, meta = load_rate_model(q.model)
    return compress_with(model, meta, images, q.number, names)


def _with_quality(header: Header) -> Header:
    """A compact file's header with its model's quality number here (the file doesn't store one)."""
    if header.quality:
        return header
    number = next((q.number for q in qualities() if q.model == header.model), 0)
    return replace(header, quality=number)


def read_header(data: bytes) -> Header:
    """The header of a codec file; CodecFileError if the file is not a whole, intact codec file."""
    return _with_quality(parse_file(data).header)


def model_for(header: Header) -> RateModel:
    """The rate model a file was written with; CodecFileError naming it (and how to train it) if it isn't here."""
    if not codec_paths(header.model).meta.is_file():
        raise CodecFileError(
            f"This file was written with the model {header.model}, which this machine doesn't have. "
            f"Train it with: {train_command(header.model)}"
        )
    try:
        model, meta = load_rate_model(header.model)
    except CheckpointError as exc:
        raise CodecFileError(f"This file needs the model {header.model}, which can't be loaded here: {exc}") from exc
    if not meta["weights_sha256"].startswith(header.weights_sha256):
        raise CodecFileError(
            f"This file was written with another version of {header.model} (weights {header.weights_sha256}…, "
            f"here {meta['weights_sha256'][:16]}…); it can't be decoded with this one."
        )
    return model


def _latents(parsed: CodecFile, tables: EntropyTables) -> np.ndarray:
    header, stream = parsed.header, parsed.stream
    if header.version >= 3 and header.n_images <= SMALL_SET:
        return exact_coder.decode(tables, stream, header.n_images)
    # Every digit costs at least this many bits, so the stream's length bounds how many it can hold.
    most = int((len(stream) * 8 + 64) / max(tables.min_bits_per_row(), 1e-3)) + 1
    if header.n_images > most:
        raise CodecFileError(
            f"This codec file is damaged: it claims {header.n_images:,} digits, "
            f"but its stream can hold at most {most:,}."
        )
    return tables.decode(stream, header.n_images)


def _names(parsed: CodecFile) -> list[str]:
    n = parsed.header.n_images
    if parsed.names_block is None:
        return parsed.names or [""] * n
    try:
        return decode_names(parsed.names_block, n)
    except NamesError as exc:
        raise CodecFileError(f"This codec file is damaged: {exc}.") from exc


def decompress(data: bytes) -> Decoded:
    """The digits of a codec file; CodecFileError for every file that can't be decoded."""
    parsed = parse_file(data)
    model = model_for(parsed.header)
    try:
        q = _latents(parsed, model.tables())
    except StreamError as exc:
        raise CodecFileError(f"This codec file is damaged: {exc}.") from exc
    return Decoded(reconstruct(model, q), _names(parsed), _with_quality(parsed.header))


def digit_code(image: np.ndarray, quality: int) -> bytes:
    """The coded bits of one digit alone (no header), as a one-digit file holds them: what it costs here."""
    x = check_images(image)
    if len(x) != 1:
        raise ValueError(f"digit_code takes one digit, got {len(x)}")
    model, meta = load_rate_model(quality_by_number(quality).model)
    return parse_file(compress_with(model, meta, x, quality, None)).stream
