"""Do the reconstructions follow the originals' distribution? The partner-free overlap and the map-independent
divergence, checked on controls whose answer is known, and shown to flip a verdict when one digit is spoiled."""

import numpy as np
import pytest

from core.data.mnist import load_split
from core.evaluation.divergence import (
    INDISTINGUISHABLE,
    frechet,
    frechet_interval,
    two_sample_accuracy,
    two_sample_test,
)
from core.evaluation.metrics import binomial_ci, bootstrap_ci, difference_ci, mean_ci, per_digit
from core.evaluation.verdicts import CANT_TELL, DOES_NOT_HOLD, HOLDS, every, judge, ranking_verdict, verdict
from core.explore.embedding import MIXING_THRESHOLD, overlap, overlap_score


@pytest.fixture(scope="module")
def digit_map():
    """A real 2-D map of 2,000 test originals (their first two principal components), with their labels."""
    from sklearn.decomposition import PCA

    test = load_split("test")
    images = test.float_images(np.arange(2000)).reshape(2000, -1)
    return PCA(n_components=2, random_state=0).fit_transform(images), np.asarray(test.labels[:2000])


def mixing_verdict(interval) -> str:
    return judge(*interval, threshold=MIXING_THRESHOLD)


def test_two_disjoint_halves_of_the_originals_read_about_half(digit_map):
    xy, labels = digit_map
    source = np.random.default_rng(0).permutation(np.repeat([0, 1], 1000))
    result = overlap(xy, source, labels, n_boot=300)
    est, low, high = result.overall
    assert est == pytest.approx(0.5, abs=0.02)
    assert high - low < 0.03
    assert mixing_verdict(result.overall) == HOLDS


def test_a_shifted_copy_reads_clearly_below_half(digit_map):
    xy, labels = digit_map
    shifted = np.concatenate([xy, xy + xy.std(0)])  # each original, and a copy moved by one spread
    result = overlap(xy=shifted, source=np.repeat([0, 1], 2000), labels=np.tile(labels, 2), n_boot=300)
    assert result.overall[2] < 0.35
    assert mixing_verdict(result.overall) == DOES_NOT_HOLD


def test_an_exact_partner_inflates_the_old_number_but_not_the_new(digit_map):
    xy, labels = digit_map
    jitter = np.random.default_rng(1).normal(scale=1e-4, size=xy.shape)
    pairs = np.concatenate([xy, xy + jitter])
    source, partner = np.repeat([0, 1], 2000), np.concatenate([np.arange(2000, 4000), np.arange(2000)])
    assert overlap_score(pairs, source) > 0.53
    assert overlap(pairs, source, np.tile(labels, 2), partner, n_boot=200).overall[0] == pytest.approx(0.5, abs=0.02)


def test_moving_one_digits_reconstructions_flips_only_that_digits_verdict(digit_map):
    xy, labels = digit_map
    copy = xy + np.random.default_rng(2).normal(scale=0.05, size=xy.shape)
    copy[labels == 3] += 3 * xy.std(0)
    partner = np.concatenate([np.arange(2000, 4000), np.arange(2000)])
    result = overlap(np.concatenate([xy, copy]), np.repeat([0, 1], 2000), np.tile(labels, 2), partner, n_boot=300)
    outcomes = {d: mixing_verdict(iv) for d, iv in result.per_digit.items()}
    assert outcomes[3] == DOES_NOT_HOLD
    assert all(outcomes[d] == HOLDS for d in range(10) if d != 3)
    # ... and digit 3 now "separates most", a claim the same rule can test
    ranked = ranking_verdict("3 separates most", {d: result.difference(3, d) for d in range(10) if d != 3})
    assert ranked.outcome == HOLDS


def test_overlap_is_reproducible_with_its_seed(digit_map):
    xy, labels = digit_map
    source = np.repeat([0, 1], 1000)
    a, b = overlap(xy, source, labels, n_boot=100, seed=5), overlap(xy, source, labels, n_boot=100, seed=5)
    assert a.overall == b.overall and a.per_digit == b.per_digit


def test_bootstrap_interval_of_a_mean_agrees_with_the_normal_formula():
    values = np.random.default_rng(0).normal(loc=2.0, size=2000)
    est, low, high = bootstrap_ci(values, n_boot=2000, seed=0)
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    assert est == pytest.approx(values.mean())
    assert low == pytest.approx(est - half, rel=0.01) and high == pytest.approx(est + half, rel=0.01)


def test_binomial_interval_is_wilsons():
    est, low, high = binomial_ci(50, 100)
    assert (est, round(low, 4), round(high, 4)) == (0.5, 0.4038, 0.5962)  # Wilson's textbook value for 50/100
    assert binomial_ci(0, 20)[1] == 0.0


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_mean_interval_is_students_t(confidence):
    from scipy import stats

    values = np.random.default_rng(1).normal(size=37)
    m, low, high = mean_ci(values, confidence)
    t_low, t_high = stats.t.interval(confidence, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert m == pytest.approx(values.mean()) and low == pytest.approx(t_low, abs=1e-12)
    assert high == pytest.approx(t_high, abs=1e-12)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_binomial_interval_matches_scipys_wilson(confidence):
    from scipy.stats import binomtest

    for successes, n in [(0, 1), (1, 7), (13, 40), (39, 40), (871, 1000), (10000, 10000)]:
        ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
        _, low, high = binomial_ci(successes, n, confidence)
        assert low == pytest.approx(min(ci.low, successes / n), abs=1e-12)
        assert high == pytest.approx(max(ci.high, successes / n), abs=1e-12)


def test_difference_of_two_digits_means_is_wider_than_either():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 300)
    values = rng.normal(size=3000) + (labels == 1) * 0.5
    stats = per_digit(values, labels)
    est, low, high = difference_ci(stats, 1, 0)
    assert est == pytest.approx(stats.mean[1] - stats.mean[0])
    assert high - low > stats.ci_high[1] - stats.ci_low[1]
    assert low > 0


def test_a_ranking_claim_fails_when_a_rival_is_clearly_lower_and_is_open_when_close():
    assert ranking_verdict("1 is easiest", {0: (-1.0, -1.2, -0.8), 2: (-2, -2.5, -1.5)}).outcome == HOLDS
    open_ = ranking_verdict("1 is easiest", {0: (-1.0, -1.2, -0.8), 2: (-0.1, -0.3, 0.1)})
    assert open_.outcome == CANT_TELL and "2" in open_.sentence
    assert ranking_verdict("1 is easiest", {0: (0.5, 0.3, 0.7), 2: (-1, -2, -0.5)}).outcome == DOES_NOT_HOLD
    assert every([HOLDS, CANT_TELL]) == CANT_TELL


def test_a_verdicts_sentence_states_its_interval_and_threshold():
    v = verdict("They mix", 0.5, 0.49, 0.51, threshold=0.45, measure="overlap", fmt=".0%")
    assert v.outcome == HOLDS
    assert "50%" in v.sentence and "49%" in v.sentence and "45%" in v.sentence


def test_frechet_distance_is_zero_for_one_cloud_and_matches_scipys_formula():
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(500, 6)), rng.normal(size=(500, 6)) * 1.5 + 0.3
    assert frechet(a, a) == pytest.approx(0.0, abs=1e-8)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca + cb - 2 * np.real(sqrtm(ca @ cb)))
    assert frechet(a, b) == pytest.approx(ref, rel=1e-6)
    est, low, high = frechet_interval(a, b, n_boot=30)
    assert low <= est <= high and low > 0


@pytest.fixture(scope="module")
def digits():
    test = load_split("test")
    return test.float_images(np.arange(2000)), np.asarray(test.labels[:2000])


def test_a_copy_of_the_originals_cannot_be_told_apart(digits):
    originals, labels = digits
    result = two_sample_test(originals, originals.copy(), labels)
    est, low, high = result.accuracy()
    assert est == pytest.approx(0.5)
    assert judge(est, low, high, INDISTINGUISHABLE, holds_above=False) == HOLDS


def test_reconstructions_spoiled_for_one_digit_flip_that_digits_divergence_verdict(digits):
    originals, labels = digits
    biased = originals.copy()
    biased[labels == 3] = np.roll(originals[labels == 3], 3, axis=2) * 0.6  # moved and faded: only the threes
    per = two_sample_test(originals, biased, labels).per_digit()
    outcomes = {d: judge(*iv, threshold=INDISTINGUISHABLE, holds_above=False) for d, iv in per.items()}
    assert outcomes[3] == DOES_NOT_HOLD
    assert all(outcomes[d] != DOES_NOT_HOLD and per[d][0] == pytest.approx(0.5) for d in range(10) if d != 3)


def test_the_classifier_tells_a_two_number_code_apart_better_than_a_392_number_one(tmp_cache):
    strong, weak = two_sample_accuracy(2, n=600), two_sample_accuracy(392, n=600)
    assert strong[1] > weak[2]  # intervals apart
    assert judge(*strong, threshold=INDISTINGUISHABLE, holds_above=False) == DOES_NOT_HOLD
    assert two_sample_accuracy(2, n=600) == strong  # cached, same answer


def test_the_embedding_page_gives_the_partner_free_overlap_and_the_divergence_with_intervals_and_verdicts():
    from streamlit.testing.v1 import AppTest

    from core.evaluation.verdicts import OUTCOMES
    from core.paths import REPO_ROOT

    at = AppTest.from_file(str(REPO_ROOT / "pages/embedding.py"), default_timeout=600)
    at.session_state["emb_method"] = "PCA"
    at.session_state["emb_n"] = 300
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert "%" in metrics["overlap (own partner left out)"] and "%" in metrics["a classifier tells them apart"]
    captions = " ".join(c.value for c in at.caption)
    assert captions.count("95 % interval") >= 3
    text = " ".join(m.value for m in at.markdown)
    verdicts = [o for o in OUTCOMES if f"**{o}**" in text]
    assert verdicts, text
    assert "digit 1 separates most" in text  # the study's claim, judged at 99 %
    per_digit_tables = [t for t in at.table if t.value.index.name == "digit"]
    assert len(per_digit_tables) == 2 and all("95 % interval" in t.value.columns for t in per_digit_tables)
    for t in per_digit_tables:  # the digit is the index: shown, though 0-9 looks like a default index
        assert not t.proto.hide_index


def test_a_per_digit_claim_flips_when_one_digits_errors_are_inflated():
    from core.evaluation.verdicts import per_digit_rank_verdicts

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 500)
    errors = rng.gamma(4.0, 0.005, size=5000) * (1 + 0.3 * labels)  # 9 hardest, 0 easiest
    easiest, hardest = per_digit_rank_verdicts(per_digit(errors, labels), 0, 9, where="here")
    assert (easiest.outcome, hardest.outcome) == (HOLDS, HOLDS)
    errors[labels == 0] *= 3  # a model that does badly on zeros
    easiest, hardest = per_digit_rank_verdicts(per_digit(errors, labels), 0, 9, where="here")
    assert (easiest.outcome, hardest.outcome) == (DOES_NOT_HOLD, HOLDS)
    assert "ranks ahead" in easiest.sentence


def test_a_confusion_claim_holds_only_when_the_misreading_clearly_exceeds_the_originals():
    from core.evaluation.recognition import confusion_verdict

    clean = np.eye(10, dtype=int) * 1000
    clean[2, 8] = 2
    compressed = clean.copy()
    assert confusion_verdict(compressed, clean, 2, 8, "at 99 %").outcome == CANT_TELL
    compressed[2, 8], compressed[2, 2] = 60, 942
    v = confusion_verdict(compressed, clean, 2, 8, "at 99 %")
    assert v.outcome == HOLDS and "twos read as eights" in v.sentence


def test_the_per_digit_and_recognisability_pages_word_the_study_through_the_verdict_rule():
    from streamlit.testing.v1 import AppTest

    from core.evaluation.verdicts import OUTCOMES
    from core.paths import REPO_ROOT

    for path, n_claims in (("pages/per_digit.py", 4), ("pages/recognisability.py", 2)):
        at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=600)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        text = " ".join(m.value for m in at.markdown)
        assert sum(text.count(f"**{o}**") for o in OUTCOMES) == n_claims, text
        assert "agree" not in text  # no page-specific wording left


def test_the_bootstrap_draws_an_original_and_its_reconstruction_together(digit_map):
    """The sampled unit is a test digit, original and reconstruction together: the interval's width follows the
    spread of the pairs' means, not of single points (partners share neighbours, so their scores are correlated)."""
    from core.explore.embedding import resampling_units

    xy, labels = digit_map
    partner = np.concatenate([np.arange(2000, 4000), np.arange(2000)])
    units = resampling_units(partner)
    assert units.shape == (2000, 2) and (partner[units[:, 0]] == units[:, 1]).all()
    assert resampling_units(np.full(10, -1)).shape == (10, 1)  # no partners: each point alone
    near = xy + np.random.default_rng(2).normal(scale=0.05 * xy.std(0), size=xy.shape)
    result = overlap(np.concatenate([xy, near]), np.repeat([0, 1], 2000), np.tile(labels, 2), partner, n_boot=1000)
    width = result.overall[2] - result.overall[1]
    per_point = result.per_point
    pair_means = per_point[units].mean(1)
    assert abs(np.corrcoef(per_point[:2000], per_point[2000:])[0, 1]) > 0.1  # partners are not independent
    by_pairs = 2 * 1.96 * pair_means.std() / np.sqrt(len(pair_means))
    by_points = 2 * 1.96 * per_point.std() / np.sqrt(len(per_point))
    assert width == pytest.approx(by_pairs, rel=0.15)
    assert abs(width - by_points) > 0.1 * by_points  # resampling points would give another width
