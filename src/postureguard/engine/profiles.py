"""Which of the user's profiles (named setups, each with its own calibration) fits what the camera shows.

Pure: anchors and landmark sets in normalised image coordinates (x right, y down, 0..1), times in
seconds on the caller's clock, camera names as the system reports them (Linux: the V4L2 device's
sysfs ``name``, e.g. ``"Integrated Camera: Integrated C"``).

A profile is one way of working: the laptop on its own ("laptop"), the laptop docked beside a monitor
with a webcam on top ("desk"). Each has its own calibration, because the camera's height, distance and
angle change what an upright head looks like. Two cues choose one without the user:

By camera
    :func:`by_camera`: each profile remembers the camera it was calibrated with. When the camera in use
    is not the active profile's and exactly one other profile was calibrated with it, that profile
    fits. A camera two profiles share (a laptop's own camera, once on the lap and once on a stand)
    says nothing: the scene decides.

By scene
    :class:`SceneWatch`: where the user sits in the picture (the shoulder midpoint and width,
    :class:`~postureguard.engine.person.Anchor`) is what a changed setup changes (the acquiring rule
    of :mod:`postureguard.engine.person`). When, on every analysed frame for :data:`SWITCH_AFTER_S`
    seconds (and at least :data:`SWITCH_MIN_FRAMES` frames), nobody in view matches the active
    profile's anchor and somebody matches exactly one other profile's anchor, that profile fits. Two
    profiles whose anchors both match the person (setups that look alike from the camera) are
    ambiguous: nothing is switched, and the moved-camera notice (the engine's
    :class:`~postureguard.engine.events.CameraMoved`, after a minute) or the tray decides.

A profile the user chose (the tray menu, the settings) is theirs: the scene does not switch away from
it until it has fitted the scene once (``held``), so choosing "laptop" while sitting at the desk is not
undone a few seconds later; from then on the watch works as before.

The switch waits :data:`SWITCH_AFTER_S` (10 s; with the sampling of an empty-looking scene, about
15 s): far shorter than a break (two minutes by default), so the sitting time runs on across the
switch, and long enough that someone passing through another profile's place does not switch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from postureguard.engine.landmarks import Pose
from postureguard.engine.person import Anchor, anchor_of, everyone, matches

#: Seconds of someone matching another profile (and nobody the active one) before it is taken.
SWITCH_AFTER_S = 10.0
#: Analysed frames that must agree before a switch (one frame is never enough).
SWITCH_MIN_FRAMES = 2


def fitting(references: Mapping[str, Anchor | None], pose: Pose | None) -> tuple[str, ...]:
    """The names (in ``references``' order) of the profiles whose anchor someone in ``pose`` (everyone
    the model found) matches by the acquiring rule; profiles without an anchor never fit."""
    people = [p for p in everyone(pose) if anchor_of(p) is not None]
    return tuple(
        name for name, ref in references.items() if ref is not None and any(matches(ref, p) for p in people)
    )


def by_camera(cameras: Mapping[str, str | None], camera: str | None, active: str) -> str | None:
    """The profile the camera in use calls for, or ``None`` to keep ``active``.

    ``cameras`` maps each profile's name to the camera name it was calibrated with (``None``: not
    recorded); ``camera`` is the name of the camera in use (``None``: unknown, e.g. a recording).
    """
    if not camera or cameras.get(active) in (None, camera):
        return None
    same = [name for name, cam in cameras.items() if cam == camera and name != active]
    return same[0] if len(same) == 1 else None


@dataclass(frozen=True)
class _Pending:
    name: str
    since: float
    frames: int


class SceneWatch:
    """Follows the analysed frames and says once when another profile fits the scene (module docstring).

    ``references``: each profile's calibrated anchor (``None`` when its calibration has none);
    ``active``: the name of the profile in use; ``held``: the user chose it, so nothing is switched
    until it has fitted once. Stateful, one owner, no clock of its own.
    """

    def __init__(
        self,
        references: Mapping[str, Anchor | None],
        active: str,
        *,
        after_s: float = SWITCH_AFTER_S,
        min_frames: int = SWITCH_MIN_FRAMES,
        held: bool = False,
    ):
        self.references = dict(references)
        self.active = active
        self.held = held
        self.after_s = after_s
        self.min_frames = min_frames
        self._pending: _Pending | None = None

    def update(self, pose: Pose | None, t: float) -> str | None:
        """Take the frame at ``t`` seconds (``pose``: everyone found, or ``None``); the name of the
        profile to switch to, once, when it has fitted long enough; else ``None``."""
        fits = fitting(self.references, pose)
        if self.held:
            self.held = self.active not in fits  # the chosen profile fitted: from now on, switch freely
            return None
        if not fits or self.active in fits:
            self._pending = None  # nobody in view, the active profile fits, or none does
            return None
        if len(fits) != 1:
            self._pending = None  # two other profiles fit: ambiguous, leave it to the user
            return None
        name = fits[0]
        pending = self._pending
        if pending is None or pending.name != name:
            self._pending = _Pending(name, t, 1)
            return None
        pending = _Pending(name, pending.since, pending.frames + 1)
        self._pending = pending
        if t - pending.since >= self.after_s and pending.frames >= self.min_frames:
            self._pending = None
            self.active = name
            return name
        return None
