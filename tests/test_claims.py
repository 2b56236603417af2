"""The claims page's experiments: each verdict comes from the data and flips when the data changes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.claims import adaptability, degradation, feature_learning, nonlinear, scalability, study_figures
from core.evaluation.verdicts import CANT_TELL, DOES_NOT_HOLD, HOLDS

RNG = np.random.default_rng(0)


def outcomes(record) -> list[str]:
    return [p.verdict.outcome for p in record.parts]


def synthetic_adaptability(specialises: bool) -> dict[str, np.ndarray]:
    labels = np.repeat(np.arange(10), 200)
    seen = labels < 5
    base = RNG.gamma(4.0, 0.0025, size=len(labels))  # per-image errors around 0.01
    ae_all, pca_all = base, base * 4
    ae_04 = np.where(seen, base * 0.8, base * 2.5) if specialises else base.copy()
    pca_04 = np.where(seen, pca_all * 0.97, pca_all * 1.1)
    return {"labels": labels, "ae_04": ae_04, "ae_all": ae_all, "pca_04": pca_04, "pca_all": pca_all}


def test_adaptability_holds_when_the_04_model_specialises_and_not_when_it_is_a_copy():
    assert adaptability.record(synthetic_adaptability(True)).outcome == HOLDS
    same = adaptability.record(synthetic_adaptability(False))
    assert outcomes(same)[0] != HOLDS and same.outcome != HOLDS


def test_the_training_budget_note_says_whether_the_two_models_had_the_same_updates():
    same = {
        "ae_04": {"epochs": 30, "digits": 30596, "steps": 7200},
        "ae_all": {"epochs": 15, "digits": 60000, "steps": 7035},
    }
    half = {**same, "ae_04": {"epochs": 15, "digits": 30596, "steps": 3600}}
    assert "not training length" in adaptability.budget_note(same)
    assert "part of any gap on 0–4 is training length" in adaptability.budget_note(half)
    shipped = adaptability.training_budgets()  # read from the two sidecars
    assert shipped["ae_all"]["digits"] == 60000 and 0 < shipped["ae_04"]["digits"] < 40000


def synthetic_denoising(better: bool) -> dict[str, np.ndarray]:
    n = 2000
    labels = RNG.integers(0, 10, n)
    plain, denoise = RNG.gamma(4.0, 0.01, n), RNG.gamma(4.0, 0.004, n)
    right = RNG.random(n) < 0.95
    wrong = np.where(RNG.random(n) < 0.6, labels, (labels + 1) % 10)
    read_good, read_bad = np.where(right, labels, (labels + 1) % 10), wrong
    if not better:
        plain, denoise, read_good, read_bad = denoise, plain, read_bad, read_good
    return {
        "labels": labels,
        "err_noisy": RNG.gamma(4.0, 0.02, n),
        "err_plain": plain,
        "err_denoise": denoise,
        "read_clean": labels,
        "read_noisy": wrong,
        "read_plain": read_bad,
        "read_denoise": read_good,
    }


def test_feature_learning_flips_when_the_two_models_swap_places():
    assert feature_learning.record(synthetic_denoising(True)).outcome == HOLDS
    assert feature_learning.record(synthetic_denoising(False)).outcome == DOES_NOT_HOLD


def test_nonlinear_holds_for_the_autoencoder_and_not_for_pca_in_its_place():
    errors = nonlinear.measure([8])
    assert nonlinear.record(errors).outcome == HOLDS
    as_pca = {**errors, "ae_d008": errors["pca_d008"]}  # PCA in the auto-encoder's place: a ratio of exactly 1
    assert nonlinear.record(as_pca).outcome == CANT_TELL
    worse = {**errors, "ae_d008": errors["pca_d008"] * 1.5}
    assert nonlinear.record(worse).outcome == DOES_NOT_HOLD


def synthetic_degradation(monotone: bool, ae_settings: int) -> dict[str, np.ndarray]:
    n = 100
    digits = RNG.gamma(4.0, 0.25, n)  # how hard each digit is

    def sweep(mses):
        return np.outer(mses, digits)

    ae = np.geomspace(0.03, 0.0003, ae_settings)
    if not monotone:
        ae[3] = ae[1]  # a bigger code that is worse than a smaller one
    return {
        "ae_knob": np.arange(1, ae_settings + 1, dtype=float),
        "ae_err": sweep(ae),
        "JPEG_knob": np.arange(20, dtype=float),
        "JPEG_err": sweep(np.geomspace(0.01, 0.001, 20)),
        "WebP_knob": np.arange(20, dtype=float),
        "WebP_err": sweep(np.geomspace(0.01, 0.001, 20)),
    }


def test_degradation_counts_points_per_decade_and_catches_a_non_monotone_knob():
    few = degradation.record(synthetic_degradation(True, 6))
    assert outcomes(few) == [DOES_NOT_HOLD, DOES_NOT_HOLD, HOLDS]  # 3 points per decade against 20
    many = degradation.record(synthetic_degradation(True, 200))
    assert outcomes(many)[:2] == [HOLDS, HOLDS]
    bumpy = degradation.record(synthetic_degradation(False, 6))
    assert outcomes(bumpy)[2] == DOES_NOT_HOLD


def test_fineness_counts_identical_settings_once():
    assert degradation.fineness([0.1, 0.01, 0.01, 0.001]) == pytest.approx(3 / 2)
    assert degradation.violations(np.array([1, 2, 3]), np.array([0.3, 0.1, 0.2])) == 1


def synthetic_timings(encode_power: float) -> dict:
    rows = []
    for n in scalability.ENCODE_COUNTS:
        for _ in range(3):
            rows.append(
                {
                    "method": "encode",
                    "device": "cpu",
                    "n": n,
                    "seconds": 1e-3 + 2e-9 * n**encode_power * RNG.uniform(0.95, 1.05),
                }
            )
    for n in scalability.TSNE_COUNTS:
        rows.append({"method": "tsne", "device": "cpu", "n": n, "seconds": 1e-6 * n**1.8 * RNG.uniform(0.95, 1.05)})
    return {"source": "test", "host": "test", "gpu": None, "rows": rows}


def test_scalability_holds_for_linear_encoding_and_not_for_quadratic():
    assert scalability.record(synthetic_timings(1.0)).outcome == HOLDS
    assert outcomes(scalability.record(synthetic_timings(2.0)))[0] == DOES_NOT_HOLD


def test_easiest_and_hardest_digit_flip_when_one_digits_errors_are_inflated():
    data = study_figures.error_data()
    assert study_figures.easiest(data).outcome == HOLDS
    labels = data["labels"]
    inflated = {k: (np.where(labels == 1, v * 5, v) if k.startswith("mse") else v) for k, v in data.items()}
    assert study_figures.easiest(inflated).outcome == DOES_NOT_HOLD
    at99 = study_figures.hardest(data).parts[1].verdict.outcome
    key = f"mse_d{study_figures.D99:03d}"
    biased = {**data, key: np.where(labels == 3, data[key] * 3, data[key])}  # a model biased against 3s
    assert at99 == HOLDS and study_figures.hardest(biased).parts[1].verdict.outcome == DOES_NOT_HOLD


def synthetic_readings(follow_study: bool) -> dict[str, np.ndarray]:
    labels = np.repeat(np.arange(10), 300)
    read = labels.copy()
    for true, as_ in study_figures.READS_AS:
        idx = np.flatnonzero(labels == true)
        read[idx[:60]] = as_ if follow_study else (true + 3) % 10
    return {"labels": labels, "read": read, "read_original": labels}


def test_reads_as_flips_when_the_misreadings_go_elsewhere():
    assert study_figures.reads_as(synthetic_readings(True)).outcome == HOLDS
    assert study_figures.reads_as(synthetic_readings(False)).outcome == DOES_NOT_HOLD


def test_tsne_separation_holds_only_when_digit_ones_reconstructions_drift():
    from core.explore.embedding import overlap

    n = 1000
    labels = np.repeat(np.arange(10), n // 10)
    centres = np.stack([np.cos(labels), np.sin(labels)], 1) * 20
    originals = centres + RNG.normal(size=(n, 2))

    def mixing(drift: float):
        recon = centres + RNG.normal(size=(n, 2))
        recon[labels == 1] += drift  # digit 1's reconstructions moved off their originals
        xy = np.concatenate([originals, recon])
        partner = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
        return overlap(xy, np.repeat([0, 1], n), np.concatenate([labels, labels]), partner, n_boot=200)

    assert study_figures.tsne_separation(mixing(3.0)).outcome == HOLDS
    assert study_figures.tsne_separation(mixing(0.0)).outcome != HOLDS


def test_a_record_survives_its_disk_cache_round_trip(tmp_cache):
    from core.claims.record import ClaimRecord, cached_record

    made = adaptability.record(synthetic_adaptability(True))
    again = cached_record("test", lambda: made)
    assert again.to_dict() == json.loads(json.dumps(made.to_dict())) and again.outcome == made.outcome
    assert isinstance(again, ClaimRecord) and again.parts[0].verdict == made.parts[0].verdict
    assert cached_record("test", lambda: pytest.fail("computed twice")).to_dict() == again.to_dict()


def test_cli_prints_a_record_and_refuses_an_unknown_claim_in_one_line(capsys):
    from core.claims.__main__ import main

    assert main(["nonlinear"]) == 0
    out = capsys.readouterr().out
    assert "Non-linear compression: holds" in out and "95 % interval" in out and "python -m core.claims" in out
    assert main(["telepathy"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown claim" in err


def test_a_variant_is_saved_under_its_own_name_and_never_listed_as_a_shipped_size(
    tmp_checkpoints, small_mnist, clear_loader_caches
):
    from core.checkpoints.files import list_checkpoints
    from core.checkpoints.variants import load_variant, variant_card, variant_paths, variant_reconstruct
    from core.data.mnist import load_split
    from core.training.variants import save_variant, train_variant

    train, test = load_split("train"), load_split("test")
    split = (train.images[:600], train.labels[:600], test.images[:100], test.labels[:100])
    result = train_variant("digits04", split=split, epochs=1)
    save_variant("digits04", result, folder=tmp_checkpoints)
    assert variant_paths("digits04").weights.is_file()
    assert sorted(p.name for p in tmp_checkpoints.iterdir() if p.suffix != ".lock") == [
        "ae_d016_digits04.json",
        "ae_d016_digits04.safetensors",
    ]
    assert list_checkpoints(tmp_checkpoints) == []  # not mistaken for a shipped d=16
    assert load_variant("digits04")[1]["variant"]["digits"] == [0, 1, 2, 3, 4]
    assert variant_reconstruct("digits04", test.images[:5]).shape == (5, 28, 28)
    assert ("training data", "training digits 0–4 only") in variant_card("digits04")


def test_a_missing_variant_is_a_message_with_the_command_that_builds_it(tmp_checkpoints, clear_loader_caches):
    from core.checkpoints.files import CheckpointMissingError
    from core.checkpoints.variants import load_variant

    with pytest.raises(CheckpointMissingError, match=r"python -m core\.rebuild --variants"):
        load_variant("denoise")


def test_claims_page_shows_every_claim_with_its_verdict_interval_and_command():
    from streamlit.testing.v1 import AppTest

    from core.claims.catalogue import CLAIMS
    from core.paths import REPO_ROOT

    at = AppTest.from_file(str(REPO_ROOT / "pages" / "claims.py"), default_timeout=600)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "The study's claims, tested"
    glance = at.table[0].value
    assert list(glance["command"]) == [f"python -m core.claims {k}" for k in CLAIMS]
    assert all(" to " in h for h in glance["headline"])  # every verdict with its interval
    for key in CLAIMS:  # every section renders
        at.radio(key="claims_pick").set_value(key).run()
        assert not at.exception, (key, [e.message for e in at.exception])
        verdicts = [b.value for kind in ("success", "warning", "error", "info") for b in at.get(kind)]
        assert sum(v.startswith("**Verdict:") for v in verdicts) == 1, key
        assert any("95 % interval" in m.value for m in at.markdown), key
        assert [c.value for c in at.code] == [f"python -m core.claims {key}"]
        assert len(at.get("plotly_chart")) >= 1
        if key in ("adaptability", "feature_learning"):  # the new checkpoints' model cards
            assert [e.label for e in at.expander] == [
                f"Model card: ae_d016_{'digits04' if key == 'adaptability' else 'denoise'}"
            ]
