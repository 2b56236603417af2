"""The training seeds in a real Chromium: the error curve's bars, per-digit spread, the claims' seeds column."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from core.levels import STUDY_LATENT_DIMS
from tests.browser import launch_chromium, streamlit_server, wait_for_app
from tests.test_browser import SHOTS, shot


@pytest.fixture(scope="module")
def seeded_page():
    from core.evaluation.seeds import seeded

    if not any(seeded(d) for d in STUDY_LATENT_DIMS):
        pytest.fail("no training seeds' records are shipped: run `make seeds`")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield url, page
        browser.close()


def visit(seeded_page, path: str, name: str, *texts: str) -> None:
    """Open `path`, check each text is on it, keep a screenshot `name`."""
    url, page = seeded_page
    page.goto(f"{url}/{path}")
    wait_for_app(page, timeout_ms=300_000)
    for text in texts:
        assert page.get_by_text(text).count(), text
    shot(page, name)


def test_the_error_curve_shows_the_spread_over_seeds(seeded_page):
    visit(seeded_page, "error-curve", "seeds_error_curve", "auto-encoder over training seeds", "Black bars: the same")


def test_per_digit_error_says_how_many_seeds_agree_on_the_hardest_digit(seeded_page):
    visit(seeded_page, "per-digit", "seeds_per_digit", "Over training seeds", "is hardest at 95.0% · d=39 in")


@pytest.mark.parametrize("claim", ["hardest", "degradation", "tsne_separation"])
def test_the_claims_page_says_whether_seeds_changed_each_verdict(seeded_page, claim):
    visit(seeded_page, f"claims?claim={claim}", f"seeds_claims_{claim}", "seeds: unchanged", "Counting training seeds")
