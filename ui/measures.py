"""Cached `core` calls for the rate–distortion and recognisability views.

Kept beside ui/widgets.py (not in it) so each helper module owns one subject. The same
two layers as there: `st.cache_data` keeps results per server process, keyed by the
weights digests they depend on (for the codec's records, its rate models' sidecars, which
name their weights' digests); behind it `core` keeps its own disk cache, so a fresh
server reads the records and predictions in well under a second.

A missing or damaged classifier is not a reason to break a page: `classifier_problem()`
returns the message to show (or None), and pages show it and carry on without the
classifier's panels.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from core.checkpoints.files import read_meta


def _ae_digests(dims: list[int]) -> tuple[str, ...]:
    return tuple(read_meta(d)["weights_sha256"] for d in dims)


def classifier_digest() -> str:
    """The shipped classifier's weights digest; ClassifierError if it is missing or unreadable."""
    from core.checkpoints.classifier import read_classifier_meta

    return read_classifier_meta()["weights_sha256"]


@st.cache_data(show_spinner=False)
def _classifier_verified(weights_sha256: str) -> None:
    """Checked once per weights digest, not on every rerun (an error is not cached: it is raised again)."""
    from core.checkpoints.classifier import verify_classifier

    verify_classifier()


def classifier_problem() -> str | None:
    """None when the classifier's checkpoint is sound (checked without torch); otherwise a message for the page
    (never a traceback)."""
    from core.checkpoints.classifier import ClassifierError

    try:
        _classifier_verified(classifier_digest())
    except ClassifierError as exc:
        return f"**The digit classifier can't be used,** so recognisability is not shown. {exc}"
    return None


def codec_sidecars() -> tuple[str, ...]:
    """Each rate model of the codec as 'name:SHA-256 of its sidecar' (the sidecar names its weights' digest).

    Read from the small JSON files, no model loaded, so computing it on every rerun costs nothing.
    """
    from core.codec.store import codec_paths, list_codec_models

    out = []
    for name in list_codec_models():
        try:
            out.append(f"{name}:{hashlib.sha256(codec_paths(name).meta.read_bytes()).hexdigest()}")
        except OSError:  # removed while we looked: the records' own loader says what is wrong
            out.append(f"{name}:unreadable")
    return tuple(out)


def rd_records_key(dims: list[int]) -> tuple:
    """What the records depend on beyond the data: the sizes, the auto-encoders' digests, the codec's rate models."""
    return tuple(dims), _ae_digests(dims), codec_sidecars()


@st.cache_data(show_spinner=False)
def _rd_records(dims: tuple[int, ...], digests: tuple[str, ...], codec_models: tuple[str, ...]) -> list[dict]:
    from core.ratedistortion.records import rd_records

    return rd_records(list(dims))


def rd_records(dims: list[int]) -> list[dict]:
    """Every rate–distortion record, kept per server process for as long as its models are unchanged."""
    return _rd_records(*rd_records_key(dims))


@st.cache_data(show_spinner=False, max_entries=256)
def _point_images(record_key: str, record: dict, indices: tuple[int, ...]) -> np.ndarray:
    from core.ratedistortion.records import reconstruct_point

    return reconstruct_point(record, list(indices))


def point_images(record: dict, indices: list[int]) -> np.ndarray:
    """A method's reconstructions of a few test digits at one operating point (cached per point)."""
    params = record["params"]
    digest = read_meta(params["latent_dim"])["weights_sha256"] if record["family"] == "auto-encoder" else ""
    key = f"{record['method']}|{record['setting']}|{record['n_images']}|{digest}"
    return _point_images(key, record, tuple(int(i) for i in indices))


@st.cache_data(show_spinner=False)
def _recognition_records(dims: tuple[int, ...], digests: tuple[str, ...], clf: str) -> list[dict]:
    from core.evaluation.recognition import recognition_records

    return recognition_records(list(dims))


def recognition_records(dims: list[int]) -> list[dict]:
    return _recognition_records(tuple(dims), _ae_digests(dims), classifier_digest())


@st.cache_data(show_spinner=False, max_entries=64)
def _confusion(method: str, latent_dim: int, digest: str, clf: str) -> np.ndarray:
    from core.evaluation.recognition import confusion

    return confusion(method, latent_dim)


def confusion(method: str, latent_dim: int) -> np.ndarray:
    return _confusion(method, latent_dim, read_meta(latent_dim)["weights_sha256"], classifier_digest())


@st.cache_data(show_spinner=False, max_entries=64)
def _confused_examples(
    method: str, latent_dim: int, true: int, read_as: int, n: int, digest: str, clf: str
) -> tuple[np.ndarray, np.ndarray]:
    from core.data.mnist import load_split
    from core.evaluation.recognition import pair_reconstructions

    indices, reconstructions = pair_reconstructions(method, latent_dim, true, read_as, n)
    return load_split("test").float_images(indices), reconstructions


def confused_examples(method: str, latent_dim: int, true: int, read_as: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to `n` test digits of `true` read as `read_as` at this level, and their reconstructions (cached)."""
    digest = read_meta(latent_dim)["weights_sha256"]
    return _confused_examples(method, latent_dim, true, read_as, n, digest, classifier_digest())


@st.cache_data(show_spinner=False)
def _original_accuracy(clf: str) -> float:
    from core.evaluation.recognition import ORIGINAL, classifier_accuracy

    return classifier_accuracy(ORIGINAL)


def original_accuracy() -> float:
    """The classifier's accuracy on the clean test digits."""
    return _original_accuracy(classifier_digest())


def show_classifier_readings(digit: np.ndarray, results: list) -> None:
    """One line under a digit's reconstructions: what the classifier reads in the digit and in each level's."""
    from core.evaluation.recognition import read_digits
    from figures.study import level_label

    problem = classifier_problem()
    if problem:
        st.warning(problem)
        return
    ordered = sorted(results, key=lambda r: (-r.latent_dim, isinstance(r.model, str)))
    (d, p), *readings = read_digits([digit, *(r.reconstruction for r in ordered)])
    parts = [f"your digit → **{d}** ({p:.0%})"]
    for r, (rd, rp) in zip(ordered, readings, strict=True):
        flag = "" if rd == d else " ⚠"
        parts.append(f"{level_label(r.model)} → **{rd}** ({rp:.0%}){flag}")
    st.markdown(
        "**The classifier reads:** " + " · ".join(parts),
        help="a small CNN trained on MNIST (core/models/classifier.py)",
    )
