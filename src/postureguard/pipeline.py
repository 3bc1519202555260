"""Wiring shared by the commands that analyse frames: source -> pose model -> engine.

Keeps the commands thin and makes sure every frame goes through the same steps whether it comes from
``analyze``, ``calibrate`` or (later) the tray's monitor thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from postureguard.engine.geometry import Features, measure
from postureguard.landmarks import Pose
from postureguard.sources import Frame, FrameSource


def quiet_native_logs() -> None:
    """Keep MediaPipe's C++ start-up chatter off the user's terminal (set before it is imported)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Observation:
    frame: Frame
    pose: Pose | None
    features: Features | None


def open_model(source: FrameSource, model: str | None = None):
    """The pose model in the right mode for ``source``: VIDEO (tracking) for streams, IMAGE for photos."""
    quiet_native_logs()
    from postureguard.pose import MediaPipePose

    return MediaPipePose(model, mode="video" if source.is_stream else "image")


def thin(frames: Iterable[Frame], min_gap: float) -> Iterator[Frame]:
    """Frames at least ``min_gap`` seconds apart in source time (all of them when ``min_gap`` is 0)."""
    last = None
    for frame in frames:
        if last is None or min_gap <= 0 or frame.t - last >= min_gap - 1e-6:
            last = frame.t
            yield frame


def observe(frames: Iterable[Frame], model) -> Iterator[Observation]:
    """Run ``model`` on each frame and measure the pose it finds."""
    for frame in frames:
        pose = model.detect(frame.image, frame.t)
        yield Observation(frame, pose, measure(pose))
