"""The extra training seeds' records: what the views need of each seed model, without its weights.

Per seed model (`core.checkpoints.seeds`): each test digit's error ("eval"), the classifier's reading of each
reconstruction ("recognition"), the latents of the narrow codes ("codes", d ≤ 8), and at 99 % the Embedding
page's default t-SNE map with its overlap figures (the t-SNE claim's), under the same keys a view asks for
(its weights' digest). They are computed where the weights are here; a seed model whose weights
are not (a fresh clone) keeps the records already shipped (`carried`), so `make records` never drops them.
"""

from __future__ import annotations

from pathlib import Path

from core.storage.records import Index


def seed_records(code_dims: tuple[int, ...]) -> None:
    """Read (computing where the weights are here) every known seed model's records, as the views do; latent codes
    for the sizes in `code_dims`."""
    from core.checkpoints.files import CheckpointMissingError
    from core.checkpoints.seeds import known_seeds
    from core.evaluation.evaluate import evaluate
    from core.evaluation.recognition import predictions
    from core.explore.embedding import embed
    from core.explore.latent import codes_of_test_digits
    from core.levels import latent_dim_for

    for name, meta in sorted(known_seeds().items()):
        try:
            evaluate("ae", name)
            predictions("ae", name)
            if meta["latent_dim"] in code_dims:
                codes_of_test_digits(name)
            if meta["latent_dim"] == latent_dim_for(99):
                _ = embed(name, "t-SNE").mixing  # the t-SNE claim over seeds (`core.claims.study_figures`)
        except CheckpointMissingError:
            continue  # neither weights nor records: nothing to ship (a check still names it, computing nothing)


def carried(index: Index, folder: Path, on_disk: set[str]) -> tuple[dict[str, dict], dict[tuple[str, str], Path]]:
    """The shipped seed models whose weights are not here, and their shipped records' files (every entry whose key
    names one of their weights' digests), to keep as they are."""
    keep = {name: meta for name, meta in index.seeds.items() if name not in on_disk}
    files = {
        tuple(entry.split("/", 1)): folder / r["file"]
        for entry, r in index.records.items()
        if any(seed_digest(m) in entry for m in keep.values())
    }
    return keep, files


def seed_digest(meta: dict) -> str:
    """The part of a seed model's weights digest its records' keys carry."""
    return meta["weights_sha256"][:16]
