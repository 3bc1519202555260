"""Posture measures from one frontal webcam pose.

Frame of reference: the analysed image, converted to pixels (x right, y down) so that horizontal and
vertical lengths share one unit; every length is then divided by the shoulder width, which removes
the distance to the camera (see "distance" below).

Head-forward angle
------------------
A frontal camera cannot see the craniovertebral angle (CVA: the angle, seen from the side, between the
horizontal through C7 and the line from C7 to the ear) directly, but it sees its vertical component.
Model the neck as a rigid segment of length ``L`` from the shoulder line to the ears, inclined at
the CVA above the horizontal. Its projection on the image's vertical axis is ``h = L * sin(CVA)``.

* At calibration the user sits upright: ``h0 = L * sin(CVA0)``.
* Carrying the head forward tilts the segment forward, so the CVA drops by ``delta`` and
  ``h / h0 = sin(CVA0 - delta) / sin(CVA0)``. Hence ``delta = CVA0 - asin((h / h0) * sin(CVA0))``.

``CVA0`` is not measurable from the front, so the population value for healthy upright sitting,
50 degrees, is used (controls in Lau 2009: 50.6 degrees). Near upright the mapping is close to
linear (about 0.7 degrees per 1 % loss of height), unlike ``acos(h/h0)``, which would blow small
detector noise up into tens of degrees. The result is reported as ``head_forward_deg``: the
estimated drop of the CVA from the user's own upright, 0 when upright, growing as the head moves
forward and down. It is an estimate for a person's own trend, not a clinical CVA.

``h`` is measured from the shoulder midpoint to the ear midpoint (ears sit close to the head's
nodding axis, so looking down at the keyboard with the eyes and a small nod moves them little; the
nose would move a lot). When one ear is hidden (head turned), the visible ear is used.

Head roll (tilting sideways) and yaw (turning)
----------------------------------------------
Tilting the head sideways turns the neck segment in the picture's plane: its vertical component
shrinks by ``cos(roll)`` (9 % at 25 degrees, which would read as about 6 degrees forward) although
the head has not moved forward. The roll angle ``roll_deg`` (degrees, positive when the line from the
image-left eye to the image-right eye falls to the right) is read from the eye line (both eyes
visible), else from the ear line (both ears), else taken as 0. ``h`` is then the larger of two
lengths: the vertical component, and the component along the head's own up axis (perpendicular to the
eye line). A neck bent sideways about its base keeps the second, a head turned about its own centre
keeps the first, a forward drop shortens both. Turning the head (yaw) hides the far ear and moves the
face sideways; the visible ear keeps its height, so the vertical measure is unaffected, and the
eye line stays level, so no roll is read.

A hidden ear
------------
A hand on the cheek or over-ear headphones can hide one ear (the other is used) or both. With
neither ear visible the ears' height is unknown (``head_height`` is ``None``); the eyes' height above
the shoulder line (``eye_height``, shoulder widths, same roll correction) is measured instead and
compared with its own calibrated value. Without ears and eyes no angle is given (``unknown``), but the
person still counts as present while both shoulders and the nose are seen.

A hand at the face
------------------
A hand held in front of the face or under the chin (a thumb up in a video call, a cup or a phone at the
mouth, the chin on a fist) covers or pushes the face landmarks, and the arm raised to it lifts that
side's shoulder (on a real clip the raised side's shoulder rose by a tenth of the picture while the
head stayed still, which read as 7 degrees forward). The sample is flagged ``hand_at_face`` when a
hand landmark (wrist, pinky, index or thumb, 15-22) inside the picture, of visibility at least
:data:`HAND_VISIBILITY`, lies within :data:`HAND_FACE_RADIUS` shoulder widths of the nose (0.2-0.45
on real clips of a hand held at the mouth or before the face) and at least
:data:`HAND_ABOVE_SHOULDERS` shoulder widths above the shoulder line (a hand at the chest or on the
desk is not at the face, however low the face sits in the picture); the engine then gives no angle
(``unknown``) but the person still counts as present. Hands resting on a desk or gesturing at chest
height are about a shoulder width or more from the nose and do not trigger it (of all the real clips'
upright, talking and head-turning frames only one did, as a woman began to raise her hand to her face;
no frame of the recorded landmark sessions sitting upright or slouched did).

Standing up
-----------
Standing up in front of a desk camera lifts the shoulders and the head together far above where they
were at calibration (or out of the top of the picture, when they are no longer seen at all).
:func:`shoulder_rise` gives how far both sit above their calibrated places, in calibrated shoulder
widths (positive = higher; the smaller of the shoulders' and the ears' rise, so that a pose model's
shoulders drifting up under a turned head, with the head staying, is not standing); above
:data:`STANDING_RISE` the person is standing and the engine reads them as away (no angle, no
presence), since a standing body is not a slouched one. Measured: a real recording of a man rising
from his desk (a camera across the room) rose 0.4-0.6 shoulder widths while getting up and 0.68-0.96
while standing; the recorded landmark sessions of one person seated upright at a webcam rose at most
0.60 (leaning towards a camera below the face lifts the body in the picture), slouches at most 0.51.
A desk webcam loses a standing person's head and shoulders out of the top, which reads as away anyway.

Shoulders pulled up under the head
----------------------------------
When the user's real shoulders sit at or below the bottom edge of the picture (a laptop camera close to
the face), the pose model guesses them, and when the head turns or tilts it pulls its guess up towards
the face and closer together; the neck then looks shorter although the head has not moved. On a real
clip of a man turning his head to his right (his shoulders at the picture's bottom edge) the guessed
shoulders rose 0.21 calibrated shoulder widths and narrowed to 0.86 of their calibrated width while his
ears stayed where they were at calibration (0.01 higher), which read as 15.8 degrees forward (on the
clip of the same man holding a case up beside his face, 0.09 higher, 0.96 as wide, the ears 0.02 higher:
6.2 degrees).
On the clip of the same man turning his head again at its end (mediapipe 0.10.33 on an AMD EPYC),
the guessed shoulders rose 0.17 calibrated widths without narrowing (1.00 of the calibrated width) and
the ears rose 0.07: 10.6 degrees forward.
:func:`pulled_up_height` recognises this: the shoulder midpoint more than :data:`SHOULDER_PULL_RISE`
calibrated widths above its calibrated place, the shoulders no wider than :data:`SHOULDER_PULL_SIZE` of
their calibrated width (a lean towards the camera widens them), and the ears' midpoint no lower than
:data:`EAR_DROP_TOLERANCE` calibrated widths below its calibrated place. The head is then also measured
from the calibrated shoulder line (the ears' height above the calibrated shoulder midpoint, in
calibrated shoulder widths), and the calibration
(:meth:`~postureguard.engine.calibration.Calibration.forward_deg`) takes the smaller of the two
readings. Real postures do not do this: a slouch on the real frontal webcam frames lowers the shoulders
(0.03-0.14 calibrated widths) and the ears more (0.19-0.30); in the recorded landmark sessions (the
shoulders at the picture's bottom edge, as on the clip) a slouch or a lean towards a camera below the
face lifts the shoulders up to 0.67 calibrated widths, but keeps them as wide or widens them (0.94-1.30
of upright), and not one of the 1,105 frames of theirs read as poor (716 of them slouches, the rest
looks down and uneven shoulders) meets the cue. The width bound was 0.95 (narrower only) until the turn
above; at 1.03 still no frame of theirs does (the nearest, a round-shouldered slouch risen 0.18 widths
at 1.048 of the width, would at 1.05). A shrug with the head still (the shoulders raised as wide as
calibrated, the ears where they were) now meets the cue and is not read as forward: the head has not
moved, although a shoulder line raised for long is a strain of its own. What it can miss: a user who
sits clearly higher than at calibration (a raised chair, a cushion) and slouches only as far as brings
the ears back to their calibrated place, with the model reading the shoulders narrower; a changed seat
height calls for a new calibration anyway. The cue needs the ears (``head_height``), the image's aspect
and a calibration that says where the user sat.

Neck extension
--------------
Tilting the head back also shortens ``h`` (the segment leans backwards) and must not read as forward.
Extension raises the face relative to the ears: the nose-to-ear-line offset (``pitch``) falls below
its calibrated value. When it falls by more than :data:`EXTENSION_PITCH_MARGIN` shoulder widths the
sample is flagged ``extension`` and its forward angle is 0.

Distance ("lean-in")
--------------------
Moving the whole upper body closer to the screen scales every image length by the same factor,
because the head and shoulders are at nearly the same depth; ``h`` divided by shoulder width does not
change, so leaning in without bending the neck reads as about 0 degrees. The distance change itself is
reported as ``lean_in`` = shoulder width / calibrated shoulder width (>1 = closer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from postureguard.engine.landmarks import Pose, PoseIndex

#: Upright craniovertebral angle assumed for every user (degrees); see the module docstring.
REFERENCE_CVA_DEG = 50.0
#: Landmarks below this visibility (0..1) are treated as unseen.
MIN_VISIBILITY = 0.5
#: A pitch rise (nose up relative to the ears) beyond this many shoulder widths is extension.
EXTENSION_PITCH_MARGIN = 0.05
#: Shoulder widths under this fraction of the image width are too small to measure reliably.
MIN_SHOULDER_WIDTH_FRACTION = 0.04
#: A hand landmark nearer the nose than this many shoulder widths is a hand at the face.
HAND_FACE_RADIUS = 0.6
#: A hand at the face is at least this many shoulder widths above the shoulder line.
HAND_ABOVE_SHOULDERS = 0.1
#: Hand landmarks at or above this visibility (0..1) count for :data:`HAND_FACE_RADIUS`: lower than
#: :data:`MIN_VISIBILITY`, because the pose model rates a hand held against the face low (0.34-0.45 on
#: the analysed frames of a real clip of a thumb held in front of the face), while resting hands that
#: it only guesses at sit well away from the face.
HAND_VISIBILITY = 0.3
#: Hand landmarks (BlazePose 15-22: wrists, pinkies, index fingers, thumbs).
HAND_POINTS = tuple(range(PoseIndex.LEFT_WRIST, PoseIndex.RIGHT_THUMB + 1))
#: Shoulders and head this many calibrated shoulder widths above their calibrated places: standing.
STANDING_RISE = 0.65
#: Shoulders pulled up: the shoulder midpoint more than this many calibrated shoulder widths above its
#: calibrated place (above the jitter of upright frames, +-0.03 on the real frontal webcam frames) ...
SHOULDER_PULL_RISE = 0.05
#: ... the shoulders no wider than this fraction of their calibrated width (upright frames: 0.95-1.16;
#: a lean towards the camera widens them, 1.25 at 9 cm closer) ...
SHOULDER_PULL_SIZE = 1.03
#: ... and the ears' midpoint at most this many calibrated shoulder widths below its calibrated place.
EAR_DROP_TOLERANCE = 0.05


@dataclass(frozen=True)
class Features:
    """Scale-free measures of one pose; lengths in shoulder widths, angles in degrees.

    * ``head_height``: height of the ear midpoint above the shoulder midpoint (roll-corrected, see
      the module docstring), ``None`` when no ear is visible.
    * ``eye_height``: the same for the eye midpoint, ``None`` unless both eyes are visible.
    * ``roll_deg``: the head's roll read from the eye (or ear) line, degrees, 0 when neither is seen.
    * ``pitch``: how far the nose sits below the ear midpoint (grows when nodding down), ``None``
      without an ear.
    * ``shoulder_width_frac``: shoulder width as a fraction of the image width (distance proxy).
    * ``shoulder_tilt_deg``: shoulder line against the image horizontal, positive when the shoulder
      on the image's left is lower.
    * ``shoulder_mid_x`` / ``shoulder_mid_y``: the shoulder midpoint in normalised image coordinates
      (image widths / heights from the top left, 0..1); where the person is, for
      :mod:`postureguard.engine.person`.
    * ``hand_at_face``: a hand landmark (visibility at least :data:`HAND_VISIBILITY`) lies within
      :data:`HAND_FACE_RADIUS` shoulder widths of the nose (module docstring); the head is not judged.
    * ``aspect``: the analysed image's height / width, to turn normalised heights into shoulder widths
      (:func:`shoulder_rise`).
    """

    head_height: float | None
    pitch: float | None
    shoulder_width_frac: float
    shoulder_tilt_deg: float
    shoulder_mid_x: float | None = None
    shoulder_mid_y: float | None = None
    eye_height: float | None = None
    roll_deg: float = 0.0
    hand_at_face: bool = False
    aspect: float | None = None


def _visible(pose: Pose, index: PoseIndex) -> bool:
    return pose[index].visibility >= MIN_VISIBILITY


def person_present(pose: Pose | None) -> bool:
    """Whether ``pose`` shows a person: both shoulders and an ear, both eyes or the nose."""
    return measure(pose) is not None


def measure(pose: Pose | None) -> Features | None:
    """Features of ``pose``, or ``None`` when the landmarks needed are not visible."""
    if pose is None:
        return None
    if not (_visible(pose, PoseIndex.LEFT_SHOULDER) and _visible(pose, PoseIndex.RIGHT_SHOULDER)):
        return None
    ears = [i for i in (PoseIndex.LEFT_EAR, PoseIndex.RIGHT_EAR) if _visible(pose, i)]
    eyes = [i for i in (PoseIndex.LEFT_EYE, PoseIndex.RIGHT_EYE) if _visible(pose, i)]
    if not ears and len(eyes) < 2 and not _visible(pose, PoseIndex.NOSE):
        return None

    lx, ly = pose.px(PoseIndex.LEFT_SHOULDER)
    rx, ry = pose.px(PoseIndex.RIGHT_SHOULDER)
    width = math.hypot(lx - rx, ly - ry)
    if width < MIN_SHOULDER_WIDTH_FRACTION * pose.width:
        return None
    shoulder_mid = ((lx + rx) / 2, (ly + ry) / 2)
    shoulder_mid_y = shoulder_mid[1]
    roll = _roll_rad(pose, eyes, ears)
    nose_y = pose.px(PoseIndex.NOSE)[1]
    ear_y = None
    head_height = eye_height = None
    if ears:
        ear_y = sum(pose.px(i)[1] for i in ears) / len(ears)
        ear_x = sum(pose.px(i)[0] for i in ears) / len(ears)
        head_height = _height(shoulder_mid, (ear_x, ear_y), roll) / width
    if len(eyes) == 2:
        eye = [pose.px(i) for i in eyes]
        eye_mid = ((eye[0][0] + eye[1][0]) / 2, (eye[0][1] + eye[1][1]) / 2)
        eye_height = _height(shoulder_mid, eye_mid, roll) / width

    # Image y grows downwards: "up" is a smaller y. The image's left shoulder is the person's right
    # one in an unmirrored frame, so name it by image side to stay unambiguous.
    left_img, right_img = ((lx, ly), (rx, ry)) if lx < rx else ((rx, ry), (lx, ly))
    tilt = math.degrees(math.atan2(left_img[1] - right_img[1], right_img[0] - left_img[0]))

    return Features(
        head_height=head_height,
        pitch=None if ear_y is None else (nose_y - ear_y) / width,
        shoulder_width_frac=width / pose.width,
        shoulder_tilt_deg=tilt,
        shoulder_mid_x=(lx + rx) / 2 / pose.width,
        shoulder_mid_y=shoulder_mid_y / pose.height,
        eye_height=eye_height,
        roll_deg=math.degrees(roll),
        hand_at_face=hand_near_face(pose, width, shoulder_mid),
        aspect=pose.height / pose.width,
    )


def hand_near_face(pose: Pose, width_px: float, shoulder_mid: tuple[float, float]) -> bool:
    """Whether a hand landmark inside the picture, of visibility at least :data:`HAND_VISIBILITY`, lies
    within :data:`HAND_FACE_RADIUS` shoulder widths (of ``width_px`` pixels) of the nose and at least
    :data:`HAND_ABOVE_SHOULDERS` shoulder widths above ``shoulder_mid`` (pixels); see the module
    docstring. :func:`measure` passes the pose's own shoulders; :func:`postureguard.engine.person.occluded`
    the calibrated ones, when the model has narrowed the pose's shoulders under the hand."""
    nx, ny = pose.px(PoseIndex.NOSE)
    for i in HAND_POINTS:
        point = pose[i]
        # A point outside the picture is the model's guess at a hand it cannot see (below the desk
        # edge of the picture): it covers nothing.
        if point.visibility >= HAND_VISIBILITY and 0.0 <= point.x <= 1.0 and 0.0 <= point.y <= 1.0:
            hx, hy = pose.px(i)
            # Raised to the face means above the shoulder line; a hand at or below it (on the desk, at
            # the chest) is not at the face, however low the face sits in the picture.
            above = shoulder_mid[1] - hy >= HAND_ABOVE_SHOULDERS * width_px
            if above and math.hypot(hx - nx, hy - ny) < HAND_FACE_RADIUS * width_px:
                return True
    return False


def shoulder_rise(
    features: Features, ref_mid_y: float, ref_width_frac: float, ref_head_height: float | None = None
) -> float | None:
    """How far the person of ``features`` sits above a reference (calibrated) place, in reference
    shoulder widths, positive = higher in the picture: the rise of the shoulder midpoint above
    ``ref_mid_y`` (image heights from the top; ``ref_width_frac``: the reference shoulder width in image
    widths), and, when ``ref_head_height`` and the ears are known, the smaller of that and the ears'
    rise (standing lifts both; a pose model's shoulders drifting up under a turned head or a raised hand
    lift the shoulders only). ``None`` without the image's aspect or the shoulder midpoint."""
    if features.shoulder_mid_y is None or features.aspect is None or ref_width_frac <= 0:
        return None
    aspect = features.aspect
    rise = (ref_mid_y - features.shoulder_mid_y) * aspect / ref_width_frac
    if ref_head_height is not None and features.head_height is not None:
        # The ears' height in the picture (image heights from the top), now and at the reference,
        # ignoring roll (a tilted head moves the ears a little sideways, not a shoulder width up).
        ears = features.shoulder_mid_y - features.head_height * features.shoulder_width_frac / aspect
        ref_ears = ref_mid_y - ref_head_height * ref_width_frac / aspect
        rise = min(rise, (ref_ears - ears) * aspect / ref_width_frac)
    return rise


def pulled_up_height(
    features: Features, ref_mid_y: float, ref_width_frac: float, ref_head_height: float
) -> float | None:
    """The ears' height above the calibrated shoulder line, in calibrated shoulder widths, when the pose
    model has pulled its guessed shoulders up under the head (module docstring, "Shoulders pulled up
    under the head"); ``None`` when it has not, or without the ears or the image's aspect.

    ``ref_mid_y``: the calibrated shoulder midpoint (image heights from the top); ``ref_width_frac``: the
    calibrated shoulder width (image widths); ``ref_head_height``: the calibrated ears' height above the
    shoulder midpoint (shoulder widths)."""
    if (features.head_height is None or features.aspect is None or features.shoulder_mid_y is None
            or ref_width_frac <= 0):  # fmt: skip
        return None
    aspect = features.aspect
    rise = (ref_mid_y - features.shoulder_mid_y) * aspect / ref_width_frac
    narrowed = features.shoulder_width_frac / ref_width_frac < SHOULDER_PULL_SIZE
    # The ears' place in the picture (image heights from the top), now and at calibration, ignoring roll
    # as shoulder_rise does.
    ears = features.shoulder_mid_y - features.head_height * features.shoulder_width_frac / aspect
    ref_ears = ref_mid_y - ref_head_height * ref_width_frac / aspect
    ears_drop = (ears - ref_ears) * aspect / ref_width_frac
    if rise <= SHOULDER_PULL_RISE or not narrowed or ears_drop > EAR_DROP_TOLERANCE:
        return None
    return (ref_mid_y - ears) * aspect / ref_width_frac


#: Largest roll (degrees) read from the eye or ear line; beyond it the line is a detector error.
MAX_ROLL_DEG = 45.0


def _roll_rad(pose: Pose, eyes: list[PoseIndex], ears: list[PoseIndex]) -> float:
    """The head's roll in radians, from the eye line (else the ear line, else 0); see the docstring."""
    pair = eyes if len(eyes) == 2 else ears if len(ears) == 2 else None
    if pair is None:
        return 0.0
    (ax, ay), (bx, by) = sorted(pose.px(i) for i in pair)  # image-left point first
    if bx - ax <= 0:
        return 0.0
    roll = math.atan2(by - ay, bx - ax)
    return roll if abs(math.degrees(roll)) <= MAX_ROLL_DEG else 0.0


def _height(base: tuple[float, float], point: tuple[float, float], roll: float) -> float:
    """Height of ``point`` above ``base`` (pixels, y down): the larger of the vertical component and
    the component along the head's up axis turned by ``roll`` (radians); see the module docstring."""
    dx, dy = point[0] - base[0], base[1] - point[1]  # dy: up is positive
    # The up axis turned clockwise on the picture by ``roll``: (sin roll, cos roll) in (right, up).
    along = dx * math.sin(roll) + dy * math.cos(roll)
    return max(dy, along)


def forward_angle_deg(height_ratio: float, reference_cva_deg: float = REFERENCE_CVA_DEG) -> float:
    """Drop of the craniovertebral angle (degrees) implied by ``h / h0`` (see module docstring).

    Returns a signed value: negative when the head sits higher than at calibration. The ratio is
    clamped to the range the model can express (the segment cannot be longer than ``L``).
    """
    s0 = math.sin(math.radians(reference_cva_deg))
    x = max(-1.0, min(1.0, height_ratio * s0))
    return reference_cva_deg - math.degrees(math.asin(x))
