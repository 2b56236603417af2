"""The reliability table: faults injected, bad inputs refused and load held, from real runs.

Every row comes from a run made here, not from prose: the fault and hostile-input tests of
the suite are run through pytest and each test case becomes a row with its outcome; the
load rows come from `bench.load_bench`.
"""

from __future__ import annotations

import pytest

from core.paths import REPO_ROOT

#: (table, pytest selection) — the suite's tests that inject a fault or send a bad input.
SELECTIONS = {
    "faults": ["tests/test_faults.py", "tests/test_classifier.py::test_missing_or_corrupt_classifier_is_a_clear_error"],
    "bad inputs": [
        "tests/test_digit.py::test_bad_input_is_refused_quickly_with_a_clear_message",
        "tests/test_your_digit_page.py::test_bad_upload_gets_a_message_not_a_traceback",
        "tests/test_app.py::test_hostile_url_values_are_ignored_with_a_message",
        "tests/test_jobs.py::test_bad_requests_are_refused_with_a_message",
        "tests/test_browser.py::test_an_upload_over_the_size_limit_is_refused_in_the_browser",
        "tests/test_browser.py::test_a_photo_just_under_the_size_limit_is_read_as_a_digit",
        "tests/test_app.py::test_a_latent_size_of_a_billion_or_a_forged_job_in_the_url_is_refused_with_a_message",
        "tests/test_browser.py::test_an_unknown_page_in_the_url_says_so_and_opens_home",
        "tests/test_browser.py::test_a_deep_link_as_the_first_request_to_a_fresh_server_opens_that_page",
    ],
}


class _Collector:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.rows.append((report.nodeid.split("::", 1)[1], report.outcome))


def run_selection(selection: list[str]) -> list[tuple[str, str]]:
    collector = _Collector()
    pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(REPO_ROOT), *selection], plugins=[collector])
    return collector.rows


def reliability_runs() -> dict[str, list[tuple[str, str]]]:
    return {table: run_selection([str(REPO_ROOT / s) for s in sel]) for table, sel in SELECTIONS.items()}
