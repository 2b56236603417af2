"""What the projector shows of a class's digits, computed from the digits alone (no Streamlit).

Each digit goes through the study's four levels and the classifier reads the original and each
reconstruction; its errors are ranked among the test digits' as *Your digit* does (the same
`LevelResult`, the same "unlike MNIST" rule), but a refresh's new digits go through in one batch.
A digit's result never changes, so it is kept in memory by its pixels and the models' digests.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from core.checkpoints.classifier import ClassifierError
from core.checkpoints.loaded import load_model_and_meta, model_meta
from core.classroom.rooms import ClassDigit
from core.evaluation.evaluate import evaluate
from core.evaluation.metrics import GroupStats, per_digit
from core.explore.your_digit import UNUSUAL_PERCENTILE, LevelResult, unlike_mnist
from core.levels import IMAGE_SIDE, STUDY_LATENT_DIMS
from core.models.torch_thread import on_torch_thread

MOST_COMPRESSED = min(STUDY_LATENT_DIMS)  # d=8, the study's 99 %
_REPORTS: OrderedDict[str, DigitReport] = OrderedDict()
MAX_KEPT_REPORTS = 5_000


@dataclass(frozen=True)
class DigitReport:
    levels: tuple[LevelResult, ...]  # the study's levels, least compressed first
    original_reading: tuple[int, float] | None  # (digit, probability); None without a classifier
    level_readings: tuple[tuple[int, float], ...] | None  # one per level, same order

    @property
    def unlike_mnist(self) -> bool:
        return unlike_mnist(list(self.levels))

    @property
    def oddness(self) -> float:
        """How un-MNIST-like: the mean, over levels, of the share of test digits it reconstructs worse than."""
        return float(np.mean([r.test_percentile for r in self.levels]))

    def at(self, latent_dim: int) -> LevelResult:
        return next(r for r in self.levels if r.latent_dim == latent_dim)

    def reading_at(self, latent_dim: int) -> tuple[int, float] | None:
        if self.level_readings is None:
            return None
        i = [r.latent_dim for r in self.levels].index(latent_dim)
        return self.level_readings[i]


def _key(pixels: np.ndarray, dims: tuple[int, ...]) -> str:
    digests = ",".join(model_meta(d)["weights_sha256"][:16] for d in dims)
    return hashlib.sha256(np.asarray(pixels, np.float32).tobytes()).hexdigest() + digests


@lru_cache(maxsize=64)
def _sorted_test_errors(latent_dim: int, weights_sha256: str) -> np.ndarray:
    """The test digits' errors at one level, sorted: where a class digit's error ranks among them."""
    return np.sort(evaluate("ae", latent_dim).image_mse)


@on_torch_thread
@torch.no_grad()
def _reconstruct_batch(pixels: np.ndarray, latent_dim: int) -> tuple[np.ndarray, np.ndarray]:
    model, _ = load_model_and_meta(latent_dim)
    code = model.encoder(torch.from_numpy(pixels.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)))
    return model.decoder(code).numpy().reshape(-1, IMAGE_SIDE, IMAGE_SIDE), code.numpy().reshape(len(pixels), -1)


def _compute_reports(pixels: np.ndarray, dims: tuple[int, ...]) -> list[DigitReport]:
    """Many digits at once: one forward pass per level and one for the classifier (a refresh's new digits)."""
    levels: list[list[LevelResult]] = [[] for _ in pixels]
    for d in sorted(dims, reverse=True):
        recon, codes = _reconstruct_batch(pixels, d)
        errors = _sorted_test_errors(d, model_meta(d)["weights_sha256"])
        threshold = float(np.percentile(errors, UNUSUAL_PERCENTILE))
        mse = ((recon - pixels) ** 2).reshape(len(pixels), -1).mean(axis=1)
        for i in range(len(pixels)):
            share = float(np.searchsorted(errors, mse[i]) / len(errors) * 100)
            levels[i].append(LevelResult(d, recon[i], codes[i], float(mse[i]), share, threshold))
    try:
        from core.evaluation.recognition import read_digits

        images = [im for i, own in enumerate(pixels) for im in (own, *(r.reconstruction for r in levels[i]))]
        readings = read_digits(images)
    except ClassifierError:
        return [DigitReport(tuple(lv), None, None) for lv in levels]
    per = len(dims) + 1
    return [
        DigitReport(tuple(lv), readings[i * per], tuple(readings[i * per + 1 : (i + 1) * per]))
        for i, lv in enumerate(levels)
    ]


def digit_report(pixels: np.ndarray, dims: tuple[int, ...] = STUDY_LATENT_DIMS) -> DigitReport:
    """One digit at each level, with the classifier's readings (kept in memory)."""
    return reports_for([pixels], dims)[0]


def reports_for(images: list[np.ndarray], dims: tuple[int, ...] = STUDY_LATENT_DIMS) -> list[DigitReport]:
    """Each digit's report; only those not seen before are computed, together."""
    keys = [_key(im, dims) for im in images]
    new = list(dict.fromkeys(k for k in keys if k not in _REPORTS))
    if new:
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        batch = np.stack([np.asarray(images[first[k]], np.float32) for k in new])
        for k, report in zip(new, _compute_reports(batch, dims), strict=True):
            _REPORTS[k] = report
    out = []
    for k in keys:
        _REPORTS.move_to_end(k)
        out.append(_REPORTS[k])
    while len(_REPORTS) > MAX_KEPT_REPORTS:
        _REPORTS.popitem(last=False)
    return out


def class_reports(digits: list[ClassDigit], dims: tuple[int, ...] = STUDY_LATENT_DIMS) -> list[DigitReport]:
    return reports_for([d.pixels for d in digits], dims)


def misread_at(
    digits: list[ClassDigit], reports: list[DigitReport], latent_dim: int = MOST_COMPRESSED
) -> list[tuple[ClassDigit, int]]:
    """The digits whose reconstruction at `latent_dim` the classifier reads as another digit than meant."""
    out = []
    for digit, report in zip(digits, reports, strict=True):
        reading = report.reading_at(latent_dim)
        if reading is not None and reading[0] != digit.label:
            out.append((digit, reading[0]))
    return out


def least_mnist_like(digits: list[ClassDigit], reports: list[DigitReport]) -> tuple[ClassDigit, DigitReport] | None:
    """The digit the models find strangest (highest mean test percentile of its errors)."""
    if not digits:
        return None
    i = int(np.argmax([r.oddness for r in reports]))
    return digits[i], reports[i]


def class_error_by_digit(digits: list[ClassDigit], reports: list[DigitReport], latent_dim: int) -> GroupStats:
    """The class's mean MSE per meant digit at one level, with 95 % t-intervals (as for the test set)."""
    mse = np.array([r.at(latent_dim).mse for r in reports], np.float64)
    return per_digit(mse, np.array([d.label for d in digits]))


def mnist_error_by_digit(latent_dim: int) -> GroupStats:
    """MNIST's 10,000 test digits' mean MSE per digit at one level, with 95 % t-intervals."""
    from core.evaluation.evaluate import evaluate

    return evaluate("ae", latent_dim).per_digit()


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def export_zip(digits: list[ClassDigit], reports: list[DigitReport]) -> bytes:
    """The class's digits as 28x28 PNGs and one CSV (meant digit, student number, readings, errors)."""
    buf = io.BytesIO()
    table = io.StringIO()
    dims = [r.latent_dim for r in reports[0].levels] if reports else list(sorted(STUDY_LATENT_DIMS, reverse=True))
    writer = csv.writer(table)
    writer.writerow(
        ["file", "digit_id", "student", "meant", "sent_at_utc", "hidden", "read_as"]
        + [f"mse_d{d}" for d in dims]
        + [f"read_as_d{d}" for d in dims]
        + ["unlike_mnist"]
    )
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for digit, report in zip(digits, reports, strict=True):
            name = f"digits/{digit.id:05d}_meant{digit.label}_student{digit.student_number}.png"
            archive.writestr(name, _png(digit.pixels))
            readings = report.level_readings or [(None, None)] * len(dims)
            writer.writerow(
                [
                    name,
                    digit.id,
                    digit.student_number,
                    digit.label,
                    dt.datetime.fromtimestamp(digit.sent_at, dt.UTC).isoformat(timespec="seconds"),
                    int(digit.hidden),
                    report.original_reading[0] if report.original_reading else "",
                    *(f"{r.mse:.6f}" for r in report.levels),
                    *("" if reading[0] is None else reading[0] for reading in readings),
                    int(report.unlike_mnist),
                ]
            )
        archive.writestr("digits.csv", table.getvalue())
    return buf.getvalue()
