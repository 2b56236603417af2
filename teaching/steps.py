"""The guided lesson: the study told in order, one step per screen, every number from the data.

Each step is built from `core` at run time (the figure, and the facts its text quotes), so
the words can't drift from the numbers: change a checkpoint and the lesson retells itself.
Tests compare `LessonStep.facts` with what `core` computes for the same figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from core.checkpoints.loaded import available_latent_dims
from core.data.samples import random_indices
from core.levels import N_PIXELS, STUDY_LATENT_DIMS, compression_pct, latent_bytes

#: Presenter mode always uses this seed, so every rehearsal shows the same digits.
PRESENTER_SEED = 0
N_LESSON_DIGITS = 10
EMBEDDING_POINTS = 2000  # per source: the embedding page's default, so the lesson reuses its cache


@dataclass(frozen=True)
class LessonStep:
    key: str  # for the URL (?step=...) and file names in the slide bundle
    title: str
    text: str  # markdown; every number in it is in `facts`
    question: str  # one question to put to the class
    figure: go.Figure | None
    facts: dict = field(default_factory=dict)


def _levels() -> list[int]:
    """The study's levels that have a checkpoint (the lesson runs on whatever is shipped)."""
    have = set(available_latent_dims())
    return [d for d in STUDY_LATENT_DIMS if d in have]


def _most_compressed() -> int:
    levels = _levels()
    if not levels:
        raise LookupError("No checkpoint of the study's levels is available: run `make checkpoints`.")
    return min(levels)


def _step_autoencoder(seed: int) -> LessonStep:
    from core.checkpoints.loaded import load_model
    from core.models.anatomy import stages
    from figures.study import autoencoder_diagram

    d = _most_compressed()
    model = load_model(d)
    shape = stages(model)
    widest = max(shape, key=lambda s: s.size)
    facts = {"latent_dim": d, "parameters": model.n_parameters(), "widest": widest.size, "pixels": N_PIXELS}
    return LessonStep(
        "autoencoder",
        "What is an auto-encoder?",
        f"Two networks trained as one. The **encoder** squeezes the {N_PIXELS} pixels of a digit into a code of "
        f"just **{d} numbers**; the **decoder** rebuilds the whole picture from that code alone. Training only "
        f"asks that the output match the input (mean squared error). Inside, the data first *grows* to "
        f"{widest.size:,} numbers ({widest.shape_text}) before it is squeezed. This model has "
        f"{facts['parameters']:,} parameters.",
        f"If the decoder only ever sees {d} numbers, where does all the detail in its output come from?",
        autoencoder_diagram(shape, f"The shipped model at {compression_pct(d):.0f}% compression, layer by layer"),
        facts,
    )


def _step_levels(seed: int) -> LessonStep:
    from figures.study import level_bytes_bars

    levels = _levels()
    biggest = max(levels)
    facts = {
        "levels": {d: round(compression_pct(d), 1) for d in levels},
        "biggest_dim": biggest,
        "biggest_float32_bytes": latent_bytes(biggest, "float32"),
        "raw_bytes": N_PIXELS,
    }
    listing = ", ".join(f"{compression_pct(d):.0f}% → {d} numbers" for d in sorted(levels, reverse=True))
    return LessonStep(
        "levels",
        "Four levels of “compression”",
        f"The study counts compression as the share of the {N_PIXELS} pixel values the code does *not* keep: "
        f"{listing}. That counts numbers, not bytes. Stored as float32, the {biggest}-number code takes "
        f"**{facts['biggest_float32_bytes']:,} bytes**, {facts['biggest_float32_bytes'] / N_PIXELS:.0f}× the "
        f"{N_PIXELS} bytes of the raw digit.",
        "Is “50 % compression” actually smaller than the original file? What would make it smaller?",
        level_bytes_bars(levels),
        facts,
    )


def _step_reconstructions(seed: int) -> LessonStep:
    from figures.grid import digit_grid

    levels = _levels()
    indices = random_indices(N_LESSON_DIGITS, seed)
    fig, mse = digit_grid(indices, levels, title=f"{N_LESSON_DIGITS} test digits (seed {seed}) at each level")
    lo, hi = max(levels), min(levels)
    worst = int(indices[int(np.argmax(mse[hi]))])
    facts = {
        "indices": indices.tolist(),
        "mean_mse": {d: float(m.mean()) for d, m in mse.items()},
        "worst_index": worst,
    }
    return LessonStep(
        "reconstructions",
        "What survives the squeeze?",
        f"Top row: real test digits. Below: what comes back at each level. At {compression_pct(lo):.0f}% the mean "
        f"error on these digits is **{facts['mean_mse'][lo]:.4f}**; at {compression_pct(hi):.0f}% it is "
        f"**{facts['mean_mse'][hi]:.4f}**, {facts['mean_mse'][hi] / facts['mean_mse'][lo]:.0f}× higher. "
        f"The worst here at {compression_pct(hi):.0f}% is test digit #{worst}.",
        f"Which digit on screen changed the most at {compression_pct(hi):.0f}%? Would you still read it the same?",
        fig,
        facts,
    )


def _step_curve(seed: int) -> LessonStep:
    from core.evaluation.knee import curve_records, knee_of_records
    from figures.study import error_curve

    rows = curve_records()
    knee = knee_of_records(rows)
    ae = {r["latent_dim"]: r["mse"] for r in rows if r["method"] == "ae"}
    pca = {r["latent_dim"]: r["mse"] for r in rows if r["method"] == "pca"}
    wins = sum(ae[d] < pca[d] for d in ae)
    facts = {"knee_pct": knee, "ae_wins": wins, "sizes": len(ae), "mse": ae}
    knee_text = (
        f"The error grows slowly, then takes off: the knee of the curve is at about **{knee:.1f}%** compression. "
        if knee is not None
        else ""
    )
    return LessonStep(
        "curve",
        "Error against compression",
        f"{knee_text}The auto-encoder (red) beats PCA, the classic linear method (grey), at **{wins} of "
        f"{len(ae)}** code sizes.",
        "Why would the error climb so steeply for the last few dimensions we take away?",
        error_curve(rows, knee),
        facts,
    )


def _step_per_digit(seed: int) -> LessonStep:
    from core.evaluation.evaluate import evaluate
    from figures.study import per_digit_bars

    d = _most_compressed()
    raw = evaluate("ae", d).per_digit("mse")
    ink = evaluate("ae", d).per_digit("ink")
    facts = {
        "latent_dim": d,
        "hardest_raw": int(raw.digit[raw.mean.argmax()]),
        "easiest_raw": int(raw.digit[raw.mean.argmin()]),
        "hardest_ink": int(ink.digit[ink.mean.argmax()]),
        "easiest_ink": int(ink.digit[ink.mean.argmin()]),
    }
    return LessonStep(
        "per-digit",
        "Which digits are hardest? And is that fair?",
        f"At {compression_pct(d):.0f}% the hardest digit by raw error is **{facts['hardest_raw']}** and the "
        f"easiest **{facts['easiest_raw']}**. But a 1 has little ink and so little to get wrong. Per 100 ink "
        f"pixels (the study's suggestion) the hardest is **{facts['hardest_ink']}** and the easiest "
        f"**{facts['easiest_ink']}**.",
        "Is a 1 easy to compress, or just small? Which measure would you report?",
        per_digit_bars({d: raw}, "mse"),
        facts,
    )


def _step_embedding(seed: int, progress: Callable[[float, str], None] | None = None) -> LessonStep:
    from core.explore.embedding import embed
    from figures.study import embedding_scatter, level_label

    d = _most_compressed()
    emb = embed(d, "t-SNE", EMBEDDING_POINTS, 0, progress=progress)
    by_digit = emb.overlap_by_digit()
    worst = min(by_digit, key=by_digit.get)
    facts = {"latent_dim": d, "overlap": emb.overlap, "worst_digit": worst, "worst_overlap": by_digit[worst]}
    return LessonStep(
        "embedding",
        "Do reconstructions live where the originals do?",
        f"{EMBEDDING_POINTS:,} test digits (blue) and their {compression_pct(d):.0f}% reconstructions (red) on one "
        f"t-SNE map. Of each point's nearest neighbours, **{emb.overlap:.0%}** come from the other colour "
        f"(50 % = a perfect mix). The digit whose two clouds mix least is **{worst}** ({by_digit[worst]:.0%}).",
        "If the red points sit among the blue ones, has the model kept what makes a digit that digit?",
        embedding_scatter(
            emb.xy,
            emb.source,
            emb.labels,
            emb.test_index,
            "source",
            title=f"t-SNE of originals + reconstructions at {level_label(d)}",
            method="t-SNE",
        ),
        facts,
    )


def _step_map_hides(seed: int) -> LessonStep:
    from core.checkpoints.classifier import ClassifierError
    from core.evaluation.divergence import two_sample
    from core.explore.embedding import embed
    from figures.study import level_label, two_sample_bars

    d = _most_compressed()
    title = "What the map hides and a classifier sees"
    question = "The map says the two clouds are one. Why can a classifier still tell them apart?"
    emb = embed(d, "t-SNE", EMBEDDING_POINTS, 0)
    gap, width = emb.partner_gap()
    mix = emb.mixing.overall
    try:
        result = two_sample(d)
    except ClassifierError as exc:
        return LessonStep("map-hides", title, f"This step needs the digit classifier: {exc}", question, None, {})
    acc, per = result.accuracy(), result.per_digit()
    easiest = max(per, key=lambda k: per[k][0])
    facts = {
        "latent_dim": d,
        "overlap": mix,
        "partner_gap": gap,
        "map_width": width,
        "accuracy": acc,
        "most_told_apart": easiest,
    }
    return LessonStep(
        "map-hides",
        title,
        f"On the map each reconstruction sits a median **{gap:.2g}** units from its own original (the map is "
        f"{width:.0f} wide), and leaving each point's partner out, **{mix[0]:.0%}** of its neighbours come from "
        f"the other colour: the clouds look like one. A map keeps who is next to whom, not how far. A linear "
        f"model on the digit classifier's features, trained on half the digits, names original or "
        f"reconstruction on the other half right **{acc[0]:.0%}** of the time (95 % interval {acc[1]:.0%} to "
        f"{acc[2]:.0%}; 50 % is guessing), best for the digit **{easiest}** ({per[easiest][0]:.0%}).",
        question,
        two_sample_bars(per, f"Told apart by a classifier, per digit, at {level_label(d)}"),
        facts,
    )


def map_hides_ready() -> bool:
    """Whether the map and the two-sample test of the map step are on disk (else they take a while, once)."""
    from core.evaluation.divergence import is_divergence_cached

    return embedding_ready() and is_divergence_cached(_most_compressed())


def _step_confusions(seed: int) -> LessonStep:
    from core.checkpoints.classifier import ClassifierError
    from core.evaluation.recognition import ORIGINAL, classifier_accuracy, confusion, most_confused
    from figures.ratedistortion import confusion_heatmap

    d = _most_compressed()
    where = f"at {compression_pct(d):.0f}%"
    title = "Can a machine still read them?"
    question = "Which of these mix-ups would you make yourself? What makes a 4 and a 9 so close?"
    try:
        matrix = confusion("ae", d)
        clean = classifier_accuracy(ORIGINAL)
    except ClassifierError as exc:
        return LessonStep("confusions", title, f"This step needs the digit classifier: {exc}", question, None, {})
    accuracy = float(matrix.trace() / matrix.sum())
    pairs = most_confused(matrix, 2)
    facts = {
        "latent_dim": d,
        "accuracy": accuracy,
        "clean_accuracy": clean,
        "pairs": [(p.true, p.read_as) for p in pairs],
    }
    mixups = " ".join(p.sentence(where.capitalize()) + "." for p in pairs)
    return LessonStep(
        "confusions",
        title,
        f"A small network trained to read digits gets **{clean:.1%}** of the real test digits right, and "
        f"**{accuracy:.1%}** of their reconstructions {where}. The rows of the matrix are the true digits, the "
        f"columns what the network reads. {mixups}",
        question,
        confusion_heatmap(matrix, f"What the classifier reads in the reconstructions {where}"),
        facts,
    )


def embedding_ready() -> bool:
    """Whether the embedding step's map is on disk already (else it takes a few seconds once)."""
    from core.explore.embedding import is_embedding_cached

    return is_embedding_cached(_most_compressed(), "t-SNE", EMBEDDING_POINTS, 0)


def _step_bits(seed: int) -> LessonStep:
    from core.codec import qualities
    from core.evaluation.evaluate import evaluate
    from figures.codec import numbers_and_bits_bars

    d = _most_compressed()
    title = "Bits, not numbers"
    question = "Why can a code of more numbers take fewer bytes? Where did the bits go?"
    found = qualities()
    if not found:
        text = "This step needs the codec's rate-trained models: `make checkpoints` builds them."
        return LessonStep("bits", title, text, question, None, {})
    study_mse = evaluate("ae", d).mse
    as_float32 = latent_bytes(d, "float32")
    as_good = [q for q in found if q.mse <= study_mse]
    pick = min(as_good, key=lambda q: q.bytes_per_digit) if as_good else min(found, key=lambda q: q.mse)
    facts = {
        "latent_dim": d,
        "float32_bytes": as_float32,
        "study_mse": study_mse,
        "quality": pick.number,
        "bytes_per_digit": pick.bytes_per_digit,
        "mse": pick.mse,
        "times_fewer": as_float32 / pick.bytes_per_digit,
        "qualities": {q.number: (q.bytes_per_digit, q.mse) for q in found},
    }
    return LessonStep(
        "bits",
        title,
        f"The study counts numbers: at {compression_pct(d):.0f}% a digit keeps **{d} numbers**, "
        f"**{as_float32} bytes** as float32 (test MSE {study_mse:.4f}). A file counts bits. The codec, an "
        f"auto-encoder trained for bytes as well as error, rounds its code to whole numbers and an entropy coder "
        f"spends the fewest bits on the likeliest: at {pick.label} a digit takes **{pick.bytes_per_digit:.2f} bytes** "
        f"with MSE **{pick.mse:.4f}**: {facts['times_fewer']:.0f}× fewer bytes than the study's code"
        + (", for no more error." if as_good else ".")
        + " Those are real files: all 10,000 test digits in one, its header included.",
        question,
        numbers_and_bits_bars(
            d, study_mse, [(f"q{q.number} · d={q.latent_dim}", q.bytes_per_digit, q.mse) for q in found]
        ),
        facts,
    )


def _step_your_digit(seed: int) -> LessonStep:
    d = _most_compressed()
    return LessonStep(
        "your-digit",
        "Now draw your own",
        f"Open **Your digit**, draw a digit with the mouse (or upload a photo of one on paper) and watch every "
        f"level rebuild it, down to {d} numbers. The page says when a drawing is unlike anything in MNIST.",
        f"Can you draw a digit that the {compression_pct(d):.0f}% model turns into a different one?",
        None,
        {"latent_dim": d},
    )


STEPS: dict[str, Callable[..., LessonStep]] = {
    "autoencoder": _step_autoencoder,
    "levels": _step_levels,
    "reconstructions": _step_reconstructions,
    "curve": _step_curve,
    "per-digit": _step_per_digit,
    "embedding": _step_embedding,
    "map-hides": _step_map_hides,
    "confusions": _step_confusions,
    "bits": _step_bits,
    "your-digit": _step_your_digit,
}
STEP_KEYS = tuple(STEPS)


def lesson_step(
    key: str, seed: int = PRESENTER_SEED, progress: Callable[[float, str], None] | None = None
) -> LessonStep:
    """One step of the lesson, built from the shipped checkpoints and the test set."""
    if key not in STEPS:
        raise KeyError(f"No lesson step {key!r}; the steps are {', '.join(STEP_KEYS)}.")
    if key == "embedding":
        return _step_embedding(seed, progress)
    return STEPS[key](seed)


def lesson_bundle(seed: int = PRESENTER_SEED) -> bytes:
    """A zip for slides: one PNG per figure (drawn offline) and the lesson's text as markdown."""
    from figures.export import figure_png, figures_zip

    files, text = [], ["# What an auto-encoder does to a digit", ""]
    for n, key in enumerate(STEP_KEYS, start=1):
        step = lesson_step(key, seed)
        text += [f"## {n}. {step.title}", "", step.text, "", f"**Ask the class:** {step.question}", ""]
        if step.figure is not None:
            name = f"{n:02d}_{key}.png"
            files.append((name, figure_png(step.figure)))
            text += [f"![{step.title}]({name})", ""]
    return figures_zip([*files, ("lesson.md", "\n".join(text))])
