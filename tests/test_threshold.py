"""The "I'm sitting fine" rule (engine/threshold.py) with explicit angles."""

from __future__ import annotations

from postureguard.engine.threshold import LOOSEST_DEG, STRICTEST_DEG, after_fine_answer


def test_moves_just_above_the_answered_angle_by_at_most_one_degree():
    assert after_fine_answer(5.0, 5.3, 0).threshold_deg == 5.8
    assert after_fine_answer(5.0, 9.0, 0).threshold_deg == 6.0  # one step per answer


def test_never_looser_than_low_never_stricter_than_high():
    assert after_fine_answer(7.8, 20.0, 0).threshold_deg == LOOSEST_DEG == 8.0
    assert after_fine_answer(8.0, 30.0, 5).threshold_deg == 8.0
    # An answer at a small angle never tightens the threshold; a value below high is lifted to it.
    assert after_fine_answer(6.0, 1.0, 0).threshold_deg == 6.0
    assert after_fine_answer(2.0, None, 0).threshold_deg == STRICTEST_DEG == 3.5


def test_recalibration_suggested_after_three_answers():
    suggested = [after_fine_answer(5.0, 5.0, n).suggest_recalibration for n in range(4)]
    assert suggested == [False, False, True, True]
    assert after_fine_answer(5.0, 5.0, 2).answers == 3
