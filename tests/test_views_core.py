"""The core functions behind each dashboard view, checked on cases with known answers."""

import numpy as np
import pytest

from core.data.samples import parse_indices, per_class_indices, random_indices
from core.evaluation.knee import find_knee
from core.explore.embedding import overlap_score


def test_knee_is_where_a_flat_curve_turns_steep():
    compression = np.array([50, 60, 70, 80, 90, 95, 97, 99])
    mse = np.array([1e-3, 1.05e-3, 1.1e-3, 1.15e-3, 1.2e-3, 1.3e-3, 5e-3, 2e-2])
    assert find_knee(compression, mse) == 95
    # shift where the climb starts and the knee follows it
    mse_early = np.array([1e-3, 1.05e-3, 1.1e-3, 3e-3, 8e-3, 1.5e-2, 2e-2, 3e-2])
    assert find_knee(compression, mse_early) in (70, 80)


def test_knee_needs_three_points():
    assert find_knee(np.array([50, 99]), np.array([1e-3, 1e-2])) is None


def test_overlap_of_a_perfect_mix_is_near_half_and_of_separate_clouds_near_zero():
    rng = np.random.default_rng(0)
    mixed = rng.normal(size=(2000, 2))
    source = np.repeat([0, 1], 1000)
    assert overlap_score(mixed, source) == pytest.approx(0.5, abs=0.03)
    separated = np.concatenate([rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) + 50])
    assert overlap_score(separated, source) < 0.01


def test_overlap_of_partly_shifted_clouds_lies_between():
    rng = np.random.default_rng(1)
    pts = np.concatenate([rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) + 1.5])
    assert 0.05 < overlap_score(pts, np.repeat([0, 1], 1000)) < 0.45


def test_digit_selection_modes():
    a, b = random_indices(10, seed=3), random_indices(10, seed=3)
    assert np.array_equal(a, b) and len(set(a.tolist())) == 10
    assert not np.array_equal(a, random_indices(10, seed=4))
    from core.data.mnist import load_split

    labels = load_split("test").labels[per_class_indices(2, seed=0)]
    assert labels.tolist() == [d for d in range(10) for _ in range(2)]


@pytest.mark.parametrize("text,expected", [("3, 17", [3, 17]), ("100-103", [100, 101, 102, 103]), ("5 5 6", [5, 6])])
def test_typed_indices_are_parsed(text, expected):
    assert parse_indices(text).tolist() == expected


@pytest.mark.parametrize("text", ["", "abc", "10000", "9-3", "0-999"])
def test_bad_typed_indices_get_a_message(text):
    with pytest.raises(ValueError):
        parse_indices(text)


def test_a_reconstruction_on_top_of_its_original_leaves_both_visible():
    """A good reconstruction lands on its original: it must be drawn over it, smaller, and the original see-through."""
    from figures.study import embedding_scatter

    xy = np.zeros((4, 2))  # every point in one spot
    source, labels = np.array([0, 0, 1, 1]), np.array([3, 5, 3, 5])
    fig = embedding_scatter(xy, source, labels, np.array([0, 1, 0, 1]), "source", "t", "t-SNE")
    assert [t.name for t in fig.data] == ["original", "reconstruction"]  # reconstructions drawn last, on top
    original, reconstruction = (t.marker for t in fig.data)
    assert original.size > reconstruction.size and original.opacity < reconstruction.opacity
    assert original.symbol == reconstruction.symbol == "circle"  # WebGL's fast path: open/x markers drew slowly
    by_digit = embedding_scatter(xy, source, labels, np.array([0, 1, 0, 1]), "digit", "t", "t-SNE")
    three = next(t for t in by_digit.data if t.name == "digit 3")
    assert list(three.marker.size) == [9, 4] and three.marker.opacity[0] < three.marker.opacity[1]


def test_log_axis_ticks_are_written_out_and_enclose_the_values():
    from figures.study import log_ticks

    ticks = log_ticks([0.00023, 0.011, None, 0.0, 0.04])  # None and 0 have no place on a log axis
    assert ticks["ticktext"] == ["0.0002", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05"]
    assert ticks["tickvals"] == pytest.approx([2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2])
    assert log_ticks([3e-6, 1e-5])["ticktext"] == ["2×10⁻⁶", "5×10⁻⁶", "10⁻⁵"]
    wide = log_ticks([2, 30_000])  # too many decades for 1-2-5: powers of ten only
    assert wide["ticktext"] == ["10", "100", "1,000", "10,000"]
    assert log_ticks([0.052, 0.095]) == {}  # one tick in the span: plotly's finer ticks serve better
    assert log_ticks([]) == {} and log_ticks([0.0, None]) == {}
