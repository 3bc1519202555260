"""Make a long recording from a short real one, for `postureguard bench` on real motion.

    python bench/loop_clip.py IN OUT.avi [--minutes 3]

The clip is played forwards, then backwards, again and again, so the person never jumps from the last
frame to the first (a jump would look like someone sitting down anew and ask for an analysis that real
life does not). Every frame is a real frame of IN; only their order repeats. The frame rate is IN's.
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("loop_clip")


def main() -> None:
    import cv2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="a video file or animated GIF")
    ap.add_argument("out", help="where to write the MJPG .avi")
    ap.add_argument("--minutes", type=float, default=3.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cap = cv2.VideoCapture(args.source)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if len(frames) < 2:
        raise SystemExit(f"loop_clip: {args.source} has fewer than two frames")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    there_and_back = frames + frames[-2:0:-1]
    total = int(args.minutes * 60 * fps)
    for i in range(total):
        writer.write(there_and_back[i % len(there_and_back)])
    writer.release()
    log.info("%s: %d frames of %s (%d real ones), %.1f fps, %dx%d", args.out, total, args.source, len(frames),
             fps, w, h)  # fmt: skip


if __name__ == "__main__":
    main()
