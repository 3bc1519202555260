"""A tracked person who jumps between two analyses is looked for afresh (engine.person.jumped).

Pure, on synthetic frontal landmarks (tests/poses.py; a 640 x 480 picture, shoulders 200 px wide); the
real-model case (a tracker drawing a pose on the empty desk the user left) is in test_pose_adaptive.
"""

from __future__ import annotations

import dataclasses

import pytest

from poses import frontal_pose
from postureguard.engine.person import JUMP_DISTANCE, JUMP_SIZE, jumped

USER = frontal_pose()


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (frontal_pose(), False),  # the same place
        (frontal_pose(forward_deg=12.0), False),  # a slouch moves the head, not the shoulders
        (frontal_pose(tilt_deg=8.0), False),  # a head roll
        (frontal_pose(centre=(320.0 + 0.2 * 200, 330.0)), False),  # a shift within a quarter width
        (frontal_pose(centre=(320.0 + 0.3 * 200, 330.0)), True),  # further: another place
        (frontal_pose(centre=(320.0, 330.0 - 0.3 * 200)), True),  # up (standing, a ghost above)
        (frontal_pose(shoulder_width=200.0 * 0.85), False),  # narrower, still within the range
        (frontal_pose(shoulder_width=200.0 * 0.7), True),
        (frontal_pose(shoulder_width=200.0 * 1.35), True),
    ],
)
def test_a_step_beyond_a_quarter_width_or_a_size_outside_the_range_is_a_jump(after, expected):
    assert JUMP_DISTANCE == 0.25 and JUMP_SIZE == (0.8, 1.25)
    assert jumped(USER, after) is expected


def test_nobody_several_people_or_hidden_shoulders_are_never_a_jump():
    far = frontal_pose(centre=(560.0, 330.0))
    assert not jumped(None, USER) and not jumped(USER, None)
    # Several people: the model searches every frame, and the matcher picks the user among them.
    assert not jumped(USER, dataclasses.replace(far, others=(USER,)))
    assert not jumped(dataclasses.replace(USER, others=(far,)), far)
    hidden = list(far.image)
    hidden[11] = dataclasses.replace(hidden[11], visibility=0.1)
    assert not jumped(USER, dataclasses.replace(far, image=tuple(hidden)))
