"""A newcomer's first visit, in headless Chromium: each page as a fresh clone meets it (an empty disk cache).

Two ways of arriving, each on its own freshly started server with its own empty cache:
- **shared link**: the page's URL opened first (torch and the models load on the way);
- **newcomer**: the home page, read for 10 s, then the page's sidebar link.
Both are measured with the shipped records, and the shared link also with them hidden (an empty records
folder), which is what the views computed before records shipped. A fresh clone differs from this tree only
in its caches, so an empty `AECL_CACHE_DIR` stands for one.
"""

from __future__ import annotations

import statistics
import tempfile
import time

from playwright.sync_api import sync_playwright

from bench.dashboard_bench import HEADINGS, click, visit
from tests.browser import launch_chromium, streamlit_server
from ui.navigation import PAGES

READ_HOME_S = 10.0
#: How long a page may compute with the records hidden before the bench gives up on it (shown as "> N").
NO_RECORDS_TIMEOUT_S = 420.0
#: Seconds a page may take, by way of arriving (the issue's targets).
TARGET_S = {"shared link": 5.0, "newcomer": 2.0}


def _views() -> list[tuple[str, str, str]]:
    return [(p.url_path, p.title, HEADINGS[p.script]) for p in PAGES if p.group != "home"]


def _fresh_env(records: bool) -> tuple[dict, list[tempfile.TemporaryDirectory]]:
    dirs = [tempfile.TemporaryDirectory(prefix="aecl-fresh-cache-")]
    env = {"AECL_CACHE_DIR": dirs[0].name}
    if not records:
        dirs.append(tempfile.TemporaryDirectory(prefix="aecl-no-records-"))
        env["AECL_RECORDS_DIR"] = dirs[1].name
    return env, dirs


def _one_visit(path: str, title: str, heading: str, newcomer: bool, records: bool) -> tuple[float, int]:
    """(seconds, exceptions shown) for one arrival at one page on a fresh server with an empty cache."""
    env, dirs = _fresh_env(records)
    try:
        with streamlit_server(env=env) as url, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            if newcomer:
                visit(page, url, "", HEADINGS["pages/home.py"])
                time.sleep(READ_HOME_S)
                seconds = click(page, title, heading)
            else:
                try:
                    seconds = visit(page, url, path, heading, timeout_ms=int(NO_RECORDS_TIMEOUT_S * 1000))
                except TimeoutError:  # only where the records are hidden does a page compute this long
                    seconds = float("inf")
            errors = page.locator("[data-testid='stException']").count()
            browser.close()
        return seconds, errors
    finally:
        for d in dirs:
            d.cleanup()


def first_visits(repeats: int = 3, without_records_repeats: int = 1) -> dict:
    """Medians per page: shared link and newcomer with the records, shared link without them."""
    rows, exceptions = {}, 0
    ways = [("shared link", False, True, repeats), ("newcomer", True, True, repeats)]
    if without_records_repeats:
        ways.append(("shared link, no records", False, False, without_records_repeats))
    for path, title, heading in _views():
        rows[title] = {}
        for way, newcomer, records, n in ways:
            times = []
            for _ in range(n):
                seconds, errors = _one_visit(path, title, heading, newcomer, records)
                times.append(seconds)
                exceptions += errors
            rows[title][way] = statistics.median(times)
    return {"rows": rows, "exceptions": exceptions, "repeats": repeats}


def cold_start_ratio(repeats: int = 5) -> dict:
    """Server start to the home page on an empty cache, against a hello world started the same way."""
    from bench.dashboard_bench import time_to_home

    hello_dir = tempfile.TemporaryDirectory()
    hello = f"{hello_dir.name}/hello.py"
    with open(hello, "w") as fh:
        fh.write("import streamlit as st\nst.title('Hello')\n")
    ours, base = [], []
    for _ in range(repeats):
        base.append(time_to_home(hello, "Hello"))
        env, dirs = _fresh_env(records=True)
        ours.append(time_to_home("app.py", HEADINGS["pages/home.py"], env=env))
        for d in dirs:
            d.cleanup()
    hello_dir.cleanup()
    return {"ours_s": statistics.median(ours), "hello_s": statistics.median(base)}


def records_bytes() -> dict:
    """The shipped records' size, in all and per namespace."""
    from core.storage.records import read_index

    index = read_index()
    per = {}
    for name, entry in index.records.items():
        per[name.split("/", 1)[0]] = per.get(name.split("/", 1)[0], 0) + int(entry["bytes"])
    return {"total": index.total_bytes(), "per_namespace": dict(sorted(per.items())), "count": len(index.records)}


if __name__ == "__main__":  # a quick look: one repeat, no run without records
    import json

    print(json.dumps(first_visits(repeats=1, without_records_repeats=0), indent=1))
