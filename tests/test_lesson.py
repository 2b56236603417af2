"""The lesson's steps against `core`: each number in the text is the number core computes."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.data.samples import random_indices
from core.evaluation.evaluate import evaluate
from core.evaluation.knee import curve_records, knee_of_records
from core.levels import N_PIXELS, STUDY_LATENT_DIMS
from core.models.anatomy import stages
from core.models.autoencoder import AutoEncoder, ModelConfig
from figures.export import figure_png
from figures.grid import digit_grid
from teaching.steps import STEP_KEYS, lesson_bundle, lesson_step


@pytest.mark.parametrize("latent_dim,hidden", [(8, None), (392, None), (20, 0)])
def test_anatomy_is_read_off_the_real_model(latent_dim, hidden):
    model = AutoEncoder(ModelConfig(latent_dim=latent_dim, channels=(16, 24), hidden=hidden))
    shape = stages(model)
    assert shape[0].part == "input" and shape[-1].part == "output"
    assert shape[0].size == shape[-1].size == N_PIXELS
    (code,) = [s for s in shape if s.part == "code"]
    assert code.shape == (latent_dim,)
    assert (16, 14, 14) in [s.shape for s in shape]  # the first conv's channels, as configured
    assert len({s.name for s in shape}) == len(shape)  # unique names: they are the diagram's x axis


def test_reconstruction_step_quotes_the_grid_it_shows():
    step = lesson_step("reconstructions", seed=3)
    indices = random_indices(10, 3)
    _, mse = digit_grid(indices, STUDY_LATENT_DIMS)
    assert step.facts["indices"] == indices.tolist()
    for d in STUDY_LATENT_DIMS:
        assert step.facts["mean_mse"][d] == pytest.approx(float(mse[d].mean()))
    assert f"{mse[392].mean():.4f}" in step.text and f"{mse[8].mean():.4f}" in step.text
    assert step.facts["worst_index"] == int(indices[np.argmax(mse[8])])
    assert lesson_step("reconstructions", seed=4).facts["indices"] != step.facts["indices"]


def test_curve_step_quotes_the_knee_and_the_pca_comparison():
    step = lesson_step("curve")
    rows = curve_records()
    knee = knee_of_records(rows)
    assert step.facts["knee_pct"] == pytest.approx(knee)
    assert f"{knee:.1f}%" in step.text
    ae = {r["latent_dim"]: r["mse"] for r in rows if r["method"] == "ae"}
    pca = {r["latent_dim"]: r["mse"] for r in rows if r["method"] == "pca"}
    assert f"**{sum(ae[d] < pca[d] for d in ae)} of {len(ae)}**" in step.text


def test_per_digit_step_names_the_digits_core_finds():
    step = lesson_step("per-digit")
    raw, ink = evaluate("ae", 8).per_digit("mse"), evaluate("ae", 8).per_digit("ink")
    assert step.facts["hardest_raw"] == int(raw.digit[raw.mean.argmax()])
    assert step.facts["hardest_ink"] == int(ink.digit[ink.mean.argmax()])
    assert f"**{step.facts['hardest_raw']}**" in step.text and f"**{step.facts['hardest_ink']}**" in step.text


def test_levels_and_autoencoder_steps_count_bytes_and_parameters():
    levels = lesson_step("levels")
    assert levels.facts["biggest_float32_bytes"] == 392 * 4
    assert "1,568 bytes" in levels.text
    ae = lesson_step("autoencoder")
    from core.checkpoints.loaded import load_model

    assert ae.facts["parameters"] == load_model(8).n_parameters()
    assert f"{ae.facts['parameters']:,}" in ae.text


def test_unknown_step_is_refused():
    with pytest.raises(KeyError):
        lesson_step("no-such-step")


def test_every_lesson_figure_exports_as_png_without_a_browser():
    bundle = zipfile.ZipFile(io.BytesIO(lesson_bundle(0)))
    names = bundle.namelist()
    with_figures = [k for k in STEP_KEYS if lesson_step(k).figure is not None]
    assert len([n for n in names if n.endswith(".png")]) == len(with_figures)
    assert "lesson.md" in names
    text = bundle.read("lesson.md").decode()
    for name in names:
        if name.endswith(".png"):
            image = Image.open(io.BytesIO(bundle.read(name)))
            assert image.format == "PNG" and image.width >= 1200
            assert name in text  # the markdown shows each figure beside its words


def test_exported_grid_shows_the_digits_pixels():
    """The PNG of the grid is the grid: a bright digit tile exports as bright pixels."""
    fig, _ = digit_grid([1], [8])
    image = np.asarray(Image.open(io.BytesIO(figure_png(fig))).convert("L"), dtype=float)
    assert image.max() > 200 and image.min() < 50  # white strokes on black tiles, not a blank figure


def test_confusions_step_quotes_the_classifier_on_the_reconstructions():
    from core.evaluation.recognition import ORIGINAL, classifier_accuracy, confusion, most_confused

    step = lesson_step("confusions")
    matrix = confusion("ae", 8)
    assert step.facts["accuracy"] == pytest.approx(matrix.trace() / matrix.sum())
    assert f"{classifier_accuracy(ORIGINAL):.1%}" in step.text
    top = most_confused(matrix, 1)[0]
    assert step.facts["pairs"][0] == (top.true, top.read_as)
    assert f"{top.count:,} of the {top.n_true:,}" in step.text


def test_bits_step_quotes_the_codecs_files_against_the_studys_numbers():
    from core.codec import qualities

    step = lesson_step("bits")
    found = qualities()
    study_mse = evaluate("ae", 8).mse
    as_good = [q for q in found if q.mse <= study_mse]
    pick = min(as_good, key=lambda q: q.bytes_per_digit) if as_good else min(found, key=lambda q: q.mse)
    assert step.facts["float32_bytes"] == 8 * 4 and "**32 bytes**" in step.text
    assert step.facts["quality"] == pick.number and step.facts["bytes_per_digit"] == pick.bytes_per_digit
    assert f"**{pick.bytes_per_digit:.2f} bytes**" in step.text and f"**{pick.mse:.4f}**" in step.text
    assert f"{32 / pick.bytes_per_digit:.0f}× fewer bytes" in step.text
    (bars,) = step.figure.data
    assert list(bars.y) == [784, 32, 8, *[q.bytes_per_digit for q in found]]


def test_map_hides_step_quotes_the_partner_free_overlap_and_the_classifiers_accuracy():
    from core.evaluation.divergence import two_sample_accuracy
    from core.explore.embedding import embed
    from teaching.steps import EMBEDDING_POINTS

    step = lesson_step("map-hides")
    d = step.facts["latent_dim"]
    acc = two_sample_accuracy(d)
    assert step.facts["accuracy"] == acc
    assert f"{acc[0]:.0%}" in step.text
    assert f"{embed(d, 't-SNE', EMBEDDING_POINTS, 0).mixing.overall[0]:.0%}" in step.text
    assert STEP_KEYS.index("map-hides") == STEP_KEYS.index("embedding") + 1
