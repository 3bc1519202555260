"""Learning from "I'm sitting fine": the personal threshold after such an answer. Pure.

Angles are degrees of head-forward angle from the user's own upright (see :mod:`.geometry`). An answer
says the posture at ``angle_deg`` is fine, so the threshold moves to just above it, by at most
:data:`MAX_STEP_DEG` per answer, and always stays between the high sensitivity's threshold (the
strictest) and the low one's (the loosest). Several such answers suggest that the calibration, not the
threshold, is off: after :data:`RECALIBRATE_AFTER` the user is asked to recalibrate.
"""

from __future__ import annotations

from dataclasses import dataclass

from postureguard.engine.settings import SENSITIVITY_THRESHOLDS_DEG

#: Degrees above the answered angle the threshold goes to (so that angle itself counts as fine).
MARGIN_DEG = 0.5
#: Degrees one answer may move the threshold.
MAX_STEP_DEG = 1.0
#: Answers after which recalibrating is suggested.
RECALIBRATE_AFTER = 3
STRICTEST_DEG = min(SENSITIVITY_THRESHOLDS_DEG.values())
LOOSEST_DEG = max(SENSITIVITY_THRESHOLDS_DEG.values())


@dataclass(frozen=True)
class Adjustment:
    threshold_deg: float  # the new personal threshold, STRICTEST_DEG..LOOSEST_DEG
    answers: int  # "I'm sitting fine" answers so far, this one included
    suggest_recalibration: bool


def after_fine_answer(current_deg: float, angle_deg: float | None, answers: int) -> Adjustment:
    """The threshold after the user said the posture at ``angle_deg`` (None: not measured) is fine.

    ``current_deg`` is the threshold in use; ``answers`` the answers before this one. A threshold is
    never made stricter by an answer, and never leaves [:data:`STRICTEST_DEG`, :data:`LOOSEST_DEG`].
    """
    target = current_deg if angle_deg is None else angle_deg + MARGIN_DEG
    new = max(current_deg, min(target, current_deg + MAX_STEP_DEG))
    new = round(min(LOOSEST_DEG, max(STRICTEST_DEG, new)), 1)
    count = answers + 1
    return Adjustment(new, count, count >= RECALIBRATE_AFTER)
