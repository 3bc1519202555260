"""Which of the people in view is the calibrated user, and whether the camera seems to have moved.

Pure: every function takes landmark sets (:class:`~postureguard.engine.landmarks.Pose`, normalised image
coordinates, x right and y down, 0..1) and times in seconds on the caller's clock.

The pose model is asked for several people (the adapter sorts them, the largest shoulder width first,
into :attr:`Pose.others`); a colleague behind the user, or walking past, must never move the angle and
never count as presence. The user is recognised by where and how large they are in the picture: a
webcam is fixed to the screen and the user sits in one chair, so the shoulder line stays in one place
and at one size, while other people are elsewhere in the picture, or further away (smaller), or
standing (shoulders high in the frame).

The anchor
    :class:`Anchor`: the shoulder midpoint (``x`` in image widths, ``y`` in image heights) and the
    shoulder width (``width``, in image widths; a size that falls with the distance to the camera).
    The calibration records the user's upright anchor; it is made from the largest person in view
    (the one sitting in front of the screen, nearest the camera). The calibrated anchor also carries
    ``head_height``: the ears' height above the shoulder midpoint, in shoulder widths (geometry's
    ``head_height``), which says where the user's head was in the picture.

Acquiring (nobody tracked): a candidate is the user when its shoulder midpoint lies within
    :data:`ACQUIRE_DISTANCE` calibrated shoulder widths of the calibrated midpoint (distance measured
    in pixels, so x and y count alike) and its shoulder width is :data:`ACQUIRE_SIZE` (a ratio range)
    of the calibrated one. On the real frontal webcam frames a slouch moves the shoulder midpoint by
    under a quarter of a shoulder width and narrows the shoulders to 0.73-0.81 of upright (rounded,
    sunken shoulders); a lean towards the screen widens them by about a quarter (9 cm closer at 49 cm
    in the real landmark recordings); so the user, sitting down again in any of these, matches.
    Someone sitting on the other half of the picture, a person standing (the shoulders a shoulder
    width or more higher) or one a metre or more behind (shoulders under 0.6 as wide) does not. A
    colleague of similar build who sits down in the user's chair at the user's distance matches: no
    frontal pose can tell two such people apart.

Tracking (the user was matched within the last :data:`TRACK_S` seconds): the candidate nearest the
    last match is kept when it lies within :data:`TRACK_DISTANCE` shoulder widths and
    :data:`TRACK_SIZE` of it, and still within the looser :data:`TRACK_LIMIT_DISTANCE` /
    :data:`TRACK_LIMIT_SIZE` of the calibration, so the user may shift and lean gradually, but a
    tracked pose never wanders off to another person.

Shoulders narrowed under a hand at the face (:func:`occluded`)
    A hand holding a cup, a phone or a small case at the mouth hides the neck and the upper chest, and
    the pose model then guesses the shoulders from what it sees: on a real clip of a man holding a case
    at his mouth (his real shoulders at the bottom edge of the picture) it drew them at chin height and
    0.31-0.48 of their calibrated width, while the head stayed where it was at calibration (the ears'
    midpoint 0.11-0.13 calibrated shoulder widths from its calibrated place). By the size rule alone
    that pose is not the user, who then counts as away for as long as he holds it. So, when no pose
    matches by the rules above, a pose is still the user when all of these agree:

    * its shoulder midpoint lies within :data:`ACQUIRE_DISTANCE` of the calibrated one (as above);
    * its shoulder width is :data:`OCCLUDED_SIZE` of the calibrated one (narrower than the acquiring
      range, but not a speck);
    * its ears' midpoint (both ears, or the one seen) lies within :data:`HEAD_DISTANCE` calibrated
      shoulder widths of the calibrated ears' place (the calibrated shoulder midpoint raised by the
      calibrated ``head_height``; distance in pixels, as above);
    * a hand is at its face, measured against the calibrated shoulders rather than its own narrowed
      ones: a hand landmark (geometry's :data:`~postureguard.engine.geometry.HAND_VISIBILITY`, inside
      the picture) within :data:`~postureguard.engine.geometry.HAND_FACE_RADIUS` calibrated shoulder
      widths of the nose and :data:`~postureguard.engine.geometry.HAND_ABOVE_SHOULDERS` above the
      calibrated shoulder line (on the clip the nearest hand landmark was 0.09-0.18 calibrated widths
      from the nose; measured against the narrowed shoulders, geometry's own test missed the hand on 2
      of the 8 narrowed poses of the clip's frames 0.4 s apart with mediapipe 1.2.3, the shoulder line being
      pulled up to it).

    The hand is what explains the narrowing: without it a narrower person at the user's place is
    someone further away (a colleague a metre behind the empty chair has shoulders about half as wide
    and, seen from a desk camera, the head not far from where the user's was), and is not taken. Such
    a match counts as presence, but its shoulders are the model's guess, so its head is not judged (the
    engine reads it as a hand at the face: ``unknown``), and it is not followed by tracking (the next
    frame's real shoulders are matched by the acquiring rule, not measured against the guess). A
    colleague of similar build with a hand at the face whose head is where the user's was, while the
    user is away, is taken for the user, as one sitting in the user's chair would be.

Without a calibration anchor (a file from an older version, or no calibration at all) the largest
person in view is the user.

Moved camera
    :class:`CameraWatch`: when a person is in view on every analysed frame for
    :data:`CAMERA_MOVED_AFTER_S` seconds, but none of them matches the calibrated anchor within the
    acquiring tolerance (a tilted laptop lid moves the shoulder line up or down, a webcam moved to
    another monitor moves it sideways and changes its size), the setup has probably changed: the
    calibration no longer describes the user, so the engine raises
    :class:`~postureguard.engine.events.CameraMoved` once per calibration. A pose matched by the
    narrowed-shoulders rule counts as matching (a minute with a cup at the mouth is not a moved camera).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from postureguard.engine.geometry import hand_near_face
from postureguard.engine.landmarks import Pose, PoseIndex

#: Landmarks below this visibility (0..1) are not used for matching (the same as geometry's).
MIN_VISIBILITY = 0.5
#: Acquiring: largest distance (calibrated shoulder widths) of the shoulder midpoint from the calibrated.
ACQUIRE_DISTANCE = 0.75
#: Acquiring: range of the shoulder width's ratio to the calibrated width.
ACQUIRE_SIZE = (0.6, 1.5)
#: Tracking: seconds a match is followed from (the analysis interval of an upright user is 8 s).
TRACK_S = 20.0
#: Tracking: largest step (shoulder widths of the last match) from the last match.
TRACK_DISTANCE = 0.5
#: Tracking: range of the width's ratio to the last match.
TRACK_SIZE = (0.7, 1.4)
#: Tracking: the looser bounds against the calibration a tracked pose must stay within.
TRACK_LIMIT_DISTANCE = 1.5
TRACK_LIMIT_SIZE = (0.5, 2.0)
#: Narrowed shoulders under a hand at the face: range of the shoulder width's ratio to the calibrated.
OCCLUDED_SIZE = (0.25, ACQUIRE_SIZE[0])
#: Narrowed shoulders: largest distance (calibrated shoulder widths) of the ears' midpoint from the
#: calibrated ears' place.
HEAD_DISTANCE = 0.3
#: Seconds of someone in view, never matching the calibration, before the camera is taken as moved.
CAMERA_MOVED_AFTER_S = 60.0
#: A tracked pose that moved further than this (shoulder widths of the last one) between two analyses
#: has jumped (:func:`jumped`).
JUMP_DISTANCE = 0.25
#: ... or whose shoulder width changed outside this ratio range.
JUMP_SIZE = (0.8, 1.25)


@dataclass(frozen=True)
class Anchor:
    """Where a person is: shoulder midpoint ``x`` (image widths), ``y`` (image heights), both 0..1 from
    the top left, and shoulder ``width`` (image widths); for a calibrated anchor also ``head_height``,
    the ears' height above the shoulder midpoint (shoulder widths; ``None``: not known)."""

    x: float
    y: float
    width: float
    head_height: float | None = None

    def distance(self, other: Anchor, aspect: float) -> float:
        """Distance from ``other`` to this anchor in this anchor's shoulder widths; ``aspect`` is the
        image's height / width (so a step in y counts in the same pixels as one in x)."""
        return math.hypot(other.x - self.x, (other.y - self.y) * aspect) / self.width

    def size_ratio(self, other: Anchor) -> float:
        return other.width / self.width


def anchor_of(pose: Pose | None) -> Anchor | None:
    """The anchor of ``pose``, or ``None`` unless both shoulders are visible."""
    if pose is None:
        return None
    left, right = pose[PoseIndex.LEFT_SHOULDER], pose[PoseIndex.RIGHT_SHOULDER]
    if left.visibility < MIN_VISIBILITY or right.visibility < MIN_VISIBILITY:
        return None
    lx, ly = pose.px(PoseIndex.LEFT_SHOULDER)
    rx, ry = pose.px(PoseIndex.RIGHT_SHOULDER)
    width = math.hypot(lx - rx, ly - ry) / pose.width
    if width <= 0:
        return None
    return Anchor(x=(left.x + right.x) / 2, y=(left.y + right.y) / 2, width=width)


def occluded(reference: Anchor, pose: Pose) -> bool:
    """Whether ``pose`` is the calibrated user whose shoulders the model narrowed under a hand at the
    face (the narrowed-shoulders rule, module docstring); ``False`` without the calibrated
    ``head_height``."""
    cand = anchor_of(pose)
    if cand is None or reference.head_height is None:
        return False
    aspect = pose.height / pose.width
    if not _within(reference, cand, aspect, ACQUIRE_DISTANCE, OCCLUDED_SIZE):
        return False
    ears = [pose[i] for i in (PoseIndex.LEFT_EAR, PoseIndex.RIGHT_EAR)
            if pose[i].visibility >= MIN_VISIBILITY]  # fmt: skip
    if not ears:
        return False
    ear_x = sum(p.x for p in ears) / len(ears)
    ear_y = sum(p.y for p in ears) / len(ears)
    head_y = reference.y - reference.head_height * reference.width / aspect
    if math.hypot(ear_x - reference.x, (ear_y - head_y) * aspect) / reference.width > HEAD_DISTANCE:
        return False
    width_px = reference.width * pose.width
    return hand_near_face(pose, width_px, (reference.x * pose.width, reference.y * pose.height))


def jumped(last: Pose | None, pose: Pose | None) -> bool:
    """Whether the one person found in ``pose`` is not where the one found in ``last`` was (both from
    the same camera, one analysis apart): the shoulder midpoint moved more than :data:`JUMP_DISTANCE`
    shoulder widths of ``last`` (in pixels, x and y alike), or the shoulder width changed outside
    :data:`JUMP_SIZE`.

    A tracking pose model takes each frame's region from the last frame's landmarks, so when the user
    leaves it may go on returning a pose drawn on whatever is now there (a real empty desk gave a
    "person" whose shoulders were 0.63, then 1.5, then 1.4 times as wide from one analysis to the next,
    and whose head read 16-36 degrees forward). A person at a desk shifts and turns, but between two
    analyses their shoulders move by well under a quarter of a shoulder width, except when they slouch
    or lean (module docstring: 0.73-0.81 and about 1.25 of the width), which happens once per episode.
    ``False`` when either holds nobody, or more than one person (then the model searches every frame),
    or a pose without both shoulders."""
    if last is None or pose is None or last.others or pose.others:
        return False
    a, b = anchor_of(last), anchor_of(pose)
    if a is None or b is None:
        return False
    return not _within(a, b, pose.height / pose.width, JUMP_DISTANCE, JUMP_SIZE)


def everyone(pose: Pose | None) -> tuple[Pose, ...]:
    """All people the model found in the frame of ``pose`` (``pose`` itself first)."""
    return () if pose is None else (pose, *pose.others)


def _within(ref: Anchor, cand: Anchor, aspect: float, distance: float, size: tuple[float, float]) -> bool:
    return ref.distance(cand, aspect) <= distance and size[0] <= ref.size_ratio(cand) <= size[1]


def matches(reference: Anchor, pose: Pose) -> bool:
    """Whether ``pose`` is where the calibrated user sits (the acquiring rule, module docstring)."""
    cand = anchor_of(pose)
    return cand is not None and _within(reference, cand, pose.height / pose.width, ACQUIRE_DISTANCE,
                                        ACQUIRE_SIZE)  # fmt: skip


def largest(pose: Pose | None) -> Pose | None:
    """The person with the widest shoulders (the nearest), or the first when none has both visible."""
    people = everyone(pose)
    if not people:
        return None
    sized = [(a.width, i) for i, p in enumerate(people) if (a := anchor_of(p)) is not None]
    return people[max(sized)[1]] if sized else people[0]


class PersonMatcher:
    """Picks the calibrated user among the people in view, frame after frame (module docstring).

    ``reference`` is the calibrated anchor (``None``: the largest person is the user). Stateful (the last
    match, for tracking); one owner, no clock of its own. :attr:`occluded` says whether the last
    :meth:`choose` took the user by the narrowed-shoulders rule (their shoulders are the model's guess).
    """

    def __init__(self, reference: Anchor | None):
        self.reference = reference
        self._last: Anchor | None = None
        self._last_t: float | None = None
        self.occluded = False

    def choose(self, pose: Pose | None, t: float) -> Pose | None:
        """The user's pose among ``pose`` and ``pose.others`` seen at ``t`` seconds, or ``None``."""
        ref = self.reference
        people = everyone(pose)
        self.occluded = False
        if ref is None or not people:
            return largest(pose)
        aspect = people[0].height / people[0].width
        found = [(p, a) for p in people if (a := anchor_of(p)) is not None]
        chosen: tuple[Pose, Anchor] | None = None
        last = self._last
        if last is not None and self._last_t is not None and t - self._last_t <= TRACK_S:
            near = [
                (last.distance(a, aspect), p, a)
                for p, a in found
                if _within(last, a, aspect, TRACK_DISTANCE, TRACK_SIZE)
                and _within(ref, a, aspect, TRACK_LIMIT_DISTANCE, TRACK_LIMIT_SIZE)
            ]
            if near:
                _, p, a = min(near, key=lambda item: item[0])
                chosen = (p, a)
        if chosen is None:
            fits = [
                (ref.distance(a, aspect) + abs(math.log(ref.size_ratio(a))), p, a)
                for p, a in found
                if _within(ref, a, aspect, ACQUIRE_DISTANCE, ACQUIRE_SIZE)
            ]
            if fits:
                _, p, a = min(fits, key=lambda item: item[0])
                chosen = (p, a)
        if chosen is None:
            # Not followed by tracking: the narrowed shoulders are a guess (module docstring).
            hidden = [p for p in people if occluded(ref, p)]
            self.occluded = bool(hidden)
            return hidden[0] if hidden else None
        self._last, self._last_t = chosen[1], t
        return chosen[0]


class CameraWatch:
    """Notices a moved camera: someone in view for :data:`CAMERA_MOVED_AFTER_S`, never matching the
    calibrated anchor (module docstring). Reports once per reference."""

    def __init__(self, reference: Anchor | None, after_s: float = CAMERA_MOVED_AFTER_S):
        self.reference = reference
        self.after_s = after_s
        self._off_since: float | None = None
        self.reported = False

    def off_for(self, t: float) -> float:
        """Seconds (up to ``t``) that the picture has shown someone, but not the calibrated user."""
        return 0.0 if self._off_since is None else t - self._off_since

    def update(self, pose: Pose | None, t: float) -> bool:
        """Take the frame at ``t`` (``pose``: everyone the model found); ``True`` once, when the camera
        seems to have moved."""
        ref = self.reference
        people = [p for p in everyone(pose) if anchor_of(p) is not None]
        if ref is None or not people or any(matches(ref, p) or occluded(ref, p) for p in people):
            self._off_since = None
            return False
        if self._off_since is None:
            self._off_since = t
        if not self.reported and t - self._off_since >= self.after_s:
            self.reported = True
            return True
        return False
