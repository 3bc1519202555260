"""The pose model adapter: MediaPipe Tasks PoseLandmarker in, :class:`~postureguard.engine.landmarks.Pose`
out.

This is the only module that imports mediapipe. VIDEO mode (tracking between frames, cheaper) serves
streams; IMAGE mode serves unrelated photos. Frames are BGR ``uint8`` arrays; times are seconds.
"""

from __future__ import annotations

import logging
import os
import sys
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from postureguard.engine.landmarks import Point, Pose
from postureguard.engine.person import anchor_of
from postureguard.errors import ModelError, require
from postureguard.files.resources import verified_model
from postureguard.i18n import _

log = logging.getLogger(__name__)


class PoseModel(Protocol):
    """What every pose model offers, and all that its users call (no attribute is probed for)."""

    def detect(self, image_bgr: Any, t: float) -> Pose | None: ...

    def reset(self) -> None:
        """Forget any tracked person (a no-op for a model that keeps no state between frames)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SteerablePoseModel(PoseModel, Protocol):
    """A pose model that looks for one person or for several, as its owner says (the loop that runs it
    tells it after each analysis; see :meth:`MediaPipePose.need_others`)."""

    def need_others(self, wanted: bool, t: float) -> bool:
        """Take the owner's word on the last analysis at ``t`` seconds; ``True`` when the model has just
        started to look for several people (the owner may then look again at once)."""
        ...


class _NotLoaded(types.ModuleType):
    """Stands in for a module MediaPipe imports but PostureGuard never lets it use."""

    def __getattr__(self, name: str):
        raise AttributeError(f"{self.__name__}.{name}: not loaded for the pose model")


@contextmanager
def _without_plotting():
    """Import MediaPipe without matplotlib.

    ``mediapipe.tasks.python.vision`` imports its drawing helpers, which import matplotlib.pyplot at
    module level (about 50 MB of memory, half a second, and a font cache written under ~/.cache),
    although only their plotting functions, which we never call, use it. While MediaPipe is being
    imported, stand-ins answer for matplotlib; afterwards they are removed, so a later real import
    (a report) gets the real library.
    """
    placed = {}
    for name in ("matplotlib", "matplotlib.pyplot"):
        if name not in sys.modules:
            placed[name] = sys.modules[name] = _NotLoaded(name)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


#: glvnd's list of EGL vendor files; pointed at none, so EGL finds no driver (see :func:`_mediapipe`).
EGL_VENDORS_ENV = "__EGL_VENDOR_LIBRARY_FILENAMES"


def _mediapipe():
    # MediaPipe's package imports sounddevice (for audio tasks we do not use), whose import runs
    # ldconfig and a compiler to find PortAudio; keep it out.
    #
    # Every landmarker runs on the CPU, yet mediapipe 0.10 opens an EGL display when it builds one;
    # without a GPU driver that maps Mesa's software renderer and libLLVM: 55 MB more resident in the
    # tray app (an X display), 9 MB without one. With no EGL vendor it finds no display and goes on
    # on the CPU with the same landmarks (mediapipe 1.x opens none). A user's own setting wins.
    os.environ.setdefault(EGL_VENDORS_ENV, os.devnull)
    if "mediapipe" not in sys.modules:
        sys.modules.setdefault("sounddevice", None)
        os.environ.setdefault("MPLBACKEND", "Agg")
        with _without_plotting():
            return require("mediapipe", _("pose detection"), "mediapipe")
    return require("mediapipe", _("pose detection"), "mediapipe")


@contextmanager
def _native_stderr_silenced():
    """Silence stderr at the file-descriptor level while MediaPipe starts.

    Its C++ core writes start-up notices (XNNPACK delegate, feedback tensors) straight to fd 2,
    which Python logging cannot filter; errors still reach the caller as exceptions.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr (e.g. a detached service): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def _nothing():
    yield


def run_landmarker(model: Any, image_bgr: Any, t: float) -> Any:
    """Run ``model._landmarker`` (a MediaPipe Tasks landmarker) on a BGR frame at ``t`` seconds.

    Shared by the pose, hand and face adapters, which keep the same state: ``_mp``, ``mode``
    (``"video"`` or ``"image"``), ``_last_ms`` and ``_warm``. In VIDEO mode the timestamps given to
    MediaPipe must rise strictly, so ``t`` is turned into milliseconds and pushed past the last one;
    the first run is silenced at the descriptor level (start-up notices of the native core).
    """
    import cv2

    # OpenCV's channel swap: 0.13 ms for a 1080 x 720 frame, where numpy's reversed copy took 5.5 ms.
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    image = model._mp.Image(image_format=model._mp.ImageFormat.SRGB, data=rgb)
    with _native_stderr_silenced() if not model._warm else _nothing():
        if model.mode == "video":
            ms = max(int(round(t * 1000)), model._last_ms + 1)
            model._last_ms = ms
            result = model._landmarker.detect_for_video(image, ms)
        else:
            result = model._landmarker.detect(image)
    model._warm = True
    return result


#: People the model is asked for at most: the user and a colleague or two in view (each is judged, or
#: not, by :class:`postureguard.engine.person.PersonMatcher`).
NUM_POSES = 3
#: Seconds of analyses showing no one but the user (or no one) before a steered landmarker goes back
#: from several poses to one (:meth:`MediaPipePose.need_others`).
QUIET_S = 120.0


def _by_size(poses: list[Pose]) -> list[Pose]:
    """Largest shoulder width (nearest person) first; people without both shoulders visible last."""

    def key(pose: Pose) -> float:
        anchor = anchor_of(pose)
        return -1.0 if anchor is None else anchor.width

    return sorted(poses, key=key, reverse=True)


class MediaPipePose:
    """MediaPipe PoseLandmarker (up to ``num_poses`` people).

    ``mode`` is ``"video"`` or ``"image"``. In video mode times passed to :meth:`detect` must grow;
    they are converted to whole milliseconds as MediaPipe requires.

    One pose or several (video mode, steered by :meth:`need_others`)
        A landmarker asked for several people runs its person detector on every frame as long as it
        tracks fewer people than it was asked for, which is nearly always (one person at a desk): on
        the bench clip 33-38 ms of CPU per analysis instead of 21-23 ms with one pose, which tracks
        the person it found and skips the detector. So the landmarker starts asking for ``num_poses``
        people and, once steered, asks for one pose while the engine finds no one but the calibrated
        user, and for ``num_poses`` again from the analysis after one that found someone else. A
        colleague is still never judged in the user's place: while one pose tracks the user, nobody
        else is returned; when the one pose returned is not the user (someone sat down while
        the user was away, the tracker jumped, or a fresh search picked the colleague), the matcher
        does not take it, the engine says so (:attr:`postureguard.engine.core.Update.look_for_others`),
        and from then on everyone is looked for until :data:`QUIET_S` seconds of analyses have shown
        no one else (the user is then missed for that one analysis; the analyzer looks again at the
        next frame). Switching replaces the landmarker (one at a time, so memory stays flat: 206 MB
        before and 216 MB after 39 switches in one process; a second, always-open one for several
        people cost about 95 MB more); a switch costs 0.07-0.11 s of CPU to build the new landmarker
        and 40-170 ms more for its first frame, once.

        Until an owner steers it (a calibration, the first-run preview, a one-off analysis), the
        landmarker steers itself by what it finds: one pose after a frame that showed one person alone
        (the largest in view, since everyone was looked for), ``num_poses`` again after a frame that
        showed no one. This is not only cheaper: the two read the same person differently. One pose
        takes each frame's region from the last frame's landmarks, several take it from the person
        detector, and the head reads about 1° further forward from tracked landmarks (the median of 37-52
        upright analyses per 4-minute bench clip: 1.0-1.6° on three clips when calibrated from the
        detector's, 0.0-0.1° on two when calibrated from tracked ones; the threshold is 5°). The
        monitor judges with one pose nearly all the time, so a calibration has to be made with one
        pose too. In image mode
        nothing is tracked between pictures, so the detector runs on every picture anyway; there the
        landmarker always asks for ``num_poses``.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        mode: str = "video",
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_poses: int = NUM_POSES,
    ):
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', not {mode!r}")
        self._model = verified_model(model_path)
        path = self._model.source
        mp = _mediapipe()
        vision = mp.tasks.vision
        self._mp = mp
        self.mode = mode
        self.model_path = path
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        options = vision.PoseLandmarkerOptions(
            # The sealed copy that was checked, by path: MediaPipe maps it rather than holding a copy of
            # a bytes buffer (6 MB less resident), and the file checked is the file used.
            base_options=mp.tasks.BaseOptions(**self._model.base_options()),
            running_mode=running,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=False,
        )
        self._options = options
        self.num_poses = num_poses
        self._landmarker = self._create()
        self._last_ms = -1
        self._warm = False
        self._others_t: float | None = None  # when the owner last reported someone but the user (s)
        self.switches = 0  # landmarkers replaced (by need_others, or while nobody steers)
        self._steered = False  # need_others has been called: the owner decides from now on

    @property
    def poses_asked(self) -> int:
        """How many people the current landmarker looks for (1 or :attr:`num_poses`)."""
        return int(self._options.num_poses)

    def need_others(self, wanted: bool, t: float) -> bool:
        """Steer the landmarker (class docstring): ``wanted`` is the owner's verdict on the analysis at
        ``t`` seconds (the times given to :meth:`detect`): someone not the user was found, or may be
        hidden. Returns ``True`` when it has just switched to looking for several people, so the owner
        can analyse the next frame at once rather than wait for its schedule."""
        if self.mode != "video" or self.num_poses <= 1:
            return False
        self._steered = True
        if wanted:
            self._others_t = t
            if self.poses_asked == 1:
                self._switch(self.num_poses)
                return True
        elif self.poses_asked > 1 and (self._others_t is None or t - self._others_t >= QUIET_S):
            # Nobody else since QUIET_S (or ever: the analyses so far looked for everyone).
            self._switch(1)
        return False

    def _switch(self, num_poses: int) -> None:
        """Replace the landmarker by one asking for ``num_poses`` people (the old one closed first, so
        only one is ever open). The new one has tracked no one: its first frame is searched afresh."""
        import dataclasses

        log.debug("pose model: looking for up to %d people from now", num_poses)
        self._landmarker.close()
        self._options = dataclasses.replace(self._options, num_poses=num_poses)
        self._landmarker = self._create()
        self.switches += 1

    def _create(self):
        vision = self._mp.tasks.vision
        try:
            with _native_stderr_silenced():
                return vision.PoseLandmarker.create_from_options(self._options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                _("cannot load pose model {path}: {error}").format(path=self.model_path, error=exc)
            ) from None

    def reset(self) -> None:
        """Forget the tracked person: the next frame is searched afresh.

        In VIDEO mode MediaPipe keeps following the last pose it found; on a busy background it can
        go on "seeing" a person who has left. One small black frame, in which nothing can be
        tracked, drops the tracked pose, so the next frame is searched with the detector. (Starting
        a new landmarker would do the same but costs about 0.5 s of CPU and leaves native memory
        behind each time.)
        """
        if self.mode != "video":
            return  # IMAGE mode keeps no state between frames
        import numpy as np

        blank = np.zeros((64, 64, 3), np.uint8)
        self.detect(blank, (self._last_ms + 1) / 1000.0)

    def detect(self, image_bgr: Any, t: float) -> Pose | None:
        """Landmarks of the largest person in ``image_bgr`` at time ``t`` (s), the others in its
        :attr:`~postureguard.engine.landmarks.Pose.others`, or ``None`` when nobody is found."""
        people = self.detect_all(image_bgr, t)
        if not people:
            return None
        return Pose(people[0].image, people[0].width, people[0].height, people[0].world, others=people[1:])

    def detect_all(self, image_bgr: Any, t: float) -> tuple[Pose, ...]:
        """Everyone found in ``image_bgr`` at time ``t`` (s), largest shoulder width first."""
        height, width = image_bgr.shape[:2]
        result = run_landmarker(self, image_bgr, t)
        worlds = result.pose_world_landmarks or []

        def vis(lm) -> float:
            value = getattr(lm, "visibility", None)
            return 1.0 if value is None else float(value)

        def points(lms) -> tuple[Point, ...]:
            return tuple(Point(float(p.x), float(p.y), float(p.z), vis(p)) for p in lms)

        people = [
            Pose(
                image=points(lms),
                world=points(worlds[i]) if i < len(worlds) else None,
                width=int(width),
                height=int(height),
            )
            for i, lms in enumerate(result.pose_landmarks or [])
        ]
        if self.mode == "video" and not self._steered and self.num_poses > 1:
            # Nobody steers (a calibration, a preview): one pose after one person alone (class docstring).
            if len(people) == 1 and self.poses_asked > 1:
                self._switch(1)
            elif not people and self.poses_asked == 1:
                self._switch(self.num_poses)
        return tuple(_by_size(people))

    def close(self) -> None:
        self._landmarker.close()
        self._model.close()

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
