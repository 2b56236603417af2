"""Training seeds: intervals that count them, verdicts they can flip, and records that stand in for weights."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from core.paths import REPO_ROOT
from tests.test_records import MSE_RTOL


def synthetic_errors(leaders: list[int], n: int = 3000, gap: float = 0.002, seed: int = 0):
    """Per-image errors of one model per entry of `leaders`: every digit about 0.01, the leader `gap` higher."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    errors = []
    for leader in leaders:
        e = rng.gamma(4.0, 0.0025, size=n)
        e[labels == leader] += gap
        errors.append(e)
    return np.stack(errors), labels


def test_with_one_seed_the_two_level_bootstrap_is_the_digit_only_one():
    from core.claims.record import group_means
    from core.claims.seeded import by_digit, seeded_group_means

    errors, labels = synthetic_errors([8])
    _, reps = seeded_group_means(by_digit(errors, labels))
    np.testing.assert_allclose(reps, group_means(errors[0], [labels == k for k in range(10)]))


def test_the_seed_aware_interval_is_wider_when_seeds_disagree():
    from core.claims.record import as_interval
    from core.claims.seeded import by_digit, seeded_group_means

    errors, labels = synthetic_errors([8, 0, 8, 2, 0], gap=0.001)

    def width(resample_seeds):
        est, rep = seeded_group_means(by_digit(errors, labels), resample_seeds=resample_seeds)
        _, low, high = as_interval(est[8] - est[0], rep[:, 8] - rep[:, 0])
        return high - low

    assert width(resample_seeds=True) > 2 * width(resample_seeds=False)
    agreeing, _ = synthetic_errors([8] * 5, gap=0.001)
    est, rep = seeded_group_means(by_digit(agreeing, labels))
    _, low, high = as_interval(est[8] - est[0], rep[:, 8] - rep[:, 0])
    assert high - low < width(resample_seeds=True)  # seeds that agree widen it less


def test_counting_seeds_flips_a_verdict_that_rests_on_one_run_and_says_so():
    from core.claims.record import ClaimRecord
    from core.claims.seeded import over_seeds, ranking_part
    from core.evaluation.verdicts import DOES_NOT_HOLD, HOLDS

    errors, labels = synthetic_errors([8, 0, 0, 0, 0])  # seed 0 alone: 8 is hardest; the others: 0 is
    claim = "digit 8 has the highest error"
    alone = ranking_part(errors[:1], labels, 8, False, claim)
    seeded = ranking_part(errors, labels, 8, False, claim)
    assert alone.verdict.outcome == HOLDS and seeded.verdict.outcome != HOLDS
    rec = over_seeds(ClaimRecord("k", "t", "c", "e", [alone]), {claim: seeded}, {39: [0, 1, 2, 3, 4]})
    assert rec.outcome == seeded.verdict.outcome and rec.seeds["changed_verdict"]
    assert "changed the verdict: holds on seed 0 alone" in rec.notes[-1]
    agree = ranking_part(errors[[0, 0]], labels, 8, False, claim)  # seeds that agree change nothing
    assert agree.verdict.outcome == HOLDS != DOES_NOT_HOLD


def test_a_rebuilt_seed_models_records_match_the_shipped_ones_and_stand_in_for_its_weights(
    tmp_path, monkeypatch, clear_loader_caches
):
    """Ship a tiny seed model's records, rebuild it through the sweep, compare; then read them without weights."""
    from core.checkpoints.loaded import forget_loaded_models
    from core.checkpoints.seeds import describe, seed_models
    from core.evaluation.evaluate import evaluate
    from core.evaluation.recognition import predictions
    from core.storage.cache import noting_entries
    from core.storage.records import write_records

    def build(folder):
        cmd = [sys.executable, "-m", "core.sweep", "--sizes", "2", "--seeds", "3", "--epochs", "1"]
        cmd += ["--train-fraction", "0.01", "--out", str(folder), "--in-process"]
        assert subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True).returncode == 0

    records, first, second = tmp_path / "records", tmp_path / "first", tmp_path / "second"
    build(first)
    monkeypatch.setenv("AECL_RECORDS_DIR", str(records))
    monkeypatch.setenv("AECL_SEEDS_DIR", str(first))
    monkeypatch.setenv("AECL_CACHE_DIR", str(tmp_path / "cache1"))
    with noting_entries() as entries:
        shipped_mse, shipped_pred = evaluate("ae", "ae_d002_seed3").image_mse, predictions("ae", "ae_d002_seed3")
    meta = json.loads((first / "ae_d002_seed3.json").read_text())
    write_records(records, dict(entries), {}, {"ae_d002_seed3": describe(meta)})

    build(second)  # the same job again, as `make seeds` on a fresh clone would
    monkeypatch.setenv("AECL_SEEDS_DIR", str(second))
    monkeypatch.setenv("AECL_RECORDS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("AECL_CACHE_DIR", str(tmp_path / "cache2"))
    forget_loaded_models()
    np.testing.assert_allclose(evaluate("ae", "ae_d002_seed3").image_mse, shipped_mse, rtol=MSE_RTOL)
    assert (predictions("ae", "ae_d002_seed3") != shipped_pred).mean() <= 5e-4

    monkeypatch.setenv("AECL_SEEDS_DIR", str(tmp_path / "no_weights"))  # a fresh clone: records only
    monkeypatch.setenv("AECL_RECORDS_DIR", str(records))
    monkeypatch.setenv("AECL_CACHE_DIR", str(tmp_path / "cache3"))
    assert seed_models(2) == [2, "ae_d002_seed3"]
    with noting_entries(compute=False):
        np.testing.assert_array_equal(evaluate("ae", "ae_d002_seed3").image_mse, shipped_mse)


def test_records_of_seeds_whose_weights_are_absent_are_carried_over(tmp_path):
    from core.records.seeds import carried
    from core.storage.records import Index

    digest = "ab" * 32
    index = Index(
        {},
        {
            f"eval/ae_d008_{digest[:16]}": {"file": "eval/x.npz", "sha256": "", "bytes": 1},
            f"recognition/clf_0123456789abcdef_ae_d008_{digest[:16]}": {
                "file": "recognition/y.npz",
                "sha256": "",
                "bytes": 1,
            },
            "eval/ae_d008_ffffffffffffffff": {"file": "eval/z.npz", "sha256": "", "bytes": 1},
        },
        {
            "ae_d008_seed1": {"latent_dim": 8, "seed": 1, "weights_sha256": digest},
            "ae_d008_seed2": {"latent_dim": 8, "seed": 2, "weights_sha256": "ff" * 32},
        },
    )
    keep, files = carried(index, tmp_path, on_disk={"ae_d008_seed2"})
    assert list(keep) == ["ae_d008_seed1"]
    assert sorted(p.name for p in files.values()) == ["x.npz", "y.npz"]


def synthetic_mixing(drifting: int, n: int = 1000, seed: int = 0):
    """One map's partner-free overlap (`core.explore.embedding.overlap`, the real computation) where digit
    `drifting`'s reconstructions sit off their originals and every other digit's mix with them."""
    from core.explore.embedding import overlap

    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n // 10)
    centres = np.stack([np.cos(labels), np.sin(labels)], 1) * 20
    originals, recon = centres + rng.normal(size=(n, 2)), centres + rng.normal(size=(n, 2))
    recon[labels == drifting] += 3.0
    xy = np.concatenate([originals, recon])
    partner = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
    return overlap(xy, np.repeat([0, 1], n), np.concatenate([labels, labels]), partner, n_boot=200)


def test_counting_seeds_flips_the_tsne_claim_when_the_other_seeds_maps_drift_another_digit():
    from core.claims import study_figures
    from core.evaluation.verdicts import HOLDS

    alone = study_figures.tsne_separation(synthetic_mixing(1))
    assert alone.outcome == HOLDS
    others = [synthetic_mixing(7, seed=s) for s in range(1, 5)]  # seeds 1-4: a 7 drifts, the 1s mix
    rec = study_figures.with_seeds("tsne_separation", alone, [synthetic_mixing(1), *others])
    assert rec.outcome != HOLDS and rec.seeds["changed_verdict"]
    assert "changed the verdict: holds on seed 0 alone" in rec.notes[-1]
    agree = [synthetic_mixing(1, seed=s) for s in range(5)]
    same = study_figures.with_seeds("tsne_separation", alone, agree)
    assert same.outcome == HOLDS and not same.seeds["changed_verdict"]
    assert "did not change the verdict (holds)" in same.notes[-1]


def test_counting_seeds_flips_the_degradation_claim_when_other_seeds_break_the_knob():
    from core.claims import degradation
    from core.evaluation.verdicts import HOLDS
    from tests.test_claims import synthetic_degradation

    data = synthetic_degradation(True, 6)
    alone = degradation.record(data)
    assert alone.parts[2].verdict.outcome == HOLDS  # on seed 0 the error falls at every step
    err = np.asarray(data["ae_err"])
    bumped = err[3] * (err[2].mean() / err[3].mean()) * 1.3  # a code size that, trained again, is worse than the last
    seeds = {4: [0, 1, 2, 3, 4]}
    rec = degradation.with_seeds(alone, data, seeds, {4: np.stack([err[3], bumped, bumped, bumped, bumped])})
    assert rec.parts[2].verdict.outcome != HOLDS and rec.seeds["changed_verdict"]
    assert "Error falls at every step" in rec.notes[-1]  # the part that moved is named
    steady = degradation.with_seeds(alone, data, seeds, {4: np.stack([err[3]] * 5)})
    assert [p.verdict.outcome for p in steady.parts] == [p.verdict.outcome for p in alone.parts]
    assert not steady.seeds["changed_verdict"]
