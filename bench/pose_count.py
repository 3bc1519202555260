"""`postureguard bench` with the pose model as it was before it switched between one and three poses.

    python bench/pose_count.py three|one CLIP [bench options]

``three``: always three people (the person detector on every frame); ``one``: always one pose (before
the engine judged only the calibrated person). The current behaviour is plain ``postureguard bench``.
Both patch the installed adapter in this process only; the baseline in the output uses the same model.
"""

from __future__ import annotations

import sys

import postureguard.vision.pose as pose


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in ("three", "one"):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    variant = sys.argv.pop(1)
    init = pose.MediaPipePose.__init__

    def fixed(self, *args, **kwargs):
        if variant == "one":
            kwargs["num_poses"] = 1
        init(self, *args, **kwargs)
        self._steered = True  # it does not steer itself either

    pose.MediaPipePose.__init__ = fixed
    pose.MediaPipePose.need_others = lambda self, wanted, t: False  # and nobody steers it
    from postureguard.cli import entry

    sys.argv[1:1] = ["bench"]
    return entry()


if __name__ == "__main__":
    sys.exit(main())
