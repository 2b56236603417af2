"""The digit classifier: shipped at ≥ 99 %, trainable, and a clear error when its checkpoint is unusable."""

import shutil

import numpy as np
import pytest

from core.checkpoints.classifier import ClassifierError, classifier_paths, load_classifier, save_classifier
from core.data.mnist import load_split
from core.evaluation.recognition import (
    ConfusedPair,
    classifier_accuracy,
    confusion,
    most_confused,
    pair_examples,
    read_digit,
)
from core.models.classifier import ClassifierConfig, accuracy
from core.paths import REPO_ROOT
from core.training.classifier import train_classifier


def test_shipped_classifier_reads_at_least_99_percent_of_the_real_test_set():
    model, meta = load_classifier()
    test = load_split("test")
    acc = accuracy(model, test.images, test.labels)  # evaluated now, not read from the JSON
    assert acc >= 0.99
    assert acc == pytest.approx(
        meta["metrics"]["test_accuracy"], abs=3e-4
    )  # a few borderline digits may flip on another CPU vendor's kernels
    assert meta["data_digest"] and meta["wall_time_s"] > 0 and len(meta["weights_sha256"]) == 64


def test_training_on_a_small_subset_lowers_the_loss_and_is_deterministic(small_mnist, tmp_checkpoints):
    train_x, test_x = small_mnist
    labels = load_split("train").labels[: len(train_x)]
    test_y = load_split("test").labels[: len(test_x)]
    config = ClassifierConfig(epochs=2, batch_size=64)
    a = train_classifier(config, train_x, labels, test_x, test_y)
    assert a.history[1]["train_loss"] < a.history[0]["train_loss"]
    assert a.history[-1]["test_accuracy"] > 0.8
    b = train_classifier(config, train_x, labels, test_x, test_y)
    for (name, pa), pb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert np.array_equal(pa.numpy(), pb.numpy()), name
    meta = save_classifier(a, tmp_checkpoints)
    assert classifier_paths(tmp_checkpoints).weights.is_file() and meta["config"]["epochs"] == 2


def test_classifier_does_not_show_up_as_an_autoencoder_level():
    from core.checkpoints.files import list_checkpoints

    assert all(isinstance(d, int) for d in list_checkpoints())
    assert (REPO_ROOT / "checkpoints" / "classifier.safetensors").is_file()


def test_missing_or_corrupt_classifier_is_a_clear_error(tmp_checkpoints):
    with pytest.raises(ClassifierError, match=r"python -m core\.classifier --train"):
        load_classifier()
    src = classifier_paths(REPO_ROOT / "checkpoints")
    dst = classifier_paths(tmp_checkpoints)
    shutil.copy(src.meta, dst.meta)
    dst.weights.write_bytes(src.weights.read_bytes()[:-100] + b"x" * 100)
    with pytest.raises(ClassifierError, match="corrupt"):
        load_classifier()


def test_confusion_matrix_counts_every_test_digit_and_matches_the_accuracy():
    m = confusion("ae", 8)
    assert m.sum() == 10_000 and (m.sum(axis=1) == np.bincount(load_split("test").labels, minlength=10)).all()
    assert m.trace() / m.sum() == pytest.approx(classifier_accuracy("ae", 8))
    assert classifier_accuracy("original") >= 0.99 > classifier_accuracy("ae", 2)
    pairs = most_confused(m, 3)
    assert len(pairs) == 3 and pairs[0].count >= pairs[1].count >= pairs[2].count
    idx = pair_examples("ae", 8, pairs[0].true, pairs[0].read_as, k=4)
    assert len(idx) == min(4, pairs[0].count) and (load_split("test").labels[idx] == pairs[0].true).all()


def test_confused_pairs_are_spelled_out_in_words():
    assert ConfusedPair(2, 8, 23, 1032).sentence("At 99 %") == "At 99 %, 23 of the 1,032 twos are read as eights"
    assert ConfusedPair(4, 9, 1, 982).sentence("At 95 %") == "At 95 %, 1 of the 982 fours is read as a nine"
    assert ConfusedPair(9, 8, 1, 1009).sentence("x").endswith("is read as an eight")


def test_read_digit_reads_a_real_test_digit():
    test = load_split("test")
    digit, p = read_digit(test.float_images()[0])
    assert digit == test.labels[0] and 0.5 < p <= 1
