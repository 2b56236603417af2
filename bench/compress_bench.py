"""Benchmarks of the Compress page: 1,000 test digits through the codec, in process and in a real browser."""

from __future__ import annotations

import os
import statistics
import time

from playwright.sync_api import sync_playwright

from bench.report import stamp, table
from core.codec import qualities
from core.explore.round_trip import round_trip_test_digits
from tests.browser import launch_chromium, streamlit_server, wait_for_app

N_DIGITS = 1000

#: Notes the wall-clock time of the first frame painted after the result's heading enters the page
#: (as bench/digit_bench.py does: Playwright's polling lands late under load; the page's clock does not).
_WATCH_RESULT = """(text) => {
  window.__resultShown = null;
  const watcher = new MutationObserver(() => {
    if (window.__resultShown === null && document.body.innerText.includes(text)) {
      watcher.disconnect();
      requestAnimationFrame(() => { window.__resultShown = Date.now() / 1000; });
    }
  });
  watcher.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def in_process(repeats: int = 5) -> dict:
    """Compress 1,000 test digits into one file, decode it and measure each digit's error (a new sample each time)."""
    number = qualities()[0].number
    round_trip_test_digits(N_DIGITS, number, seed=10_000)  # warm: model loaded
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        round_trip_test_digits(N_DIGITS, number, seed=seed)
        times.append(time.perf_counter() - start)
    return {"round_trip_s": statistics.median(times)}


def in_browser(repeats: int = 5) -> dict:
    """From Enter on "how many" = 1,000 (a seed not seen before) to the result painted; then a revisit by the
    sidebar (Home, then Compress again) to the page finished."""
    shown, revisits = [], []
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        for i in range(repeats + 1):
            page.goto(f"{url}/compress?n=10&seed={100 + i}")
            wait_for_app(page, timeout_ms=180_000)
            page.evaluate(_WATCH_RESULT, f"{N_DIGITS:,} test digits in one file")
            box = page.get_by_role("spinbutton", name="how many test digits")
            box.fill(str(N_DIGITS))
            start = time.time()
            box.press("Enter")
            page.wait_for_function("() => window.__resultShown !== null", timeout=120_000)
            elapsed = page.evaluate("() => window.__resultShown") - start
            wait_for_app(page)
            if i:  # the first round warms the server (the page's imports, the rate model)
                shown.append(elapsed)
        page.goto(f"{url}/compress")  # the sidebar's link opens the page's defaults: shown once before timing
        wait_for_app(page)
        for _ in range(repeats):
            page.get_by_role("link", name="Home", exact=True).first.click()
            wait_for_app(page)
            start = time.perf_counter()
            page.get_by_role("link", name="Compress", exact=True).first.click()
            page.get_by_role("heading", name="test digits in one file").wait_for(timeout=60_000)
            revisits.append(wait_for_app(page) - start)
        browser.close()
    return {
        "shown_s": statistics.median(shown),
        "revisit_s": statistics.median(revisits),
        "all_shown": [round(t, 3) for t in shown],
        "all_revisits": [round(t, 3) for t in revisits],
    }


def section() -> str:
    load = os.getloadavg()[0]
    p = in_process()
    b = in_browser()
    return (
        "## Compress page\n\n"
        + stamp()
        + "\n"
        + table(
            ["measure", "median", "target"],
            [
                [
                    f"{N_DIGITS:,} test digits compressed, decoded and measured, in process",
                    f"{p['round_trip_s']:.2f} s",
                    "",
                ],
                [
                    f"Enter on “how many” = {N_DIGITS:,} (an unseen sample) → the result painted, Chromium",
                    f"{b['shown_s']:.2f} s",
                    "≤ 2 s",
                ],
                [
                    "revisit by the sidebar (Home, then Compress) → page finished, Chromium",
                    f"{b['revisit_s']:.2f} s",
                    "≤ 1 s",
                ],
            ],
        )
        + f"\n\nEach try (s): result {b['all_shown']}, revisit {b['all_revisits']}. Quality 1 of the codec; "
        f"load average {load:.1f} when the section started (the machine is shared).\n"
    )


if __name__ == "__main__":
    print(in_process())
    print(in_browser())
