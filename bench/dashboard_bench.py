"""Benchmarks of the dashboard issue, in a real headless Chromium where a person would wait.

- server start → home page rendered, as a ratio to a one-line hello-world app started the same way;
- each view: first visit (cold server caches; disk caches warm) and revisit;
- changing the level on the reconstructions page;
- the default embedding: openTSNE vs scikit-learn's TSNE with default settings on the same
  points, the overlap number of each, and the time to show it again from the disk cache.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from tests.browser import launch_chromium, streamlit_server, wait_for_app
from ui.navigation import PAGES

#: Each page's heading, by its script: what a visit waits for.
HEADINGS = {
    "pages/home.py": "Autoencoder Compression Lab",
    "pages/lesson.py": "Lesson",
    "pages/reconstructions.py": "Original vs reconstructed digits",
    "pages/error_curve.py": "Reconstruction error against compression",
    "pages/per_digit.py": "Error per digit",
    "pages/your_digit.py": "Your digit",
    "pages/embedding.py": "Do reconstructions live where the originals do?",
    "pages/claims.py": "The study's claims, tested",
    "pages/rate_distortion.py": "Rate–distortion",
    "pages/compress.py": "Compress",
    "pages/recognisability.py": "Recognisability",
    "pages/model_lab.py": "Model lab",
    "pages/latent_explorer.py": "Latent explorer",
    "pages/class_room.py": "Class room",
    "pages/class_join.py": "Join the class",
}
#: Every page of the sidebar: (url path, sidebar link, page heading).
VIEWS = [(p.url_path, p.title, HEADINGS[p.script]) for p in PAGES]


def time_to_home(script: str, heading: str, env: dict | None = None) -> float:
    """Seconds from starting a server on `script` until its page (showing `heading`) has finished running."""
    start = time.perf_counter()
    with streamlit_server(script, env=env) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=120_000)
        elapsed = wait_for_app(page) - start
        browser.close()
    return elapsed


def startup_ratio(repeats: int = 5) -> dict:
    hello = Path(tempfile.mkdtemp()) / "hello.py"
    hello.write_text("import streamlit as st\nst.title('Hello')\n")
    ours, base = [], []
    for _ in range(repeats):  # interleaved, so drift on the machine hits both alike
        base.append(time_to_home(str(hello), "Hello"))
        ours.append(time_to_home("app.py", "Autoencoder Compression Lab"))
    shutil.rmtree(hello.parent)
    return {
        "ours_s": statistics.median(ours),
        "hello_s": statistics.median(base),
        "ratio": statistics.median(ours) / statistics.median(base),
    }


def visit(page, url: str, path: str, heading: str, timeout_ms: int = 180_000) -> float:
    """Seconds to open `url/path` until its heading shows and the script has finished (the claims bench uses it)."""
    start = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=timeout_ms)
    return wait_for_app(page, timeout_ms=timeout_ms) - start


def click(page, link: str, heading: str) -> float:
    """A page switch as a person makes it: click the sidebar link, within the same session."""
    start = time.perf_counter()
    page.get_by_role("link", name=link, exact=True).first.click()  # "Compress" is also in "Error vs compression"
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=180_000)
    return wait_for_app(page, timeout_ms=180_000) - start


def view_times(repeats: int = 3) -> dict:
    """Per fresh server: first visit of each view, then revisits by the sidebar, then full reloads."""
    first = {t: [] for _, t, _ in VIEWS}
    again = {t: [] for _, t, _ in VIEWS}
    reload = {t: [] for _, t, _ in VIEWS}
    level_change = []
    for _ in range(repeats):
        with streamlit_server() as url, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path, title, heading in VIEWS:
                first[title].append(visit(page, url, path, heading))
            for _ in range(2):
                for _, title, heading in VIEWS:
                    again[title].append(click(page, title, heading))
            for path, title, heading in VIEWS:
                reload[title].append(visit(page, url, path, heading))
            page.goto(f"{url}/reconstructions")
            wait_for_app(page)
            for _ in range(3):
                start = time.perf_counter()
                page.locator("[data-testid='stMultiSelect'] button[aria-label^='Remove']").first.click()
                page.wait_for_timeout(50)  # let the rerun begin before we look for its end
                level_change.append(wait_for_app(page) - start)
                page.reload()
                wait_for_app(page)
            browser.close()
    return {
        "first": {k: statistics.median(v) for k, v in first.items()},
        "revisit": {k: statistics.median(v) for k, v in again.items()},
        "reload": {k: statistics.median(v) for k, v in reload.items()},
        "level_change_s": statistics.median(level_change),
    }


def tsne_comparison(latent_dim: int = 8, n: int = 2000, seed: int = 0) -> dict:
    """Our t-SNE vs sklearn's default TSNE on the same 2 x n points; plus a cache re-read."""
    from sklearn.manifold import TSNE

    from core.data.mnist import load_split
    from core.explore import embedding
    from core.models.inference import ae_reconstruct
    from core.storage.cache import cache_path

    key = embedding.embedding_key(latent_dim, "t-SNE", n, seed)
    cache_path("embedding", key).unlink(missing_ok=True)
    start = time.perf_counter()
    ours = embedding.embed(latent_dim, "t-SNE", n, seed)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    embedding.embed(latent_dim, "t-SNE", n, seed)
    cached_s = time.perf_counter() - start

    idx = embedding.sample_indices(n, seed)
    originals = load_split("test").float_images()[idx]
    points = np.concatenate([originals, ae_reconstruct(latent_dim, originals)]).reshape(2 * n, -1)
    start = time.perf_counter()
    ref_xy = TSNE(n_components=2, random_state=seed).fit_transform(points)
    sklearn_s = time.perf_counter() - start
    ref_overlap = embedding.overlap_score(ref_xy, ours.source)
    return {
        "ours_s": ours_s,
        "sklearn_s": sklearn_s,
        "ratio": ours_s / sklearn_s,
        "cached_s": cached_s,
        "ours_overlap": ours.overlap,
        "sklearn_overlap": ref_overlap,
        "overlap_diff": abs(ours.overlap - ref_overlap),
    }
