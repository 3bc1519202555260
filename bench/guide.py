"""What the camera guide costs: CPU per second of guidance, and the frame rate of the mirror on screen.

    python bench/guide.py [CLIP] [--seconds 20] [--points LI4,PC6,BL2]
    xvfb-run -a python bench/guide.py [CLIP]      # also the real player's on-screen rate

``CLIP`` is a recording standing in for the camera (default: the real-pixel press recording of
tests/guide_clips.py, 420 x 420 at 15 fps, made in a temporary folder). Two measurements:

1. The guide's analysis alone (no display): for each point the landmarkers it needs (hand points: the
   hand model; forearm points: hand and pose; face points: hand and face) run on the recording paced
   in real time at the guide's rate (the newest frame whenever the models are free, at most
   ``ANALYSE_FPS`` a second; the mirror itself shows up to ``MAX_FPS``), for ``--seconds``. Prints
   frames analysed a second and the process's CPU time per second of guidance (user + system, all
   threads; 100 % = one of this machine's cores).
2. With an X display: the real ``postureguard routine play`` process with ``--camera CLIP`` on a one-step
   LI4 routine; prints the frames a second its mirror showed (from its own log) and its CPU per second
   of guidance (from /proc), over ``--seconds`` after the guide started.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def default_clip(folder: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    from guide_clips import write_press_clip

    return write_press_clip(folder / "press.avi", [("away", 2.5), ("on", 2.5)])


def analysis_cost(clip: Path, code: str, seconds: float) -> tuple[float, float]:
    """(frames analysed a second, CPU seconds per second) of the guide's analysis for point ``code``."""
    from postureguard.knowledge.loader import load_knowledge
    from postureguard.ui.guide_view import ANALYSE_FPS
    from postureguard.vision.guide.session import GuideSession
    from postureguard.vision.sources import open_source

    point = {p.code: p for p in load_knowledge(include_user=False).points}[code]
    session = GuideSession()
    try:
        source = open_source([str(clip)])
        frames = [f.image for f in source.frames()]
        source.close()
        for image in frames[:5]:  # warm up (first inference allocates)
            session.analyse(image, time.monotonic(), point, "right")
        gap = 1.0 / ANALYSE_FPS
        n, start, used = 0, time.monotonic(), cpu_s()
        while time.monotonic() - start < seconds:
            due = start + n * gap
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            image = frames[int((time.monotonic() - start) * 15) % len(frames)]  # the frame of this moment
            session.analyse(image, time.monotonic(), point, "right")
            n += 1
        wall = time.monotonic() - start
        return n / wall, (cpu_s() - used) / wall
    finally:
        session.close()


ROUTINES = {"version": 1, "routines": [{
    "id": "bench-guide", "title": "Guide bench", "triggers": ["headache"],
    "steps": [{"point": "LI4", "action": "press", "side": "right", "seconds": 600,
               "instruction": "Press into the web of your right hand."}],
    "evidence": {"level": "low", "source": "A benchmark routine."}, "cautions": "None beyond the usual.",
}]}  # fmt: skip


def player_cost(clip: Path, seconds: float, home: Path) -> tuple[list[float], float]:
    """(frames a second shown, per log line; CPU seconds per second) of the real player."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "routines.json").write_text(json.dumps(ROUTINES), encoding="utf-8")
    (home / "config" / "player.json").write_text(json.dumps({"version": 1, "notice_acknowledged": True}))
    env = {**os.environ, "POSTUREGUARD_HOME": str(home), "PYTHONPATH": str(REPO / "src")}
    log_path = home / "player.log"
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "postureguard", "-v", "routine", "play", "bench-guide",
                                 "--camera", str(clip)], env=env, stderr=log_file)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "window ready for keys" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
            subprocess.run(["xdotool", "search", "--name", "Guide bench", "windowfocus"], capture_output=True)
        subprocess.run(["xdotool", "key", "Return"], check=True)
        while "camera guide: started" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3.0)  # the models load; measure the steady state
        mark, used, start = len(log_path.read_text()), proc_cpu_s(proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu = (proc_cpu_s(proc.pid) - used) / (time.monotonic() - start)
        text = log_path.read_text()[mark:]
        shown = [float(x) for x in re.findall(r"([\d.]+) frames a second shown", text)]
        return shown, cpu
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", type=Path)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--points", default="LI4,PC6,BL2")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pg-guide-bench-") as tmp:
        folder = Path(tmp)
        clip = args.clip or default_clip(folder)
        print(f"recording: {clip}; {os.cpu_count()} cores; {args.seconds:g} s per measurement")
        for code in args.points.split(","):
            fps, cpu = analysis_cost(clip, code.strip(), args.seconds)
            print(f"analysis {code:6s}: {fps:5.1f} frames analysed/s, CPU {100 * cpu:5.1f} % of a core "
                  f"per second of guidance")  # fmt: skip
        if not os.environ.get("DISPLAY"):
            print("player: skipped (no DISPLAY; run under xvfb-run for the on-screen rate)")
            return
        shown, cpu = player_cost(clip, args.seconds, folder / "home")
        if not shown:
            print("player: no frame rate in its log")
            return
        median = sorted(shown)[len(shown) // 2]
        print(f"player LI4   : {min(shown):5.1f}-{max(shown):5.1f} frames/s shown (median {median:.1f}), "
              f"CPU {100 * cpu:5.1f} % of a core per second of guidance")  # fmt: skip


if __name__ == "__main__":
    main()
