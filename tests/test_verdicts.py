"""One rule decides every verdict on the study's claims: where the interval lies against the threshold."""

import pytest

from core.evaluation.verdicts import CANT_TELL, DOES_NOT_HOLD, HOLDS, HOLDS_PARTLY, combine, judge


def test_a_claim_holds_only_where_its_whole_interval_is_on_its_side():
    assert judge(0.7, 0.6, 0.8, threshold=0.5) == HOLDS
    assert judge(0.3, 0.2, 0.4, threshold=0.5) == DOES_NOT_HOLD
    assert judge(0.52, 0.45, 0.6, threshold=0.5) == CANT_TELL
    assert judge(0.3, 0.2, 0.4, threshold=0.5, holds_above=False) == HOLDS  # "lower than" claims


def test_an_estimate_outside_its_interval_is_refused():
    with pytest.raises(ValueError):
        judge(0.9, 0.1, 0.2, threshold=0.5)


def test_a_claim_of_several_parts_holds_partly_when_only_some_hold():
    assert combine([HOLDS, HOLDS]) == HOLDS
    assert combine([HOLDS, DOES_NOT_HOLD]) == HOLDS_PARTLY
    assert combine([DOES_NOT_HOLD, CANT_TELL]) == DOES_NOT_HOLD
    assert combine([CANT_TELL]) == CANT_TELL
