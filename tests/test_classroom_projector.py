"""The projector's figures from a class's digits: checked against *Your digit*'s own path and by hand."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.classroom import RoomLimits, class_digits, join_room, open_room, send_digit
from core.classroom.projector import (
    MOST_COMPRESSED,
    class_error_by_digit,
    class_reports,
    export_zip,
    least_mnist_like,
    misread_at,
)
from core.evaluation.recognition import read_digits
from core.explore.your_digit import reconstruct_everywhere, unlike_mnist
from core.levels import STUDY_LATENT_DIMS
from tests.test_classroom import digit_png


@pytest.fixture
def class_of_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("AECL_CLASSROOM_DIR", str(tmp_path / "classroom"))
    room = open_room(RoomLimits(max_digits_per_student=100))
    student = join_room(room.code)
    for k, text in enumerate("0123456789337X"):
        send_digit(room.code, student, digit_png(text, 100 + 7 * k), 3 if text == "X" else int(text))
    digits = class_digits(room.code, room.token)
    return digits, class_reports(digits)


def test_the_batched_reports_agree_with_your_digits_own_path(class_of_digits):
    digits, reports = class_of_digits
    for digit, report in zip(digits[:3], reports[:3], strict=True):
        reference = sorted(reconstruct_everywhere(digit.pixels, list(STUDY_LATENT_DIMS)), key=lambda r: -r.latent_dim)
        for ours, theirs in zip(report.levels, reference, strict=True):
            assert ours.latent_dim == theirs.latent_dim
            np.testing.assert_allclose(ours.reconstruction, theirs.reconstruction, atol=1e-5)
            assert ours.mse == pytest.approx(theirs.mse, rel=1e-4)
            assert ours.test_percentile == pytest.approx(theirs.test_percentile, abs=0.02)
        assert report.unlike_mnist == unlike_mnist(reference)
        expected = read_digits([digit.pixels, *(r.reconstruction for r in reference)])
        assert [report.original_reading[0], *(r[0] for r in report.level_readings)] == [e[0] for e in expected]


def test_misread_at_99_lists_exactly_the_digits_read_as_another(class_of_digits):
    digits, reports = class_of_digits
    expected = [(d.id, r.reading_at(MOST_COMPRESSED)[0]) for d, r in zip(digits, reports, strict=True)]
    expected = [(i, read) for (i, read), d in zip(expected, digits, strict=True) if read != d.label]
    assert [(d.id, read) for d, read in misread_at(digits, reports)] == expected


def test_the_letter_is_the_least_mnist_like_digit(class_of_digits):
    digits, reports = class_of_digits
    odd, report = least_mnist_like(digits, reports)
    assert odd.id == digits[-1].id  # the "X" sent as a 3
    assert report.oddness == max(r.oddness for r in reports)


def test_class_error_per_digit_is_the_mean_of_its_digits_with_an_interval(class_of_digits):
    digits, reports = class_of_digits
    stats = class_error_by_digit(digits, reports, MOST_COMPRESSED)
    threes = [r.at(MOST_COMPRESSED).mse for d, r in zip(digits, reports, strict=True) if d.label == 3]
    assert stats.n[3] == len(threes) == 4
    assert stats.mean[3] == pytest.approx(np.mean(threes))
    assert stats.ci_low[3] < stats.mean[3] < stats.ci_high[3]
    assert stats.ci_low[0] == stats.mean[0] == stats.ci_high[0]  # one digit: no interval to draw


def test_the_download_holds_a_png_per_digit_and_a_csv_row_each(class_of_digits):
    digits, reports = class_of_digits
    archive = zipfile.ZipFile(io.BytesIO(export_zip(digits, reports)))
    rows = list(csv.DictReader(io.StringIO(archive.read("digits.csv").decode())))
    assert len(rows) == len(digits) == len(archive.namelist()) - 1
    for row, digit in zip(rows, digits, strict=True):
        assert int(row["meant"]) == digit.label and int(row["digit_id"]) == digit.id
        image = np.asarray(Image.open(io.BytesIO(archive.read(row["file"]))), np.float32) / 255
        np.testing.assert_allclose(image, digit.pixels, atol=1 / 255)
