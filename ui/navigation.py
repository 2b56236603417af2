"""The dashboard's pages, in one list: the sidebar (app.py) and the home page's map both read it.

Each entry also says in a line what the page shows, and whether it is one of the study's four
views or goes beyond it, so the home page can group them without a second list to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    script: str
    title: str
    icon: str
    url_path: str
    blurb: str
    group: str  # "home", "study" (the study's four views), "beyond" (what the study didn't show) or "teach"
    #: Whether a first visit runs a network (so imports torch); the others draw records or plain widgets and
    #: are kept free of torch (tests/test_faults.py), and a shared link to them doesn't import it early.
    runs_models: bool = True


PAGES = (
    PageInfo("pages/home.py", "Home", ":material/home:", "", "", "home", runs_models=False),
    PageInfo(
        "pages/lesson.py",
        "Lesson",
        ":material/school:",
        "lesson",
        "The study told in order, one step per screen, arrow keys to move; Presenter mode (sidebar) for a projector.",
        "teach",
    ),
    PageInfo(
        "pages/class_room.py",
        "Class room",
        ":material/groups:",
        "class-room",
        "Open a room: the class draws digits on their phones and the projector shows them meet the models.",
        "teach",
    ),
    PageInfo(
        "pages/class_join.py",
        "Join a class",
        ":material/smartphone:",
        "join",
        "A student's page: draw a digit on your phone and send it to the class's room.",
        "teach",
        runs_models=False,
    ),
    PageInfo(
        "pages/reconstructions.py",
        "Reconstructions",
        ":material/grid_view:",
        "reconstructions",
        "Originals above, one row per level: where digits blur, and where a 2 turns into an 8.",
        "study",
    ),
    PageInfo(
        "pages/error_curve.py",
        "Error vs compression",
        ":material/show_chart:",
        "error-curve",
        "Test error for every trained size, PCA beside it, and the knee where error takes off.",
        "study",
        runs_models=False,
    ),
    PageInfo(
        "pages/per_digit.py",
        "Per-digit error",
        ":material/bar_chart:",
        "per-digit",
        "Which digits are hardest, raw or per unit of ink, with confidence intervals.",
        "study",
        runs_models=False,
    ),
    PageInfo(
        "pages/your_digit.py",
        "Your digit",
        ":material/draw:",
        "your-digit",
        "Draw or upload a digit and see what every level makes of it.",
        "beyond",
    ),
    PageInfo(
        "pages/embedding.py",
        "Embedding overlay",
        ":material/scatter_plot:",
        "embedding",
        "Originals (blue) and reconstructions (red) on one t-SNE, UMAP or PCA map, and how well they mix.",
        "study",
        runs_models=False,
    ),
    PageInfo(
        "pages/claims.py",
        "The study's claims, tested",
        ":material/fact_check:",
        "claims",
        "Each of the study's claims as an experiment, with a verdict and its interval computed from the data.",
        "beyond",
        runs_models=False,
    ),
    PageInfo(
        "pages/rate_distortion.py",
        "Rate–distortion",
        ":material/compress:",
        "rate-distortion",
        "Real bytes per image against error: the auto-encoder beside PCA, JPEG, WebP and PNG.",
        "beyond",
        runs_models=False,
    ),
    PageInfo(
        "pages/compress.py",
        "Compress",
        ":material/folder_zip:",
        "compress",
        "Test digits or your own pictures into one real file at a chosen quality; download it, decode one back.",
        "beyond",
    ),
    PageInfo(
        "pages/recognisability.py",
        "Recognisability",
        ":material/visibility:",
        "recognisability",
        "Does a classifier still read the right digit? Confusions, and the digits behind them.",
        "beyond",
        runs_models=False,
    ),
    PageInfo(
        "pages/model_lab.py",
        "Model lab",
        ":material/model_training:",
        "model-lab",
        "Train a model for any code size from 1 to 784 and watch it learn.",
        "beyond",
    ),
    PageInfo(
        "pages/latent_explorer.py",
        "Latent explorer",
        ":material/explore:",
        "latent-explorer",
        "Move a code's numbers one at a time, walk between two digits, and map the 2-number code.",
        "beyond",
    ),
)


#: Each group's heading, in the sidebar and on the home page's map (home has none: it heads the sidebar).
GROUP_TITLES = {
    "home": "",
    "teach": "Teaching with it",
    "study": "The study's four views",
    "beyond": "Beyond the study",
}


def model_page_paths() -> frozenset[str]:
    """The URL paths of the pages whose first visit runs a network."""
    return frozenset(p.url_path for p in PAGES if p.runs_models)


def pages_in(group: str) -> list[PageInfo]:
    return [p for p in PAGES if p.group == group]
