"""Clips made from real photos: the same person upright, then with the head carried lower.

The "forward head" frames are the real photo with everything above the shoulders moved down (the
neck region is squeezed), which is how a head carried forward and down looks to a frontal camera.
Used where the shared data set may be absent (a user's clone), so the tests stay portable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photos import photo


def lowered_head(image: np.ndarray, chin_y: int, shoulder_y: int, drop_px: int) -> np.ndarray:
    """``image`` with the head (rows above ``chin_y``) moved down by ``drop_px`` pixels.

    Between the chin and the shoulder line the shift tapers to 0 (the neck is squeezed); the
    shoulders and everything below stay where they were.
    """
    import cv2

    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    taper = np.clip((shoulder_y - ys) / float(shoulder_y - chin_y), 0.0, 1.0)
    shift = (drop_px * taper).astype(np.float32)
    return cv2.remap(image, xs, ys - shift, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def posture_frames(upright_n: int, slouch_n: int, *, size=(320, 375), drop_frac=0.11):
    """``upright_n`` upright frames then ``slouch_n`` lowered-head frames of Grace Hopper (BGR)."""
    import cv2

    base = cv2.resize(photo("grace_hopper"), size)
    low = lowered_head(base, int(0.52 * size[1]), int(0.68 * size[1]), int(drop_frac * size[1]))
    rng = np.random.default_rng(7)

    def noisy(img):  # a little sensor noise so frames are not bit-identical
        return np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)

    return [noisy(base) for _ in range(upright_n)] + [noisy(low) for _ in range(slouch_n)]


def write_clip(path: Path, frames, fps: float) -> Path:
    import cv2

    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def calibrated_clip(
    folder: Path, env: dict, upright_n: int, slouch_n: int, *, timeout: float
) -> tuple[Path, Path]:
    """A 4 fps clip of :func:`posture_frames` in ``folder`` and a calibration made from its first six
    frames by the real ``postureguard calibrate`` (with ``env``): ``(clip, calibration file)``."""
    import subprocess
    import sys

    import cv2

    frames = posture_frames(upright_n, slouch_n)
    clip = write_clip(folder / "clip.avi", frames, fps=4)
    upright = []
    for i, img in enumerate(frames[:6]):
        path = folder / f"upright-{i}.png"
        cv2.imwrite(str(path), img)
        upright.append(str(path))
    cal = folder / "cal.json"
    res = subprocess.run([sys.executable, "-m", "postureguard", "calibrate", "--source", *upright, "--out",
                          str(cal)], env=env, capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return clip, cal
